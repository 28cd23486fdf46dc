using ModelGen;

namespace ModelGen.Tests.Models;

// Decoder-style models for the gradient checks of the upsampling layers: a layer with parameters comes first, so the
// upsampling layers' input gradients are checked through its parameters too.

/// <summary>Transposed convolutions with stride 2 (padding, output padding, groups), stride 3 (dilation, output padding 2, no bias) and stride 1 (output padding below the dilation).</summary>
[Model(Input = new[] { 2, 3, 5 }, Loss = Loss.MeanSquaredError)]
public partial class ConvTransposeNet
{
    [Conv2d(4, 3, Activation.Tanh, Padding = 1)] private partial Tensor C(Tensor x);                                                           // [4, 3, 5]
    [ConvTranspose2d(4, 3, Activation.SiLU, Stride = 2, Padding = 1, OutputPadding = 1, Groups = 2)] private partial Tensor Up1(Tensor x);   // [4, 6, 10]
    [ConvTranspose2d(2, 2, Activation.Tanh, Stride = 3, Dilation = 2, OutputPadding = 2, Bias = false)] private partial Tensor Up2(Tensor x); // [2, 20, 32]
    [ConvTranspose2d(2, 3, Dilation = 2, Padding = 3, OutputPadding = 1)] private partial Tensor Up3(Tensor x);                              // [2, 19, 31]
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(2)] private partial Tensor Out(Tensor x);
}

/// <summary>Nearest, bilinear and corner-aligned bilinear upsampling between convolutions.</summary>
[Model(Input = new[] { 2, 3, 3 }, Loss = Loss.MeanSquaredError)]
public partial class UpsampleNet
{
    [Conv2d(3, 3, Activation.Tanh, Padding = 1)] private partial Tensor C1(Tensor x);                          // [3, 3, 3]
    [Upsample(2)] private partial Tensor Near(Tensor x);                                                       // [3, 6, 6]
    [Conv2d(2, 3, Activation.Tanh, Padding = 1)] private partial Tensor C2(Tensor x);                          // [2, 6, 6]
    [Upsample(2, 3, Mode = UpsampleMode.Bilinear)] private partial Tensor Smooth(Tensor x);                    // [2, 12, 18]
    [Upsample(1, 2, Mode = UpsampleMode.Bilinear, AlignCorners = true)] private partial Tensor Corners(Tensor x); // [2, 12, 36]
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(2)] private partial Tensor Out(Tensor x);
}

/// <summary>A small convolutional autoencoder for 8×8 images: what the README shows.</summary>
[Model(Input = new[] { 1, 8, 8 }, Loss = Loss.MeanSquaredError)]
public partial class TinyAutoencoder
{
    [Conv2d(8, 3, Activation.ReLU, Stride = 2, Padding = 1)] private partial Tensor Down1(Tensor x);                        // [8, 4, 4]
    [Conv2d(16, 3, Activation.ReLU, Stride = 2, Padding = 1)] private partial Tensor Down2(Tensor x);                       // [16, 2, 2]
    [ConvTranspose2d(8, 3, Activation.ReLU, Stride = 2, Padding = 1, OutputPadding = 1)] private partial Tensor Up1(Tensor x); // [8, 4, 4]
    [Upsample(2, Mode = UpsampleMode.Bilinear)] private partial Tensor Up2(Tensor x);                                       // [8, 8, 8]
    [Conv2d(1, 3, Activation.Sigmoid, Padding = 1)] private partial Tensor Pixels(Tensor x);                               // [1, 8, 8]
    [Flatten] private partial Tensor Flat(Tensor x);                                                                        // [64]
}
