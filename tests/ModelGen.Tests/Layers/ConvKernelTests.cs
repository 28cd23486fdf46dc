using System;
using ModelGen.Cpu;
using ModelGen.Tests.Cpu;
using Xunit;

namespace ModelGen.Tests.Layers;

public unsafe class ConvKernelTests
{
    // batch, inC, H, W, outC, KH, KW, strideH, strideW, padTop, padBottom, padLeft, padRight, dilH, dilW, groups, bias
    public static TheoryData<int[]> Geometries => new()
    {
        new[] { 2, 2, 5, 6, 3, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1 },   // plain valid convolution
        new[] { 2, 2, 5, 6, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 },   // 'same', no bias
        new[] { 1, 3, 7, 6, 2, 3, 2, 2, 3, 1, 0, 2, 1, 1, 1, 1, 1 },   // strides, asymmetric padding
        new[] { 2, 2, 7, 7, 2, 3, 3, 1, 2, 2, 1, 0, 2, 2, 2, 1, 1 },   // dilation
        new[] { 2, 4, 5, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1 },   // two groups
        new[] { 1, 4, 5, 4, 4, 3, 3, 2, 1, 1, 1, 0, 1, 1, 2, 4, 0 },   // depthwise, stride, dilation
        new[] { 2, 3, 4, 4, 5, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1 },   // 1×1
        new[] { 1, 1, 3, 3, 2, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1 },   // kernel larger than the input, covered by padding
    };

    private static Conv2dShape Shape(int[] g) =>
        new(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);

    [Theory]
    [InlineData(28, 5, 1, 2, 2, 1, 28)]
    [InlineData(14, 5, 1, 0, 0, 1, 10)]
    [InlineData(7, 3, 2, 1, 1, 1, 4)]
    [InlineData(7, 3, 2, 0, 0, 1, 3)]
    [InlineData(10, 3, 1, 0, 0, 3, 4)]
    [InlineData(10, 3, 3, 1, 2, 2, 3)]
    [InlineData(4, 5, 1, 0, 0, 1, 0)]
    [InlineData(4, 6, 1, 0, 0, 1, -1)]
    public void OutputSize_IsFloorOfTheFormula(int input, int kernel, int stride, int padBefore, int padAfter, int dilation, int expected)
    {
        int actual = Conv2dShape.OutputSize(input, kernel, stride, padBefore, padAfter, dilation);
        if (expected > 0) Assert.Equal(expected, actual);
        else Assert.True(actual <= 0);
        // The formula, written as in the documentation (2p replaced by the two sides).
        double formula = Math.Floor((input + padBefore + padAfter - dilation * (kernel - 1) - 1) / (double)stride) + 1;
        if (formula >= 1) Assert.Equal((int)formula, actual);
    }

    [Theory]
    [InlineData(28, 5, 1, 1, 2, 2)]
    [InlineData(10, 4, 1, 1, 1, 2)]
    [InlineData(10, 3, 1, 2, 2, 2)]
    [InlineData(7, 3, 2, 1, 1, 1)]
    [InlineData(8, 3, 2, 1, 0, 1)]
    public void SamePadding_KeepsCeilOfInputOverStride(int input, int kernel, int stride, int dilation, int before, int after)
    {
        Conv2dShape.SamePadding(input, kernel, stride, dilation, out int b, out int a);
        Assert.Equal(before, b);
        Assert.Equal(after, a);
        Assert.Equal((input + stride - 1) / stride, Conv2dShape.OutputSize(input, kernel, stride, b, a, dilation));
    }

