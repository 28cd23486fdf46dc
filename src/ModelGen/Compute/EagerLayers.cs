using System;
using ModelGen.Cpu;

namespace ModelGen.Compute;

/// <summary>
/// Runs one layer on a <see cref="Tensor"/>, outside the fused graph. Generated layer methods call
/// this, so a model's <c>[Forward]</c> method can be stepped through eagerly with the same kernels.
/// </summary>
public static unsafe partial class EagerLayers
{
    /// <summary>
    /// Applies a dense layer whose weights (in×out) and bias sit at the given offsets of <paramref name="parameters"/>
    /// to the last dimension: [batch, in] → [batch, out], and [batch, sequence, in] → [batch, sequence, out].
    /// </summary>
    /// <exception cref="ArgumentException">The input is not [batch, <paramref name="inFeatures"/>] or [batch, sequence, <paramref name="inFeatures"/>].</exception>
    public static Tensor Dense(Tensor input, ReadOnlySpan<float> parameters, int weightOffset, int biasOffset,
        int inFeatures, int outFeatures, Activation activation, float negativeSlope, string layer)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Shape.Length is not (2 or 3) || input.Shape[^1] != inFeatures)
            throw new ArgumentException($"Layer '{layer}' takes [batch, {inFeatures}] or [batch, sequence, {inFeatures}] but got {input.ShapeText}.", nameof(input));
        int batch = input.Data.Length / inFeatures;   // one row per position
        var shape = (int[])input.Shape.Clone();
        shape[^1] = outFeatures;
        var output = Tensor.Zeros(shape);
        var pre = activation == Activation.None ? output.Data : new float[output.Data.Length];
        fixed (float* p = parameters)
        fixed (float* x = input.Data)
        fixed (float* z = pre)
        fixed (float* y = output.Data)
        {
            DenseKernels.Forward(x, p + weightOffset, biasOffset < 0 ? null : p + biasOffset, z, y, batch, inFeatures, outFeatures, activation, negativeSlope);
        }
        return output;
    }

    /// <summary>Reshapes each sample of <paramref name="input"/> to one dimension: [batch, …] → [batch, product of the rest].</summary>
    public static Tensor Flatten(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new Tensor(input.Data, input.Batch, input.SampleSize);
    }

    /// <summary>
    /// Applies a 2-D convolution whose weights [out, in/groups, kh, kw] and bias sit at the given offsets of
    /// <paramref name="parameters"/>; the input must be [batch, inChannels, inHeight, inWidth].
    /// </summary>
    /// <exception cref="ArgumentException">The input does not have the layer's shape.</exception>
    public static Tensor Conv2d(Tensor input, ReadOnlySpan<float> parameters, int weightOffset, int biasOffset,
        int batch, int inChannels, int inHeight, int inWidth, int outChannels, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int padTop, int padBottom, int padLeft, int padRight,
        int dilationHeight, int dilationWidth, int groups, Activation activation, float negativeSlope, string layer)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Shape.Length != 4 || input.Shape[1] != inChannels || input.Shape[2] != inHeight || input.Shape[3] != inWidth)
            throw new ArgumentException($"Layer '{layer}' takes [batch, {inChannels}, {inHeight}, {inWidth}] but got {input.ShapeText}.", nameof(input));
        var shape = new Conv2dShape(batch, inChannels, inHeight, inWidth, outChannels, kernelHeight, kernelWidth,
            strideHeight, strideWidth, padTop, padBottom, padLeft, padRight, dilationHeight, dilationWidth, groups);
        var output = Tensor.Zeros(batch, outChannels, shape.OutHeight, shape.OutWidth);
        var pre = activation == Activation.None ? output.Data : new float[output.Data.Length];
        var workspace = new float[Math.Max(1, ConvKernels.WorkspaceSize(shape))];
        fixed (float* p = parameters)
        fixed (float* x = input.Data)
        fixed (float* z = pre)
        fixed (float* y = output.Data)
        fixed (float* w = workspace)
        {
            ConvKernels.Forward(shape, x, p + weightOffset, biasOffset < 0 ? null : p + biasOffset, z, w);
            if (activation != Activation.None) ActivationKernels.Forward(activation, z, y, output.Data.Length, negativeSlope);
        }
        return output;
    }

    /// <summary>Max pooling of a [batch, channels, height, width] tensor.</summary>
    public static Tensor MaxPool2d(Tensor input, int batch, int channels, int inHeight, int inWidth, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int padTop, int padBottom, int padLeft, int padRight, string layer)
        => Pool(input, new Pool2dShape(batch, channels, inHeight, inWidth, kernelHeight, kernelWidth, strideHeight, strideWidth, padTop, padBottom, padLeft, padRight), max: true, layer);

    /// <summary>Average pooling of a [batch, channels, height, width] tensor (padding counts as zeros).</summary>
    public static Tensor AvgPool2d(Tensor input, int batch, int channels, int inHeight, int inWidth, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int padTop, int padBottom, int padLeft, int padRight, string layer)
        => Pool(input, new Pool2dShape(batch, channels, inHeight, inWidth, kernelHeight, kernelWidth, strideHeight, strideWidth, padTop, padBottom, padLeft, padRight), max: false, layer);

    private static Tensor Pool(Tensor input, in Pool2dShape shape, bool max, string layer)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Shape.Length != 4 || input.Shape[1] != shape.Channels || input.Shape[2] != shape.InHeight || input.Shape[3] != shape.InWidth)
            throw new ArgumentException($"Layer '{layer}' takes [batch, {shape.Channels}, {shape.InHeight}, {shape.InWidth}] but got {input.ShapeText}.", nameof(input));
        var output = Tensor.Zeros(shape.Batch, shape.Channels, shape.OutHeight, shape.OutWidth);
        fixed (float* x = input.Data)
        fixed (float* y = output.Data)
        {
            if (max) PoolingKernels.MaxForward(shape, x, y, null);
            else PoolingKernels.AvgForward(shape, x, y, countIncludePad: true);
        }
        return output;
    }

    /// <summary>Global average pooling: [batch, channels, height, width] → [batch, channels].</summary>
    public static Tensor GlobalAvgPool(Tensor input, string layer)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Shape.Length != 4)
            throw new ArgumentException($"Layer '{layer}' takes [batch, channels, height, width] but got {input.ShapeText}.", nameof(input));
        var output = Tensor.Zeros(input.Shape[0], input.Shape[1]);
        fixed (float* x = input.Data)
        fixed (float* y = output.Data)
        {
            PoolingKernels.GlobalAvgForward(x, y, input.Shape[0], input.Shape[1], input.Shape[2] * input.Shape[3]);
        }
        return output;
    }

    /// <summary>Layer normalisation over the last dimension with γ and β at the given offsets of <paramref name="parameters"/>.</summary>
    public static Tensor LayerNorm(Tensor input, ReadOnlySpan<float> parameters, int gammaOffset, int betaOffset, int features, float epsilon, string layer)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Shape.Length < 2 || input.Shape[^1] != features)
            throw new ArgumentException($"Layer '{layer}' normalises a last dimension of {features}, but got {input.ShapeText}.", nameof(input));
        var output = Tensor.Zeros(input.Shape);
        fixed (float* p = parameters)
        fixed (float* x = input.Data)
        fixed (float* y = output.Data)
        {
            LayerNormKernels.Forward(x, p + gammaOffset, p + betaOffset, y, null, null, input.Data.Length / features, features, epsilon);
        }
        return output;
    }

    /// <summary>Dropout outside training: the input itself (the fused graph applies masks during training).</summary>
    public static Tensor Dropout(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input;
    }

    /// <summary>Batch normalisation with the running statistics (inference mode) of a [batch, channels, …] tensor.</summary>
    public static Tensor BatchNorm(Tensor input, ReadOnlySpan<float> parameters, int gammaOffset, int betaOffset,
        ReadOnlySpan<float> state, int meanOffset, int varianceOffset, int channels, float epsilon, string layer)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Shape.Length < 2 || input.Shape[1] != channels)
            throw new ArgumentException($"Layer '{layer}' normalises {channels} channels, but got {input.ShapeText}.", nameof(input));
        var output = Tensor.Zeros(input.Shape);
        int spatial = input.SampleSize / channels;
        fixed (float* p = parameters)
        fixed (float* s = state)
        fixed (float* x = input.Data)
        fixed (float* y = output.Data)
        {
            BatchNormKernels.ForwardEval(x, p + gammaOffset, p + betaOffset, s + meanOffset, s + varianceOffset, y, input.Batch, channels, spatial, epsilon);
        }
        return output;
    }

    /// <summary>
    /// Runs a sub-model (a <c>[Submodel]</c> method) on <paramref name="input"/> in inference mode, as its
    /// <see cref="Model.Predict(ReadOnlySpan{float}, int, Span{float}, bool)"/> does: [batch, …input] → [batch, …<paramref name="sampleShape"/>].
    /// </summary>
    /// <exception cref="ArgumentException">A sample of the input does not hold the sub-model's <see cref="Model.InputSize"/> values.</exception>
    public static Tensor Submodel(Model model, Tensor input, int[] sampleShape, string layer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        if (input.Shape.Length < 2 || input.SampleSize != model.InputSize)
            throw new ArgumentException($"Submodel '{layer}' ({model.GetType().Name}) takes [batch, …] with {model.InputSize} values per sample but got {input.ShapeText}.", nameof(input));
        var shape = new int[sampleShape.Length + 1];
        shape[0] = input.Batch;
        sampleShape.CopyTo(shape, 1);
        var output = Tensor.Zeros(shape);
        model.Predict(input.Data, input.Batch, output.Data);
        return output;
    }
}
