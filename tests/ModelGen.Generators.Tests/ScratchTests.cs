using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace ModelGen.Generators.Tests;

public class ScratchTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Print()
    {
        string source = File.ReadAllText("/tmp/scratch/in.cs");
        var ds = await Harness.AnalyzeAsync(source);
        foreach (var d in ds)
            output.WriteLine($"{d.Id} [{d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan)}] {d.GetMessage(CultureInfo.InvariantCulture)}");
        var (_, compiled) = Harness.Generate(Harness.Compile(source));
        foreach (var e in Harness.Errors(compiled)) output.WriteLine("ERROR " + e);
        File.WriteAllText("/tmp/scratch/out.txt", output.ToString());
    }
}
