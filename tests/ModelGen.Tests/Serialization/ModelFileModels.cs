using ModelGen;

namespace ModelGen.Tests.Serialization;

// Models for the save/load tests: a CNN with BatchNorm, the same CNN under another name and with a changed option, a
// model that reuses its convolutions under a new head, one that names a convolution differently, and a BatchNorm
// layer called twice per forward pass.

/// <summary>Two convolutions with BatchNorm between them and a 5-class head.</summary>
[Model(Input = new[] { 2, 6, 6 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class FeatureCnn
{
    [Conv2d(4, 3, Activation.ReLU)] private partial Tensor C1(Tensor x);   // [4, 4, 4]
    [BatchNorm] private partial Tensor Norm(Tensor x);
    [Conv2d(3, 3, Activation.ReLU)] private partial Tensor C2(Tensor x);   // [3, 2, 2]
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(5)] private partial Tensor Head(Tensor x);
}

/// <summary><see cref="FeatureCnn"/> declared again under another name: the same architecture.</summary>
[Model(Input = new[] { 2, 6, 6 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class FeatureCnnCopy
{
    [Conv2d(4, 3, Activation.ReLU)] private partial Tensor C1(Tensor x);
    [BatchNorm] private partial Tensor Norm(Tensor x);
    [Conv2d(3, 3, Activation.ReLU)] private partial Tensor C2(Tensor x);
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(5)] private partial Tensor Head(Tensor x);
}

/// <summary><see cref="FeatureCnn"/> with Tanh after C2: the same tensors, another architecture.</summary>
[Model(Input = new[] { 2, 6, 6 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class FeatureCnnTanh
{
    [Conv2d(4, 3, Activation.ReLU)] private partial Tensor C1(Tensor x);
    [BatchNorm] private partial Tensor Norm(Tensor x);
    [Conv2d(3, 3, Activation.Tanh)] private partial Tensor C2(Tensor x);
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(5)] private partial Tensor Head(Tensor x);
}

/// <summary><see cref="FeatureCnn"/>'s convolutions under a new head (a hidden layer and one binary logit).</summary>
[Model(Input = new[] { 2, 6, 6 }, Loss = Loss.BinaryCrossEntropy)]
public partial class FeatureCnnNewHead
{
    [Conv2d(4, 3, Activation.ReLU)] private partial Tensor C1(Tensor x);
    [BatchNorm] private partial Tensor Norm(Tensor x);
    [Conv2d(3, 3, Activation.ReLU)] private partial Tensor C2(Tensor x);
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(8, Activation.ReLU)] private partial Tensor Hidden(Tensor x);
    [Dense(1)] private partial Tensor Head(Tensor x);
}

/// <summary><see cref="FeatureCnn"/> with its first convolution named Features.</summary>
[Model(Input = new[] { 2, 6, 6 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class RenamedFeatureCnn
{
    [Conv2d(4, 3, Activation.ReLU)] private partial Tensor Features(Tensor x);
    [BatchNorm] private partial Tensor Norm(Tensor x);
    [Conv2d(3, 3, Activation.ReLU)] private partial Tensor C2(Tensor x);
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(5)] private partial Tensor Head(Tensor x);
}

/// <summary>One BatchNorm layer applied twice per forward pass (shared γ, β and running statistics).</summary>
[Model(Input = new[] { 4 }, Loss = Loss.MeanSquaredError)]
public partial class TwiceNormalised
{
    [BatchNorm] private partial Tensor Norm(Tensor x);
    [Dense(4, Activation.Tanh)] private partial Tensor Mix(Tensor x);
    [Dense(2)] private partial Tensor Out(Tensor x);

    [Forward]
    private Tensor Forward(Tensor x) => Out(Norm(Mix(Norm(x))));
}
