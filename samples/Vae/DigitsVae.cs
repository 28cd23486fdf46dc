using ModelGen;

namespace Vae;

/// <summary>
/// A variational autoencoder of the 8×8 digits: the encoder gives each image a Gaussian in an 8-dimensional latent space
/// (mean μ and log-variance), training decodes a sample of it drawn with the reparameterisation trick, and the loss is the
/// pixels' binary cross-entropy plus the KL divergence of that Gaussian from N(0, I).
/// </summary>
[Model(Input = new[] { 64 }, Loss = Loss.BinaryCrossEntropy)]
public partial class DigitsVae
{
    /// <summary>Dimensions of the latent space.</summary>
    public const int LatentSize = 8;

    [Dense(128, Activation.ReLU)] private partial Tensor Encoder(Tensor x);
    [Dense(LatentSize)]           private partial Tensor Mu(Tensor h);
    [Dense(LatentSize)]           private partial Tensor LogVar(Tensor h);
    [Dense(128, Activation.ReLU)] private partial Tensor Decoder(Tensor z);
    [Dense(64)]                   private partial Tensor PixelLogits(Tensor h);

    [Forward]
    private Tensor Forward(Tensor x)
    {
        var h = Encoder(x);
        var mu = Mu(h);
        var logVar = LogVar(h);
        // Training draws ε from Fit's seed; Predict and Evaluate take its mean, 0, so they reconstruct from μ.
        var z = mu + Tensor.Exp(0.5f * logVar) * Tensor.RandomNormal(like: logVar);
        // The cross-entropy is a mean over the 64 pixels and the KL a sum over the latent dimensions: 1/64 puts both per pixel.
        AddLoss("kl", -0.5f * Tensor.Sum(1f + logVar - Tensor.Square(mu) - Tensor.Exp(logVar)), weight: 1f / 64);
        return PixelLogits(Decoder(z));
    }

    /// <summary>
    /// Images of latent codes [n, 8], pixel intensities in [0, 1]: the trained decoder run eagerly (the layer methods use
    /// the model's parameters), which is how codes drawn from the prior N(0, I) become new digits.
    /// </summary>
    public Tensor Decode(Tensor z) => Tensor.Sigmoid(PixelLogits(Decoder(z)));
}
