using ModelGen;

namespace ModelGen.Tests.Interop;

// Models with PyTorch twins (Interop/Fixtures/make_torch_fixtures.py builds each twin with submodules named
// like the layer methods below). Together they cover every layer family with non-default options; they are
// small so the committed fixtures stay small. Changing a model here means regenerating its fixtures.

/// <summary>Every activation on its own branch of the same input, joined by a concat (nn.Linear + each activation).</summary>
[Model(Input = new[] { 6 }, Loss = Loss.MeanSquaredError)]
public partial class InteropActivations
{
    [Dense(5, Activation.ReLU)] private partial Tensor Relu(Tensor x);
    [Dense(5, Activation.LeakyReLU, NegativeSlope = 0.2f)] private partial Tensor Leaky(Tensor x);
    [Dense(5, Activation.GELU)] private partial Tensor Gelu(Tensor x);
    [Dense(5, Activation.SiLU)] private partial Tensor Silu(Tensor x);
    [Dense(5, Activation.Sigmoid)] private partial Tensor Sigmoid(Tensor x);
    [Dense(5, Activation.Tanh, Bias = false)] private partial Tensor Tanh(Tensor x);
    [Dense(5)] private partial Tensor Linear(Tensor x);
    [Dense(4)] private partial Tensor Head(Tensor x);

    [Forward]
    private Tensor Forward(Tensor x) =>
        Head(Tensor.Concat(Relu(x), Leaky(x), Gelu(x), Silu(x), Sigmoid(x), Tanh(x), Linear(x)));
}

/// <summary>
/// The exact GELU (PyTorch's default nn.GELU()) after a Conv1d and a Dense layer, next to the tanh form (nn.GELU(approximate="tanh"))
/// on a second branch of the same features.
/// </summary>
[Model(Input = new[] { 3, 8 }, Loss = Loss.MeanSquaredError)]
public partial class InteropGeluExact
{
    [Conv1d(4, 3, Activation.GELUExact, Padding = 1)] private partial Tensor C(Tensor x);   // [4, 8]
    [Flatten] private partial Tensor Flat(Tensor x);                                        // [32]
    [Dense(6, Activation.GELUExact)] private partial Tensor Exact(Tensor x);
    [Dense(6, Activation.GELU)] private partial Tensor Approx(Tensor x);
    [Dense(3)] private partial Tensor Out(Tensor x);

    [Forward]
    private Tensor Forward(Tensor x)
    {
        var features = Flat(C(x));
        return Out(Tensor.Concat(Exact(features), Approx(features)));
    }
}

