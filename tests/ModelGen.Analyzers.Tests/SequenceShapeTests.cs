using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Analyzers.Tests;

/// <summary>Shape rules of the sequence layers (MG0201–MG0205) and Dense over [sequence, features]: exact ID, span and arithmetic; correct twins are clean.</summary>
public class SequenceShapeTests
{
    private static string Text(Diagnostic d) => d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan);

    private static async Task<Diagnostic> Single(string source, string id)
    {
        var diagnostics = await Harness.AnalyzeAsync(source);
        var d = Assert.Single(diagnostics);
        Assert.Equal(id, d.Id);
        return d;
    }

    private static async Task AssertCleanAndCompiles(string source)
    {
        Assert.Empty(await Harness.AnalyzeAsync(source));
        var (run, output) = Harness.Generate(Harness.Compile(source));
        Assert.Empty(Harness.Errors(output));
        // Real code, not the stubs of a model with errors.
        Assert.Contains("class Graph<T>", Harness.CpuSource(run.Results.Single()));
    }

    private static string Block(string embedding = "[Embedding(96, 128)]", string positions = "[PositionalEmbedding(64)]", string attention = "[MultiHeadAttention(4, Causal = true)]", int length = 64) => $$"""
        using ModelGen;
        [Model(Input = new[] { {{length}} })]
        public partial class M
        {
            {{embedding}} private partial Tensor Tokens(Tensor ids);
            {{positions}} private partial Tensor Positions(Tensor x);
            [LayerNorm] private partial Tensor Norm(Tensor x);
            {{attention}} private partial Tensor Attention(Tensor x);
            [Dense(96)] private partial Tensor Logits(Tensor x);

            [Forward]
            private Tensor Forward(Tensor ids)
            {
                var x = Positions(Tokens(ids));
                x = x + Attention(Norm(x));
                return Logits(x);
            }
        }
        """;

    [Fact]
    public async Task TransformerBlock_IsClean_AndGeneratesCode()
    {
        await AssertCleanAndCompiles(Block());
    }

    [Fact]
    public async Task MG0201_HeadsThatDoNotDivideTheWidth_ShowTheRemainderAndTheNearestDivisors()
    {
        var d = await Single(Block(attention: "[MultiHeadAttention(12, Causal = true)]"), "MG0201");
        Assert.Equal("12", Text(d));
        Assert.Equal("MultiHeadAttention 'Attention': the width 128 is not divisible by 12 heads (128 % 12 = 8); each head takes width / heads columns, so use a divisor of 128, e.g. 8 or 16", d.GetMessage());
        Assert.Equal("8,16", d.Properties["ModelGen.FixValue"]);
        Assert.Equal("128", d.Properties["ModelGen.Width"]);
    }

    [Fact]
    public async Task MG0201_MoreHeadsThanTheWidth_OffersOnlyFewer()
    {
        var d = await Single(Block(embedding: "[Embedding(96, 6)]", attention: "[MultiHeadAttention(7)]"), "MG0201");
        Assert.Contains("(6 % 7 = 6)", d.GetMessage());
        Assert.EndsWith("e.g. 6", d.GetMessage());
        Assert.Equal("6", d.Properties["ModelGen.FixValue"]);
    }

    [Fact]
    public async Task MG0201_Twin_HeadsThatDivide()
    {
        await AssertCleanAndCompiles(Block(attention: "[MultiHeadAttention(16)]"));
    }

    [Fact]
    public async Task MG0202_PaddingIndexOutsideTheVocabulary_IsReportedOnTheArgument()
    {
        var d = await Single(Block(embedding: "[Embedding(96, 128, PaddingIndex = -2)]"), "MG0202");
        Assert.Equal("PaddingIndex = -2", Text(d));
        Assert.Equal("Embedding 'Tokens': PaddingIndex = -2 is not an id of the vocabulary [0, 96); use an id 0…95, or -1 for no padding", d.GetMessage());
        var high = await Single(Block(embedding: "[Embedding(96, 128, PaddingIndex = 96)]"), "MG0202");
        Assert.Equal("PaddingIndex = 96", Text(high));
    }

    [Fact]
    public async Task MG0202_Twin_PaddingIndexAtTheEdges()
    {
        await AssertCleanAndCompiles(Block(embedding: "[Embedding(96, 128, PaddingIndex = 95)]"));
        await AssertCleanAndCompiles(Block(embedding: "[Embedding(96, 128, PaddingIndex = 0)]"));
    }

    [Fact]
    public async Task MG0203_EmbeddingOnARank2Input_IsReportedOnTheAttribute()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 4, 16 })]
            public partial class M
            {
                [Embedding(100, 32)] private partial Tensor Tokens(Tensor ids);
                [Dense(100)] private partial Tensor Logits(Tensor x);
            }
            """;
        var d = await Single(source, "MG0203");
        Assert.Equal("Embedding(100, 32)", Text(d));
        Assert.Equal("Embedding 'Tokens' looks up integer ids, one per position, so it takes the model input of shape [sequence]; but it gets the model input of shape [4, 16] (rank 2)", d.GetMessage());
    }

    [Fact]
    public async Task MG0203_EmbeddingOfAComputedValue_IsReportedOnTheCall()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 16 })]
            public partial class M
            {
                [Dense(16)] private partial Tensor Hidden(Tensor x);
                [Embedding(100, 32)] private partial Tensor Tokens(Tensor ids);
                [Dense(100)] private partial Tensor Logits(Tensor x);
                [Forward] private Tensor F(Tensor ids) => Logits(Tokens(Hidden(ids)));
            }
            """;
        var d = await Single(source, "MG0203");
        Assert.Equal("Tokens(Hidden(ids))", Text(d));
        Assert.EndsWith("but it gets 'Hidden' (Dense 16), a computed value, not ids; apply it to the model input", d.GetMessage());
    }

    [Fact]
    public async Task MG0203_Twin_EmbeddingOfTheInputInForward()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 16 })]
            public partial class M
            {
                [Embedding(100, 32)] private partial Tensor Tokens(Tensor ids);
                [Dense(100)] private partial Tensor Logits(Tensor x);
                [Forward] private Tensor F(Tensor ids) => Logits(Tokens(ids));
            }
            """;
        await AssertCleanAndCompiles(source);
    }

    [Fact]
    public async Task MG0204_AttentionOnIds_SuggestsAnEmbedding()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 32 })]
            public partial class M
            {
                [MultiHeadAttention(4)] private partial Tensor Attention(Tensor x);
                [Dense(10)] private partial Tensor Logits(Tensor x);
            }
            """;
        var d = await Single(source, "MG0204");
        Assert.Equal("MultiHeadAttention(4)", Text(d));
        Assert.Equal("MultiHeadAttention 'Attention' needs [sequence, features] per sample, but gets [32]; ids need an [Embedding] first, which turns [sequence] into [sequence, features]", d.GetMessage());
    }

    [Fact]
    public async Task MG0204_PositionsOnAnImage_IsReportedOnTheCall()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 1, 8, 8 })]
            public partial class M
            {
                [PositionalEmbedding(8)] private partial Tensor Positions(Tensor x);
                [Flatten] private partial Tensor Flat(Tensor x);
                [Dense(10)] private partial Tensor Logits(Tensor x);
                [Forward] private Tensor F(Tensor image) => Logits(Flat(Positions(image)));
            }
            """;
        var d = await Single(source, "MG0204");
        Assert.Equal("Positions(image)", Text(d));
        Assert.Equal("PositionalEmbedding 'Positions' needs [sequence, features] per sample, but gets [1, 8, 8]", d.GetMessage());
    }

    [Fact]
    public async Task MG0205_PositionTableShorterThanTheSequence()
    {
        var d = await Single(Block(positions: "[PositionalEmbedding(32)]"), "MG0205");
        Assert.Equal("32", Text(d));
        Assert.Equal("PositionalEmbedding 'Positions': maxLength = 32, but its input has 64 positions ('Tokens' (Embedding)); the table needs a row per position, so maxLength must be at least 64", d.GetMessage());
    }

    [Fact]
    public async Task MG0205_Twin_LongerTable()
    {
        await AssertCleanAndCompiles(Block(positions: "[PositionalEmbedding(128)]"));
    }

    [Theory]
    [InlineData("[Embedding(0, 128)]", "Embedding 'Tokens': needs a vocabulary of at least 1 id, but vocabulary = 0")]
    [InlineData("[Embedding(96, -1)]", "Embedding 'Tokens': needs at least 1 value per id, but dimension = -1")]
    public async Task MG0004_EmbeddingSizes(string embedding, string message)
    {
        var diagnostics = await Harness.AnalyzeAsync(Block(embedding: embedding));
        var d = Assert.Single(diagnostics, x => x.Id == "MG0004");
        Assert.Equal(message, d.GetMessage());
    }

    [Fact]
    public async Task MG0004_ZeroHeadsAndZeroPositions()
    {
        var diagnostics = await Harness.AnalyzeAsync(Block(positions: "[PositionalEmbedding(0)]", attention: "[MultiHeadAttention(0)]"));
        Assert.Equal(new[] { "0", "0" }, diagnostics.Where(d => d.Id == "MG0004").Select(Text));
        Assert.All(diagnostics, d => Assert.Equal("MG0004", d.Id));
    }

    [Fact]
    public async Task DenseOnASequence_ActsPerPosition_AndChecksTheLastAxis()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 16 })]
            public partial class M
            {
                [Embedding(50, 8)] private partial Tensor Tokens(Tensor ids);
                [Dense(32, Activation.ReLU, In = 16)] private partial Tensor Hidden(Tensor x);
                [Dense(50)] private partial Tensor Logits(Tensor x);
            }
            """;
        var d = await Single(source, "MG0007");
        Assert.Equal("In = 16", Text(d));
        Assert.Contains("declares In = 16, but its input is 8 wide", d.GetMessage());
        await AssertCleanAndCompiles(source.Replace("In = 16", "In = 8"));
    }

    [Fact]
    public async Task SequenceOutput_WithOneClass_StillWarnsMG0009()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 16 })]
            public partial class M
            {
                [Embedding(50, 8)] private partial Tensor Tokens(Tensor ids);
                [Dense(1)] private partial Tensor Logits(Tensor x);
            }
            """;
        var d = await Single(source, "MG0009");
        Assert.Contains("on output [16, 1] of 'M'", d.GetMessage());
    }
}

/// <summary>Half-typed transformer declarations: neither the generator nor the analyzer may throw on any prefix or single-token deletion.</summary>
public class SequenceRobustnessTests
{
    private const string Transformer = """
        using ModelGen;
        [Model(Input = new[] { 16 }, Loss = Loss.SoftmaxCrossEntropy)]
        public partial class M
        {
            [Embedding(32, 12, PaddingIndex = 0)] private partial Tensor Tokens(Tensor ids);
            [PositionalEmbedding(16)] private partial Tensor Positions(Tensor x);
            [LayerNorm] private partial Tensor Norm(Tensor x);
            [MultiHeadAttention(3, Causal = true, Bias = false)] private partial Tensor Attention(Tensor x);
            [Dense(32)] private partial Tensor Logits(Tensor x);
            [Forward] private Tensor F(Tensor ids) { var x = Positions(Tokens(ids)); x = x + Attention(Norm(x)); return Logits(x); }
        }
        """;

    [Fact]
    public async Task EveryTokenPrefixAndDeletion_NeitherGeneratorNorAnalyzerThrows()
    {
        var tokens = Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(Transformer, Harness.ParseOptions).GetRoot().DescendantTokens().Where(t => t.Span.Length > 0).ToList();
        var variants = tokens.Select(t => (Where: $"prefix to {t.Span.End}", Text: Transformer.Substring(0, t.Span.End)))
            .Concat(tokens.Select(t => (Where: $"without '{t.Text}' at {t.SpanStart}", Text: Transformer.Remove(t.SpanStart, t.Span.Length))))
            .ToList();
        Assert.True(variants.Count > 200, $"only {variants.Count} variants");
        await Harness.AssertNoCrashes(variants);
    }
}
