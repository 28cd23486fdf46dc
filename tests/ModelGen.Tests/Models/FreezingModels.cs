using ModelGen;

namespace ModelGen.Tests.Models;

/// <summary>Three dense layers, the first declared frozen: a pretrained base under a head that trains.</summary>
[Model(Input = new[] { 5 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class FrozenBaseNet
{
    [Dense(8, Activation.ReLU, Trainable = false)] private partial Tensor Base(Tensor x);
    [Dense(8, Activation.Tanh)] private partial Tensor Middle(Tensor x);
    [Dense(3)] private partial Tensor Head(Tensor x);
}

/// <summary>Blobs with dropout and BatchNorm between its layers: every stream and state a checkpoint must carry.</summary>
[Model(Input = new[] { 5 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class DropoutBatchNormBlobs
{
    [Dense(16, Activation.ReLU)] private partial Tensor Hidden(Tensor x);
    [BatchNorm] private partial Tensor Norm(Tensor x);
    [Dropout(0.3f)] private partial Tensor Drop(Tensor x);
    [Dense(3)] private partial Tensor Logits(Tensor x);
}
