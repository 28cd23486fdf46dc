using System.IO;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;
using Xunit;

namespace ModelGen.Generators.Tests;

/// <summary>
/// build/ReadyToRun.targets gives the generator and analyzer assemblies native code for the building machine,
/// so a compiler process that loads them for the first time does not JIT-compile them (see samples/AnalyzerBench).
/// Where the build supports it (Linux, Windows, macOS on x64 or arm64), losing that step must not go unnoticed.
/// </summary>
public class ReadyToRunTests
{
    public static TheoryData<string> Assemblies() => new()
    {
        typeof(ModelGen.Generators.ModelGenerator).Assembly.Location,
        typeof(ModelGen.Analyzers.ModelAnalyzer).Assembly.Location,
    };

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void CompilerComponents_CarryReadyToRunCode(string path)
    {
        if (RuntimeInformation.OSArchitecture is not (Architecture.X64 or Architecture.Arm64)) return;
        using var reader = new PEReader(File.OpenRead(path));
        var header = reader.PEHeaders.CorHeader!;
        Assert.True(header.ManagedNativeHeaderDirectory.Size > 0, $"{Path.GetFileName(path)} has no ReadyToRun header: build/ReadyToRun.targets did not run (a warning in the build log says why)");
        Assert.True(reader.HasMetadata, "the IL and metadata stay for runtimes that cannot use the native code");
    }
}
