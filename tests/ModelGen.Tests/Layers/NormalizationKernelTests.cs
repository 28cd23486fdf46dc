using System;
using ModelGen.Cpu;
using ModelGen.Tests.Cpu;
using Xunit;

namespace ModelGen.Tests.Layers;

public unsafe class NormalizationKernelTests
{
    private const double Epsilon = 1e-5, Momentum = 0.1;

    [Theory]
    [InlineData(3, 2, 4, true)]    // 4-D input [N, C, H·W]
    [InlineData(5, 3, 1, true)]    // 2-D input [N, features]
    [InlineData(2, 3, 3, false)]   // no affine
    public void BatchNorm_Train_MatchesReferenceAndUpdatesRunningStatistics(int batch, int channels, int spatial, bool affine)
    {
        double[] x = GradCheck.Normal(batch * channels * spatial, 1, 2.0);
        for (int i = 0; i < x.Length; i++) x[i] += 0.5;   // a non-zero mean
        double[] gamma = GradCheck.Normal(channels, 2), beta = GradCheck.Normal(channels, 3);
        double[] runningMean = GradCheck.Normal(channels, 4), runningVar = Array.ConvertAll(GradCheck.Normal(channels, 5), v => 1 + v * v);
        double[] rm0 = (double[])runningMean.Clone(), rv0 = (double[])runningVar.Clone();
        var y = new double[x.Length];
        double[] mean = new double[channels], invStd = new double[channels];
        fixed (double* px = x, pg = gamma, pb = beta, prm = runningMean, prv = runningVar, py = y, pm = mean, ps = invStd)
            BatchNormKernels.ForwardTrain(px, affine ? pg : null, affine ? pb : null, prm, prv, py, pm, ps, batch, channels, spatial, Momentum, Epsilon);

        int m = batch * spatial;
        for (int c = 0; c < channels; c++)
        {
            double mu = 0, sq = 0;
            for (int n = 0; n < batch; n++) for (int k = 0; k < spatial; k++) mu += x[(n * channels + c) * spatial + k];
            mu /= m;
            for (int n = 0; n < batch; n++) for (int k = 0; k < spatial; k++) sq += Math.Pow(x[(n * channels + c) * spatial + k] - mu, 2);
            double biased = sq / m, unbiased = sq / (m - 1);
            Assert.Equal(mu, mean[c], 12);
            Assert.Equal(1 / Math.Sqrt(biased + Epsilon), invStd[c], 10);
            Assert.Equal(0.9 * rm0[c] + 0.1 * mu, runningMean[c], 12);
            Assert.Equal(0.9 * rv0[c] + 0.1 * unbiased, runningVar[c], 12);
            for (int n = 0; n < batch; n++)
            for (int k = 0; k < spatial; k++)
            {
                int i = (n * channels + c) * spatial + k;
                double expected = (x[i] - mu) / Math.Sqrt(biased + Epsilon) * (affine ? gamma[c] : 1) + (affine ? beta[c] : 0);
                Assert.True(Math.Abs(expected - y[i]) <= 1e-12, $"y[{i}] = {y[i]}, reference {expected}");
            }
        }
    }

