using ModelGen;

namespace ModelGen.Tests.Models;

// One small model per activation, loss and graph operation: the gradient checks run the
// generated Graph<double> of each, so every emitted backward path is exercised.

[Model(Input = new[] { 5 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class ReluNet
{
    [Dense(7, Activation.ReLU)] private partial Tensor A(Tensor x);
    [Dense(3)] private partial Tensor B(Tensor x);
}

[Model(Input = new[] { 5 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class LeakyReluNet
{
    [Dense(7, Activation.LeakyReLU, NegativeSlope = 0.2f)] private partial Tensor A(Tensor x);
    [Dense(3)] private partial Tensor B(Tensor x);
}

[Model(Input = new[] { 5 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class GeluNet
{
    [Dense(7, Activation.GELU)] private partial Tensor A(Tensor x);
    [Dense(3)] private partial Tensor B(Tensor x);
}

/// <summary>The exact GELU after a Conv1d and after a Dense layer (their two epilogues).</summary>
[Model(Input = new[] { 2, 6 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class GeluExactNet
{
    [Conv1d(3, 3, Activation.GELUExact, Padding = 1)] private partial Tensor C(Tensor x);   // [3, 6]
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(5, Activation.GELUExact)] private partial Tensor A(Tensor x);
    [Dense(3)] private partial Tensor B(Tensor x);
}

[Model(Input = new[] { 5 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class SiluNet
{
    [Dense(7, Activation.SiLU)] private partial Tensor A(Tensor x);
    [Dense(3)] private partial Tensor B(Tensor x);
}

[Model(Input = new[] { 5 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class SigmoidNet
{
    [Dense(7, Activation.Sigmoid)] private partial Tensor A(Tensor x);
    [Dense(3)] private partial Tensor B(Tensor x);
}

[Model(Input = new[] { 5 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class TanhNet
{
    [Dense(7, Activation.Tanh)] private partial Tensor A(Tensor x);
    [Dense(3)] private partial Tensor B(Tensor x);
}

[Model(Input = new[] { 4 }, Loss = Loss.MeanSquaredError)]
public partial class MseNet
{
    [Dense(6, Activation.Tanh)] private partial Tensor A(Tensor x);
    [Dense(2)] private partial Tensor B(Tensor x);
}

[Model(Input = new[] { 4 }, Loss = Loss.BinaryCrossEntropy, PosWeight = 2.5f)]
public partial class BceNet
{
    [Dense(6, Activation.SiLU)] private partial Tensor A(Tensor x);
    [Dense(3)] private partial Tensor B(Tensor x);
}

/// <summary>Residual add, gating product, a layer shared by two calls, and a layer without bias.</summary>
[Model(Input = new[] { 6 }, Loss = Loss.MeanSquaredError)]
public partial class GraphNet
{
    [Dense(6, Activation.Tanh)] private partial Tensor Shared(Tensor x);
    [Dense(6, Activation.Sigmoid)] private partial Tensor Gate(Tensor x);
    [Dense(2, Bias = false)] private partial Tensor Head(Tensor x);

    [Forward]
    public Tensor Forward(Tensor x)
    {
        var h = x + Shared(Shared(x));
        h = h * Gate(x);
        return Head(h + x);
    }
}

[Model(Input = new[] { 2, 3, 2 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class FlattenNet
{
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(4, Activation.Tanh)] private partial Tensor A(Tensor x);
    [Dense(3)] private partial Tensor B(Tensor x);
}

/// <summary>Flatten as a view inside a graph (its value has two consumers) and as the returned value.</summary>
[Model(Input = new[] { 6 }, Loss = Loss.MeanSquaredError)]
public partial class FlattenGraphNet
{
    [Dense(6, Activation.SiLU)] private partial Tensor A(Tensor x);
    [Dense(6)] private partial Tensor B(Tensor x);
    [Flatten] private partial Tensor Flat(Tensor x);

    [Forward]
    private Tensor Forward(Tensor x)
    {
        var f = Flat(A(x));
        return Flat(B(f) + f * x);
    }
}

/// <summary>Convolutions with padding, stride, dilation and groups, then a dense head.</summary>
[Model(Input = new[] { 2, 7, 7 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class ConvNet
{
    [Conv2d(4, 3, Activation.Tanh, Padding = 1)] private partial Tensor C1(Tensor x);
    [Conv2d(4, 3, Activation.SiLU, Stride = 2, Dilation = 1, Groups = 2)] private partial Tensor C2(Tensor x);
    [Conv2d(2, 2, Dilation = 2, Bias = false)] private partial Tensor C3(Tensor x);
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(3)] private partial Tensor Out(Tensor x);

    /// <summary>The same layers, called one by one on tensors.</summary>
    public Tensor EagerForward(Tensor x) => Out(Flat(C3(C2(C1(x)))));
}

/// <summary>A residual convolution block with 'same' padding.</summary>
[Model(Input = new[] { 3, 5, 5 }, Loss = Loss.MeanSquaredError)]
public partial class ConvResidualNet
{
    [Conv2d(3, 3, Activation.GELU, SamePadding = true)] private partial Tensor A(Tensor x);
    [Conv2d(3, 3, SamePadding = true)] private partial Tensor B(Tensor x);
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(2)] private partial Tensor Head(Tensor x);

    [Forward]
    private Tensor Forward(Tensor x) => Head(Flat(x + B(A(x))));
}

/// <summary>Max and average pooling (with padding and overlapping windows) and global average pooling.</summary>
[Model(Input = new[] { 2, 7, 7 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class PoolNet
{
    [Conv2d(3, 3, Activation.Tanh, Padding = 1)] private partial Tensor C1(Tensor x);
    [MaxPool2d(3, Stride = 2, Padding = 1)] private partial Tensor P1(Tensor x);
    [AvgPool2d(2, Stride = 1, Padding = 1)] private partial Tensor P2(Tensor x);
    [Conv2d(4, 2, Activation.SiLU)] private partial Tensor C2(Tensor x);
    [GlobalAvgPool] private partial Tensor Gap(Tensor x);
    [Dense(3)] private partial Tensor Out(Tensor x);

    /// <summary>The same layers, called one by one on tensors.</summary>
    public Tensor EagerForward(Tensor x) => Out(Gap(C2(P2(P1(C1(x))))));
}

/// <summary>LayerNorm on a flat vector and over the last axis of an image, with dropout between.</summary>
[Model(Input = new[] { 2, 3, 4 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class NormDropoutNet
{
    [LayerNorm] private partial Tensor RowNorm(Tensor x);
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(8, Activation.GELU)] private partial Tensor Hidden(Tensor x);
    [Dropout(0.3f)] private partial Tensor Drop(Tensor x);
    [LayerNorm(Epsilon = 1e-3f)] private partial Tensor Norm(Tensor x);
    [Dense(3)] private partial Tensor Out(Tensor x);

    /// <summary>The same layers, called one by one on tensors (dropout passes through).</summary>
    public Tensor EagerForward(Tensor x) => Out(Norm(Drop(Hidden(Flat(RowNorm(x))))));
}

[Model(Input = new[] { 4 }, Loss = Loss.MeanAbsoluteError)]
public partial class MaeNet
{
    [Dense(6, Activation.Tanh)] private partial Tensor A(Tensor x);
    [Dense(2)] private partial Tensor B(Tensor x);
}

/// <summary>Huber with a small delta, so both the quadratic and the linear parts are exercised.</summary>
[Model(Input = new[] { 4 }, Loss = Loss.Huber, HuberDelta = 0.5f)]
public partial class HuberNet
{
    [Dense(6, Activation.Tanh)] private partial Tensor A(Tensor x);
    [Dense(2)] private partial Tensor B(Tensor x);
}

/// <summary>BatchNorm per channel after a convolution (4-D) and per feature after a dense layer (2-D).</summary>
[Model(Input = new[] { 2, 5, 5 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class BatchNormNet
{
    [Conv2d(3, 3, Padding = 1)] private partial Tensor C(Tensor x);
    [BatchNorm] private partial Tensor Bn1(Tensor x);
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(6, Activation.ReLU)] private partial Tensor Hidden(Tensor x);
    [BatchNorm(Momentum = 0.2f)] private partial Tensor Bn2(Tensor x);
    [Dense(3)] private partial Tensor Out(Tensor x);

    /// <summary>The same layers, called one by one on tensors (BatchNorm with running statistics).</summary>
    public Tensor EagerForward(Tensor x) => Out(Bn2(Hidden(Flat(Bn1(C(x))))));
}
