using System;

namespace ModelGen;

/// <summary>
/// A transposed 2-D convolution over <c>[channels, height, width]</c> samples (PyTorch's <c>nn.ConvTranspose2d</c>):
/// the gradient of a convolution with respect to its input, used to grow feature maps in decoders. Each output side is
/// <c>(H − 1)·stride − 2·padding + dilation·(kernel − 1) + outputPadding + 1</c>. Weights are stored as PyTorch stores
/// them, <c>[inChannels, outChannels / groups, kernel, kernel]</c>, then the bias <c>[outChannels]</c>.
/// </summary>
/// <example><code>
/// [Model(Input = new[] { 16, 2, 2 }, Loss = Loss.MeanSquaredError)]
/// public partial class Decoder
/// {
///     [ConvTranspose2d(8, 3, Activation.ReLU, Stride = 2, Padding = 1, OutputPadding = 1)] private partial Tensor Up1(Tensor x);   // → [8, 4, 4]
///     [ConvTranspose2d(1, 3, Stride = 2, Padding = 1, OutputPadding = 1)]                   private partial Tensor Up2(Tensor x);   // → [1, 8, 8]
/// }
/// </code></example>
[AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
public sealed class ConvTranspose2dAttribute : Attribute
{
    /// <summary>Creates a transposed convolution to <paramref name="outChannels"/> channels with <paramref name="kernelSize"/>×<paramref name="kernelSize"/> kernels.</summary>
    public ConvTranspose2dAttribute(int outChannels, int kernelSize, Activation activation = Activation.None)
    {
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Activation = activation;
    }

    /// <summary>Number of output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Height and width of each kernel.</summary>
    public int KernelSize { get; }

    /// <summary>Activation applied to the layer's output.</summary>
    public Activation Activation { get; }

    /// <summary>Spacing of the input pixels in the output (default 1): stride 2 doubles the size.</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Rows and columns removed from every side of the full output (default 0), as PyTorch's <c>padding</c>.</summary>
    public int Padding { get; set; }

    /// <summary>
    /// Rows and columns added after the bottom and right edges (default 0), to pick one of the sizes that a strided
    /// convolution maps to the same size; must be smaller than <see cref="Stride"/> or than <see cref="Dilation"/>.
    /// </summary>
    public int OutputPadding { get; set; }

    /// <summary>Spacing between kernel taps (default 1).</summary>
    public int Dilation { get; set; } = 1;

    /// <summary>Channel groups: input and output channels must both be divisible by it (default 1).</summary>
    public int Groups { get; set; } = 1;

    /// <summary>Whether the layer has a bias per output channel (default true).</summary>
    public bool Bias { get; set; } = true;

    /// <summary>Expected input channels; 0 (the default) means "infer them". A stated count that differs is a build error.</summary>
    public int In { get; set; }

    /// <summary>Slope for negative inputs of <see cref="Activation.LeakyReLU"/> (default 0.01).</summary>
    public float NegativeSlope { get; set; } = 0.01f;

    /// <summary>
    /// Whether the layer's parameters train (default true). False starts every new model with the layer frozen
    /// (<see cref="Model.Freeze"/>): its parameters keep their values, e.g. pretrained ones copied in for fine-tuning;
    /// <see cref="Model.Unfreeze"/> lets them train again.
    /// </summary>
    public bool Trainable { get; set; } = true;
}

/// <summary>How <see cref="UpsampleAttribute"/> computes the new pixels.</summary>
public enum UpsampleMode
{
    /// <summary>Each output pixel copies the input pixel it falls in (PyTorch's <c>mode="nearest"</c>).</summary>
    Nearest = 0,
    /// <summary>Each output pixel interpolates the four nearest input pixels (PyTorch's <c>mode="bilinear"</c>).</summary>
    Bilinear = 1,
}

/// <summary>
/// Enlarges <c>[channels, height, width]</c> samples by a whole factor per side (PyTorch's <c>nn.Upsample</c> with
/// <c>scale_factor</c>): <c>[C, H, W] → [C, H·scale, W·scale]</c>. No parameters.
/// </summary>
/// <example><code>
/// [Upsample(2)]                                               private partial Tensor Grow(Tensor x);    // nearest
/// [Upsample(2, Mode = UpsampleMode.Bilinear)]                 private partial Tensor Smooth(Tensor x);
/// [Upsample(2, 3, Mode = UpsampleMode.Bilinear, AlignCorners = true)] private partial Tensor Wide(Tensor x);   // H·2, W·3
/// </code></example>
[AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
public sealed class UpsampleAttribute : Attribute
{
    /// <summary>Enlarges height and width by <paramref name="scale"/>.</summary>
    public UpsampleAttribute(int scale) : this(scale, scale) { }

    /// <summary>Enlarges the height by <paramref name="scaleHeight"/> and the width by <paramref name="scaleWidth"/>.</summary>
    public UpsampleAttribute(int scaleHeight, int scaleWidth)
    {
        ScaleHeight = scaleHeight;
        ScaleWidth = scaleWidth;
    }

    /// <summary>Factor of the height (a whole number, at least 1).</summary>
    public int ScaleHeight { get; }

    /// <summary>Factor of the width (a whole number, at least 1).</summary>
    public int ScaleWidth { get; }

    /// <summary>Nearest (the default) or bilinear interpolation.</summary>
    public UpsampleMode Mode { get; set; } = UpsampleMode.Nearest;

    /// <summary>
    /// Bilinear only: corner pixels of input and output coincide, as PyTorch's <c>align_corners=True</c>; false (the
    /// default) treats pixels as areas, whose centres map by the scale.
    /// </summary>
    public bool AlignCorners { get; set; }
}