    [Fact]
    public void Shape_RejectsInvalidGeometry()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2dShape(1, 3, 5, 5, 4, 3, 3, groups: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2dShape(1, 4, 5, 5, 3, 3, 3, groups: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2dShape(1, 1, 2, 2, 1, 3, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2dShape(1, 1, 5, 5, 1, 3, 3, strideHeight: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2dShape(1, 1, 5, 5, 1, 3, 3, padLeft: -1));
        var lenet = new Conv2dShape(128, 1, 28, 28, 6, 5, 5, padTop: 2, padBottom: 2, padLeft: 2, padRight: 2);
        Assert.Equal((28, 28), (lenet.OutHeight, lenet.OutWidth));
        Assert.Equal(150, lenet.WeightCount);
        Assert.Equal(128L * 25 * (28 * 28 + 6), ConvKernels.WorkspaceSize(lenet));
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Forward_MatchesNaiveReference(int[] geometry)
    {
        var s = Shape(geometry);
        bool withBias = geometry[16] == 1;
        double[] x = GradCheck.Normal((int)s.InputElements, 1), w = GradCheck.Normal((int)s.WeightCount, 2), b = GradCheck.Normal(s.OutChannels, 3);
        double[] expected = Reference(s, x, w, withBias ? b : null);
        GradCheck.AssertClose(expected, Forward(s, x, w, withBias ? b : null), 1e-12, "y (double)");

        float[] xf = GradCheck.ToFloat(x), wf = GradCheck.ToFloat(w), bf = GradCheck.ToFloat(b);
        var yf = new float[s.OutputElements];
        var ws = new float[ConvKernels.WorkspaceSize(s)];
        fixed (float* px = xf, pw = wf, pb = bf, py = yf, pws = ws)
            ConvKernels.Forward(s, px, pw, withBias ? pb : null, py, pws);
        GradCheck.AssertClose(expected, Array.ConvertAll(yf, v => (double)v), 2e-5 * (s.InChannelsPerGroup * s.KernelHeight * s.KernelWidth + 1), "y (float)");
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Backward_MatchesCentralDifferences(int[] geometry)
    {
        var s = Shape(geometry);
        bool withBias = geometry[16] == 1;
        double[] x = GradCheck.Normal((int)s.InputElements, 4), w = GradCheck.Normal((int)s.WeightCount, 5), b = GradCheck.Normal(s.OutChannels, 6);
        double[] r = GradCheck.Normal((int)s.OutputElements, 7);
        double[] dx = GradCheck.Gradient(x.Length), dw = GradCheck.Gradient(w.Length), db = GradCheck.Gradient(b.Length);
        var ws = new double[ConvKernels.WorkspaceSize(s)];
        fixed (double* px = x, pw = w, pr = r, pdx = dx, pdw = dw, pdb = db, pws = ws)
            ConvKernels.Backward(s, px, pw, pr, pdx, pdw, withBias ? pdb : null, pws);

        double Loss() => GradCheck.Dot(Forward(s, x, w, withBias ? b : null), r);
        GradCheck.Check("dx", x, dx, Loss);
        GradCheck.Check("dW", w, dw, Loss);
        if (withBias) GradCheck.Check("dBias", b, db, Loss);
        else Assert.All(db, v => Assert.Equal(GradCheck.Prefill, v));
    }

    [Fact]
    public void Backward_WithoutInputGradient_LeavesOtherGradientsUnchanged()
    {
        var s = new Conv2dShape(2, 2, 5, 5, 3, 3, 3, 2, 1, 1, 0, 1, 1);
        double[] x = GradCheck.Normal((int)s.InputElements, 1), w = GradCheck.Normal((int)s.WeightCount, 2), r = GradCheck.Normal((int)s.OutputElements, 3);
        double[] dw1 = GradCheck.Gradient(w.Length), dw2 = GradCheck.Gradient(w.Length), db1 = GradCheck.Gradient(3), db2 = GradCheck.Gradient(3);
        double[] dx = GradCheck.Gradient(x.Length);
        var ws = new double[ConvKernels.WorkspaceSize(s)];
        fixed (double* px = x, pw = w, pr = r, pdx = dx, pdw1 = dw1, pdw2 = dw2, pdb1 = db1, pdb2 = db2, pws = ws)
        {
            ConvKernels.Backward(s, px, pw, pr, pdx, pdw1, pdb1, pws);
            ConvKernels.Backward(s, px, pw, pr, null, pdw2, pdb2, pws);
        }
        TestData.AssertBitwiseEqual(dw1, dw2, "dW");
        TestData.AssertBitwiseEqual(db1, db2, "dBias");
    }

    [Theory]
    [InlineData(2, 3, 9, 4, 3, 1, 1, 1, 1, 1)]
    [InlineData(2, 4, 11, 2, 3, 2, 0, 2, 2, 2)]
    public void Conv1d_MatchesNaiveReferenceAndCentralDifferences(int batch, int inC, int length, int outC, int kernel, int stride, int padLeft, int padRight, int dilation, int groups)
    {
        var s = Conv2dShape.Conv1d(batch, inC, length, outC, kernel, stride, padLeft, padRight, dilation, groups);
        int outLength = Conv2dShape.OutputSize(length, kernel, stride, padLeft, padRight, dilation);
        Assert.Equal((1, outLength), (s.OutHeight, s.OutWidth));
        double[] x = GradCheck.Normal(batch * inC * length, 1), w = GradCheck.Normal(outC * (inC / groups) * kernel, 2), b = GradCheck.Normal(outC, 3);
        // Plain 1-D reference: y[n, o, t] = b[o] + Σ_c Σ_k w[o, c, k]·x[n, g·C/G + c, t·s + k·d − padLeft].
        var expected = new double[batch * outC * outLength];
        int cg = inC / groups, og = outC / groups;
        for (int n = 0; n < batch; n++)
        for (int o = 0; o < outC; o++)
        for (int t = 0; t < outLength; t++)
        {
            double sum = b[o];
            for (int c = 0; c < cg; c++)
            for (int k = 0; k < kernel; k++)
            {
                int at = t * stride + k * dilation - padLeft;
                if (at >= 0 && at < length) sum += w[(o * cg + c) * kernel + k] * x[(n * inC + o / og * cg + c) * length + at];
            }
            expected[(n * outC + o) * outLength + t] = sum;
        }
        GradCheck.AssertClose(expected, Forward(s, x, w, b), 1e-12, "y");

        double[] r = GradCheck.Normal(expected.Length, 4);
        double[] dx = GradCheck.Gradient(x.Length), dw = GradCheck.Gradient(w.Length), db = GradCheck.Gradient(b.Length);
        var ws = new double[ConvKernels.WorkspaceSize(s)];
        fixed (double* px = x, pw = w, pr = r, pdx = dx, pdw = dw, pdb = db, pws = ws)
            ConvKernels.Backward(s, px, pw, pr, pdx, pdw, pdb, pws);
        double Loss() => GradCheck.Dot(Forward(s, x, w, b), r);
        GradCheck.Check("dx", x, dx, Loss);
        GradCheck.Check("dW", w, dw, Loss);
        GradCheck.Check("dBias", b, db, Loss);
    }

    [Fact]
    public void ForwardAndBackward_SameBitsForAnyThreadCount()
    {
        // LeNet's second convolution at a batch large enough for the GEMMs to split.
        var s = new Conv2dShape(16, 6, 14, 14, 16, 5, 5);
        float[] x = TestData.Random<float>((int)s.InputElements, 1), w = TestData.Random<float>((int)s.WeightCount, 2), b = TestData.Random<float>(16, 3);
        float[] r = TestData.Random<float>((int)s.OutputElements, 4);
        float[][] Run(int threads)
        {
            int saved = CpuParallel.ThreadCount;
            try
            {
                CpuParallel.ThreadCount = threads;
                float[] y = new float[s.OutputElements], dx = new float[x.Length], dw = new float[w.Length], db = new float[16];
                var ws = new float[ConvKernels.WorkspaceSize(s)];
                fixed (float* px = x, pw = w, pb = b, py = y, pr = r, pdx = dx, pdw = dw, pdb = db, pws = ws)
                {
                    ConvKernels.Forward(s, px, pw, pb, py, pws);
                    ConvKernels.Backward(s, px, pw, pr, pdx, pdw, pdb, pws);
                }
                return new[] { y, dx, dw, db };
            }
            finally
            {
                CpuParallel.ThreadCount = saved;
            }
        }
        float[][] one = Run(1), two = Run(2);
        for (int i = 0; i < one.Length; i++) TestData.AssertBitwiseEqual(one[i], two[i], $"output {i}");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 1)]
    [InlineData(33, 1)]
    [InlineData(7, 3)]
    public void PerSampleSplit_MatchesTheReferenceAndGivesTheSameBitsForAnyThreadCount(int batch, int groups)
    {
        // Odd batches and channel counts that are no multiple of a vector (3 and 9 inputs, 6 outputs), padding
        // and stride: every sample is one part of the parallel split, the weight gradient sums them in order.
        var s = new Conv2dShape(batch, 3 * groups, 11, 9, 6 * groups, 3, 3, 1, 2, 1, 1, 2, 0, groups: groups);
        double[] xd = GradCheck.Normal((int)s.InputElements, 11), wd = GradCheck.Normal((int)s.WeightCount, 12), bd = GradCheck.Normal(s.OutChannels, 13);
        double[] rd = GradCheck.Normal((int)s.OutputElements, 14);
        float[] x = GradCheck.ToFloat(xd), w = GradCheck.ToFloat(wd), b = GradCheck.ToFloat(bd), r = GradCheck.ToFloat(rd);
        float[][] Run(int threads)
        {
            int saved = CpuParallel.ThreadCount;
            try
            {
                CpuParallel.ThreadCount = threads;
                CpuParallel.ResetStallBackoff();
                float[] y = new float[s.OutputElements], dx = new float[x.Length], dw = new float[w.Length], db = new float[b.Length];
                var ws = new float[ConvKernels.WorkspaceSize(s)];
                fixed (float* px = x, pw = w, pb = b, py = y, pr = r, pdx = dx, pdw = dw, pdb = db, pws = ws)
                {
                    ConvKernels.Forward(s, px, pw, pb, py, pws);
                    ConvKernels.Backward(s, px, pw, pr, pdx, pdw, pdb, pws);
                }
                return new[] { y, dx, dw, db };
            }
            finally
            {
                CpuParallel.ThreadCount = saved;
            }
        }
        float[][] one = Run(1), two = Run(2), three = Run(3);
        for (int i = 0; i < one.Length; i++)
        {
            TestData.AssertBitwiseEqual(one[i], two[i], $"output {i}, 2 threads");
            TestData.AssertBitwiseEqual(one[i], three[i], $"output {i}, 3 threads");
        }

        double[] expected = Reference(s, xd, wd, bd);
        int taps = s.InChannelsPerGroup * s.KernelHeight * s.KernelWidth;
        GradCheck.AssertClose(expected, Array.ConvertAll(one[0], v => (double)v), 2e-5 * (taps + 1), "y (float)");
        // The float gradients against the double kernel, whose gradients the central-difference tests vouch for.
        double[] dx = new double[xd.Length], dw = new double[wd.Length], db = new double[bd.Length];
        var wsd = new double[ConvKernels.WorkspaceSize(s)];
        fixed (double* px = xd, pw = wd, pr = rd, pdx = dx, pdw = dw, pdb = db, pws = wsd)
            ConvKernels.Backward(s, px, pw, pr, pdx, pdw, pdb, pws);
        GradCheck.AssertClose(dx, Array.ConvertAll(one[1], v => (double)v), 2e-5 * (taps + 1), "dx (float)");
        GradCheck.AssertClose(dw, Array.ConvertAll(one[2], v => (double)v), 2e-5 * (s.Batch * s.OutHeight * s.OutWidth + 1), "dW (float)");
        GradCheck.AssertClose(ReferenceWeightGradient(s, xd, rd), dw, 1e-9 * (s.Batch * s.OutHeight * s.OutWidth + 1), "dW (double) against its definition");
        GradCheck.AssertClose(db, Array.ConvertAll(one[3], v => (double)v), 2e-5 * (s.Batch * s.OutHeight * s.OutWidth + 1), "dBias (float)");
    }

    internal static double[] Forward(in Conv2dShape s, double[] x, double[] w, double[]? b)
    {
        var y = new double[s.OutputElements];
        var ws = new double[ConvKernels.WorkspaceSize(s)];
        fixed (double* px = x, pw = w, pb = b, py = y, pws = ws)
            ConvKernels.Forward(s, px, pw, pb, py, pws);
        return y;
    }

    /// <summary>dW[o, c, p, q] = Σ over samples and output pixels of dy·xpad, straight from the definition.</summary>
    private static double[] ReferenceWeightGradient(in Conv2dShape s, double[] x, double[] dy)
    {
        var dw = new double[s.WeightCount];
        int cg = s.InChannelsPerGroup, og = s.OutChannelsPerGroup;
        for (int n = 0; n < s.Batch; n++)
        for (int o = 0; o < s.OutChannels; o++)
        for (int i = 0; i < s.OutHeight; i++)
        for (int j = 0; j < s.OutWidth; j++)
        for (int c = 0; c < cg; c++)
        for (int p = 0; p < s.KernelHeight; p++)
        for (int q = 0; q < s.KernelWidth; q++)
        {
            int r = i * s.StrideHeight + p * s.DilationHeight - s.PadTop;
            int col = j * s.StrideWidth + q * s.DilationWidth - s.PadLeft;
            if (r < 0 || r >= s.InHeight || col < 0 || col >= s.InWidth) continue;
            int channel = o / og * cg + c;
            dw[((o * cg + c) * s.KernelHeight + p) * s.KernelWidth + q] +=
                dy[((n * s.OutChannels + o) * s.OutHeight + i) * s.OutWidth + j] * x[((n * s.InChannels + channel) * s.InHeight + r) * s.InWidth + col];
        }
        return dw;
    }

    private static double[] Reference(in Conv2dShape s, double[] x, double[] w, double[]? b)
    {
        var y = new double[s.OutputElements];
        int cg = s.InChannelsPerGroup, og = s.OutChannelsPerGroup;
        for (int n = 0; n < s.Batch; n++)
        for (int o = 0; o < s.OutChannels; o++)
        for (int i = 0; i < s.OutHeight; i++)
        for (int j = 0; j < s.OutWidth; j++)
        {
            double sum = b?[o] ?? 0;
            for (int c = 0; c < cg; c++)
            for (int p = 0; p < s.KernelHeight; p++)
            for (int q = 0; q < s.KernelWidth; q++)
            {
                int r = i * s.StrideHeight + p * s.DilationHeight - s.PadTop;
                int col = j * s.StrideWidth + q * s.DilationWidth - s.PadLeft;
                if (r < 0 || r >= s.InHeight || col < 0 || col >= s.InWidth) continue;
                int channel = o / og * cg + c;
                sum += w[((o * cg + c) * s.KernelHeight + p) * s.KernelWidth + q] * x[((n * s.InChannels + channel) * s.InHeight + r) * s.InWidth + col];
            }
            y[((n * s.OutChannels + o) * s.OutHeight + i) * s.OutWidth + j] = sum;
        }
        return y;
    }
}
