using System;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using Xunit;

namespace ModelGen.Tests;

/// <summary>
/// The package as users get it: pack ModelGen, restore it from a local folder into a fresh console
/// project outside the repository, build, run. Also checks the analyzer runs from the package.
/// </summary>
public class PackageTests
{
    private const string ModelSource = """
        using System;
        using ModelGen;

        var features = new float[400 * 2];
        var labels = new int[400];
        var rng = new ModelGen.Compute.Rng(1);
        for (int i = 0; i < 400; i++)
        {
            float a = (float)rng.NextGaussian(), b = (float)rng.NextGaussian();
            features[2 * i] = a; features[2 * i + 1] = b;
            labels[i] = a * b > 0 ? 1 : 0;   // XOR of the signs: needs the hidden layer
        }
        var data = Dataset.ForClassification(features, 2, labels, 2);
        var model = new Xor(seed: 3);
        model.Fit(data, epochs: 60, batchSize: 32, optimizer: new Adam(0.01f), seed: 3);
        Console.WriteLine($"accuracy={model.Evaluate(data).Accuracy:F3}");
        Console.WriteLine($"parameters={Xor.TotalParameters}");

        [Model(Input = new[] { 2 }, Loss = Loss.SoftmaxCrossEntropy)]
        partial class Xor
        {
            [Dense(16, Activation.Tanh)] private partial Tensor Hidden(Tensor x);
            [Dense(2)] private partial Tensor Logits(Tensor x);
        }
        """;

    private const string BrokenSource = """
        using ModelGen;

        System.Console.WriteLine("unreachable");

        [Model(Input = new[] { 2 })]
        partial class Broken
        {
            [Dense(16, Activation.Tanh)] private partial Tensor Hidden(Tensor x);
            [Dense(2, In = 8)] private partial Tensor Logits(Tensor x);
        }
        """;

    [Fact]
    public void PackedPackage_BuildsAndRunsAConsoleApp_AndReportsShapeErrors()
    {
        string root = RepositoryRoot();
        string work = Path.Combine(Path.GetTempPath(), "modelgen-package-" + Guid.NewGuid().ToString("N")[..8]);
        string feed = Path.Combine(work, "feed");
        Directory.CreateDirectory(feed);
        try
        {
            Run("dotnet", $"pack \"{Path.Combine(root, "src", "ModelGen", "ModelGen.csproj")}\" -c Release -o \"{feed}\"", root, work);
            string package = Assert.Single(Directory.GetFiles(feed, "ModelGen.*.nupkg"));
            using (var zip = ZipFile.OpenRead(package))
            {
                var entries = zip.Entries.Select(e => e.FullName).ToList();
                Assert.Contains("lib/net10.0/ModelGen.dll", entries);
                Assert.Contains("analyzers/dotnet/cs/ModelGen.Generators.dll", entries);
                Assert.Contains("analyzers/dotnet/cs/ModelGen.Analyzers.dll", entries);
                Assert.Contains("analyzers/dotnet/cs/ModelGen.CodeFixes.dll", entries);
                Assert.Contains("buildTransitive/ModelGen.props", entries);
                // Every diagnostic's help page travels with the package (the descriptors' links point to the same pages online).
                var pages = Directory.GetFiles(Path.Combine(root, "docs", "diagnostics"), "*.md").Select(p => "docs/diagnostics/" + Path.GetFileName(p)).ToList();
                Assert.Contains("docs/diagnostics/MG0001.md", pages);
                Assert.All(pages, page => Assert.Contains(page, entries));
            }

            string app = CreateProject(work, "App", feed, ModelSource);
            string build = Run("dotnet", "build -c Release", app, work);
            // The generator, analyzers and code fixes all load in a command-line build, without warnings.
            Assert.DoesNotContain("CS8032", build);
            Assert.DoesNotContain("CS8784", build);
            Assert.DoesNotContain("AD0001", build);
            Assert.Contains("0 Warning(s)", build);
            string output = Run("dotnet", "run -c Release --no-build", app, work);
            double accuracy = double.Parse(output.Split('\n').Single(l => l.StartsWith("accuracy=")).Split('=')[1], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(accuracy >= 0.9, $"XOR accuracy {accuracy} from the packaged model:\n{output}");
            Assert.Contains("parameters=82", output);

            string broken = CreateProject(work, "Broken", feed, BrokenSource);
            string buildOutput = Run("dotnet", "build -c Release", broken, work, expectFailure: true);
            Assert.Contains("error MG0007", buildOutput);
            Assert.Contains("Dense 'Logits' declares In = 8, but its input is 16 wide", buildOutput);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    private static string CreateProject(string work, string name, string feed, string program)
    {
        string dir = Path.Combine(work, name);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, name + ".csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="ModelGen" Version="*-*" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(dir, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(dir, "Program.cs"), program);
        return dir;
    }

    private static string Run(string file, string arguments, string directory, string work, bool expectFailure = false)
    {
        var info = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // A private package cache, so a package of the same version from an earlier run is never reused.
        info.Environment["NUGET_PACKAGES"] = Path.Combine(work, "packages");
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        string all = stdout + stderr.Result;
        if (expectFailure) Assert.NotEqual(0, process.ExitCode);
        else Assert.True(process.ExitCode == 0, $"'{file} {arguments}' in {directory} exited {process.ExitCode}:\n{all}");
        return all;
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ModelGen.sln"))) return dir.FullName;
        throw new InvalidOperationException("ModelGen.sln not found above " + AppContext.BaseDirectory);
    }
}
