using System;
using System.Numerics;
using ModelGen.Compute;

namespace ModelGen.Cpu;

/// <summary>
/// The arithmetic of <c>[Forward]</c>: element-wise functions of one value (<see cref="ElementwiseFunction"/>) and the
/// difference of two, forward and backward. Backward passes accumulate into the input gradient (<c>dx +=</c>), so a value
/// read by several operations gets the sum of their gradients.
/// </summary>
public static unsafe class ElementwiseMathKernels
{
    /// <summary><c>y = f(x)</c>; <paramref name="first"/> and <paramref name="second"/> are the function's constants.</summary>
    public static void Forward<T>(ElementwiseFunction function, T* x, T* y, long count, T first = default, T second = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (long i = 0; i < count; i++) y[i] = Apply(function, x[i], first, second);
    }

    /// <summary><c>dx += dy·f'(x)</c>, given x and y = f(x).</summary>
    public static void Backward<T>(ElementwiseFunction function, T* x, T* y, T* dy, T* dx, long count, T first = default, T second = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (long i = 0; i < count; i++) dx[i] += dy[i] * Derivative(function, x[i], y[i], first, second);
    }

    /// <summary>
    /// Standard normal noise: <paramref name="count"/> draws from <paramref name="rng"/> in order, so the same generator state
    /// gives the same noise on every machine and for any thread count.
    /// </summary>
    public static void StandardNormal<T>(T* y, long count, ref Rng rng) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (long i = 0; i < count; i++) y[i] = T.CreateTruncating(rng.NextGaussian());
    }

    /// <summary><c>y[b] = scale · Σᵢ x[b, i]</c> over the <paramref name="size"/> elements of each sample, added in order.</summary>
    public static void SumPerSample<T>(T* x, T* y, int batch, int size, T scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int b = 0; b < batch; b++)
        {
            T sum = T.Zero;
            T* row = x + (long)b * size;
            for (int i = 0; i < size; i++) sum += row[i];
            y[b] = scale * sum;
        }
    }

    /// <summary><c>dx[b, i] += scale · dy[b]</c>.</summary>
    public static void SumPerSampleBackward<T>(T* dy, T* dx, int batch, int size, T scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int b = 0; b < batch; b++)
        {
            T g = scale * dy[b];
            T* row = dx + (long)b * size;
            for (int i = 0; i < size; i++) row[i] += g;
        }
    }

    /// <summary>The mean of <paramref name="batch"/> per-sample values, added in order.</summary>
    public static T BatchMean<T>(T* values, int batch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        for (int b = 0; b < batch; b++) sum += values[b];
        return sum / T.CreateTruncating(batch);
    }

    /// <summary><c>destination[i] = value</c>.</summary>
    public static void Fill<T>(T* destination, T value, long count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (long i = 0; i < count; i++) destination[i] = value;
    }

    /// <summary><c>destination[i] += value</c>.</summary>
    public static void AddConstant<T>(T* destination, T value, long count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (long i = 0; i < count; i++) destination[i] += value;
    }

    /// <summary><c>y = a − b</c>.</summary>
    public static void Subtract<T>(T* a, T* b, T* y, long count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            int w = Vector<T>.Count;
            for (; i <= count - w; i += w) Vector.Store(Vector.Load(a + i) - Vector.Load(b + i), y + i);
        }
        for (; i < count; i++) y[i] = a[i] - b[i];
    }

    /// <summary><c>destination −= source</c> (the subtrahend's gradient).</summary>
    public static void SubtractFrom<T>(T* source, T* destination, long count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (long i = 0; i < count; i++) destination[i] -= source[i];
    }

    /// <summary>f(x) for one element.</summary>
    public static T Apply<T>(ElementwiseFunction function, T x, T first, T second) where T : unmanaged, IFloatingPointIeee754<T> => function switch
    {
        ElementwiseFunction.Affine => first * x + second,
        ElementwiseFunction.Exp => T.Exp(x),
        ElementwiseFunction.Log => T.Log(x),
        ElementwiseFunction.Sqrt => T.Sqrt(x),
        ElementwiseFunction.Square => x * x,
        ElementwiseFunction.Abs => T.Abs(x),
        ElementwiseFunction.Clamp => x < first ? first : x > second ? second : x,
        ElementwiseFunction.ReLU => ActivationKernels.Apply(Activation.ReLU, x, first),
        ElementwiseFunction.LeakyReLU => ActivationKernels.Apply(Activation.LeakyReLU, x, first),
        ElementwiseFunction.GELU => ActivationKernels.Apply(Activation.GELU, x, first),
        ElementwiseFunction.SiLU => ActivationKernels.Apply(Activation.SiLU, x, first),
        ElementwiseFunction.Sigmoid => ActivationKernels.Apply(Activation.Sigmoid, x, first),
        ElementwiseFunction.Tanh => ActivationKernels.Apply(Activation.Tanh, x, first),
        ElementwiseFunction.GELUExact => ActivationKernels.Apply(Activation.GELUExact, x, first),
        _ => throw new ArgumentOutOfRangeException(nameof(function), function, "Unknown element-wise function."),
    };

    /// <summary>f'(x) for one element, given x and y = f(x).</summary>
    public static T Derivative<T>(ElementwiseFunction function, T x, T y, T first, T second) where T : unmanaged, IFloatingPointIeee754<T> => function switch
    {
        ElementwiseFunction.Affine => first,
        ElementwiseFunction.Exp => y,
        ElementwiseFunction.Log => T.One / x,
        ElementwiseFunction.Sqrt => T.CreateTruncating(0.5) / y,
        ElementwiseFunction.Square => x + x,
        ElementwiseFunction.Abs => x > T.Zero ? T.One : x < T.Zero ? -T.One : T.Zero,
        ElementwiseFunction.Clamp => x >= first && x <= second ? T.One : T.Zero,
        ElementwiseFunction.ReLU => ActivationKernels.Derivative(Activation.ReLU, x, y, first),
        ElementwiseFunction.LeakyReLU => ActivationKernels.Derivative(Activation.LeakyReLU, x, y, first),
        ElementwiseFunction.GELU => ActivationKernels.Derivative(Activation.GELU, x, y, first),
        ElementwiseFunction.SiLU => ActivationKernels.Derivative(Activation.SiLU, x, y, first),
        ElementwiseFunction.Sigmoid => ActivationKernels.Derivative(Activation.Sigmoid, x, y, first),
        ElementwiseFunction.Tanh => ActivationKernels.Derivative(Activation.Tanh, x, y, first),
        ElementwiseFunction.GELUExact => ActivationKernels.Derivative(Activation.GELUExact, x, y, first),
        _ => throw new ArgumentOutOfRangeException(nameof(function), function, "Unknown element-wise function."),
    };
}
