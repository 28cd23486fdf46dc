using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Analyzers.Tests;

/// <summary>
/// Variable-length sequences in the shape lattice (MaskPadding, MG0206–MG0209): the symbolic length
/// "seq≤N" flows through the layers that can take it, and each layer or loss that cannot is an error at
/// its attribute or expression; the nearest correct declarations are clean and generate code.
/// </summary>
public class MaskedSequenceShapeTests
{
    private static string Text(Diagnostic d) => d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan);

    private static async Task<Diagnostic> Single(string source, string id)
    {
        var diagnostics = await Harness.AnalyzeAsync(source);
        var d = Assert.Single(diagnostics);
        Assert.Equal(id, d.Id);
        return d;
    }

    private static async Task<string> AssertCleanAndCompiles(string source)
    {
        // Clean but for MG0039, the note that a cross-attention keeps the model on the CPU.
        Assert.Empty((await Harness.AnalyzeAsync(source)).Where(d => d.Id != "MG0039"));
        var (run, output) = Harness.Generate(Harness.Compile(source));
        Assert.Empty(Harness.Errors(output));
        string cpu = Harness.CpuSource(run.Results.Single());
        Assert.Contains("class Graph<T>", cpu);
        return cpu;
    }

    private static string Sequential(string middle, string embedding = "[Embedding(96, 16, PaddingIndex = 0, MaskPadding = true)]", string loss = "SoftmaxCrossEntropy", int length = 32) => $$"""
        using ModelGen;
        [Model(Input = new[] { {{length}} }, Loss = Loss.{{loss}})]
        public partial class M
        {
            {{embedding}} private partial Tensor Tokens(Tensor ids);
            {{middle}}
            [Dense(3)] private partial Tensor Logits(Tensor x);
        }
        """;

    [Fact]
    public async Task MaskedTransformerAndRecurrentModels_AreClean_AndShowTheSymbolicLength()
    {
        string cpu = await AssertCleanAndCompiles(Sequential("""
            [PositionalEmbedding(32)] private partial Tensor Positions(Tensor x);
            [LayerNorm] private partial Tensor Norm(Tensor x);
            [MultiHeadAttention(4)] private partial Tensor Attention(Tensor x);
            [Dropout(0.1f)] private partial Tensor Drop(Tensor x);
            [Dense(8, Activation.GELU)] private partial Tensor Hidden(Tensor x);
            [GRU(8, Bidirectional = true, ReturnSequences = true)] private partial Tensor Encoder(Tensor x);
            """));
        // The layer table and the buffer comments say the length varies; buffers are sized at its bound.
        Assert.Contains("Tokens (Embedding 96×16, padding 0)", cpu);
        Assert.Contains("[batch, seq≤32, 16]", cpu);
        Assert.Contains("[batch, seq≤32, 3]", cpu);
        Assert.Contains("EmbeddingKernels.Lengths(input, _lengths, batch, sequence: 32, paddingIndex: 0);", cpu);
        Assert.Contains("lengths: _lengths", cpu);
        Assert.Contains("LossKernels.SoftmaxCrossEntropy(_logits, targets, _logitsGrad, batch, sequence: 32, classes: 3, lengths: _lengths)", cpu);
        Assert.Contains("public override int MaskPaddingIndex => 0;", cpu);

        await AssertCleanAndCompiles(Sequential("[LSTM(8)] private partial Tensor Encoder(Tensor x);", loss: "MeanSquaredError"));
    }

    [Fact]
    public async Task MG0206_MaskPaddingWithoutAPaddingId_IsReportedOnTheArgument()
    {
        var d = await Single(Sequential("[LSTM(8)] private partial Tensor Encoder(Tensor x);", embedding: "[Embedding(96, 16, MaskPadding = true)]"), "MG0206");
        Assert.Equal("MaskPadding = true", Text(d));
        Assert.Equal("Embedding 'Tokens': MaskPadding = true masks the positions after a sample's last non-padding id, so it needs PaddingIndex; set PaddingIndex to the id your sequences are padded with", d.GetMessage());
    }

    [Fact]
    public async Task MG0206_Twin_WithAPaddingId()
    {
        await AssertCleanAndCompiles(Sequential("[LSTM(8)] private partial Tensor Encoder(Tensor x);", embedding: "[Embedding(96, 16, PaddingIndex = 95, MaskPadding = true)]"));
        // MaskPadding = false is the fixed-length model.
        await AssertCleanAndCompiles(Sequential("[Flatten] private partial Tensor Flat(Tensor x);", embedding: "[Embedding(96, 16, MaskPadding = false)]"));
    }

    private const string TwoInputs = """
        using ModelGen;
        [Model(Loss = Loss.BinaryCrossEntropy)]
        [Input("words", 24)]
        [Input("meta", 3)]
        public partial class Review
        {
            [Embedding(300, 16, PaddingIndex = 0{0})] private partial Tensor Words(Tensor ids);
            [GRU(8)] private partial Tensor Encoder(Tensor x);
            [Dense(1)] private partial Tensor Logit(Tensor x);

            [Forward]
            private Tensor Forward(Tensor words, Tensor meta) => Logit(Tensor.Concat(Encoder(Words(words)), meta));
        }
        """;

    [Fact]
    public async Task AMaskOnOneOfSeveralInputs_EndingInARecurrentState_IsClean()
    {
        string cpu = await AssertCleanAndCompiles(TwoInputs.Replace("{0}", ", MaskPadding = true"));
        // The lengths are read from the words' own buffer, not from the packed input rows.
        Assert.Contains("EmbeddingKernels.Lengths(_wordsInput, _lengths, batch, sequence: 24, paddingIndex: 0);", cpu);
        // The output has one row per sample, so no label is masked.
        Assert.DoesNotContain("MaskPaddingIndex", cpu);
        await AssertCleanAndCompiles(TwoInputs.Replace("{0}", ""));
    }

    private const string QueriesFromTheMaskedInput = """
        using ModelGen;
        [Model(Loss = Loss.SoftmaxCrossEntropy)]
        [Input("words", 24)]
        [Input("topic", 8)]
        public partial class Tagger
        {
            [Embedding(300, 16, PaddingIndex = 0, MaskPadding = true)] private partial Tensor Words(Tensor ids);
            [Embedding(50, 16)] private partial Tensor Topic(Tensor ids);
            [CrossAttention(4)] private partial Tensor Cross(Tensor query, Tensor memory);
            [Dense(5)] private partial Tensor Tags(Tensor x);

            [Forward] private Tensor Forward(Tensor words, Tensor topic) => Tags({0});
        }
        """;

    [Fact]
    public async Task MG0213_AMaskedInputOfSeveral_ReachingTheOutput_IsReportedOnTheMaskingCall()
    {
        var d = await Single(QueriesFromTheMaskedInput.Replace("{0}", "Cross(Words(words), Topic(topic))"), "MG0213");
        Assert.Equal("Words(words)", Text(d));
        Assert.Equal("Embedding 'Words' with MaskPadding = true masks the input 'words', one of several [Input]s, but its variable length reaches the output: 'Tags' (Dense 5) is [seq≤24, 5]; with several inputs the padded positions may end in a CrossAttention's memory (its output has the queries' length) or an LSTM or GRU's last state, because labels and metrics are judged on the output's own positions", d.GetMessage());
        // Twin: the masked words as the memory, the topic's 8 positions as the queries.
        string cpu = await AssertCleanAndCompiles(QueriesFromTheMaskedInput.Replace("{0}", "Cross(Topic(topic), Words(words))"));
        Assert.Contains("memoryLengths: _lengths", cpu);
    }

    [Fact]
    public async Task MG0207_ASecondMaskOnAnotherInput_IsReportedOnItsAttribute()
    {
        string source = QueriesFromTheMaskedInput.Replace("[Embedding(50, 16)]", "[Embedding(50, 16, PaddingIndex = 0, MaskPadding = true)]")
            .Replace("{0}", "Cross(Topic(topic), Words(words))");
        var d = await Single(source, "MG0207");
        Assert.Equal("Embedding(50, 16, PaddingIndex = 0, MaskPadding = true)", Text(d));
        Assert.Equal("Embedding 'Topic' with MaskPadding = true: 'Words' masks an input already; each sample's length is read from the ids of one input by one masking Embedding, so declare MaskPadding on one Embedding only", d.GetMessage());
    }

    [Fact]
    public async Task MG0207_ASecondMaskingEmbedding_IsReportedOnItsAttribute_Once()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 24 })]
            public partial class Tagger
            {
                [Embedding(300, 16, PaddingIndex = 0, MaskPadding = true)] private partial Tensor Words(Tensor ids);
                [Embedding(300, 16, PaddingIndex = 0, MaskPadding = {0})] private partial Tensor Shapes(Tensor ids);
                [Dense(5)] private partial Tensor Tags(Tensor x);

                [Forward] private Tensor Forward(Tensor ids) => Tags(Words(ids) + Shapes(ids));
            }
            """;
        var d = await Single(source.Replace("{0}", "true"), "MG0207");
        Assert.Equal("Embedding(300, 16, PaddingIndex = 0, MaskPadding = true)", Text(d));
        Assert.Contains("'Words' masks the input already", d.GetMessage());
        // Unmasked, 'Shapes' has a fixed length of 24, which does not add to a variable one: the lattice keeps them apart.
        var mismatch = await Single(source.Replace("{0}", "false"), "MG0008");
        Assert.Contains("[seq≤24, 16]", mismatch.GetMessage());
        Assert.Contains("[24, 16]", mismatch.GetMessage());
    }

    [Theory]
    [InlineData("[Flatten] private partial Tensor Reduce(Tensor x);", "Flatten", "Flatten 'Reduce'", "its output size would depend on each sample's length")]
    [InlineData("[Reshape(-1)] private partial Tensor Reduce(Tensor x);", "Reshape(-1)", "Reshape 'Reduce'", "its output size would depend on each sample's length")]
    [InlineData("[Conv1d(8, 3)] private partial Tensor Reduce(Tensor x);", "Conv1d(8, 3)", "Conv1d 'Reduce'", "a convolution over padded positions")]
    [InlineData("[BatchNorm] private partial Tensor Reduce(Tensor x);", "BatchNorm", "BatchNorm 'Reduce'", "its statistics would include padded positions")]
    [InlineData("[GroupNorm(2)] private partial Tensor Reduce(Tensor x);", "GroupNorm(2)", "GroupNorm 'Reduce'", "its statistics would include padded positions")]
    [InlineData("[GlobalAvgPool] private partial Tensor Reduce(Tensor x);", "GlobalAvgPool", "GlobalAvgPool 'Reduce'", "it takes images")]
    public async Task MG0208_LayersThatNeedAFixedLength_AreReportedOnTheirAttribute(string layer, string span, string subject, string reason)
    {
        var d = await Single(Sequential(layer), "MG0208");
        Assert.Equal(span, Text(d));
        Assert.StartsWith($"{subject} gets 'Tokens' (Embedding) of shape [seq≤32, 16], whose length varies per sample (MaskPadding): {reason}", d.GetMessage());
    }

    [Fact]
    public async Task MG0208_Twins_TheSameLayersWithoutTheMask_AndRecurrentSummaries()
    {
        await AssertCleanAndCompiles(Sequential("[Flatten] private partial Tensor Reduce(Tensor x);", embedding: "[Embedding(96, 16, PaddingIndex = 0)]"));
        await AssertCleanAndCompiles(Sequential("[LSTM(8, Bidirectional = true)] private partial Tensor Reduce(Tensor x);"));
        await AssertCleanAndCompiles(Sequential("[LayerNorm] private partial Tensor Reduce(Tensor x);"));
    }

    private const string Concat = """
        using ModelGen;
        [Model(Input = new[] { 10 })]
        public partial class M
        {
            [Embedding(50, 8, PaddingIndex = 0, MaskPadding = true)] private partial Tensor Tokens(Tensor ids);
            [Dense(8)] private partial Tensor Project(Tensor x);
            [Dense(4)] private partial Tensor Tags(Tensor x);

            [Forward]
            private Tensor Forward(Tensor ids)
            {
                var x = Tokens(ids);
                return Tags(Tensor.Concat(axis: {0}, x, Project(x)));
            }
        }
        """;

    [Fact]
    public async Task MG0208_ConcatAlongTheVariableAxis_IsReportedOnTheConcat()
    {
        var d = await Single(Concat.Replace("{0}", "0"), "MG0208");
        Assert.Equal("Tensor.Concat(axis: 0, x, Project(x))", Text(d));
        Assert.StartsWith("Tensor.Concat along axis 0 gets ", d.GetMessage());
        Assert.Contains("'Project' (Dense 8) is [seq≤10, 8]", d.GetMessage());
        Assert.EndsWith("joining along the variable-length axis would put one part's padding before the next part's positions; join along the features instead", d.GetMessage());
        // Along the features the parts share their lengths: clean.
        await AssertCleanAndCompiles(Concat.Replace("{0}", "-1"));
    }

    [Fact]
    public async Task MG0209_ALossOtherThanSoftmax_OnAVariableLengthOutput_IsReportedOnTheLoss()
    {
        var d = await Single(Sequential("[Dense(4)] private partial Tensor Hidden(Tensor x);", loss: "MeanSquaredError"), "MG0209");
        Assert.Equal("Loss = Loss.MeanSquaredError", Text(d));
        Assert.Equal("Loss.MeanSquaredError: the output [seq≤32, 3] has a variable length (MaskPadding), and only Loss.SoftmaxCrossEntropy of a single output skips padded positions; classify each position with Loss.SoftmaxCrossEntropy, or end in an LSTM or GRU (its last state is one row per sample)", d.GetMessage());
    }

    [Fact]
    public async Task MG0209_Twins_SoftmaxPerPosition_OrALastState()
    {
        await AssertCleanAndCompiles(Sequential("[Dense(4)] private partial Tensor Hidden(Tensor x);"));
        await AssertCleanAndCompiles(Sequential("[GRU(4)] private partial Tensor Hidden(Tensor x);", loss: "Huber"));
    }

    [Fact]
    public async Task MG0205_APositionTable_IsCheckedAgainstTheLongestLength()
    {
        var d = await Single(Sequential("[PositionalEmbedding(16)] private partial Tensor Positions(Tensor x);"), "MG0205");
        Assert.Equal("16", Text(d));
        Assert.Contains("maxLength = 16, but its input has 32 positions", d.GetMessage());
    }

    private const string HalfTyped = """
        using ModelGen;

        [Model(Input = new[] { 40 }, Loss = Loss.SoftmaxCrossEntropy)]
        public partial class Reviews
        {
            [Embedding(500, 16, PaddingIndex = 0, MaskPadding = true)] private partial Tensor Tokens(Tensor ids);
            [PositionalEmbedding(40)] private partial Tensor Positions(Tensor x);
            [MultiHeadAttention(2, Causal = true)] private partial Tensor Attention(Tensor x);
            [LSTM(8, Bidirectional = true)] private partial Tensor Encoder(Tensor x);
            [Flatten] private partial Tensor Flat(Tensor x);
            [Dense(2)] private partial Tensor Logits(Tensor x);

            [Forward]
            private Tensor Forward(Tensor ids)
            {
                var x = Positions(Tokens(ids));
                x = x + Attention(x);
                return Logits(Encoder(Tensor.Concat(axis: -1, x, x)));
            }
        }
        """;

    [Fact]
    public async Task EveryTokenPrefix_AndEveryTokenDeleted_NeitherGeneratorNorAnalyzerThrows()
    {
        var tokens = CSharpSyntaxTree.ParseText(HalfTyped, Harness.ParseOptions).GetRoot().DescendantTokens().Where(t => t.Span.Length > 0).ToList();
        var variants = tokens.Select(t => (Where: $"prefix to {t.Span.End}", Text: HalfTyped.Substring(0, t.Span.End)))
            .Concat(tokens.Select(t => (Where: $"without '{t.Text}' at {t.SpanStart}", Text: HalfTyped.Remove(t.SpanStart, t.Span.Length)))).ToList();
        await Harness.AssertNoCrashes(variants);
        // The whole file is clean: the unused Flatten has no weights, so MG0013 does not name it.
        await AssertCleanAndCompiles(HalfTyped);
    }
}
