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
        // Bias and activation run on each strip of z (a panel of rows across a block of columns) as soon as its
        // last block of k is summed, while it is still in cache, instead of as two more passes over the whole batch.
        var epilogue = bias == null && activation == Activation.None && z == y
            ? default
            : new GemmEpilogue<T> { Bias = bias, Y = y, Activation = activation, NegativeSlope = negativeSlope };
        GemmCore.Run(false, false, batch, outFeatures, inFeatures, x, weights, z, accumulate: false, in epilogue);
    }

    /// <summary>
    /// <c>y = f(x·W + b)</c> for inference: the same products and the same bits as <see cref="Forward{T}"/>, with the
    /// activation written over the affine part in place, so no pre-activation is stored. <paramref name="bias"/> may be null.
    /// </summary>
    public static void Infer<T>(T* x, T* weights, T* bias, T* y, int batch, int inFeatures, int outFeatures, Activation activation, T negativeSlope)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Forward(x, weights, bias, y, y, batch, inFeatures, outFeatures, activation, negativeSlope);

    /// <summary>
    /// Back-propagates through the affine part given <c>dz</c> (batch×out): adds <c>xᵀ·dz</c> to
    /// <paramref name="dWeights"/> (if not null: null for a frozen layer), the column sums of dz to
    /// <paramref name="dBias"/> (if not null), and <c>dz·Wᵀ</c> to <paramref name="dx"/> (if not null). Every output accumulates,
    /// unless <paramref name="overwriteParameterGradients"/> is set: then <paramref name="dWeights"/> and <paramref name="dBias"/>
    /// receive the gradients instead of adding them, which spares the caller clearing them first (a layer called once per
    /// step). The values are the same as clearing and adding, but for the sign of a zero.
    /// </summary>
    public static void Backward<T>(T* x, T* weights, T* dz, T* dx, T* dWeights, T* dBias, int batch, int inFeatures, int outFeatures,
        bool overwriteParameterGradients = false)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (dWeights != null) Gemm.Multiply(true, false, inFeatures, outFeatures, batch, x, dz, dWeights, accumulate: !overwriteParameterGradients);
        if (dBias != null)
        {
            if (overwriteParameterGradients) new Span<T>(dBias, outFeatures).Clear();
            AddColumnSums(dz, dBias, batch, outFeatures);
        }
        if (dx != null)
            Gemm.Multiply(false, true, batch, inFeatures, outFeatures, dz, weights, dx, accumulate: true);
    }

    /// <summary>
    /// <c>sums[j] += Σᵣ matrix[r, j]</c>, adding rows in order as the scalar loop would, a strip
    /// of columns at a time so the running sums stay in registers.
    /// </summary>
    internal static void AddColumnSums<T>(T* matrix, T* sums, int rows, int columns)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            int w = Vector<T>.Count;
            for (; j <= columns - 4 * w; j += 4 * w)
            {
                Vector<T> s0 = Vector.Load(sums + j), s1 = Vector.Load(sums + j + w);
                Vector<T> s2 = Vector.Load(sums + j + 2 * w), s3 = Vector.Load(sums + j + 3 * w);
                T* p = matrix + j;
                for (int r = 0; r < rows; r++, p += columns)
                {
                    s0 += Vector.Load(p);
                    s1 += Vector.Load(p + w);
                    s2 += Vector.Load(p + 2 * w);
                    s3 += Vector.Load(p + 3 * w);
                }
                Vector.Store(s0, sums + j);
                Vector.Store(s1, sums + j + w);
                Vector.Store(s2, sums + j + 2 * w);
                Vector.Store(s3, sums + j + 3 * w);
            }
            for (; j <= columns - w; j += w)
            {
                Vector<T> s0 = Vector.Load(sums + j);
                T* p = matrix + j;
                for (int r = 0; r < rows; r++, p += columns) s0 += Vector.Load(p);
                Vector.Store(s0, sums + j);
            }
        }
        for (; j < columns; j++)
        {
            T s0 = sums[j];
            T* p = matrix + j;
            for (int r = 0; r < rows; r++, p += columns) s0 += *p;
            sums[j] = s0;
        }
    }
}
