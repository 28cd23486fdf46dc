using System;
using ModelGen.Cpu;
using ModelGen.Tests.Cpu;
using Xunit;

namespace ModelGen.Tests.Layers;

[Collection(SerialCollection.Name)]
public unsafe class AttentionKernelTests
{
    private sealed class Layer
    {
        public int B, S, D, H;
        public bool Causal, Biases;
        public double[] X = null!, Wqkv = null!, Bqkv = null!, Wo = null!, Bo = null!;

        public static Layer Create(int b, int s, int d, int h, bool causal, bool biases, int seed) => new()
        {
            B = b, S = s, D = d, H = h, Causal = causal, Biases = biases,
            X = GradCheck.Normal(b * s * d, seed),
            Wqkv = GradCheck.Normal(d * 3 * d, seed + 1, 0.6),
            Bqkv = GradCheck.Normal(3 * d, seed + 2, 0.3),
            Wo = GradCheck.Normal(d * d, seed + 3, 0.6),
            Bo = GradCheck.Normal(d, seed + 4, 0.3),
        };

        public double[] Forward(double[]? saved = null)
        {
            var y = new double[X.Length];
            saved ??= new double[AttentionKernels.SavedSize(B, S, D, H)];
            var ws = new double[AttentionKernels.WorkspaceSize(B, S, D, H)];
            fixed (double* px = X, pw = Wqkv, pb = Bqkv, pwo = Wo, pbo = Bo, py = y, psv = saved, pws = ws)
                AttentionKernels.Forward(px, pw, Biases ? pb : null, pwo, Biases ? pbo : null, py, psv, pws, B, S, D, H, Causal);
            return y;
        }

        /// <summary>Written from the definition: per sample and head, softmax(QKᵀ/√dh + mask)·V, then the output projection.</summary>
        public double[] Reference()
        {
            int dh = D / H;
            var y = new double[X.Length];
            for (int b = 0; b < B; b++)
            {
                var qkv = new double[S, 3 * D];
                for (int s = 0; s < S; s++)
                for (int j = 0; j < 3 * D; j++)
                {
                    double sum = Biases ? Bqkv[j] : 0;
                    for (int k = 0; k < D; k++) sum += X[(b * S + s) * D + k] * Wqkv[k * 3 * D + j];
                    qkv[s, j] = sum;
                }
                var concat = new double[S, D];
                for (int h = 0; h < H; h++)
                for (int i = 0; i < S; i++)
                {
                    var scores = new double[S];
                    double max = double.NegativeInfinity;
                    for (int j = 0; j < S; j++)
                    {
                        if (Causal && j > i) { scores[j] = double.NegativeInfinity; continue; }
                        double dot = 0;
                        for (int k = 0; k < dh; k++) dot += qkv[i, h * dh + k] * qkv[j, D + h * dh + k];
                        scores[j] = dot / Math.Sqrt(dh);
                        max = Math.Max(max, scores[j]);
                    }
                    double total = 0;
                    for (int j = 0; j < S; j++) total += scores[j] = Math.Exp(scores[j] - max);
                    for (int k = 0; k < dh; k++)
                    {
                        double sum = 0;
                        for (int j = 0; j < S; j++) sum += scores[j] / total * qkv[j, 2 * D + h * dh + k];
                        concat[i, h * dh + k] = sum;
                    }
                }
                for (int s = 0; s < S; s++)
                for (int j = 0; j < D; j++)
                {
                    double sum = Biases ? Bo[j] : 0;
                    for (int k = 0; k < D; k++) sum += concat[s, k] * Wo[k * D + j];
                    y[(b * S + s) * D + j] = sum;
                }
            }
            return y;
        }
    }

    [Theory]
    [InlineData(2, 4, 6, 2, false, true)]
    [InlineData(2, 4, 6, 2, true, true)]
    [InlineData(1, 5, 4, 1, true, false)]
    [InlineData(3, 3, 4, 4, false, true)]
    [InlineData(2, 1, 4, 2, true, true)]    // one position: causal and not are the same
    [InlineData(1, 7, 20, 4, true, true)]   // heads of 5: a vector and a tail, or a tail only
    [InlineData(2, 33, 36, 2, true, false)] // a sequence past whole blocks of queries and vectors of keys
    [InlineData(1, 33, 20, 4, false, true)]
    [InlineData(3, 7, 10, 5, false, true)]  // heads of 2, narrower than any vector
    public void Forward_MatchesReference(int b, int s, int d, int h, bool causal, bool biases)
    {
        var layer = Layer.Create(b, s, d, h, causal, biases, 1);
        var saved = new double[AttentionKernels.SavedSize(b, s, d, h)];
        GradCheck.AssertClose(layer.Reference(), layer.Forward(saved), 1e-12, "y");
        // The saved probabilities are rows of a distribution, zero above the diagonal when causal.
        long probs = 3L * b * s * d;
        for (int row = 0; row < b * h * s; row++)
        {
            double sum = 0;
            for (int j = 0; j < s; j++)
            {
                double p = saved[probs + (long)row * s + j];
                if (causal && j > row % s) Assert.Equal(0, p);
                sum += p;
            }
            Assert.Equal(1, sum, 12);
        }
    }

