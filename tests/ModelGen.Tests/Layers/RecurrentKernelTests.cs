using System;
using ModelGen.Cpu;
using ModelGen.Tests.Cpu;
using Xunit;

namespace ModelGen.Tests.Layers;

public unsafe class RecurrentKernelTests
{
    public static TheoryData<bool, bool, bool> Cases()
    {
        var data = new TheoryData<bool, bool, bool>();
        foreach (bool lstm in new[] { true, false })
        foreach (bool bidirectional in new[] { false, true })
        foreach (bool sequence in new[] { true, false })
            data.Add(lstm, bidirectional, sequence);
        return data;
    }

    private static long Parameters(bool lstm, in RecurrentShape s) => lstm ? LstmKernels.ParameterCount(s) : GruKernels.ParameterCount(s);

    private static double[] Forward(bool lstm, in RecurrentShape s, double[] x, double[] p, double[]? saved = null)
    {
        var y = new double[s.OutputElements];
        saved ??= new double[lstm ? LstmKernels.SavedSize(s) : GruKernels.SavedSize(s)];
        var ws = new double[lstm ? LstmKernels.WorkspaceSize(s) : GruKernels.WorkspaceSize(s)];
        fixed (double* px = x, pp = p, py = y, psv = saved, pws = ws)
        {
            if (lstm) LstmKernels.Forward(s, px, pp, py, psv, pws);
            else GruKernels.Forward(s, px, pp, py, psv, pws);
        }
        return y;
    }

    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    /// <summary>The cells written from PyTorch's equations, one sample and one step at a time, weights read in×out.</summary>
    private static double[] Reference(bool lstm, in RecurrentShape s, double[] x, double[] p)
    {
        int h = s.HiddenSize, inputs = s.InputSize, gates = lstm ? 4 : 3, g = gates * h, width = s.Directions * h;
        long block = (long)(inputs + h + 2) * g;
        var y = new double[s.OutputElements];
        for (int dir = 0; dir < s.Directions; dir++)
        {
            long wih = dir * block, whh = wih + inputs * g, bih = whh + h * g, bhh = bih + g;
            for (int n = 0; n < s.Batch; n++)
            {
                var state = new double[h];
                var cell = new double[h];
                for (int k = 0; k < s.Sequence; k++)
                {
                    int t = dir == 0 ? k : s.Sequence - 1 - k;
                    var xi = new double[g];
                    var hh = new double[g];
                    for (int q = 0; q < g; q++)
                    {
                        xi[q] = p[bih + q];
                        hh[q] = p[bhh + q];
                        for (int f = 0; f < inputs; f++) xi[q] += x[((long)n * s.Sequence + t) * inputs + f] * p[wih + f * g + q];
                        for (int f = 0; f < h; f++) hh[q] += state[f] * p[whh + f * g + q];
                    }
                    var next = new double[h];
                    for (int j = 0; j < h; j++)
                    {
                        if (lstm)
                        {
                            double i = Sigmoid(xi[j] + hh[j]), f = Sigmoid(xi[h + j] + hh[h + j]);
                            double gg = Math.Tanh(xi[2 * h + j] + hh[2 * h + j]), o = Sigmoid(xi[3 * h + j] + hh[3 * h + j]);
                            cell[j] = f * cell[j] + i * gg;
                            next[j] = o * Math.Tanh(cell[j]);
                        }
                        else
                        {
                            double r = Sigmoid(xi[j] + hh[j]), z = Sigmoid(xi[h + j] + hh[h + j]);
                            double nn = Math.Tanh(xi[2 * h + j] + r * hh[2 * h + j]);
                            next[j] = (1 - z) * nn + z * state[j];
                        }
                    }
                    state = next;
                    if (s.ReturnSequence)
                        for (int j = 0; j < h; j++) y[((long)n * s.Sequence + t) * width + dir * h + j] = state[j];
                }
                if (!s.ReturnSequence)
                    for (int j = 0; j < h; j++) y[(long)n * width + dir * h + j] = state[j];
            }
        }
        return y;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_MatchesReference(bool lstm, bool bidirectional, bool returnSequence)
    {
        var s = new RecurrentShape(3, 4, 3, 5, bidirectional, returnSequence);
        double[] x = GradCheck.Normal((int)s.InputElements, 1), p = GradCheck.Normal((int)Parameters(lstm, s), 2, 0.5);
        GradCheck.AssertClose(Reference(lstm, s, x, p), Forward(lstm, s, x, p), 1e-13, "y");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_MatchesCentralDifferences(bool lstm, bool bidirectional, bool returnSequence)
    {
        var s = new RecurrentShape(2, 3, 3, 2, bidirectional, returnSequence);
        double[] x = GradCheck.Normal((int)s.InputElements, 3), p = GradCheck.Normal((int)Parameters(lstm, s), 4, 0.7);
        double[] r = GradCheck.Normal((int)s.OutputElements, 5);
        var saved = new double[lstm ? LstmKernels.SavedSize(s) : GruKernels.SavedSize(s)];
        Forward(lstm, s, x, p, saved);
        double[] dx = GradCheck.Gradient(x.Length), dp = GradCheck.Gradient(p.Length);
        var ws = new double[lstm ? LstmKernels.WorkspaceSize(s) : GruKernels.WorkspaceSize(s)];
        fixed (double* px = x, pp = p, pr = r, pdx = dx, pdp = dp, psv = saved, pws = ws)
        {
            if (lstm) LstmKernels.Backward(s, px, pp, pr, pdx, pdp, psv, pws);
            else GruKernels.Backward(s, px, pp, pr, pdx, pdp, psv, pws);
        }
        double Loss() => GradCheck.Dot(Forward(lstm, s, x, p), r);
        GradCheck.Check("dx", x, dx, Loss);
        GradCheck.Check("dParameters", p, dp, Loss);
    }

    [Fact]
    public void OneStep_AndInputGradientOptional()
    {
        foreach (bool lstm in new[] { true, false })
        {
            var s = new RecurrentShape(2, 1, 3, 4, bidirectional: true, returnSequence: false);
            double[] x = GradCheck.Normal((int)s.InputElements, 6), p = GradCheck.Normal((int)Parameters(lstm, s), 7, 0.5);
            GradCheck.AssertClose(Reference(lstm, s, x, p), Forward(lstm, s, x, p), 1e-13, "y");
            double[] r = GradCheck.Normal((int)s.OutputElements, 8);
            var saved = new double[lstm ? LstmKernels.SavedSize(s) : GruKernels.SavedSize(s)];
            Forward(lstm, s, x, p, saved);
            double[] dp1 = GradCheck.Gradient(p.Length), dp2 = GradCheck.Gradient(p.Length), dx = GradCheck.Gradient(x.Length);
            var ws = new double[lstm ? LstmKernels.WorkspaceSize(s) : GruKernels.WorkspaceSize(s)];
            fixed (double* px = x, pp = p, pr = r, pdx = dx, pd1 = dp1, pd2 = dp2, psv = saved, pws = ws)
            {
                if (lstm) { LstmKernels.Backward(s, px, pp, pr, pdx, pd1, psv, pws); LstmKernels.Backward(s, px, pp, pr, null, pd2, psv, pws); }
                else { GruKernels.Backward(s, px, pp, pr, pdx, pd1, psv, pws); GruKernels.Backward(s, px, pp, pr, null, pd2, psv, pws); }
            }
            TestData.AssertBitwiseEqual(dp1, dp2, "dParameters with and without dx");
            GradCheck.Check("dParameters", p, dp1, () => GradCheck.Dot(Forward(lstm, s, x, p), r));
        }
    }

    [Fact]
    public void Sizes()
    {
        var s = new RecurrentShape(4, 7, 5, 6, bidirectional: true, returnSequence: true);
        Assert.Equal(2L * (5 + 6 + 2) * 24, LstmKernels.ParameterCount(s));
        Assert.Equal(2L * (5 + 6 + 2) * 18, GruKernels.ParameterCount(s));
        Assert.Equal(4L * 7 * 12, s.OutputElements);
        Assert.Equal(4L * 12, new RecurrentShape(4, 7, 5, 6, true, false).OutputElements);
        Assert.Equal(2L * 7 * 4 * 6 * 6, LstmKernels.SavedSize(s));
        Assert.Equal(2L * 7 * 4 * 5 * 6, GruKernels.SavedSize(s));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentShape(1, 0, 1, 1));
    }
}
