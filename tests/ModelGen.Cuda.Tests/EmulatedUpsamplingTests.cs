using System;
using System.Collections.Generic;
using System.Linq;
using ModelGen.Cpu;
using ModelGen.Cuda.Tests.Emulation;
using Xunit;
using static ModelGen.Cuda.Tests.CpuComparison;

namespace ModelGen.Cuda.Tests;

/// <summary>
/// The transposed-convolution and upsampling templates (kernels/conv_transpose.cuh, kernels/upsample.cuh) on the host
/// emulation against the CPU kernels (<see cref="ConvTransposeKernels"/>, <see cref="UpsampleKernels"/>) over odd
/// geometries the generated models do not all reach: strides 1–3, padding that trims, output padding below the stride or
/// below the dilation, groups, a 1×1 input, scale 1 on one axis, corner-aligned bilinear of a single row. Gradients start
/// from random values on both sides, so the templates must add, not overwrite. The generated models using these layers
/// are compared with the CPU end to end in <see cref="EmulatedGraphTests"/>.
/// </summary>
[Collection(EmulatorCollection.Name)]
public unsafe class EmulatedUpsamplingTests
{
    // Sums of a few dozen float32 products in another order: outputs and data gradients agree to a few ulps of their
    // terms; weight gradients sum batch·pixels products, so they get more relative room.
    private static readonly (double Atol, double Rtol) Values = (2e-6, 1e-5), WeightGradients = (1e-5, 1e-4);

    private const int Batch = 3;

    /// <summary>(in channels, height, width, out channels, kernel, stride, padding, output padding, dilation, groups, bias).</summary>
    public static IEnumerable<object[]> TransposedGeometries() => new[]
    {
        new object[] { 4, 3, 5, 6, 3, 2, 1, 1, 1, 2, true },    // stride 2, output padding 1, two groups
        new object[] { 3, 4, 2, 2, 2, 3, 0, 2, 2, 1, false },   // stride 3, dilation 2, output padding 2, no bias
        new object[] { 6, 2, 3, 3, 3, 1, 2, 1, 2, 3, true },    // stride 1: output padding 1 below the dilation 2; padding trims; three groups
        new object[] { 2, 1, 1, 4, 4, 2, 1, 0, 1, 1, true },    // a 1×1 input
    };

    private static readonly (int C, int H, int W, int K, int S, int P, int OP, int D, int G, int OC)[] Transposed =
        TransposedGeometries().Select(r => ((int)r[0], (int)r[1], (int)r[2], (int)r[4], (int)r[5], (int)r[6], (int)r[7], (int)r[8], (int)r[9], (int)r[3])).ToArray();

    /// <summary>(channels, height, width, scale height, scale width, bilinear, align corners).</summary>
    public static TheoryData<int, int, int, int, int, bool, bool> UpsampleGeometries() => new()
    {
        { 2, 3, 5, 2, 3, false, false },   // nearest, unequal factors
        { 1, 1, 4, 3, 1, false, false },   // nearest, one row, width kept
        { 2, 3, 5, 2, 3, true, false },    // bilinear, pixel centres
        { 2, 4, 3, 3, 2, true, true },     // bilinear, corners aligned
        { 1, 1, 3, 4, 2, true, true },     // corners aligned with a single input row (every output row reads it)
        { 3, 2, 1, 1, 4, true, false },    // bilinear with scale 1 down and a single column across
    };

    private static readonly (int C, int H, int W, int SH, int SW, bool Bilinear, bool Align)[] Upsampled =
        UpsampleGeometries().Select(r => ((int)r[0], (int)r[1], (int)r[2], (int)r[3], (int)r[4], (bool)r[5], (bool)r[6])).ToArray();