    [Theory]
    [InlineData(3, 2, 4, true)]
    [InlineData(6, 3, 1, true)]
    [InlineData(2, 2, 3, false)]
    public void BatchNorm_Train_BackwardMatchesCentralDifferences(int batch, int channels, int spatial, bool affine)
    {
        double[] x = GradCheck.Normal(batch * channels * spatial, 6), gamma = GradCheck.Normal(channels, 7), beta = GradCheck.Normal(channels, 8);
        double[] r = GradCheck.Normal(x.Length, 9);
        double[] Forward(double[] mean, double[] invStd)
        {
            var y = new double[x.Length];
            double[] rm = new double[channels], rv = new double[channels];
            fixed (double* px = x, pg = gamma, pb = beta, prm = rm, prv = rv, py = y, pm = mean, ps = invStd)
                BatchNormKernels.ForwardTrain(px, affine ? pg : null, affine ? pb : null, prm, prv, py, pm, ps, batch, channels, spatial, Momentum, Epsilon);
            return y;
        }
        double[] saveMean = new double[channels], saveInvStd = new double[channels];
        Forward(saveMean, saveInvStd);
        double[] dx = GradCheck.Gradient(x.Length), dg = GradCheck.Gradient(channels), db = GradCheck.Gradient(channels);
        fixed (double* px = x, pg = gamma, pm = saveMean, ps = saveInvStd, pr = r, pdx = dx, pdg = dg, pdb = db)
            BatchNormKernels.BackwardTrain(px, affine ? pg : null, pm, ps, pr, pdx, affine ? pdg : null, affine ? pdb : null, batch, channels, spatial);
        double Loss() => GradCheck.Dot(Forward(new double[channels], new double[channels]), r);
        GradCheck.Check("dx", x, dx, Loss);
        if (affine)
        {
            GradCheck.Check("dGamma", gamma, dg, Loss);
            GradCheck.Check("dBeta", beta, db, Loss);
        }
    }

    [Theory]
    [InlineData(2, 3, 4)]
    [InlineData(4, 2, 1)]
    [InlineData(1, 2, 1)]   // one sample is fine at evaluation
    public void BatchNorm_Eval_MatchesReferenceAndCentralDifferences(int batch, int channels, int spatial)
    {
        double[] x = GradCheck.Normal(batch * channels * spatial, 10), gamma = GradCheck.Normal(channels, 11), beta = GradCheck.Normal(channels, 12);
        double[] rm = GradCheck.Normal(channels, 13), rv = Array.ConvertAll(GradCheck.Normal(channels, 14), v => 0.5 + v * v);
        double[] rm0 = (double[])rm.Clone(), rv0 = (double[])rv.Clone();
        double[] Forward()
        {
            var y = new double[x.Length];
            fixed (double* px = x, pg = gamma, pb = beta, prm = rm, prv = rv, py = y)
                BatchNormKernels.ForwardEval(px, pg, pb, prm, prv, py, batch, channels, spatial, Epsilon);
            return y;
        }
        double[] y = Forward();
        Assert.Equal(rm0, rm);
        Assert.Equal(rv0, rv);
        for (int i = 0; i < x.Length; i++)
        {
            int c = i / spatial % channels;
            Assert.Equal((x[i] - rm[c]) / Math.Sqrt(rv[c] + Epsilon) * gamma[c] + beta[c], y[i], 12);
        }
        double[] r = GradCheck.Normal(x.Length, 15);
        double[] dx = GradCheck.Gradient(x.Length), dg = GradCheck.Gradient(channels), db = GradCheck.Gradient(channels);
        fixed (double* px = x, pg = gamma, prm = rm, prv = rv, pr = r, pdx = dx, pdg = dg, pdb = db)
            BatchNormKernels.BackwardEval(px, pg, prm, prv, pr, pdx, pdg, pdb, batch, channels, spatial, Epsilon);
        double Loss() => GradCheck.Dot(Forward(), r);
        GradCheck.Check("dx", x, dx, Loss);
        GradCheck.Check("dGamma", gamma, dg, Loss);
        GradCheck.Check("dBeta", beta, db, Loss);
    }

    [Fact]
    public void BatchNorm_Train_RejectsOneValuePerChannel()
    {
        var x = new double[3];
        var stats = new double[3];
        var ex = Assert.Throws<ArgumentException>(() =>
        {
            fixed (double* p = x, s = stats) BatchNormKernels.ForwardTrain(p, null, null, null, null, p, s, s, 1, 3, 1, Momentum, Epsilon);
        });
        Assert.Contains("more than one value per channel", ex.Message);
    }

