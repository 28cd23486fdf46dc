using System.Linq;
using ModelGen.FrontEnd;
using ModelGen.Generators.Plan;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Generators.Tests;

/// <summary>
/// The slice table of each layer (ShapePlan.Layers[l].Parameters and .State): roles, directions, offsets, counts and
/// shapes as stored, worked out by hand. Saving under PyTorch's state_dict names and freezing layers read this table.
/// </summary>
public class ParameterLayoutTests
{
    private static ShapePlan Plan(string input, params string[] layers) => Spec(input, layers).Shapes;

    private static (ModelSpec Spec, ShapePlan Shapes) Spec(string input, params string[] layers)
    {
        string source = $$"""
            using ModelGen;
            namespace Layout;
            [Model(Input = new[] { {{input}} }, Loss = Loss.MeanSquaredError)]
            public partial class M
            {
                {{string.Join("\n    ", layers)}}
            }
            """;
        var compilation = Harness.Compile(source);
        var type = compilation.GetTypeByMetadataName("Layout.M")!;
        var parsed = ModelParser.Parse(type, type.GetAttributes().First(), default);
        Assert.Empty(parsed.Diagnostics);
        var plan = ShapeInference.Infer(parsed.Spec);
        Assert.Empty(plan.Problems);
        return (parsed.Spec, plan);
    }

    private static (SliceRole, int, int, int, int[]) Row(BufferSlice s) => (s.Role, s.Direction, s.Offset, s.Count, s.Shape.ToArray());

    [Fact]
    public void Dense_WeightsInByOut_ThenBias()
    {
        var plan = Plan("4", "[Dense(3)] private partial Tensor A(Tensor x);", "[Dense(2, Bias = false)] private partial Tensor B(Tensor x);");
        Assert.Equal(new[] { (SliceRole.Weight, 0, 0, 12, new[] { 4, 3 }), (SliceRole.Bias, 0, 12, 3, new[] { 3 }) }, plan.Layers[0].Parameters.Select(Row));
        Assert.Equal(new[] { (SliceRole.Weight, 0, 15, 6, new[] { 3, 2 }) }, plan.Layers[1].Parameters.Select(Row));
        Assert.Equal(12, plan.Layers[0].BiasOffset);
        Assert.Equal(-1, plan.Layers[1].BiasOffset);
        Assert.Equal(21, plan.TotalParameters);
    }

    [Fact]
    public void Convolutions_OutByInPerGroupByKernel_ThenBias()
    {
        var plan = Plan("4, 8, 8",
            "[Conv2d(6, 3, Groups = 2)] private partial Tensor C(Tensor x);",
            "[Reshape(6, 36)] private partial Tensor R(Tensor x);",
            "[Conv1d(4, 5, Bias = false)] private partial Tensor D(Tensor x);");
        Assert.Equal(new[] { (SliceRole.Weight, 0, 0, 108, new[] { 6, 2, 3, 3 }), (SliceRole.Bias, 0, 108, 6, new[] { 6 }) }, plan.Layers[0].Parameters.Select(Row));
        Assert.Empty(plan.Layers[1].Parameters);
        Assert.Equal(new[] { (SliceRole.Weight, 0, 114, 120, new[] { 4, 6, 5 }) }, plan.Layers[2].Parameters.Select(Row));
    }

    [Fact]
    public void TransposedConvolution_InByOutPerGroupByKernel_ThenBias_AndUpsampleHasNone()
    {
        // PyTorch's ConvTranspose2d weight is [in, out/groups, k, k]: 4 · (6/2) · 3 · 3 = 108, then the bias [6].
        var plan = Plan("4, 3, 5",
            "[ConvTranspose2d(6, 3, Stride = 2, Groups = 2)] private partial Tensor T(Tensor x);",
            "[Upsample(2)] private partial Tensor U(Tensor x);",
            "[ConvTranspose2d(2, 2, Bias = false)] private partial Tensor V(Tensor x);",
            "[Flatten] private partial Tensor F(Tensor x);");
        Assert.Equal(new[] { (SliceRole.Weight, 0, 0, 108, new[] { 4, 3, 3, 3 }), (SliceRole.Bias, 0, 108, 6, new[] { 6 }) }, plan.Layers[0].Parameters.Select(Row));
        Assert.Empty(plan.Layers[1].Parameters);
        Assert.Equal(new[] { (SliceRole.Weight, 0, 114, 48, new[] { 6, 2, 2, 2 }) }, plan.Layers[2].Parameters.Select(Row));
        Assert.Equal(-1, plan.Layers[2].BiasOffset);
        Assert.Equal(162, plan.TotalParameters);
    }

