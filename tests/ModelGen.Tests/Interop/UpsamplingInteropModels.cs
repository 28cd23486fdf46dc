using ModelGen;

namespace ModelGen.Tests.Interop;

/// <summary>
/// Transposed convolutions on odd, non-square images: stride 3 with padding, output padding 2 and groups; stride 1 with
/// dilation 2 and output padding 1 (below the dilation, PyTorch's other case), no bias; padding that trims the output.
/// </summary>
[Model(Input = new[] { 4, 3, 5 }, Loss = Loss.MeanSquaredError)]
public partial class InteropConvTranspose
{
    [ConvTranspose2d(6, 3, Activation.ReLU, Stride = 3, Padding = 1, OutputPadding = 2, Groups = 2)] private partial Tensor Up1(Tensor x);  // [6, 9, 15]
    [ConvTranspose2d(4, 2, Activation.Tanh, Dilation = 2, OutputPadding = 1, Bias = false)] private partial Tensor Up2(Tensor x);           // [4, 12, 18]
    [ConvTranspose2d(2, 3, Padding = 2)] private partial Tensor Up3(Tensor x);                                                               // [2, 10, 16]
    [Flatten] private partial Tensor Flat(Tensor x);                                                                                          // the twin's output, flattened
}

/// <summary>Nearest upsampling by (3, 2), bilinear with aligned corners by 2 and bilinear by (2, 3) between a convolution and pooling.</summary>
[Model(Input = new[] { 3, 4, 5 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class InteropUpsample
{
    [Upsample(3, 2)] private partial Tensor Near(Tensor x);                                                        // [3, 12, 10]
    [Conv2d(4, 3, Padding = 1)] private partial Tensor C1(Tensor x);                                               // [4, 12, 10]
    [Upsample(2, Mode = UpsampleMode.Bilinear, AlignCorners = true)] private partial Tensor Corners(Tensor x);     // [4, 24, 20]
    [MaxPool2d(4)] private partial Tensor P1(Tensor x);                                                            // [4, 6, 5]
    [Upsample(2, 3, Mode = UpsampleMode.Bilinear)] private partial Tensor Smooth(Tensor x);                        // [4, 12, 15]
    [Flatten] private partial Tensor Flat(Tensor x);
    [Dense(3)] private partial Tensor Logits(Tensor x);
}
