using ModelGen;

namespace Bench;

// The benchmark networks of MODELS.md, declared in the DSL.

/// <summary>digits-mlp: 64 → Dense 128 + ReLU → Dense 64 + ReLU → Dense 10, softmax cross-entropy, batch 64.</summary>
[Model(Input = new[] { 64 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class DigitsMlp
{
    [Dense(128, Activation.ReLU)] private partial Tensor Hidden1(Tensor x);
    [Dense(64, Activation.ReLU)] private partial Tensor Hidden2(Tensor x);
    [Dense(10)] private partial Tensor Logits(Tensor x);
}

/// <summary>mnist-mlp: 784 → Dense 1024 + ReLU → Dense 1024 + ReLU → Dense 10, softmax cross-entropy, batch 256.</summary>
[Model(Input = new[] { 784 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class MnistMlp
{
    [Dense(1024, Activation.ReLU)] private partial Tensor Hidden1(Tensor x);
    [Dense(1024, Activation.ReLU)] private partial Tensor Hidden2(Tensor x);
    [Dense(10)] private partial Tensor Logits(Tensor x);
}
