using System;
using System.Collections.Generic;
using System.Numerics;
using ModelGen.Cpu;
using Xunit;

namespace ModelGen.Tests.Cpu;

/// <summary>
/// The small-row product (a few rows, weights read in place) against the packed path it replaces: the same bits
/// for every row count around its groups of four, widths that are not a multiple of the vector, depths across a
/// k-block, with and without accumulation, on each vector width.
/// </summary>
[Collection(SerialCollection.Name)]
public unsafe class GemmSmallRowsTests
{
    public static IEnumerable<object[]> Shapes()
    {
        foreach (int m in new[] { 1, 2, 3, 4, 5, 7, 8, 33 })
        foreach (var (n, k) in new[] { (1, 7), (10, 64), (17, 1), (33, 300), (130, 33), (300, 520) })
            yield return new object[] { m, n, k };
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void SmallRows_GiveThePackedPathsBits(int m, int n, int k)
    {
        foreach (int width in new[] { 0, 512, 256 })
        foreach (bool accumulate in new[] { false, true })
        {
            float[] expected = Product<float>(m, n, k, accumulate, width, smallRows: false);
            float[] actual = Product<float>(m, n, k, accumulate, width, smallRows: true);
            TestData.AssertBitwiseEqual(expected, actual, $"float {m}×{n}×{k} width {width} accumulate={accumulate}");
            double[] expectedD = Product<double>(m, n, k, accumulate, width, smallRows: false);
            double[] actualD = Product<double>(m, n, k, accumulate, width, smallRows: true);
            TestData.AssertBitwiseEqual(expectedD, actualD, $"double {m}×{n}×{k} width {width} accumulate={accumulate}");
        }
    }

    [Theory]
    [MemberData(nameof(DenseKernelTests.ActivationsWithAndWithoutBias), MemberType = typeof(DenseKernelTests))]
    public void DenseForward_OnFewRows_GivesThePackedPathsBits(Activation activation, bool withBias)
    {
        foreach (int rows in new[] { 1, 7, 33 })
        foreach (var (inFeatures, outFeatures) in new[] { (64, 10), (45, 33), (300, 70), (7, 1) })
        foreach (int width in new[] { 512, 256 })
        {
            var (z, y) = DenseForward(rows, inFeatures, outFeatures, activation, withBias, width, smallRows: false);
            var (z2, y2) = DenseForward(rows, inFeatures, outFeatures, activation, withBias, width, smallRows: true);
            string what = $"{activation} bias={withBias} {rows}×{inFeatures}→{outFeatures} width {width}";
            TestData.AssertBitwiseEqual(z, z2, what + " pre-activation");
            TestData.AssertBitwiseEqual(y, y2, what + " output");
        }
    }

    [Fact]
    public void SingleRow_MatchesTheDoubleReference()
    {
        // Independent of the packed path: one row against a float64 sum, over two k-blocks and a column tail.
        const int n = 37, k = 600;
        float[] a = TestData.Random<float>(k, Seed(1, n, k)), b = TestData.Random<float>(k * n, Seed(1, n, k) + 1);
        float[] c = Product<float>(1, n, k, accumulate: false, width: 0, smallRows: true);
        for (int j = 0; j < n; j++)
        {
            double sum = 0, magnitude = 0;
            for (int p = 0; p < k; p++)
            {
                sum += (double)a[p] * b[p * n + j];
                magnitude += Math.Abs((double)a[p] * b[p * n + j]);
            }
            Assert.True(Math.Abs(c[j] - sum) <= 2 * (k + 2) * TestData.Epsilon<float>() * magnitude, $"C[{j}] = {c[j]:R}, reference {sum:R}");
        }
    }

    private static T[] Product<T>(int m, int n, int k, bool accumulate, int width, bool smallRows) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int seed = Seed(m, n, k);
        T[] a = TestData.Random<T>(m * k, seed), b = TestData.Random<T>(k * n, seed + 1), c = TestData.Random<T>(m * n, seed + 2);
        WithPath(width, smallRows, () =>
        {
            fixed (T* pa = a, pb = b, pc = c) Gemm.Multiply(false, false, m, n, k, pa, pb, pc, accumulate);
        });
        return c;
    }