    [Theory]
    [InlineData(4, 6, true)]
    [InlineData(3, 5, false)]
    [InlineData(1, 7, true)]     // shorter than a vector of doubles and floats… with AVX-512, or longer with AVX2: tails both ways
    [InlineData(7, 33, true)]    // whole vectors and a tail of one
    [InlineData(33, 9, false)]
    public void LayerNorm_MatchesReferenceAndCentralDifferences(int rows, int features, bool affine)
    {
        double[] x = GradCheck.Normal(rows * features, 20, 3.0), gamma = GradCheck.Normal(features, 21), beta = GradCheck.Normal(features, 22);
        double[] Forward(double[]? mean, double[]? invStd)
        {
            var y = new double[x.Length];
            fixed (double* px = x, pg = gamma, pb = beta, py = y, pm = mean, ps = invStd)
                LayerNormKernels.Forward(px, affine ? pg : null, affine ? pb : null, py, pm, ps, rows, features, Epsilon);
            return y;
        }
        double[] saveMean = new double[rows], saveInvStd = new double[rows];
        double[] y = Forward(saveMean, saveInvStd);
        Assert.Equal(y, Forward(null, null));
        for (int r = 0; r < rows; r++)
        {
            double mu = 0, sq = 0;
            for (int j = 0; j < features; j++) mu += x[r * features + j];
            mu /= features;
            for (int j = 0; j < features; j++) sq += Math.Pow(x[r * features + j] - mu, 2);
            double sd = Math.Sqrt(sq / features + Epsilon);
            Assert.Equal(mu, saveMean[r], 12);
            for (int j = 0; j < features; j++)
                Assert.Equal((x[r * features + j] - mu) / sd * (affine ? gamma[j] : 1) + (affine ? beta[j] : 0), y[r * features + j], 12);
        }
        double[] dy = GradCheck.Normal(x.Length, 23);
        double[] dx = GradCheck.Gradient(x.Length), dg = GradCheck.Gradient(features), db = GradCheck.Gradient(features);
        fixed (double* px = x, pg = gamma, pm = saveMean, ps = saveInvStd, pr = dy, pdx = dx, pdg = dg, pdb = db)
            LayerNormKernels.Backward(px, affine ? pg : null, pm, ps, pr, pdx, affine ? pdg : null, affine ? pdb : null, rows, features);
        double Loss() => GradCheck.Dot(Forward(null, null), dy);
        GradCheck.Check("dx", x, dx, Loss);
        if (affine)
        {
            GradCheck.Check("dGamma", gamma, dg, Loss);
            GradCheck.Check("dBeta", beta, db, Loss);
        }
    }

    [Theory]
    [InlineData(300, 130)]   // past the size where forward splits rows across threads, width not a multiple of the vector
    [InlineData(1000, 33)]
    public void LayerNorm_SameBitsForAnyThreadCount(int rows, int features)
    {
        float[] x = TestData.Random<float>(rows * features, 40), gamma = TestData.Random<float>(features, 41), beta = TestData.Random<float>(features, 42);
        float[] dy = TestData.Random<float>(rows * features, 43);
        float[][] Run(int threads)
        {
            int saved = CpuParallel.ThreadCount;
            try
            {
                CpuParallel.ThreadCount = threads;
                float[] y = new float[x.Length], mean = new float[rows], invStd = new float[rows], dx = new float[x.Length], dg = new float[features], db = new float[features];
                fixed (float* px = x, pg = gamma, pb = beta, py = y, pm = mean, ps = invStd, pdy = dy, pdx = dx, pdg = dg, pdb = db)
                {
                    LayerNormKernels.Forward(px, pg, pb, py, pm, ps, rows, features, 1e-5f);
                    LayerNormKernels.Backward(px, pg, pm, ps, pdy, pdx, pdg, pdb, rows, features);
                }
                return new[] { y, mean, invStd, dx, dg, db };
            }
            finally
            {
                CpuParallel.ThreadCount = saved;
            }
        }
        float[][] one = Run(1);
        foreach (int threads in new[] { 2, 3 })
        {
            float[][] other = Run(threads);
            for (int i = 0; i < one.Length; i++) TestData.AssertBitwiseEqual(one[i], other[i], $"output {i}, {threads} threads");
        }
        // Each row normalised: mean 0 and variance 1 before the affine part, checked on the first and last row.
        foreach (int r in new[] { 0, rows - 1 })
        {
            double mean = 0, square = 0;
            for (int j = 0; j < features; j++) mean += (one[0][r * features + j] - beta[j]) / gamma[j];
            for (int j = 0; j < features; j++) square += Math.Pow((one[0][r * features + j] - beta[j]) / gamma[j], 2);
            Assert.Equal(0, mean / features, 3);
            Assert.Equal(1, square / features, 2);
        }
    }

