using ModelGen;

namespace ModelGen.Tests.Models;

[Model(Input = new[] { 5 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class Blobs
{
    [Dense(32, Activation.ReLU)] private partial Tensor Hidden(Tensor x);
    [Dense(3)] private partial Tensor Logits(Tensor x);
}

[Model(Input = new[] { 256 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class WideNet
{
    [Dense(512, Activation.ReLU)] private partial Tensor Hidden(Tensor x);
    [Dense(256, Activation.Tanh)] private partial Tensor Hidden2(Tensor x);
    [Dense(10)] private partial Tensor Logits(Tensor x);
}

[Model(Input = new[] { 3 }, Loss = Loss.MeanSquaredError)]
public partial class Linear
{
    [Dense(1)] private partial Tensor Output(Tensor x);
}
