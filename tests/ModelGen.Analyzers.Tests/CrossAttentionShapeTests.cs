using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Analyzers.Tests;

/// <summary>Shape and declaration rules of CrossAttention (MG0210–MG0212, MG0204, MG0002, MG0005): exact ID, span and arithmetic; correct twins are clean.</summary>
public class CrossAttentionShapeTests
{
    private static string Text(Diagnostic d) => d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan);

    private static async Task<Diagnostic> Single(string source, string id)
    {
        var diagnostics = await Harness.AnalyzeAsync(source);
        var d = Assert.Single(diagnostics);
        Assert.Equal(id, d.Id);
        return d;
    }

    /// <summary>An encoder–decoder: 7 source ids, 5 decoder ids, the decoder's queries attend to the encoded source.</summary>
    private static string Seq2Seq(string cross = "[CrossAttention(4)]", string sourceEmbedding = "[Embedding(12, 16)]", string call = "Cross(x, memory)",
        string method = "private partial Tensor Cross(Tensor query, Tensor memory);") => $$"""
        using ModelGen;
        [Model(Loss = Loss.SoftmaxCrossEntropy)]
        [Input("source", 7)]
        [Input("target", 5)]
        public partial class M
        {
            {{sourceEmbedding}} private partial Tensor SourceTokens(Tensor ids);
            [Embedding(12, 16)] private partial Tensor TargetTokens(Tensor ids);
            [MultiHeadAttention(4, Causal = true)] private partial Tensor SelfAttention(Tensor x);
            {{cross}} {{method}}
            [Dense(12)] private partial Tensor Logits(Tensor x);

            [Forward]
            private Tensor Forward(Tensor source, Tensor target)
            {
                var memory = SourceTokens(source);
                var x = TargetTokens(target);
                x = x + SelfAttention(x);
                x = x + {{call}};
                return Logits(x);
            }
        }
        """;

    [Fact]
    public async Task Twin_AnEncoderDecoderIsCleanAndGeneratesItsCode()
    {
        // Clean but for the note that cross-attention runs on the CPU only (MG0039, information, on its attribute).
        var note = Assert.Single(await Harness.AnalyzeAsync(Seq2Seq()));
        Assert.Equal("MG0039", note.Id);
        Assert.Equal("CrossAttention(4)", Text(note));
        var (run, output) = Harness.Generate(Harness.Compile(Seq2Seq()));
        Assert.Empty(Harness.Errors(output));
        string cpu = Harness.CpuSource(run.Results.Single());
        Assert.Contains("CrossAttentionKernels.Forward(", cpu);
        Assert.Contains("CrossAttentionKernels.Backward(", cpu);
        Assert.Contains("queries: 5, keys: 7, dimension: 16, heads: 4", cpu);
    }

    [Fact]
    public async Task MG0210_MemoryOfAnotherWidth_ShowsBothWidthsOnTheCall()
    {
        var d = await Single(Seq2Seq(sourceEmbedding: "[Embedding(12, 24)]"), "MG0210");
        Assert.Equal("Cross(x, memory)", Text(d));
        Assert.Equal("CrossAttention 'Cross': the queries 'x + SelfAttention(x)' are [5, 16], 16 wide, but the memory 'SourceTokens' (Embedding) is [7, 24], 24 wide (16 ≠ 24); one d × 3d projection serves both, so the widths must be equal; project the memory to 16 first (e.g. [Dense(16)])", d.GetMessage());
    }

    [Fact]
    public async Task MG0211_HeadsThatDoNotDivideTheWidth_AreReportedOnTheArgumentWithTheNearestDivisors()
    {
        var d = await Single(Seq2Seq(cross: "[CrossAttention(6)]"), "MG0211");
        Assert.Equal("6", Text(d));
        Assert.Equal("CrossAttention 'Cross': the width 16 is not divisible by 6 heads (16 % 6 = 4); each head takes width / heads columns, so use a divisor of 16, e.g. 4 or 8", d.GetMessage());
        Assert.Equal("4,8", d.Properties["ModelGen.FixValue"]);
        Assert.Equal("16", d.Properties["ModelGen.Width"]);
    }

    [Fact]
    public async Task MG0212_CrossAttentionInALayerChain_IsReportedOnItsAttribute()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 6 }, Loss = Loss.SoftmaxCrossEntropy)]
            public partial class M
            {
                [Embedding(12, 16)] private partial Tensor Tokens(Tensor ids);
                [CrossAttention(4)] private partial Tensor Cross(Tensor query, Tensor memory);
                [Dense(12)] private partial Tensor Logits(Tensor x);
            }
            """;
        var d = await Single(source, "MG0212");
        Assert.Equal("CrossAttention(4)", Text(d));
        Assert.Equal("CrossAttention 'Cross' reads two sequences, the queries and the memory, but a model without [Forward] chains its layers with one input each; call it in a [Forward] method as Cross(query, memory)", d.GetMessage());
    }

    [Fact]
    public async Task MG0204_AMemoryOfIds_SaysWhichInputIsNotASequenceOfFeatures()
    {
        // SourceTokens is then unused: MG0013 comes with it.
        var diagnostics = await Harness.AnalyzeAsync(Seq2Seq(call: "Cross(x, source)"));
        Assert.Equal(new[] { "MG0013", "MG0204" }, diagnostics.Select(x => x.Id).OrderBy(x => x));
        var d = diagnostics.Single(x => x.Id == "MG0204");
        Assert.Equal("Cross(x, source)", Text(d));
        Assert.Equal("CrossAttention 'Cross' needs [sequence, features] per sample, but gets the memory the input 'source' of shape [7]; ids need an [Embedding] first, which turns [sequence] into [sequence, features]", d.GetMessage());
    }

    [Fact]
    public async Task MG0002_AOneParameterCrossAttention_IsReportedOnTheMethod()
    {
        var diagnostics = await Harness.AnalyzeAsync(Seq2Seq(method: "private partial Tensor Cross(Tensor query);", call: "Cross(x)"));
        var d = Assert.Single(diagnostics, x => x.Id == "MG0002");
        Assert.Equal("Cross", Text(d));
        Assert.Contains("must take exactly two parameters of type Tensor (the queries and the memory)", d.GetMessage());
    }

    [Fact]
    public async Task MG0005_ACallWithOneTensor_NamesWhatCrossAttentionTakes()
    {
        var diagnostics = await Harness.AnalyzeAsync(Seq2Seq(call: "Cross(x)"));
        var d = Assert.Single(diagnostics, x => x.Id == "MG0005");
        Assert.Equal("Cross(x)", Text(d));
        Assert.Contains("with 1 argument (CrossAttention takes two tensors: the queries and the memory)", d.GetMessage());
    }
}
