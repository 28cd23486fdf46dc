using System;
using System.Numerics;

namespace ModelGen.Cpu;

/// <summary>
/// Fully connected layer kernels. Weights are stored in×out row-major (so the forward pass is
/// <c>X·W</c> with no transpose), followed by the bias (out).
/// </summary>
public static unsafe class DenseKernels
{
    /// <summary>
    /// <c>z = x·W + b</c> and <c>y = f(z)</c> for a batch. <paramref name="z"/> receives the
    /// pre-activation (needed by backward); pass the same pointer as <paramref name="y"/> when
    /// the activation is <see cref="Activation.None"/>. <paramref name="bias"/> may be null.
    /// </summary>
    public static void Forward<T>(T* x, T* weights, T* bias, T* z, T* y, int batch, int inFeatures, int outFeatures, Activation activation, T negativeSlope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Gemm.Multiply(false, false, batch, outFeatures, inFeatures, x, weights, z, accumulate: false);
        if (bias != null)
        {
            for (int r = 0; r < batch; r++)
            {
                T* row = z + (long)r * outFeatures;
                for (int j = 0; j < outFeatures; j++) row[j] += bias[j];
            }
        }
        if (activation != Activation.None || z != y)
            ActivationKernels.Forward(activation, z, y, (long)batch * outFeatures, negativeSlope);
    }

    /// <summary>
    /// Back-propagates through the affine part given <c>dz</c> (batch×out): adds <c>xᵀ·dz</c> to
    /// <paramref name="dWeights"/>, the column sums of dz to <paramref name="dBias"/> (if not null),
    /// and <c>dz·Wᵀ</c> to <paramref name="dx"/> (if not null). Every output accumulates.
    /// </summary>
    public static void Backward<T>(T* x, T* weights, T* dz, T* dx, T* dWeights, T* dBias, int batch, int inFeatures, int outFeatures)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Gemm.Multiply(true, false, inFeatures, outFeatures, batch, x, dz, dWeights, accumulate: true);
        if (dBias != null)
        {
            for (int r = 0; r < batch; r++)
            {
                T* row = dz + (long)r * outFeatures;
                for (int j = 0; j < outFeatures; j++) dBias[j] += row[j];
            }
        }
        if (dx != null)
            Gemm.Multiply(false, true, batch, inFeatures, outFeatures, dz, weights, dx, accumulate: true);
    }
}
