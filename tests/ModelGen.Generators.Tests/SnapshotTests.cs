using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Generators.Tests;

/// <summary>
/// Generated sources compared with committed Snapshots/*.verified.cs files.
/// Set MODELGEN_ACCEPT=1 to rewrite the snapshots after an intended change, then review the diff.
/// </summary>
public class SnapshotTests
{
    [Theory]
    [InlineData(nameof(SampleModels.DigitsMlp), "Samples.DigitsMlp")]
    [InlineData(nameof(SampleModels.ResidualRegressor), "Samples.Graphs.ResidualRegressor")]
    [InlineData(nameof(SampleModels.NestedBinary), "Outer.TumourClassifier")]
    [InlineData(nameof(SampleModels.DigitsImage), "Samples.DigitsImage")]
    [InlineData(nameof(SampleModels.SmallConvNet), "Samples.Vision.SmallConvNet")]
    [InlineData(nameof(SampleModels.LeNet5), "Samples.Vision.LeNet5")]
    [InlineData(nameof(SampleModels.RegularisedMlp), "Samples.RegularisedMlp")]
    [InlineData(nameof(SampleModels.BatchNormCnn), "Samples.Vision.BatchNormCnn")]
    [InlineData(nameof(SampleModels.SentimentLstm), "Samples.Sequences.SentimentLstm")]
    [InlineData(nameof(SampleModels.SignalConv1d), "Samples.Sequences.SignalConv1d")]
    [InlineData(nameof(SampleModels.ChurnAndSpend), "Samples.Graphs.ChurnAndSpend")]
    [InlineData(nameof(SampleModels.SiameseMatcher), "Samples.Graphs.SiameseMatcher")]
    [InlineData(nameof(SampleModels.DigitsVae), "Samples.Generative.DigitsVae")]
    [InlineData(nameof(SampleModels.GatedDifference), "Samples.Graphs.GatedDifference")]
    [InlineData(nameof(SampleModels.DigitsAutoencoder), "Samples.Vision.DigitsAutoencoder")]
    public void GeneratedSourceMatchesSnapshot(string model, string fullName)
    {
        string source = (string)typeof(SampleModels).GetField(model)!.GetValue(null)!;
        var (run, output) = Harness.Generate(Harness.Compile(source));
        Assert.Empty(Harness.Errors(output));
        var sources = run.Results.Single().GeneratedSources;
        Assert.Equal(new[] { fullName + ".Cuda.g.cs", fullName + ".g.cs" }, sources.Select(s => s.HintName).OrderBy(n => n, StringComparer.Ordinal));
        Verify(sources.Single(s => s.HintName == fullName + ".g.cs").SourceText.ToString(), fullName);
    }

    /// <summary>The CUDA translation unit of each model, as NVRTC receives it (the CudaSource constant of the *.Cuda.g.cs part).</summary>
    [Theory]
    [InlineData(nameof(SampleModels.DigitsMlp), "Samples.DigitsMlp")]
    [InlineData(nameof(SampleModels.ResidualRegressor), "Samples.Graphs.ResidualRegressor")]
    [InlineData(nameof(SampleModels.NestedBinary), "Outer.TumourClassifier")]
    [InlineData(nameof(SampleModels.LeNet5), "Samples.Vision.LeNet5")]
    [InlineData(nameof(SampleModels.RegularisedMlp), "Samples.RegularisedMlp")]
    [InlineData(nameof(SampleModels.BatchNormCnn), "Samples.Vision.BatchNormCnn")]
    [InlineData(nameof(SampleModels.SignalConv1d), "Samples.Sequences.SignalConv1d")]
    [InlineData(nameof(SampleModels.ActivityTagger), "Samples.Sequences.ActivityTagger")]
    [InlineData(nameof(SampleModels.PaddedTagger), "Samples.Sequences.PaddedTagger")]
    [InlineData(nameof(SampleModels.ChurnAndSpend), "Samples.Graphs.ChurnAndSpend")]
    [InlineData(nameof(SampleModels.SiameseMatcher), "Samples.Graphs.SiameseMatcher")]
    [InlineData(nameof(SampleModels.GatedDifference), "Samples.Graphs.GatedDifference")]
    [InlineData(nameof(SampleModels.DigitsAutoencoder), "Samples.Vision.DigitsAutoencoder")]
    public void GeneratedCudaMatchesSnapshot(string model, string fullName)
    {
        VerifyCuda((string)typeof(SampleModels).GetField(model)!.GetValue(null)!, fullName);
    }

    /// <summary>Generates <paramref name="source"/> and compares its CudaSource constant with Snapshots/<paramref name="fullName"/>.verified.cu.</summary>
    internal static void VerifyCuda(string source, string fullName, [CallerFilePath] string testFile = "")
    {
        var (run, output) = Harness.Generate(Harness.Compile(source));
        Assert.Empty(Harness.Errors(output));
        string part = run.Results.Single().GeneratedSources.Single(s => s.HintName == fullName + ".Cuda.g.cs").SourceText.ToString();
        var match = System.Text.RegularExpressions.Regex.Match(part, "public const string CudaSource = @\"(.*?)\";\n", System.Text.RegularExpressions.RegexOptions.Singleline);
        Assert.True(match.Success, "the CUDA part has no CudaSource constant");
        Verify(match.Groups[1].Value.Replace("\"\"", "\""), fullName, ".verified.cu", testFile);
    }

    internal static void Verify(string actual, string name, string extension = ".verified.cs", [CallerFilePath] string testFile = "")
    {
        string path = Path.Combine(Path.GetDirectoryName(testFile)!, "Snapshots", name + extension);
        actual = actual.Replace("\r\n", "\n");
        if (Environment.GetEnvironmentVariable("MODELGEN_ACCEPT") == "1")
        {
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"No snapshot at {path}; run the tests with MODELGEN_ACCEPT=1 to create it, then review it.");
        string expected = File.ReadAllText(path).Replace("\r\n", "\n");
        if (expected != actual)
        {
            File.WriteAllText(path.Replace(".verified.", ".received."), actual);
            var expectedLines = expected.Split('\n');
            var actualLines = actual.Split('\n');
            int line = Enumerable.Range(0, Math.Min(expectedLines.Length, actualLines.Length)).FirstOrDefault(i => expectedLines[i] != actualLines[i], Math.Min(expectedLines.Length, actualLines.Length));
            Assert.Fail($"Generated source for {name} differs from {path} at line {line + 1}:\n  expected: {expectedLines.ElementAtOrDefault(line)}\n  actual:   {actualLines.ElementAtOrDefault(line)}\n(the full output is in the .received file beside it; MODELGEN_ACCEPT=1 accepts it)");
        }
    }
}
