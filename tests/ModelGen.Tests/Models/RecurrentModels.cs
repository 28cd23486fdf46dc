using ModelGen;

namespace ModelGen.Tests.Models;

// Small sequence and 1-D models for the gradient checks: every recurrent mode (uni- and
// bidirectional, last state and full sequence), Conv1d geometry, GroupNorm and Reshape views.

[Model(Input = new[] { 5, 3 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class LstmLastNet
{
    [LSTM(4)] private partial Tensor Encoder(Tensor x);
    [Dense(3)] private partial Tensor Out(Tensor x);
}

[Model(Input = new[] { 5, 3 }, Loss = Loss.MeanSquaredError)]
public partial class LstmSequenceNet
{
    [LSTM(4, ReturnSequences = true)] private partial Tensor Encoder(Tensor x);
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(2)] private partial Tensor Out(Tensor x);
}

[Model(Input = new[] { 4, 3 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class LstmBidirectionalNet
{
    [LSTM(3, Bidirectional = true)] private partial Tensor Encoder(Tensor x);
    [Dense(3, In = 6)] private partial Tensor Out(Tensor x);

    /// <summary>The same layers, called one by one on tensors.</summary>
    public Tensor EagerForward(Tensor x) => Out(Encoder(x));
}

/// <summary>A stack: the bidirectional sequence output feeds a second LSTM.</summary>
[Model(Input = new[] { 4, 3 }, Loss = Loss.MeanSquaredError)]
public partial class LstmBidirectionalSequenceNet
{
    [LSTM(3, Bidirectional = true, ReturnSequences = true)] private partial Tensor Encoder(Tensor x);
    [LSTM(2, In = 6)] private partial Tensor Summary2(Tensor x);
    [Dense(2)] private partial Tensor Out(Tensor x);

    /// <summary>The same layers, called one by one on tensors.</summary>
    public Tensor EagerForward(Tensor x) => Out(Summary2(Encoder(x)));
}

[Model(Input = new[] { 5, 3 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class GruLastNet
{
    [GRU(4)] private partial Tensor Encoder(Tensor x);
    [Dense(3)] private partial Tensor Out(Tensor x);
}

[Model(Input = new[] { 5, 3 }, Loss = Loss.MeanSquaredError)]
public partial class GruSequenceNet
{
    [GRU(4, ReturnSequences = true)] private partial Tensor Encoder(Tensor x);
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(2)] private partial Tensor Out(Tensor x);
}

[Model(Input = new[] { 4, 3 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class GruBidirectionalNet
{
    [GRU(3, Bidirectional = true)] private partial Tensor Encoder(Tensor x);
    [Dense(3)] private partial Tensor Out(Tensor x);
}

[Model(Input = new[] { 4, 3 }, Loss = Loss.MeanSquaredError)]
public partial class GruBidirectionalSequenceNet
{
    [GRU(3, Bidirectional = true, ReturnSequences = true)] private partial Tensor Encoder(Tensor x);
    [GRU(2)] private partial Tensor Summary2(Tensor x);
    [Dense(2)] private partial Tensor Out(Tensor x);

    /// <summary>The same layers, called one by one on tensors.</summary>
    public Tensor EagerForward(Tensor x) => Out(Summary2(Encoder(x)));
}

/// <summary>Conv1d with padding, stride with groups, dilation without bias, and all three together.</summary>
[Model(Input = new[] { 3, 11 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class Conv1dNet
{
    [Conv1d(4, 3, Activation.Tanh, Padding = 1)] private partial Tensor C1(Tensor x);                  // → [4, 11]
    [Conv1d(4, 3, Activation.SiLU, Stride = 2, Groups = 2)] private partial Tensor C2(Tensor x);       // → [4, 5]
    [Conv1d(2, 2, Dilation = 2, Bias = false)] private partial Tensor C3(Tensor x);                   // → [2, 3]
    [Conv1d(3, 3, Activation.LeakyReLU, Stride = 2, Padding = 2, Dilation = 2, NegativeSlope = 0.2f)] private partial Tensor C4(Tensor x);   // → [3, 2]
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(3)] private partial Tensor Out(Tensor x);

    /// <summary>The same layers, called one by one on tensors.</summary>
    public Tensor EagerForward(Tensor x) => Out(Flat(C4(C3(C2(C1(x))))));
}

/// <summary>GroupNorm on the input (no input gradient) and after a convolution.</summary>
[Model(Input = new[] { 4, 6 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class GroupNormNet
{
    [GroupNorm(2)] private partial Tensor InputNorm(Tensor x);
    [Conv1d(6, 3, Activation.Tanh, Padding = 1)] private partial Tensor C(Tensor x);
    [GroupNorm(3, Epsilon = 1e-3f)] private partial Tensor Norm(Tensor x);
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(3)] private partial Tensor Out(Tensor x);

    /// <summary>The same layers, called one by one on tensors.</summary>
    public Tensor EagerForward(Tensor x) => Out(Flat(Norm(C(InputNorm(x)))));
}

/// <summary>A flat vector reshaped into steps for a GRU (with an inferred −1).</summary>
[Model(Input = new[] { 12 }, Loss = Loss.MeanSquaredError)]
public partial class ReshapeNet
{
    [Dense(12, Activation.Tanh)] private partial Tensor Up(Tensor x);
    [Reshape(4, -1)] private partial Tensor Steps(Tensor x);
    [GRU(3)] private partial Tensor Encoder(Tensor x);
    [Dense(2)] private partial Tensor Out(Tensor x);

    /// <summary>The same layers, called one by one on tensors.</summary>
    public Tensor EagerForward(Tensor x) => Out(Encoder(Steps(Up(x))));
}

/// <summary>A Reshape view with two consumers, and a Flatten of a Reshape back into a residual sum.</summary>
[Model(Input = new[] { 12 }, Loss = Loss.MeanSquaredError)]
public partial class ReshapeGraphNet
{
    [Dense(12, Activation.SiLU)] private partial Tensor Up(Tensor x);
    [Reshape(3, 4)] private partial Tensor Channels(Tensor x);
    [Conv1d(3, 3, Activation.Tanh, Padding = 1)] private partial Tensor Conv(Tensor x);
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(2)] private partial Tensor Out(Tensor x);

    [Forward]
    private Tensor Forward(Tensor x)
    {
        var c = Channels(Up(x));
        return Out(Flat(Conv(c) + c) + x);
    }
}

/// <summary>Conv1d → LSTM → Dense: the convolution's [channels, length] output read as channels steps of length features.</summary>
[Model(Input = new[] { 2, 12 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class ConvLstmNet
{
    [Conv1d(4, 3, Activation.ReLU, Stride = 1, Padding = 1)] private partial Tensor Features(Tensor x);   // → [4, 12]
    [LSTM(5)] private partial Tensor Encoder(Tensor x);                                                   // 4 steps of 12 → [5]
    [Dense(3)] private partial Tensor Out(Tensor x);
}

/// <summary>A small LSTM classifier for the training test: 10 steps of 2 features, 2 classes.</summary>
[Model(Input = new[] { 10, 2 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class SequenceClassifier
{
    [LSTM(8)] private partial Tensor Encoder(Tensor x);
    [Dense(2)] private partial Tensor Logits(Tensor x);
}

/// <summary>GroupNorm over image channels: two groups of two on the input, then one group per channel after a Conv2d.</summary>
[Model(Input = new[] { 4, 3, 3 }, Loss = Loss.MeanSquaredError)]
public partial class GroupNormImageNet
{
    [GroupNorm(2)] private partial Tensor InputNorm(Tensor x);
    [Conv2d(4, 2, Activation.GELU)] private partial Tensor C(Tensor x);
    [GroupNorm(4)] private partial Tensor Norm(Tensor x);
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(2)] private partial Tensor Out(Tensor x);
}

/// <summary>'Same' 1-D convolutions: an even kernel (one more zero at the end) and a dilated odd one.</summary>
[Model(Input = new[] { 2, 7 }, Loss = Loss.MeanSquaredError)]
public partial class Conv1dSameNet
{
    [Conv1d(3, 4, Activation.Tanh, SamePadding = true)] private partial Tensor C1(Tensor x);              // pads 1 + 2 → [3, 7]
    [Conv1d(2, 3, SamePadding = true, Dilation = 2)] private partial Tensor C2(Tensor x);                // pads 2 + 2 → [2, 7]
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(2, In = 14)] private partial Tensor Out(Tensor x);

    /// <summary>The same layers, called one by one on tensors.</summary>
    public Tensor EagerForward(Tensor x) => Out(Flat(C2(C1(x))));
}

/// <summary>One GRU shared by two call sites of different lengths (4 and 2 steps): per-site geometry, accumulated gradients.</summary>
[Model(Input = new[] { 12 }, Loss = Loss.MeanSquaredError)]
public partial class SharedGruNet
{
    [Reshape(4, 3)] private partial Tensor Long(Tensor x);
    [Dense(6, Activation.Tanh)] private partial Tensor Up(Tensor x);
    [Reshape(2, 3)] private partial Tensor Short(Tensor x);
    [GRU(3, Bidirectional = true)] private partial Tensor Encoder(Tensor x);
    [Dense(2)] private partial Tensor Out(Tensor x);

    [Forward]
    private Tensor Forward(Tensor x) => Out(Encoder(Long(x)) + Encoder(Short(Up(x))));
}

/// <summary>
/// One bidirectional LSTM called on the input and on a per-position Dense of it: shared weights with accumulated
/// gradients, and both directions' input gradients flowing into a layer that learns.
/// </summary>
[Model(Input = new[] { 3, 2 }, Loss = Loss.MeanSquaredError)]
public partial class SharedLstmNet
{
    [Dense(2, Activation.Tanh)] private partial Tensor Up(Tensor x);
    [LSTM(2, Bidirectional = true, ReturnSequences = true)] private partial Tensor Encoder(Tensor x);
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(2)] private partial Tensor Out(Tensor x);

    [Forward]
    private Tensor Forward(Tensor x) => Out(Flat(Encoder(x) + Encoder(Up(x))));
}
