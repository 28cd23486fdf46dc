using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using ModelGen.FrontEnd;
using ModelGen.Generators.Plan;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Generators.Tests;

/// <summary>
/// Every layer kind, end to end. The compiler already refuses a LayerKind that a switch over the kinds misses (CS8509 is
/// an error in the generator); these tests check what a switch arm cannot: that each kind has a sample model here, and
/// that for it the generator writes working code. For the layer 'Probe' of each sample: no diagnostics; a shape rule
/// that gives it a known shape; a parameter layout whose slices tile its block; an eager method, a forward pass and
/// (when a gradient reaches it) a backward pass in the C# part; a Summary row; and CUDA kernels, or a CUDA plan that
/// says by name why the kind does not run there.
/// </summary>
public class LayerKindCoverageTests
{
    /// <summary>One small model per kind; its layer 'Probe' is of that kind. A new kind needs a sample here.</summary>
    internal static readonly IReadOnlyDictionary<LayerKind, string> Samples = new Dictionary<LayerKind, string>
    {
        [LayerKind.Dense] = Model("Input = new[] { 4 }", "[Dense(3, Activation.ReLU)] private partial Tensor Probe(Tensor x);", "[Dense(2)] private partial Tensor Out(Tensor x);"),
        [LayerKind.Flatten] = Model("Input = new[] { 2, 3 }", "[Flatten] private partial Tensor Probe(Tensor x);", "[Dense(2)] private partial Tensor Out(Tensor x);"),
        [LayerKind.Conv2d] = Model("Input = new[] { 1, 6, 6 }", "[Conv2d(2, 3, Activation.ReLU)] private partial Tensor Probe(Tensor x);", Flat, "[Dense(2)] private partial Tensor Out(Tensor x);"),
        [LayerKind.MaxPool2d] = Model("Input = new[] { 1, 4, 4 }", Lift2d, "[MaxPool2d(2)] private partial Tensor Probe(Tensor x);", Flat, "[Dense(2)] private partial Tensor Out(Tensor x);"),
        [LayerKind.AvgPool2d] = Model("Input = new[] { 1, 4, 4 }", Lift2d, "[AvgPool2d(2)] private partial Tensor Probe(Tensor x);", Flat, "[Dense(2)] private partial Tensor Out(Tensor x);"),
        [LayerKind.GlobalAvgPool] = Model("Input = new[] { 1, 4, 4 }", Lift2d, "[GlobalAvgPool] private partial Tensor Probe(Tensor x);", "[Dense(2)] private partial Tensor Out(Tensor x);"),
        [LayerKind.LayerNorm] = Model("Input = new[] { 4 }", Lift, "[LayerNorm] private partial Tensor Probe(Tensor x);", "[Dense(2)] private partial Tensor Out(Tensor x);"),
        [LayerKind.BatchNorm] = Model("Input = new[] { 4 }", Lift, "[BatchNorm] private partial Tensor Probe(Tensor x);", "[Dense(2)] private partial Tensor Out(Tensor x);"),
        [LayerKind.Dropout] = Model("Input = new[] { 4 }", Lift, "[Dropout(0.25f)] private partial Tensor Probe(Tensor x);", "[Dense(2)] private partial Tensor Out(Tensor x);"),
        [LayerKind.LSTM] = Model("Input = new[] { 3, 2 }", "[LSTM(4, Bidirectional = true)] private partial Tensor Probe(Tensor x);", "[Dense(2)] private partial Tensor Out(Tensor x);"),
        [LayerKind.GRU] = Model("Input = new[] { 3, 2 }", "[GRU(4, ReturnSequences = true)] private partial Tensor Probe(Tensor x);", Flat, "[Dense(2)] private partial Tensor Out(Tensor x);"),
        [LayerKind.Conv1d] = Model("Input = new[] { 2, 8 }", "[Conv1d(3, 3, Activation.GELU)] private partial Tensor Probe(Tensor x);", Flat, "[Dense(2)] private partial Tensor Out(Tensor x);"),
        [LayerKind.GroupNorm] = Model("Input = new[] { 2, 8 }", "[Conv1d(4, 3)] private partial Tensor Lift(Tensor x);", "[GroupNorm(2)] private partial Tensor Probe(Tensor x);", Flat, "[Dense(2)] private partial Tensor Out(Tensor x);"),
        [LayerKind.Reshape] = Model("Input = new[] { 8 }", "[Reshape(2, 4)] private partial Tensor Probe(Tensor x);", "[LSTM(3)] private partial Tensor Steps(Tensor x);", "[Dense(2)] private partial Tensor Out(Tensor x);"),
        [LayerKind.Embedding] = Model("Input = new[] { 5 }", "[Embedding(10, 4, PaddingIndex = 0)] private partial Tensor Probe(Tensor x);", "[LSTM(3)] private partial Tensor Steps(Tensor x);", "[Dense(2)] private partial Tensor Out(Tensor x);"),
        [LayerKind.PositionalEmbedding] = Model("Input = new[] { 5 }", "[Embedding(10, 4)] private partial Tensor Tokens(Tensor x);", "[PositionalEmbedding(6)] private partial Tensor Probe(Tensor x);", "[LSTM(3)] private partial Tensor Steps(Tensor x);", "[Dense(2)] private partial Tensor Out(Tensor x);"),
        [LayerKind.MultiHeadAttention] = Model("Input = new[] { 5 }", "[Embedding(10, 4)] private partial Tensor Tokens(Tensor x);", "[MultiHeadAttention(2, Causal = true)] private partial Tensor Probe(Tensor x);", "[LSTM(3)] private partial Tensor Steps(Tensor x);", "[Dense(2)] private partial Tensor Out(Tensor x);"),
        [LayerKind.CrossAttention] = Model("Input = new[] { 5 }", "[Embedding(10, 4)] private partial Tensor Tokens(Tensor x);", "[Dense(4)] private partial Tensor Query(Tensor x);", "[CrossAttention(2)] private partial Tensor Probe(Tensor query, Tensor memory);", "[LSTM(3)] private partial Tensor Steps(Tensor x);", "[Dense(2)] private partial Tensor Out(Tensor x);",
            "[Forward] private Tensor Forward(Tensor x) { var memory = Tokens(x); return Out(Steps(Probe(Query(memory), memory))); }"),
        [LayerKind.ConvTranspose2d] = Model("Input = new[] { 2, 3, 3 }", "[ConvTranspose2d(2, 3, Activation.ReLU, Stride = 2, Padding = 1, OutputPadding = 1, Groups = 2)] private partial Tensor Probe(Tensor x);", Flat, "[Dense(2)] private partial Tensor Out(Tensor x);"),
        [LayerKind.Upsample] = Model("Input = new[] { 1, 3, 3 }", Lift2d, "[Upsample(2, Mode = UpsampleMode.Bilinear)] private partial Tensor Probe(Tensor x);", Flat, "[Dense(2)] private partial Tensor Out(Tensor x);"),
    };

