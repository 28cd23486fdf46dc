using ModelGen;

namespace Gan;

/// <summary>
/// The generator: 16 standard-normal numbers → an 8×8 image with pixels in 0..1. It never sees a target: it trains on the
/// gradient the discriminator passes back to its input, so its declared loss is not used.
/// </summary>
[Model(Input = new[] { 16 }, Loss = Loss.MeanSquaredError)]
public partial class DigitGenerator
{
    [Dense(128, Activation.LeakyReLU)] private partial Tensor Hidden(Tensor z);
    [Dense(128, Activation.LeakyReLU)] private partial Tensor Hidden2(Tensor x);
    [Dense(64, Activation.Sigmoid)]    private partial Tensor Pixels(Tensor x);
}

/// <summary>The discriminator: an 8×8 image → one logit, real (1) or generated (0).</summary>
[Model(Input = new[] { 64 }, Loss = Loss.BinaryCrossEntropy)]
public partial class DigitDiscriminator
{
    [Dense(128, Activation.LeakyReLU)] private partial Tensor Hidden(Tensor x);
    [Dense(64, Activation.LeakyReLU)]  private partial Tensor Hidden2(Tensor x);
    [Dense(1)]                         private partial Tensor Real(Tensor x);
}
