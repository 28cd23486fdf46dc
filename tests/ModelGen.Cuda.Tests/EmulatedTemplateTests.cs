using System;
using System.Linq;
using ModelGen.Compute;
using ModelGen.Cuda.Tests.Emulation;
using Xunit;
using static ModelGen.Cuda.Tests.CpuComparison;

namespace ModelGen.Cuda.Tests;

/// <summary>
/// The attention, embedding and position templates, run on the host emulation against plain C#
/// references of the same formulas (strided forms and sizes the generated models do not use included);
/// the generated models using them are compared with the CPU in <see cref="EmulatedGraphTests"/>.
/// </summary>
[Collection(EmulatorCollection.Name)]
public unsafe class EmulatedTemplateTests
{
    private const string Source = """
        #include "modelgen.cuh"
        extern "C" { __device__ float* modelgen_buffers[1]; }

        using Causal = mg::AttentionShape<5, 6, 2, true>;
        using Full = mg::AttentionShape<5, 6, 2, false>;

        extern "C" __global__ void __launch_bounds__(mg::kThreads) attention(const float* qkv, float* p, float* out, int batch, int causal)
        {
            if (causal) mg::attention_forward<Causal>(qkv, p, out, batch);
            else mg::attention_forward<Full>(qkv, p, out, batch);
        }

        extern "C" __global__ void __launch_bounds__(mg::kThreads) attention_queries(const float* qkv, const float* p, const float* dout, float* ds, float* dqkv, int batch, int causal)
        {
            if (causal) mg::attention_backward_queries<Causal>(qkv, p, dout, ds, dqkv, batch);
            else mg::attention_backward_queries<Full>(qkv, p, dout, ds, dqkv, batch);
        }

        extern "C" __global__ void __launch_bounds__(mg::kThreads) attention_keys(const float* qkv, const float* p, const float* dout, const float* ds, float* dqkv, int batch, int causal)
        {
            if (causal) mg::attention_backward_keys<Causal>(qkv, p, dout, ds, dqkv, batch);
            else mg::attention_backward_keys<Full>(qkv, p, dout, ds, dqkv, batch);
        }

        // 3 samples × 2 id fields, vocabulary 7, dimension 4, written into columns 1… of 9-wide rows.
        extern "C" __global__ void __launch_bounds__(mg::kThreads) embedding(const float* ids, const float* table, float* y, float* dtable, long long count)
        {
            mg::embedding_forward<7, 4, 2, 9>(ids, table, y + 1, count);
            __syncthreads();
            mg::embedding_backward<7, 4, 2, 9>(ids, y + 1, dtable, count);
        }

        extern "C" __global__ void __launch_bounds__(mg::kThreads) positions(const float* x, const float* table, float* y, float* dtable, int batch)
        {
            mg::add_positions<3, 4>(x, table, y, batch);
            mg::add_positions_backward<3, 4>(x, dtable, batch);
        }
        """;

    private static HostEmulator Emulator() => HostEmulator.Create(Source, "templates");

