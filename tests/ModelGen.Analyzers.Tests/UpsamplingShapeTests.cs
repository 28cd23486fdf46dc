using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Analyzers.Tests;

/// <summary>Shape rules of ConvTranspose2d and Upsample: exact ID, span and arithmetic; correct twins are clean.</summary>
public class UpsamplingShapeTests
{
    private static string Text(Diagnostic d) => d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan);

    private static async Task<Diagnostic> Single(string source, string id)
    {
        var diagnostics = await Harness.AnalyzeAsync(source);
        var d = Assert.Single(diagnostics);
        Assert.Equal(id, d.Id);
        return d;
    }

    private static string Decoder(string up1 = "[ConvTranspose2d(8, 3, Activation.ReLU, Stride = 2, Padding = 1, OutputPadding = 1)]",
        string up2 = "[Upsample(2, Mode = UpsampleMode.Bilinear)]", string input = "16, 2, 2", string flat = "[Dense(4, In = 512)]") => $$"""
        using ModelGen;
        [Model(Input = new[] { {{input}} }, Loss = Loss.MeanSquaredError)]
        public partial class Decoder
        {
            {{up1}} private partial Tensor Up1(Tensor x);
            {{up2}} private partial Tensor Up2(Tensor x);
            [Flatten] private partial Tensor Flat(Tensor x);
            {{flat}} private partial Tensor Out(Tensor x);
        }
        """;

    [Fact]
    public async Task Decoder_IsClean()
    {
        // [16, 2, 2] → (2 − 1)·2 − 2·1 + 1·(3 − 1) + 1 + 1 = 4 → [8, 4, 4] → ×2 → [8, 8, 8] → 512.
        Assert.Empty(await Harness.AnalyzeAsync(Decoder()));
        // Output padding 1 with stride 1 is allowed when the dilation is 2: H = 1 − 0 + 2·2 + 1 + 1 = 7, then [8, 14, 14].
        Assert.Empty(await Harness.AnalyzeAsync(Decoder(up1: "[ConvTranspose2d(8, 3, Dilation = 2, OutputPadding = 1)]", flat: "[Dense(4, In = 1568)]")));
        // Nearest by (3, 1): [8, 12, 4].
        Assert.Empty(await Harness.AnalyzeAsync(Decoder(up2: "[Upsample(3, 1)]", flat: "[Dense(4, In = 384)]")));
    }

    [Fact]
    public async Task FlattenWidth_FollowsTheUpsampledShape()
    {
        var d = await Single(Decoder(flat: "[Dense(4, In = 500)]"), "MG0007");
        Assert.Equal("In = 500", Text(d));
        Assert.Equal("512", d.Properties["ModelGen.FixValue"]);
    }

    [Fact]
    public async Task MG0108_OutputPaddingNotBelowStrideOrDilation()
    {
        var d = await Single(Decoder(up1: "[ConvTranspose2d(8, 3, Stride = 2, Padding = 1, OutputPadding = 2)]"), "MG0108");
        Assert.Equal("OutputPadding = 2", Text(d));
        Assert.Equal("ConvTranspose2d 'Up1': OutputPadding = 2 must be smaller than Stride = 2 or Dilation = 1", d.GetMessage());
    }

    [Fact]
    public async Task MG0109_PaddingRemovesTheWholeOutput_ShowsTheFormula()
    {
        var d = await Single(Decoder(up1: "[ConvTranspose2d(8, 3, Padding = 2)]"), "MG0109");
        Assert.Equal("Padding = 2", Text(d));
        Assert.Equal("ConvTranspose2d 'Up1': H = (2 − 1)·1 − 2·2 + 1·(3 − 1) + 0 + 1 = 0; the output would be empty", d.GetMessage());
    }

    [Fact]
    public async Task MG0110_GroupsMustDivideBothChannelCounts()
    {
        var d = await Single(Decoder(up1: "[ConvTranspose2d(8, 3, Stride = 2, Padding = 1, OutputPadding = 1, Groups = 3)]"), "MG0110");
        Assert.Equal("Groups = 3", Text(d));
        Assert.Equal("ConvTranspose2d 'Up1': input channels 16 and output channels 8 must both be divisible by Groups = 3, but 16 % 3 = 1 and 8 % 3 = 2", d.GetMessage());
    }

    [Fact]
    public async Task MG0111_DeclaredInputChannels_AreChecked()
    {
        var d = await Single(Decoder(up1: "[ConvTranspose2d(8, 3, Stride = 2, Padding = 1, OutputPadding = 1, In = 32)]"), "MG0111");
        Assert.Equal("In = 32", Text(d));
        Assert.Equal("ConvTranspose2d 'Up1' declares In = 32, but its input has 16 channels (the model input)", d.GetMessage());
        Assert.Equal("16", d.Properties["ModelGen.FixValue"]);
    }

    [Fact]
    public async Task MG0101_UpsamplingAFlatInput()
    {
        var d = await Single(Decoder(input: "64", up1: "[Upsample(2)]", up2: "[Dropout(0.1f)]", flat: "[Dense(4)]"), "MG0101");
        Assert.Equal("Upsample(2)", Text(d));
        Assert.Equal("Upsample 'Up1' needs [channels, height, width] per sample, but gets [64]", d.GetMessage());
        d = await Single(Decoder(input: "64", up1: "[ConvTranspose2d(8, 3)]", up2: "[Dropout(0.1f)]", flat: "[Dense(4)]"), "MG0101");
        Assert.Equal("ConvTranspose2d(8, 3)", Text(d));
        Assert.Equal("ConvTranspose2d 'Up1' needs [channels, height, width] per sample, but gets [64]", d.GetMessage());
    }

    [Theory]
    [InlineData("[Upsample(0)]", "0", "Upsample 'Up2': scale = 0 must be at least 1")]
    [InlineData("[Upsample(2, -1)]", "-1", "Upsample 'Up2': scaleWidth = -1 must be at least 1")]
    [InlineData("[Upsample(2, AlignCorners = true)]", "AlignCorners = true", "Upsample 'Up2': AlignCorners applies to Mode = UpsampleMode.Bilinear only (nearest has no corners to align, as in PyTorch)")]
    [InlineData("[Upsample(2, Mode = (UpsampleMode)7)]", "Mode = (UpsampleMode)7", "Upsample 'Up2': Mode value 7 is not a ModelGen.UpsampleMode")]
    public async Task MG0004_UpsampleArguments(string up2, string span, string message)
    {
        var d = await Single(Decoder(up2: up2, flat: "[Dense(4)]"), "MG0004");
        Assert.Equal(span, Text(d));
        Assert.Equal(message, d.GetMessage());
    }

    [Theory]
    [InlineData("[ConvTranspose2d(8, 3, OutputPadding = -1)]", "OutputPadding = -1", "ConvTranspose2d 'Up1': OutputPadding = -1 must be 0 or more")]
    [InlineData("[ConvTranspose2d(8, 0)]", "0", "ConvTranspose2d 'Up1': needs a kernel of at least 1, but kernelSize = 0")]
    [InlineData("[ConvTranspose2d(8, 3, Stride = 0)]", "Stride = 0", "ConvTranspose2d 'Up1': Stride = 0 must be at least 1")]
    public async Task MG0004_ConvTransposeArguments(string up1, string span, string message)
    {
        var d = await Single(Decoder(up1: up1, flat: "[Dense(4)]"), "MG0004");
        Assert.Equal(span, Text(d));
        Assert.Equal(message, d.GetMessage());
    }
}
