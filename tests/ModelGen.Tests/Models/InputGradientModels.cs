using ModelGen;

namespace ModelGen.Tests.Models;

/// <summary>Layers without parameters first: the input's gradient passes dropout and pooling before any layer that learns.</summary>
[Model(Input = new[] { 1, 6, 6 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class PoolFirstNet
{
    [Dropout(0.2f)] private partial Tensor Drop(Tensor x);
    [AvgPool2d(2)] private partial Tensor Pool(Tensor x);
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(3)] private partial Tensor Out(Tensor x);
}
