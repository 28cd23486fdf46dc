using System;
using ModelGen.Cpu;
using ModelGen.Tests.Cpu;
using Xunit;

namespace ModelGen.Tests.Layers;

public unsafe class LayerLossTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(33)]
    [InlineData(96)]
    public void SoftmaxCrossEntropy_Float_MatchesTheDoubleDefinition(int classes)
    {
        // Vector body, padded tail, logits spread wide enough that some exponentials underflow to 0.
        const int rows = 6;
        float[] logits = TestData.Random<float>(rows * classes, classes), labels = new float[rows], grad = new float[rows * classes];
        for (int i = 0; i < logits.Length; i++) logits[i] *= i % 5 == 0 ? 90 : 4;
        for (int r = 0; r < rows; r++) labels[r] = (r * 7) % classes;
        float loss;
        fixed (float* pl = logits, pt = labels, pg = grad) loss = LossKernels.SoftmaxCrossEntropy(pl, pt, pg, rows, classes);
        double expectedLoss = 0;
        for (int r = 0; r < rows; r++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int j = 0; j < classes; j++) max = Math.Max(max, logits[r * classes + j]);
            for (int j = 0; j < classes; j++) sum += Math.Exp(logits[r * classes + j] - max);
            double logSum = Math.Log(sum) + max;
            expectedLoss += (logSum - logits[r * classes + (int)labels[r]]) / rows;
            for (int j = 0; j < classes; j++)
            {
                double p = Math.Exp(logits[r * classes + j] - logSum);
                double expected = ((j == (int)labels[r] ? p - 1 : p)) / rows;
                Assert.True(Math.Abs(grad[r * classes + j] - expected) <= 2e-6 * (Math.Abs(logSum) + 1) / rows,
                    $"row {r} class {j}: gradient {grad[r * classes + j]:R}, definition {expected:R}");
            }
        }
        Assert.True(Math.Abs(loss - expectedLoss) <= 1e-5 * (1 + Math.Abs(expectedLoss)), $"loss {loss:R}, definition {expectedLoss:R}");
    }

    [Fact]
    public void MeanAbsoluteError_ValueAndGradient()
    {
        double[] p = GradCheck.Normal(12, 1), t = GradCheck.Normal(12, 2);
        t[3] = p[3];   // a tie: gradient 0, as PyTorch
        double Loss(double[]? grad)
        {
            fixed (double* pp = p, pt = t, pg = grad) return LossKernels.MeanAbsoluteError(pp, pt, pg, p.Length);
        }
        double expected = 0;
        for (int i = 0; i < p.Length; i++) expected += Math.Abs(p[i] - t[i]);
        var g = new double[p.Length];
        Array.Fill(g, 5.0);
        Assert.Equal(expected / p.Length, Loss(g), 14);
        Assert.Equal(0, g[3]);
        for (int i = 0; i < p.Length; i++) if (i != 3) Assert.Equal(Math.Sign(p[i] - t[i]) / 12.0, g[i]);
        // Away from the tie the gradient is the derivative; written, not accumulated (hence no prefill).
        t[3] += 0.5;
        double[] written = new double[p.Length];
        Loss(written);
        CheckWritten("dPredictions", p, written, () => Loss(null));
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.3)]
    public void Huber_ValueAndGradient(double delta)
    {
        double[] p = GradCheck.Normal(20, 3), t = GradCheck.Normal(20, 4);
        double Loss(double[]? grad)
        {
            fixed (double* pp = p, pt = t, pg = grad) return LossKernels.Huber(pp, pt, pg, p.Length, delta);
        }
        double expected = 0;
        int quadratic = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double d = Math.Abs(p[i] - t[i]);
            if (d < delta) quadratic++;
            expected += d < delta ? 0.5 * d * d : delta * (d - 0.5 * delta);
        }
        Assert.InRange(quadratic, 1, p.Length - 1);   // both branches are exercised
        var g = new double[p.Length];
        Assert.Equal(expected / p.Length, Loss(g), 14);
        CheckWritten("dPredictions", p, g, () => Loss(null));
        Assert.Throws<ArgumentOutOfRangeException>(() => LossWithDelta(0));
        double LossWithDelta(double d)
        {
            fixed (double* pp = p, pt = t) return LossKernels.Huber(pp, pt, null, p.Length, d);
        }
    }

    [Fact]
    public void Contrastive_ValueAndGradient()
    {
        const int batch = 6, dimension = 3;
        const double margin = 2.5;
        double[] a = GradCheck.Normal(batch * dimension, 5), b = GradCheck.Normal(batch * dimension, 6);
        double[] labels = { 1, 0, 0, 1, 0, 0 };
        // Pairs 1 and 2 dissimilar but close (inside the margin); pair 5 dissimilar and beyond it: no loss, no gradient.
        for (int r = 1; r <= 2; r++)
            for (int j = 0; j < dimension; j++) b[r * dimension + j] = a[r * dimension + j] + 0.3 * b[r * dimension + j];
        for (int j = 0; j < dimension; j++) b[5 * dimension + j] = a[5 * dimension + j] + 3;
        double Loss(double[]? da, double[]? db)
        {
            fixed (double* pa = a, pb = b, pl = labels, pda = da, pdb = db)
                return LossKernels.Contrastive(pa, pb, pl, pda, pdb, batch, dimension, margin);
        }
        double expected = 0;
        int inside = 0;
        for (int r = 0; r < batch; r++)
        {
            double sq = 0;
            for (int j = 0; j < dimension; j++) sq += Math.Pow(a[r * dimension + j] - b[r * dimension + j], 2);
            double d = Math.Sqrt(sq);
            if (labels[r] == 0 && d < margin) inside++;
            expected += labels[r] == 1 ? 0.5 * sq : 0.5 * Math.Pow(Math.Max(0, margin - d), 2);
        }
        Assert.True(inside >= 2, "dissimilar pairs inside the margin are exercised");
        double[] da = new double[a.Length], db = new double[b.Length];
        Assert.Equal(expected / batch, Loss(da, db), 14);
        for (int j = 0; j < dimension; j++) Assert.Equal(0, da[5 * dimension + j]);
        CheckWritten("dFirst", a, da, () => Loss(null, null));
        CheckWritten("dSecond", b, db, () => Loss(null, null));
    }

    [Fact]
    public void Contrastive_RejectsLabelsOtherThanZeroAndOne_NamingTheRow()
    {
        double[] a = new double[4], b = new double[4], labels = { 1, 0.5 };
        var ex = Assert.Throws<ArgumentException>(() =>
        {
            fixed (double* pa = a, pb = b, pl = labels) LossKernels.Contrastive(pa, pb, pl, null, null, 2, 2, 1.0);
        });
        Assert.Contains("Row 1", ex.Message);
    }

    [Fact]
    public void Contrastive_DissimilarPairAtDistanceZero_GetsZeroGradient()
    {
        double[] a = { 1, 2 }, b = { 1, 2 }, labels = { 0 }, da = { 9, 9 }, db = { 9, 9 };
        double loss;
        fixed (double* pa = a, pb = b, pl = labels, pda = da, pdb = db) loss = LossKernels.Contrastive(pa, pb, pl, pda, pdb, 1, 2, 1.5);
        Assert.Equal(0.5 * 1.5 * 1.5, loss, 15);
        Assert.Equal(new double[] { 0, 0 }, da);
        Assert.Equal(new double[] { 0, 0 }, db);
    }

    /// <summary>Loss gradients are written (LossKernels' convention), so they are compared without the prefill offset.</summary>
    private static void CheckWritten(string what, double[] values, double[] gradient, Func<double> loss)
    {
        var shifted = Array.ConvertAll(gradient, g => g + GradCheck.Prefill);
        GradCheck.Check(what, values, shifted, loss);
    }
}

