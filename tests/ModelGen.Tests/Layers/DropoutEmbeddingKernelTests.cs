using System;
using ModelGen.Compute;
using ModelGen.Cpu;
using ModelGen.Tests.Cpu;
using Xunit;

namespace ModelGen.Tests.Layers;

public unsafe class DropoutKernelTests
{
    private static (double[] Y, double[] Mask) Forward(double[] x, double p, ref Rng rng)
    {
        var y = new double[x.Length];
        var mask = new double[x.Length];
        fixed (double* px = x, py = y, pm = mask) DropoutKernels.Forward(px, py, pm, x.Length, p, ref rng);
        return (y, mask);
    }

    [Fact]
    public void SameSeed_SameMask_OtherSeedOrStep_OtherMask()
    {
        double[] x = GradCheck.Normal(1000, 1);
        var a = new Rng(42, 3);
        var b = new Rng(42, 3);
        var c = new Rng(43, 3);
        var (y1, m1) = Forward(x, 0.5, ref a);
        var (y2, m2) = Forward(x, 0.5, ref b);
        var (_, m3) = Forward(x, 0.5, ref c);
        TestData.AssertBitwiseEqual(m1, m2, "mask");
        TestData.AssertBitwiseEqual(y1, y2, "y");
        Assert.NotEqual(m1, m3);
        // The generator advanced: the next step's mask differs, and replays from the same state.
        var (_, next) = Forward(x, 0.5, ref a);
        Assert.NotEqual(m1, next);
        var replay = new Rng(42, 3);
        Forward(x, 0.5, ref replay);
        Assert.Equal(next, Forward(x, 0.5, ref replay).Mask);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.8)]
    public void Mask_DropsAboutPAndScalesSurvivors(double p)
    {
        const int count = 200_000;
        var x = new double[count];
        Array.Fill(x, 2.0);
        var rng = new Rng(7);
        var (y, mask) = Forward(x, p, ref rng);
        int dropped = 0;
        for (int i = 0; i < count; i++)
        {
            if (mask[i] == 0) { dropped++; Assert.Equal(0, y[i]); }
            else { Assert.Equal(1 / (1 - p), mask[i]); Assert.Equal(2 / (1 - p), y[i]); }
        }
        // Binomial standard deviation is at most 0.0011 here; 5σ.
        Assert.InRange(dropped / (double)count, p - 0.0056, p + 0.0056);
    }

    [Fact]
    public void ZeroAndOne_AreIdentityAndZeros()
    {
        double[] x = GradCheck.Normal(10, 2);
        var rng = new Rng(1);
        var before = rng;
        Assert.Equal(x, Forward(x, 0, ref rng).Y);
        Assert.All(Forward(x, 1, ref rng).Y, v => Assert.Equal(0, v));
        Assert.Equal(before.NextUInt64(), rng.NextUInt64());   // neither drew from the generator
        Assert.Throws<ArgumentOutOfRangeException>(() => Forward(x, 1.5, ref rng));
        Assert.Throws<ArgumentOutOfRangeException>(() => Forward(x, double.NaN, ref rng));
    }

    [Fact]
    public void Backward_UsesTheMask_AndMatchesCentralDifferences()
    {
        double[] x = GradCheck.Normal(50, 3), r = GradCheck.Normal(50, 4);
        var rng = new Rng(9);
        var (_, mask) = Forward(x, 0.3, ref rng);
        double[] dx = GradCheck.Gradient(x.Length);
        fixed (double* pr = r, pm = mask, pdx = dx) DropoutKernels.Backward(pr, pm, pdx, x.Length);
        for (int i = 0; i < x.Length; i++) Assert.Equal(GradCheck.Prefill + r[i] * mask[i], dx[i]);
        GradCheck.Check("dx", x, dx, () =>
        {
            var replay = new Rng(9);
            return GradCheck.Dot(Forward(x, 0.3, ref replay).Y, r);
        });
    }
}

public unsafe class EmbeddingKernelTests
{
    [Fact]
    public void Forward_CopiesRows_BackwardMatchesCentralDifferences_PaddingRowGetsNoGradient()
    {
        const int vocabulary = 5, dimension = 3, padding = 2;
        double[] ids = { 1, 4, 2, 1, 0, 2 };
        double[] table = GradCheck.Normal(vocabulary * dimension, 1);
        double[] Forward()
        {
            var y = new double[ids.Length * dimension];
            fixed (double* pi = ids, pt = table, py = y) EmbeddingKernels.Forward(pi, pt, py, ids.Length, vocabulary, dimension);
            return y;
        }
        double[] y = Forward();
        for (int i = 0; i < ids.Length; i++)
        for (int j = 0; j < dimension; j++)
            Assert.Equal(table[(int)ids[i] * dimension + j], y[i * dimension + j]);   // the padding row is looked up like any other

        double[] r = GradCheck.Normal(y.Length, 2), dTable = GradCheck.Gradient(table.Length), dFree = GradCheck.Gradient(table.Length);
        fixed (double* pi = ids, pr = r, pd = dTable, pf = dFree)
        {
            EmbeddingKernels.Backward(pi, pr, pd, ids.Length, vocabulary, dimension, padding);
            EmbeddingKernels.Backward(pi, pr, pf, ids.Length, vocabulary, dimension, -1);
        }
        for (int j = 0; j < dimension; j++)
        {
            Assert.Equal(GradCheck.Prefill, dTable[padding * dimension + j]);
            Assert.Equal(GradCheck.Prefill, dTable[3 * dimension + j]);   // id 3 never occurs
        }
        // Without a padding index every row matches central differences.
        GradCheck.Check("dTable", table, dFree, () => GradCheck.Dot(Forward(), r));
        // With it, the rows other than the padding row are unchanged.
        for (int k = 0; k < table.Length; k++)
            if (k / dimension != padding) Assert.Equal(dFree[k], dTable[k]);
    }

