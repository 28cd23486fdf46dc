using System;
using System.Diagnostics;
using System.Globalization;
using ModelGen.SaveKiller;
using ModelGen.Serialization;

// Usage: ModelGen.SaveKiller <path> <first version> <seconds to run at most>
// Prints "saving v" before and "saved v" after each atomic save, so the killer knows which saves completed.
// It stops by itself after the given time, so a crashed test cannot leave it running.
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: ModelGen.SaveKiller <path> <first version> <seconds to run at most>");
    return 2;
}
string path = args[0];
long version = long.Parse(args[1], CultureInfo.InvariantCulture);
var deadline = Stopwatch.StartNew();
double seconds = double.Parse(args[2], CultureInfo.InvariantCulture);
for (; deadline.Elapsed.TotalSeconds < seconds; version++)
{
    var tensors = SavedVersion.Tensors(version);
    var metadata = SavedVersion.Metadata(version);
    Console.WriteLine($"saving {version}");
    SafetensorsFile.Write(path, tensors, metadata);
    Console.WriteLine($"saved {version}");
}
return 0;
