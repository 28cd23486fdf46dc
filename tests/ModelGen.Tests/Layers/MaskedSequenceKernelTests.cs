using System;
using ModelGen.Cpu;
using ModelGen.Tests.Cpu;
using Xunit;

namespace ModelGen.Tests.Layers;

/// <summary>
/// The padding-aware kernels (per-sample sequence lengths). The main check is equivalence with
/// truncation: a padded batch run with lengths must give, at every valid position, what the unmasked
/// kernel gives for each sample run alone at its own length, and the promised values elsewhere.
/// Forward outputs are compared exactly (double); gradients summed over samples to 1e-12, since
/// the batched products add the same terms in another order.
/// </summary>
public unsafe class MaskedSequenceKernelTests
{
    private const int Batch = 3, Sequence = 5;

    /// <summary>Lengths with an empty sample and with a full one; each set also has a sample of length 1 or 2.</summary>
    public static TheoryData<int[]> LengthSets() => new() { new[] { 5, 2, 0 }, new[] { 5, 3, 1 } };

    // ---------- Lengths ----------

    [Theory]
    [InlineData(new double[] { 3, 1, 0, 0 }, 0, 2)]        // trailing padding
    [InlineData(new double[] { 0, 3, 0, 2, 0 }, 0, 4)]     // padding inside is an ordinary token
    [InlineData(new double[] { 0, 0, 0 }, 0, 0)]           // all padding
    [InlineData(new double[] { 4, 1, 2 }, 0, 3)]           // no padding
    [InlineData(new double[] { 7, 0, 7, 7 }, 7, 2)]        // another padding id; 0 is then a real token
    public void Length_IsOnePastTheLastNonPaddingId(double[] ids, int paddingIndex, int expected)
    {
        Assert.Equal(expected, EmbeddingKernels.Length<double>(ids, paddingIndex));
        Assert.Equal(expected, EmbeddingKernels.Length<float>(GradCheck.ToFloat(ids), paddingIndex));
    }

    [Fact]
    public void Lengths_OnePerSample()
    {
        float[] ids =
        {
            5, 2, 0, 0,   // trailing padding
            0, 3, 0, 1,   // padding inside, none at the end
            0, 0, 0, 0,   // all padding
            1, 2, 3, 4,   // no padding
        };
        var lengths = new int[] { -9, -9, -9, -9 };
        fixed (float* pi = ids)
        fixed (int* pl = lengths)
            EmbeddingKernels.Lengths(pi, pl, 4, 4, 0);
        Assert.Equal(new[] { 2, 4, 0, 4 }, lengths);
    }

    // ---------- Attention ----------

    private sealed class Attention
    {
        public const int D = 6, H = 2;
        public bool Causal;
        public double[] Wqkv = null!, Bqkv = null!, Wo = null!, Bo = null!;

        public static Attention Create(bool causal, int seed) => new()
        {
            Causal = causal,
            Wqkv = GradCheck.Normal(D * 3 * D, seed, 0.6),
            Bqkv = GradCheck.Normal(3 * D, seed + 1, 0.3),
            Wo = GradCheck.Normal(D * D, seed + 2, 0.6),
            Bo = GradCheck.Normal(D, seed + 3, 0.3),
        };

        public double[] Forward(double[] x, int batch, int sequence, int[]? lengths, double[]? saved = null)
        {
            var y = new double[x.Length];
            saved ??= new double[AttentionKernels.SavedSize(batch, sequence, D, H)];
            var ws = new double[AttentionKernels.WorkspaceSize(batch, sequence, D, H)];
            fixed (double* px = x, pw = Wqkv, pb = Bqkv, pwo = Wo, pbo = Bo, py = y, psv = saved, pws = ws)
            fixed (int* pl = lengths)
                AttentionKernels.Forward(px, pw, pb, pwo, pbo, py, psv, pws, batch, sequence, D, H, Causal, pl);
            return y;
        }

