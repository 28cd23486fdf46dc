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
}
