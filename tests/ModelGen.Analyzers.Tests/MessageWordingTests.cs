using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Analyzers.Tests;

/// <summary>
/// Messages name what the user wrote: operations by their expression text (never the generated code's labels such as
/// <c>concat_1</c>), concat widths as sums, remainders where a size does not divide, and where a flattened size comes from.
/// </summary>
public class MessageWordingTests
{
    private static string Text(Diagnostic d) => d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan);

    private static string Graph(string forward, string layers, string input = "64") => $$"""
        using ModelGen;
        [Model(Input = new[] { {{input}} })]
        public partial class M
        {
        {{layers}}
            [Forward] private Tensor F(Tensor x) {{forward}}
        }
        """;

    private const string ABLayers = """
            [Dense(32)] private partial Tensor A(Tensor x);
            [Dense(16)] private partial Tensor B(Tensor x);
            [Dense(10, In = 40)] private partial Tensor Out(Tensor x);
        """;

    [Fact]
    public async Task DenseAfterAConcat_ShowsTheWidthAsTheSumOfItsParts()
    {
        var d = Assert.Single(await Harness.AnalyzeAsync(Graph("=> Out(Tensor.Concat(A(x), B(x)));", ABLayers)));
        Assert.Equal("MG0007", d.Id);
        Assert.Equal("In = 40", Text(d));
        Assert.Equal("Dense 'Out' declares In = 40, but its input is 48 wide ('Tensor.Concat(A(x), B(x))' (32 + 16 = 48))", d.GetMessage(CultureInfo.InvariantCulture));
        Assert.Equal("48", d.Properties["ModelGen.FixValue"]);
    }

    [Fact]
    public async Task AConcatAlongTheFirstAxis_NamesTheAxisOfTheSum()
    {
        string layers = """
                [Reshape(4, 8)] private partial Tensor R(Tensor x);
                [Flatten] private partial Tensor Flat(Tensor x);
                [Dense(10, In = 40)] private partial Tensor Out(Tensor x);
            """;
        var d = Assert.Single(await Harness.AnalyzeAsync(Graph("{ var r = R(x); return Out(Flat(Tensor.Concat(1, Tensor.Concat(0, r, r), r))); }", layers, "32")));
        Assert.Equal("MG0401", d.Id);
        Assert.Equal("Tensor.Concat(1, Tensor.Concat(0, r, r), r)", Text(d));
        Assert.Equal("Tensor.Concat along axis 1: 'Tensor.Concat(0, r, r)' (4 + 4 = 8 along axis 0) is [8, 8] and 'R' (Reshape) is [4, 8]; "
            + "they must agree on every axis but 1, yet axis 0 is 8 vs 4 (axis 1 would be 8 + 8 = 16)", d.GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task AnOperandThatIsAnOperation_IsNamedByItsExpression_WithSpacingCollapsed()
    {
        string layers = """
                [Dense(64)] private partial Tensor A(Tensor x);
                [Dense(10)] private partial Tensor Out(Tensor x);
            """;
        var d = Assert.Single(await Harness.AnalyzeAsync(Graph("{ var h = A(x)   +\n        x; return Out(x) * h; }", layers)));
        Assert.Equal("MG0008", d.Id);
        Assert.Equal("Out(x) * h", Text(d));
        Assert.Equal("'Out(x) * h' needs operands of equal shape, but 'Out' (Dense 10) is [10] and 'A(x) + x' is [64] (ModelGen never broadcasts implicitly)",
            d.GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task AFlattenedSize_ShowsThePoolingArithmeticBehindIt()
    {
        // 12 → conv 3 (padding 1) → 12 → pool 2 stride 2 → 6; 7 × 7 would need another size: 16 channels × 6 × 6 = 576.
        string source = """
            using ModelGen;
            [Model(Input = new[] { 1, 12, 12 })]
            public partial class M
            {
                [Conv2d(16, 3, Padding = 1)] private partial Tensor C(Tensor x);
                [MaxPool2d(3, Stride = 2, Padding = 1)] private partial Tensor P(Tensor x);
                [Flatten] private partial Tensor Flat(Tensor x);
                [Dense(10, In = 400)] private partial Tensor Out(Tensor x);
            }
            """;
        var d = Assert.Single(await Harness.AnalyzeAsync(source));
        Assert.Equal("MG0007", d.Id);
        Assert.Equal("Dense 'Out' declares In = 400, but its input is 576 wide ('Flat' (Flatten of [16, 6, 6]: 16 channels × 6 × 6 = 576, where 6 = ⌊(12 + 2·1 − 3)/2⌋ + 1 from MaxPool2d 'P'))",
            d.GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task AFlattenedSizeOfUnequalAxes_ShowsBothAxes()
    {
        string source = """
            using ModelGen;
            [Model(Input = new[] { 1, 10, 8 })]
            public partial class M
            {
                [Conv2d(4, 3)] private partial Tensor C(Tensor x);
                [Flatten] private partial Tensor Flat(Tensor x);
                [Dense(10, In = 50)] private partial Tensor Out(Tensor x);
            }
            """;
        var d = Assert.Single(await Harness.AnalyzeAsync(source));
        Assert.Equal("Dense 'Out' declares In = 50, but its input is 192 wide ('Flat' (Flatten of [4, 8, 6]: 4 channels × 8 × 6 = 192, where 8 = 10 − 3 + 1 and 6 = 8 − 3 + 1 from Conv2d 'C'))",
            d.GetMessage(CultureInfo.InvariantCulture));
    }

    /// <summary>Broken graphs whose messages describe operations: none may name a generated-code label.</summary>
    public static IEnumerable<object[]> BrokenGraphs() => new[]
    {
        new object[] { Graph("=> Out(Tensor.Concat(A(x), B(x)));", ABLayers) },
        new object[] { Graph("{ var s = A(x) + A(x); var p = s * B(x); return Out(p); }", ABLayers) },
        new object[] { Graph("{ var c = Tensor.Concat(A(x), B(x)); var d = c + x; return Out(Tensor.Concat(d, c)); }", ABLayers) },
        new object[] { Graph("{ var c = Tensor.Concat(A(x), x); return Out(c * c + c); }", ABLayers) },
        new object[] { Graph("=> Out(Tensor.Concat(0, A(x), Tensor.Concat(B(x), B(x))) + x);", ABLayers) },
    };

    [Theory]
    [MemberData(nameof(BrokenGraphs))]
    public async Task NoMessage_NamesAGeneratedLabel(string source)
    {
        var diagnostics = await Harness.AnalyzeAsync(source);
        Assert.NotEmpty(diagnostics);
        foreach (var d in diagnostics)
            Assert.DoesNotMatch(new Regex(@"\b(add|multiply|concat)_?\d+\b"), d.GetMessage(CultureInfo.InvariantCulture));
    }
}