        /// <summary>Forward then backward from <paramref name="dy"/>; the gradients start at 0.</summary>
        public Gradients Gradients(double[] x, double[] dy, int batch, int sequence, int[]? lengths)
        {
            var saved = new double[AttentionKernels.SavedSize(batch, sequence, D, H)];
            Forward(x, batch, sequence, lengths, saved);
            var ws = new double[AttentionKernels.WorkspaceSize(batch, sequence, D, H)];
            var g = new Gradients(x.Length, Wqkv.Length + Bqkv.Length + Wo.Length + Bo.Length);
            fixed (double* px = x, pw = Wqkv, pwo = Wo, pdy = dy, pdx = g.X, pdp = g.Parameters, psv = saved, pws = ws)
            fixed (int* pl = lengths)
            {
                double* dw = pdp, db = dw + Wqkv.Length, dwo = db + Bqkv.Length, dbo = dwo + Wo.Length;
                AttentionKernels.Backward(px, pw, pwo, pdy, pdx, dw, db, dwo, dbo, psv, pws, batch, sequence, D, H, Causal, pl);
            }
            return g;
        }
    }

    /// <summary>Input and parameter gradients (the parameters concatenated in a fixed order).</summary>
    private sealed class Gradients(int inputs, int parameters)
    {
        public readonly double[] X = new double[inputs], Parameters = new double[parameters];
    }

    /// <summary>Sample b's first <paramref name="length"/> rows of a <c>[batch, sequence, width]</c> buffer.</summary>
    private static double[] Rows(double[] data, int b, int length, int width)
        => data.AsSpan(b * Sequence * width, length * width).ToArray();

    /// <summary>Zeroes every padded position of a <c>[batch, sequence, width]</c> buffer.</summary>
    private static double[] WithoutPadding(double[] data, int[] lengths, int width)
    {
        var copy = (double[])data.Clone();
        for (int b = 0; b < Batch; b++) Array.Clear(copy, (b * Sequence + lengths[b]) * width, (Sequence - lengths[b]) * width);
        return copy;
    }

    [Theory]
    [MemberData(nameof(LengthSets))]
    public void Attention_Forward_EqualsEachSampleAloneAtItsLength(int[] lengths)
    {
        foreach (bool causal in new[] { false, true })
        {
            int d = Attention.D;
            var layer = Attention.Create(causal, 10);
            double[] x = GradCheck.Normal(Batch * Sequence * d, 11);
            double[] y = layer.Forward(x, Batch, Sequence, lengths);
            for (int b = 0; b < Batch; b++)
            {
                int length = lengths[b];
                if (length > 0)
                {
                    double[] alone = layer.Forward(Rows(x, b, length, d), 1, length, null);
                    GradCheck.AssertClose(alone, Rows(y, b, length, d), 0.0, $"causal {causal}, sample {b} valid rows");
                }
                for (int i = length; i < Sequence; i++)
                for (int j = 0; j < d; j++)
                {
                    double value = y[(b * Sequence + i) * d + j];
                    // A padded query still attends to the valid keys; with none (length 0) its context is 0, leaving the output bias.
                    if (length == 0) Assert.Equal(layer.Bo[j], value);
                    else Assert.True(double.IsFinite(value), $"y[{b}, {i}, {j}] = {value}");
                }
            }

            // What sits at padded positions must not reach a valid one.
            double[] changed = (double[])x.Clone();
            for (int b = 0; b < Batch; b++)
            for (int i = lengths[b] * d; i < Sequence * d; i++) changed[b * Sequence * d + i] += 3.0;
            double[] yChanged = layer.Forward(changed, Batch, Sequence, lengths);
            for (int b = 0; b < Batch; b++)
                TestData.AssertBitwiseEqual(Rows(y, b, lengths[b], d), Rows(yChanged, b, lengths[b], d), $"causal {causal}, sample {b} with other padding");
        }
    }

