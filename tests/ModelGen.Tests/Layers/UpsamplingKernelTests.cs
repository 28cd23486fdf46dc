using System;
using ModelGen.Cpu;
using ModelGen.Tests.Cpu;
using Xunit;

namespace ModelGen.Tests.Layers;

/// <summary>
/// ConvTransposeKernels and UpsampleKernels against plain scatter loops written from the definitions, and their backward
/// passes against float64 central differences (odd sizes; stride 1, 2 and 3; padding, output padding, dilation, groups).
/// </summary>
public unsafe class UpsamplingKernelTests
{
    // batch, inC, H, W, outC, kH, kW, sH, sW, pH, pW, opH, opW, dH, dW, groups, bias
    public static TheoryData<int[]> Geometries => new()
    {
        new[] { 2, 3, 5, 3, 2, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1 },
        new[] { 2, 4, 3, 5, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 2, 1 },
        new[] { 1, 2, 3, 3, 3, 2, 3, 3, 3, 0, 1, 2, 2, 1, 1, 1, 0 },
        new[] { 2, 2, 4, 3, 2, 3, 2, 1, 2, 2, 0, 1, 1, 2, 1, 2, 1 },
        new[] { 1, 6, 3, 3, 3, 3, 3, 2, 3, 1, 2, 0, 1, 2, 2, 3, 1 },
    };

    private static ConvTranspose2dShape Shape(int[] g) => new(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);

    /// <summary>The definition: every input pixel scatters its weighted kernel into the output, taps outside it dropped.</summary>
    private static double[] Reference(in ConvTranspose2dShape s, double[] x, double[] w, double[]? b)
    {
        var y = new double[(long)s.Batch * s.OutChannels * s.OutHeight * s.OutWidth];
        int cg = s.InChannelsPerGroup, og = s.OutChannelsPerGroup;
        for (int n = 0; n < s.Batch; n++)
        for (int o = 0; o < s.OutChannels; o++)
        for (int i = 0; i < s.OutHeight * s.OutWidth; i++)
            y[((long)n * s.OutChannels + o) * s.OutHeight * s.OutWidth + i] = b?[o] ?? 0;
        for (int n = 0; n < s.Batch; n++)
        for (int c = 0; c < s.InChannels; c++)
        for (int i = 0; i < s.InHeight; i++)
        for (int j = 0; j < s.InWidth; j++)
        {
            double v = x[((n * s.InChannels + c) * s.InHeight + i) * s.InWidth + j];
            int g = c / cg;
            for (int ol = 0; ol < og; ol++)
            for (int p = 0; p < s.KernelHeight; p++)
            for (int q = 0; q < s.KernelWidth; q++)
            {
                int r = i * s.StrideHeight - s.PadHeight + p * s.DilationHeight;
                int col = j * s.StrideWidth - s.PadWidth + q * s.DilationWidth;
                if (r < 0 || r >= s.OutHeight || col < 0 || col >= s.OutWidth) continue;
                int o = g * og + ol;
                y[((n * s.OutChannels + o) * s.OutHeight + r) * s.OutWidth + col] += v * w[((c * og + ol) * s.KernelHeight + p) * s.KernelWidth + q];
            }
        }
        return y;
    }

    private static double[] Forward(in ConvTranspose2dShape s, double[] x, double[] w, double[]? b)
    {
        var y = new double[(long)s.Batch * s.OutChannels * s.OutHeight * s.OutWidth];
        var ws = new double[ConvTransposeKernels.WorkspaceSize(s)];
        fixed (double* px = x, pw = w, pb = b, py = y, pws = ws)
            ConvTransposeKernels.Forward(s, px, pw, b is null ? null : pb, py, pws);
        return y;
    }

    [Theory]
    [InlineData(5, 3, 2, 1, 1, 1, 10)]   // (5 − 1)·2 − 2 + 2 + 1 + 1
    [InlineData(3, 3, 3, 0, 2, 1, 11)]
    [InlineData(4, 2, 1, 0, 1, 2, 7)]    // output padding below the dilation, not the stride
    [InlineData(1, 3, 1, 1, 0, 1, 1)]
    [InlineData(1, 3, 1, 2, 0, 1, -1)]
    public void OutputSize_IsTheFormula(int input, int kernel, int stride, int padding, int outputPadding, int dilation, long expected)
        => Assert.Equal(expected, ConvTranspose2dShape.OutputSize(input, kernel, stride, padding, outputPadding, dilation));

