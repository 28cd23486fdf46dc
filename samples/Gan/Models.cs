using ModelGen;

namespace Gan;

/// <summary>
/// The generator: 16 standard-normal numbers → an 8×8 image with pixels in 0..1. It never trains on its own: it trains as
/// part of <see cref="DigitGan"/>, so its declared loss is not used.
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

/// <summary>
/// The generator's training step as one model: the discriminator judges the generator's images, D(G(z)). Both are
/// sub-models sharing their parameters with this model; with the discriminator frozen, a step of this model trains the
/// generator to make the discriminator say "real" (target 1).
/// </summary>
[Model(Input = new[] { 16 }, Loss = Loss.BinaryCrossEntropy)]
public partial class DigitGan
{
    [Submodel(typeof(DigitGenerator))]     private partial Tensor Generate(Tensor z);
    [Submodel(typeof(DigitDiscriminator))] private partial Tensor Judge(Tensor image);

    [Forward] private Tensor Forward(Tensor z) => Judge(Generate(z));
}
