using System;
using System.Numerics;

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
        for (long i = 0; i < count; i++) y[i] = Apply(kind, z[i], negativeSlope);
    }

    /// <summary>
    /// Back-propagates through <paramref name="kind"/>: <c>dz[i] = dy[i]·f'(z[i])</c>, using the
    /// pre-activation <paramref name="z"/> and the output <paramref name="y"/> (dy and dz may alias).
    /// </summary>
    public static void Backward<T>(Activation kind, T* z, T* y, T* dy, T* dz, long count, T negativeSlope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (long i = 0; i < count; i++) dz[i] = dy[i] * Derivative(kind, z[i], y[i], negativeSlope);
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
