using System;
using ModelGen.Cpu;

namespace ModelGen.Compute;

public static unsafe partial class EagerLayers
{
    /// <summary>
    /// Applies a transposed convolution whose weights <c>[inChannels, outChannels/groups, k, k]</c> and bias sit at the given
    /// offsets of <paramref name="parameters"/>: [batch, inChannels, inHeight, inWidth] → [batch, outChannels, H', W'].
    /// </summary>
    /// <exception cref="ArgumentException">The input is not [batch, <paramref name="inChannels"/>, <paramref name="inHeight"/>, <paramref name="inWidth"/>].</exception>
    public static Tensor ConvTranspose2d(Tensor input, ReadOnlySpan<float> parameters, int weightOffset, int biasOffset,
        int inChannels, int inHeight, int inWidth, int outChannels, int kernel, int stride, int padding, int outputPadding,
        int dilation, int groups, Activation activation, float negativeSlope, string layer)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Shape.Length != 4 || input.Shape[1] != inChannels || input.Shape[2] != inHeight || input.Shape[3] != inWidth)
            throw new ArgumentException($"Layer '{layer}' takes [batch, {inChannels}, {inHeight}, {inWidth}] but got {input.ShapeText}.", nameof(input));
        var shape = new ConvTranspose2dShape(input.Batch, inChannels, inHeight, inWidth, outChannels, kernel, kernel,
            stride, stride, padding, padding, outputPadding, outputPadding, dilation, dilation, groups);
        var output = Tensor.Zeros(input.Batch, outChannels, shape.OutHeight, shape.OutWidth);
        var pre = activation == Activation.None ? output.Data : new float[output.Data.Length];
        var workspace = new float[Math.Max(1, ConvTransposeKernels.WorkspaceSize(shape))];
        fixed (float* p = parameters)
        fixed (float* x = input.Data)
        fixed (float* z = pre)
        fixed (float* y = output.Data)
        fixed (float* w = workspace)
        {
            ConvTransposeKernels.Forward(shape, x, p + weightOffset, biasOffset < 0 ? null : p + biasOffset, z, w);
            if (activation != Activation.None) ActivationKernels.Forward(activation, z, y, output.Data.Length, negativeSlope);
        }
        return output;
    }

    /// <summary>Upsamples a [batch, channels, height, width] tensor by whole factors: → [batch, channels, height·scaleHeight, width·scaleWidth].</summary>
    /// <exception cref="ArgumentException">The input is not [batch, <paramref name="channels"/>, <paramref name="inHeight"/>, <paramref name="inWidth"/>].</exception>
    public static Tensor Upsample(Tensor input, int channels, int inHeight, int inWidth, int scaleHeight, int scaleWidth,
        UpsampleMode mode, bool alignCorners, string layer)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Shape.Length != 4 || input.Shape[1] != channels || input.Shape[2] != inHeight || input.Shape[3] != inWidth)
            throw new ArgumentException($"Layer '{layer}' takes [batch, {channels}, {inHeight}, {inWidth}] but got {input.ShapeText}.", nameof(input));
        var output = Tensor.Zeros(input.Batch, channels, inHeight * scaleHeight, inWidth * scaleWidth);
        long planes = (long)input.Batch * channels;
        fixed (float* x = input.Data)
        fixed (float* y = output.Data)
        {
            if (mode == UpsampleMode.Bilinear) UpsampleKernels.BilinearForward(x, y, planes, inHeight, inWidth, scaleHeight, scaleWidth, alignCorners);
            else UpsampleKernels.NearestForward(x, y, planes, inHeight, inWidth, scaleHeight, scaleWidth);
        }
        return output;
    }
}
