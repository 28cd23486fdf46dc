using ModelGen;

namespace BreastCancer;

/// <summary>Logistic regression: 30 standardised measurements → one logit of "benign", trained with binary cross-entropy.</summary>
[Model(Input = new[] { 30 }, Loss = Loss.BinaryCrossEntropy)]
public partial class TumourClassifier
{
    [Dense(1)] private partial Tensor Logit(Tensor x);
}