    [Theory]
    [InlineData(2, 3, 4, 2, false, true)]
    [InlineData(2, 3, 4, 2, true, true)]
    [InlineData(1, 4, 6, 3, true, false)]
    [InlineData(2, 3, 4, 1, false, false)]
    [InlineData(1, 7, 10, 2, true, true)]   // heads of 5, a sequence of one block of four and three rows more
    [InlineData(1, 9, 18, 2, false, true)]
    public void Backward_MatchesCentralDifferences(int b, int s, int d, int h, bool causal, bool biases)
    {
        var layer = Layer.Create(b, s, d, h, causal, biases, 11);
        double[] r = GradCheck.Normal(b * s * d, 99);
        var saved = new double[AttentionKernels.SavedSize(b, s, d, h)];
        layer.Forward(saved);
        double[] dx = GradCheck.Gradient(layer.X.Length), dw = GradCheck.Gradient(layer.Wqkv.Length), db = GradCheck.Gradient(layer.Bqkv.Length);
        double[] dwo = GradCheck.Gradient(layer.Wo.Length), dbo = GradCheck.Gradient(layer.Bo.Length);
        var ws = new double[AttentionKernels.WorkspaceSize(b, s, d, h)];
        fixed (double* px = layer.X, pw = layer.Wqkv, pwo = layer.Wo, pr = r, pdx = dx, pdw = dw, pdb = db, pdwo = dwo, pdbo = dbo, psv = saved, pws = ws)
            AttentionKernels.Backward(px, pw, pwo, pr, pdx, pdw, biases ? pdb : null, pdwo, biases ? pdbo : null, psv, pws, b, s, d, h, causal);

        double Loss() => GradCheck.Dot(layer.Forward(), r);
        GradCheck.Check("dX", layer.X, dx, Loss);
        GradCheck.Check("dWqkv", layer.Wqkv, dw, Loss);
        GradCheck.Check("dWo", layer.Wo, dwo, Loss);
        if (biases)
        {
            // The K bias cancels in the softmax, so its gradient is zero; Q and V biases must not be.
            GradCheck.Check("dBqkv", layer.Bqkv, db, Loss);
            GradCheck.Check("dBo", layer.Bo, dbo, Loss);
        }
        else
        {
            Assert.All(db, v => Assert.Equal(GradCheck.Prefill, v));
            Assert.All(dbo, v => Assert.Equal(GradCheck.Prefill, v));
        }
    }

    [Theory]
    [InlineData(2, 33, 40, 4, true)]   // heads of 10: a float vector and a tail (AVX2), or a tail only (AVX-512)
    [InlineData(1, 7, 24, 3, false)]
    public void Forward_InFloat_MatchesReference(int b, int s, int d, int h, bool causal)
    {
        var layer = Layer.Create(b, s, d, h, causal, biases: true, 31);
        double[] expected = layer.Reference();
        float[] F(double[] values) => Array.ConvertAll(values, v => (float)v);
        float[] x = F(layer.X), w = F(layer.Wqkv), bq = F(layer.Bqkv), wo = F(layer.Wo), bo = F(layer.Bo), y = new float[x.Length];
        var saved = new float[AttentionKernels.SavedSize(b, s, d, h)];
        var ws = new float[AttentionKernels.WorkspaceSize(b, s, d, h)];
        fixed (float* px = x, pw = w, pb = bq, pwo = wo, pbo = bo, py = y, psv = saved, pws = ws)
            AttentionKernels.Forward(px, pw, pb, pwo, pbo, py, psv, pws, b, s, d, h, causal);
        for (int i = 0; i < y.Length; i++)
            Assert.True(Math.Abs(expected[i] - y[i]) <= 1e-4 * (1 + Math.Abs(expected[i])), $"y[{i}] = {y[i]}, expected {expected[i]}");
    }

