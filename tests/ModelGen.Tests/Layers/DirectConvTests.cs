using System;
using System.Numerics;
using ModelGen.Cpu;
using ModelGen.Tests.Cpu;
using Xunit;

namespace ModelGen.Tests.Layers;

/// <summary>
/// The direct stride-1 convolution against the im2col + GEMM path it replaces: the forward pass must give the same
/// bits, the gradients the same values to rounding, on odd batches, channel counts and widths that are no multiple
/// of a vector, at both vector widths and for any thread count.
/// </summary>
public unsafe class DirectConvTests
{
    // batch, inC, H, W, outC, KH, KW, padTop, padBottom, padLeft, padRight, dilH, dilW, groups
    public static TheoryData<int[]> Geometries => new()
    {
        new[] { 7, 1, 28, 28, 6, 5, 5, 2, 2, 2, 2, 1, 1, 1 },     // LeNet's first convolution, odd batch
        new[] { 1, 6, 14, 14, 16, 5, 5, 0, 0, 0, 0, 1, 1, 1 },    // LeNet's second, one sample
        new[] { 33, 3, 9, 13, 7, 3, 3, 1, 0, 2, 1, 1, 1, 1 },     // asymmetric padding, 7 outputs (a partial tile)
        new[] { 2, 5, 11, 7, 5, 3, 2, 0, 2, 1, 0, 2, 3, 1 },      // dilation, 5 outputs
        new[] { 3, 4, 6, 17, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2 },      // groups, width 17
        new[] { 2, 11, 7, 9, 9, 5, 5, 2, 2, 2, 2, 1, 1, 1 },      // 275 taps: the chain restarts after 256
        new[] { 5, 3, 1, 37, 2, 1, 4, 0, 0, 1, 2, 1, 2, 1 },      // 1-D, one output row
        new[] { 1, 2, 3, 3, 1, 5, 5, 2, 2, 2, 2, 1, 1, 1 },       // kernel larger than the input
        // Whole vectors of output channels on short planes: the weight gradient with channels in the lanes.
        new[] { 33, 3, 9, 13, 16, 3, 3, 1, 0, 2, 1, 1, 1, 1 },    // 27 taps (a partial tile of eight)
        new[] { 7, 6, 14, 14, 16, 5, 5, 0, 0, 0, 0, 1, 1, 1 },    // LeNet's second convolution
        new[] { 3, 4, 6, 17, 64, 3, 3, 1, 1, 1, 1, 1, 1, 2 },     // groups of 32 channels, width 17
        new[] { 2, 5, 11, 7, 32, 3, 2, 0, 2, 1, 0, 2, 3, 1 },     // dilation
    };

    private static Conv2dShape Shape(int[] g) =>
        new(g[0], g[1], g[2], g[3], g[4], g[5], g[6], 1, 1, g[7], g[8], g[9], g[10], g[11], g[12], g[13]);

