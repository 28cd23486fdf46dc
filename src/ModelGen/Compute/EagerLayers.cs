using System;
using ModelGen.Cpu;

namespace ModelGen.Compute;

/// <summary>
/// Runs one layer on a <see cref="Tensor"/>, outside the fused graph. Generated layer methods call
/// this, so a model's <c>[Forward]</c> method can be stepped through eagerly with the same kernels.
/// </summary>
public static unsafe class EagerLayers
{
    /// <summary>Applies a dense layer whose weights (in×out) and bias sit at the given offsets of <paramref name="parameters"/>.</summary>
    /// <exception cref="ArgumentException">The input is not [batch, <paramref name="inFeatures"/>].</exception>
    public static Tensor Dense(Tensor input, ReadOnlySpan<float> parameters, int weightOffset, int biasOffset,
        int inFeatures, int outFeatures, Activation activation, float negativeSlope, string layer)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Shape.Length != 2 || input.Shape[1] != inFeatures)
            throw new ArgumentException($"Layer '{layer}' takes [batch, {inFeatures}] but got {input.ShapeText}.", nameof(input));
        int batch = input.Shape[0];
        var output = Tensor.Zeros(batch, outFeatures);
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
}
