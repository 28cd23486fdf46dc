using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace ModelGen.Cpu;

/// <summary>Element-wise activations and their derivatives, shared by every layer that has one.</summary>
public static unsafe class ActivationKernels
{
    /// <summary>√(2/π), the GELU tanh-approximation constant.</summary>
    private const double GeluC = 0.7978845608028654;

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
                T half = T.CreateTruncating(0.5);
                T inner = T.CreateTruncating(GeluC) * (z + T.CreateTruncating(0.044715) * z * z * z);
                return half * z * (T.One + T.Tanh(inner));
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
                T half = T.CreateTruncating(0.5);
                T a = T.CreateTruncating(0.044715);
                T c = T.CreateTruncating(GeluC);
                T t = T.Tanh(c * (z + a * z * z * z));
                return half * (T.One + t) + half * z * (T.One - t * t) * c * (T.One + T.CreateTruncating(3) * a * z * z);
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
