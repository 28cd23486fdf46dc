namespace ModelGen.Generators.Tests;

// Arithmetic in [Forward]: a VAE (noise and a loss term, CPU only) and a block of element-wise functions and per-sample
// reductions (with CUDA kernels).
internal static partial class SampleModels
{
    public const string DigitsVae = """
        using ModelGen;

        namespace Samples.Generative;

        [Model(Input = new[] { 64 }, Loss = Loss.BinaryCrossEntropy)]
        public partial class DigitsVae
        {
            [Dense(32, Activation.ReLU)] private partial Tensor Encoder(Tensor x);
            [Dense(4)]                   private partial Tensor Mu(Tensor h);
            [Dense(4)]                   private partial Tensor LogVar(Tensor h);
            [Dense(32, Activation.ReLU)] private partial Tensor Decoder(Tensor z);
            [Dense(64)]                  private partial Tensor PixelLogits(Tensor h);

            [Forward]
            private Tensor Forward(Tensor x)
            {
                var h = Encoder(x);
                var mu = Mu(h);
                var logVar = LogVar(h);
                var z = mu + Tensor.Exp(0.5f * logVar) * Tensor.RandomNormal(like: logVar);
                AddLoss("kl", -0.5f * Tensor.Sum(1f + logVar - Tensor.Square(mu) - Tensor.Exp(logVar)), weight: 1f / 64);
                return PixelLogits(Decoder(z));
            }
        }
        """;

    public const string GatedDifference = """
        using ModelGen;

        namespace Samples.Graphs;

        [Model(Input = new[] { 12 }, Loss = Loss.MeanSquaredError)]
        public partial class GatedDifference
        {
            [Dense(8)] private partial Tensor Left(Tensor x);
            [Dense(8)] private partial Tensor Right(Tensor x);
            [Dense(1)] private partial Tensor Head(Tensor x);

            [Forward]
            private Tensor Forward(Tensor x)
            {
                var d = Left(x) - Right(x);
                var gate = Tensor.Sigmoid(2f * d) * Tensor.Clamp(d, -1f, 1f);
                return Head(Tensor.Log(Tensor.Square(d) + 1f) - gate) + Tensor.Mean(Tensor.Abs(d));
            }
        }
        """;
}
