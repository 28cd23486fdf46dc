using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using ModelGen.Analyzers;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Generators.Tests;

/// <summary>
/// Half-typed code is what the generator and the analyzer see on every keystroke in an IDE. For every
/// prefix of a few realistic models, cut at each token boundary, neither may throw: a generator exception
/// surfaces as CS8784/CS8785 and breaks the whole build, an analyzer exception as AD0001.
/// </summary>
public class RobustnessTests
{
    private const string MultiInputGraph = """
        using ModelGen;

        [Model]
        [Input("profile", 8)]
        [Input("activity", 2, 6)]
        [Head("churn", Loss.BinaryCrossEntropy, PosWeight = 2f)]
        [Head("spend", Loss.MeanSquaredError, Weight = 0.5f)]
        public partial class ChurnAndSpend
        {
            [Flatten] private partial Tensor Flat(Tensor x);
            [Dense(32, Activation.ReLU)] private partial Tensor Trunk(Tensor x);
            [Dense(1)] private partial Tensor Churn(Tensor x);
            [Dense(1)] private partial Tensor Spend(Tensor x);

            [Forward]
            private (Tensor churn, Tensor spend) Forward(Tensor profile, Tensor activity)
            {
                var h = Trunk(Tensor.Concat(axis: -1, profile, Flat(Tensor.Concat(0, activity, activity))));
                return (Churn(h), Spend(h));
            }
        }

        [Model(Loss = Loss.Contrastive, Margin = 1.5f)]
        [Input("left", 4)]
        [Input("right", 4)]
        public partial class Pair
        {
            [Dense(3)] private partial Tensor Embed(Tensor x);
            [Forward] private (Tensor left, Tensor right) Forward(Tensor left, Tensor right) => (Embed(left), Embed(right));
        }
        """;

    private const string SequentialMlp = """
        using ModelGen;

        namespace Digits;

        /// <summary>64 pixels → 128 → 64 → 10 classes.</summary>
        [Model(Input = new[] { 64 }, Loss = Loss.SoftmaxCrossEntropy)]
        public partial class DigitsMlp
        {
            [Dense(128, Activation.ReLU)] private partial Tensor Hidden(Tensor x);
            [Dense(64, Activation.LeakyReLU, NegativeSlope = 0.1f)] private partial Tensor Hidden2(Tensor x);
            [Dense(10, In = 64)] private partial Tensor Logits(Tensor x);
        }
        """;

    private const string ResidualGraph = """
        using ModelGen;

        namespace Blocks
        {
            public partial class Container
            {
                [Model(Input = new[] { 128 }, Loss = Loss.MeanSquaredError)]
                internal partial class GatedResidual
                {
                    [Dense(256, Activation.GELU)] private partial Tensor Up(Tensor x);
                    [Dense(128)] private partial Tensor Down(Tensor x);
                    [Dense(128, Activation.Sigmoid, Bias = false)] private partial Tensor Gate(Tensor x);
                    [Dense(128)] private partial Tensor Out(Tensor x);

                    [Forward]
                    private Tensor Forward(Tensor x)
                    {
                        var h = Down(Up(x));
                        var g = Gate(x);
                        h = x + h * g;
                        return Out(h) + this.Out(x);
                    }
                }
            }
        }
        """;

    private const string WithMistakes = """
        using ModelGen;

        [Model(Input = new[] { 8, 8 }, Loss = (Loss)5, PosWeight = -1)]
        public class Broken<T> : System.Exception
        {
            [Dense(0, (Activation)42, In = -3)] private static Tensor Zero(Tensor x, int y) => x;
            [Dense(16)] [Dense(4)] private partial Tensor Twice(Tensor x);
            [Dense(16, In = 99)] private partial Tensor Wide(Tensor x);
            [Dense(16)] private partial Tensor Shared(Tensor x);
            [Dense(16)] private partial Tensor Unused(Tensor x);
            private Tensor Helper(Tensor t) => t;

            [Forward]
            private Tensor Forward(Tensor x)
            {
                var a = Helper(x);
                for (int i = 0; i < 3; i++) a = Shared(a);
                if (a is null) return x - a;
                var b = Shared(Wide(x)) * Shared(x) + Missing(x, a);
                return b;
                b = Twice(b);
            }

            [Forward] private Tensor Second(Tensor x) => x;
        }
        """;

    private const string LeakyExperiment = """
        using System;
        using ModelGen;
        using ModelGen.Data;

        [Model(Input = new[] { 2 })]
        public partial class Net { [Dense(2)] private partial Tensor Out(Tensor x); }

        public static class Experiment
        {
            static FittedTransformer FitAll(Table<Unsplit> t) => new StandardScaler().Fit(t.AsTrain());

            public static void Run(TableSchema schema)
            {
                var rows = CsvReader.ReadTable("r.csv", schema).WithRole("day", ColumnRole.Timestamp);
                var scaler = FitAll(rows);
                var (train, test) = Split.TrainTest(rows, 0.2, SplitKind.Random, seed: 1);
                var testData = scaler.Transform(test).ToDataset(TargetKind.ClassIndex);
                foreach (var fold in Split.KFold(train, 3, SplitKind.TimeOrdered, 1))
                {
                    var m = new Net(fold.Index);
                    m.Fit(scaler.Transform(fold.Train).ToDataset(TargetKind.ClassIndex), testData, onEpoch: e => Console.WriteLine(e));
                    Console.WriteLine(m.Evaluate(testData));
                }
            }
        }
        """;

