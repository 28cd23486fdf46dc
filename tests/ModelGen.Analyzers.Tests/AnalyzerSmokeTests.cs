using System.Threading.Tasks;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Analyzers.Tests;

public class AnalyzerSmokeTests
{
    [Fact]
    public async Task DenseInWidthMismatch_IsReportedOnTheInArgument()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class M
            {
                [Dense(128, Activation.ReLU)] private partial Tensor A(Tensor x);
                [Dense(10, In = 64)] private partial Tensor B(Tensor x);
            }
            """;
        var diagnostics = await Harness.AnalyzeAsync(source);
        var d = Assert.Single(diagnostics);
        Assert.Equal("MG0007", d.Id);
        Assert.Equal("In = 64", d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan));
        Assert.Contains("its input is 128 wide", d.GetMessage());
    }

    [Fact]
    public async Task CorrectModel_HasNoDiagnostics_AndGeneratedCodeCompiles()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class M
            {
                [Dense(128, Activation.ReLU)] private partial Tensor A(Tensor x);
                [Dense(10, In = 128)] private partial Tensor B(Tensor x);
            }
            """;
        Assert.Empty(await Harness.AnalyzeAsync(source));
        var (_, output) = Harness.Generate(Harness.Compile(source));
        Assert.Empty(Harness.Errors(output));
    }
}
