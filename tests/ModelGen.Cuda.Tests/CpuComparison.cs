using System;
using GpuCheck;
using ModelGen.Cuda;
using Xunit;

namespace ModelGen.Cuda.Tests;

/// <summary>
/// How the emulated kernels are held to the CPU: per element, |gpu − cpu| ≤ atol + rtol·|cpu|, with the
/// tolerances samples/GpuCheck states for a GPU (<see cref="Tolerance.For"/>).
/// </summary>
internal static class CpuComparison
{
    /// <summary>The float32 tolerances (outputs and losses, gradients, parameters after updates).</summary>
    public static Tolerance Float32 { get; } = Tolerance.For(MatMulPrecision.Float32);

    /// <summary><paramref name="count"/> draws of N(0, scale²) from <paramref name="seed"/>.</summary>
    public static float[] Gaussian(int count, int seed, double scale = 1.0)
    {
        var rng = new ModelGen.Compute.Rng(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(scale * rng.NextGaussian());
        return values;
    }

    public static void AssertClose(string what, float[] expected, float[] actual, (double Atol, double Rtol) tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs((double)actual[i] - expected[i]);
            Assert.True(error <= tolerance.Atol + tolerance.Rtol * Math.Abs(expected[i]),
                $"{what}: element {i} of {expected.Length} is {actual[i]:G9}, the CPU's {expected[i]:G9} (|Δ| = {error:G3} > {tolerance.Atol:G} + {tolerance.Rtol:G}·|cpu|)");
        }
    }
}
