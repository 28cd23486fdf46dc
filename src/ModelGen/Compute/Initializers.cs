using System;
using System.Numerics;

namespace ModelGen.Compute;

/// <summary>Parameter initialisation rules; generated constructors call these per layer with a per-layer stream.</summary>
public static class Initializers
{
    /// <summary>Kaiming (He) normal: N(0, gain²/fanIn) with gain √(2/(1+slope²)), for ReLU-family activations.</summary>
    public static void KaimingNormal<T>(Span<T> weights, int fanIn, double negativeSlope, ref Rng rng)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double std = Math.Sqrt(2.0 / (1.0 + negativeSlope * negativeSlope)) / Math.Sqrt(fanIn);
        for (int i = 0; i < weights.Length; i++) weights[i] = T.CreateTruncating(std * rng.NextGaussian());
    }

    /// <summary>Xavier (Glorot) uniform: U(−a, a) with a = √(6/(fanIn + fanOut)), for sigmoid, tanh and linear outputs.</summary>
    public static void XavierUniform<T>(Span<T> weights, int fanIn, int fanOut, ref Rng rng)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double limit = Math.Sqrt(6.0 / (fanIn + fanOut));
        for (int i = 0; i < weights.Length; i++) weights[i] = T.CreateTruncating((2.0 * rng.NextDouble() - 1.0) * limit);
    }

    /// <summary>Normal N(0, <paramref name="standardDeviation"/>²), e.g. embedding tables (PyTorch's <c>nn.Embedding</c> starts N(0, 1)).</summary>
    public static void Normal<T>(Span<T> weights, double standardDeviation, ref Rng rng)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < weights.Length; i++) weights[i] = T.CreateTruncating(standardDeviation * rng.NextGaussian());
    }
}
