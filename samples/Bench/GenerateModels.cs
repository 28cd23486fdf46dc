using ModelGen;

namespace Bench;

// The generate benchmark: one encoder–decoder (d = 128, 4 heads, a 32-id source, vocabulary 96) declared with four
// decoder lengths. Their parameters have one layout, so one set of weights runs in all four: the cached Generate of the
// 64-position model against re-running the model whose length is the number of ids decoded so far.

/// <summary>seq2seq-generate: encoder (pre-LayerNorm self-attention) and decoder (causal self-attention, cross-attention, MLP 128 → 512 GELU → 128), 64 decoder positions.</summary>
[Model(Loss = Loss.SoftmaxCrossEntropy)]
[Input("source", 32)]
[Input("target", 64)]
public partial class Seq2Seq64
{
    [Embedding(96, 128)] private partial Tensor SourceTokens(Tensor ids);
    [Embedding(96, 128)] private partial Tensor TargetTokens(Tensor ids);
    [PositionalEmbedding(64)] private partial Tensor SourcePositions(Tensor x);
    [PositionalEmbedding(64)] private partial Tensor TargetPositions(Tensor x);
    [LayerNorm] private partial Tensor EncoderNorm(Tensor x);
    [MultiHeadAttention(4)] private partial Tensor Encoder(Tensor x);
    [LayerNorm] private partial Tensor SelfNorm(Tensor x);
    [MultiHeadAttention(4, Causal = true)] private partial Tensor SelfAttention(Tensor x);
    [LayerNorm] private partial Tensor CrossNorm(Tensor x);
    [CrossAttention(4)] private partial Tensor Cross(Tensor query, Tensor memory);
    [LayerNorm] private partial Tensor MlpNorm(Tensor x);
    [Dense(512, Activation.GELU)] private partial Tensor Up(Tensor x);
    [Dense(128)] private partial Tensor Down(Tensor x);
    [LayerNorm] private partial Tensor FinalNorm(Tensor x);
    [Dense(96)] private partial Tensor Logits(Tensor x);

    [Forward]
    private Tensor Forward(Tensor source, Tensor target)
    {
        var s = SourcePositions(SourceTokens(source));
        var memory = s + Encoder(EncoderNorm(s));
        var x = TargetPositions(TargetTokens(target));
        x = x + SelfAttention(SelfNorm(x));
        x = x + Cross(CrossNorm(x), memory);
        x = x + Down(Up(MlpNorm(x)));
        return Logits(FinalNorm(x));
    }
}

/// <summary><see cref="Seq2Seq64"/> with 8 decoder positions (the naive decode of 8 ids re-runs it).</summary>
[Model(Loss = Loss.SoftmaxCrossEntropy)]
[Input("source", 32)]
[Input("target", 8)]
public partial class Seq2Seq8
{
    [Embedding(96, 128)] private partial Tensor SourceTokens(Tensor ids);
    [Embedding(96, 128)] private partial Tensor TargetTokens(Tensor ids);
    [PositionalEmbedding(64)] private partial Tensor SourcePositions(Tensor x);
    [PositionalEmbedding(64)] private partial Tensor TargetPositions(Tensor x);
    [LayerNorm] private partial Tensor EncoderNorm(Tensor x);
    [MultiHeadAttention(4)] private partial Tensor Encoder(Tensor x);
    [LayerNorm] private partial Tensor SelfNorm(Tensor x);
    [MultiHeadAttention(4, Causal = true)] private partial Tensor SelfAttention(Tensor x);
    [LayerNorm] private partial Tensor CrossNorm(Tensor x);
    [CrossAttention(4)] private partial Tensor Cross(Tensor query, Tensor memory);
    [LayerNorm] private partial Tensor MlpNorm(Tensor x);
    [Dense(512, Activation.GELU)] private partial Tensor Up(Tensor x);
    [Dense(128)] private partial Tensor Down(Tensor x);
    [LayerNorm] private partial Tensor FinalNorm(Tensor x);
    [Dense(96)] private partial Tensor Logits(Tensor x);

