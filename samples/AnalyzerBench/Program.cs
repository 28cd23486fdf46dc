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

// What ModelGen adds to a build: the analyzers' and the generator's own execution time on one file
// declaring N models (default 20), as Roslyn measures it. Prints one JSON line per figure.
//   dotnet run -c Release --project samples/AnalyzerBench [-- --models 20 --repeats 15]

int models = 20, repeats = 15, kinds = 6;
string? writeTo = null;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--models" && i + 1 < args.Length) models = int.Parse(args[++i], CultureInfo.InvariantCulture);
    else if (args[i] == "--repeats" && i + 1 < args.Length) repeats = int.Parse(args[++i], CultureInfo.InvariantCulture);
    else if (args[i] == "--write" && i + 1 < args.Length) writeTo = args[++i];
    else if (args[i] == "--kinds" && i + 1 < args.Length) kinds = Math.Clamp(int.Parse(args[++i], CultureInfo.InvariantCulture), 1, 6);
    else throw new ArgumentException($"Unknown option '{args[i]}'. Options: --models N, --repeats N, --write FILE (only write the models file), --kinds 1…6 (how many of the model kinds to cycle through).");
}

string source = ModelsFile(models, kinds);
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
var leakageMs = new List<double>();
var fitDataMs = new List<double>();
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
    var leakage = new LeakageAnalyzer();
    var fitData = new FitDataAnalyzer();
    var withAnalyzers = output.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(analyzer, leakage, fitData),
        new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null, concurrentAnalysis: false, logAnalyzerExecutionTime: true, reportSuppressedDiagnostics: false));
    diagnostics = withAnalyzers.GetAnalyzerDiagnosticsAsync().Result.Length;
    double Ms(DiagnosticAnalyzer a) => withAnalyzers.GetAnalyzerTelemetryInfoAsync(a, default).Result.ExecutionTime.TotalMilliseconds;
    if (r >= 3)   // the first runs pay for JIT compilation, once per build server
    {
        generatorMs.Add(generator);
        analyzerMs.Add(Ms(analyzer));
        leakageMs.Add(Ms(leakage));
        fitDataMs.Add(Ms(fitData));
    }
}

Console.WriteLine(Line("analyzer", analyzerMs));
Console.WriteLine(Line("leakage_analyzer", leakageMs));
Console.WriteLine(Line("fit_data_analyzer", fitDataMs));
Console.WriteLine(Line("generator", generatorMs));
if (diagnostics != 0) throw new InvalidOperationException($"The benchmark models should be clean, but the analyzer reported {diagnostics} diagnostics.");

string Line(string what, List<double> times)
{
    times.Sort();
    return string.Create(CultureInfo.InvariantCulture,
        $"{{\"benchmark\": \"{what}\", \"models\": {models}, \"median_ms\": {times[times.Count / 2]:F2}, \"max_ms\": {times[^1]:F2}, \"repeats\": {times.Count}}}");
}

