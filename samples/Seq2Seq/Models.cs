using ModelGen;

namespace Seq2Seq;

/// <summary>
/// Sorts 8 digits: a pre-LayerNorm encoder–decoder transformer. The encoder (one block: self-attention and a feed-forward
/// layer) reads the source digits once; the decoder (two blocks: causal self-attention, cross-attention to the encoder's
/// output, feed-forward) reads the start id and the sorted digits so far, and predicts at each of its 9 positions the next
/// sorted digit, then the end id. Ids: see <see cref="DigitSorting"/>.
/// </summary>
[Model(Loss = Loss.SoftmaxCrossEntropy)]
[Input("source", DigitSorting.Length)]
[Input("target", DigitSorting.Length + 1)]
public partial class DigitSorter
{
    [Embedding(DigitSorting.Vocabulary, 64)]  private partial Tensor SourceTokens(Tensor ids);
    [Embedding(DigitSorting.Vocabulary, 64)]  private partial Tensor TargetTokens(Tensor ids);
    [PositionalEmbedding(DigitSorting.Length)]     private partial Tensor SourcePositions(Tensor x);
    [PositionalEmbedding(DigitSorting.Length + 1)] private partial Tensor TargetPositions(Tensor x);

    [LayerNorm]                            private partial Tensor EncoderNorm1(Tensor x);
    [MultiHeadAttention(4)]                private partial Tensor EncoderAttention(Tensor x);
    [LayerNorm]                            private partial Tensor EncoderNorm2(Tensor x);
    [Dense(256, Activation.ReLU)]          private partial Tensor EncoderUp(Tensor x);
    [Dense(64)]                            private partial Tensor EncoderDown(Tensor x);
    [LayerNorm]                            private partial Tensor MemoryNorm(Tensor x);

    [LayerNorm]                            private partial Tensor Decoder1Norm1(Tensor x);
    [MultiHeadAttention(4, Causal = true)] private partial Tensor Decoder1SelfAttention(Tensor x);
    [LayerNorm]                            private partial Tensor Decoder1Norm2(Tensor x);
    [CrossAttention(4)]                    private partial Tensor Decoder1Cross(Tensor query, Tensor memory);
    [LayerNorm]                            private partial Tensor Decoder1Norm3(Tensor x);
    [Dense(256, Activation.ReLU)]          private partial Tensor Decoder1Up(Tensor x);
    [Dense(64)]                            private partial Tensor Decoder1Down(Tensor x);

    [LayerNorm]                            private partial Tensor Decoder2Norm1(Tensor x);
    [MultiHeadAttention(4, Causal = true)] private partial Tensor Decoder2SelfAttention(Tensor x);
    [LayerNorm]                            private partial Tensor Decoder2Norm2(Tensor x);
    [CrossAttention(4)]                    private partial Tensor Decoder2Cross(Tensor query, Tensor memory);
    [LayerNorm]                            private partial Tensor Decoder2Norm3(Tensor x);
    [Dense(256, Activation.ReLU)]          private partial Tensor Decoder2Up(Tensor x);
    [Dense(64)]                            private partial Tensor Decoder2Down(Tensor x);

    [LayerNorm]                            private partial Tensor FinalNorm(Tensor x);
    [Dense(DigitSorting.Vocabulary)]       private partial Tensor Logits(Tensor x);

    [Forward]
    private Tensor Forward(Tensor source, Tensor target)
    {
        var s = SourcePositions(SourceTokens(source));
        s = s + EncoderAttention(EncoderNorm1(s));
        s = s + EncoderDown(EncoderUp(EncoderNorm2(s)));
        var memory = MemoryNorm(s);                                   // [8, 64]

        var x = TargetPositions(TargetTokens(target));
        x = x + Decoder1SelfAttention(Decoder1Norm1(x));
        x = x + Decoder1Cross(Decoder1Norm2(x), memory);              // [9, 64]: each decoder position reads the source
        x = x + Decoder1Down(Decoder1Up(Decoder1Norm3(x)));
        x = x + Decoder2SelfAttention(Decoder2Norm1(x));
        x = x + Decoder2Cross(Decoder2Norm2(x), memory);
        x = x + Decoder2Down(Decoder2Up(Decoder2Norm3(x)));
        return Logits(FinalNorm(x));                                  // [9, 13]: the next id at every decoder position
    }
}

/// <summary>
/// A smaller <see cref="DigitSorter"/> for comparison (<c>--model small</c>): 32 wide, one decoder block, feed-forward 128.
/// </summary>
[Model(Loss = Loss.SoftmaxCrossEntropy)]
[Input("source", DigitSorting.Length)]
[Input("target", DigitSorting.Length + 1)]
public partial class SmallDigitSorter
{
    [Embedding(DigitSorting.Vocabulary, 32)]      private partial Tensor SourceTokens(Tensor ids);
    [Embedding(DigitSorting.Vocabulary, 32)]      private partial Tensor TargetTokens(Tensor ids);
    [PositionalEmbedding(DigitSorting.Length)]     private partial Tensor SourcePositions(Tensor x);
    [PositionalEmbedding(DigitSorting.Length + 1)] private partial Tensor TargetPositions(Tensor x);

    [LayerNorm]                            private partial Tensor EncoderNorm1(Tensor x);
    [MultiHeadAttention(4)]                private partial Tensor EncoderAttention(Tensor x);
    [LayerNorm]                            private partial Tensor EncoderNorm2(Tensor x);
    [Dense(128, Activation.ReLU)]          private partial Tensor EncoderUp(Tensor x);
    [Dense(32)]                            private partial Tensor EncoderDown(Tensor x);
    [LayerNorm]                            private partial Tensor MemoryNorm(Tensor x);

    [LayerNorm]                            private partial Tensor DecoderNorm1(Tensor x);
    [MultiHeadAttention(4, Causal = true)] private partial Tensor DecoderSelfAttention(Tensor x);
    [LayerNorm]                            private partial Tensor DecoderNorm2(Tensor x);
    [CrossAttention(4)]                    private partial Tensor DecoderCross(Tensor query, Tensor memory);
    [LayerNorm]                            private partial Tensor DecoderNorm3(Tensor x);
    [Dense(128, Activation.ReLU)]          private partial Tensor DecoderUp(Tensor x);
    [Dense(32)]                            private partial Tensor DecoderDown(Tensor x);

    [LayerNorm]                            private partial Tensor FinalNorm(Tensor x);
    [Dense(DigitSorting.Vocabulary)]       private partial Tensor Logits(Tensor x);

    [Forward]
    private Tensor Forward(Tensor source, Tensor target)
    {
        var s = SourcePositions(SourceTokens(source));
        s = s + EncoderAttention(EncoderNorm1(s));
        s = s + EncoderDown(EncoderUp(EncoderNorm2(s)));
        var memory = MemoryNorm(s);

        var x = TargetPositions(TargetTokens(target));
        x = x + DecoderSelfAttention(DecoderNorm1(x));
        x = x + DecoderCross(DecoderNorm2(x), memory);
        x = x + DecoderDown(DecoderUp(DecoderNorm3(x)));
        return Logits(FinalNorm(x));
    }
}
