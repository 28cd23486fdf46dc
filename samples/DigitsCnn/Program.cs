using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using DigitsCnn;
using ModelGen;
using ModelGen.Data;
using ModelGen.Metrics;

// Trains a LeNet-style CNN on the UCI digits as 1×8×8 images: the first 1437 rows train, the last
// 360 rows test, pixels scaled to 0..1.
//   dotnet run -c Release --project samples/DigitsCnn [-- path/to/digits.csv.gz] [--epochs N] [--seed S]

string path = Path.Combine(AppContext.BaseDirectory, "data", "digits.csv.gz");
int epochs = 40, seed = 42;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--epochs" && i + 1 < args.Length) epochs = int.Parse(args[++i]);
    else if (args[i] == "--seed" && i + 1 < args.Length) seed = int.Parse(args[++i]);
    else path = args[i];
}
string[] classNames = Enumerable.Range(0, 10).Select(d => d.ToString()).ToArray();
var digits = Datasets.LoadLabeledCsv(path, classNames);
var (train, test) = digits.Data.MapFeatures(pixel => pixel / 16f).Split(1437);

var model = new DigitsLeNet(seed);
Console.WriteLine(model.Summary());
Console.WriteLine();
var clock = Stopwatch.StartNew();
model.Fit(train, epochs: epochs, batchSize: 32, optimizer: new Adam(1e-3f), seed: seed,
    onEpoch: e => { if (e.Epoch % 5 == 0 || e.Epoch == 1) Console.WriteLine(e); });
Console.WriteLine($"trained in {clock.Elapsed.TotalSeconds:F1} s");

var evaluation = model.Evaluate(test);
var report = ClassificationMetrics.Compute(test.Targets.Select(t => (int)t).ToArray(), model.PredictClasses(test), 10, classNames);
Console.WriteLine();
Console.WriteLine(report);
Console.WriteLine($"test loss {evaluation.Loss:F4}");
Console.WriteLine($"test accuracy {evaluation.Accuracy:F4}");