// N models of the kinds users write, in turn: sequential MLPs, [Forward] graphs with residuals, LeNet-style
// CNNs, pre-LayerNorm transformer blocks over padded variable-length sequences, bidirectional LSTMs and
// two-input wide & deep models; each is trained once on a dataset whose sizes the method body shows, so the
// data-fit analyzer has calls to check.
static string ModelsFile(int count, int kinds)
{
    var sb = new StringBuilder("using ModelGen;\n\nnamespace Bench;\n");
    for (int i = 0; i < count; i++)
    {
        int width = 32 * (1 + i % 4);
        string name;
        int inputs;
        switch (i % kinds)
        {
            case 0:
                name = $"Mlp{i}"; inputs = width;
                sb.Append($$"""

                    [Model(Input = new[] { {{width}} }, Loss = Loss.SoftmaxCrossEntropy)]
                    public partial class {{name}}
                    {
                        [Dense({{width * 2}}, Activation.ReLU, In = {{width}})] private partial Tensor Hidden1(Tensor x);
                        [Dense({{width}}, Activation.GELU)] private partial Tensor Hidden2(Tensor x);
                        [Dense({{width / 2}}, Activation.Tanh)] private partial Tensor Hidden3(Tensor x);
                        [Dense(10)] private partial Tensor Logits(Tensor x);
                    }

                    """);
                break;
            case 1:
                name = $"Residual{i}"; inputs = width;
                sb.Append($$"""

                    [Model(Input = new[] { {{width}} }, Loss = Loss.SoftmaxCrossEntropy)]
                    public partial class {{name}}
                    {
                        [Dense({{width * 4}}, Activation.SiLU)] private partial Tensor Up(Tensor x);
                        [Dense({{width}})] private partial Tensor Down(Tensor x);
                        [Dense({{width}}, Activation.Sigmoid)] private partial Tensor Gate(Tensor x);
                        [Dense(10)] private partial Tensor Head(Tensor x);

                        [Forward]
                        private Tensor Forward(Tensor x)
                        {
                            var h = x + Down(Up(x));
                            h = h * Gate(h);
                            return Head(h + x);
                        }
                    }

                    """);
                break;
            case 2:
                name = $"Cnn{i}"; inputs = 28 * 28;
                sb.Append($$"""

                    [Model(Input = new[] { 1, 28, 28 }, Loss = Loss.SoftmaxCrossEntropy)]
                    public partial class {{name}}
                    {
                        [Conv2d(6, 5, Activation.ReLU, Padding = 2)] private partial Tensor C1(Tensor x);
                        [MaxPool2d(2)] private partial Tensor P1(Tensor x);
                        [Conv2d(16, 5, Activation.ReLU)] private partial Tensor C2(Tensor x);
                        [BatchNorm] private partial Tensor Norm(Tensor x);
                        [MaxPool2d(2)] private partial Tensor P2(Tensor x);
                        [Flatten] private partial Tensor Flat(Tensor x);
                        [Dense(120, Activation.ReLU, In = 400)] private partial Tensor Fc1(Tensor x);
                        [Dense(10)] private partial Tensor Logits(Tensor x);
                    }

                    """);
                break;
            case 3:
                name = $"Transformer{i}"; inputs = 32;
                sb.Append($$"""

                    [Model(Input = new[] { 32 }, Loss = Loss.SoftmaxCrossEntropy)]
                    public partial class {{name}}
                    {
                        [Embedding(96, {{width}}, PaddingIndex = 0, MaskPadding = true)] private partial Tensor Tokens(Tensor ids);
                        [PositionalEmbedding(32)] private partial Tensor Positions(Tensor x);
                        [LayerNorm] private partial Tensor Norm1(Tensor x);
                        [MultiHeadAttention(4, Causal = true)] private partial Tensor Attention(Tensor x);
                        [LayerNorm] private partial Tensor Norm2(Tensor x);
                        [Dense({{width * 4}}, Activation.GELU)] private partial Tensor Up(Tensor x);
                        [Dense({{width}})] private partial Tensor Down(Tensor x);
                        [Dense(96)] private partial Tensor Logits(Tensor x);

                        [Forward]
                        private Tensor Forward(Tensor ids)
                        {
                            var x = Positions(Tokens(ids));
                            x = x + Attention(Norm1(x));
                            x = x + Down(Up(Norm2(x)));
                            return Logits(x);
                        }
                    }

                    """);
                break;
            case 4:
                name = $"Lstm{i}"; inputs = 16 * 8;
                sb.Append($$"""

                    [Model(Input = new[] { 16, 8 }, Loss = Loss.SoftmaxCrossEntropy)]
                    public partial class {{name}}
                    {
                        [LSTM({{width}}, Bidirectional = true, ReturnSequences = true)] private partial Tensor Encoder(Tensor x);
                        [GRU({{width / 2}})] private partial Tensor Summarise(Tensor x);
                        [Dense(10)] private partial Tensor Logits(Tensor x);
                    }

                    """);
                break;
            default:
                name = $"WideDeep{i}"; inputs = 10 + 20;
                sb.Append($$"""

                    [Model(Loss = Loss.BinaryCrossEntropy)]
                    [Input("wide", 10)]
                    [Input("deep", 20)]
                    public partial class {{name}}
                    {
                        [Dense({{width}}, Activation.ReLU)] private partial Tensor Hidden(Tensor x);
                        [Dense(8, Activation.ReLU)] private partial Tensor Hidden2(Tensor x);
                        [Dense(1)] private partial Tensor Logit(Tensor x);

                        [Forward]
                        private Tensor Forward(Tensor wide, Tensor deep) => Logit(Tensor.Concat(wide, Hidden2(Hidden(deep))));
                    }

                    """);
                break;
        }
        bool transformer = i % kinds == 3, binary = i % kinds == 5;
        string data = transformer
            ? "Dataset.ForSequenceClassification(new float[64 * 32], 32, new int[64 * 32], 32, 96)"
            : binary
            ? $"Dataset.ForRegression(new float[64 * {inputs}], {inputs}, new float[64]).WithInputs((\"wide\", 10), (\"deep\", 20))"
            : $"Dataset.ForClassification(new float[64 * {inputs}], {inputs}, new int[64], 10)";
        sb.Append($$"""

            public static class Train{{name}}
            {
                public static void Run()
                {
                    var data = {{data}};
                    var (train, test) = data.Split(48);
                    var model = new {{name}}(seed: 1);
                    model.Fit(train, epochs: 1, batchSize: 16);
                    model.Evaluate(test);
                }
            }

            """);
    }
    return sb.ToString();
}
