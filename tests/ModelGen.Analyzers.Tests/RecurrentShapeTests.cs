using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Analyzers.Tests;

/// <summary>Shape rules of LSTM, GRU, Conv1d, GroupNorm and Reshape (MG03xx): exact ID, span and arithmetic; correct twins are clean.</summary>
public class RecurrentShapeTests
{
    private static string Text(Diagnostic d) => d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan);

    private static async Task<Diagnostic> Single(string source, string id)
    {
        var diagnostics = await Harness.AnalyzeAsync(source);
        var d = Assert.Single(diagnostics);
        Assert.Equal(id, d.Id);
        return d;
    }

    private static string Model(string input, params string[] layers) => $$"""
        using ModelGen;
        [Model(Input = new[] { {{input}} })]
        public partial class M
        {
        {{string.Join("\n", layers.Select((l, i) => $"    {l} private partial Tensor L{i}(Tensor x);"))}}
        }
        """;

    [Fact]
    public async Task MG0301_RecurrentLayerOnAFlatInput_NamesTheShape()
    {
        var d = await Single(Model("64", "[LSTM(16)]", "[Dense(3)]"), "MG0301");
        Assert.Equal("LSTM(16)", Text(d));
        Assert.Equal("LSTM 'L0' needs [sequence, features] per sample, but gets [64]", d.GetMessage());
    }

    [Fact]
    public async Task MG0301_Twin_ReshapedIntoSteps_IsClean()
    {
        Assert.Empty(await Harness.AnalyzeAsync(Model("64", "[Reshape(16, 4)]", "[LSTM(16)]", "[Dense(3)]")));
    }

    [Fact]
    public async Task MG0301_Conv1dOnAnImage()
    {
        var d = await Single(Model("1, 8, 8", "[Conv1d(4, 3)]", "[Flatten]", "[Dense(3)]"), "MG0301");
        Assert.Equal("Conv1d(4, 3)", Text(d));
        Assert.Equal("Conv1d 'L0' needs [channels, length] per sample, but gets [1, 8, 8]", d.GetMessage());
    }

    [Fact]
    public async Task MG0301_InForward_IsReportedOnTheCall()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 12 })]
            public partial class M
            {
                [GRU(4)] private partial Tensor Encoder(Tensor x);
                [Dense(2)] private partial Tensor Out(Tensor x);
                [Forward] private Tensor F(Tensor x) => Out(Encoder(x));
            }
            """;
        var d = await Single(source, "MG0301");
        Assert.Equal("Encoder(x)", Text(d));
        Assert.Equal("GRU 'Encoder' needs [sequence, features] per sample, but gets [12]", d.GetMessage());
    }

    [Fact]
    public async Task BidirectionalDoubling_IsShownInTheWidthMessage()
    {
        var d = await Single(Model("10, 4", "[LSTM(16, Bidirectional = true)]", "[Dense(3, In = 16)]"), "MG0007");
        Assert.Equal("In = 16", Text(d));
        Assert.Equal("Dense 'L1' declares In = 16, but its input is 32 wide ('L0' (bidirectional LSTM 16: 2·16 = 32))", d.GetMessage());
        Assert.Equal("32", d.Properties["ModelGen.FixValue"]);
    }

    [Fact]
    public async Task BidirectionalDoubling_Twin_In32_IsClean()
    {
        Assert.Empty(await Harness.AnalyzeAsync(Model("10, 4", "[LSTM(16, Bidirectional = true)]", "[Dense(3, In = 32)]")));
        Assert.Empty(await Harness.AnalyzeAsync(Model("10, 4", "[GRU(8, Bidirectional = true, ReturnSequences = true)]", "[LSTM(4, In = 16)]", "[Dense(3, In = 4)]")));
    }

    [Fact]
    public async Task ReturnSequencesIntoDense_ActsAtEveryPosition()
    {
        // [10, 8] per sample: Dense applies to the last axis (one output row per position), as after attention.
        Assert.Empty(await Harness.AnalyzeAsync(Model("10, 4", "[LSTM(8, ReturnSequences = true)]", "[Dense(3, In = 8)]")));
        var d = await Single(Model("10, 4", "[LSTM(8, ReturnSequences = true)]", "[Dense(3, In = 80)]"), "MG0007");
        Assert.Contains("its input is 8 wide", d.GetMessage());
    }

    [Fact]
    public async Task MG0302_Conv1dKernelLongerThanTheSequence_ShowsTheFormula()
    {
        var d = await Single(Model("2, 5", "[Conv1d(4, 7)]", "[Flatten]", "[Dense(3)]"), "MG0302");
        Assert.Equal("Conv1d(4, 7)", Text(d));
        Assert.Equal("Conv1d 'L0': L = ⌊(5 + 2·0 − 1·(7 − 1) − 1)/1⌋ + 1 = ⌊-2/1⌋ + 1 ≤ 0; the output would be empty", d.GetMessage());
    }

    [Fact]
    public async Task MG0302_Twin_WithPadding_FitsOnePosition()
    {
        Assert.Empty(await Harness.AnalyzeAsync(Model("2, 5", "[Conv1d(4, 7, Padding = 1)]", "[Flatten]", "[Dense(3, In = 4)]")));
    }

    [Fact]
    public async Task MG0303_StrideThatDropsAPosition_IsAWarning()
    {
        var d = await Single(Model("2, 10", "[Conv1d(4, 3, Stride = 2)]", "[Flatten]", "[Dense(3)]"), "MG0303");
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        Assert.Equal("Conv1d(4, 3, Stride = 2)", Text(d));
        Assert.Equal("Conv1d 'L0' never reads the last position of its input: L = ⌊(10 + 2·0 − 1·(3 − 1) − 1)/2⌋ + 1 = 4, and the windows reach 9 of the 10 positions; "
            + "pad the input, or choose a kernel and stride that fit it", d.GetMessage());
    }

    [Theory]
    [InlineData("[Conv1d(4, 3, Stride = 2, Padding = 1)]")]   // 10 + 2 − 3 = 9, 9 % 2 = 1: the position over is padding
    [InlineData("[Conv1d(4, 1, Stride = 2)]")]               // a 1-wide kernel with stride 2 skips positions by design
    public async Task MG0303_Twins_PaddingOrAKernelSmallerThanTheStride_AreClean(string conv)
    {
        Assert.Empty(await Harness.AnalyzeAsync(Model("2, 10", conv, "[Flatten]", "[Dense(3)]")));
    }

    [Fact]
    public async Task MG0303_Twin_LengthThatDivides_IsClean()
    {
        Assert.Empty(await Harness.AnalyzeAsync(Model("2, 11", "[Conv1d(4, 3, Stride = 2)]", "[Flatten]", "[Dense(3, In = 20)]")));
    }

    [Fact]
    public async Task MG0307_SamePaddingWithStride2()
    {
        var d = await Single(Model("2, 10", "[Conv1d(4, 3, SamePadding = true, Stride = 2)]", "[Flatten]", "[Dense(3)]"), "MG0307");
        Assert.Equal("SamePadding = true", Text(d));
        Assert.Equal("Conv1d 'L0': 'same' padding keeps the length only with Stride = 1, but Stride = 2 would give ⌈10/2⌉ = 5 positions; set Padding instead", d.GetMessage());
    }

    [Fact]
    public async Task MG0307_Twin_SamePaddingKeepsTheLength_EvenKernelsToo()
    {
        Assert.Empty(await Harness.AnalyzeAsync(Model("2, 10", "[Conv1d(4, 4, SamePadding = true)]", "[Flatten]", "[Dense(3, In = 40)]")));
    }

    [Fact]
    public async Task SamePaddingAndPadding_AreAnArgumentError()
    {
        var d = await Single(Model("2, 10", "[Conv1d(4, 3, SamePadding = true, Padding = 1)]", "[Flatten]", "[Dense(3)]"), "MG0004");
        Assert.Equal("Padding = 1", Text(d));
    }

    [Fact]
    public async Task MG0304_GroupNormGroupsThatDoNotDivideTheChannels_ShowTheArithmetic()
    {
        var d = await Single(Model("12, 8", "[GroupNorm(5)]", "[Flatten]", "[Dense(3)]"), "MG0304");
        Assert.Equal("5", Text(d));
        Assert.Equal("GroupNorm 'L0': 12 channels are not divisible by 5 groups (12 % 5 = 2); the divisors of 12 are 1, 2, 3, 4, 6, 12", d.GetMessage());
    }

    [Fact]
    public async Task MG0304_Twin_GroupsThatDivide()
    {
        Assert.Empty(await Harness.AnalyzeAsync(Model("12, 8", "[GroupNorm(4)]", "[Flatten]", "[Dense(3)]")));
        Assert.Empty(await Harness.AnalyzeAsync(Model("6, 4, 4", "[GroupNorm(3, Epsilon = 1e-3f)]", "[Flatten]", "[Dense(3, In = 96)]")));
    }

    [Fact]
    public async Task MG0304_Conv1dGroups()
    {
        var d = await Single(Model("4, 10", "[Conv1d(8, 3, Groups = 3)]", "[Flatten]", "[Dense(3)]"), "MG0304");
        Assert.Equal("Groups = 3", Text(d));
        Assert.Equal("Conv1d 'L0': input and output channels must both be divisible by Groups = 3, but input channels 4 % 3 = 1 and output channels 8 % 3 = 2", d.GetMessage());
        Assert.Empty(await Harness.AnalyzeAsync(Model("4, 10", "[Conv1d(8, 3, Groups = 4)]", "[Flatten]", "[Dense(3)]")));
    }

    [Fact]
    public async Task MG0305_ReshapeElementCount_ShowsBothProducts()
    {
        var d = await Single(Model("2, 3, 4", "[Reshape(5, 5)]", "[LSTM(4)]", "[Dense(3)]"), "MG0305");
        Assert.Equal("Reshape(5, 5)", Text(d));
        Assert.Equal("Reshape 'L0': [5, 5] holds 5·5 = 25 elements, but its input [2, 3, 4] holds 2·3·4 = 24", d.GetMessage());
    }

    [Fact]
    public async Task MG0305_InferredDimensionThatDoesNotDivide()
    {
        var d = await Single(Model("24", "[Reshape(-1, 5)]", "[LSTM(4)]", "[Dense(3)]"), "MG0305");
        Assert.Equal("Reshape 'L0': [-1, 5] needs a multiple of 5 elements, but its input [24] holds 24 (24 % 5 = 4)", d.GetMessage());
    }

    [Fact]
    public async Task MG0305_Twin_MatchingCounts()
    {
        Assert.Empty(await Harness.AnalyzeAsync(Model("2, 3, 4", "[Reshape(6, 4)]", "[LSTM(4, In = 4)]", "[Dense(3)]")));
        Assert.Empty(await Harness.AnalyzeAsync(Model("24", "[Reshape(-1, 6)]", "[GRU(4, In = 6)]", "[Dense(3)]")));
    }

    [Fact]
    public async Task Reshape_InvalidTarget_IsAnArgumentError()
    {
        var d = await Single(Model("24", "[Reshape(-1, -1)]", "[LSTM(4)]", "[Dense(3)]"), "MG0004");
        Assert.Equal("Reshape(-1, -1)", Text(d));
        Assert.Contains("has more than one −1", d.GetMessage());
    }

    [Fact]
    public async Task MG0306_DeclaredFeaturesPerStep_AreChecked()
    {
        var d = await Single(Model("10, 4", "[LSTM(8, In = 3)]", "[Dense(2)]"), "MG0306");
        Assert.Equal("In = 3", Text(d));
        Assert.Equal("LSTM 'L0' declares In = 3, but its input has 4 features per step (the model input)", d.GetMessage());
        Assert.Equal("4", d.Properties["ModelGen.FixValue"]);
    }

    [Fact]
    public async Task MG0306_DeclaredConv1dChannels_AreChecked()
    {
        var d = await Single(Model("10, 4", "[Conv1d(8, 3, Activation.ReLU)]", "[Conv1d(8, 2, In = 6)]", "[Flatten]", "[Dense(2)]"), "MG0306");
        Assert.Equal("In = 6", Text(d));
        Assert.Equal("Conv1d 'L1' declares In = 6, but its input has 8 channels ('L0' (Conv1d))", d.GetMessage());
    }

    [Fact]
    public async Task MG0306_Twin_MatchingDeclarations_AreClean()
    {
        Assert.Empty(await Harness.AnalyzeAsync(Model("10, 4", "[GRU(8, In = 4)]", "[Dense(2)]")));
        Assert.Empty(await Harness.AnalyzeAsync(Model("10, 4", "[Conv1d(8, 3, Activation.ReLU)]", "[Conv1d(8, 2, In = 8)]", "[Flatten]", "[Dense(2)]")));
    }

    [Fact]
    public async Task InvalidArguments_AreReportedOnTheArgument()
    {
        var d = await Single(Model("10, 4", "[LSTM(0)]", "[Dense(2)]"), "MG0004");
        Assert.Equal("0", Text(d));
        Assert.Equal("LSTM 'L0': needs a hidden size of at least 1, but hiddenSize = 0", d.GetMessage());
        d = await Single(Model("10, 4", "[Conv1d(4, 3, Dilation = 0)]", "[Flatten]", "[Dense(2)]"), "MG0004");
        Assert.Equal("Dilation = 0", Text(d));
    }
}
