using ModelGen;

namespace ModelGen.Tests.Models;

// Small sequence models: token ids in, one class per position out (next-token cross-entropy). The
// gradient checks run their generated Graph<double>, so every emitted sequence backward path is exercised.

/// <summary>Embedding, then Dense over the last axis of [sequence, features].</summary>
[Model(Input = new[] { 6 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class EmbeddingNet
{
    [Embedding(11, 5)] private partial Tensor Tokens(Tensor ids);
    [Dense(4)] private partial Tensor Logits(Tensor x);
}

/// <summary>Id 3 pads: its row starts at zero and never gets a gradient.</summary>
[Model(Input = new[] { 6 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class PaddedEmbeddingNet
{
    [Embedding(11, 5, PaddingIndex = 3)] private partial Tensor Tokens(Tensor ids);
    [Dense(4)] private partial Tensor Logits(Tensor x);
}

/// <summary>Learned positions; the table is longer than the sequence, so its last rows get no gradient.</summary>
[Model(Input = new[] { 6 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class PositionsNet
{
    [Embedding(9, 4)] private partial Tensor Tokens(Tensor ids);
    [PositionalEmbedding(8)] private partial Tensor Positions(Tensor x);
    [Dense(3, Activation.Tanh)] private partial Tensor Logits(Tensor x);
}

[Model(Input = new[] { 5 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class AttentionNet
{
    [Embedding(7, 6)] private partial Tensor Tokens(Tensor ids);
    [MultiHeadAttention(2)] private partial Tensor Attention(Tensor x);
    [Dense(4)] private partial Tensor Logits(Tensor x);
}

[Model(Input = new[] { 5 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class CausalAttentionNet
{
    [Embedding(7, 6)] private partial Tensor Tokens(Tensor ids);
    [MultiHeadAttention(3, Causal = true, Bias = false)] private partial Tensor Attention(Tensor x);
    [Dense(4)] private partial Tensor Logits(Tensor x);
}

/// <summary>Dense with an activation and LayerNorm over [sequence, features].</summary>
[Model(Input = new[] { 5 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class SequenceDenseNormNet
{
    [Embedding(7, 6)] private partial Tensor Tokens(Tensor ids);
    [Dense(8, Activation.GELU)] private partial Tensor Hidden(Tensor x);
    [LayerNorm] private partial Tensor Norm(Tensor x);
    [Dense(4)] private partial Tensor Logits(Tensor x);
}

/// <summary>Dropout on [sequence, features] (masks drawn per element in training).</summary>
[Model(Input = new[] { 5 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class SequenceDropoutNet
{
    [Embedding(7, 6)] private partial Tensor Tokens(Tensor ids);
    [Dropout(0.25f)] private partial Tensor Drop(Tensor x);
    [Dense(4)] private partial Tensor Logits(Tensor x);
}

/// <summary>A pre-LayerNorm transformer block with both residuals, as in tiny-transformer, at toy sizes.</summary>
[Model(Input = new[] { 6 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class TransformerBlockNet
{
    [Embedding(13, 8)] private partial Tensor Tokens(Tensor ids);
    [PositionalEmbedding(6)] private partial Tensor Positions(Tensor x);
    [LayerNorm] private partial Tensor AttentionNorm(Tensor x);
    [MultiHeadAttention(2, Causal = true)] private partial Tensor Attention(Tensor x);
    [LayerNorm] private partial Tensor MlpNorm(Tensor x);
    [Dense(16, Activation.GELU)] private partial Tensor Up(Tensor x);
    [Dense(8)] private partial Tensor Down(Tensor x);
    [LayerNorm] private partial Tensor FinalNorm(Tensor x);
    [Dense(13)] private partial Tensor Logits(Tensor x);

    [Forward]
    private Tensor Forward(Tensor ids)
    {
        var x = Positions(Tokens(ids));
        x = x + Attention(AttentionNorm(x));
        x = x + Down(Up(MlpNorm(x)));
        return Logits(FinalNorm(x));
    }

    /// <summary>The [Forward] graph run layer by layer on tensors (the generated eager layer methods).</summary>
    public Tensor RunEagerly(Tensor ids) => Forward(ids);
}