    [Fact]
    public void BidirectionalLstm_OneBlockPerDirection_ForwardFirst()
    {
        // G = 4 gates · 5 hidden = 20 per direction: W_ih [3, 20], W_hh [5, 20], b_ih [20], b_hh [20] = 200.
        var plan = Plan("7, 3", "[LSTM(5, Bidirectional = true)] private partial Tensor L(Tensor x);");
        Assert.Equal(new[]
        {
            (SliceRole.InputWeight, 0, 0, 60, new[] { 3, 20 }),
            (SliceRole.RecurrentWeight, 0, 60, 100, new[] { 5, 20 }),
            (SliceRole.InputBias, 0, 160, 20, new[] { 20 }),
            (SliceRole.RecurrentBias, 0, 180, 20, new[] { 20 }),
            (SliceRole.InputWeight, 1, 200, 60, new[] { 3, 20 }),
            (SliceRole.RecurrentWeight, 1, 260, 100, new[] { 5, 20 }),
            (SliceRole.InputBias, 1, 360, 20, new[] { 20 }),
            (SliceRole.RecurrentBias, 1, 380, 20, new[] { 20 }),
        }, plan.Layers[0].Parameters.Select(Row));
        Assert.Equal(400, plan.Layers[0].ParameterCount);
        Assert.Equal(260, plan.Layers[0].Slice(SliceRole.RecurrentWeight, direction: 1)!.Offset);
    }

    [Fact]
    public void Gru_ThreeGates()
    {
        var plan = Plan("7, 3", "[GRU(2)] private partial Tensor G(Tensor x);");
        Assert.Equal(new[] { new[] { 3, 6 }, new[] { 2, 6 }, new[] { 6 }, new[] { 6 } }, plan.Layers[0].Parameters.Select(s => s.Shape.ToArray()));
        Assert.Equal(3 * 6 + 2 * 6 + 6 + 6, plan.Layers[0].ParameterCount);
    }

    [Fact]
    public void SequenceLayers_TablesAndAttentionProjections()
    {
        var plan = Plan("5",
            "[Embedding(10, 4)] private partial Tensor E(Tensor x);",
            "[PositionalEmbedding(8)] private partial Tensor P(Tensor x);",
            "[MultiHeadAttention(2)] private partial Tensor A(Tensor x);",
            "[MultiHeadAttention(1, Bias = false)] private partial Tensor B(Tensor x);");
        Assert.Equal(new[] { (SliceRole.Table, 0, 0, 40, new[] { 10, 4 }) }, plan.Layers[0].Parameters.Select(Row));
        Assert.Equal(new[] { (SliceRole.Table, 0, 40, 32, new[] { 8, 4 }) }, plan.Layers[1].Parameters.Select(Row));
        Assert.Equal(new[]
        {
            (SliceRole.QkvWeight, 0, 72, 48, new[] { 4, 12 }),
            (SliceRole.OutWeight, 0, 120, 16, new[] { 4, 4 }),
            (SliceRole.QkvBias, 0, 136, 12, new[] { 12 }),
            (SliceRole.OutBias, 0, 148, 4, new[] { 4 }),
        }, plan.Layers[2].Parameters.Select(Row));
        Assert.Equal(136, plan.Layers[2].BiasOffset);
        Assert.Equal(new[] { (SliceRole.QkvWeight, 0, 152, 48, new[] { 4, 12 }), (SliceRole.OutWeight, 0, 200, 16, new[] { 4, 4 }) }, plan.Layers[3].Parameters.Select(Row));
    }

    [Fact]
    public void CrossAttention_HasMultiHeadAttentionsSlices_SizedByTheQueryWidth()
    {
        var plan = Plan("5",
            "[Embedding(10, 4)] private partial Tensor E(Tensor x);",
            "[CrossAttention(2)] private partial Tensor C(Tensor query, Tensor memory);",
            "[CrossAttention(1, Bias = false)] private partial Tensor D(Tensor query, Tensor memory);",
            "[Forward] private Tensor Forward(Tensor x) { var m = E(x); return D(C(m, m), m); }");
        Assert.Equal(new[]
        {
            (SliceRole.QkvWeight, 0, 40, 48, new[] { 4, 12 }),
            (SliceRole.OutWeight, 0, 88, 16, new[] { 4, 4 }),
            (SliceRole.QkvBias, 0, 104, 12, new[] { 12 }),
            (SliceRole.OutBias, 0, 116, 4, new[] { 4 }),
        }, plan.Layers[1].Parameters.Select(Row));
        Assert.Equal(new[] { (SliceRole.QkvWeight, 0, 120, 48, new[] { 4, 12 }), (SliceRole.OutWeight, 0, 168, 16, new[] { 4, 4 }) }, plan.Layers[2].Parameters.Select(Row));
        Assert.Equal(184, plan.TotalParameters);
    }

