using ModelGen;

namespace ModelGen.Tests.Models;

// Encoder–decoder models with CrossAttention: a source sequence encoded once, a decoder whose queries attend to it.

/// <summary>
/// A teacher-forced encoder–decoder: 7 source ids, 5 decoder input ids (the shifted target), a class per decoder
/// position. Odd lengths and widths of 3 per head, so no size hides a transposed index.
/// </summary>
[Model(Loss = Loss.SoftmaxCrossEntropy)]
[Input("source", 7)]
[Input("target", 5)]
public partial class TinySeq2Seq
{
    [Embedding(9, 6)] private partial Tensor SourceTokens(Tensor ids);
    [Embedding(9, 6)] private partial Tensor TargetTokens(Tensor ids);
    [PositionalEmbedding(8)] private partial Tensor SourcePositions(Tensor x);
    [PositionalEmbedding(8)] private partial Tensor TargetPositions(Tensor x);
    [MultiHeadAttention(2)] private partial Tensor Encoder(Tensor x);
    [MultiHeadAttention(2, Causal = true)] private partial Tensor SelfAttention(Tensor x);
    [LayerNorm] private partial Tensor Norm(Tensor x);
    [CrossAttention(2)] private partial Tensor Cross(Tensor query, Tensor memory);
    [Dense(9)] private partial Tensor Logits(Tensor x);

    [Forward]
    private Tensor Forward(Tensor source, Tensor target)
    {
        var s = SourcePositions(SourceTokens(source));
        var memory = s + Encoder(s);
        var x = TargetPositions(TargetTokens(target));
        x = x + SelfAttention(x);
        x = x + Cross(Norm(x), memory);
        return Logits(x);
    }

    /// <summary>The [Forward] graph run layer by layer on tensors.</summary>
    public Tensor RunEagerly(Tensor source, Tensor target) => Forward(source, target);
}

