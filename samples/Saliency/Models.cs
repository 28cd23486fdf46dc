using ModelGen;

namespace Saliency;

/// <summary>
/// DigitsCnn's convolutions and head without BatchNorm and dropout: the input gradient runs the training-mode pass, in which
/// dropout would draw a random mask and BatchNorm would mix the images of a batch, so a saliency map would change from call
/// to call. Without them the training-mode pass is the function Predict computes.
/// </summary>
[Model(Input = new[] { 1, 8, 8 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class DigitsSaliencyCnn
{
    [Conv2d(32, 3, Activation.ReLU, Padding = 1)] private partial Tensor C1(Tensor x);
    [MaxPool2d(2)]                                 private partial Tensor P1(Tensor x);
    [Conv2d(64, 3, Activation.ReLU, Padding = 1)] private partial Tensor C2(Tensor x);
    [MaxPool2d(2)]                                 private partial Tensor P2(Tensor x);
    [Flatten]                                      private partial Tensor Flat(Tensor x);
    [Dense(128, Activation.ReLU, In = 256)]        private partial Tensor Fc(Tensor x);
    [Dense(10)]                                    private partial Tensor Logits(Tensor x);
}
