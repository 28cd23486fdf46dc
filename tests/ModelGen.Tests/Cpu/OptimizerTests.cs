using System;
using Xunit;

namespace ModelGen.Tests.Cpu;

/// <summary>The fused optimizers against straightforward double-precision transcriptions of PyTorch's update rules.</summary>
public class OptimizerTests
{
    private const int Length = 29; // a 512-bit vector, a 256-bit one (on AVX-512) and a scalar tail
    private const int Steps = 5;

    [Theory]
    [InlineData(0f, false, 0f)]
    [InlineData(0f, false, 0.1f)]
    [InlineData(0.9f, false, 0f)]
    [InlineData(0.9f, false, 0.05f)]
    [InlineData(0.9f, true, 0f)]
    [InlineData(0.8f, true, 0.05f)]
    public void Sgd_MatchesPyTorch(float momentum, bool nesterov, float weightDecay)
    {
        const float lr = 0.1f;
        var optimizer = new Sgd(lr, momentum, nesterov, weightDecay);
        Check(optimizer, (p, grads) =>
        {
            double[]? buffer = null;
            for (int t = 1; t <= Steps; t++)
            {
                double[] g = grads[t - 1];
                var d = new double[Length];
                for (int i = 0; i < Length; i++) d[i] = g[i] + weightDecay * p[i];
                if (momentum != 0)
                {
                    if (buffer is null) buffer = (double[])d.Clone();
                    else for (int i = 0; i < Length; i++) buffer[i] = momentum * buffer[i] + d[i];
                    for (int i = 0; i < Length; i++) d[i] = nesterov ? d[i] + momentum * buffer[i] : buffer[i];
                }
                for (int i = 0; i < Length; i++) p[i] -= lr * d[i];
            }
        });
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.05f)]
    public void Adam_MatchesPyTorch(float weightDecay)
    {
        Check(new Adam(0.01f, 0.9f, 0.999f, 1e-8f, weightDecay), (p, grads) => AdamReference(p, grads, 0.01, 0.9, 0.999, 1e-8, weightDecay, decoupled: false));
    }

    [Theory]
    [InlineData(0.01f)]
    [InlineData(0.3f)]
    public void AdamW_MatchesPyTorch(float weightDecay)
    {
        Check(new AdamW(0.01f, 0.8f, 0.99f, 1e-8f, weightDecay), (p, grads) => AdamReference(p, grads, 0.01, 0.8, 0.99, 1e-8, weightDecay, decoupled: true));
    }

    [Fact]
    public void VectorBodyAndScalarTail_GiveTheSameBits()
    {
        // Each element alone (length 1, so always the scalar tail) must match the same element
        // updated inside a long buffer (mostly the vector body).
        foreach (Func<Optimizer> create in new Func<Optimizer>[] { () => new Sgd(0.1f, 0.9f, true, 0.01f), () => new Adam(), () => new AdamW(), () => new Sgd(0.05f) })
        {
            float[] p = Data(Length, 1), together = (float[])p.Clone();
            var all = create();
            var single = new Optimizer[Length];
            for (int i = 0; i < Length; i++) single[i] = create();
            for (int t = 0; t < Steps; t++)
            {
                float[] g = Data(Length, 100 + t);
                all.Step(together, g);
                for (int i = 0; i < Length; i++) single[i].Step(p.AsSpan(i, 1), g.AsSpan(i, 1));
            }
            TestData.AssertBitwiseEqual(p, together, all.GetType().Name);
        }
    }

    [Fact]
    public void ClipByGlobalNorm_ScalesEveryElement()
    {
        float[] g = Data(Length, 7);
        double norm = 0;
        foreach (float v in g) norm += (double)v * v;
        norm = Math.Sqrt(norm);
        float[] expected = (float[])g.Clone();
        float scale = 0.5f / ((float)norm + 1e-6f);
        for (int i = 0; i < expected.Length; i++) expected[i] *= scale;
        Assert.Equal((float)norm, GradientClipping.ClipByGlobalNorm(g, 0.5f));
        TestData.AssertBitwiseEqual(expected, g, "clipped");
    }

    private static void AdamReference(double[] p, double[][] grads, double lr, double b1, double b2, double eps, double wd, bool decoupled)
    {
        var m = new double[Length];
        var v = new double[Length];
        for (int t = 1; t <= Steps; t++)
        {
            double bc1 = 1 - Math.Pow(b1, t), bc2 = 1 - Math.Pow(b2, t);
            for (int i = 0; i < Length; i++)
            {
                double g = grads[t - 1][i];
                if (decoupled) p[i] *= 1 - lr * wd;
                else g += wd * p[i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double denom = Math.Sqrt(v[i]) / Math.Sqrt(bc2) + eps;
                p[i] -= lr / bc1 * m[i] / denom;
            }
        }
    }

    private static void Check(Optimizer optimizer, Action<double[], double[][]> reference)
    {
        float[] p = Data(Length, 1);
        var grads = new double[Steps][];
        double[] expected = Array.ConvertAll(p, x => (double)x);
        for (int t = 0; t < Steps; t++)
        {
            float[] g = Data(Length, 100 + t);
            grads[t] = Array.ConvertAll(g, x => (double)x);
            optimizer.Step(p, g);
        }
        Assert.Equal(Steps, optimizer.StepCount);
        reference(expected, grads);
        for (int i = 0; i < Length; i++)
            Assert.True(Math.Abs(p[i] - expected[i]) <= 2e-6 * Math.Max(1, Math.Abs(expected[i])),
                $"{optimizer.GetType().Name} p[{i}] = {p[i]:R}, PyTorch reference {expected[i]:R}");
    }

    private static float[] Data(int count, int seed) => TestData.Random<float>(count, seed);
}