/// <summary>Queries computed from a padded sequence attend to that sequence (MaskPadding, id 0 pads), without biases.</summary>
[Model(Input = new[] { 8 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class MaskedCrossNet
{
    [Embedding(9, 6, PaddingIndex = 0, MaskPadding = true)] private partial Tensor Tokens(Tensor ids);
    [Dense(6, Activation.Tanh)] private partial Tensor Query(Tensor x);
    [CrossAttention(3, Bias = false)] private partial Tensor Cross(Tensor query, Tensor memory);
    [Dense(4)] private partial Tensor Tags(Tensor x);

    [Forward]
    private Tensor Forward(Tensor ids)
    {
        var memory = Tokens(ids);
        return Tags(Cross(Query(memory), memory));
    }
}

/// <summary>
/// Reverses 6 digits (ids 3…12) teacher-forced: the decoder reads the start id 1 and the reversed digits so far,
/// and predicts the next reversed digit, then the end id 2, at each of its 7 positions.
/// </summary>
[Model(Loss = Loss.SoftmaxCrossEntropy)]
[Input("source", 6)]
[Input("target", 7)]
public partial class DigitReverser
{
    [Embedding(13, 32)] private partial Tensor SourceTokens(Tensor ids);
    [Embedding(13, 32)] private partial Tensor TargetTokens(Tensor ids);
    [PositionalEmbedding(8)] private partial Tensor SourcePositions(Tensor x);
    [PositionalEmbedding(8)] private partial Tensor TargetPositions(Tensor x);
    [LayerNorm] private partial Tensor EncoderNorm(Tensor x);
    [MultiHeadAttention(4)] private partial Tensor Encoder(Tensor x);
    [LayerNorm] private partial Tensor SelfNorm(Tensor x);
    [MultiHeadAttention(4, Causal = true)] private partial Tensor SelfAttention(Tensor x);
    [LayerNorm] private partial Tensor CrossNorm(Tensor x);
    [CrossAttention(4)] private partial Tensor Cross(Tensor query, Tensor memory);
    [LayerNorm] private partial Tensor FinalNorm(Tensor x);
    [Dense(13)] private partial Tensor Logits(Tensor x);

    [Forward]
    private Tensor Forward(Tensor source, Tensor target)
    {
        var s = SourcePositions(SourceTokens(source));
        var memory = s + Encoder(EncoderNorm(s));
        var x = TargetPositions(TargetTokens(target));
        x = x + SelfAttention(SelfNorm(x));
        x = x + Cross(CrossNorm(x), memory);
        return Logits(FinalNorm(x));
    }
}

/// <summary><see cref="MaskedCrossNet"/> without the mask, at 3 positions (the same parameter layout).</summary>
[Model(Input = new[] { 3 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class CrossNetAtThree
{
    [Embedding(9, 6, PaddingIndex = 0)] private partial Tensor Tokens(Tensor ids);
    [Dense(6, Activation.Tanh)] private partial Tensor Query(Tensor x);
    [CrossAttention(3, Bias = false)] private partial Tensor Cross(Tensor query, Tensor memory);
    [Dense(4)] private partial Tensor Tags(Tensor x);

    [Forward]
    private Tensor Forward(Tensor ids)
    {
        var memory = Tokens(ids);
        return Tags(Cross(Query(memory), memory));
    }
}

/// <summary>
/// <see cref="TinySeq2Seq"/> with a padded source (id 0 pads, MaskPadding): the encoder's attention and the decoder's
/// cross-attention skip each source's padding.
/// </summary>
[Model(Loss = Loss.SoftmaxCrossEntropy)]
[Input("source", 7)]
[Input("target", 5)]
public partial class MaskedSeq2Seq
{
    [Embedding(9, 6, PaddingIndex = 0, MaskPadding = true)] private partial Tensor SourceTokens(Tensor ids);
    [Embedding(9, 6)] private partial Tensor TargetTokens(Tensor ids);
    [PositionalEmbedding(8)] private partial Tensor SourcePositions(Tensor x);
    [PositionalEmbedding(8)] private partial Tensor TargetPositions(Tensor x);
    [MultiHeadAttention(2)] private partial Tensor Encoder(Tensor x);
    [MultiHeadAttention(2, Causal = true)] private partial Tensor SelfAttention(Tensor x);
    [LayerNorm] private partial Tensor Norm(Tensor x);
    [CrossAttention(2)] private partial Tensor Cross(Tensor query, Tensor memory);
    [Dense(9)] private partial Tensor Logits(Tensor x);

    [Forward]
    private Tensor Forward(Tensor source, Tensor target)
    {
        var s = SourcePositions(SourceTokens(source));
        var memory = s + Encoder(s);
        var x = TargetPositions(TargetTokens(target));
        x = x + SelfAttention(x);
        x = x + Cross(Norm(x), memory);
        return Logits(x);
    }
}

/// <summary><see cref="MaskedSeq2Seq"/> without the mask and with 4 source positions (the same parameter layout).</summary>
[Model(Loss = Loss.SoftmaxCrossEntropy)]
[Input("source", 4)]
[Input("target", 5)]
public partial class Seq2SeqWithFourSourceIds
{
    [Embedding(9, 6, PaddingIndex = 0)] private partial Tensor SourceTokens(Tensor ids);
    [Embedding(9, 6)] private partial Tensor TargetTokens(Tensor ids);
    [PositionalEmbedding(8)] private partial Tensor SourcePositions(Tensor x);
    [PositionalEmbedding(8)] private partial Tensor TargetPositions(Tensor x);
    [MultiHeadAttention(2)] private partial Tensor Encoder(Tensor x);
    [MultiHeadAttention(2, Causal = true)] private partial Tensor SelfAttention(Tensor x);
    [LayerNorm] private partial Tensor Norm(Tensor x);
    [CrossAttention(2)] private partial Tensor Cross(Tensor query, Tensor memory);
    [Dense(9)] private partial Tensor Logits(Tensor x);

    [Forward]
    private Tensor Forward(Tensor source, Tensor target)
    {
        var s = SourcePositions(SourceTokens(source));
        var memory = s + Encoder(s);
        var x = TargetPositions(TargetTokens(target));
        x = x + SelfAttention(x);
        x = x + Cross(Norm(x), memory);
        return Logits(x);
    }
}