    [Fact]
    public void Shape_RejectsWhatPyTorchRejects()
    {
        // Output padding must be below the stride or the dilation (torch 1.13: "output padding must be smaller than either stride or dilation").
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ConvTranspose2dShape(1, 2, 4, 4, 2, 3, 3, 2, 2, 0, 0, 2, 0));
        Assert.Equal("outputPaddingHeight", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvTranspose2dShape(1, 2, 4, 4, 2, 3, 3, 1, 1, 0, 0, 0, 1));
        _ = new ConvTranspose2dShape(1, 2, 4, 4, 2, 3, 3, 1, 1, 0, 0, 1, 1, 2, 2);   // 1 < dilation 2: allowed
        Assert.Equal("groups", Assert.Throws<ArgumentOutOfRangeException>(() => new ConvTranspose2dShape(1, 3, 4, 4, 2, 3, 3, groups: 2)).ParamName);
        Assert.Equal("padHeight", Assert.Throws<ArgumentOutOfRangeException>(() => new ConvTranspose2dShape(1, 2, 1, 1, 2, 3, 3, padHeight: 2, padWidth: 2)).ParamName);
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Forward_MatchesTheScatterDefinition(int[] geometry)
    {
        var s = Shape(geometry);
        bool withBias = geometry[16] == 1;
        double[] x = GradCheck.Normal(s.Batch * s.InChannels * s.InHeight * s.InWidth, 1), w = GradCheck.Normal((int)s.WeightCount, 2), b = GradCheck.Normal(s.OutChannels, 3);
        GradCheck.AssertClose(Reference(s, x, w, withBias ? b : null), Forward(s, x, w, withBias ? b : null), 1e-12, "y");
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Backward_MatchesCentralDifferences(int[] geometry)
    {
        var s = Shape(geometry);
        bool withBias = geometry[16] == 1;
        double[] x = GradCheck.Normal(s.Batch * s.InChannels * s.InHeight * s.InWidth, 4), w = GradCheck.Normal((int)s.WeightCount, 5), b = GradCheck.Normal(s.OutChannels, 6);
        double[] r = GradCheck.Normal(s.Batch * s.OutChannels * s.OutHeight * s.OutWidth, 7);
        double[] dx = GradCheck.Gradient(x.Length), dw = GradCheck.Gradient(w.Length), db = GradCheck.Gradient(b.Length);
        var ws = new double[ConvTransposeKernels.WorkspaceSize(s)];
        fixed (double* px = x, pw = w, pr = r, pdx = dx, pdw = dw, pdb = db, pws = ws)
            ConvTransposeKernels.Backward(s, px, pw, pr, pdx, pdw, withBias ? pdb : null, pws);

        double Loss() => GradCheck.Dot(Forward(s, x, w, withBias ? b : null), r);
        GradCheck.Check("dx", x, dx, Loss);
        GradCheck.Check("dW", w, dw, Loss);
        if (withBias) GradCheck.Check("dBias", b, db, Loss);
        else Assert.All(db, v => Assert.Equal(GradCheck.Prefill, v));
    }

    [Fact]
    public void Backward_WithoutInputGradient_GivesTheSameParameterGradients()
    {
        var s = new ConvTranspose2dShape(2, 2, 3, 4, 4, 3, 3, 2, 2, 1, 1, 1, 1, groups: 2);
        double[] x = GradCheck.Normal(2 * 2 * 3 * 4, 1), w = GradCheck.Normal((int)s.WeightCount, 2), r = GradCheck.Normal(2 * 4 * s.OutHeight * s.OutWidth, 3);
        double[] dw1 = GradCheck.Gradient(w.Length), dw2 = GradCheck.Gradient(w.Length), db1 = GradCheck.Gradient(4), db2 = GradCheck.Gradient(4), dx = GradCheck.Gradient(x.Length);
        var ws = new double[ConvTransposeKernels.WorkspaceSize(s)];
        fixed (double* px = x, pw = w, pr = r, pdx = dx, pdw1 = dw1, pdw2 = dw2, pdb1 = db1, pdb2 = db2, pws = ws)
        {
            ConvTransposeKernels.Backward(s, px, pw, pr, pdx, pdw1, pdb1, pws);
            ConvTransposeKernels.Backward(s, px, pw, pr, null, pdw2, pdb2, pws);
        }
        TestData.AssertBitwiseEqual(dw1, dw2, "dW");
        TestData.AssertBitwiseEqual(db1, db2, "dBias");
    }

    /// <summary>PyTorch's source coordinate of output index <paramref name="o"/>, written out per mode.</summary>
    private static double Source(int o, int inSize, int scale, bool alignCorners) => alignCorners
        ? (inSize * scale > 1 ? o * (inSize - 1.0) / (inSize * scale - 1.0) : 0)
        : Math.Max(0, (o + 0.5) / scale - 0.5);

    private static double[] UpsampleReference(double[] x, int planes, int h, int w, int sh, int sw, bool bilinear, bool alignCorners)
    {
        int oh = h * sh, ow = w * sw;
        var y = new double[planes * oh * ow];
        for (int p = 0; p < planes; p++)
        for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
        {
            double value;
            if (!bilinear) value = x[(p * h + i / sh) * w + j / sw];
            else
            {
                double sy = Source(i, h, sh, alignCorners), sx = Source(j, w, sw, alignCorners);
                int y0 = (int)Math.Floor(sy), x0 = (int)Math.Floor(sx);
                int y1 = Math.Min(y0 + 1, h - 1), x1 = Math.Min(x0 + 1, w - 1);
                double ly = sy - y0, lx = sx - x0;
                double At(int r, int c) => x[(p * h + r) * w + c];
                value = (1 - ly) * ((1 - lx) * At(y0, x0) + lx * At(y0, x1)) + ly * ((1 - lx) * At(y1, x0) + lx * At(y1, x1));
            }
            y[(p * oh + i) * ow + j] = value;
        }
        return y;
    }

    private static double[] UpsampleForward(double[] x, int planes, int h, int w, int sh, int sw, bool bilinear, bool alignCorners)
    {
        var y = new double[planes * h * sh * w * sw];
        fixed (double* px = x, py = y)
        {
            if (bilinear) UpsampleKernels.BilinearForward(px, py, planes, h, w, sh, sw, alignCorners);
            else UpsampleKernels.NearestForward(px, py, planes, h, w, sh, sw);
        }
        return y;
    }

    [Theory]
    [InlineData(3, 3, 5, 2, 2, false, false)]
    [InlineData(2, 5, 3, 3, 1, false, false)]
    [InlineData(3, 3, 5, 2, 3, true, false)]
    [InlineData(2, 5, 3, 3, 2, true, true)]
    [InlineData(2, 1, 4, 3, 1, true, true)]   // one row: every output row reads it
    [InlineData(1, 4, 4, 1, 1, true, false)]  // scale 1 is the identity
    public void Upsample_MatchesDefinitionAndCentralDifferences(int planes, int h, int w, int sh, int sw, bool bilinear, bool alignCorners)
    {
        double[] x = GradCheck.Normal(planes * h * w, 11);
        var y = UpsampleForward(x, planes, h, w, sh, sw, bilinear, alignCorners);
        GradCheck.AssertClose(UpsampleReference(x, planes, h, w, sh, sw, bilinear, alignCorners), y, 1e-12, "y");
        if (sh == 1 && sw == 1) GradCheck.AssertClose(x, y, 0, "identity");

        double[] r = GradCheck.Normal(y.Length, 12);
        double[] dx = GradCheck.Gradient(x.Length);
        fixed (double* pr = r, pdx = dx)
        {
            if (bilinear) UpsampleKernels.BilinearBackward(pr, pdx, planes, h, w, sh, sw, alignCorners);
            else UpsampleKernels.NearestBackward(pr, pdx, planes, h, w, sh, sw);
            // No input gradient: nothing to do, nothing to crash on.
            if (bilinear) UpsampleKernels.BilinearBackward<double>(pr, null, planes, h, w, sh, sw, alignCorners);
            else UpsampleKernels.NearestBackward<double>(pr, null, planes, h, w, sh, sw);
        }
        GradCheck.Check("dx", x, dx, () => GradCheck.Dot(UpsampleForward(x, planes, h, w, sh, sw, bilinear, alignCorners), r));
    }
}