    [EmulatorTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Attention_MatchesTheFormulas(bool causal)
    {
        const int batch = 2, T = 5, D = 6, H = 2, E = 3;
        var qkv = Gaussian(batch * T * 3 * D, 1);
        var dout = Gaussian(batch * T * D, 2);
        using var device = new EmulatedKernels(Emulator());
        ulong q = device.Put(qkv), p = device.Zeros(batch * H * T * T), o = device.Zeros(batch * T * D);
        ulong g = device.Put(dout), ds = device.Zeros(batch * H * T * T), dq = device.Zeros(batch * T * 3 * D);
        device.Launch("attention", 2, q, p, o, batch, causal ? 1 : 0);
        device.Launch("attention_queries", 2, q, p, g, ds, dq, batch, causal ? 1 : 0);
        device.Launch("attention_keys", 2, q, p, g, ds, dq, batch, causal ? 1 : 0);

        // Reference in double: O = softmax(QKᵀ/√E + mask)V per (sample, head); backward by the chain rule.
        var expectedOut = new double[batch * T * D];
        var expectedGrad = new double[batch * T * 3 * D];
        double scale = 1 / Math.Sqrt(E);
        double Q(int n, int t, int part, int h, int e) => qkv[(n * T + t) * 3 * D + part * D + h * E + e];
        for (int n = 0; n < batch; n++)
            for (int h = 0; h < H; h++)
            {
                var probabilities = new double[T, T];
                for (int i = 0; i < T; i++)
                {
                    int last = causal ? i : T - 1;
                    var s = new double[T];
                    for (int j = 0; j <= last; j++) s[j] = Enumerable.Range(0, E).Sum(e => Q(n, i, 0, h, e) * Q(n, j, 1, h, e)) * scale;
                    double max = s.Take(last + 1).Max(), sum = s.Take(last + 1).Sum(v => Math.Exp(v - max));
                    for (int j = 0; j <= last; j++) probabilities[i, j] = Math.Exp(s[j] - max) / sum;
                    for (int e = 0; e < E; e++) expectedOut[(n * T + i) * D + h * E + e] = Enumerable.Range(0, last + 1).Sum(j => probabilities[i, j] * Q(n, j, 2, h, e));
                }
                double DO(int t, int e) => dout[(n * T + t) * D + h * E + e];
                var dScores = new double[T, T];
                for (int i = 0; i < T; i++)
                {
                    var dp = Enumerable.Range(0, T).Select(j => Enumerable.Range(0, E).Sum(e => DO(i, e) * Q(n, j, 2, h, e))).ToArray();
                    double dot = Enumerable.Range(0, T).Sum(j => probabilities[i, j] * dp[j]);
                    for (int j = 0; j < T; j++) dScores[i, j] = probabilities[i, j] * (dp[j] - dot);
                }
                for (int t = 0; t < T; t++)
                    for (int e = 0; e < E; e++)
                    {
                        expectedGrad[(n * T + t) * 3 * D + h * E + e] = Enumerable.Range(0, T).Sum(j => dScores[t, j] * Q(n, j, 1, h, e)) * scale;
                        expectedGrad[(n * T + t) * 3 * D + D + h * E + e] = Enumerable.Range(0, T).Sum(i => dScores[i, t] * Q(n, i, 0, h, e)) * scale;
                        expectedGrad[(n * T + t) * 3 * D + 2 * D + h * E + e] = Enumerable.Range(0, T).Sum(i => probabilities[i, t] * DO(i, e));
                    }
            }
        AssertClose("attention outputs", expectedOut, device.Get(o, expectedOut.Length));
        AssertClose("attention input gradient", expectedGrad, device.Get(dq, expectedGrad.Length));
        if (causal) Assert.Equal(0f, device.Get(p, batch * H * T * T)[1]);   // row 0 sees only position 0
    }

    [EmulatorFact]
    public void Embedding_LooksUpStridedIdsIntoColumns_AndAddsGradients()
    {
        float[] ids = { 3, 0, 6, 3, 1, 6 };   // 3 samples × 2 fields; this kernel reads field 0: 3, 6, 1
        var table = Gaussian(7 * 4, 3);
        using var device = new EmulatedKernels(Emulator());
        ulong i = device.Put(ids), t = device.Put(table), y = device.Zeros(3 * 9), dt = device.Zeros(7 * 4);
        device.Launch("embedding", 1, i, t, y, dt, 3L);
        var output = device.Get(y, 27);
        var gradient = device.Get(dt, 28);
        int[] field0 = { 3, 6, 1 };
        for (int r = 0; r < 3; r++)
        {
            Assert.Equal(0f, output[r * 9]);   // column 0 is not this field's
            for (int j = 0; j < 4; j++)
            {
                Assert.Equal(table[field0[r] * 4 + j], output[r * 9 + 1 + j]);
                Assert.Equal(table[field0[r] * 4 + j], gradient[field0[r] * 4 + j]);   // dy = y here
            }
        }
        Assert.All(new[] { 0, 2, 4, 5 }, id => Assert.All(Enumerable.Range(0, 4), j => Assert.Equal(0f, gradient[id * 4 + j])));
    }

    [EmulatorFact]
    public void Positions_AddPerPosition_AndSumOverTheBatch()
    {
        const int batch = 2;
        var x = Gaussian(batch * 3 * 4, 4);
        var table = Gaussian(3 * 4, 5);
        using var device = new EmulatedKernels(Emulator());
        ulong px = device.Put(x), pt = device.Put(table), py = device.Zeros(x.Length), pd = device.Zeros(table.Length);
        device.Launch("positions", 1, px, pt, py, pd, batch);
        var y = device.Get(py, x.Length);
        var d = device.Get(pd, table.Length);
        for (int e = 0; e < x.Length; e++) Assert.Equal(x[e] + table[e % 12], y[e]);
        for (int e = 0; e < 12; e++) Assert.Equal(x[e] + x[12 + e], d[e], 6);
    }

    private static void AssertClose(string what, double[] expected, float[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5 + 1e-4 * Math.Abs(expected[i]), $"{what}[{i}]: {actual[i]:G9}, expected {expected[i]:G9}");
    }
}

/// <summary>A fact that needs g++ for the host emulation; skipped with the reason where there is none.</summary>
public sealed class EmulatorFactAttribute : FactAttribute
{
    public EmulatorFactAttribute() => Skip = HostEmulator.Unavailable;
}
