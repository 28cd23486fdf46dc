using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace ModelGen.Cpu;

/// <summary>Element-wise activations and their derivatives, shared by every layer that has one.</summary>
public static unsafe class ActivationKernels
{
    /// <summary>√(2/π), the GELU tanh-approximation constant.</summary>
    private const double GeluC = 0.7978845608028654;

    /// <summary>The cubic coefficient of the GELU tanh approximation.</summary>
    private const double GeluA = 0.044715;

    /// <summary>Applies <paramref name="kind"/> element-wise: <c>y[i] = f(z[i])</c> (z and y may alias).</summary>
    public static void Forward<T>(Activation kind, T* z, T* y, long count, T negativeSlope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported && kind is Activation.None or Activation.ReLU or Activation.LeakyReLU)
        {
            i = ForwardVector(kind, z, y, count, negativeSlope);
            if (i == count) return;
        }
        if (kind == Activation.GELU && HasVectorExp<T>())
        {
            GeluForwardVector(z, y, count);
            return;
        }
        switch (kind)
        {
            case Activation.None: for (; i < count; i++) y[i] = z[i]; break;
            case Activation.ReLU: for (; i < count; i++) y[i] = z[i] > T.Zero ? z[i] : T.Zero; break;
            case Activation.LeakyReLU: for (; i < count; i++) y[i] = z[i] > T.Zero ? z[i] : z[i] * negativeSlope; break;
            case Activation.GELU: for (; i < count; i++) y[i] = Apply(Activation.GELU, z[i], negativeSlope); break;
            case Activation.SiLU: for (; i < count; i++) y[i] = Apply(Activation.SiLU, z[i], negativeSlope); break;
            case Activation.Sigmoid: for (; i < count; i++) y[i] = Sigmoid(z[i]); break;
            case Activation.Tanh: for (; i < count; i++) y[i] = T.Tanh(z[i]); break;
            case Activation.GELUExact: for (; i < count; i++) y[i] = Apply(Activation.GELUExact, z[i], negativeSlope); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");
        }
    }

    /// <summary>
    /// <c>z[j] += bias[j]</c> (when bias is not null), then <c>y[j] = f(z[j])</c>, for one row:
    /// the dense layer's epilogue, run on each tile of z right after the GEMM produced it.
    /// </summary>
    internal static void BiasForward<T>(Activation kind, T* z, T* y, T* bias, int count, T negativeSlope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool vectors = Vector.IsHardwareAccelerated && Vector<T>.IsSupported;
        if (!vectors || kind is not (Activation.None or Activation.ReLU or Activation.LeakyReLU))
        {
            if (bias != null) ElementwiseKernels.AddInto(bias, z, count);
            if (z != y || kind != Activation.None) Forward(kind, z, y, count, negativeSlope);
            return;
        }

        int w = Vector<T>.Count, j = 0;
        var slope = new Vector<T>(negativeSlope);
        bool store = z != y || kind != Activation.None;
        for (; j <= count - w; j += w)
        {
            var v = Vector.Load(z + j);
            if (bias != null)
            {
                v += Vector.Load(bias + j);
                Vector.Store(v, z + j);
            }
            if (store) Vector.Store(ActivateVector(kind, v, slope), y + j);
        }
        for (; j < count; j++)
        {
            T v = z[j];
            if (bias != null)
            {
                v += bias[j];
                z[j] = v;
            }
            if (store) y[j] = Apply(kind, v, negativeSlope);
        }
    }

    /// <summary>The vectorisable activations over the whole vectors of a buffer; returns the index where the scalar tail starts.</summary>
    private static long ForwardVector<T>(Activation kind, T* z, T* y, long count, T negativeSlope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector<T>.Count;
        var slope = new Vector<T>(negativeSlope);
        long i = 0;
        for (; i <= count - w; i += w) Vector.Store(ActivateVector(kind, Vector.Load(z + i), slope), y + i);
        return i;
    }

    /// <summary>ReLU and LeakyReLU as selects on <c>z &gt; 0</c>, exactly the scalar formulas (NaN and −0 map as in <see cref="Apply"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> ActivateVector<T>(Activation kind, Vector<T> z, Vector<T> slope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (kind == Activation.None) return z;
        var positive = Vector.GreaterThan(z, Vector<T>.Zero);
        return kind == Activation.ReLU
            ? Vector.ConditionalSelect(positive, z, Vector<T>.Zero)
            : Vector.ConditionalSelect(positive, z, z * slope);
    }

    /// <summary>
    /// Back-propagates through <paramref name="kind"/>: <c>dz[i] = dy[i]·f'(z[i])</c>, using the
    /// pre-activation <paramref name="z"/> and the output <paramref name="y"/> (dy and dz may alias).
    /// </summary>
    public static void Backward<T>(Activation kind, T* z, T* y, T* dy, T* dz, long count, T negativeSlope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported && kind is Activation.None or Activation.ReLU or Activation.LeakyReLU)
        {
            int w = Vector<T>.Count;
            var slope = new Vector<T>(negativeSlope);
            var one = Vector<T>.One;
            for (; i <= count - w; i += w)
            {
                var g = Vector.Load(dy + i);
                if (kind != Activation.None)
                {
                    // dy·f'(z) as a product, not a select, so an infinite or NaN dy propagates as in the scalar formula.
                    var positive = Vector.GreaterThan(Vector.Load(z + i), Vector<T>.Zero);
                    g *= Vector.ConditionalSelect(positive, one, kind == Activation.ReLU ? Vector<T>.Zero : slope);
                }
                Vector.Store(g, dz + i);
            }
            if (i == count) return;
        }
        if (kind == Activation.GELU && HasVectorExp<T>())
        {
            GeluBackwardVector(z, dy, dz, count);
            return;
        }
        switch (kind)
        {
            case Activation.None: for (; i < count; i++) dz[i] = dy[i] * T.One; break;
            case Activation.ReLU: for (; i < count; i++) dz[i] = dy[i] * (z[i] > T.Zero ? T.One : T.Zero); break;
            case Activation.LeakyReLU: for (; i < count; i++) dz[i] = dy[i] * (z[i] > T.Zero ? T.One : negativeSlope); break;
            case Activation.GELU: for (; i < count; i++) dz[i] = dy[i] * Derivative(Activation.GELU, z[i], y[i], negativeSlope); break;
            case Activation.SiLU: for (; i < count; i++) dz[i] = dy[i] * Derivative(Activation.SiLU, z[i], y[i], negativeSlope); break;
            case Activation.Sigmoid: for (; i < count; i++) dz[i] = dy[i] * (y[i] * (T.One - y[i])); break;
            case Activation.Tanh: for (; i < count; i++) dz[i] = dy[i] * (T.One - y[i] * y[i]); break;
            case Activation.GELUExact: for (; i < count; i++) dz[i] = dy[i] * Derivative(Activation.GELUExact, z[i], y[i], negativeSlope); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");
        }
    }

    /// <summary>Whether <see cref="Vector"/> has an exponential for T (float and double), which the vector GELU needs.</summary>
    private static bool HasVectorExp<T>() where T : unmanaged, IFloatingPointIeee754<T>
        => Vector.IsHardwareAccelerated && (typeof(T) == typeof(float) || typeof(T) == typeof(double));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> ExpVector<T>(Vector<T> v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float)) return Vector.As<float, T>(Vector.Exp(Vector.As<T, float>(v)));
        return Vector.As<double, T>(Vector.Exp(Vector.As<T, double>(v)));
    }

    /// <summary>
    /// <c>values[j] = exp(values[j] − shift)</c> for j &lt; count, returning their sum taken in index
    /// order: a softmax's numerators. Vectorised where T has a vector exponential, with the tail
    /// through the same vector code, so an element's bits do not depend on its position.
    /// </summary>
    internal static T ExpShiftedInPlace<T>(T* values, int count, T shift) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        if (HasVectorExp<T>())
        {
            int w = Vector<T>.Count;
            var offset = new Vector<T>(shift);
            for (; j <= count - w; j += w) Vector.Store(ExpVector(Vector.Load(values + j) - offset), values + j);
            if (j < count)
            {
                int rest = count - j;
                T* pad = stackalloc T[w];
                new Span<T>(pad, w).Clear();
                new ReadOnlySpan<T>(values + j, rest).CopyTo(new Span<T>(pad, w));
                Vector.Store(ExpVector(Vector.Load(pad) - offset), pad);
                new ReadOnlySpan<T>(pad, rest).CopyTo(new Span<T>(values + j, rest));
            }
        }
        else
        {
            for (; j < count; j++) values[j] = T.Exp(values[j] - shift);
        }
        T sum = T.Zero;
        for (int t = 0; t < count; t++) sum += values[t];
        return sum;
    }

    /// <summary>σ(2u) for the GELU tanh approximation, <c>u = c·(z + a·z³)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> GeluGate<T>(Vector<T> z) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var twoU = new Vector<T>(T.CreateTruncating(2 * GeluC)) * (z + new Vector<T>(T.CreateTruncating(GeluA)) * z * z * z);
        return Vector<T>.One / (Vector<T>.One + ExpVector(-twoU));
    }

    /// <summary>
    /// GELU (tanh approximation) as <c>z·σ(2u)</c> a vector at a time. The tail goes through the same
    /// vector code on a zero-padded copy, so an element's result does not depend on where a buffer
    /// (or a GEMM tile calling this per row) starts or ends.
    /// </summary>
    private static void GeluForwardVector<T>(T* z, T* y, long count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector<T>.Count;
        long i = 0;
        for (; i <= count - w; i += w)
        {
            var v = Vector.Load(z + i);
            Vector.Store(v * GeluGate(v), y + i);
        }
        if (i == count) return;
        int rest = (int)(count - i);
        T* pad = stackalloc T[w];
        new Span<T>(pad, w).Clear();
        new ReadOnlySpan<T>(z + i, rest).CopyTo(new Span<T>(pad, w));
        var last = Vector.Load(pad);
        Vector.Store(last * GeluGate(last), pad);
        new ReadOnlySpan<T>(pad, rest).CopyTo(new Span<T>(y + i, rest));
    }

    /// <summary><c>dz = dy·f'(z)</c> for GELU with <c>f' = s + z·s·(1 − s)·2c·(1 + 3a·z²)</c>, s = σ(2u); the tail as in <see cref="GeluForwardVector"/>.</summary>
    private static void GeluBackwardVector<T>(T* z, T* dy, T* dz, long count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector<T>.Count;
        long i = 0;
        for (; i <= count - w; i += w) Vector.Store(Vector.Load(dy + i) * GeluSlope(Vector.Load(z + i)), dz + i);
        if (i == count) return;
        int rest = (int)(count - i);
        T* pad = stackalloc T[2 * w];
        new Span<T>(pad, 2 * w).Clear();
        new ReadOnlySpan<T>(z + i, rest).CopyTo(new Span<T>(pad, w));
        new ReadOnlySpan<T>(dy + i, rest).CopyTo(new Span<T>(pad + w, w));
        Vector.Store(Vector.Load(pad + w) * GeluSlope(Vector.Load(pad)), pad);
        new ReadOnlySpan<T>(pad, rest).CopyTo(new Span<T>(dz + i, rest));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> GeluSlope<T>(Vector<T> z) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = GeluGate(z);
        var chain = new Vector<T>(T.CreateTruncating(2 * GeluC)) * (Vector<T>.One + new Vector<T>(T.CreateTruncating(3 * GeluA)) * z * z);
        return s + z * s * (Vector<T>.One - s) * chain;
    }

    /// <summary>f(z) for one element.</summary>
    public static T Apply<T>(Activation kind, T z, T negativeSlope) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (kind)
        {
            case Activation.None: return z;
            case Activation.ReLU: return z > T.Zero ? z : T.Zero;
            case Activation.LeakyReLU: return z > T.Zero ? z : z * negativeSlope;
            case Activation.GELU:
            {
                // The kernels' vector formula where there is one, so a single element gets the same bits as in a buffer.
                if (HasVectorExp<T>())
                {
                    var v = new Vector<T>(z);
                    return (v * GeluGate(v))[0];
                }
                // ½·z·(1 + tanh u) = z·σ(2u): no cancellation in 1 + tanh u where u is negative.
                T twoU = T.CreateTruncating(2 * GeluC) * (z + T.CreateTruncating(GeluA) * z * z * z);
                return z / (T.One + T.Exp(-twoU));
            }
            case Activation.SiLU: return z * Sigmoid(z);
            case Activation.Sigmoid: return Sigmoid(z);
            case Activation.Tanh: return T.Tanh(z);
            case Activation.GELUExact:
            {
                // Computed in float64 for every T: a float32 result is the float64 value rounded once, within about half an ulp.
                return T.CreateTruncating(ErrorFunction.Gelu(double.CreateTruncating(z)));
            }
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");
        }
    }

    /// <summary>f'(z) for one element, given z and y = f(z).</summary>
    public static T Derivative<T>(Activation kind, T z, T y, T negativeSlope) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (kind)
        {
            case Activation.None: return T.One;
            case Activation.ReLU: return z > T.Zero ? T.One : T.Zero;
            case Activation.LeakyReLU: return z > T.Zero ? T.One : negativeSlope;
            case Activation.GELU:
            {
                // With s = σ(2u) = (1 + tanh u)/2: f' = s + z·s·(1 − s)·2c·(1 + 3a·z²).
                if (HasVectorExp<T>()) return GeluSlope(new Vector<T>(z))[0];
                T twoU = T.CreateTruncating(2 * GeluC) * (z + T.CreateTruncating(GeluA) * z * z * z);
                T s = T.One / (T.One + T.Exp(-twoU));
                return s + z * s * (T.One - s) * (T.CreateTruncating(2 * GeluC) * (T.One + T.CreateTruncating(3 * GeluA) * z * z));
            }
            case Activation.SiLU:
            {
                T s = Sigmoid(z);
                return s * (T.One + z * (T.One - s));
            }
            case Activation.Sigmoid: return y * (T.One - y);
            case Activation.Tanh: return T.One - y * y;
            case Activation.GELUExact:
            {
                return T.CreateTruncating(ErrorFunction.GeluDerivative(double.CreateTruncating(z)));
            }
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");
        }
    }

    /// <summary>Numerically stable logistic function.</summary>
    public static T Sigmoid<T>(T z) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (z >= T.Zero) return T.One / (T.One + T.Exp(-z));
        T e = T.Exp(z);
        return e / (T.One + e);
    }
}
