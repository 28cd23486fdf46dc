using System;
using System.Linq;
using ModelGen.Compute;
using ModelGen.Cuda.Tests.Emulation;
using Xunit;
using static ModelGen.Cuda.Tests.CpuComparison;

namespace ModelGen.Cuda.Tests;

/// <summary>
/// The GEMM template in each precision, on the host emulation (the tensor-core instructions emulated from
/// the PTX ISA's fragment layouts and rounding rules): float32 matches a double reference; TF32 and BF16
/// match a reference whose inputs are rounded the way the hardware rounds them, and differ from the
/// unrounded one (so the mode really computes in reduced precision, with every fragment element in place).
/// </summary>
[Collection(EmulatorCollection.Name)]
public class EmulatedGemmTests
{
    private const string Source = """
        #include "modelgen.cuh"
        extern "C" { __device__ float* modelgen_buffers[1]; }

        // layout: bit 0 = A stored transposed (K×M), bit 1 = B stored transposed (N×K).
        extern "C" __global__ void __launch_bounds__(mg::kThreads) product(const float* a, const float* b, float* c, int m, int n, int k, int layout)
        {
            mg::StoreEpilogue<false> store{c, n};
            switch (layout)
            {
                case 0: mg::gemm<false, false>(a, b, m, n, k, store); break;
                case 1: mg::gemm<true, false>(a, b, m, n, k, store); break;
                case 2: mg::gemm<false, true>(a, b, m, n, k, store); break;
                default: mg::gemm<true, true>(a, b, m, n, k, store); break;
            }
        }

        extern "C" __global__ void __launch_bounds__(mg::kThreads) dense_relu(const float* x, const float* w, const float* bias, float* pre, float* y, int m, int n, int k)
        {
            mg::gemm<false, false>(x, w, m, n, k, mg::BiasActivationEpilogue<mg::Act::ReLU>{bias, pre, y, n, 0.0f});
        }
        """;

    // 70×70 is four 64×64 tiles (three blocks: the grid-stride loop runs), K = 45 ends inside a 16-deep slab.
    private const int M = 70, N = 70, K = 45;

    /// <summary>The value a tensor core multiplies: TF32 rounds to nearest with ties away from zero, bfloat16 to nearest even.</summary>
    private static double Rounded(float v, MatMulPrecision precision)
    {
        uint bits = BitConverter.SingleToUInt32Bits(v);
        return precision switch
        {
            MatMulPrecision.TF32 => BitConverter.UInt32BitsToSingle((bits + 0x1000u) & 0xffffe000u),
            MatMulPrecision.BF16 => BitConverter.UInt32BitsToSingle(((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16) << 16),
            _ => v,
        };
    }

    /// <summary>Σₖ op(A)[i,k]·op(B)[k,j] in double with the inputs as the mode sees them, and Σₖ |…| (the scale of its rounding error).</summary>
    private static (double[] Value, double[] Magnitude) Reference(float[] a, float[] b, bool transA, bool transB, MatMulPrecision precision)
    {
        var value = new double[M * N];
        var magnitude = new double[M * N];
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
                for (int k = 0; k < K; k++)
                {
                    double p = Rounded(transA ? a[k * M + i] : a[i * K + k], precision) * Rounded(transB ? b[j * K + k] : b[k * N + j], precision);
                    value[i * N + j] += p;
                    magnitude[i * N + j] += Math.Abs(p);
                }
        return (value, magnitude);
    }

    public static TheoryData<MatMulPrecision, int> Cases()
    {
        var data = new TheoryData<MatMulPrecision, int>();
        foreach (var precision in new[] { MatMulPrecision.Float32, MatMulPrecision.TF32, MatMulPrecision.BF16 })
            for (int layout = 0; layout < 4; layout++) data.Add(precision, layout);
        return data;
    }

    [EmulatorTheory]
    [MemberData(nameof(Cases))]
    public void Product_MatchesTheReferenceOfItsPrecision(MatMulPrecision precision, int layout)
    {
        bool transA = (layout & 1) != 0, transB = (layout & 2) != 0;
        var a = Gaussian(M * K, 1 + layout);
        var b = Gaussian(K * N, 11 + layout);
        using var device = new EmulatedKernels(HostEmulator.Create(Source, "gemm", new CudaCompileOptions(precision)));
        ulong c = device.Zeros(M * N);
        device.Launch("product", 3, device.Put(a), device.Put(b), c, M, N, K, layout);
        var actual = device.Get(c, M * N);

        var (expected, magnitude) = Reference(a, b, transA, transB, precision);
        // Products of rounded inputs are exact in float32; what remains is float32 accumulation over K = 45 terms.
        for (int i = 0; i < actual.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-6 + 4e-6 * magnitude[i],
                $"{precision}, layout {layout}: C[{i / N}, {i % N}] = {actual[i]:G9}, expected {expected[i]:G9} (Σ|products| {magnitude[i]:G4})");

        if (precision == MatMulPrecision.Float32) return;
        // Reduced precision must show: the largest deviation from the unrounded product is far above float32 rounding.
        var (exact, _) = Reference(a, b, transA, transB, MatMulPrecision.Float32);
        double worst = Enumerable.Range(0, actual.Length).Max(i => Math.Abs(actual[i] - exact[i]) / magnitude[i]);
        double expectedScale = precision == MatMulPrecision.TF32 ? 1.0 / 2048 : 1.0 / 256;   // one unit of the input's last bit
        Assert.InRange(worst, expectedScale / 50, expectedScale);
    }

    [EmulatorTheory]
    [InlineData(MatMulPrecision.Float32)]
    [InlineData(MatMulPrecision.TF32)]
    [InlineData(MatMulPrecision.BF16)]
    public void BiasActivationEpilogue_AppliesOnEveryPath(MatMulPrecision precision)
    {
        var x = Gaussian(M * K, 21);
        var w = Gaussian(K * N, 22);
        var bias = Gaussian(N, 23);
        using var device = new EmulatedKernels(HostEmulator.Create(Source, "gemm", new CudaCompileOptions(precision)));
        ulong pre = device.Zeros(M * N), y = device.Zeros(M * N);
        device.Launch("dense_relu", 3, device.Put(x), device.Put(w), device.Put(bias), pre, y, M, N, K);
        var preActivation = device.Get(pre, M * N);
        var output = device.Get(y, M * N);

        var (expected, magnitude) = Reference(x, w, false, false, precision);
        for (int i = 0; i < output.Length; i++)
        {
            double z = expected[i] + bias[i % N];
            Assert.True(Math.Abs(preActivation[i] - z) <= 1e-6 + 4e-6 * (magnitude[i] + Math.Abs(bias[i % N])), $"{precision}: pre[{i}] = {preActivation[i]:G9}, expected {z:G9}");
            Assert.Equal(Math.Max(preActivation[i], 0f), output[i]);
        }
    }
}
