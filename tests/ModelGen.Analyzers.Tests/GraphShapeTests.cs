using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Analyzers.Tests;

/// <summary>
/// Rules of graphs with several inputs and outputs (MG0401–MG0409): each failing declaration gives exactly
/// one diagnostic with its ID, span and numbers; the nearest correct declaration gives none and compiles.
/// </summary>
public class GraphShapeTests
{
    private static string Text(Diagnostic d) => d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan);

    private static async Task<Diagnostic> Single(string source, string id, string span)
    {
        var d = Assert.Single(await Harness.AnalyzeAsync(source));
        Assert.Equal(id, d.Id);
        Assert.Equal(span, Text(d));
        Assert.Equal(Harness.Rules.Single(r => r.Id == id).DefaultSeverity, d.Severity);
        return d;
    }

    /// <summary>No diagnostic, and the real model code is generated and compiles.</summary>
    private static async Task Clean(string source)
    {
        Assert.Empty(await Harness.AnalyzeAsync(source));
        var (_, output) = Harness.Generate(Harness.Compile(source));
        Assert.Empty(Harness.Errors(output));
        Assert.Equal("ModelGen.Model", output.GetTypeByMetadataName("M")!.BaseType?.ToDisplayString());
    }

    private static string TwoInputs(string attributes, string forward, string layers = "") => $$"""
        using ModelGen;
        [Model(Loss = Loss.BinaryCrossEntropy)]
        {{attributes}}
        public partial class M
        {
            [Dense(16, Activation.ReLU)] private partial Tensor Hidden(Tensor x);
            [Dense(1)] private partial Tensor Logit(Tensor x);
            {{layers}}
            [Forward] {{forward}}
        }
        """;

    private const string WideDeep = """[Input("wide", 10)] [Input("deep", 20)]""";

    // ───────────── MG0401 / MG0402: concat ─────────────

    [Theory]
    [InlineData("Tensor.Concat(wide, Hidden(deep))", "[26]")]
    [InlineData("Tensor.Concat(Hidden(deep), wide)", "[26]")]
    [InlineData("Tensor.Concat(0, wide, Hidden(deep), wide)", "[36]")]
    [InlineData("Tensor.Concat(axis: -1, Hidden(deep), wide)", "[26]")]
    [InlineData("ModelGen.Tensor.Concat(wide, Hidden(deep), deep)", "[46]")]
    public async Task Concat_OfFlatParts_AddsTheWidths(string concat, string width)
    {
        string source = TwoInputs(WideDeep, $"private Tensor F(Tensor wide, Tensor deep) => Logit({concat});");
        await Clean(source);
        var (run, _) = Harness.Generate(Harness.Compile(source));
        string generated = Harness.CpuSource(run.Results.Single());
        Assert.Contains($"concat1 = Tensor.Concat(", generated);
        Assert.Contains($"[batch, {width.Trim('[', ']')}]", generated);
    }

    [Fact]
    public async Task MG0401_PartsThatDisagreeOffTheAxis_ShowTheSizesAndTheSum()
    {
        const string source = """
            using ModelGen;
            [Model(Loss = Loss.SoftmaxCrossEntropy)]
            [Input("photo", 1, 8, 8)]
            [Input("mask", 1, 6, 6)]
            public partial class M
            {
                [Flatten] private partial Tensor Flat(Tensor x);
                [Dense(10)] private partial Tensor Logits(Tensor x);
                [Forward] private Tensor F(Tensor photo, Tensor mask) => Logits(Flat(Tensor.Concat(0, photo, mask)));
            }
            """;
        var d = await Single(source, "MG0401", "Tensor.Concat(0, photo, mask)");
        Assert.Equal("Tensor.Concat along axis 0: the input 'photo' is [1, 8, 8] and the input 'mask' is [1, 6, 6]; they must agree on every axis but 0, yet axis 1 is 8 vs 6 (axis 0 would be 1 + 1 = 2)", d.GetMessage());
        await Clean(source.Replace("[Input(\"mask\", 1, 6, 6)]", "[Input(\"mask\", 1, 8, 8)]"));
        // Along the height the widths agree and the heights add: [1, 8 + 6, 8] is fine with a mask of [1, 6, 8].
        await Clean(source.Replace("[Input(\"mask\", 1, 6, 6)]", "[Input(\"mask\", 1, 6, 8)]").Replace("Tensor.Concat(0,", "Tensor.Concat(1,"));
    }

    [Fact]
    public async Task MG0401_PartsOfDifferentRank()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 2, 3 }, Loss = Loss.MeanSquaredError)]
            public partial class M
            {
                [Flatten] private partial Tensor Flat(Tensor x);
                [Dense(1)] private partial Tensor Out(Tensor x);
                [Forward] private Tensor F(Tensor x) => Out(Tensor.Concat(Flat(x), x));
            }
            """;
        var d = await Single(source, "MG0401", "Tensor.Concat(Flat(x), x)");
        Assert.Equal("Tensor.Concat along axis -1: 'Flat' (Flatten of [2, 3]: 2 × 3 = 6) is [6] and the input 'x' is [2, 3]; the parts must have the same number of axes", d.GetMessage());
        await Clean(source.Replace("Tensor.Concat(Flat(x), x)", "Tensor.Concat(Flat(x), Flat(x))"));
    }

    [Theory]
    [InlineData("1", "0 (or −1)")]
    [InlineData("-2", "0 (or −1)")]
    public async Task MG0402_AxisOutOfRange(string axis, string axes)
    {
        string concat = $"Tensor.Concat({axis}, wide, Hidden(deep))";
        var d = await Single(TwoInputs(WideDeep, $"private Tensor F(Tensor wide, Tensor deep) => Logit({concat});"), "MG0402", concat);
        Assert.Equal($"Tensor.Concat axis {axis} does not exist for parts of shape [10]: per-sample axes are {axes}", d.GetMessage());
    }

    [Fact]
    public async Task NonConstantAxis_IsAnUnsupportedConstruct()
    {
        var d = await Single(TwoInputs(WideDeep, "private Tensor F(Tensor wide, Tensor deep) => Logit(Tensor.Concat(axis: Axis, wide, Hidden(deep)));", layers: "private const int Axis = 0;"),
            "MG0005", "axis: Axis");
        Assert.Contains("cannot use the axis 'Axis', which is not an integer literal", d.GetMessage());
    }

    // ───────────── MG0403 / MG0404 / MG0405: inputs ─────────────

    [Fact]
    public async Task MG0403_MisspeltInput_NamesTheParametersWithoutOne()
    {
        var d = await Single(TwoInputs("""[Input("wide", 10)] [Input("dense", 20)]""", "private Tensor F(Tensor wide, Tensor deep) => Logit(Tensor.Concat(wide, Hidden(deep)));"),
            "MG0403", "\"dense\"");
        Assert.Equal("[Input(\"dense\")] names no parameter of [Forward] 'F'; its parameters without an [Input] are 'deep'", d.GetMessage());
        await Clean(TwoInputs(WideDeep, "private Tensor F(Tensor wide, Tensor deep) => Logit(Tensor.Concat(wide, Hidden(deep)));"));
    }

    [Fact]
    public async Task MG0403_InputDeclaredTwice()
    {
        var d = await Single(TwoInputs("""[Input("wide", 10)] [Input("deep", 20)] [Input("wide", 4)]""", "private Tensor F(Tensor wide, Tensor deep) => Logit(Tensor.Concat(wide, Hidden(deep)));"),
            "MG0403", "\"wide\"");
        Assert.Equal("[Input(\"wide\")] is declared twice; declare each input once", d.GetMessage());
        Assert.Equal(d.Location.SourceTree!.ToString().LastIndexOf("\"wide\""), d.Location.SourceSpan.Start);   // the repeated attribute, not the first
    }

    [Fact]
    public async Task MG0403_ModelInputNextToNamedInputs()
    {
        string source = TwoInputs(WideDeep, "private Tensor F(Tensor wide, Tensor deep) => Logit(Tensor.Concat(wide, Hidden(deep)));")
            .Replace("[Model(Loss = Loss.BinaryCrossEntropy)]", "[Model(Input = new[] { 30 }, Loss = Loss.BinaryCrossEntropy)]");
        var d = await Single(source, "MG0403", "Input = new[] { 30 }");
        Assert.StartsWith("[Model(Input = …)] on [Model] declares one unnamed input", d.GetMessage());
    }

    [Fact]
    public async Task MG0403_InputsWithoutForward()
    {
        const string source = """
            using ModelGen;
            [Model(Loss = Loss.BinaryCrossEntropy)]
            [Input("x", 30)]
            public partial class M
            {
                [Dense(1)] private partial Tensor Logit(Tensor x);
            }
            """;
        var d = await Single(source, "MG0403", "\"x\"");
        Assert.Equal("[Input(\"x\")] names no parameter: 'M' has no [Forward] method; write one that takes 'x'", d.GetMessage());
        await Clean("""
            using ModelGen;
            [Model(Loss = Loss.BinaryCrossEntropy)]
            [Input("x", 30)]
            public partial class M
            {
                [Dense(1)] private partial Tensor Logit(Tensor x);
                [Forward] private Tensor F(Tensor x) => Logit(x);
            }
            """);
    }

    [Fact]
    public async Task MG0404_ParameterWithoutInput()
    {
        var d = await Single(TwoInputs("""[Input("wide", 10)]""", "private Tensor F(Tensor wide, Tensor deep) => Logit(Tensor.Concat(wide, Hidden(deep)));"),
            "MG0404", "deep");
        Assert.Equal("[Forward] parameter 'deep' of 'F' has no declared shape; add [Input(\"deep\", …)] with its per-sample shape to the model", d.GetMessage());
    }

    [Fact]
    public async Task MG0404_SeveralParametersWithModelInput_EachNeedsItsInput()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 30 })]
            public partial class M
            {
                [Dense(2)] private partial Tensor Out(Tensor x);
                [Forward] private Tensor F(Tensor a, Tensor b) => Out(a + b);
            }
            """;
        var diagnostics = await Harness.AnalyzeAsync(source);
        Assert.Equal(new[] { "MG0404", "MG0404" }, diagnostics.Select(d => d.Id));
        Assert.Equal(new[] { "a", "b" }, diagnostics.Select(Text));
    }

    [Fact]
    public async Task MG0405_UnusedInput_IsAWarningOnItsAttribute()
    {
        var d = await Single(TwoInputs(WideDeep, "private Tensor F(Tensor wide, Tensor deep) => Logit(Hidden(deep));"), "MG0405", "Input(\"wide\", 10)");
        Assert.Equal("Input 'wide' is never used by the values [Forward] returns, yet every sample must carry its 10 values; use it, or remove the parameter and its [Input]", d.GetMessage());
        // A warning: the real code is still generated.
        var (_, output) = Harness.Generate(Harness.Compile(TwoInputs(WideDeep, "private Tensor F(Tensor wide, Tensor deep) => Logit(Hidden(deep));")));
        Assert.Equal("ModelGen.Model", output.GetTypeByMetadataName("M")!.BaseType?.ToDisplayString());
    }

    [Fact]
    public async Task MG0003_InvalidNamedInputShape_IsOnItsAttribute()
    {
        var d = await Single(TwoInputs("""[Input("wide", 0)] [Input("deep", 20)]""", "private Tensor F(Tensor wide, Tensor deep) => Logit(Tensor.Concat(wide, Hidden(deep)));"),
            "MG0003", "Input(\"wide\", 0)");
        Assert.Equal("Model 'M' has input shape [0]: every dimension must be at least 1", d.GetMessage());
    }

    // ───────────── MG0406 / MG0407 / MG0409: heads ─────────────

    private static string Heads(string attributes, string model = "[Model(Input = new[] { 12 })]", string returned = "(Kind(h), Price(h))") => $$"""
        using ModelGen;
        {{model}}
        {{attributes}}
        public partial class M
        {
            [Dense(32, Activation.ReLU)] private partial Tensor Trunk(Tensor x);
            [Dense(4)] private partial Tensor Kind(Tensor x);
            [Dense(1)] private partial Tensor Price(Tensor x);
            [Forward]
            private (Tensor kind, Tensor price) F(Tensor x)
            {
                var h = Trunk(x);
                return {{returned}};
            }
        }
        """;

    private const string BothHeads = """[Head("kind", Loss.SoftmaxCrossEntropy)] [Head("price", Loss.MeanSquaredError, Weight = 0.5f)]""";

    [Fact]
    public async Task Heads_OnePerOutput_AreClean() => await Clean(Heads(BothHeads));

    [Fact]
    public async Task MG0406_MisspeltHead_NamesTheOutputsWithoutOne()
    {
        var d = await Single(Heads("""[Head("kind", Loss.SoftmaxCrossEntropy)] [Head("cost", Loss.MeanSquaredError)]"""), "MG0406", "\"cost\"");
        Assert.Equal("[Head(\"cost\")] names no output of [Forward] 'F'; its outputs without a [Head] are 'price'", d.GetMessage());
    }

    [Fact]
    public async Task MG0406_HeadOnASingleOutput()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 12 })]
            [Head("kind", Loss.SoftmaxCrossEntropy)]
            public partial class M
            {
                [Dense(4)] private partial Tensor Kind(Tensor x);
                [Forward] private Tensor F(Tensor x) => Kind(x);
            }
            """;
        var d = await Single(source, "MG0406", "\"kind\"");
        Assert.StartsWith("[Head(\"kind\")] names no output: [Forward] 'F' returns one tensor", d.GetMessage());
        await Clean(source.Replace("[Head(\"kind\", Loss.SoftmaxCrossEntropy)]\n", ""));
    }

    [Fact]
    public async Task MG0406_HeadDeclaredTwice()
    {
        var d = await Single(Heads(BothHeads + """ [Head("kind", Loss.MeanSquaredError)]"""), "MG0406", "\"kind\"");
        Assert.Equal("[Head(\"kind\")] is declared twice; declare each head once", d.GetMessage());
    }

    [Fact]
    public async Task MG0407_OutputWithoutHead_IsOnTheTupleElement()
    {
        var d = await Single(Heads("""[Head("kind", Loss.SoftmaxCrossEntropy)]"""), "MG0407", "Price(h)");
        Assert.Equal("Output 'price' of [Forward] 'F' has no loss; declare its loss with [Head(\"price\", Loss.…)] on the model", d.GetMessage());
    }

    [Fact]
    public async Task MG0409_LossOnModelAndHeads_IsOnTheLossArgument()
    {
        var d = await Single(Heads(BothHeads, model: "[Model(Input = new[] { 12 }, Loss = Loss.MeanSquaredError)]"), "MG0409", "Loss = Loss.MeanSquaredError");
        Assert.StartsWith("[Model] sets Loss, but [Head(\"kind\")] and [Head(\"price\")] declare the losses of the outputs", d.GetMessage());
    }

    [Fact]
    public async Task SameValueReturnedTwice_IsMG0012()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 12 })]
            [Head("a", Loss.MeanSquaredError)]
            [Head("b", Loss.MeanSquaredError)]
            public partial class M
            {
                [Dense(2)] private partial Tensor Out(Tensor x);
                [Forward] private (Tensor a, Tensor b) F(Tensor x) { var y = Out(x); return (y, y); }
            }
            """;
        var diagnostics = await Harness.AnalyzeAsync(source);
        var d = Assert.Single(diagnostics);
        Assert.Equal("MG0012", d.Id);
        Assert.Equal("y", Text(d));
        Assert.Equal(source.IndexOf("(y, y)") + 4, d.Location.SourceSpan.Start);   // the second element
        Assert.Contains("returns the same value twice (as 'b')", d.GetMessage());
    }

    [Fact]
    public async Task HeadLossAgainstItsOutput_IsMG0009OnTheHead()
    {
        var d = await Single(Heads("""[Head("kind", Loss.SoftmaxCrossEntropy)] [Head("price", Loss.SoftmaxCrossEntropy)]"""), "MG0009", "Head(\"price\", Loss.SoftmaxCrossEntropy)");
        Assert.Contains("head 'price': softmax over a single output is always 1", d.GetMessage());
    }

    [Fact]
    public async Task ContrastiveHead_IsAnInvalidArgument()
    {
        var d = await Single(Heads("""[Head("kind", Loss.SoftmaxCrossEntropy)] [Head("price", Loss.Contrastive)]"""), "MG0004", "Loss.Contrastive");
        Assert.Contains("Loss.Contrastive compares two outputs", d.GetMessage());
    }

    [Fact]
    public async Task NonPositiveHeadWeight_IsAnInvalidArgument()
    {
        var d = await Single(Heads("""[Head("kind", Loss.SoftmaxCrossEntropy)] [Head("price", Loss.MeanSquaredError, Weight = 0f)]"""), "MG0004", "Weight = 0f");
        Assert.Equal("Head 'price': Weight = 0 must be a positive finite number", d.GetMessage());
    }

    // ───────────── MG0408: contrastive pairs ─────────────

    private static string Pair(string second = "8", string returned = "(QueryTower(query), ItemTower(item))", string returnType = "(Tensor query, Tensor item)") => $$"""
        using ModelGen;
        [Model(Loss = Loss.Contrastive, Margin = 2f)]
        [Input("query", 24)]
        [Input("item", 16)]
        public partial class M
        {
            [Dense(8)] private partial Tensor QueryTower(Tensor x);
            [Dense({{second}})] private partial Tensor ItemTower(Tensor x);
            [Forward] private {{returnType}} F(Tensor query, Tensor item) => {{returned}};
        }
        """;

    [Fact]
    public async Task ContrastivePair_IsClean() => await Clean(Pair());

    [Fact]
    public async Task MG0408_TowersOfDifferentWidths()
    {
        var d = await Single(Pair(second: "4"), "MG0408", "(QueryTower(query), ItemTower(item))");
        Assert.Equal("Loss.Contrastive compares two embeddings of equal shape, but 'QueryTower' (Dense 8) is [8] and 'ItemTower' (Dense 4) is [4]", d.GetMessage());
    }

    [Fact]
    public async Task MG0408_OneOutput()
    {
        var d = await Single(Pair(returned: "QueryTower(query) + ItemTower(item)", returnType: "Tensor"), "MG0408", "QueryTower(query) + ItemTower(item)");
        Assert.Contains("[Forward] returns one tensor; return the pair", d.GetMessage());
    }

    [Fact]
    public async Task MG0409_HeadOnAContrastiveModel()
    {
        string source = Pair().Replace("[Input(\"query\", 24)]", "[Input(\"query\", 24)]\n[Head(\"query\", Loss.MeanSquaredError)]");
        var d = await Single(source, "MG0409", "Head(\"query\", Loss.MeanSquaredError)");
        Assert.StartsWith("[Head(\"query\")] declares a loss, but [Model] sets Loss.Contrastive", d.GetMessage());
    }

    [Fact]
    public async Task LayerNamedLikeTheHeadsMember_IsMG0017()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 4 })]
            public partial class M
            {
                [Dense(3)] private partial Tensor Heads(Tensor x);
            }
            """;
        var d = await Single(source, "MG0017", "Heads");
        Assert.Contains("has the name of a member every model gets", d.GetMessage());
    }

    [Fact]
    public async Task ImageAndTabularInputs_WithBatchNormAndDropout_GenerateCompilingCode() => await Clean("""
        using ModelGen;
        [Model]
        [Input("photo", 1, 8, 8)]
        [Input("meta", 5)]
        [Head("kind", Loss.SoftmaxCrossEntropy)]
        [Head("size", Loss.Huber, HuberDelta = 0.5f)]
        public partial class M
        {
            [Conv2d(4, 3, Activation.ReLU, Padding = 1)] private partial Tensor C(Tensor x);
            [BatchNorm] private partial Tensor Norm(Tensor x);
            [MaxPool2d(2)] private partial Tensor P(Tensor x);
            [Flatten] private partial Tensor Flat(Tensor x);
            [Dropout(0.2f)] private partial Tensor Drop(Tensor x);
            [Dense(3)] private partial Tensor Kind(Tensor x);
            [Dense(1)] private partial Tensor Size(Tensor x);

            [Forward]
            private (Tensor kind, Tensor size) F(Tensor photo, Tensor meta)
            {
                var h = Drop(Tensor.Concat(Flat(P(Norm(C(photo)))), meta));   // 4·4·4 + 5 = 69
                return (Kind(h), Size(h));
            }
        }
        """);
}
