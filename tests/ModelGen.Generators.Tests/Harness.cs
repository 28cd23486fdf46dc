using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using ModelGen.Analyzers;
using ModelGen.Generators;
using Xunit;

namespace ModelGen.Testing;

/// <summary>
/// Compiles user code in memory against the runtime, runs the generator and the analyzers. Shared by the generator and
/// the analyzer tests (ModelGen.Analyzers.Tests links this file).
/// </summary>
internal static class Harness
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        // The test host's own framework assemblies plus the ModelGen runtime.
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
            .Append(typeof(ModelGen.Model).Assembly.Location);
        return paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    });

    public static ImmutableArray<MetadataReference> MetadataReferences => References.Value;

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Preview);

    public static CSharpCompilation Compile(params string[] sources) => Compile(allowUnsafe: true, sources);

    public static CSharpCompilation Compile(bool allowUnsafe, params string[] sources) =>
        CSharpCompilation.Create("UserAssembly",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Model{i}.cs")),
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: allowUnsafe, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create(new[] { new ModelGenerator().AsSourceGenerator() }, parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator; returns the generated sources and the compilation including them.</summary>
    public static (GeneratorDriverRunResult Run, Compilation Output) Generate(CSharpCompilation compilation)
    {
        var driver = CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        return (driver.GetRunResult(), output);
    }

    /// <summary>Every ModelGen analyzer, as the package ships them: shapes and declarations, and data leakage.</summary>
    public static ImmutableArray<DiagnosticAnalyzer> Analyzers { get; } = ImmutableArray.Create<DiagnosticAnalyzer>(new ModelAnalyzer(), new LeakageAnalyzer(), new FitDataAnalyzer());

    /// <summary>Every rule of every ModelGen analyzer.</summary>
    public static ImmutableArray<DiagnosticDescriptor> Rules { get; } = Analyzers.SelectMany(a => a.SupportedDiagnostics).ToImmutableArray();

    /// <summary>The ModelGen analyzers' diagnostics on the compilation after generation (as in a real build).</summary>
    public static Task<ImmutableArray<Diagnostic>> AnalyzeAsync(params string[] sources) => AnalyzeAsync(Compile(sources));

    /// <summary>
    /// The ModelGen analyzer's diagnostics on <paramref name="compilation"/> after generation, under its own options
    /// (unsafe blocks, specific diagnostic options). With <paramref name="reportSuppressed"/>, diagnostics silenced by
    /// <c>#pragma warning disable</c> are included with <see cref="Diagnostic.IsSuppressed"/> set, as an IDE sees them.
    /// </summary>
    public static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(CSharpCompilation compilation, bool reportSuppressed = false)
    {
        var (_, output) = Generate(compilation);
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: null, concurrentAnalysis: true, logAnalyzerExecutionTime: false, reportSuppressedDiagnostics: reportSuppressed);
        var withAnalyzers = output.WithAnalyzers(Analyzers, options);
        var all = await withAnalyzers.GetAllDiagnosticsAsync();
        Assert.DoesNotContain(all, d => d.Id == "AD0001");
        return all.Where(d => d.Id.StartsWith("MG", StringComparison.Ordinal)).OrderBy(d => d.Location.SourceSpan.Start).ToImmutableArray();
    }

    /// <summary>The CPU part of a model's generated code (each valid model also gets a <c>*.Cuda.g.cs</c> part).</summary>
    public static string CpuSource(GeneratorRunResult result) =>
        result.GeneratedSources.Single(s => !s.HintName.EndsWith(".Cuda.g.cs", StringComparison.Ordinal)).SourceText.ToString();

    /// <summary>Compiler errors of the compilation after generation (generated code must compile).</summary>
    public static IReadOnlyList<Diagnostic> Errors(Compilation output) =>
        output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();

    /// <summary>
    /// Runs the generator and every analyzer on each variant (half-typed code): none may throw. A generator exception
    /// surfaces as CS8784/CS8785 and breaks the whole build, an analyzer exception as AD0001.
    /// </summary>
    internal static async Task AssertNoCrashes(IEnumerable<(string Where, string Text)> variants)
    {
        var failures = new List<string>();
        var analyzers = Analyzers;
        foreach (var (where, text) in variants)
        {
            var driver = CreateDriver().RunGeneratorsAndUpdateCompilation(Compile(text), out var output, out var generatorDiagnostics);
            foreach (var result in driver.GetRunResult().Results)
                if (result.Exception is not null)
                    failures.Add($"{where}: generator threw {result.Exception.GetType().Name}: {result.Exception.Message}");
            foreach (var d in generatorDiagnostics.Concat(output.GetDiagnostics()).Where(d => d.Id is "CS8784" or "CS8785"))
                failures.Add($"{where}: {d.Id} {d.GetMessage()}");

            var analyzed = await output.WithAnalyzers(analyzers).GetAnalyzerDiagnosticsAsync();
            foreach (var d in analyzed.Where(d => d.Id == "AD0001"))
                failures.Add($"{where}: {d.GetMessage()}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
    }
}