    [Fact]
    public void Strided_ReadsOneFieldAndWritesIntoConcatenatedRows()
    {
        // Two categorical fields per sample, each with its own table, concatenated with 1 extra column.
        const int batch = 3, fields = 2, dimension = 2, vocabulary = 4, width = fields * dimension + 1;
        double[] ids = { 0, 3, 2, 1, 3, 3 };
        double[][] tables = { GradCheck.Normal(vocabulary * dimension, 5), GradCheck.Normal(vocabulary * dimension, 6) };
        var y = new double[batch * width];
        Array.Fill(y, -7);
        for (int f = 0; f < fields; f++)
            fixed (double* pi = ids, pt = tables[f], py = y)
                EmbeddingKernels.Forward(pi + f, fields, pt, py + f * dimension, width, batch, vocabulary, dimension);
        for (int b = 0; b < batch; b++)
        {
            for (int f = 0; f < fields; f++)
            for (int j = 0; j < dimension; j++)
                Assert.Equal(tables[f][(int)ids[b * fields + f] * dimension + j], y[b * width + f * dimension + j]);
            Assert.Equal(-7, y[b * width + width - 1]);
        }
        double[] dy = GradCheck.Normal(y.Length, 7), dTable = GradCheck.Gradient(vocabulary * dimension);
        fixed (double* pi = ids, pdy = dy, pd = dTable)
            EmbeddingKernels.Backward(pi + 1, fields, pdy + dimension, width, pd, batch, vocabulary, dimension, -1);
        // Field 1 has ids 3, 1, 3.
        for (int j = 0; j < dimension; j++)
        {
            Assert.Equal(GradCheck.Prefill + dy[0 * width + 2 + j] + dy[2 * width + 2 + j], dTable[3 * dimension + j], 14);
            Assert.Equal(GradCheck.Prefill + dy[1 * width + 2 + j], dTable[1 * dimension + j], 14);
            Assert.Equal(GradCheck.Prefill, dTable[0 * dimension + j]);
        }
    }

    [Theory]
    [InlineData(5.0)]
    [InlineData(-1.0)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void BadId_ErrorNamesTheRow(double bad)
    {
        double[] ids = { 0, 1, 2, bad }, table = new double[5 * 2], y = new double[8];
        var ex = Assert.Throws<ArgumentException>(() =>
        {
            fixed (double* pi = ids, pt = table, py = y) EmbeddingKernels.Forward(pi, pt, py, ids.Length, 5, 2);
        });
        Assert.Contains("Row 3", ex.Message);
        Assert.Contains("5 rows", ex.Message);
        var ex2 = Assert.Throws<ArgumentException>(() =>
        {
            fixed (double* pi = ids, pt = table, py = y) EmbeddingKernels.Backward(pi, py, pt, ids.Length, 5, 2, -1);
        });
        Assert.Contains("Row 3", ex2.Message);
    }

    [Fact]
    public void Positions_AddPerPosition_BackwardMatchesCentralDifferences()
    {
        const int batch = 3, sequence = 4, dimension = 5;
        double[] x = GradCheck.Normal(batch * sequence * dimension, 8), positions = GradCheck.Normal(sequence * dimension, 9);
        double[] Forward()
        {
            var y = new double[x.Length];
            fixed (double* px = x, pp = positions, py = y) EmbeddingKernels.AddPositions(px, pp, py, batch, sequence, dimension);
            return y;
        }
        double[] y = Forward();
        for (int b = 0; b < batch; b++)
        for (int k = 0; k < sequence * dimension; k++)
            Assert.Equal(x[b * sequence * dimension + k] + positions[k], y[b * sequence * dimension + k]);
        double[] r = GradCheck.Normal(y.Length, 10), dx = GradCheck.Gradient(x.Length), dp = GradCheck.Gradient(positions.Length);
        fixed (double* pr = r, pdx = dx, pdp = dp) EmbeddingKernels.AddPositionsBackward(pr, pdx, pdp, batch, sequence, dimension);
        GradCheck.Check("dx", x, dx, () => GradCheck.Dot(Forward(), r));
        GradCheck.Check("dPositions", positions, dp, () => GradCheck.Dot(Forward(), r));
    }
}