    /// <summary>
    /// Invalid models with user code around them (their stubs), declared norm sizes, a stride that leaves rows unread,
    /// a class without 'partial' and operations inside operations (messages naming expressions).
    /// </summary>
    private const string Composition = """
        using ModelGen;

        [Model(Input = new[] { 16 }, Loss = Loss.MeanSquaredError)]
        public partial class Generator
        {
            [Dense(32, Activation.ReLU)] private partial Tensor Hidden(Tensor z);
            [Dense(64, Activation.Sigmoid)] private partial Tensor Pixels(Tensor x);
        }

        [Model(Input = new[] { 64 }, Loss = Loss.BinaryCrossEntropy)]
        public partial class Discriminator
        {
            [Dense(32, Activation.LeakyReLU)] private partial Tensor Hidden(Tensor x);
            [Dense(1)] private partial Tensor Real(Tensor x);
        }

        [Model(Input = new[] { 16 }, Loss = Loss.BinaryCrossEntropy)]
        public partial class Gan
        {
            [Submodel(typeof(Generator))] private partial Tensor Generate(Tensor z);
            [Submodel(typeof(Discriminator))] private partial Tensor Judge(Tensor image);
            [Forward] private Tensor Forward(Tensor z) => Judge(Generate(z));
        }

        public static class Training
        {
            public static Gan Make() => new Gan(new Generator(1), new Discriminator(2));
        }
        """;

    private const string InvalidModelsInUse = """
        using ModelGen;
        using ModelGen.Data;

        [Model(Input = new[] { 1, 12, 13 })]
        public partial class Normed
        {
            [Conv2d(16, 3, Activation.ReLU, Padding = 1, Stride = 2)] private partial Tensor C1(Tensor x);
            [BatchNorm(In = 16)] private partial Tensor Bn(Tensor x);
            [GroupNorm(4, In = 8)] private partial Tensor Gn(Tensor x);
            [MaxPool2d(2)] private partial Tensor P(Tensor x);
            [Flatten] private partial Tensor Flat(Tensor x);
            [Dense(32, In = 100)] private partial Tensor Hidden(Tensor x);
            [LayerNorm(In = 32)] private partial Tensor Ln(Tensor x);
            [Dense(10)] private partial Tensor Out(Tensor x) => x;
            [Dense(10)] private static partial Tensor Extra(Tensor x);
        }

        [Model(Input = new[] { 64 })]
        public class Joined
        {
            [Dense(32)] private partial Tensor A(Tensor x);
            [Dense(16)] private partial Tensor B(Tensor x);
            [Dense(10, In = 40)] private partial Tensor Out(Tensor x);
            [Forward] private Tensor F(Tensor x) { var c = Tensor.Concat(A(x), B(x)); return Out(c * c + c); }
        }

        public static class Use
        {
            public static void Run(Dataset d)
            {
                var m = new Normed(seed: 1);
                m.Fit(d, d, epochs: 1);
                System.Console.WriteLine(new Joined().Evaluate(d) + m.Summary() + Normed.TotalParameters);
            }
        }
        """;

    /// <summary>
    /// Models that cannot derive from ModelGen.Model or are generic, in use: their parts copy Model's surface or repeat
    /// type parameters, and a leakage body with several findings whose order and named sources the analyzer sorts.
    /// </summary>
    private const string ClassMistakesInUse = """
        using System;
        using ModelGen;
        using ModelGen.Data;

        public abstract class Service { protected Service(string name, int port) { } }

        [Model(Input = new[] { 4 })]
        public partial class Hosted : Service
        {
            [Dense(2)] private partial Tensor Out(Tensor x);
        }

        [Model(Input = new[] { 4 })]
        public partial class Labelled<TLabel, TScore> where TLabel : struct
        {
            [Dense(2)] private partial Tensor Out(Tensor x);
        }

        public partial class Outer<T>
        {
            [Model(Input = new[] { 4 })]
            public partial class Inner { [Dense(2)] private partial Tensor InferenceGraph(Tensor x); }
        }

        public static class Use
        {
            public static void Run(Table<Unsplit> data, Dataset d)
            {
                var scaler = new StandardScaler().Fit(data.AsTrain());
                var (train, test) = Split.TrainTest(data, 0.2, SplitKind.Stratified, 1);
                var parts = Split.TrainValidationTest(data, 0.2, 0.2, SplitKind.Stratified, 2);
                var hosted = new Hosted(seed: 1);
                hosted.Fit(d, d, epochs: 1);
                Model asModel = new Labelled<int, float>(seed: 2);
                Console.WriteLine(hosted.Evaluate(d) + asModel.Summary() + new Outer<int>.Inner().Predict(d).Length + scaler.Transform(parts.Test));
            }
        }
        """;