public class RmsPropAdagradTests
{
    private const int Length = 37, Steps = 5;

    [Theory]
    [InlineData(0f, 0f, false)]
    [InlineData(0.05f, 0f, false)]
    [InlineData(0f, 0.9f, false)]
    [InlineData(0f, 0f, true)]
    [InlineData(0.05f, 0.8f, true)]
    public void RmsProp_MatchesPyTorch(float weightDecay, float momentum, bool centered)
    {
        const double lr = 0.01, alpha = 0.9, eps = 1e-8;
        Check(new RmsProp(0.01f, 0.9f, 1e-8f, weightDecay, momentum, centered), (p, grads) =>
        {
            var v = new double[Length];
            var m = new double[Length];
            var buf = new double[Length];
            for (int t = 0; t < Steps; t++)
            for (int i = 0; i < Length; i++)
            {
                double g = grads[t][i] + weightDecay * p[i];
                v[i] = alpha * v[i] + (1 - alpha) * g * g;
                double avg;
                if (centered)
                {
                    m[i] = alpha * m[i] + (1 - alpha) * g;
                    avg = Math.Sqrt(v[i] - m[i] * m[i]) + eps;
                }
                else avg = Math.Sqrt(v[i]) + eps;
                if (momentum > 0)
                {
                    buf[i] = momentum * buf[i] + g / avg;
                    p[i] -= lr * buf[i];
                }
                else p[i] -= lr * g / avg;
            }
        });
    }