    [Theory]
    [InlineData(2, 33, 40, 4, true)]    // heads of 10: narrower than a 16-float vector
    [InlineData(1, 7, 24, 3, false)]
    [InlineData(3, 1, 8, 2, true)]      // one position
    [InlineData(2, 64, 128, 4, true)]   // the tiny transformer's heads of 32: whole vectors only
    [InlineData(1, 33, 72, 2, true)]    // heads of 36: two 16-float vectors and a tail of 4
    [InlineData(2, 19, 108, 3, false)]
    public void ForwardAndBackward_InFloat_MatchTheDoublePath(int b, int s, int d, int h, bool causal)
    {
        // The double path is checked against central differences above; the float kernels (fused multiply-adds on the
        // widest vector, the float exponential) must agree with it to float accuracy on every output and gradient.
        var layer = Layer.Create(b, s, d, h, causal, biases: true, 41);
        double[] dyD = GradCheck.Normal(b * s * d, 47);
        double[][] expected = Run(layer.X, layer.Wqkv, layer.Bqkv, layer.Wo, layer.Bo, dyD, b, s, d, h, causal);
        float[] F(double[] values) => Array.ConvertAll(values, v => (float)v);
        float[][] actual = Run(F(layer.X), F(layer.Wqkv), F(layer.Bqkv), F(layer.Wo), F(layer.Bo), F(dyD), b, s, d, h, causal);
        string[] names = { "y", "dx", "dWqkv", "dbqkv", "dWo", "dbo" };
        for (int o = 0; o < expected.Length; o++)
        {
            double scale = 0;
            foreach (double v in expected[o]) scale = Math.Max(scale, Math.Abs(v));
            for (int i = 0; i < expected[o].Length; i++)
                Assert.True(Math.Abs(expected[o][i] - actual[o][i]) <= 2e-5 * (scale + Math.Abs(expected[o][i])),
                    $"{names[o]}[{i}] = {actual[o][i]}, double path {expected[o][i]} (largest {scale})");
        }
    }

    [Fact]
    public void ForwardAndBackward_InFloat_SameBitsForThreadCounts1_2_3_7()
    {
        const int b = 3, s = 33, d = 72, h = 2;
        float[] x = TestData.Random<float>(b * s * d, 11), w = TestData.Random<float>(d * 3 * d, 12), bq = TestData.Random<float>(3 * d, 13);
        float[] wo = TestData.Random<float>(d * d, 14), bo = TestData.Random<float>(d, 15), dy = TestData.Random<float>(b * s * d, 16);
        int savedThreads = CpuParallel.ThreadCount;
        try
        {
            float[][]? expected = null;
            foreach (int threads in new[] { 1, 2, 3, 7 })
            {
                CpuParallel.ThreadCount = threads;
                CpuParallel.ResetStallBackoff();
                float[][] actual = Run(x, w, bq, wo, bo, dy, b, s, d, h, causal: true);
                expected ??= actual;
                for (int i = 0; i < actual.Length; i++) TestData.AssertBitwiseEqual(expected[i], actual[i], $"output {i}, {threads} threads");
            }
        }
        finally
        {
            CpuParallel.ThreadCount = savedThreads;
        }
    }

