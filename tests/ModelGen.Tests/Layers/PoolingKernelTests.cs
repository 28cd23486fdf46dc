using System;
using ModelGen.Cpu;
using Xunit;

namespace ModelGen.Tests.Layers;

public unsafe class PoolingKernelTests
{
    // batch, channels, H, W, KH, KW, strideH, strideW, padTop, padBottom, padLeft, padRight
    public static TheoryData<int[]> Geometries => new()
    {
        new[] { 2, 3, 6, 6, 2, 2, 2, 2, 0, 0, 0, 0 },   // LeNet's 2×2/2
        new[] { 1, 1, 7, 7, 2, 2, 2, 2, 0, 0, 0, 0 },   // 2×2/2 on odd sizes: the last row and column fall in no window
        new[] { 7, 2, 3, 33, 2, 2, 2, 2, 0, 0, 0, 0 },
        new[] { 1, 2, 7, 5, 3, 3, 2, 2, 1, 1, 1, 1 },   // 3×3/2 padded
        new[] { 2, 1, 5, 6, 3, 2, 1, 1, 0, 2, 1, 0 },   // overlapping windows, asymmetric padding
        new[] { 1, 2, 6, 7, 2, 3, 3, 2, 1, 0, 0, 2 },   // stride larger than the window along H
    };

