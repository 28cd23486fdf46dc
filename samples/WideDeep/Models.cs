using ModelGen;

namespace WideDeep;

/// <summary>
/// Wide &amp; deep on the breast cancer measurements: the ten "worst" measurements go straight to the logit (the
/// wide, linear part), the twenty mean and standard-error measurements through a small MLP (the deep part); the
/// logit of "benign" sees both, side by side.
/// </summary>
[Model(Loss = Loss.BinaryCrossEntropy)]
[Input("wide", 10)]
[Input("deep", 20)]
public partial class TumourWideDeep
{
    [Dense(16, Activation.ReLU)] private partial Tensor Hidden(Tensor x);
    [Dense(8, Activation.ReLU)]  private partial Tensor Hidden2(Tensor x);
    [Dense(1)]                   private partial Tensor Logit(Tensor x);

    [Forward]
    private Tensor Forward(Tensor wide, Tensor deep) => Logit(Tensor.Concat(wide, Hidden2(Hidden(deep))));
}
