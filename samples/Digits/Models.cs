using ModelGen;

namespace Digits;

/// <summary>The digits classifier: 64 pixels → 128 → 64 → 10 classes.</summary>
[Model(Input = new[] { 64 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class DigitsMlp
{
    [Dense(128, Activation.ReLU)] private partial Tensor Hidden(Tensor x);
    [Dense(64, Activation.ReLU)]  private partial Tensor Hidden2(Tensor x);
    [Dense(10)]                   private partial Tensor Logits(Tensor x);
}
