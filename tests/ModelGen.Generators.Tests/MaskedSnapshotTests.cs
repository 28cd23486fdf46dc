using System.Linq;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Generators.Tests;

/// <summary>The generated code of a variable-length model, compared with Snapshots/Samples.Text.ReviewTagger.verified.cs.</summary>
public class MaskedSnapshotTests
{
    public const string ReviewTagger = """
        using ModelGen;

        namespace Samples.Text;

        /// <summary>Tags every word of a review of up to 24 words, padded with id 0 after its last word.</summary>
        [Model(Input = new[] { 24 }, Loss = Loss.SoftmaxCrossEntropy)]
        public partial class ReviewTagger
        {
            [Embedding(200, 16, PaddingIndex = 0, MaskPadding = true)]  private partial Tensor Words(Tensor ids);
            [LSTM(8, Bidirectional = true, ReturnSequences = true)]     private partial Tensor Context(Tensor x);
            [MultiHeadAttention(2)]                                      private partial Tensor Attention(Tensor x);
            [LayerNorm]                                                  private partial Tensor Norm(Tensor x);
            [Dense(5)]                                                   private partial Tensor Tags(Tensor x);

            [Forward]
            private Tensor Forward(Tensor ids)
            {
                var x = Context(Words(ids));
                return Tags(Norm(x + Attention(x)));
            }
        }
        """;

    [Fact]
    public void GeneratedSourceMatchesSnapshot()
    {
        var (run, output) = Harness.Generate(Harness.Compile(ReviewTagger));
        Assert.Empty(Harness.Errors(output));
        var generated = run.Results.Single().GeneratedSources.Single(s => !s.HintName.EndsWith(".Cuda.g.cs", System.StringComparison.Ordinal));
        SnapshotTests.Verify(generated.SourceText.ToString(), "Samples.Text.ReviewTagger");
    }
}
