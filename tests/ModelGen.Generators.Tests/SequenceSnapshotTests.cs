using System.Linq;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Generators.Tests;

/// <summary>The generated code of a small transformer, compared with Snapshots/Samples.Text.TinyLanguageModel.verified.cs and .verified.cu.</summary>
public class SequenceSnapshotTests
{
    public const string TinyLanguageModel = """
        using ModelGen;

        namespace Samples.Text;

        /// <summary>Next-token prediction over 16 positions: one pre-LayerNorm transformer block.</summary>
        [Model(Input = new[] { 16 }, Loss = Loss.SoftmaxCrossEntropy)]
        public partial class TinyLanguageModel
        {
            [Embedding(32, 16, PaddingIndex = 0)]  private partial Tensor Tokens(Tensor ids);
            [PositionalEmbedding(16)]              private partial Tensor Positions(Tensor x);
            [LayerNorm]                            private partial Tensor AttentionNorm(Tensor x);
            [MultiHeadAttention(2, Causal = true)] private partial Tensor Attention(Tensor x);
            [LayerNorm]                            private partial Tensor MlpNorm(Tensor x);
            [Dense(64, Activation.GELU)]           private partial Tensor Up(Tensor x);
            [Dense(16)]                            private partial Tensor Down(Tensor x);
            [LayerNorm]                            private partial Tensor FinalNorm(Tensor x);
            [Dense(32)]                            private partial Tensor Logits(Tensor x);

            [Forward]
            private Tensor Forward(Tensor ids)
            {
                var x = Positions(Tokens(ids));
                x = x + Attention(AttentionNorm(x));
                x = x + Down(Up(MlpNorm(x)));
                return Logits(FinalNorm(x));
            }
        }
        """;

    [Fact]
    public void GeneratedSourceMatchesSnapshot()
    {
        var (run, output) = Harness.Generate(Harness.Compile(TinyLanguageModel));
        Assert.Empty(Harness.Errors(output));
        var generated = run.Results.Single().GeneratedSources.Single(s => !s.HintName.EndsWith(".Cuda.g.cs", System.StringComparison.Ordinal));
        Assert.Equal("Samples.Text.TinyLanguageModel.g.cs", generated.HintName);
        SnapshotTests.Verify(generated.SourceText.ToString(), "Samples.Text.TinyLanguageModel");
    }

    /// <summary>Its CUDA translation unit: embedding, positions, attention in three kernels, per-position Dense, LayerNorm and cross-entropy.</summary>
    [Fact]
    public void GeneratedCudaMatchesSnapshot() => SnapshotTests.VerifyCuda(TinyLanguageModel, "Samples.Text.TinyLanguageModel");
}
