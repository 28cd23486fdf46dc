using System;
using System.Numerics;

namespace ModelGen.Cpu;

/// <summary>Element-wise graph operations (residual add, product) and buffer helpers.</summary>
/// <remarks>
/// Vectorised where the hardware allows; each element gets exactly the scalar formula's operations
/// (no fused multiply-add), so results do not depend on the vector width. The one reduction,
/// <see cref="Sum"/>, adds in <c>Vector&lt;T&gt;</c> lanes, so its rounding follows that width
/// (32 bytes on both AVX2 and AVX-512 machines), never the thread count.
/// </remarks>
public static unsafe class ElementwiseKernels
{
    /// <summary><c>y = a + b</c>.</summary>
    public static void Add<T>(T* a, T* b, T* y, long count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            int w = Vector<T>.Count;
            for (; i <= count - w; i += w) Vector.Store(Vector.Load(a + i) + Vector.Load(b + i), y + i);
        }
        for (; i < count; i++) y[i] = a[i] + b[i];
    }

    /// <summary><c>y = a ⊙ b</c>.</summary>
    public static void Multiply<T>(T* a, T* b, T* y, long count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            int w = Vector<T>.Count;
            for (; i <= count - w; i += w) Vector.Store(Vector.Load(a + i) * Vector.Load(b + i), y + i);
        }
        for (; i < count; i++) y[i] = a[i] * b[i];
    }

    /// <summary>Σ values: lane-wise over whole vectors, then across the lanes, then the tail in order.</summary>
    internal static T Sum<T>(T* values, long count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long i = 0;
        T sum = T.Zero;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported && count >= Vector<T>.Count)
        {
            int w = Vector<T>.Count;
            Vector<T> s0 = Vector<T>.Zero, s1 = Vector<T>.Zero;
            // Two chains of additions, so each waits half as long on the one before.
            for (; i <= count - 2 * w; i += 2 * w)
            {
                s0 += Vector.Load(values + i);
                s1 += Vector.Load(values + i + w);
            }
            if (i <= count - w)
            {
                s0 += Vector.Load(values + i);
                i += w;
            }
            sum = Vector.Sum(s0 + s1);
        }
        for (; i < count; i++) sum += values[i];
        return sum;
    }

    /// <summary><c>destination += source</c>.</summary>
    public static void AddInto<T>(T* source, T* destination, long count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            int w = Vector<T>.Count;
            for (; i <= count - w; i += w) Vector.Store(Vector.Load(destination + i) + Vector.Load(source + i), destination + i);
        }
        for (; i < count; i++) destination[i] += source[i];
    }

    /// <summary><c>destination += a ⊙ b</c> (the backward of a product).</summary>
    public static void MultiplyAddInto<T>(T* a, T* b, T* destination, long count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            int w = Vector<T>.Count;
            for (; i <= count - w; i += w)
                Vector.Store(Vector.Load(destination + i) + Vector.Load(a + i) * Vector.Load(b + i), destination + i);
        }
        for (; i < count; i++) destination[i] += a[i] * b[i];
    }

    /// <summary>Sets <paramref name="count"/> elements to zero.</summary>
    public static void Clear<T>(T* buffer, long count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Span lengths are ints; large buffers are cleared in chunks.
        while (count > 0)
        {
            int chunk = (int)Math.Min(count, int.MaxValue / 2);
            new Span<T>(buffer, chunk).Clear();
            buffer += chunk;
            count -= chunk;
        }
    }

    /// <summary><c>buffer *= factor</c> (e.g. a loss gradient times the head's weight).</summary>
    public static void Scale<T>(T* buffer, T factor, long count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            int w = Vector<T>.Count;
            for (; i <= count - w; i += w) Vector.Store(Vector.Load(buffer + i) * factor, buffer + i);
        }
        for (; i < count; i++) buffer[i] *= factor;
    }
}