    /// <summary>Forward then backward; returns y, dx, dWqkv, dbqkv, dWo, dbo.</summary>
    private static T[][] Run<T>(T[] x, T[] w, T[] bq, T[] wo, T[] bo, T[] dy, int b, int s, int d, int h, bool causal)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        T[] y = new T[x.Length], dx = new T[x.Length], dw = new T[w.Length], dbq = new T[bq.Length], dwo = new T[wo.Length], dbo = new T[d];
        var saved = new T[AttentionKernels.SavedSize(b, s, d, h)];
        var ws = new T[AttentionKernels.WorkspaceSize(b, s, d, h)];
        fixed (T* px = x, pw = w, pb = bq, pwo = wo, pbo = bo, py = y, pdy = dy, pdx = dx, pdw = dw, pdb = dbq, pdwo = dwo, pdbo = dbo, psv = saved, pws = ws)
        {
            AttentionKernels.Forward(px, pw, pb, pwo, pbo, py, psv, pws, b, s, d, h, causal);
            AttentionKernels.Backward(px, pw, pwo, pdy, pdx, pdw, pdb, pdwo, pdbo, psv, pws, b, s, d, h, causal);
        }
        return new[] { y, dx, dw, dbq, dwo, dbo };
    }

    [Fact]
    public void Causal_OutputAtAPositionIgnoresLaterPositions()
    {
        var layer = Layer.Create(1, 5, 4, 2, causal: true, biases: true, 21);
        double[] before = layer.Forward();
        for (int k = 0; k < 4; k++) layer.X[4 * 4 + k] += 1.0;   // change the last position only
        double[] after = layer.Forward();
        for (int i = 0; i < 4 * 4; i++) Assert.Equal(before[i], after[i]);
        Assert.NotEqual(before[4 * 4], after[4 * 4]);
    }

    [Fact]
    public void Sizes_AndValidation()
    {
        Assert.Equal(4L * 32 * 64 * 128 + 32L * 4 * 64 * 64, AttentionKernels.SavedSize(32, 64, 128, 4));
        Assert.Equal(5L * 32 * 64 * 128 + 32L * 4 * 64 * 64, AttentionKernels.WorkspaceSize(32, 64, 128, 4));
        Assert.Throws<ArgumentException>(() => AttentionKernels.SavedSize(2, 3, 10, 4));
        Assert.Throws<ArgumentException>(() => AttentionKernels.WorkspaceSize(2, 0, 8, 4));
    }

    [Fact]
    public void ForwardAndBackward_SameBitsForAnyThreadCount()
    {
        const int b = 4, s = 16, d = 32, h = 4;
        float[] x = TestData.Random<float>(b * s * d, 1), w = TestData.Random<float>(d * 3 * d, 2), bq = TestData.Random<float>(3 * d, 3);
        float[] wo = TestData.Random<float>(d * d, 4), bo = TestData.Random<float>(d, 5), dy = TestData.Random<float>(b * s * d, 6);
        float[][] Run(int threads)
        {
            int savedThreads = CpuParallel.ThreadCount;
            try
            {
                CpuParallel.ThreadCount = threads;
                float[] y = new float[x.Length], dx = new float[x.Length], dw = new float[w.Length], dbq = new float[bq.Length], dwo = new float[wo.Length], dbo = new float[d];
                var saved = new float[AttentionKernels.SavedSize(b, s, d, h)];
                var ws = new float[AttentionKernels.WorkspaceSize(b, s, d, h)];
                fixed (float* px = x, pw = w, pb = bq, pwo = wo, pbo = bo, py = y, pdy = dy, pdx = dx, pdw = dw, pdb = dbq, pdwo = dwo, pdbo = dbo, psv = saved, pws = ws)
                {
                    AttentionKernels.Forward(px, pw, pb, pwo, pbo, py, psv, pws, b, s, d, h, true);
                    AttentionKernels.Backward(px, pw, pwo, pdy, pdx, pdw, pdb, pdwo, pdbo, psv, pws, b, s, d, h, true);
                }
                return new[] { y, dx, dw, dbq, dwo, dbo };
            }
            finally
            {
                CpuParallel.ThreadCount = savedThreads;
            }
        }
        float[][] one = Run(1), two = Run(2);
        for (int i = 0; i < one.Length; i++) TestData.AssertBitwiseEqual(one[i], two[i], $"output {i}");
    }
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 3, 5)]
    [InlineData(8, 8, 8)]
    [InlineData(33, 10, 40)]   // 8×8 blocks, two columns and one row past them
    [InlineData(19, 36, 108)]
    [InlineData(64, 32, 384)]  // a head of the tiny transformer, read from its projection's rows
    public void Transpose_OfStridedRows_PutsEveryValueInPlace(int rows, int columns, int stride)
    {
        float[] source = TestData.Random<float>(rows * stride, 7), destination = new float[rows * columns];
        destination.AsSpan().Fill(float.NaN);
        fixed (float* ps = source, pd = destination) AttentionHeadKernels.Transpose(ps, stride, pd, rows, columns);
        for (int r = 0; r < rows; r++)
        for (int c = 0; c < columns; c++)
            Assert.True(source[r * stride + c] == destination[c * rows + r], $"row {r}, column {c}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(33)]
    [InlineData(64)]
    public void Softmax_EveryValidCount_GivesADistributionAndZerosAfterIt(int sequence)
    {
        float[] scores = TestData.Random<float>(sequence, 11);
        for (int valid = 0; valid <= sequence; valid++)
        {
            var row = new float[sequence];
            for (int j = 0; j < sequence; j++) row[j] = j < valid ? 4 * scores[j] : float.NaN;   // what lies past the valid keys must not matter
            fixed (float* p = row) AttentionHeadKernels.Softmax(p, valid, sequence);
            double max = double.NegativeInfinity, total = 0;
            for (int j = 0; j < valid; j++) max = Math.Max(max, 4.0 * scores[j]);
            for (int j = 0; j < valid; j++) total += Math.Exp(4.0 * scores[j] - max);
            for (int j = 0; j < sequence; j++)
            {
                double expected = j < valid ? Math.Exp(4.0 * scores[j] - max) / total : 0;
                Assert.True(Math.Abs(row[j] - expected) <= 1e-6 * Math.Max(1, expected), $"valid {valid}, entry {j}: {row[j]} against {expected}");
            }
        }
    }
}