    [Theory]
    [InlineData(1, 300, 64, Activation.ReLU)]
    [InlineData(7, 1030, 33, Activation.GELU)]
    [InlineData(5, 257, 300, Activation.Sigmoid)]
    public void SplitAcrossThreads_GivesThePackedPathsBits(int rows, int inFeatures, int outFeatures, Activation activation)
    {
        int saved = CpuParallel.ThreadCount;
        try
        {
            GemmCore.ParallelThresholdOverride = 1;
            CpuParallel.ThreadCount = 1;
            var (z, y) = DenseForward(rows, inFeatures, outFeatures, activation, withBias: true, width: 0, smallRows: false);
            foreach (int threads in new[] { 2, 3 })
            {
                CpuParallel.ThreadCount = threads;
                CpuParallel.ResetStallBackoff();
                var (z2, y2) = DenseForward(rows, inFeatures, outFeatures, activation, withBias: true, width: 0, smallRows: true);
                TestData.AssertBitwiseEqual(z, z2, $"{threads} threads, pre-activation");
                TestData.AssertBitwiseEqual(y, y2, $"{threads} threads, output");
            }
        }
        finally
        {
            GemmCore.ParallelThresholdOverride = 0;
            CpuParallel.ThreadCount = saved;
        }
    }

    public static IEnumerable<object[]> DepthSplitShapes()
    {
        // Depths of 2 to 5 k-blocks, with a short last block (257, 259, 784), so shares start and end inside blocks;
        // widths below, at and past one cache line of columns, and with a tail past the last vector. The last two shapes
        // have weights large enough (2^18) for the single row's streaming kernel, one with a block of 3 rows of k.
        foreach (int m in new[] { 1, 3, 4, 6, 8 })
        foreach (var (n, k) in new[] { (1, 300), (16, 257), (37, 784), (130, 1030), (1030, 259), (1024, 784) })
            yield return new object[] { m, n, k };
    }

    [Theory]
    [MemberData(nameof(DepthSplitShapes))]
    public void SplitAlongK_GivesOneThreadsBits(int m, int n, int k)
    {
        int saved = CpuParallel.ThreadCount;
        try
        {
            GemmCore.ParallelThresholdOverride = 1;
            foreach (bool accumulate in new[] { false, true })
            {
                CpuParallel.ThreadCount = 1;
                float[] expected = Product<float>(m, n, k, accumulate, width: 0, smallRows: true);
                double[] expectedD = Product<double>(m, n, k, accumulate, width: 0, smallRows: true);
                float[] packed = Product<float>(m, n, k, accumulate, width: 0, smallRows: false);
                TestData.AssertBitwiseEqual(packed, expected, $"one thread against the packed path, {m}×{n}×{k} accumulate={accumulate}");
                foreach (int threads in new[] { 2, 3, 5 })
                {
                    CpuParallel.ThreadCount = threads;
                    CpuParallel.ResetStallBackoff();
                    string what = $"{threads} threads, {m}×{n}×{k} accumulate={accumulate}";
                    TestData.AssertBitwiseEqual(expected, Product<float>(m, n, k, accumulate, width: 0, smallRows: true), "float " + what);
                    TestData.AssertBitwiseEqual(expectedD, Product<double>(m, n, k, accumulate, width: 0, smallRows: true), "double " + what);
                    TestData.AssertBitwiseEqual(expected, Product<float>(m, n, k, accumulate, width: 256, smallRows: true), "float, 256-bit kernels, " + what);
                }
            }
        }
        finally
        {
            GemmCore.ParallelThresholdOverride = 0;
            CpuParallel.ThreadCount = saved;
        }
    }

    private static int Seed(int m, int n, int k) => m * 7919 + n * 31 + k;

    private static (float[] Z, float[] Y) DenseForward(int rows, int inFeatures, int outFeatures, Activation activation, bool withBias, int width, bool smallRows)
    {
        float[] x = TestData.Random<float>(rows * inFeatures, 1), w = TestData.Random<float>(inFeatures * outFeatures, 2);
        float[] bias = TestData.Random<float>(outFeatures, 3);
        float[] z = new float[rows * outFeatures], y = new float[rows * outFeatures];
        WithPath(width, smallRows, () =>
        {
            fixed (float* px = x, pw = w, pb = bias, pz = z, py = y)
                DenseKernels.Forward(px, pw, withBias ? pb : null, pz, py, rows, inFeatures, outFeatures, activation, 0.2f);
        });
        return (z, y);
    }

    private static void WithPath(int width, bool smallRows, Action action)
    {
        int savedWidth = GemmCore.ForcedWidth;
        bool savedDisabled = GemmCore.SmallRowsDisabled;
        GemmCore.ForcedWidth = width;
        GemmCore.SmallRowsDisabled = !smallRows;
        try { action(); }
        finally
        {
            GemmCore.ForcedWidth = savedWidth;
            GemmCore.SmallRowsDisabled = savedDisabled;
        }
    }
}