    private static Pool2dShape Shape(int[] g) => new(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11]);

    [Fact]
    public void Shape_SizesAndValidation()
    {
        var lenet = new Pool2dShape(128, 6, 28, 28, 2, 2, 2, 2);
        Assert.Equal((14, 14), (lenet.OutHeight, lenet.OutWidth));
        var padded = new Pool2dShape(1, 1, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1);
        Assert.Equal((4, 4), (padded.OutHeight, padded.OutWidth));
        Assert.Equal((3, 2), (new Pool2dShape(1, 1, 7, 5, 3, 3, 2, 2).OutHeight, new Pool2dShape(1, 1, 7, 5, 3, 3, 2, 2).OutWidth));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Pool2dShape(1, 1, 4, 4, 2, 2, 2, 2, padTop: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Pool2dShape(1, 1, 2, 2, 3, 3, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Pool2dShape(1, 1, 4, 4, 2, 2, 0, 2));
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void MaxPool_MatchesReferenceAndCentralDifferences(int[] geometry)
    {
        var s = Shape(geometry);
        double[] x = GradCheck.Normal((int)s.InputElements, 1);
        var (y, argmax) = MaxForward(s, x);
        var (expected, expectedIndex) = MaxReference(s, x);
        Assert.Equal(expected, y);
        Assert.Equal(expectedIndex, argmax);

        double[] r = GradCheck.Normal(y.Length, 2), dx = GradCheck.Gradient(x.Length);
        fixed (double* pr = r, pdx = dx)
        fixed (int* pa = argmax)
            PoolingKernels.MaxBackward(s, pr, pa, pdx);
        GradCheck.Check("dx", x, dx, () => GradCheck.Dot(MaxForward(s, x).Y, r));
    }

    [Fact]
    public void MaxPool_FirstMaximumWinsTiesAndNaNPropagates()
    {
        var s = new Pool2dShape(1, 1, 2, 4, 2, 2, 2, 2);
        double[] x = { 1, 3, 5, double.NaN, 3, 2, 5, 0 };
        var (y, argmax) = MaxForward(s, x);
        Assert.Equal(3, y[0]);
        Assert.Equal(1, argmax[0]);          // row 0 col 1 before row 1 col 0
        Assert.True(double.IsNaN(y[1]));
        Assert.Equal(3, argmax[1]);
    }

    [Theory]
    [InlineData(1, 1, 2, 2)]
    [InlineData(7, 3, 9, 7)]
    [InlineData(2, 33, 5, 33)]
    [InlineData(33, 1, 2, 16)]
    [InlineData(3, 6, 28, 28)]
    [InlineData(1, 2, 4, 35)]
    public void MaxPool_PairwiseWindows_TiesAndNaNFollowTheRule(int batch, int channels, int height, int width)
    {
        // 2×2/2 windows take their own path; many ties, NaNs and infinities check it keeps the general rule.
        var s = new Pool2dShape(batch, channels, height, width, 2, 2, 2, 2);
        double[] x = GradCheck.Normal((int)s.InputElements, height);
        for (int i = 0; i < x.Length; i++) x[i] = Math.Round(x[i]);
        for (int i = 3; i < x.Length; i += 11) x[i] = double.NaN;
        for (int i = 5; i < x.Length; i += 13) x[i] = double.PositiveInfinity;
        // The documented rule, written out: the window's first element starts; a later one wins if greater, or NaN while the maximum is not.
        var expected = new double[s.OutputElements];
        var expectedIndex = new int[expected.Length];
        int plane = s.InHeight * s.InWidth, k = 0;
        for (int n = 0; n < s.Batch * s.Channels; n++)
        for (int i = 0; i < s.OutHeight; i++)
        for (int j = 0; j < s.OutWidth; j++, k++)
        {
            int at = 2 * i * s.InWidth + 2 * j;
            foreach (int candidate in new[] { at + 1, at + s.InWidth, at + s.InWidth + 1 })
            {
                double v = x[n * plane + candidate], best = x[n * plane + at];
                if (v > best || (double.IsNaN(v) && !double.IsNaN(best))) at = candidate;
            }
            expected[k] = x[n * plane + at];
            expectedIndex[k] = at;
        }
        Assert.Contains(expected, double.IsNaN);
        var (y, argmax) = MaxForward(s, x);
        Assert.Equal(expected, y);
        Assert.Equal(expectedIndex, argmax);
        float[] xf = Array.ConvertAll(x, v => (float)v), yf = new float[y.Length];
        var af = new int[y.Length];
        fixed (float* px = xf, py = yf)
        fixed (int* pa = af)
            PoolingKernels.MaxForward(s, px, py, pa);
        Assert.Equal(expectedIndex, af);
        Assert.Equal(Array.ConvertAll(expected, v => (float)v), yf);
        // Inference stores no positions: the same maxima.
        var yNoIndex = new float[y.Length];
        fixed (float* px = xf, py = yNoIndex) PoolingKernels.MaxForward(s, px, py, null);
        Assert.Equal(yf, yNoIndex);
    }

    [Fact]
    public void MaxPool_TypesWithoutVectorSupport_FollowTheSameRule()
    {
        // Half has no Vector128 support, so it takes the scalar path; the result must be the same choice.
        var s = new Pool2dShape(2, 2, 5, 6, 3, 2, 1, 2, 1, 0, 1, 1);
        double[] x = GradCheck.Normal((int)s.InputElements, 8);
        for (int i = 0; i < x.Length; i += 7) x[i] = Math.Round(x[i]);   // ties
        x[5] = double.NaN;
        for (int i = 0; i < x.Length; i++) x[i] = (double)(Half)x[i];
        var (y, argmax) = MaxForward(s, x);
        Half[] xh = Array.ConvertAll(x, v => (Half)v);
        var yh = new Half[y.Length];
        var ah = new int[y.Length];
        fixed (Half* px = xh, py = yh)
        fixed (int* pa = ah)
            PoolingKernels.MaxForward(s, px, py, pa);
        Assert.Equal(argmax, ah);
        for (int i = 0; i < y.Length; i++) Assert.Equal(y[i], (double)yh[i]);
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void AvgPool_MatchesReferenceAndCentralDifferences(int[] geometry)
    {
        var s = Shape(geometry);
        foreach (bool includePad in new[] { true, false })
        {
            double[] x = GradCheck.Normal((int)s.InputElements, 3);
            GradCheck.AssertClose(AvgReference(s, x, includePad), AvgForward(s, x, includePad), 1e-14, $"y (countIncludePad {includePad})");
            double[] r = GradCheck.Normal((int)s.OutputElements, 4), dx = GradCheck.Gradient(x.Length);
            fixed (double* pr = r, pdx = dx)
                PoolingKernels.AvgBackward(s, pr, pdx, includePad);
            GradCheck.Check($"dx (countIncludePad {includePad})", x, dx, () => GradCheck.Dot(AvgForward(s, x, includePad), r));
        }
    }

    [Fact]
    public void AvgPool_CountIncludePad_DividesByTheWindowSize()
    {
        // 2×2 input of ones, 3×3 window padded by 1: the corner window holds 4 real ones out of 9.
        var s = new Pool2dShape(1, 1, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1);
        double[] x = { 1, 1, 1, 1 };
        Assert.All(AvgForward(s, x, true), v => Assert.Equal(4.0 / 9, v, 15));
        Assert.All(AvgForward(s, x, false), v => Assert.Equal(1.0, v, 15));
    }

    [Fact]
    public void GlobalAvgPool_MatchesMeanAndCentralDifferences()
    {
        const int batch = 2, channels = 3, spatial = 5;
        double[] x = GradCheck.Normal(batch * channels * spatial, 5);
        double[] Forward()
        {
            var y = new double[batch * channels];
            fixed (double* px = x, py = y) PoolingKernels.GlobalAvgForward(px, py, batch, channels, spatial);
            return y;
        }
        double[] y = Forward();
        for (int p = 0; p < batch * channels; p++)
        {
            double mean = 0;
            for (int k = 0; k < spatial; k++) mean += x[p * spatial + k];
            Assert.Equal(mean / spatial, y[p], 14);
        }
        double[] r = GradCheck.Normal(y.Length, 6), dx = GradCheck.Gradient(x.Length);
        fixed (double* pr = r, pdx = dx) PoolingKernels.GlobalAvgBackward(pr, pdx, batch, channels, spatial);
        GradCheck.Check("dx", x, dx, () => GradCheck.Dot(Forward(), r));
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(7, 3)]
    [InlineData(33, 3)]
    public void MaxPool_SplitAcrossThreads_MatchesTheReferenceForAnyThreadCount(int batch, int channels)
    {
        // 33·3 planes of 21×19 pass the size at which planes are split across threads; odd sizes and
        // a 3×3/2 padded window leave partial windows at the edges.
        var s = new Pool2dShape(batch, channels, 21, 19, 3, 3, 2, 2, 1, 1, 1, 0);
        double[] x = GradCheck.Normal((int)s.InputElements, batch), r = GradCheck.Normal((int)s.OutputElements, batch + 1);
        var (expected, expectedIndex) = MaxReference(s, x);
        foreach (int threads in new[] { 1, 2, 3 })
        {
            int saved = CpuParallel.ThreadCount;
            try
            {
                CpuParallel.ThreadCount = threads;
                CpuParallel.ResetStallBackoff();
                var (y, argmax) = MaxForward(s, x);
                Assert.Equal(expected, y);
                Assert.Equal(expectedIndex, argmax);
                double[] dx = new double[x.Length];
                fixed (double* pr = r, pdx = dx)
                fixed (int* pa = argmax)
                    PoolingKernels.MaxBackward(s, pr, pa, pdx);
                var expectedDx = new double[x.Length];
                long plane = (long)s.InHeight * s.InWidth, outPlane = (long)s.OutHeight * s.OutWidth;
                for (long o = 0; o < r.Length; o++) expectedDx[o / outPlane * plane + expectedIndex[o]] += r[o];
                Assert.Equal(expectedDx, dx);
            }
            finally
            {
                CpuParallel.ThreadCount = saved;
            }
        }
    }

    private static (double[] Y, int[] Argmax) MaxForward(in Pool2dShape s, double[] x)
    {
        var y = new double[s.OutputElements];
        var argmax = new int[y.Length];
        fixed (double* px = x, py = y)
        fixed (int* pa = argmax)
            PoolingKernels.MaxForward(s, px, py, pa);
        return (y, argmax);
    }

    private static double[] AvgForward(in Pool2dShape s, double[] x, bool includePad)
    {
        var y = new double[s.OutputElements];
        fixed (double* px = x, py = y) PoolingKernels.AvgForward(s, px, py, includePad);
        return y;
    }

    private static (double[], int[]) MaxReference(in Pool2dShape s, double[] x)
    {
        var y = new double[s.OutputElements];
        var index = new int[y.Length];
        int k = 0;
        for (int plane = 0; plane < s.Batch * s.Channels; plane++)
        for (int i = 0; i < s.OutHeight; i++)
        for (int j = 0; j < s.OutWidth; j++, k++)
        {
            double best = double.NegativeInfinity;
            int at = -1;
            for (int p = 0; p < s.KernelHeight; p++)
            for (int q = 0; q < s.KernelWidth; q++)
            {
                int r = i * s.StrideHeight - s.PadTop + p, c = j * s.StrideWidth - s.PadLeft + q;
                if (r < 0 || r >= s.InHeight || c < 0 || c >= s.InWidth) continue;
                double v = x[plane * s.InHeight * s.InWidth + r * s.InWidth + c];
                if (v > best) { best = v; at = r * s.InWidth + c; }
            }
            y[k] = best;
            index[k] = at;
        }
        return (y, index);
    }

    private static double[] AvgReference(in Pool2dShape s, double[] x, bool includePad)
    {
        var y = new double[s.OutputElements];
        int k = 0;
        for (int plane = 0; plane < s.Batch * s.Channels; plane++)
        for (int i = 0; i < s.OutHeight; i++)
        for (int j = 0; j < s.OutWidth; j++, k++)
        {
            double sum = 0;
            int real = 0;
            for (int p = 0; p < s.KernelHeight; p++)
            for (int q = 0; q < s.KernelWidth; q++)
            {
                int r = i * s.StrideHeight - s.PadTop + p, c = j * s.StrideWidth - s.PadLeft + q;
                if (r < 0 || r >= s.InHeight || c < 0 || c >= s.InWidth) continue;
                sum += x[plane * s.InHeight * s.InWidth + r * s.InWidth + c];
                real++;
            }
            y[k] = sum / (includePad ? s.KernelHeight * s.KernelWidth : real);
        }
        return y;
    }
}
