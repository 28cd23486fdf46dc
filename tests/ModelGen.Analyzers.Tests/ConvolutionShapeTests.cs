using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Analyzers.Tests;

/// <summary>Shape rules of convolution and pooling: exact ID, span and arithmetic; correct twins are clean.</summary>
public class ConvolutionShapeTests
{
    private static string Text(Diagnostic d) => d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan);

    private static async Task<Diagnostic> Single(string source, string id)
    {
        var diagnostics = await Harness.AnalyzeAsync(source);
        var d = Assert.Single(diagnostics);
        Assert.Equal(id, d.Id);
        return d;
    }

    private static string LeNet(string c1 = "[Conv2d(6, 5, Activation.ReLU, Padding = 2)]", string p1 = "[MaxPool2d(2)]", string c2 = "[Conv2d(16, 5, Activation.ReLU)]", string fc1 = "[Dense(120, Activation.ReLU, In = 400)]", int size = 28) => $$"""
        using ModelGen;
        [Model(Input = new[] { 1, {{size}}, {{size}} })]
        public partial class LeNet
        {
            {{c1}} private partial Tensor C1(Tensor x);
            {{p1}} private partial Tensor P1(Tensor x);
            {{c2}} private partial Tensor C2(Tensor x);
            [MaxPool2d(2)] private partial Tensor P2(Tensor x);
            [Flatten] private partial Tensor Flat(Tensor x);
            {{fc1}} private partial Tensor Fc1(Tensor x);
            [Dense(10)] private partial Tensor Logits(Tensor x);
        }
        """;

    [Fact]
    public async Task LeNet5_IsClean()
    {
        Assert.Empty(await Harness.AnalyzeAsync(LeNet()));
    }

    [Fact]
    public async Task FlattenWidthMismatch_ShowsTheProduct()
    {
        // Without C1's padding: 28 → 24 → 12 → 8 → 4, so Flatten gives 16·4·4 = 256, not 400; the message shows where the last 4 comes from.
        var d = await Single(LeNet(c1: "[Conv2d(6, 5, Activation.ReLU)]"), "MG0007");
        Assert.Equal("In = 400", Text(d));
        Assert.Equal("Dense 'Fc1' declares In = 400, but its input is 256 wide ('Flat' (Flatten of [16, 4, 4]: 16 channels × 4 × 4 = 256, where 4 = (8 − 2)/2 + 1 from MaxPool2d 'P2'))", d.GetMessage());
        Assert.Equal("256", d.Properties["ModelGen.FixValue"]);
    }

    [Fact]
    public async Task MG0101_ConvolutionOnAFlatInput()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class M
            {
                [Conv2d(8, 3)] private partial Tensor C(Tensor x);
                [Flatten] private partial Tensor F(Tensor x);
                [Dense(10)] private partial Tensor D(Tensor x);
            }
            """;
        var d = await Single(source, "MG0101");
        Assert.Equal("Conv2d(8, 3)", Text(d));
        Assert.Equal("Conv2d 'C' needs [channels, height, width] per sample, but gets [64]", d.GetMessage());
    }

    [Fact]
    public async Task MG0102_KernelLargerThanTheImage_ShowsTheFormula()
    {
        var d = await Single(LeNet(size: 8, c1: "[Conv2d(6, 5, Activation.ReLU)]", fc1: "[Dense(120, Activation.ReLU)]"), "MG0102");
        // 8 → 4 → pool 2 → conv 5: H = ⌊(2 + 0 − 4 − 1)/1⌋ + 1 ≤ 0
        Assert.Equal("Conv2d(16, 5, Activation.ReLU)", Text(d));
        Assert.Equal("Conv2d 'C2': H = ⌊(2 + 2·0 − 1·(5 − 1) − 1)/1⌋ + 1 = ⌊-3/1⌋ + 1 ≤ 0; the output would be empty", d.GetMessage());
    }

    [Fact]
    public async Task MG0103_PoolingThatLeavesTheLastRowAndColumnUnread_IsOneWarning()
    {
        // 2×2 stride 2 on 29: 14 windows read rows 0–27, row 28 is real and unread, and the kernel (2) is not smaller
        // than the stride (2), so nothing else skips rows by design.
        var diagnostics = await Harness.AnalyzeAsync(LeNet(size: 29, p1: "[MaxPool2d(2)]", fc1: "[Dense(120, Activation.ReLU)]"));
        var d = Assert.Single(diagnostics);
        Assert.Equal("MG0103", d.Id);
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        Assert.Equal("MaxPool2d(2)", Text(d));
        Assert.Equal(5, d.Location.GetLineSpan().StartLinePosition.Line);
        Assert.Equal("MaxPool2d 'P1' never reads the last row and the last column of its input: "
            + "H = ⌊(29 + 2·0 − 1·(2 − 1) − 1)/2⌋ + 1 = 14, and the windows reach 28 of the 29 rows; "
            + "W = ⌊(29 + 2·0 − 1·(2 − 1) − 1)/2⌋ + 1 = 14, and the windows reach 28 of the 29 columns; "
            + "pad the input, or choose a kernel and stride that fit it", d.GetMessage());
    }

    private static string Image(string height, string width, params string[] layers) => $$"""
        using ModelGen;
        [Model(Input = new[] { 3, {{height}}, {{width}} })]
        public partial class M
        {
        {{string.Join("\n", layers.Select((l, i) => $"    {l} private partial Tensor L{i}(Tensor x);"))}}
            [GlobalAvgPool] private partial Tensor Pool(Tensor x);
            [Dense(10)] private partial Tensor Out(Tensor x);
        }
        """;

    [Theory]
    // The ResNet stem: 7×7 stride 2 padding 3 on 224 leaves one padded row over, and it is padding.
    [InlineData("224", "224", "[Conv2d(64, 7, Stride = 2, Padding = 3)]")]
    // Its 3×3 stride-2 max pool with padding 1 on 112: the row left over is padding again.
    [InlineData("112", "112", "[MaxPool2d(3, Stride = 2, Padding = 1)]")]
    // A 1×1 stride-2 shortcut skips every other row by design, the last one included.
    [InlineData("56", "56", "[Conv2d(128, 1, Stride = 2)]")]
    [InlineData("7", "7", "[Conv2d(128, 1, Stride = 2)]")]
    // 3×3 stride 2 without padding on 7 and 2×2 stride 2 on 8: every row is read.
    [InlineData("7", "7", "[Conv2d(8, 3, Stride = 2)]")]
    [InlineData("8", "8", "[MaxPool2d(2)]")]
    // The whole stem in a row: 224 → 112 → 56 → 28.
    [InlineData("224", "224", "[Conv2d(64, 7, Stride = 2, Padding = 3)]", "[MaxPool2d(3, Stride = 2, Padding = 1)]", "[Conv2d(64, 3, Stride = 2, Padding = 1)]")]
    public async Task MG0103_Twins_StandardDownsamplingDesigns_AreClean(string height, string width, params string[] layers)
    {
        Assert.Empty(await Harness.AnalyzeAsync(Image(height, width, layers)));
    }

    [Fact]
    public async Task MG0103_TwoByTwoStride2OnAnOddSize_WarnsAboutTheLastRowOnly()
    {
        // 7 × 8: rows 0–5 of 7 are read (row 6 is real), every column of 8.
        var d = Assert.Single(await Harness.AnalyzeAsync(Image("7", "8", "[AvgPool2d(2)]")));
        Assert.Equal("MG0103", d.Id);
        Assert.Equal("AvgPool2d(2)", Text(d));
        Assert.Equal("AvgPool2d 'L0' never reads the last row of its input: H = ⌊(7 + 2·0 − 1·(2 − 1) − 1)/2⌋ + 1 = 3, and the windows reach 6 of the 7 rows; "
            + "pad the input, or choose a kernel and stride that fit it", d.GetMessage());
    }

    [Fact]
    public async Task MG0103_ALargeStrideThatSkipsRealRows_NamesBothAxesInOneWarning()
    {
        // 5×5 stride 3 padding 1. On 28 × 27: H: 28 + 2 − 5 = 25, 25 % 3 = 1 padded row over, which is padding;
        // W: 24 % 3 = 0. On 29 × 32: H: 26 % 3 = 2 rows over, the first padding and the second real; W: 29 % 3 = 2, likewise.
        Assert.Empty(await Harness.AnalyzeAsync(Image("28", "27", "[Conv2d(8, 5, Stride = 3, Padding = 1)]")));
        var d = Assert.Single(await Harness.AnalyzeAsync(Image("29", "32", "[Conv2d(8, 5, Stride = 3, Padding = 1)]")));
        Assert.Equal("MG0103", d.Id);
        Assert.Equal("Conv2d(8, 5, Stride = 3, Padding = 1)", Text(d));
        Assert.Equal("Conv2d 'L0' never reads the last row and the last column of its input: "
            + "H = ⌊(29 + 2·1 − 1·(5 − 1) − 1)/3⌋ + 1 = 9, and the windows reach 28 of the 29 rows; "
            + "W = ⌊(32 + 2·1 − 1·(5 − 1) − 1)/3⌋ + 1 = 10, and the windows reach 31 of the 32 columns; "
            + "pad the input, or choose a kernel and stride that fit it", d.GetMessage());
        // 5×5 stride 4 on 29 × 12: every row is read (24 % 4 = 0), the last 3 columns are not (7 % 4 = 3).
        var wide = Assert.Single(await Harness.AnalyzeAsync(Image("29", "12", "[Conv2d(8, 5, Stride = 4)]")));
        Assert.Equal("Conv2d 'L0' never reads the last 3 columns of its input: W = ⌊(12 + 2·0 − 1·(5 − 1) − 1)/4⌋ + 1 = 2, and the windows reach 9 of the 12 columns; "
            + "pad the input, or choose a kernel and stride that fit it", wide.GetMessage());
    }

    [Fact]
    public async Task MG0104_SamePaddingWithStride2()
    {
        var d = await Single(LeNet(c1: "[Conv2d(6, 5, Activation.ReLU, SamePadding = true, Stride = 2)]", fc1: "[Dense(120, Activation.ReLU)]"), "MG0104");
        Assert.Equal("SamePadding = true", Text(d));
        Assert.Equal("Conv2d 'C1': 'same' padding needs Stride = 1, but Stride = 2", d.GetMessage());
    }

    [Fact]
    public async Task MG0104_Twin_SamePaddingWithStride1_KeepsTheSize()
    {
        Assert.Empty(await Harness.AnalyzeAsync(LeNet(c1: "[Conv2d(6, 5, Activation.ReLU, SamePadding = true)]")));
    }

    [Fact]
    public async Task MG0105_GroupsThatDoNotDivideTheChannels()
    {
        var d = await Single(LeNet(c2: "[Conv2d(16, 5, Activation.ReLU, Groups = 4)]"), "MG0105");
        Assert.Equal("Groups = 4", Text(d));
        Assert.Equal("Conv2d 'C2': input channels 6 and output channels 16 must both be divisible by Groups = 4, but 6 % 4 = 2", d.GetMessage());
    }

    [Fact]
    public async Task MG0105_Twin_GroupsThatDivide()
    {
        Assert.Empty(await Harness.AnalyzeAsync(LeNet(c2: "[Conv2d(16, 5, Activation.ReLU, Groups = 2)]")));
    }

    [Fact]
    public async Task MG0106_PoolPaddingOverHalfTheKernel()
    {
        var d = await Single(LeNet(p1: "[MaxPool2d(2, Padding = 2)]", fc1: "[Dense(120, Activation.ReLU)]"), "MG0106");
        Assert.Equal("Padding = 2", Text(d));
        Assert.Contains("MaxPool2d 'P1': Padding = 2 is more than half the kernel size 2", d.GetMessage());
    }

    [Fact]
    public async Task MG0107_DeclaredInputChannels_AreChecked()
    {
        var d = await Single(LeNet(c2: "[Conv2d(16, 5, Activation.ReLU, In = 3)]"), "MG0107");
        Assert.Equal("In = 3", Text(d));
        Assert.Equal("Conv2d 'C2' declares In = 3, but its input has 6 channels ('P1' (MaxPool2d))", d.GetMessage());
        Assert.Equal("6", d.Properties["ModelGen.FixValue"]);
    }

    [Fact]
    public async Task GlobalAvgPool_GivesChannels()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 3, 16, 16 })]
            public partial class M
            {
                [Conv2d(8, 3, Activation.ReLU, SamePadding = true)] private partial Tensor C(Tensor x);
                [GlobalAvgPool] private partial Tensor G(Tensor x);
                [Dense(10, In = 8)] private partial Tensor D(Tensor x);
            }
            """;
        Assert.Empty(await Harness.AnalyzeAsync(source));
    }
}
