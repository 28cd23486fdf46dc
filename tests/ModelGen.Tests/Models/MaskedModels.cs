using ModelGen;

namespace ModelGen.Tests.Models;

// Variable-length sequences (MaskPadding; id 0 pads) and fixed-length twins with the same parameter
// layout: a sample of length n, padded, must behave exactly as the twin that has n positions.

/// <summary>Attention over each sample's own positions, a class per position.</summary>
[Model(Input = new[] { 8 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class MaskedTagger
{
    [Embedding(9, 6, PaddingIndex = 0, MaskPadding = true)] private partial Tensor Tokens(Tensor ids);
    [PositionalEmbedding(8)] private partial Tensor Positions(Tensor x);
    [LayerNorm] private partial Tensor Norm(Tensor x);
    [MultiHeadAttention(2)] private partial Tensor Attention(Tensor x);
    [Dense(4, Activation.Tanh)] private partial Tensor Tags(Tensor x);

    [Forward]
    private Tensor Forward(Tensor ids)
    {
        var x = Positions(Tokens(ids));
        x = x + Attention(Norm(x));
        return Tags(x);
    }

    /// <summary>The [Forward] graph run layer by layer on tensors.</summary>
    public Tensor RunEagerly(Tensor ids) => Forward(ids);
}

/// <summary><see cref="MaskedTagger"/> without the mask, at 5 positions.</summary>
[Model(Input = new[] { 5 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class TaggerAtFive
{
    [Embedding(9, 6, PaddingIndex = 0)] private partial Tensor Tokens(Tensor ids);
    [PositionalEmbedding(8)] private partial Tensor Positions(Tensor x);
    [LayerNorm] private partial Tensor Norm(Tensor x);
    [MultiHeadAttention(2)] private partial Tensor Attention(Tensor x);
    [Dense(4, Activation.Tanh)] private partial Tensor Tags(Tensor x);

    [Forward]
    private Tensor Forward(Tensor ids)
    {
        var x = Positions(Tokens(ids));
        x = x + Attention(Norm(x));
        return Tags(x);
    }
}

/// <summary><see cref="MaskedTagger"/> without the mask, at 2 positions.</summary>
[Model(Input = new[] { 2 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class TaggerAtTwo
{
    [Embedding(9, 6, PaddingIndex = 0)] private partial Tensor Tokens(Tensor ids);
    [PositionalEmbedding(8)] private partial Tensor Positions(Tensor x);
    [LayerNorm] private partial Tensor Norm(Tensor x);
    [MultiHeadAttention(2)] private partial Tensor Attention(Tensor x);
    [Dense(4, Activation.Tanh)] private partial Tensor Tags(Tensor x);

    [Forward]
    private Tensor Forward(Tensor ids)
    {
        var x = Positions(Tokens(ids));
        x = x + Attention(Norm(x));
        return Tags(x);
    }
}

/// <summary>A bidirectional LSTM's last states classify each sample: forward after its last real id, backward from there.</summary>
[Model(Input = new[] { 7 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class MaskedLstmClassifier
{
    [Embedding(9, 4, PaddingIndex = 0, MaskPadding = true)] private partial Tensor Tokens(Tensor ids);
    [LSTM(5, Bidirectional = true)] private partial Tensor Encoder(Tensor x);
    [Dense(3)] private partial Tensor Logits(Tensor x);
}

/// <summary><see cref="MaskedLstmClassifier"/> without the mask, at 3 positions.</summary>
[Model(Input = new[] { 3 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class LstmClassifierAtThree
{
    [Embedding(9, 4, PaddingIndex = 0)] private partial Tensor Tokens(Tensor ids);
    [LSTM(5, Bidirectional = true)] private partial Tensor Encoder(Tensor x);
    [Dense(3)] private partial Tensor Logits(Tensor x);
}

/// <summary><see cref="MaskedLstmClassifier"/> without the mask, at 5 positions.</summary>
[Model(Input = new[] { 5 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class LstmClassifierAtFive
{
    [Embedding(9, 4, PaddingIndex = 0)] private partial Tensor Tokens(Tensor ids);
    [LSTM(5, Bidirectional = true)] private partial Tensor Encoder(Tensor x);
    [Dense(3)] private partial Tensor Logits(Tensor x);
}

/// <summary>A bidirectional GRU over every step, then a class per position.</summary>
[Model(Input = new[] { 6 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class MaskedGruTagger
{
    [Embedding(9, 4, PaddingIndex = 0, MaskPadding = true)] private partial Tensor Tokens(Tensor ids);
    [GRU(3, Bidirectional = true, ReturnSequences = true)] private partial Tensor Encoder(Tensor x);
    [Dense(4)] private partial Tensor Tags(Tensor x);
}

/// <summary><see cref="MaskedGruTagger"/> without the mask, at 4 positions.</summary>
[Model(Input = new[] { 4 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class GruTaggerAtFour
{
    [Embedding(9, 4, PaddingIndex = 0)] private partial Tensor Tokens(Tensor ids);
    [GRU(3, Bidirectional = true, ReturnSequences = true)] private partial Tensor Encoder(Tensor x);
    [Dense(4)] private partial Tensor Tags(Tensor x);
}

/// <summary>A causal language model over padded sequences: a stacked GRU feeds causal attention.</summary>
[Model(Input = new[] { 6 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class MaskedCausalNet
{
    [Embedding(7, 6, PaddingIndex = 0, MaskPadding = true)] private partial Tensor Tokens(Tensor ids);
    [GRU(6, ReturnSequences = true)] private partial Tensor Recurrence(Tensor x);
    [MultiHeadAttention(3, Causal = true)] private partial Tensor Attention(Tensor x);
    [Dense(7)] private partial Tensor Logits(Tensor x);
}