    private static readonly string Source = "#include \"modelgen.cuh\"\nextern \"C\" { __device__ float* modelgen_buffers[1]; }\n"
        + string.Concat(Transposed.Select((g, k) => $$"""

            using Transposed{{k}} = mg::ConvTransposeShape<{{g.C}}, {{g.H}}, {{g.W}}, {{g.OC}}, {{g.K}}, {{g.S}}, {{g.P}}, {{g.OP}}, {{g.D}}, {{g.G}}>;
            extern "C" __global__ void __launch_bounds__(mg::kThreads) transposed{{k}}_forward(const float* x, const float* w, const float* bias, float* pre, float* y, int batch)
            {
                mg::conv_transpose2d_forward<Transposed{{k}}, mg::Act::Tanh>(x, w, bias, pre, y, batch, 0.0f);
            }
            extern "C" __global__ void __launch_bounds__(mg::kThreads) transposed{{k}}_data(const float* w, const float* dy, float* dx, int batch)
            {
                mg::conv_transpose2d_backward_data<Transposed{{k}}>(w, dy, dx, batch);
            }
            extern "C" __global__ void __launch_bounds__(mg::kThreads) transposed{{k}}_parameters(const float* x, const float* dy, float* dw, float* db, int batch)
            {
                mg::conv_transpose2d_backward_parameters<Transposed{{k}}>(x, dy, dw, db, batch);
            }

            """))
        + string.Concat(Upsampled.Select((g, k) => $$"""

            using Upsampled{{k}} = mg::UpsampleShape<{{g.C}}, {{g.H}}, {{g.W}}, {{g.SH}}, {{g.SW}}, {{(g.Align ? "true" : "false")}}>;
            extern "C" __global__ void __launch_bounds__(mg::kThreads) upsampled{{k}}_forward(const float* x, float* y, int batch)
            {
                mg::upsample_{{(g.Bilinear ? "bilinear" : "nearest")}}_forward<Upsampled{{k}}>(x, y, batch);
            }
            extern "C" __global__ void __launch_bounds__(mg::kThreads) upsampled{{k}}_backward(const float* dy, float* dx, int batch)
            {
                mg::upsample_{{(g.Bilinear ? "bilinear" : "nearest")}}_backward<Upsampled{{k}}>(dy, dx, batch);
            }

            """));

    private static HostEmulator Emulator() => HostEmulator.Create(Source, "upsampling-templates");

    [EmulatorTheory]
    [MemberData(nameof(TransposedGeometries))]
    public void ConvTranspose2d_MatchesTheCpuKernels(int inChannels, int height, int width, int outChannels, int kernel, int stride, int padding,
        int outputPadding, int dilation, int groups, bool bias)
    {
        int k = Array.IndexOf(Transposed, (inChannels, height, width, kernel, stride, padding, outputPadding, dilation, groups, outChannels));
        var shape = new ConvTranspose2dShape(Batch, inChannels, height, width, outChannels, kernel, kernel, stride, stride, padding, padding,
            outputPadding, outputPadding, dilation, dilation, groups);
        int inputs = Batch * inChannels * height * width, outputs = Batch * outChannels * shape.OutHeight * shape.OutWidth, weights = (int)shape.WeightCount;
        var x = Gaussian(inputs, 1);
        var w = Gaussian(weights, 2, 0.5);
        var b = bias ? Gaussian(outChannels, 3) : null;
        var dy = Gaussian(outputs, 4);
        float[] dx = Gaussian(inputs, 5), dw = Gaussian(weights, 6), db = Gaussian(outChannels, 7);

        // The CPU: pre-activation forward, then the three gradients added to the same starting values.
        var pre = new float[outputs];
        float[] cpuDx = (float[])dx.Clone(), cpuDw = (float[])dw.Clone(), cpuDb = (float[])db.Clone();
        var workspace = new float[ConvTransposeKernels.WorkspaceSize(shape)];
        fixed (float* px = x, pw = w, pb = b, ppre = pre, pdy = dy, pdx = cpuDx, pdw = cpuDw, pdb = cpuDb, pws = workspace)
        {
            ConvTransposeKernels.Forward(shape, px, pw, pb, ppre, pws);
            ConvTransposeKernels.Backward(shape, px, pw, pdy, pdx, pdw, bias ? pdb : null, pws);
        }

        using var device = new EmulatedKernels(Emulator());
        ulong gx = device.Put(x), gw = device.Put(w), gb = bias ? device.Put(b!) : 0, gpre = device.Zeros(outputs), gy = device.Zeros(outputs);
        ulong gdy = device.Put(dy), gdx = device.Put(dx), gdw = device.Put(dw), gdb = device.Put(db);
        device.Launch($"transposed{k}_forward", 2, gx, gw, gb, gpre, gy, Batch);
        device.Launch($"transposed{k}_data", 2, gw, gdy, gdx, Batch);
        device.Launch($"transposed{k}_parameters", 3, gx, gdy, gdw, bias ? gdb : 0UL, Batch);

        string what = $"ConvTranspose2d {inChannels}×{height}×{width} → {outChannels}×{shape.OutHeight}×{shape.OutWidth}";
        AssertClose($"{what}: pre-activation", pre, device.Get(gpre, outputs), Values);
        AssertClose($"{what}: tanh output", pre.Select(MathF.Tanh).ToArray(), device.Get(gy, outputs), Values);
        AssertClose($"{what}: input gradient", cpuDx, device.Get(gdx, inputs), Values);
        AssertClose($"{what}: weight gradient", cpuDw, device.Get(gdw, weights), WeightGradients);
        AssertClose($"{what}: bias gradient", bias ? cpuDb : db, device.Get(gdb, outChannels), WeightGradients);
    }

