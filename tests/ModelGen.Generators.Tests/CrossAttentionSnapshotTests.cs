using System.Linq;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Generators.Tests;

/// <summary>The generated code of a small encoder–decoder, compared with Snapshots/Samples.Text.DigitReverser.verified.cs.</summary>
public class CrossAttentionSnapshotTests
{
    public const string DigitReverser = """
        using ModelGen;

        namespace Samples.Text;

        /// <summary>Teacher-forced encoder–decoder: 6 source digits, 7 decoder inputs (start id, then the shifted target).</summary>
        [Model(Loss = Loss.SoftmaxCrossEntropy)]
        [Input("source", 6)]
        [Input("target", 7)]
        public partial class DigitReverser
        {
            [Embedding(13, 16)]                    private partial Tensor SourceTokens(Tensor ids);
            [Embedding(13, 16)]                    private partial Tensor TargetTokens(Tensor ids);
            [PositionalEmbedding(8)]               private partial Tensor SourcePositions(Tensor x);
            [PositionalEmbedding(8)]               private partial Tensor TargetPositions(Tensor x);
            [MultiHeadAttention(2)]                private partial Tensor Encoder(Tensor x);
            [MultiHeadAttention(2, Causal = true)] private partial Tensor SelfAttention(Tensor x);
            [CrossAttention(2)]                    private partial Tensor Cross(Tensor query, Tensor memory);
            [Dense(13)]                            private partial Tensor Logits(Tensor x);

            [Forward]
            private Tensor Forward(Tensor source, Tensor target)
            {
                var s = SourcePositions(SourceTokens(source));
                var memory = s + Encoder(s);
                var x = TargetPositions(TargetTokens(target));
                x = x + SelfAttention(x);
                x = x + Cross(x, memory);
                return Logits(x);
            }
        }
        """;

    [Fact]
    public void GeneratedSourceMatchesSnapshot()
    {
        var (run, output) = Harness.Generate(Harness.Compile(DigitReverser));
        Assert.Empty(Harness.Errors(output));
        var generated = run.Results.Single().GeneratedSources.Single(s => !s.HintName.EndsWith(".Cuda.g.cs", System.StringComparison.Ordinal));
        Assert.Equal("Samples.Text.DigitReverser.g.cs", generated.HintName);
        SnapshotTests.Verify(generated.SourceText.ToString(), "Samples.Text.DigitReverser");
    }

    /// <summary>Its CUDA part states why it runs on the CPU (no CUDA kernels for cross-attention yet).</summary>
    [Fact]
    public void CudaPlanSaysTheModelRunsOnTheCpu()
    {
        var (run, _) = Harness.Generate(Harness.Compile(DigitReverser));
        string cuda = run.Results.Single().GeneratedSources.Single(s => s.HintName.EndsWith(".Cuda.g.cs", System.StringComparison.Ordinal)).SourceText.ToString();
        Assert.Contains("CudaModelPlan.Unsupported(", cuda);
        Assert.Contains("layer 'Cross' (CrossAttention): cross-attention has CPU kernels only", cuda);
    }

    /// <summary>
    /// A decoder that cannot run one position at a time still has Generate, but calling it is build error MG0214 at the
    /// call, naming the layer at fault; a model that never calls it builds cleanly.
    /// </summary>
    [Theory]
    [InlineData("[MultiHeadAttention(2)]                ", "DigitReverser cannot generate: [MultiHeadAttention] 'SelfAttention' on the decoder's positions is not causal: each position would attend to later ones, which do not exist yet while generating; declare it with Causal = true.")]
    [InlineData("[GRU(16, ReturnSequences = true)]      ", "DigitReverser cannot generate: [GRU] 'SelfAttention' on the decoder's positions mixes positions; a decoder step runs position-wise layers, causal [MultiHeadAttention] and [CrossAttention] only.")]
    public void ADecoderThatCannotStep_MakesCallingGenerateBuildErrorMG0214(string selfAttention, string message)
    {
        string model = DigitReverser.Replace("[MultiHeadAttention(2, Causal = true)] ", selfAttention);
        var (_, clean) = Harness.Generate(Harness.Compile(model));
        Assert.Empty(Harness.Errors(clean));
        const string caller = """
            namespace Samples.Text;
            public static class Caller
            {
                public static int[] Run(DigitReverser model) => model.Generate(new[] { 3, 4, 5, 6, 7, 8 }, maxLength: 7);
            }
            """;
        var (_, output) = Harness.Generate(Harness.Compile(model, caller));
        var error = Assert.Single(Harness.Errors(output));
        Assert.Equal("MG0214", error.Id);
        Assert.Contains(message, error.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        // On the call in the user's code.
        Assert.StartsWith("model.Generate(new[] { 3, 4, 5, 6, 7, 8 }", error.Location.SourceTree!.GetText().ToString(error.Location.SourceSpan));
        Assert.Contains("class Caller", error.Location.SourceTree.GetText().ToString());
        Assert.EndsWith("docs/diagnostics/MG0214.md", error.Descriptor.HelpLinkUri);
    }

    [Fact]
    public void TheGenerableModel_CallsGenerateCleanly()
    {
        const string caller = """
            namespace Samples.Text;
            public static class Caller
            {
                public static int[] Run(DigitReverser model) => model.Generate(new[] { 3, 4, 5, 6, 7, 8 }, maxLength: 7, new ModelGen.GenerationOptions { StartId = 1, EndId = 2 });
            }
            """;
        var (_, output) = Harness.Generate(Harness.Compile(DigitReverser, caller));
        Assert.Empty(Harness.Errors(output));
    }

    /// <summary>A model with two inputs and no cross-attention has no Generate at all.</summary>
    [Fact]
    public void OtherMultiInputModels_HaveNoGenerate()
    {
        const string wideDeep = """
            using ModelGen;
            [Model(Loss = Loss.BinaryCrossEntropy)]
            [Input("wide", 10)]
            [Input("deep", 20)]
            public partial class WideDeep
            {
                [Dense(1)] private partial Tensor Logit(Tensor x);
                [Forward] private Tensor Forward(Tensor wide, Tensor deep) => Logit(Tensor.Concat(wide, deep));
            }
            """;
        var (run, output) = Harness.Generate(Harness.Compile(wideDeep));
        Assert.Empty(Harness.Errors(output));
        Assert.DoesNotContain("Generate(", Harness.CpuSource(run.Results.Single()));
    }
}