    [Theory]
    [InlineData(0f, 0f, 0f)]
    [InlineData(0.1f, 0f, 0f)]
    [InlineData(0f, 0.05f, 0.1f)]
    public void Adagrad_MatchesPyTorch(float lrDecay, float weightDecay, float initial)
    {
        const double lr = 0.05, eps = 1e-10;
        Check(new Adagrad(0.05f, lrDecay, weightDecay, initial, 1e-10f), (p, grads) =>
        {
            var sum = new double[Length];
            Array.Fill(sum, initial);
            for (int t = 1; t <= Steps; t++)
            {
                double clr = lr / (1 + (t - 1) * lrDecay);
                for (int i = 0; i < Length; i++)
                {
                    double g = grads[t - 1][i] + weightDecay * p[i];
                    sum[i] += g * g;
                    p[i] -= clr * g / (Math.Sqrt(sum[i]) + eps);
                }
            }
        });
    }

    [Fact]
    public void VectorBodyAndScalarTail_GiveTheSameBits()
    {
        foreach (Func<Optimizer> create in new Func<Optimizer>[]
        {
            () => new RmsProp(), () => new RmsProp(0.01f, 0.9f, 1e-6f, 0.01f, 0.9f, true), () => new Adagrad(), () => new Adagrad(0.1f, 0.01f, 0.02f, 0.1f),
        })
        {
            float[] p = TestData.Random<float>(Length, 1), together = (float[])p.Clone();
            var all = create();
            var single = new Optimizer[Length];
            for (int i = 0; i < Length; i++) single[i] = create();
            for (int t = 0; t < Steps; t++)
            {
                float[] g = TestData.Random<float>(Length, 100 + t);
                all.Step(together, g);
                for (int i = 0; i < Length; i++) single[i].Step(p.AsSpan(i, 1), g.AsSpan(i, 1));
            }
            TestData.AssertBitwiseEqual(p, together, all.GetType().Name);
        }
    }

    [Fact]
    public void InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RmsProp(alpha: 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RmsProp(epsilon: 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RmsProp(momentum: -0.1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adagrad(learningRateDecay: -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adagrad(initialAccumulatorValue: -1f));
    }

    private static void Check(Optimizer optimizer, Action<double[], double[][]> reference)
    {
        float[] p = TestData.Random<float>(Length, 1);
        var grads = new double[Steps][];
        double[] expected = Array.ConvertAll(p, x => (double)x);
        for (int t = 0; t < Steps; t++)
        {
            float[] g = TestData.Random<float>(Length, 100 + t);
            grads[t] = Array.ConvertAll(g, x => (double)x);
            optimizer.Step(p, g);
        }
        reference(expected, grads);
        for (int i = 0; i < Length; i++)
            Assert.True(Math.Abs(p[i] - expected[i]) <= 2e-6 * Math.Max(1, Math.Abs(expected[i])),
                $"{optimizer.GetType().Name} p[{i}] = {p[i]:R}, PyTorch reference {expected[i]:R}");
    }
}