    private static T[][] Run<T>(in Conv2dShape s, T[] x, T[] w, T[] b, T[] r, bool direct, int width, int threads, bool inputGradient = true, bool anyPlane = true)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool savedDisabled = DirectConv.Disabled, savedAnyPlane = DirectConv.GradientOnAnyPlane;
        int savedWidth = GemmCore.ForcedWidth, savedThreads = CpuParallel.ThreadCount;
        try
        {
            DirectConv.Disabled = !direct;
            DirectConv.GradientOnAnyPlane = direct && anyPlane;
            GemmCore.ForcedWidth = width;
            CpuParallel.ThreadCount = threads;
            CpuParallel.ResetStallBackoff();
            T[] y = new T[s.OutputElements], dx = new T[x.Length], dw = new T[w.Length], db = new T[b.Length];
            var ws = new T[ConvKernels.WorkspaceSize(s)];
            Array.Fill(ws, T.NaN);   // scratch contents must never leak into results
            fixed (T* px = x, pw = w, pb = b, py = y, pr = r, pdx = dx, pdw = dw, pdb = db, pws = ws)
            {
                ConvKernels.Forward(s, px, pw, pb, py, pws);
                ConvKernels.Backward(s, px, pw, pr, inputGradient ? pdx : null, pdw, pdb, pws);
            }
            return new[] { y, dx, dw, db };
        }
        finally
        {
            DirectConv.Disabled = savedDisabled;
            DirectConv.GradientOnAnyPlane = savedAnyPlane;
            GemmCore.ForcedWidth = savedWidth;
            CpuParallel.ThreadCount = savedThreads;
        }
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Float_MatchesTheIm2colPath(int[] geometry)
    {
        var s = Shape(geometry);
        Assert.NotEqual(0, DirectConv.Width<float>(in s, backward: false));
        float[] x = TestData.Random<float>((int)s.InputElements, 1), w = TestData.Random<float>((int)s.WeightCount, 2);
        float[] b = TestData.Random<float>(s.OutChannels, 3), r = TestData.Random<float>((int)s.OutputElements, 4);
        float[][] reference = Run(in s, x, w, b, r, direct: false, width: 0, threads: 1);
        int taps = s.InChannelsPerGroup * s.KernelHeight * s.KernelWidth;
        foreach (int width in new[] { 512, 256 })
        foreach (bool anyPlane in new[] { true, false })
        {
            string label = $"{width} bits, {(anyPlane ? "over positions" : "automatic")}";
            float[][] direct = Run(in s, x, w, b, r, direct: true, width, threads: 1, anyPlane: anyPlane);
            TestData.AssertBitwiseEqual(reference[0], direct[0], $"y ({label})");
            TestData.AssertBitwiseEqual(reference[1], direct[1], $"dx ({label})");
            TestData.AssertBitwiseEqual(reference[3], direct[3], $"dBias ({label})");
            // The weight gradient sums over pixels in another order: the same value up to rounding.
            double tolerance = 1e-6 * (s.Batch * s.OutHeight * s.OutWidth + taps);
            GradCheck.AssertClose(Array.ConvertAll(reference[2], v => (double)v), Array.ConvertAll(direct[2], v => (double)v), tolerance, $"dW ({label})");
        }
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Double_WeightGradientMatchesTheIm2colPath(int[] geometry)
    {
        var s = Shape(geometry);
        double[] x = TestData.Random<double>((int)s.InputElements, 5), w = TestData.Random<double>((int)s.WeightCount, 6);
        double[] b = TestData.Random<double>(s.OutChannels, 7), r = TestData.Random<double>((int)s.OutputElements, 8);
        double[][] reference = Run(in s, x, w, b, r, direct: false, width: 0, threads: 1);
        foreach (bool anyPlane in new[] { true, false })
        {
            double[][] direct = Run(in s, x, w, b, r, direct: true, width: 0, threads: 1, anyPlane: anyPlane);
            TestData.AssertBitwiseEqual(reference[0], direct[0], "y");
            TestData.AssertBitwiseEqual(reference[1], direct[1], "dx");
            GradCheck.AssertClose(reference[2], direct[2], 1e-12 * (s.Batch * s.OutHeight * s.OutWidth), "dW");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(33)]
    public void SameBitsForAnyThreadCount(int batch)
    {
        var s = new Conv2dShape(batch, 6, 14, 15, 16, 5, 5, padTop: 1, padBottom: 0, padLeft: 2, padRight: 1);
        float[] x = TestData.Random<float>((int)s.InputElements, 9), w = TestData.Random<float>((int)s.WeightCount, 10);
        float[] b = TestData.Random<float>(s.OutChannels, 11), r = TestData.Random<float>((int)s.OutputElements, 12);
        foreach (bool anyPlane in new[] { true, false })
        {
            float[][] one = Run(in s, x, w, b, r, direct: true, width: 0, threads: 1, anyPlane: anyPlane);
            foreach (int threads in new[] { 2, 3, 7 })
            {
                float[][] many = Run(in s, x, w, b, r, direct: true, width: 0, threads, anyPlane: anyPlane);
                for (int i = 0; i < one.Length; i++) TestData.AssertBitwiseEqual(one[i], many[i], $"output {i}, {threads} threads");
            }
        }
    }

    [Fact]
    public void WithoutInputGradient_SameWeightGradient()
    {
        var s = new Conv2dShape(5, 1, 28, 28, 6, 5, 5, padTop: 2, padBottom: 2, padLeft: 2, padRight: 2);
        float[] x = TestData.Random<float>((int)s.InputElements, 13), w = TestData.Random<float>((int)s.WeightCount, 14);
        float[] b = TestData.Random<float>(s.OutChannels, 15), r = TestData.Random<float>((int)s.OutputElements, 16);
        float[][] with = Run(in s, x, w, b, r, direct: true, width: 0, threads: 2);
        float[][] without = Run(in s, x, w, b, r, direct: true, width: 0, threads: 2, inputGradient: false);
        TestData.AssertBitwiseEqual(with[2], without[2], "dW");
        TestData.AssertBitwiseEqual(with[3], without[3], "dBias");
        Assert.All(without[1], v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Im2colPathRemainsFor_StridesWideLayersAndShortGradientPlanes()
    {
        Assert.Equal(0, DirectConv.Width<float>(new Conv2dShape(1, 3, 9, 9, 4, 3, 3, strideHeight: 1, strideWidth: 2), backward: false));
        Assert.Equal(0, DirectConv.Width<float>(new Conv2dShape(1, 3, 9, 9, 65, 3, 3), backward: false));
        // A short plane whose channels do not fill whole vectors: too short for dot products over positions.
        var shortPlane = new Conv2dShape(1, 6, 14, 14, 12, 5, 5);
        Assert.NotEqual(0, DirectConv.Width<float>(in shortPlane, backward: false));
        Assert.Equal(0, DirectConv.Width<float>(in shortPlane, backward: true));
    }
}