    private const string Lift = "[Dense(4)] private partial Tensor Lift(Tensor x);";
    private const string Lift2d = "[Conv2d(2, 1)] private partial Tensor Lift(Tensor x);";
    private const string Flat = "[Flatten] private partial Tensor Flat(Tensor x);";

    private static string Model(string input, params string[] layers) => $$"""
        using ModelGen;

        namespace Coverage;

        [Model({{input}}, Loss = Loss.SoftmaxCrossEntropy)]
        public partial class Sample
        {
            {{string.Join("\n    ", layers)}}
        }
        """;

    /// <summary>Every LayerKind, by name (the enum is internal to the generator).</summary>
    public static TheoryData<string> Kinds() => new(Enum.GetNames(typeof(LayerKind)));

    [Fact]
    public void EveryLayerKind_HasASampleModel()
    {
        var missing = Enum.GetValues(typeof(LayerKind)).Cast<LayerKind>().Where(k => !Samples.ContainsKey(k)).ToList();
        Assert.True(missing.Count == 0, $"No sample model for {string.Join(", ", missing)}: add one to {nameof(LayerKindCoverageTests)}.{nameof(Samples)} (docs/architecture.md, 'Adding a layer').");
    }

    /// <summary>The sample's spec and plans, from the parser and the shape engine the generator runs.</summary>
    private static (ModelSpec Spec, ShapePlan Shapes, ValuePlan Values, int Probe, int ProbeNode) Plan(string source)
    {
        var compilation = Harness.Compile(source);
        var type = compilation.GetTypeByMetadataName("Coverage.Sample")!;
        var attribute = type.GetAttributes().Single(a => a.AttributeClass?.ToDisplayString() == ModelParser.ModelAttributeName);
        var parsed = ModelParser.Parse(type, attribute, default);
        Assert.Empty(parsed.Diagnostics);
        var shapes = ShapeInference.Infer(parsed.Spec);
        int probe = parsed.Spec.Layers.Select((l, i) => (l, i)).Single(p => p.l.Name == "Probe").i;
        int node = parsed.Spec.Graph.Nodes.Select((n, i) => (n, i)).Single(p => p.n.Kind == NodeKind.Layer && p.n.Layer == probe).i;
        return (parsed.Spec, shapes, new ValuePlan(parsed.Spec, shapes), probe, node);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task EveryLayerKind_ParsesAndHasAShapeRule(string name)
    {
        var kind = Enum.Parse<LayerKind>(name);
        Assert.True(Samples.ContainsKey(kind), $"no sample model for {kind}");
        // A kind without CUDA kernels is noted once, as information, on its attribute (MG0039); nothing else is reported.
        var diagnostics = await Harness.AnalyzeAsync(Samples[kind]);
        if (CudaCoverage.LayerReason(kind) is null) Assert.Empty(diagnostics);
        else Assert.Equal("MG0039", Assert.Single(diagnostics).Id);
        var (spec, shapes, _, probe, node) = Plan(Samples[kind]);
        Assert.Equal(kind, spec.Layers[probe].Kind);
        Assert.Empty(shapes.Problems);
        Assert.True(shapes.Nodes[node].IsKnown, $"{kind}: the shape engine gives 'Probe' no shape");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EveryLayerKind_HasAParameterLayoutThatTilesItsBlock(string name)
    {
        var kind = Enum.Parse<LayerKind>(name);
        Assert.True(Samples.ContainsKey(kind), $"no sample model for {kind}");
        var (spec, shapes, _, _, _) = Plan(Samples[kind]);
        int expected = 0, state = 0;
        for (int l = 0; l < spec.Layers.Count; l++)
        {
            var lp = shapes.Layers[l];
            Assert.Equal(lp.ParameterCount, lp.Parameters.Sum(s => s.Count));
            if (lp.ParameterCount > 0) Assert.Equal(expected, lp.WeightOffset);
            foreach (var slice in lp.Parameters)
            {
                Assert.Equal(expected, slice.Offset);
                Assert.Equal(slice.Count, slice.Shape.Aggregate(1, (a, b) => a * b));
                Assert.True(slice.Count > 0, $"{kind}: '{spec.Layers[l].Name}' has an empty {slice.Role} slice");
                expected += slice.Count;
            }
            foreach (var slice in lp.State)
            {
                Assert.Equal(state, slice.Offset);
                Assert.Equal(slice.Count, slice.Shape.Aggregate(1, (a, b) => a * b));
                state += slice.Count;
            }
        }
        Assert.Equal(expected, shapes.TotalParameters);
        Assert.Equal(state, shapes.TotalState);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EveryLayerKind_HasCpuCodeAndASummaryRow(string name)
    {
        var kind = Enum.Parse<LayerKind>(name);
        Assert.True(Samples.ContainsKey(kind), $"no sample model for {kind}");
        var (run, output) = Harness.Generate(Harness.Compile(Samples[kind]));
        Assert.Empty(Harness.Errors(output));
        string cpu = Harness.CpuSource(run.Results.Single());
        var (_, shapes, values, _, node) = Plan(Samples[kind]);

        Assert.Contains(kind == LayerKind.CrossAttention
            ? "private partial global::ModelGen.Tensor Probe(global::ModelGen.Tensor query, global::ModelGen.Tensor memory)"   // the queries and the memory
            : "private partial global::ModelGen.Tensor Probe(global::ModelGen.Tensor x)", cpu);
        string forward = Between(cpu, "private void RunForward(", "private void RunBackward(");
        Assert.Contains("// probe = ", forward);
        string backward = Between(cpu, "private void RunBackward(", "\n    }\n}");
        if (shapes.Nodes[node].RequiresGradient && !values.IsView(node))
            Assert.Contains("// probe", backward);
        Assert.Matches($"\"Probe \\({kind}[ ,)]", cpu);   // the Summary row: "Probe (LSTM 2×4 bidirectional)"
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EveryLayerKind_HasCudaKernelsOrSaysWhyNot(string name)
    {
        var kind = Enum.Parse<LayerKind>(name);
        Assert.True(Samples.ContainsKey(kind), $"no sample model for {kind}");
        var (run, _) = Harness.Generate(Harness.Compile(Samples[kind]));
        string cuda = run.Results.Single().GeneratedSources.Single(s => s.HintName.EndsWith(".Cuda.g.cs", StringComparison.Ordinal)).SourceText.ToString();
        var (_, shapes, values, _, node) = Plan(Samples[kind]);
        if (cuda.Contains("CudaModelPlan.Unsupported("))
        {
            Assert.Contains($"layer 'Probe' ({kind}): ", cuda);
            return;
        }
        Assert.Contains("CudaModelPlan.Create(", cuda);
        if (values.IsView(node)) return;   // a view has no kernel: its value is its input's memory
        Assert.Contains("void __launch_bounds__(mg::kThreads) probe_forward", cuda);
        if (shapes.Nodes[node].RequiresGradient)
            Assert.Matches("void __launch_bounds__\\(mg::kThreads\\) probe_backward", cuda);
    }

    private static string Between(string text, string start, string end)
    {
        int a = text.IndexOf(start, StringComparison.Ordinal);
        Assert.True(a >= 0, $"'{start}' not found");
        int b = text.IndexOf(end, a + start.Length, StringComparison.Ordinal);
        return text.Substring(a, (b < 0 ? text.Length : b) - a);
    }
}
