using ModelGen;

namespace DigitsCnn;

/// <summary>A LeNet-style network for 8×8 digit images: two convolution blocks, then a dense head.</summary>
[Model(Input = new[] { 1, 8, 8 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class DigitsLeNet
{
    [Conv2d(16, 3, Activation.ReLU, Padding = 1)] private partial Tensor C1(Tensor x);
    [MaxPool2d(2)]                                 private partial Tensor P1(Tensor x);
    [Conv2d(32, 3, Activation.ReLU, Padding = 1)] private partial Tensor C2(Tensor x);
    [MaxPool2d(2)]                                 private partial Tensor P2(Tensor x);
    [Flatten]                                      private partial Tensor Flat(Tensor x);
    [Dense(64, Activation.ReLU, In = 128)]         private partial Tensor Fc(Tensor x);
    [Dense(10)]                                    private partial Tensor Logits(Tensor x);
}