    /// <summary>
    /// Padded queries are ordinary queries (their outputs depend on the valid keys and the
    /// parameters), so the exact gradient passes what arrives at them on. Downstream masked layers
    /// send 0 there, and with 0 there the padded batch's gradients are the truncated runs' sums.
    /// What arrives at padded queries is covered by the central-difference check below.
    /// </summary>
    [Theory]
    [MemberData(nameof(LengthSets))]
    public void Attention_Backward_EqualsSumOfEachSampleAloneAtItsLength(int[] lengths)
    {
        foreach (bool causal in new[] { false, true })
        {
            int d = Attention.D;
            var layer = Attention.Create(causal, 20);
            double[] x = GradCheck.Normal(Batch * Sequence * d, 21);
            double[] dy = WithoutPadding(GradCheck.Normal(x.Length, 22), lengths, d);
            Gradients padded = layer.Gradients(x, dy, Batch, Sequence, lengths);
            var expected = new double[padded.Parameters.Length];
            for (int b = 0; b < Batch; b++)
            {
                int length = lengths[b];
                if (length == 0)
                {
                    Assert.All(Rows(padded.X, b, Sequence, d), v => Assert.Equal(0.0, v));
                    continue;
                }
                Gradients alone = layer.Gradients(Rows(x, b, length, d), Rows(dy, b, length, d), 1, length, null);
                for (int i = 0; i < expected.Length; i++) expected[i] += alone.Parameters[i];
                GradCheck.AssertClose(alone.X, Rows(padded.X, b, length, d), 1e-12, $"causal {causal}, sample {b} dx");
                for (int i = length * d; i < Sequence * d; i++) Assert.Equal(0.0, padded.X[b * Sequence * d + i]);
            }
            GradCheck.AssertClose(expected, padded.Parameters, 1e-12, $"causal {causal}, parameter gradients");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Attention_Masked_MatchesCentralDifferences(bool causal)
    {
        const int b = 3, s = 4, d = 4, h = 2;
        int[] lengths = { 4, 1, 0 };
        double[] x = GradCheck.Normal(b * s * d, 30), w = GradCheck.Normal(d * 3 * d, 31, 0.6), bias = GradCheck.Normal(3 * d, 32, 0.3);
        double[] wo = GradCheck.Normal(d * d, 33, 0.6), bo = GradCheck.Normal(d, 34, 0.3);
        double[] r = GradCheck.Normal(x.Length, 35); // nonzero at padded positions too

        double[] Forward(double[]? saved = null)
        {
            var y = new double[x.Length];
            saved ??= new double[AttentionKernels.SavedSize(b, s, d, h)];
            var ws = new double[AttentionKernels.WorkspaceSize(b, s, d, h)];
            fixed (double* px = x, pw = w, pb = bias, pwo = wo, pbo = bo, py = y, psv = saved, pws = ws)
            fixed (int* pl = lengths)
                AttentionKernels.Forward(px, pw, pb, pwo, pbo, py, psv, pws, b, s, d, h, causal, pl);
            return y;
        }

        var saved = new double[AttentionKernels.SavedSize(b, s, d, h)];
        Forward(saved);
        double[] dx = GradCheck.Gradient(x.Length), dw = GradCheck.Gradient(w.Length), db = GradCheck.Gradient(bias.Length);
        double[] dwo = GradCheck.Gradient(wo.Length), dbo = GradCheck.Gradient(bo.Length);
        var ws = new double[AttentionKernels.WorkspaceSize(b, s, d, h)];
        fixed (double* px = x, pw = w, pwo = wo, pr = r, pdx = dx, pdw = dw, pdb = db, pdwo = dwo, pdbo = dbo, psv = saved, pws = ws)
        fixed (int* pl = lengths)
            AttentionKernels.Backward(px, pw, pwo, pr, pdx, pdw, pdb, pdwo, pdbo, psv, pws, b, s, d, h, causal, pl);
        double Loss() => GradCheck.Dot(Forward(), r);
        GradCheck.Check("dX", x, dx, Loss);
        GradCheck.Check("dWqkv", w, dw, Loss);
        GradCheck.Check("dBqkv", bias, db, Loss);
        GradCheck.Check("dWo", wo, dwo, Loss);
        GradCheck.Check("dBo", bo, dbo, Loss);
        // The empty sample's inputs reach nothing: no key is valid, and its queries' weights are all 0.
        for (int i = 2 * s * d; i < 3 * s * d; i++) Assert.Equal(GradCheck.Prefill, dx[i]);
    }

    [Fact]
    public void Attention_FullLengths_SameBitsAsNoLengths()
    {
        foreach (bool causal in new[] { false, true })
        {
            var layer = Attention.Create(causal, 40);
            double[] x = GradCheck.Normal(Batch * Sequence * Attention.D, 41), dy = GradCheck.Normal(x.Length, 42);
            int[] full = { Sequence, Sequence, Sequence };
            TestData.AssertBitwiseEqual(layer.Forward(x, Batch, Sequence, null), layer.Forward(x, Batch, Sequence, full), "y");
            Gradients none = layer.Gradients(x, dy, Batch, Sequence, null), all = layer.Gradients(x, dy, Batch, Sequence, full);
            TestData.AssertBitwiseEqual(none.X, all.X, "dx");
            TestData.AssertBitwiseEqual(none.Parameters, all.Parameters, "dParameters");
        }
    }

    [Fact]
    public void Attention_FloatMatchesTruncation()
    {
        const int d = Attention.D, h = Attention.H;
        int[] lengths = { 5, 2, 0 };
        var layer = Attention.Create(causal: true, 50);
        float[] x = GradCheck.ToFloat(GradCheck.Normal(Batch * Sequence * d, 51));
        float[] w = GradCheck.ToFloat(layer.Wqkv), bias = GradCheck.ToFloat(layer.Bqkv), wo = GradCheck.ToFloat(layer.Wo), bo = GradCheck.ToFloat(layer.Bo);

        float[] Run(float[] input, int batch, int sequence, int[]? lens)
        {
            var y = new float[input.Length];
            var saved = new float[AttentionKernels.SavedSize(batch, sequence, d, h)];
            var ws = new float[AttentionKernels.WorkspaceSize(batch, sequence, d, h)];
            fixed (float* px = input, pw = w, pb = bias, pwo = wo, pbo = bo, py = y, psv = saved, pws = ws)
            fixed (int* pl = lens)
                AttentionKernels.Forward(px, pw, pb, pwo, pbo, py, psv, pws, batch, sequence, d, h, true, pl);
            return y;
        }

        float[] padded = Run(x, Batch, Sequence, lengths);
        for (int b = 0; b < Batch; b++)
        {
            if (lengths[b] == 0) continue;
            float[] alone = Run(x.AsSpan(b * Sequence * d, lengths[b] * d).ToArray(), 1, lengths[b], null);
            for (int i = 0; i < alone.Length; i++)
                Assert.True(Math.Abs(alone[i] - padded[b * Sequence * d + i]) <= 1e-5, $"sample {b}, element {i}: {padded[b * Sequence * d + i]} vs {alone[i]}");
        }
    }

    [Fact]
    public void Attention_LengthOutOfRange_Throws()
    {
        var layer = Attention.Create(false, 60);
        double[] x = GradCheck.Normal(Batch * Sequence * Attention.D, 61);
        Assert.Throws<ArgumentException>(() => layer.Forward(x, Batch, Sequence, new[] { 5, Sequence + 1, 0 }));
        Assert.Throws<ArgumentException>(() => layer.Forward(x, Batch, Sequence, new[] { 5, -1, 0 }));
    }

    // ---------- LSTM and GRU ----------

    public static TheoryData<bool, bool, bool, int[]> RecurrentCases()
    {
        var data = new TheoryData<bool, bool, bool, int[]>();
        foreach (bool lstm in new[] { true, false })
        foreach (bool bidirectional in new[] { false, true })
        foreach (bool sequence in new[] { true, false })
        foreach (int[] lengths in new[] { new[] { 5, 2, 0 }, new[] { 5, 3, 1 } })
            data.Add(lstm, bidirectional, sequence, lengths);
        return data;
    }

    private const int Inputs = 3, Hidden = 5;

    private sealed class Recurrent(bool lstm, bool bidirectional, bool returnSequence, int seed)
    {
        public readonly bool Lstm = lstm, Bidirectional = bidirectional, ReturnSequence = returnSequence;
        public readonly double[] P = GradCheck.Normal((int)(lstm
            ? LstmKernels.ParameterCount(new RecurrentShape(1, 1, Inputs, Hidden, bidirectional))
            : GruKernels.ParameterCount(new RecurrentShape(1, 1, Inputs, Hidden, bidirectional))), seed, 0.5);

        public RecurrentShape Shape(int batch, int sequence, int inputs = Inputs, int hidden = Hidden)
            => new(batch, sequence, inputs, hidden, Bidirectional, ReturnSequence);

        public double[] Forward(in RecurrentShape s, double[] x, double[] p, int[]? lengths, double[]? saved = null)
        {
            var y = new double[s.OutputElements];
            saved ??= new double[Lstm ? LstmKernels.SavedSize(s) : GruKernels.SavedSize(s)];
            var ws = new double[Lstm ? LstmKernels.WorkspaceSize(s) : GruKernels.WorkspaceSize(s)];
            fixed (double* px = x, pp = p, py = y, psv = saved, pws = ws)
            fixed (int* pl = lengths)
            {
                if (Lstm) LstmKernels.Forward(s, px, pp, py, psv, pws, pl);
                else GruKernels.Forward(s, px, pp, py, psv, pws, pl);
            }
            return y;
        }

        /// <summary>Forward then backward from <paramref name="dy"/>, adding into <paramref name="dx"/> and <paramref name="dp"/>.</summary>
        public void Backward(in RecurrentShape s, double[] x, double[] p, double[] dy, int[]? lengths, double[] dx, double[] dp)
        {
            var saved = new double[Lstm ? LstmKernels.SavedSize(s) : GruKernels.SavedSize(s)];
            Forward(s, x, p, lengths, saved);
            var ws = new double[Lstm ? LstmKernels.WorkspaceSize(s) : GruKernels.WorkspaceSize(s)];
            fixed (double* px = x, pp = p, pdy = dy, pdx = dx, pdp = dp, psv = saved, pws = ws)
            fixed (int* pl = lengths)
            {
                if (Lstm) LstmKernels.Backward(s, px, pp, pdy, pdx, pdp, psv, pws, pl);
                else GruKernels.Backward(s, px, pp, pdy, pdx, pdp, psv, pws, pl);
            }
        }
    }

    [Theory]
    [MemberData(nameof(RecurrentCases))]
    public void Recurrent_Forward_EqualsEachSampleAloneAtItsLength(bool lstm, bool bidirectional, bool returnSequence, int[] lengths)
    {
        var layer = new Recurrent(lstm, bidirectional, returnSequence, 100);
        RecurrentShape shape = layer.Shape(Batch, Sequence);
        int width = shape.Directions * Hidden;
        double[] x = GradCheck.Normal((int)shape.InputElements, 101);
        double[] y = layer.Forward(shape, x, layer.P, lengths);
        for (int b = 0; b < Batch; b++)
        {
            int length = lengths[b];
            double[] alone = length == 0 ? [] : layer.Forward(layer.Shape(1, length), Rows(x, b, length, Inputs), layer.P, null);
            if (returnSequence)
            {
                if (length > 0) GradCheck.AssertClose(alone, Rows(y, b, length, width), 0.0, $"sample {b} valid steps");
                for (int i = length * width; i < Sequence * width; i++) Assert.Equal(0.0, y[b * Sequence * width + i]);
            }
            else
            {
                double[] final = y.AsSpan(b * width, width).ToArray();
                if (length > 0) GradCheck.AssertClose(alone, final, 0.0, $"sample {b} final state");
                else Assert.All(final, v => Assert.Equal(0.0, v));
            }
        }
    }

    [Theory]
    [MemberData(nameof(RecurrentCases))]
    public void Recurrent_Backward_EqualsSumOfEachSampleAloneAtItsLength(bool lstm, bool bidirectional, bool returnSequence, int[] lengths)
    {
        var layer = new Recurrent(lstm, bidirectional, returnSequence, 110);
        RecurrentShape shape = layer.Shape(Batch, Sequence);
        int width = shape.Directions * Hidden;
        double[] x = GradCheck.Normal((int)shape.InputElements, 111);
        double[] dy = GradCheck.Normal((int)shape.OutputElements, 112); // nonzero at padded steps too: they must be ignored
        double[] dx = new double[x.Length], dp = new double[layer.P.Length];
        layer.Backward(shape, x, layer.P, dy, lengths, dx, dp);
        var expected = new double[dp.Length];
        for (int b = 0; b < Batch; b++)
        {
            int length = lengths[b];
            if (length > 0)
            {
                RecurrentShape alone = layer.Shape(1, length);
                double[] dyAlone = returnSequence ? Rows(dy, b, length, width) : dy.AsSpan(b * width, width).ToArray();
                double[] dxAlone = new double[length * Inputs], dpAlone = new double[dp.Length];
                layer.Backward(alone, Rows(x, b, length, Inputs), layer.P, dyAlone, null, dxAlone, dpAlone);
                for (int i = 0; i < dp.Length; i++) expected[i] += dpAlone[i];
                GradCheck.AssertClose(dxAlone, Rows(dx, b, length, Inputs), 1e-12, $"sample {b} dx");
            }
            for (int i = length * Inputs; i < Sequence * Inputs; i++) Assert.Equal(0.0, dx[b * Sequence * Inputs + i]);
        }
        GradCheck.AssertClose(expected, dp, 1e-12, "parameter gradients");
    }

    [Theory]
    [MemberData(nameof(RecurrentCases))]
    public void Recurrent_Masked_MatchesCentralDifferences(bool lstm, bool bidirectional, bool returnSequence, int[] lengths)
    {
        // Shorter sequences keep the check quick; the lengths are clipped to 3 steps (5 → 3).
        const int s = 3;
        int[] clipped = Array.ConvertAll(lengths, l => Math.Min(l, s));
        var layer = new Recurrent(lstm, bidirectional, returnSequence, 120);
        RecurrentShape shape = layer.Shape(Batch, s, inputs: 2, hidden: 3);
        double[] p = GradCheck.Normal((int)(lstm ? LstmKernels.ParameterCount(shape) : GruKernels.ParameterCount(shape)), 121, 0.7);
        double[] x = GradCheck.Normal((int)shape.InputElements, 122), r = GradCheck.Normal((int)shape.OutputElements, 123);
        double[] dx = GradCheck.Gradient(x.Length), dp = GradCheck.Gradient(p.Length);
        layer.Backward(shape, x, p, r, clipped, dx, dp);
        double Loss() => GradCheck.Dot(layer.Forward(shape, x, p, clipped), r);
        GradCheck.Check("dx", x, dx, Loss);
        GradCheck.Check("dParameters", p, dp, Loss);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Recurrent_FullLengths_SameBitsAsNoLengths(bool lstm)
    {
        foreach (bool bidirectional in new[] { false, true })
        foreach (bool returnSequence in new[] { false, true })
        {
            var layer = new Recurrent(lstm, bidirectional, returnSequence, 130);
            RecurrentShape shape = layer.Shape(Batch, Sequence);
            double[] x = GradCheck.Normal((int)shape.InputElements, 131), dy = GradCheck.Normal((int)shape.OutputElements, 132);
            int[] full = { Sequence, Sequence, Sequence };
            TestData.AssertBitwiseEqual(layer.Forward(shape, x, layer.P, null), layer.Forward(shape, x, layer.P, full), "y");
            double[] dx1 = new double[x.Length], dp1 = new double[layer.P.Length], dx2 = new double[x.Length], dp2 = new double[layer.P.Length];
            layer.Backward(shape, x, layer.P, dy, null, dx1, dp1);
            layer.Backward(shape, x, layer.P, dy, full, dx2, dp2);
            TestData.AssertBitwiseEqual(dx1, dx2, "dx");
            TestData.AssertBitwiseEqual(dp1, dp2, "dParameters");
        }
    }

    [Fact]
    public void Recurrent_FloatMatchesTruncation()
    {
        foreach (bool lstm in new[] { true, false })
        {
            int[] lengths = { 5, 2, 0 };
            var shape = new RecurrentShape(Batch, Sequence, Inputs, Hidden, bidirectional: true, returnSequence: true);
            float[] p = GradCheck.ToFloat(new Recurrent(lstm, true, true, 140).P);
            float[] x = GradCheck.ToFloat(GradCheck.Normal((int)shape.InputElements, 141));

            float[] Run(in RecurrentShape s, float[] input, int[]? lens)
            {
                var y = new float[s.OutputElements];
                var saved = new float[lstm ? LstmKernels.SavedSize(s) : GruKernels.SavedSize(s)];
                var ws = new float[lstm ? LstmKernels.WorkspaceSize(s) : GruKernels.WorkspaceSize(s)];
                fixed (float* px = input, pp = p, py = y, psv = saved, pws = ws)
                fixed (int* pl = lens)
                {
                    if (lstm) LstmKernels.Forward(s, px, pp, py, psv, pws, pl);
                    else GruKernels.Forward(s, px, pp, py, psv, pws, pl);
                }
                return y;
            }

            float[] padded = Run(shape, x, lengths);
            int width = 2 * Hidden;
            for (int b = 0; b < Batch; b++)
            {
                int length = lengths[b];
                if (length > 0)
                {
                    var alone = Run(new RecurrentShape(1, length, Inputs, Hidden, true, true), x.AsSpan(b * Sequence * Inputs, length * Inputs).ToArray(), null);
                    for (int i = 0; i < alone.Length; i++)
                        Assert.True(Math.Abs(alone[i] - padded[b * Sequence * width + i]) <= 1e-5, $"lstm {lstm}, sample {b}, element {i}");
                }
                for (int i = length * width; i < Sequence * width; i++) Assert.Equal(0f, padded[b * Sequence * width + i]);
            }
        }
    }

    [Fact]
    public void Recurrent_LengthOutOfRange_Throws()
    {
        var layer = new Recurrent(true, false, true, 150);
        RecurrentShape shape = layer.Shape(Batch, Sequence);
        double[] x = GradCheck.Normal((int)shape.InputElements, 151);
        Assert.Throws<ArgumentException>(() => layer.Forward(shape, x, layer.P, new[] { 5, 6, 0 }));
        var gru = new Recurrent(false, true, false, 152);
        Assert.Throws<ArgumentException>(() => gru.Forward(gru.Shape(Batch, Sequence), x, gru.P, new[] { -1, 2, 0 }));
    }

    // ---------- Softmax cross-entropy ----------

    private const int Classes = 4;

    /// <summary>Logits and labels whose padded rows hold labels no class has (they must be neither read nor validated).</summary>
    private static (double[] Logits, double[] Labels) LossData(int[] lengths, int seed)
    {
        double[] logits = GradCheck.Normal(Batch * Sequence * Classes, seed, 2.0);
        var rng = new Random(seed + 1);
        var labels = new double[Batch * Sequence];
        for (int b = 0; b < Batch; b++)
        for (int t = 0; t < Sequence; t++)
            labels[b * Sequence + t] = t < lengths[b] ? rng.Next(Classes) : t % 2 == 0 ? double.NaN : -7;
        return (logits, labels);
    }

    private static double MaskedLoss(double[] logits, double[] labels, double[]? dLogits, int[]? lengths)
    {
        fixed (double* pz = logits, pl = labels, pd = dLogits)
        fixed (int* pn = lengths)
            return LossKernels.SoftmaxCrossEntropy(pz, pl, pd, Batch, Sequence, Classes, pn);
    }

    [Theory]
    [MemberData(nameof(LengthSets))]
    public void Loss_EqualsMeanOverTheValidRowsAlone(int[] lengths)
    {
        var (logits, labels) = LossData(lengths, 200);
        var dLogits = new double[logits.Length];
        Array.Fill(dLogits, 9.5); // every element must be written
        double loss = MaskedLoss(logits, labels, dLogits, lengths);

        // The old overload on the valid rows only, gathered in order.
        int count = 0;
        foreach (int l in lengths) count += l;
        var validLogits = new double[count * Classes];
        var validLabels = new double[count];
        int row = 0;
        for (int b = 0; b < Batch; b++)
        for (int t = 0; t < lengths[b]; t++, row++)
        {
            Array.Copy(logits, (b * Sequence + t) * Classes, validLogits, row * Classes, Classes);
            validLabels[row] = labels[b * Sequence + t];
        }
        var validGrad = new double[validLogits.Length];
        double expected;
        fixed (double* pz = validLogits, pl = validLabels, pd = validGrad)
            expected = LossKernels.SoftmaxCrossEntropy(pz, pl, pd, count, Classes);

        Assert.Equal(expected, loss);
        int first = 0; // the sample's first row among the valid ones
        for (int b = 0; b < Batch; b++)
        {
            for (int t = 0; t < Sequence; t++)
            for (int j = 0; j < Classes; j++)
            {
                double g = dLogits[(b * Sequence + t) * Classes + j];
                if (t < lengths[b]) Assert.Equal(validGrad[(first + t) * Classes + j], g);
                else Assert.Equal(0.0, g);
            }
            first += lengths[b];
        }
    }

    [Fact]
    public void Loss_NoValidRow_IsZeroWithZeroGradient()
    {
        int[] lengths = { 0, 0, 0 };
        var (logits, labels) = LossData(lengths, 210);
        var dLogits = new double[logits.Length];
        Array.Fill(dLogits, 9.5);
        Assert.Equal(0.0, MaskedLoss(logits, labels, dLogits, lengths));
        Assert.All(dLogits, g => Assert.Equal(0.0, g));
    }

    [Fact]
    public void Loss_NullLengths_SameBitsAsTheFlatOverload()
    {
        var (logits, labels) = LossData(new[] { Sequence, Sequence, Sequence }, 220);
        double[] d1 = new double[logits.Length], d2 = new double[logits.Length];
        double masked = MaskedLoss(logits, labels, d1, null);
        double flat;
        fixed (double* pz = logits, pl = labels, pd = d2)
            flat = LossKernels.SoftmaxCrossEntropy(pz, pl, pd, Batch * Sequence, Classes);
        Assert.Equal(BitConverter.DoubleToInt64Bits(flat), BitConverter.DoubleToInt64Bits(masked));
        TestData.AssertBitwiseEqual(d2, d1, "dLogits");
    }

    [Fact]
    public void Loss_BadLabelAtAValidRow_OrBadLength_Throws()
    {
        int[] lengths = { 5, 2, 0 };
        var (logits, labels) = LossData(lengths, 230);
        labels[Sequence + 1] = Classes; // sample 1, position 1: valid
        var e = Assert.Throws<ArgumentException>(() => MaskedLoss(logits, labels, null, lengths));
        Assert.Contains($"Row {Sequence + 1}", e.Message);
        Assert.Throws<ArgumentException>(() => MaskedLoss(logits, labels, null, new[] { 5, 6, 0 }));
    }
}
