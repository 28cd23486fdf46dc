using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using ModelGen.Analyzers;
using ModelGen.Generators;

// What ModelGen adds to a build: the analyzer's and the generator's own execution time on one file
// declaring N models (default 20), as Roslyn measures it. Prints one JSON line per figure.
//   dotnet run -c Release --project samples/AnalyzerBench [-- --models 20 --repeats 15]

int models = 20, repeats = 15;
string? writeTo = null;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--models" && i + 1 < args.Length) models = int.Parse(args[++i], CultureInfo.InvariantCulture);
    else if (args[i] == "--repeats" && i + 1 < args.Length) repeats = int.Parse(args[++i], CultureInfo.InvariantCulture);
    else if (args[i] == "--write" && i + 1 < args.Length) writeTo = args[++i];
    else throw new ArgumentException($"Unknown option '{args[i]}'. Options: --models N, --repeats N, --write FILE (only write the models file).");
}

string source = ModelsFile(models);
if (writeTo is not null)
{
    File.WriteAllText(writeTo, source);
    return;
}
var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
    .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll")
    .Append(typeof(ModelGen.Model).Assembly.Location)
    .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToList();
var parseOptions = new CSharpParseOptions(LanguageVersion.Preview);

var analyzerMs = new List<double>();
var generatorMs = new List<double>();
int diagnostics = -1;
for (int r = 0; r < repeats + 3; r++)
{
    // A fresh compilation each time, as a build has: nothing is cached between repeats.
    var compilation = CSharpCompilation.Create("Bench", new[] { CSharpSyntaxTree.ParseText(source, parseOptions, "Models.cs") }, references,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));
    var driver = CSharpGeneratorDriver.Create(new[] { new ModelGenerator().AsSourceGenerator() }, parseOptions: parseOptions)
        .RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
    double generator = driver.GetTimingInfo().ElapsedTime.TotalMilliseconds;

    var analyzer = new ModelAnalyzer();
    var withAnalyzers = output.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(analyzer),
        new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null, concurrentAnalysis: false, logAnalyzerExecutionTime: true, reportSuppressedDiagnostics: false));
    diagnostics = withAnalyzers.GetAnalyzerDiagnosticsAsync().Result.Length;
    double analysis = withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, default).Result.ExecutionTime.TotalMilliseconds;
    if (r >= 3)   // the first runs pay for JIT compilation, once per build server
    {
        generatorMs.Add(generator);
        analyzerMs.Add(analysis);
    }
}

Console.WriteLine(Line("analyzer", analyzerMs));
Console.WriteLine(Line("generator", generatorMs));
if (diagnostics != 0) throw new InvalidOperationException($"The benchmark models should be clean, but the analyzer reported {diagnostics} diagnostics.");

string Line(string what, List<double> times)
{
    times.Sort();
    return string.Create(CultureInfo.InvariantCulture,
        $"{{\"benchmark\": \"{what}\", \"models\": {models}, \"median_ms\": {times[times.Count / 2]:F2}, \"max_ms\": {times[^1]:F2}, \"repeats\": {times.Count}}}");
}

// N models of the kinds users write: sequential MLPs of 3–5 layers and [Forward] graphs with residuals.
static string ModelsFile(int count)
{
    var sb = new StringBuilder("using ModelGen;\n\nnamespace Bench;\n");
    for (int i = 0; i < count; i++)
    {
        int width = 32 * (1 + i % 4);
        if (i % 2 == 0)
        {
            sb.Append($$"""

                [Model(Input = new[] { {{width}} }, Loss = Loss.SoftmaxCrossEntropy)]
                public partial class Mlp{{i}}
                {
                    [Dense({{width * 2}}, Activation.ReLU, In = {{width}})] private partial Tensor Hidden1(Tensor x);
                    [Dense({{width}}, Activation.GELU)] private partial Tensor Hidden2(Tensor x);
                    [Dense({{width / 2}}, Activation.Tanh)] private partial Tensor Hidden3(Tensor x);
                    [Dense(10)] private partial Tensor Logits(Tensor x);
                }

                """);
        }
        else
        {
            sb.Append($$"""

                [Model(Input = new[] { {{width}} }, Loss = Loss.MeanSquaredError)]
                public partial class Residual{{i}}
                {
                    [Dense({{width * 4}}, Activation.SiLU)] private partial Tensor Up(Tensor x);
                    [Dense({{width}})] private partial Tensor Down(Tensor x);
                    [Dense({{width}}, Activation.Sigmoid)] private partial Tensor Gate(Tensor x);
                    [Dense(1)] private partial Tensor Head(Tensor x);

                    [Forward]
                    private Tensor Forward(Tensor x)
                    {
                        var h = x + Down(Up(x));
                        h = h * Gate(h);
                        return Head(h + x);
                    }
                }

                """);
        }
    }
    return sb.ToString();
}
