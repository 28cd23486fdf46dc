using System;
using System.Numerics;
using ModelGen.Compute;

namespace ModelGen.Cpu;

/// <summary>
/// Inverted dropout for training: each element is zeroed with probability p and the survivors are
/// scaled by 1/(1 − p), so evaluation is the identity (and does not call these kernels).
/// </summary>
/// <remarks>
/// The mask comes only from the caller's seeded <see cref="Rng"/>: the same generator state gives
/// the same mask on every machine and for any thread count. Keep one generator per dropout layer
/// (e.g. <c>new Rng(seed, stream: layerIndex)</c>) and pass it by reference each step, so masks
/// differ between steps but a run can be replayed.
/// </remarks>
public static unsafe class DropoutKernels
{
    /// <summary>
    /// <c>mask[i] = 0</c> with probability <paramref name="p"/>, else <c>1/(1 − p)</c>; <c>y[i] = x[i]·mask[i]</c>.
    /// Draws one 64-bit value from <paramref name="rng"/> per element, in order, when 0 &lt; p &lt; 1;
    /// p = 0 (mask all 1) and p = 1 (mask all 0, as PyTorch) draw nothing.
    /// </summary>
    /// <param name="x">Input, <paramref name="count"/> elements in any layout.</param>
    /// <param name="y">Output, same layout (may alias x).</param>
    /// <param name="mask">Receives the scaled keep mask, same layout; <see cref="Backward{T}"/> needs it.</param>
    /// <param name="count">Elements.</param>
    /// <param name="p">Drop probability in [0, 1].</param>
    /// <param name="rng">The layer's generator, advanced by this call.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    public static void Forward<T>(T* x, T* y, T* mask, long count, double p, ref Rng rng)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "The dropout probability must be in [0, 1].");
        if (p == 0 || p == 1)
        {
            T constant = p == 0 ? T.One : T.Zero;
            for (long i = 0; i < count; i++)
            {
                mask[i] = constant;
                y[i] = x[i] * constant;
            }
            return;
        }
        // Dropped when the top 53 bits fall below p·2⁵³: exact integer comparison, no rounding of a double draw.
        ulong threshold = (ulong)(p * (1UL << 53));
        T scale = T.CreateTruncating(1.0 / (1.0 - p));
        for (long i = 0; i < count; i++)
        {
            T keep = (rng.NextUInt64() >> 11) < threshold ? T.Zero : scale;
            mask[i] = keep;
            y[i] = x[i] * keep;
        }
    }

    /// <summary><c>dx[i] += dy[i]·mask[i]</c>, with the mask forward stored.</summary>
    /// <param name="dy">Output gradient.</param>
    /// <param name="mask">The mask from <see cref="Forward{T}"/>.</param>
    /// <param name="dx">Input gradient, added to.</param>
    /// <param name="count">Elements.</param>
    public static void Backward<T>(T* dy, T* mask, T* dx, long count)
        where T : unmanaged, IFloatingPointIeee754<T>
        => ElementwiseKernels.MultiplyAddInto(dy, mask, dx, count);
}
