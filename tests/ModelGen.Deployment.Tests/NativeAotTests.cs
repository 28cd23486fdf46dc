using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Xunit;

namespace ModelGen.Deployment.Tests;

/// <summary>Publishing NativeAOT needs a C toolchain (clang on Linux); outside CI a machine without one skips these tests.</summary>
public sealed class NativeAotFactAttribute : FactAttribute
{
    public NativeAotFactAttribute()
    {
        bool inCi = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        if (!inCi && RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && !OnPath("clang"))
            Skip = "NativeAOT publishing needs clang (apt-get install clang lld; .ci/run installs it)";
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(folder => File.Exists(Path.Combine(folder, program)));
}

/// <summary>
/// samples/Predict published with NativeAOT: no trim or AOT warning, and the native binary's predictions against the JIT
/// build's on the held-out rows. The tolerance and what is bit-identical are explained in docs/deployment.md.
/// </summary>
public class NativeAotTests(TrainedModel model) : IClassFixture<TrainedModel>
{
    /// <summary>
    /// Largest difference allowed between a probability of the NativeAOT build and of the JIT build. Without FMA the GEMM
    /// rounds each product and sum separately instead of once per multiply-add; on this model that moves probabilities by
    /// at most a few float32 ulps of 1 (1.2e-7 each).
    /// </summary>
    public const double ProbabilityTolerance = 1e-6;

    [NativeAotFact]
    public async Task ThePublishedBinaryHasNoWarningsAndPredictsAsTheJitBuild()
    {
        string project = Path.Combine(Processes.RepositoryRoot, "samples", "Predict", "Predict.csproj");
        string published = Path.Combine(model.Folder, "aot");
        var (exitCode, output, error) = await Processes.RunAsync(Processes.DotnetHost,
            $"publish \"{project}\" -c {Processes.Configuration} -o \"{published}\" -nologo -clp:NoSummary -nodeReuse:false -p:UseSharedCompilation=false", TimeSpan.FromMinutes(4));
        Assert.True(exitCode == 0, $"publish failed ({exitCode}):\n{output}\n{error}");
        var warnings = Regex.Matches(output + error, @"^.*\bwarning [A-Z]+\d+:.*$", RegexOptions.Multiline).Select(m => m.Value).Distinct().ToArray();
        Assert.True(warnings.Length == 0, $"{warnings.Length} warning(s) while publishing:\n{string.Join('\n', warnings)}");

        string binary = Path.Combine(published, OperatingSystem.IsWindows() ? "Predict.exe" : "Predict");
        Assert.True(File.Exists(binary), $"no native binary at {binary}");
        Assert.False(File.Exists(Path.Combine(published, "Predict.dll")), "the publish output holds IL: it is not a NativeAOT build");
        // Publishing built the JIT build first, into the project's own bin folder.
        string jit = Directory.GetFiles(Path.Combine(Processes.RepositoryRoot, "samples", "Predict", "bin", Processes.Configuration), "Predict.dll", SearchOption.AllDirectories)
            .OrderByDescending(File.GetLastWriteTimeUtc).First();

        var aotInfo = await Run(binary, "info");
        var jitInfo = await Run(Processes.DotnetHost, $"\"{jit}\" info");
        Assert.Contains("\"runtime\": \"nativeaot\"", aotInfo);
        Assert.Contains("\"runtime\": \"jit\"", jitInfo);

        string arguments = $"predict \"{model.ModelPath}\" \"{model.RowsPath}\"";
        var aot = ParsePredictions(await Run(binary, arguments));
        var jitRows = ParsePredictions(await Run(Processes.DotnetHost, $"\"{jit}\" {arguments}"));
        Assert.Equal(model.Trained.TestRows.RowCount, aot.Count);
        Assert.Equal(jitRows.Count, aot.Count);
        double largest = 0;
        for (int r = 0; r < aot.Count; r++)
        {
            Assert.Equal(jitRows[r].Class, aot[r].Class);
            for (int j = 0; j < aot[r].Probabilities.Length; j++)
                largest = Math.Max(largest, Math.Abs(aot[r].Probabilities[j] - jitRows[r].Probabilities[j]));
        }
        Assert.True(largest <= ProbabilityTolerance, $"NativeAOT and JIT probabilities differ by up to {largest:G3} (tolerance {ProbabilityTolerance:G3}); NativeAOT {aotInfo}, JIT {jitInfo}");
        // Where both builds use the same multiply-add (fused or not), the arithmetic is the same and so are the bits.
        if (Flag(aotInfo, "fma") == Flag(jitInfo, "fma"))
            Assert.True(largest == 0, $"same FMA use but the probabilities differ by {largest:G3}; NativeAOT {aotInfo}, JIT {jitInfo}");
    }

    private static async Task<string> Run(string program, string arguments)
    {
        var (exitCode, output, error) = await Processes.RunAsync(program, arguments, TimeSpan.FromSeconds(60));
        Assert.True(exitCode == 0, $"'{program} {arguments}' exited with {exitCode}:\n{output}\n{error}");
        return output.Trim();
    }

    private static bool Flag(string info, string name) => info.Contains($"\"{name}\": true", StringComparison.Ordinal);

    private static List<(string Class, float[] Probabilities)> ParsePredictions(string csv)
    {
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("row,class,malignant,benign", lines[0]);
        return lines.Skip(1).Select(line =>
        {
            var fields = line.Split(',');
            return (fields[1], fields.Skip(2).Select(f => float.Parse(f, CultureInfo.InvariantCulture)).ToArray());
        }).ToList();
    }
}