    private static string Source(string name) => name switch
    {
        nameof(ClassMistakesInUse) => ClassMistakesInUse,
        nameof(InvalidModelsInUse) => InvalidModelsInUse,
        nameof(SequentialMlp) => SequentialMlp,
        nameof(ResidualGraph) => ResidualGraph,
        nameof(LeakyExperiment) => LeakyExperiment,
        nameof(MultiInputGraph) => MultiInputGraph,
        nameof(Composition) => Composition,
        _ => WithMistakes,
    };

    [Theory]
    [InlineData(nameof(SequentialMlp))]
    [InlineData(nameof(ResidualGraph))]
    [InlineData(nameof(WithMistakes))]
    [InlineData(nameof(LeakyExperiment))]
    [InlineData(nameof(MultiInputGraph))]
    [InlineData(nameof(InvalidModelsInUse))]
    [InlineData(nameof(ClassMistakesInUse))]
    [InlineData(nameof(Composition))]
    public async Task EveryTokenPrefix_NeitherGeneratorNorAnalyzerThrows(string name)
    {
        string source = Source(name);
        var tokens = CSharpSyntaxTree.ParseText(source, Harness.ParseOptions).GetRoot().DescendantTokens().ToList();
        var prefixes = tokens.Select(t => t.Span.End).Where(end => end > 0).Distinct()
            .Select(end => (Where: $"prefix to {end}", Text: source.Substring(0, end))).ToList();
        Assert.True(prefixes.Count > 50, $"only {prefixes.Count} cut points");
        await Harness.AssertNoCrashes(prefixes);
    }

    [Theory]
    [InlineData(nameof(SequentialMlp))]
    [InlineData(nameof(ResidualGraph))]
    [InlineData(nameof(WithMistakes))]
    [InlineData(nameof(LeakyExperiment))]
    [InlineData(nameof(MultiInputGraph))]
    [InlineData(nameof(InvalidModelsInUse))]
    [InlineData(nameof(ClassMistakesInUse))]
    [InlineData(nameof(Composition))]
    public async Task EveryTokenDeleted_NeitherGeneratorNorAnalyzerThrows(string name)
    {
        // Prefixes never close the class; a single missing token in the middle (a ')' or a '=>') leaves the rest intact.
        string source = Source(name);
        var tokens = CSharpSyntaxTree.ParseText(source, Harness.ParseOptions).GetRoot().DescendantTokens().Where(t => t.Span.Length > 0).ToList();
        var variants = tokens.Select(t => (Where: $"without '{t.Text}' at {t.SpanStart}", Text: source.Remove(t.SpanStart, t.Span.Length))).ToList();
        await Harness.AssertNoCrashes(variants);
    }

    [Fact]
    public async Task TheMistakesModel_IsDiagnosedNotCrashedOn()
    {
        // The full file is the last prefix above; here its diagnostics are pinned so the sample keeps exercising the rules.
        var ids = (await Harness.AnalyzeAsync(WithMistakes)).Select(d => d.Id).Distinct().OrderBy(id => id).ToArray();
        Assert.Equal(new[] { "MG0001", "MG0002", "MG0004", "MG0005", "MG0010", "MG0011", "MG0012" }, ids);
    }

    [Fact]
    public async Task TheInvalidModelsInUse_AreDiagnosedAndTheirUsesBind()
    {
        var found = (await Harness.AnalyzeAsync(InvalidModelsInUse)).Select(d => d.Id).Distinct().OrderBy(id => id).ToArray();
        Assert.Equal(new[] { "MG0001", "MG0002", "MG0007", "MG0036", "MG0103" }, found);
        // Only the compiler's CS0260 on the class without 'partial': the uses of both models bind to their stubs.
        var (_, output) = Harness.Generate(Harness.Compile(InvalidModelsInUse));
        Assert.Equal(new[] { "CS0260" }, Harness.Errors(output).Select(e => e.Id).ToArray());
    }

    [Fact]
    public async Task TheLeakyExperiment_IsDiagnosedNotCrashedOn()
    {
        var found = (await Harness.AnalyzeAsync(LeakyExperiment)).Select(d => d.Id).ToArray();
        Assert.Equal(new[] { "MG0019", "MG0026", "MG0023", "MG0024" }, found);
    }

    [Fact]
    public async Task TheClassMistakesInUse_AreDiagnosedAndTheirUsesBind()
    {
        var found = (await Harness.AnalyzeAsync(ClassMistakesInUse)).Select(d => d.Id).ToArray();
        Assert.Equal(new[] { "MG0010", "MG0011", "MG0011", "MG0017", "MG0019" }, found);
        var (_, output) = Harness.Generate(Harness.Compile(ClassMistakesInUse));
        Assert.Empty(Harness.Errors(output));
    }
}
