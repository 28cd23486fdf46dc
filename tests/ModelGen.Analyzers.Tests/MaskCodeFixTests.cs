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

/// <summary>MG0206's fix: a masking Embedding without a padding id gets PaddingIndex = 0; Fix All fixes every one.</summary>
public class MaskCodeFixTests
{
    private const string First = """
        using ModelGen;
        [Model(Input = new[] { 16 })]
        public partial class M
        {
            [Embedding(50, 8, MaskPadding = true)] private partial Tensor Tokens(Tensor ids);
            [GRU(4)] private partial Tensor Encoder(Tensor x);
            [Dense(2)] private partial Tensor Logits(Tensor x);
        }
        """;

    [Fact]
    public async Task MG0206_InsertsPaddingIndexZero_BeforeMaskPadding()
    {
        var document = CodeFixTests.CreateDocument(First);
        var diagnostic = Assert.Single(await CodeFixTests.Diagnostics(document, "MG0206"));
        var actions = new List<CodeAction>();
        await new MaskPaddingIndexCodeFix().RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (a, _) => actions.Add(a), CancellationToken.None));
        var action = Assert.Single(actions);
        Assert.Equal("Pad with id 0 (PaddingIndex = 0)", action.Title);
        string fixedText = await CodeFixTests.Apply(document, action);
        Assert.Equal(First.Replace("[Embedding(50, 8, MaskPadding = true)]", "[Embedding(50, 8, PaddingIndex = 0, MaskPadding = true)]"), fixedText);
        Assert.Empty(await Harness.AnalyzeAsync(fixedText));
        var (_, output) = Harness.Generate(Harness.Compile(fixedText));
        Assert.Empty(Harness.Errors(output));
    }

    [Fact]
    public async Task MG0206_FixAll_FixesEveryMaskingEmbedding()
    {
        string source = First + "\n" + First.Replace("class M", "class N").Replace("using ModelGen;\n", "");
        Assert.Equal(2, (await CodeFixTests.Diagnostics(CodeFixTests.CreateDocument(source), "MG0206")).Length);
        string fixedText = await CodeFixTests.FixAll(new MaskPaddingIndexCodeFix(), source, "MG0206", "MG0206.PaddingIndexZero");
        Assert.Equal(source.Replace("MaskPadding = true)", "PaddingIndex = 0, MaskPadding = true)"), fixedText);
        Assert.Empty(await Harness.AnalyzeAsync(fixedText));
    }
}
