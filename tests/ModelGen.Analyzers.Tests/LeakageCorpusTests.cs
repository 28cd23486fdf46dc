using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Analyzers.Tests;

/// <summary>
/// The leakage analyzer on the repository's own programs that use the data API (the samples): they compile as they are,
/// and the analyzer finds exactly the leaks they are known to have, so a new rule that fires on them is a false positive.
/// </summary>
public class LeakageCorpusTests
{
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, "samples")) && Directory.Exists(Path.Combine(dir.FullName, "analyzers"))) return dir.FullName;
        throw new InvalidOperationException("The repository root (with samples/ and analyzers/) is not above " + AppContext.BaseDirectory);
    }

    /// <summary>
    /// Every sample that uses the data API (with the samples it references), and the leakage findings it is known to have:
    /// BreastCancer fits a scaler on every row on purpose, to show MG0019.
    /// </summary>
    public static TheoryData<string, string> Samples() => new()
    {
        { "BreastCancer", "MG0019 line 37" },
        { "Digits", "" },
        { "DigitsCnn", "" },
        { "FineTune", "" },
        { "Predict+TumourModel", "" },
        { "TumourModel", "" },
        { "WideDeep", "" },
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task Sample_CompilesAndHasOnlyItsKnownLeakageFindings(string samples, string expected)
    {
        char sep = Path.DirectorySeparatorChar;
        var sources = samples.Split('+')
            .SelectMany(sample => Directory.GetFiles(Path.Combine(RepositoryRoot(), "samples", sample), "*.cs", SearchOption.AllDirectories))
            .Where(p => !p.Contains($"{sep}obj{sep}") && !p.Contains($"{sep}bin{sep}"))
            .OrderBy(p => p, StringComparer.Ordinal).Select(File.ReadAllText).ToArray();
        Assert.NotEmpty(sources);
        // The samples also reference ModelGen.Plots (training curves as PNG).
        var compilation = Harness.Compile(sources).AddReferences(MetadataReference.CreateFromFile(typeof(ModelGen.Plots.TrainingCurves).Assembly.Location));
        if (sources.Any(s => !s.Contains("namespace ") || s.Contains("args")))
            compilation = compilation.WithOptions(compilation.Options.WithOutputKind(OutputKind.ConsoleApplication));
        var (_, output) = Harness.Generate(compilation);
        var errors = Harness.Errors(output);
        Assert.True(errors.Count == 0, samples + " does not compile here:\n" + string.Join("\n", errors.Take(5)));
        var leakage = (await Harness.AnalyzeAsync(compilation)).Where(d => d.Descriptor.Category == "ModelGen.Leakage").ToList();
        string found = string.Join("; ", leakage.Select(d => $"{d.Id} line {d.Location.GetLineSpan().StartLinePosition.Line + 1}"));
        Assert.True(found == expected, $"expected [{expected}], found:\n" + string.Join("\n", leakage.Select(d => $"{d.Id} {d.Location.GetLineSpan()} {d.GetMessage()}")));
    }
}
