using ModelGen;

namespace TumourModel;

/// <summary>
/// A small MLP on the 30 standardised measurements of a tumour: two class scores (malignant, benign) under softmax
/// cross-entropy. The hidden layer makes prediction run through the GEMM, whose rounding is what differs between
/// instruction sets (see docs/deployment.md).
/// </summary>
[Model(Input = new[] { 30 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class TumourNet
{
    [Dense(16, Activation.ReLU)] private partial Tensor Hidden(Tensor x);
    [Dense(2)]                   private partial Tensor Logits(Tensor x);
}
