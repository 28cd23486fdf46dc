using ModelGen;

namespace DigitsCnn;

/// <summary>
/// A LeNet-style network for 8×8 digit images: two convolution blocks (each normalised by BatchNorm
/// after its ReLU), then a dense head with dropout on both sides of its hidden layer.
/// </summary>
[Model(Input = new[] { 1, 8, 8 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class DigitsLeNet
{
    [Conv2d(32, 3, Activation.ReLU, Padding = 1)] private partial Tensor C1(Tensor x);
    [BatchNorm]                                    private partial Tensor N1(Tensor x);
    [MaxPool2d(2)]                                 private partial Tensor P1(Tensor x);
    [Conv2d(64, 3, Activation.ReLU, Padding = 1)] private partial Tensor C2(Tensor x);
    [BatchNorm]                                    private partial Tensor N2(Tensor x);
    [MaxPool2d(2)]                                 private partial Tensor P2(Tensor x);
    [Flatten]                                      private partial Tensor Flat(Tensor x);
    [Dropout(0.3f)]                                private partial Tensor D1(Tensor x);
    [Dense(128, Activation.ReLU, In = 256)]        private partial Tensor Fc(Tensor x);
    [Dropout(0.3f)]                                private partial Tensor D2(Tensor x);
    [Dense(10)]                                    private partial Tensor Logits(Tensor x);
}