    [Forward]
    private Tensor Forward(Tensor source, Tensor target)
    {
        var s = SourcePositions(SourceTokens(source));
        var memory = s + Encoder(EncoderNorm(s));
        var x = TargetPositions(TargetTokens(target));
        x = x + SelfAttention(SelfNorm(x));
        x = x + Cross(CrossNorm(x), memory);
        x = x + Down(Up(MlpNorm(x)));
        return Logits(FinalNorm(x));
    }
}

/// <summary><see cref="Seq2Seq64"/> with 16 decoder positions (the naive decode of 16 ids re-runs it).</summary>
[Model(Loss = Loss.SoftmaxCrossEntropy)]
[Input("source", 32)]
[Input("target", 16)]
public partial class Seq2Seq16
{
    [Embedding(96, 128)] private partial Tensor SourceTokens(Tensor ids);
    [Embedding(96, 128)] private partial Tensor TargetTokens(Tensor ids);
    [PositionalEmbedding(64)] private partial Tensor SourcePositions(Tensor x);
    [PositionalEmbedding(64)] private partial Tensor TargetPositions(Tensor x);
    [LayerNorm] private partial Tensor EncoderNorm(Tensor x);
    [MultiHeadAttention(4)] private partial Tensor Encoder(Tensor x);
    [LayerNorm] private partial Tensor SelfNorm(Tensor x);
    [MultiHeadAttention(4, Causal = true)] private partial Tensor SelfAttention(Tensor x);
    [LayerNorm] private partial Tensor CrossNorm(Tensor x);
    [CrossAttention(4)] private partial Tensor Cross(Tensor query, Tensor memory);
    [LayerNorm] private partial Tensor MlpNorm(Tensor x);
    [Dense(512, Activation.GELU)] private partial Tensor Up(Tensor x);
    [Dense(128)] private partial Tensor Down(Tensor x);
    [LayerNorm] private partial Tensor FinalNorm(Tensor x);
    [Dense(96)] private partial Tensor Logits(Tensor x);

    [Forward]
    private Tensor Forward(Tensor source, Tensor target)
    {
        var s = SourcePositions(SourceTokens(source));
        var memory = s + Encoder(EncoderNorm(s));
        var x = TargetPositions(TargetTokens(target));
        x = x + SelfAttention(SelfNorm(x));
        x = x + Cross(CrossNorm(x), memory);
        x = x + Down(Up(MlpNorm(x)));
        return Logits(FinalNorm(x));
    }
}

/// <summary><see cref="Seq2Seq64"/> with 32 decoder positions (the naive decode of 32 ids re-runs it).</summary>
[Model(Loss = Loss.SoftmaxCrossEntropy)]
[Input("source", 32)]
[Input("target", 32)]
public partial class Seq2Seq32
{
    [Embedding(96, 128)] private partial Tensor SourceTokens(Tensor ids);
    [Embedding(96, 128)] private partial Tensor TargetTokens(Tensor ids);
    [PositionalEmbedding(64)] private partial Tensor SourcePositions(Tensor x);
    [PositionalEmbedding(64)] private partial Tensor TargetPositions(Tensor x);
    [LayerNorm] private partial Tensor EncoderNorm(Tensor x);
    [MultiHeadAttention(4)] private partial Tensor Encoder(Tensor x);
    [LayerNorm] private partial Tensor SelfNorm(Tensor x);
    [MultiHeadAttention(4, Causal = true)] private partial Tensor SelfAttention(Tensor x);
    [LayerNorm] private partial Tensor CrossNorm(Tensor x);
    [CrossAttention(4)] private partial Tensor Cross(Tensor query, Tensor memory);
    [LayerNorm] private partial Tensor MlpNorm(Tensor x);
    [Dense(512, Activation.GELU)] private partial Tensor Up(Tensor x);
    [Dense(128)] private partial Tensor Down(Tensor x);
    [LayerNorm] private partial Tensor FinalNorm(Tensor x);
    [Dense(96)] private partial Tensor Logits(Tensor x);

    [Forward]
    private Tensor Forward(Tensor source, Tensor target)
    {
        var s = SourcePositions(SourceTokens(source));
        var memory = s + Encoder(EncoderNorm(s));
        var x = TargetPositions(TargetTokens(target));
        x = x + SelfAttention(SelfNorm(x));
        x = x + Cross(CrossNorm(x), memory);
        x = x + Down(Up(MlpNorm(x)));
        return Logits(FinalNorm(x));
    }
}
