using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using ModelGen.CodeFixes;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Analyzers.Tests;

/// <summary>MG0201's fix: the head count becomes the nearest divisor of the width (fewer or more heads); Fix All applies one choice everywhere.</summary>
public class SequenceCodeFixTests
{
    private const string Before = """
        using ModelGen;
        [Model(Input = new[] { 16 })]
        public partial class M
        {
            [Embedding(50, 96)] private partial Tensor Tokens(Tensor ids);
            [MultiHeadAttention(5, Causal = true)] private partial Tensor First(Tensor x);
            [MultiHeadAttention(7)] private partial Tensor Second(Tensor x);
            [Dense(50)] private partial Tensor Logits(Tensor x);
        }
        """;

    [Fact]
    public async Task MG0201_OffersTheNearestDivisors_FewerFirst()
    {
        var document = CodeFixTests.CreateDocument(Before);
        var diagnostic = (await CodeFixTests.Diagnostics(document, "MG0201")).First();
        var actions = new List<CodeAction>();
        await new AttentionHeadsCodeFix().RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (a, _) => actions.Add(a), CancellationToken.None));
        Assert.Equal(new[] { "Change the head count to 4 (fewer heads; 4 divides 96)", "Change the head count to 6 (more heads; 6 divides 96)" }, actions.Select(a => a.Title));
        string fewer = await CodeFixTests.Apply(document, actions[0]);
        Assert.Equal(Before.Replace("MultiHeadAttention(5,", "MultiHeadAttention(4,"), fewer);
        string more = await CodeFixTests.Apply(document, actions[1]);
        Assert.Equal(Before.Replace("MultiHeadAttention(5,", "MultiHeadAttention(6,"), more);
    }

    [Fact]
    public async Task MG0201_FixAll_ChangesEveryLayer_AndTheResultIsClean()
    {
        Assert.Equal(2, (await CodeFixTests.Diagnostics(CodeFixTests.CreateDocument(Before), "MG0201")).Length);
        string fewer = await CodeFixTests.FixAll(new AttentionHeadsCodeFix(), Before, "MG0201", AttentionHeadsCodeFix.FewerHeads);
        Assert.Equal(Before.Replace("MultiHeadAttention(5,", "MultiHeadAttention(4,").Replace("MultiHeadAttention(7)", "MultiHeadAttention(6)"), fewer);
        Assert.Empty(await Harness.AnalyzeAsync(fewer));
        string more = await CodeFixTests.FixAll(new AttentionHeadsCodeFix(), Before, "MG0201", AttentionHeadsCodeFix.MoreHeads);
        Assert.Equal(Before.Replace("MultiHeadAttention(5,", "MultiHeadAttention(6,").Replace("MultiHeadAttention(7)", "MultiHeadAttention(8)"), more);
        Assert.Empty(await Harness.AnalyzeAsync(more));
        var (_, output) = Harness.Generate(Harness.Compile(more));
        Assert.Empty(Harness.Errors(output));
    }
}
