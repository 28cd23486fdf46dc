using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ModelGen.Cpu;
using Xunit;

namespace ModelGen.Tests.Layers;

/// <summary>
/// CrossAttentionKernels in float64: PyTorch's nn.MultiheadAttention(query, memory, memory) on committed values,
/// central differences for every input and parameter (odd lengths, a padded memory), and the mask against the memory
/// cut to its valid length.
/// </summary>
public unsafe class CrossAttentionKernelTests
{
    private sealed class Layer
    {
        public int B, Sq, Sk, D, H;
        public bool Biases = true;
        public int[]? Lengths;
        public double[] Query = null!, Memory = null!, Wqkv = null!, Bqkv = null!, Wo = null!, Bo = null!;

        public static Layer Create(int b, int sq, int sk, int d, int h, int seed, int[]? lengths = null, bool biases = true) => new()
        {
            B = b, Sq = sq, Sk = sk, D = d, H = h, Lengths = lengths, Biases = biases,
            Query = GradCheck.Normal(b * sq * d, seed),
            Memory = GradCheck.Normal(b * sk * d, seed + 1),
            Wqkv = GradCheck.Normal(d * 3 * d, seed + 2, 0.6),
            Bqkv = GradCheck.Normal(3 * d, seed + 3, 0.3),
            Wo = GradCheck.Normal(d * d, seed + 4, 0.6),
            Bo = GradCheck.Normal(d, seed + 5, 0.3),
        };

        public double[] NewSaved() => new double[CrossAttentionKernels.SavedSize(B, Sq, Sk, D, H)];

        public double[] Forward(double[]? saved = null)
        {
            var y = new double[B * Sq * D];
            saved ??= NewSaved();
            var ws = new double[CrossAttentionKernels.WorkspaceSize(B, Sq, Sk, D, H)];
            fixed (double* pq = Query, pm = Memory, pw = Wqkv, pb = Bqkv, pwo = Wo, pbo = Bo, py = y, psv = saved, pws = ws)
            fixed (int* pl = Lengths)
                CrossAttentionKernels.Forward(pq, pm, pw, Biases ? pb : null, pwo, Biases ? pbo : null, py, psv, pws, B, Sq, Sk, D, H, pl);
            return y;
        }

        /// <summary>Gradients (prefilled, added to) of every input for the output gradient <paramref name="dy"/>.</summary>
        public (double[] dQuery, double[] dMemory, double[] dWqkv, double[] dBqkv, double[] dWo, double[] dBo) Backward(double[] dy)
        {
            var saved = NewSaved();
            Forward(saved);
            var g = (GradCheck.Gradient(Query.Length), GradCheck.Gradient(Memory.Length), GradCheck.Gradient(Wqkv.Length), GradCheck.Gradient(Bqkv.Length), GradCheck.Gradient(Wo.Length), GradCheck.Gradient(Bo.Length));
            // A dirty workspace: backward must not rely on what forward left in it.
            var ws = GradCheck.Normal((int)CrossAttentionKernels.WorkspaceSize(B, Sq, Sk, D, H), 99);
            fixed (double* pq = Query, pm = Memory, pw = Wqkv, pwo = Wo, pdy = dy, psv = saved, pws = ws)
            fixed (double* dq = g.Item1, dm = g.Item2, dw = g.Item3, db = g.Item4, dwo = g.Item5, dbo = g.Item6)
            fixed (int* pl = Lengths)
                CrossAttentionKernels.Backward(pq, pm, pw, pwo, pdy, dq, dm, dw, Biases ? db : null, dwo, Biases ? dbo : null, psv, pws, B, Sq, Sk, D, H, pl);
            return g;
        }
    }

