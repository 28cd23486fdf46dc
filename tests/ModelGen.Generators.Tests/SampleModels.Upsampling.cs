namespace ModelGen.Generators.Tests;

/// <summary>Decoders: transposed convolutions and upsampling.</summary>
internal static partial class SampleModels
{
    public const string DigitsAutoencoder = """
        using ModelGen;

        namespace Samples.Vision;

        [Model(Input = new[] { 1, 8, 8 }, Loss = Loss.MeanSquaredError)]
        public partial class DigitsAutoencoder
        {
            [Conv2d(8, 3, Activation.ReLU, Stride = 2, Padding = 1)]                            private partial Tensor Down1(Tensor x);
            [Conv2d(16, 3, Activation.ReLU, Stride = 2, Padding = 1)]                           private partial Tensor Down2(Tensor x);
            [ConvTranspose2d(8, 3, Activation.ReLU, Stride = 2, Padding = 1, OutputPadding = 1)] private partial Tensor Up1(Tensor x);
            [Upsample(2, Mode = UpsampleMode.Bilinear)]                                         private partial Tensor Up2(Tensor x);
            [Conv2d(1, 3, Activation.Sigmoid, Padding = 1)]                                     private partial Tensor Pixels(Tensor x);
            [Flatten]                                                                           private partial Tensor Flat(Tensor x);
        }
        """;
}