    [Fact]
    public void Norms_GammaThenBeta_BatchNormStateInItsOwnBuffer()
    {
        var plan = Plan("3, 4",
            "[BatchNorm] private partial Tensor B1(Tensor x);",
            "[GroupNorm(3)] private partial Tensor G(Tensor x);",
            "[LayerNorm] private partial Tensor L(Tensor x);",
            "[BatchNorm(Momentum = 0.2f)] private partial Tensor B2(Tensor x);");
        Assert.Equal(new[] { (SliceRole.Gamma, 0, 0, 3, new[] { 3 }), (SliceRole.Beta, 0, 3, 3, new[] { 3 }) }, plan.Layers[0].Parameters.Select(Row));
        Assert.Equal(new[] { (SliceRole.Gamma, 0, 6, 3, new[] { 3 }), (SliceRole.Beta, 0, 9, 3, new[] { 3 }) }, plan.Layers[1].Parameters.Select(Row));
        Assert.Equal(new[] { (SliceRole.Gamma, 0, 12, 4, new[] { 4 }), (SliceRole.Beta, 0, 16, 4, new[] { 4 }) }, plan.Layers[2].Parameters.Select(Row));
        Assert.Equal(new[] { (SliceRole.RunningMean, 0, 0, 3, new[] { 3 }), (SliceRole.RunningVar, 0, 3, 3, new[] { 3 }) }, plan.Layers[0].State.Select(Row));
        Assert.Empty(plan.Layers[1].State);
        Assert.Equal(new[] { (SliceRole.RunningMean, 0, 6, 3, new[] { 3 }), (SliceRole.RunningVar, 0, 9, 3, new[] { 3 }) }, plan.Layers[3].State.Select(Row));
        Assert.Equal(12, plan.TotalState);
        Assert.Equal(26, plan.TotalParameters);
    }

    [Fact]
    public void LayersWithoutParameters_HaveNoSlices()
    {
        var plan = Plan("1, 4, 4",
            "[MaxPool2d(2)] private partial Tensor M(Tensor x);",
            "[AvgPool2d(1)] private partial Tensor A(Tensor x);",
            "[GlobalAvgPool] private partial Tensor G(Tensor x);",
            "[Dropout(0.5f)] private partial Tensor D(Tensor x);");
        Assert.All(plan.Layers, lp => Assert.Empty(lp.Parameters));
        Assert.All(plan.Layers, lp => Assert.Equal(-1, lp.WeightOffset));
        Assert.Equal(0, plan.TotalParameters);
    }

    [Fact]
    public void ValuePlan_NamesTheWholeBuffer_EachSharedLayerOnce_InBufferOrder()
    {
        var (spec, shapes) = Spec("4",
            "[Dense(4)] private partial Tensor A(Tensor x);",
            "[BatchNorm] private partial Tensor N(Tensor x);",
            "[Dense(2)] private partial Tensor B(Tensor x);",
            "[Forward] private Tensor F(Tensor x) => B(N(A(A(x))));");
        var plan = new ValuePlan(spec, shapes);
        Assert.Equal(new[]
        {
            ("A", SliceRole.Weight, 0, 16), ("A", SliceRole.Bias, 16, 4),
            ("N", SliceRole.Gamma, 20, 4), ("N", SliceRole.Beta, 24, 4),
            ("B", SliceRole.Weight, 28, 8), ("B", SliceRole.Bias, 36, 2),
        }, plan.ParameterSlices().Select(p => (p.Layer.Name, p.Slice.Role, p.Slice.Offset, p.Slice.Count)));
        Assert.Equal(38, shapes.TotalParameters);
        Assert.Equal(new[] { ("N", SliceRole.RunningMean, 0, 4), ("N", SliceRole.RunningVar, 4, 4) },
            plan.StateSlices().Select(p => (p.Layer.Name, p.Slice.Role, p.Slice.Offset, p.Slice.Count)));
    }
}
