using System;
using ModelGen.Cpu;

namespace ModelGen.Compute;

public static unsafe partial class EagerLayers
{
    /// <summary>
    /// Applies an LSTM layer whose parameter blocks (<see cref="LstmKernels"/>' layout) start at
    /// <paramref name="offset"/> of <paramref name="parameters"/>; the input must be [batch, sequence, inputSize].
    /// </summary>
    /// <exception cref="ArgumentException">The input does not have the layer's shape.</exception>
    public static Tensor LSTM(Tensor input, ReadOnlySpan<float> parameters, int offset, int sequence, int inputSize, int hiddenSize,
        bool bidirectional, bool returnSequence, string layer)
        => Recurrent(input, parameters, offset, sequence, inputSize, hiddenSize, bidirectional, returnSequence, lstm: true, layer);

    /// <summary>
    /// Applies a GRU layer whose parameter blocks (<see cref="GruKernels"/>' layout) start at
    /// <paramref name="offset"/> of <paramref name="parameters"/>; the input must be [batch, sequence, inputSize].
    /// </summary>
    /// <exception cref="ArgumentException">The input does not have the layer's shape.</exception>
    public static Tensor GRU(Tensor input, ReadOnlySpan<float> parameters, int offset, int sequence, int inputSize, int hiddenSize,
        bool bidirectional, bool returnSequence, string layer)
        => Recurrent(input, parameters, offset, sequence, inputSize, hiddenSize, bidirectional, returnSequence, lstm: false, layer);

    private static Tensor Recurrent(Tensor input, ReadOnlySpan<float> parameters, int offset, int sequence, int inputSize, int hiddenSize,
        bool bidirectional, bool returnSequence, bool lstm, string layer)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Shape.Length != 3 || input.Shape[1] != sequence || input.Shape[2] != inputSize)
            throw new ArgumentException($"Layer '{layer}' takes [batch, {sequence}, {inputSize}] but got {input.ShapeText}.", nameof(input));
        var shape = new RecurrentShape(input.Batch, sequence, inputSize, hiddenSize, bidirectional, returnSequence);
        int width = shape.Directions * hiddenSize;
        var output = returnSequence ? Tensor.Zeros(input.Batch, sequence, width) : Tensor.Zeros(input.Batch, width);
        var saved = new float[lstm ? LstmKernels.SavedSize(shape) : GruKernels.SavedSize(shape)];
        var workspace = new float[lstm ? LstmKernels.WorkspaceSize(shape) : GruKernels.WorkspaceSize(shape)];
        fixed (float* p = parameters)
        fixed (float* x = input.Data)
        fixed (float* y = output.Data)
        fixed (float* s = saved)
        fixed (float* w = workspace)
        {
            if (lstm) LstmKernels.Forward(shape, x, p + offset, y, s, w);
            else GruKernels.Forward(shape, x, p + offset, y, s, w);
        }
        return output;
    }

    /// <summary>
    /// Applies a 1-D convolution whose weights [out, in/groups, kernel] and bias sit at the given offsets of
    /// <paramref name="parameters"/>; the input must be [batch, inChannels, length].
    /// </summary>
    /// <exception cref="ArgumentException">The input does not have the layer's shape.</exception>
    public static Tensor Conv1d(Tensor input, ReadOnlySpan<float> parameters, int weightOffset, int biasOffset,
        int inChannels, int length, int outChannels, int kernel, int stride, int padLeft, int padRight, int dilation, int groups,
        Activation activation, float negativeSlope, string layer)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Shape.Length != 3 || input.Shape[1] != inChannels || input.Shape[2] != length)
            throw new ArgumentException($"Layer '{layer}' takes [batch, {inChannels}, {length}] but got {input.ShapeText}.", nameof(input));
        var shape = Conv2dShape.Conv1d(input.Batch, inChannels, length, outChannels, kernel, stride, padLeft, padRight, dilation, groups);
        var output = Tensor.Zeros(input.Batch, outChannels, shape.OutWidth);
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

    /// <summary>Group normalisation of a [batch, channels, …] tensor with γ and β [channels] at the given offsets of <paramref name="parameters"/>.</summary>
    /// <exception cref="ArgumentException">The input does not have <paramref name="channels"/> channels.</exception>
    public static Tensor GroupNorm(Tensor input, ReadOnlySpan<float> parameters, int gammaOffset, int betaOffset, int channels, int groups, float epsilon, string layer)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Shape.Length < 2 || input.Shape[1] != channels)
            throw new ArgumentException($"Layer '{layer}' normalises {channels} channels, but got {input.ShapeText}.", nameof(input));
        var output = Tensor.Zeros(input.Shape);
        fixed (float* p = parameters)
        fixed (float* x = input.Data)
        fixed (float* y = output.Data)
        {
            GroupNormKernels.Forward(x, p + gammaOffset, p + betaOffset, y, null, null, input.Batch, channels, input.SampleSize / channels, groups, epsilon);
        }
        return output;
    }

    /// <summary>Gives each sample of <paramref name="input"/> the shape <paramref name="shape"/> (the same elements, not copied).</summary>
    /// <exception cref="ArgumentException">The sample sizes differ.</exception>
    public static Tensor Reshape(Tensor input, int[] shape, string layer)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(shape);
        long size = 1;
        foreach (int d in shape) size *= d;
        if (size != input.SampleSize)
            throw new ArgumentException($"Layer '{layer}' reshapes samples of {size} elements to [{string.Join(", ", shape)}], but got {input.ShapeText}.", nameof(input));
        var full = new int[shape.Length + 1];
        full[0] = input.Batch;
        shape.CopyTo(full, 1);
        return new Tensor(input.Data, full);
    }
}