    private static Dictionary<string, double[]> ReadReference()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Layers", "Fixtures", "cross_attention_reference.txt");
        var tensors = new Dictionary<string, double[]>();
        foreach (var line in File.ReadAllLines(path))
        {
            if (line.StartsWith('#') || line.Length == 0) continue;
            int colon = line.IndexOf(':');
            string name = line[..line.IndexOf(' ')];
            tensors[name] = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        }
        return tensors;
    }

    [Fact]
    public void Forward_MatchesPyTorchMultiheadAttention_WithAKeyPaddingMask()
    {
        var t = ReadReference();
        var layer = new Layer
        {
            B = 2, Sq = 5, Sk = 7, D = 6, H = 2,
            Query = t["query"], Memory = t["memory"], Wqkv = t["wqkv"], Bqkv = t["bqkv"], Wo = t["wo"], Bo = t["bo"],
            Lengths = t["lengths"].Select(v => (int)v).ToArray(),
        };
        Assert.Equal(new[] { 7, 4 }, layer.Lengths);
        GradCheck.AssertClose(t["output"], layer.Forward(), 1e-12, "output");
    }

    public static TheoryData<int, int, int, int, int, bool, bool> Shapes => new()
    {
        // batch, queries, keys, dimension, heads, padded memory, biases
        { 2, 5, 7, 6, 2, false, true },
        { 3, 3, 5, 6, 3, true, true },
        { 2, 4, 1, 4, 1, false, false },
        { 2, 7, 3, 9, 3, true, false },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Backward_MatchesCentralDifferences(int b, int sq, int sk, int d, int h, bool padded, bool biases)
    {
        // Padded memories: the lengths include 1 and the full length.
        int[]? lengths = padded ? Enumerable.Range(0, b).Select(i => i == 0 ? sk : 1 + (i * 2) % sk).ToArray() : null;
        var layer = Layer.Create(b, sq, sk, d, h, seed: 10 * sq + sk, lengths, biases);
        var weights = GradCheck.Normal(b * sq * d, 7);
        var (dQuery, dMemory, dWqkv, dBqkv, dWo, dBo) = layer.Backward(weights);
        double Loss() => GradCheck.Dot(layer.Forward(), weights);
        // With one key, softmax is 1 whatever the query: the query's gradient is 0 there.
        GradCheck.Check("dQuery", layer.Query, dQuery, Loss, requireNonZero: sk > 1);
        GradCheck.Check("dMemory", layer.Memory, dMemory, Loss);
        GradCheck.Check("dWqkv", layer.Wqkv, dWqkv, Loss);
        GradCheck.Check("dWo", layer.Wo, dWo, Loss);
        if (biases)
        {
            // The key bias shifts every score of a row by the same q·bk, which softmax ignores: its gradient is 0, so all-zero is allowed.
            GradCheck.Check("dBqkv", layer.Bqkv, dBqkv, Loss, requireNonZero: false);
            GradCheck.Check("dBo", layer.Bo, dBo, Loss);
        }
        else
        {
            Assert.All(dBqkv, v => Assert.Equal(GradCheck.Prefill, v));
            Assert.All(dBo, v => Assert.Equal(GradCheck.Prefill, v));
        }
    }

    [Fact]
    public void PaddedMemory_IsTheMemoryCutToItsLength()
    {
        // Sample by sample: the padded memory with length n gives the output and gradients of the memory's first n rows alone,
        // and the padded rows get exactly no gradient.
        const int sq = 3, sk = 6, d = 4, h = 2;
        int[] lengths = { 6, 2, 5 };
        var padded = Layer.Create(lengths.Length, sq, sk, d, h, seed: 31, lengths);
        var dy = GradCheck.Normal(padded.B * sq * d, 5);
        var y = padded.Forward();
        var grads = padded.Backward(dy);
        for (int b = 0; b < lengths.Length; b++)
        {
            int n = lengths[b];
            var alone = new Layer
            {
                B = 1, Sq = sq, Sk = n, D = d, H = h, Wqkv = padded.Wqkv, Bqkv = padded.Bqkv, Wo = padded.Wo, Bo = padded.Bo,
                Query = padded.Query.AsSpan(b * sq * d, sq * d).ToArray(),
                Memory = padded.Memory.AsSpan(b * sk * d, n * d).ToArray(),
            };
            GradCheck.AssertClose(alone.Forward(), y.AsSpan(b * sq * d, sq * d).ToArray(), 1e-13, $"output of sample {b}");
            var aloneGrads = alone.Backward(dy.AsSpan(b * sq * d, sq * d).ToArray());
            GradCheck.AssertClose(aloneGrads.dMemory, grads.dMemory.AsSpan(b * sk * d, n * d).ToArray(), 1e-13, $"memory gradient of sample {b}");
            Assert.All(grads.dMemory.AsSpan(b * sk * d + n * d, (sk - n) * d).ToArray(), v => Assert.Equal(GradCheck.Prefill, v));
        }
    }

    [Fact]
    public void BadLengths_AreRejectedBeforeAnythingIsWritten()
    {
        var layer = Layer.Create(2, 3, 4, 4, 2, seed: 3, lengths: new[] { 4, 5 });
        var error = Assert.Throws<ArgumentException>(() => layer.Forward());
        Assert.Contains("Sample 1 has sequence length 5", error.Message);
        Assert.Throws<ArgumentException>(() => CrossAttentionKernels.SavedSize(1, 3, 4, 6, 4));
    }
}
