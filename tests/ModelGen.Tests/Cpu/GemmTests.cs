using System;
using System.Collections.Generic;
using System.Numerics;
using ModelGen.Cpu;
using Xunit;

namespace ModelGen.Tests.Cpu;

public unsafe class GemmTests
{
    private static readonly int[] OddSizes = { 1, 3, 7, 17, 33, 65, 129, 257 };

    /// <summary>
    /// Every odd size in every dimension, plus shapes that cross the driver's blocking: k over
    /// two k-blocks (256), n over a packed column block (512), m over a row block (96).
    /// </summary>
    public static IEnumerable<object[]> Shapes()
    {
        foreach (int s in OddSizes)
        {
            yield return new object[] { s, 33, 17 };
            yield return new object[] { 17, s, 33 };
            yield return new object[] { 33, 17, s };
        }
        yield return new object[] { 257, 129, 65 };
        yield return new object[] { 65, 257, 257 };
        yield return new object[] { 129, 65, 257 };
        yield return new object[] { 100, 600, 9 };
        yield return new object[] { 7, 3, 520 };
        yield return new object[] { 1, 1, 1 };
        yield return new object[] { 150, 10, 300 }; // one 512-bit vector wide: the narrow kernel
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float_MatchesDoubleReference_AllTransposesAndAccumulate(int m, int n, int k) => CheckAllVariants<float>(m, n, k);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Double_MatchesDoubleReference_AllTransposesAndAccumulate(int m, int n, int k) => CheckAllVariants<double>(m, n, k);

    [Theory]
    [InlineData(33, 65, 17)]
    [InlineData(129, 100, 300)]
    [InlineData(7, 257, 3)]
    public void EveryKernelWidth_GivesTheSameBits(int m, int n, int k)
    {
        foreach (bool transA in new[] { false, true })
        foreach (bool transB in new[] { false, true })
        {
            float[] expected = Run<float>(transA, transB, m, n, k, accumulate: true, seed: 5, width: 0);
            foreach (int width in new[] { 512, 256, 128, 1 })
            {
                float[] actual = Run<float>(transA, transB, m, n, k, accumulate: true, seed: 5, width: width);
                TestData.AssertBitwiseEqual(expected, actual, $"float width {width} transA={transA} transB={transB}");
            }
            double[] expectedD = Run<double>(transA, transB, m, n, k, accumulate: false, seed: 6, width: 0);
            foreach (int width in new[] { 512, 256, 128, 1 })
            {
                double[] actual = Run<double>(transA, transB, m, n, k, accumulate: false, seed: 6, width: width);
                TestData.AssertBitwiseEqual(expectedD, actual, $"double width {width} transA={transA} transB={transB}");
            }
        }
    }

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    [InlineData(1)]
    public void EveryKernelWidth_MatchesReference(int width)
    {
        foreach (var shape in new[] { (13, 37, 29), (65, 17, 260) })
            CheckAllVariants<float>(shape.Item1, shape.Item2, shape.Item3, width);
    }

    [Fact]
    public void ZeroDepth_ClearsOrKeepsC()
    {
        float[] c = TestData.Random<float>(12, 1);
        float[] keep = (float[])c.Clone();
        fixed (float* pc = c)
        {
            float dummy = 0;
            Gemm.Multiply(false, false, 3, 4, 0, &dummy, &dummy, pc, accumulate: true);
            Assert.Equal(keep, c);
            Gemm.Multiply(true, true, 3, 4, 0, &dummy, &dummy, pc, accumulate: false);
        }
        Assert.All(c, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void EmptyOutput_TouchesNothing_NegativeDimensionThrows()
    {
        float x = 1;
        Gemm.Multiply(false, false, 0, 5, 5, &x, &x, &x, accumulate: false);
        Gemm.Multiply(false, false, 5, 0, 5, &x, &x, &x, accumulate: false);
        Assert.Equal(1f, x);
        Assert.Throws<ArgumentOutOfRangeException>(() => { float y = 0; Gemm.Multiply(false, false, -1, 1, 1, &y, &y, &y, false); });
    }

    private static void CheckAllVariants<T>(int m, int n, int k, int width = 0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int seed = m * 1_000_003 + n * 1009 + k;
        foreach (bool transA in new[] { false, true })
        foreach (bool transB in new[] { false, true })
        foreach (bool accumulate in new[] { false, true })
        {
            T[] a = TestData.Random<T>(m * k, seed);
            T[] b = TestData.Random<T>(k * n, seed + 1);
            T[] c0 = TestData.Random<T>(m * n, seed + 2);
            T[] c = Run<T>(transA, transB, m, n, k, accumulate, seed, width);
            double eps = TestData.Epsilon<T>();
            for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = accumulate ? double.CreateTruncating(c0[i * n + j]) : 0;
                double magnitude = Math.Abs(sum);
                for (int p = 0; p < k; p++)
                {
                    double av = double.CreateTruncating(transA ? a[p * m + i] : a[i * k + p]);
                    double bv = double.CreateTruncating(transB ? b[j * k + p] : b[p * n + j]);
                    sum += av * bv;
                    magnitude += Math.Abs(av * bv);
                }
                // Forward error bound of a length-k sum (plus the reference's own rounding for doubles).
                double tolerance = 2 * (k + 2) * eps * magnitude + 1e-300;
                double actual = double.CreateTruncating(c[i * n + j]);
                if (!(Math.Abs(actual - sum) <= tolerance))
                    Assert.Fail($"{typeof(T).Name} {m}×{n}×{k} transA={transA} transB={transB} accumulate={accumulate} width={width}: " +
                                $"C[{i},{j}] = {actual:R}, reference {sum:R}, tolerance {tolerance:E2}.");
            }
        }
    }

    /// <summary>Runs one product on fresh seeded data (C starts from seeded values, so accumulate is visible).</summary>
    internal static T[] Run<T>(bool transA, bool transB, int m, int n, int k, bool accumulate, int seed, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] a = TestData.Random<T>(m * k, seed);
        T[] b = TestData.Random<T>(k * n, seed + 1);
        T[] c = TestData.Random<T>(m * n, seed + 2);
        int saved = GemmCore.ForcedWidth;
        GemmCore.ForcedWidth = width;
        try
        {
            fixed (T* pa = a)
            fixed (T* pb = b)
            fixed (T* pc = c)
            {
                Gemm.Multiply(transA, transB, m, n, k, pa, pb, pc, accumulate);
            }
        }
        finally
        {
            GemmCore.ForcedWidth = saved;
        }
        return c;
    }
}
