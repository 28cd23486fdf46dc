using System;
using ModelGen.Compute;
using Xunit;

namespace ModelGen.Tests.Layers;

/// <summary>
/// Float64 central-difference checks for the layer kernels, with the tolerances of
/// <see cref="GradientCheckTests"/>: eps 1e-6, |analytic − numeric| ≤ 1e-5 + 1e-3·|numeric|.
/// </summary>
internal static class GradCheck
{
    public const double Eps = 1e-6, Atol = 1e-5, Rtol = 1e-3;

    /// <summary>
    /// Gradient buffers start at this value before backward runs, and it is subtracted afterwards:
    /// kernels must add to gradients, so an overwrite shows up as a mismatch.
    /// </summary>
    public const double Prefill = 0.375;

    /// <summary>Seeded standard-normal values scaled by <paramref name="scale"/>.</summary>
    public static double[] Normal(int count, long seed, double scale = 1.0)
    {
        var rng = new Rng(seed);
        var data = new double[count];
        for (int i = 0; i < count; i++) data[i] = scale * rng.NextGaussian();
        return data;
    }

    /// <summary>A buffer of <paramref name="count"/> elements holding <see cref="Prefill"/>.</summary>
    public static double[] Gradient(int count)
    {
        var g = new double[count];
        Array.Fill(g, Prefill);
        return g;
    }

    /// <summary>Σ weights[i]·values[i]: the scalar whose gradient with respect to the values is the weights.</summary>
    public static double Dot(double[] values, double[] weights)
    {
        Assert.Equal(weights.Length, values.Length);
        double sum = 0;
        for (int i = 0; i < values.Length; i++) sum += values[i] * weights[i];
        return sum;
    }

    /// <summary>
    /// Perturbs every element of <paramref name="values"/> by ±eps, evaluates <paramref name="loss"/>,
    /// and compares the central difference with <paramref name="accumulated"/> − <see cref="Prefill"/>.
    /// </summary>
    public static void Check(string what, double[] values, double[] accumulated, Func<double> loss, bool requireNonZero = true)
    {
        Assert.Equal(values.Length, accumulated.Length);
        bool anyNonZero = false;
        for (int i = 0; i < values.Length; i++)
        {
            double original = values[i];
            values[i] = original + Eps;
            double plus = loss();
            values[i] = original - Eps;
            double minus = loss();
            values[i] = original;
            double numeric = (plus - minus) / (2 * Eps);
            double analytic = accumulated[i] - Prefill;
            double error = Math.Abs(analytic - numeric);
            Assert.True(error <= Atol + Rtol * Math.Abs(numeric),
                $"{what}[{i}]: analytic {analytic:G10}, numeric {numeric:G10}, error {error:G3}");
            anyNonZero |= analytic != 0;
        }
        if (requireNonZero && values.Length > 0) Assert.True(anyNonZero, $"{what}: every gradient is zero, so the check proves nothing.");
    }

    /// <summary>|expected − actual| ≤ tolerance for every element.</summary>
    public static void AssertClose(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance,
                $"{what}[{i}] = {actual[i]:R}, reference {expected[i]:R}, tolerance {tolerance:E2}");
    }

    /// <summary>Float copy of double data.</summary>
    public static float[] ToFloat(double[] data) => Array.ConvertAll(data, v => (float)v);
}
