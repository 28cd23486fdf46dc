using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using ModelGen.CodeFixes;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Analyzers.Tests;

/// <summary>
/// [BatchNorm], [LayerNorm] and [GroupNorm] state the size they normalise with In, checked against their input like
/// Dense's (MG0036), with the same code fix; correct twins are clean.
/// </summary>
public class NormDeclaredInTests
{
    private static string Text(Diagnostic d) => d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan);

    internal const string ImageModel = """
        using ModelGen;
        [Model(Input = new[] { 1, 12, 12 })]
        public partial class M
        {
            [Conv2d(16, 3, Activation.ReLU, Padding = 1)] private partial Tensor C1(Tensor x);
            [BatchNorm(In = 16)] private partial Tensor Bn(Tensor x);
            [GroupNorm(4, In = 16)] private partial Tensor Gn(Tensor x);
            [GlobalAvgPool] private partial Tensor Pool(Tensor x);
            [Dense(32)] private partial Tensor Hidden(Tensor x);
            [LayerNorm(In = 32)] private partial Tensor Ln(Tensor x);
            [BatchNorm(In = 32, Momentum = 0.2f)] private partial Tensor Bn1(Tensor x);
            [Dense(10)] private partial Tensor Out(Tensor x);
        }
        """;

    [Fact]
    public async Task Twin_EveryNormWithTheRightIn_IsClean()
    {
        Assert.Empty(await Harness.AnalyzeAsync(ImageModel));
        var (_, output) = Harness.Generate(Harness.Compile(ImageModel));
        Assert.Empty(Harness.Errors(output));
    }

    [Theory]
    [InlineData("[BatchNorm(In = 16)]", "[BatchNorm(In = 32)]", "In = 32", "BatchNorm 'Bn' declares In = 32, but its input has 16 channels ('C1' (Conv2d))", "16")]
    [InlineData("[GroupNorm(4, In = 16)]", "[GroupNorm(4, In = 8)]", "In = 8", "GroupNorm 'Gn' declares In = 8, but its input has 16 channels ('Bn' (BatchNorm))", "16")]
    [InlineData("[LayerNorm(In = 32)]", "[LayerNorm(In = 64)]", "In = 64", "LayerNorm 'Ln' declares In = 64, but its input has 32 features ('Hidden' (Dense 32))", "32")]
    [InlineData("[BatchNorm(In = 32, Momentum = 0.2f)]", "[BatchNorm(In = 10, Momentum = 0.2f)]", "In = 10", "BatchNorm 'Bn1' declares In = 10, but its input has 32 features ('Ln' (LayerNorm))", "32")]
    public async Task MG0036_StatedSizeThatDiffers_IsReportedOnIn_AndFixed(string right, string wrong, string span, string message, string fixedIn)
    {
        string source = ImageModel.Replace(right, wrong);
        var d = Assert.Single(await Harness.AnalyzeAsync(source));
        Assert.Equal("MG0036", d.Id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Equal(span, Text(d));
        Assert.Equal(message, d.GetMessage(CultureInfo.InvariantCulture));

        var (after, title) = await CodeFixTests.ApplyFirstFix(new DenseInWidthCodeFix(), source, "MG0036");
        Assert.Equal($"Set In to {fixedIn} (the inferred size)", title);
        Assert.Equal(source.Replace(wrong, wrong.Replace(span, "In = " + fixedIn)), after);
        Assert.Empty(await Harness.AnalyzeAsync(after));
    }

    [Fact]
    public async Task MG0036_OnAGroupNorm_ComesBeforeItsGroupCheck()
    {
        // In = 6 is the mistake the user wrote; groups that do not divide 6 would be a follow-on, and 16 channels split into 4 groups.
        var d = Assert.Single(await Harness.AnalyzeAsync(ImageModel.Replace("[GroupNorm(4, In = 16)]", "[GroupNorm(4, In = 6)]")));
        Assert.Equal("MG0036", d.Id);
    }

    [Theory]
    [InlineData("[BatchNorm(In = 16)]", "[BatchNorm(In = -1)]", "In = -1", "BatchNorm 'Bn': In = -1 must be positive (or 0 to infer it)")]
    [InlineData("[GroupNorm(4, In = 16)]", "[GroupNorm(4, In = -2)]", "In = -2", "GroupNorm 'Gn': In = -2 must be positive (or 0 to infer it)")]
    [InlineData("[LayerNorm(In = 32)]", "[LayerNorm(In = -3)]", "In = -3", "LayerNorm 'Ln': In = -3 must be positive (or 0 to infer it)")]
    public async Task MG0004_NegativeIn_IsReportedOnIn(string right, string wrong, string span, string message)
    {
        var d = Assert.Single(await Harness.AnalyzeAsync(ImageModel.Replace(right, wrong)));
        Assert.Equal("MG0004", d.Id);
        Assert.Equal(span, Text(d));
        Assert.Equal(message, d.GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Twin_InZero_Infers()
    {
        Assert.Empty(await Harness.AnalyzeAsync(ImageModel.Replace("[BatchNorm(In = 16)]", "[BatchNorm(In = 0)]").Replace("[LayerNorm(In = 32)]", "[LayerNorm]")));
    }
}