    [Theory]
    [InlineData(2, 4, 3, 2, true)]
    [InlineData(2, 6, 2, 3, false)]
    [InlineData(1, 4, 3, 1, true)]   // one group: layer norm over C·H·W with per-channel affine
    [InlineData(2, 3, 4, 3, true)]   // one channel per group: instance norm
    public void GroupNorm_MatchesReferenceAndCentralDifferences(int batch, int channels, int spatial, int groups, bool affine)
    {
        double[] x = GradCheck.Normal(batch * channels * spatial, 30, 2.0), gamma = GradCheck.Normal(channels, 31), beta = GradCheck.Normal(channels, 32);
        int stats = batch * groups;
        double[] Forward(double[]? mean, double[]? invStd)
        {
            var y = new double[x.Length];
            fixed (double* px = x, pg = gamma, pb = beta, py = y, pm = mean, ps = invStd)
                GroupNormKernels.Forward(px, affine ? pg : null, affine ? pb : null, py, pm, ps, batch, channels, spatial, groups, Epsilon);
            return y;
        }
        double[] saveMean = new double[stats], saveInvStd = new double[stats];
        double[] y = Forward(saveMean, saveInvStd);
        int size = channels / groups * spatial;
        for (int n = 0; n < batch; n++)
        for (int g = 0; g < groups; g++)
        {
            int start = (n * channels + g * channels / groups) * spatial;
            double mu = 0, sq = 0;
            for (int k = 0; k < size; k++) mu += x[start + k];
            mu /= size;
            for (int k = 0; k < size; k++) sq += Math.Pow(x[start + k] - mu, 2);
            double sd = Math.Sqrt(sq / size + Epsilon);
            Assert.Equal(1 / sd, saveInvStd[n * groups + g], 10);
            for (int k = 0; k < size; k++)
            {
                int c = (start + k) / spatial % channels;
                Assert.Equal((x[start + k] - mu) / sd * (affine ? gamma[c] : 1) + (affine ? beta[c] : 0), y[start + k], 12);
            }
        }
        double[] dy = GradCheck.Normal(x.Length, 33);
        double[] dx = GradCheck.Gradient(x.Length), dg = GradCheck.Gradient(channels), db = GradCheck.Gradient(channels);
        fixed (double* px = x, pg = gamma, pm = saveMean, ps = saveInvStd, pr = dy, pdx = dx, pdg = dg, pdb = db)
            GroupNormKernels.Backward(px, affine ? pg : null, pm, ps, pr, pdx, affine ? pdg : null, affine ? pdb : null, batch, channels, spatial, groups);
        double Loss() => GradCheck.Dot(Forward(null, null), dy);
        GradCheck.Check("dx", x, dx, Loss);
        if (affine)
        {
            GradCheck.Check("dGamma", gamma, dg, Loss);
            GradCheck.Check("dBeta", beta, db, Loss);
        }
    }

    [Fact]
    public void GroupNorm_RejectsGroupsThatDoNotDivideChannels()
    {
        var x = new double[6];
        Assert.Throws<ArgumentException>(() =>
        {
            fixed (double* p = x) GroupNormKernels.Forward(p, null, null, p, null, null, 1, 3, 2, 2, Epsilon);
        });
    }
}