    [EmulatorTheory]
    [MemberData(nameof(UpsampleGeometries))]
    public void Upsample_MatchesTheCpuKernels(int channels, int height, int width, int scaleHeight, int scaleWidth, bool bilinear, bool alignCorners)
    {
        int k = Array.IndexOf(Upsampled, (channels, height, width, scaleHeight, scaleWidth, bilinear, alignCorners));
        long planes = (long)Batch * channels;
        int inputs = (int)planes * height * width, outputs = inputs * scaleHeight * scaleWidth;
        var x = Gaussian(inputs, 1);
        var dy = Gaussian(outputs, 2);
        var dx = Gaussian(inputs, 3);
        var y = new float[outputs];
        var cpuDx = (float[])dx.Clone();
        fixed (float* px = x, py = y, pdy = dy, pdx = cpuDx)
        {
            if (bilinear)
            {
                UpsampleKernels.BilinearForward(px, py, planes, height, width, scaleHeight, scaleWidth, alignCorners);
                UpsampleKernels.BilinearBackward(pdy, pdx, planes, height, width, scaleHeight, scaleWidth, alignCorners);
            }
            else
            {
                UpsampleKernels.NearestForward(px, py, planes, height, width, scaleHeight, scaleWidth);
                UpsampleKernels.NearestBackward(pdy, pdx, planes, height, width, scaleHeight, scaleWidth);
            }
        }

        using var device = new EmulatedKernels(Emulator());
        ulong gx = device.Put(x), gy = device.Zeros(outputs), gdy = device.Put(dy), gdx = device.Put(dx);
        device.Launch($"upsampled{k}_forward", 2, gx, gy, Batch);
        device.Launch($"upsampled{k}_backward", 2, gdy, gdx, Batch);

        string what = $"Upsample {(bilinear ? "bilinear" : "nearest")}{(alignCorners ? " aligned" : "")} {height}×{width} by {scaleHeight}×{scaleWidth}";
        AssertClose($"{what}: output", y, device.Get(gy, outputs), Values);
        AssertClose($"{what}: input gradient", cpuDx, device.Get(gdx, inputs), Values);
        // Every input value must have received gradient: a reader range that misses outputs would leave it as it started.
        Assert.All(Enumerable.Range(0, inputs), i => Assert.NotEqual(dx[i], cpuDx[i]));
    }
}