/// <summary>Conv2d with groups, padding, dilation, 'same' padding, stride and no bias; BatchNorm2d; max and average pooling with padding.</summary>
[Model(Input = new[] { 4, 9, 9 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class InteropConv2d
{
    [Conv2d(8, 3, Activation.ReLU, Groups = 2, Padding = 1)] private partial Tensor C1(Tensor x);                            // [8, 9, 9]
    [BatchNorm] private partial Tensor Norm(Tensor x);
    [MaxPool2d(3, Stride = 2, Padding = 1)] private partial Tensor P1(Tensor x);                                            // [8, 5, 5]
    [Conv2d(8, 3, Activation.SiLU, Dilation = 2, SamePadding = true, Groups = 4, Bias = false)] private partial Tensor C2(Tensor x); // [8, 5, 5]
    [AvgPool2d(2, Stride = 1, Padding = 1)] private partial Tensor P2(Tensor x);                                            // [8, 6, 6]
    [Conv2d(6, 2, Activation.Tanh, Stride = 2)] private partial Tensor C3(Tensor x);                                        // [6, 3, 3]
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(5, In = 54)] private partial Tensor Logits(Tensor x);
}

/// <summary>Two convolution branches (one 1×1 with the default LeakyReLU slope) concatenated along channels, GroupNorm on images, global average pooling, BatchNorm1d on features.</summary>
[Model(Input = new[] { 3, 9, 9 }, Loss = Loss.BinaryCrossEntropy)]
public partial class InteropPooling
{
    [Conv2d(4, 3, Activation.ReLU, Stride = 2, Padding = 1)] private partial Tensor Wide(Tensor x);   // [4, 5, 5]
    [Conv2d(2, 1, Activation.LeakyReLU, Stride = 2)] private partial Tensor Narrow(Tensor x);        // [2, 5, 5]
    [GroupNorm(3)] private partial Tensor Norm(Tensor x);
    [GlobalAvgPool] private partial Tensor Pool(Tensor x);                                           // [6]
    [BatchNorm] private partial Tensor Stats(Tensor x);
    [Dense(2)] private partial Tensor Out(Tensor x);

    [Forward]
    private Tensor Forward(Tensor x) => Out(Stats(Pool(Norm(Tensor.Concat(0, Wide(x), Narrow(x))))));
}

/// <summary>Conv1d with groups and dilation, 'same' padding with an even kernel, stride with groups = channels; BatchNorm1d and GroupNorm on [channels, length].</summary>
[Model(Input = new[] { 4, 16 }, Loss = Loss.BinaryCrossEntropy)]
public partial class InteropConv1d
{
    [Conv1d(6, 3, Activation.GELU, Groups = 2, Dilation = 2, Padding = 2)] private partial Tensor C1(Tensor x);   // [6, 16]
    [BatchNorm] private partial Tensor Norm(Tensor x);
    [GroupNorm(3)] private partial Tensor Groups(Tensor x);
    [Conv1d(4, 4, Activation.Tanh, SamePadding = true)] private partial Tensor C2(Tensor x);                     // [4, 16]
    [Conv1d(4, 2, Stride = 2, Groups = 4, Bias = false)] private partial Tensor C3(Tensor x);                    // [4, 8]
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dropout(0.3f)] private partial Tensor Drop(Tensor x);
    [Dense(3, Activation.Sigmoid)] private partial Tensor Out(Tensor x);
}

/// <summary>Embedding with a padding id (3, which also occurs inside the sequences), learned positions over a longer table, LayerNorm and Dense per position.</summary>
[Model(Input = new[] { 6 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class InteropEmbedding
{
    [Embedding(11, 4, PaddingIndex = 3)] private partial Tensor Tokens(Tensor ids);   // [6, 4]
    [PositionalEmbedding(10)] private partial Tensor Positions(Tensor x);
    [LayerNorm] private partial Tensor Norm(Tensor x);
    [Dense(5, Activation.GELU)] private partial Tensor Mix(Tensor x);                 // [6, 5]
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(3)] private partial Tensor Logits(Tensor x);
}

/// <summary>A pre-LayerNorm transformer block with full (non-causal) attention and a class per position.</summary>
[Model(Input = new[] { 5 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class InteropAttention
{
    [Embedding(13, 8)] private partial Tensor Tokens(Tensor ids);
    [PositionalEmbedding(7)] private partial Tensor Positions(Tensor x);
    [LayerNorm] private partial Tensor Norm1(Tensor x);
    [MultiHeadAttention(2)] private partial Tensor Attention(Tensor x);
    [LayerNorm] private partial Tensor Norm2(Tensor x);
    [Dense(16, Activation.GELU)] private partial Tensor Up(Tensor x);
    [Dense(8)] private partial Tensor Down(Tensor x);
    [Dense(3)] private partial Tensor Tags(Tensor x);

    [Forward]
    private Tensor Forward(Tensor ids)
    {
        var x = Positions(Tokens(ids));
        x = x + Attention(Norm1(x));
        x = x + Down(Up(Norm2(x)));
        return Tags(x);
    }
}

/// <summary>Causal attention without biases (nn.MultiheadAttention(bias=False) with a triu(1) mask), next-token logits.</summary>
[Model(Input = new[] { 6 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class InteropCausalAttention
{
    [Embedding(10, 8)] private partial Tensor Tokens(Tensor ids);
    [PositionalEmbedding(6)] private partial Tensor Positions(Tensor x);
    [MultiHeadAttention(4, Causal = true, Bias = false)] private partial Tensor Attention(Tensor x);
    [LayerNorm] private partial Tensor Norm(Tensor x);
    [Dense(10)] private partial Tensor Logits(Tensor x);

    [Forward]
    private Tensor Forward(Tensor ids)
    {
        var x = Positions(Tokens(ids));
        return Logits(Norm(x + Attention(x)));
    }
}

/// <summary>Right-padded ids (MaskPadding): attention ignores padded keys (key_padding_mask), the bidirectional LSTM stops at each sample's end (pack_padded_sequence).</summary>
[Model(Input = new[] { 7 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class InteropMaskedEncoder
{
    [Embedding(9, 6, PaddingIndex = 0, MaskPadding = true)] private partial Tensor Tokens(Tensor ids);
    [PositionalEmbedding(7)] private partial Tensor Positions(Tensor x);
    [MultiHeadAttention(2)] private partial Tensor Attention(Tensor x);
    [LSTM(5, Bidirectional = true)] private partial Tensor Encoder(Tensor x);   // [10]
    [Dense(3)] private partial Tensor Logits(Tensor x);

    [Forward]
    private Tensor Forward(Tensor ids)
    {
        var x = Positions(Tokens(ids));
        x = x + Attention(x);
        return Logits(Encoder(x));
    }
}

/// <summary>Right-padded ids into a bidirectional GRU returning every step (padded steps are 0, as pad_packed_sequence gives), a class per position.</summary>
[Model(Input = new[] { 6 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class InteropMaskedTagger
{
    [Embedding(8, 4, PaddingIndex = 0, MaskPadding = true)] private partial Tensor Tokens(Tensor ids);
    [GRU(3, Bidirectional = true, ReturnSequences = true)] private partial Tensor Encoder(Tensor x);   // [seq≤6, 6]
    [Dense(4)] private partial Tensor Tags(Tensor x);
}

/// <summary>Reshape into steps, a bidirectional LSTM returning every step, then an LSTM's last state.</summary>
[Model(Input = new[] { 12 }, Loss = Loss.MeanSquaredError)]
public partial class InteropLstm
{
    [Reshape(4, 3)] private partial Tensor Steps(Tensor x);                                       // [4, 3]
    [LSTM(5, Bidirectional = true, ReturnSequences = true)] private partial Tensor Encoder(Tensor x);   // [4, 10]
    [LSTM(4)] private partial Tensor Summarise(Tensor x);                                         // [4]
    [Dense(2)] private partial Tensor Out(Tensor x);
}

/// <summary>A GRU returning every step, then a bidirectional GRU's last states (forward after the last step, backward after the first).</summary>
[Model(Input = new[] { 5, 3 }, Loss = Loss.MeanSquaredError)]
public partial class InteropGru
{
    [GRU(4, ReturnSequences = true)] private partial Tensor Encoder(Tensor x);     // [5, 4]
    [GRU(3, Bidirectional = true)] private partial Tensor Summarise(Tensor x);     // [6]
    [Dense(2, Activation.Tanh)] private partial Tensor Out(Tensor x);
}

/// <summary>Residual '+', gating '*', LayerNorm, layers called twice (shared weights) and a concat with the input.</summary>
[Model(Input = new[] { 8 }, Loss = Loss.MeanSquaredError)]
public partial class InteropResidual
{
    [Dense(12, Activation.GELU)] private partial Tensor Up(Tensor x);
    [Dense(8)] private partial Tensor Down(Tensor x);
    [Dense(8, Activation.Sigmoid)] private partial Tensor Gate(Tensor x);
    [LayerNorm] private partial Tensor Norm(Tensor x);
    [Dense(3)] private partial Tensor Head(Tensor x);

    [Forward]
    private Tensor Forward(Tensor x)
    {
        var h = x + Down(Up(x));
        h = Norm(h * Gate(h));
        return Head(Tensor.Concat(h, Down(Up(h)), x));
    }
}

/// <summary>Two inputs, declared wide then deep (so each row is wide | deep) while Forward names them the other way round; BatchNorm1d and Dropout on the deep path.</summary>
[Model(Loss = Loss.BinaryCrossEntropy)]
[Input("wide", 3)]
[Input("deep", 6)]
public partial class InteropTwoInputs
{
    [Dense(5, Activation.ReLU)] private partial Tensor Deep(Tensor x);
    [BatchNorm] private partial Tensor Norm(Tensor x);
    [Dropout(0.5f)] private partial Tensor Drop(Tensor x);
    [Dense(2)] private partial Tensor Logit(Tensor x);

    [Forward]
    private Tensor Forward(Tensor deep, Tensor wide) => Logit(Tensor.Concat(wide, Drop(Norm(Deep(deep)))));
}
