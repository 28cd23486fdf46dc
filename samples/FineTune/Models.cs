using ModelGen;

namespace FineTune;

/// <summary>A small CNN for 8×8 digit images that tells the digits 0–4 apart: two convolution blocks, then a dense head.</summary>
[Model(Input = new[] { 1, 8, 8 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class LowDigits
{
    [Conv2d(16, 3, Activation.ReLU, Padding = 1)] private partial Tensor C1(Tensor x);
    [MaxPool2d(2)]                                private partial Tensor P1(Tensor x);
    [Conv2d(32, 3, Activation.ReLU, Padding = 1)] private partial Tensor C2(Tensor x);
    [MaxPool2d(2)]                                private partial Tensor P2(Tensor x);
    [Flatten]                                     private partial Tensor Flat(Tensor x);
    [Dense(64, Activation.ReLU)]                  private partial Tensor Hidden(Tensor x);
    [Dense(5)]                                    private partial Tensor Logits(Tensor x);
}

/// <summary>
/// The digits 5–9 on <see cref="LowDigits"/>'s convolutions: the same C1 and C2, declared frozen (they keep the features
/// learnt on 0–4), under a new head that trains.
/// </summary>
[Model(Input = new[] { 1, 8, 8 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class HighDigits
{
    [Conv2d(16, 3, Activation.ReLU, Padding = 1, Trainable = false)] private partial Tensor C1(Tensor x);
    [MaxPool2d(2)]                                                   private partial Tensor P1(Tensor x);
    [Conv2d(32, 3, Activation.ReLU, Padding = 1, Trainable = false)] private partial Tensor C2(Tensor x);
    [MaxPool2d(2)]                                                   private partial Tensor P2(Tensor x);
    [Flatten]                                                        private partial Tensor Flat(Tensor x);
    [Dropout(0.2f)]                                                  private partial Tensor Drop(Tensor x);
    [Dense(32, Activation.ReLU)]                                     private partial Tensor Hidden(Tensor x);
    [Dense(5)]                                                       private partial Tensor Logits(Tensor x);
}
