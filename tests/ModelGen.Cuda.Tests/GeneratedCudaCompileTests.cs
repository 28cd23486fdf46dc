using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using ModelGen.Cuda;
using Xunit;

namespace ModelGen.Cuda.Tests;

/// <summary>
/// Every generated model's CUDA translation unit compiles with NVRTC to CUBIN for sm_80 (A100) and
/// sm_90 (H100/H200) without a single error or warning. Runs on machines without a GPU.
/// </summary>
public class GeneratedCudaCompileTests
{
    /// <summary>The models with CUDA kernels (the CPU-only ones are checked by <see cref="OnlyTheCpuOnlyConstructs_LackCudaCode"/>).</summary>
    public static IEnumerable<object[]> Models() => GeneratedModels.All.Where(m => m.Plan.IsSupported).Select(m => new object[] { m.Name });

    public static readonly int[] Architectures = { 80, 90 };

    [NvrtcTheory]
    [MemberData(nameof(Models))]
    public void GeneratedSource_CompilesToCubinWithoutWarnings(string model)
    {
        var plan = GeneratedModels.Plan(model);
        Assert.True(plan.IsSupported, $"{model}: {plan.UnsupportedReason}");
        foreach (int arch in Architectures)
        {
            var compiled = CompiledOnce.Compile(plan, arch);
            Assert.True(compiled.Log.Length == 0, $"{model} for sm_{arch}: NVRTC reported\n{compiled.Log}");
            Assert.True(compiled.Image.Length > 1000, $"{model} for sm_{arch}: a CUBIN of {compiled.Image.Length} bytes");
            Assert.Equal(arch, compiled.Architecture);
        }
    }

    [NvrtcTheory]
    [InlineData("Bench.DigitsMlp")]
    [InlineData("Bench.MnistMlp")]
    [InlineData("Bench.LeNet5")]
    [InlineData("Bench.TinyTransformer")]
    [InlineData("Bench.WideDeep")]
    [InlineData("ModelGen.Tests.Models.ConvLstmNet")]    // the recurrent input projections and weight gradients are GEMMs too
    [InlineData("ModelGen.Tests.Models.SharedGruNet")]
    public void BenchmarkModels_CompileWithTensorCoreGemm(string model)
    {
        // The tensor-core paths (mma.sync) exist only for sm_80+: they must compile there as cleanly as the fp32 one,
        // and each must change the GEMM code (a precision option that compiles to the fp32 image would be silently ignored).
        var plan = GeneratedModels.Plan(model);
        foreach (int arch in Architectures)
        {
            var images = new System.Collections.Generic.Dictionary<MatMulPrecision, CompiledKernels>();
            foreach (var precision in new[] { MatMulPrecision.Float32, MatMulPrecision.TF32, MatMulPrecision.BF16 })
            {
                var compiled = CompiledOnce.Compile(plan, arch, CudaImageKind.Cubin, new CudaCompileOptions(precision));
                Assert.True(compiled.Log.Length == 0, $"{model} ({precision}) for sm_{arch}: NVRTC reported\n{compiled.Log}");
                images[precision] = compiled;
            }
            Assert.Equal(3, images.Values.Select(c => c.CacheKey).Distinct().Count());
            Assert.False(images[MatMulPrecision.Float32].Image.AsSpan().SequenceEqual(images[MatMulPrecision.TF32].Image), "the TF32 option must change the GEMM code");
            Assert.False(images[MatMulPrecision.Float32].Image.AsSpan().SequenceEqual(images[MatMulPrecision.BF16].Image), "the BF16 option must change the GEMM code");
            Assert.False(images[MatMulPrecision.TF32].Image.AsSpan().SequenceEqual(images[MatMulPrecision.BF16].Image), "TF32 and BF16 must differ");
        }
    }

    [Fact]
    public void TheBenchmarkAndSampleModels_AreFoundAndSupported()
    {
        var names = GeneratedModels.All.Select(m => m.Name).ToList();
        foreach (var expected in new[] { "Bench.DigitsMlp", "Bench.MnistMlp", "Bench.LeNet5", "Bench.TinyTransformer", "Bench.WideDeep", "Digits.DigitsMlp", "DigitsCnn.DigitsLeNet", "BreastCancer.TumourClassifier" })
        {
            Assert.Contains(expected, names);
            Assert.True(GeneratedModels.Plan(expected).IsSupported, $"{expected}: {GeneratedModels.Plan(expected).UnsupportedReason}");
        }
        Assert.True(names.Count >= 20, $"only {names.Count} models found");
    }

    /// <summary>
    /// The constructs with CPU kernels only for now (cross-attention, noise, loss terms): their models' plans say so,
    /// naming the construct, and no other model lacks CUDA code. The upsampling layers have CUDA kernels.
    /// </summary>
    [Fact]
    public void OnlyTheCpuOnlyConstructs_LackCudaCode()
    {
        var refused = GeneratedModels.All.Where(m => !m.Plan.IsSupported).ToDictionary(m => m.Name, m => m.Plan.UnsupportedReason!);
        string[] explanations =
        {
            @"^not supported on CUDA: layer '\w+' \(CrossAttention\): cross-attention has CPU kernels only",
            @"the loss terms of \[Forward\] \([\w, ]+\) are computed on the CPU only for now",
            @"Tensor\.RandomNormal \('\w+'\) draws its noise on the CPU only for now",
        };
        var unexplained = refused.Where(m => !explanations.Any(e => Regex.IsMatch(m.Value, e))).Select(m => $"{m.Key}: {m.Value}").ToList();
        Assert.True(unexplained.Count == 0, string.Join("\n", unexplained));
        foreach (var name in new[] { "TinySeq2Seq", "MaskedCrossNet", "LossTermNet", "ReparameterizedNet" })
            Assert.True(refused.ContainsKey("ModelGen.Tests.Models." + name), $"{name} should be CPU-only");
        Assert.Contains("the loss terms of [Forward] (kl, l1) are computed on the CPU only for now", refused["ModelGen.Tests.Models.LossTermNet"]);
        Assert.Contains("Tensor.RandomNormal ('noise_1') draws its noise on the CPU only for now", refused["ModelGen.Tests.Models.ReparameterizedNet"]);
        foreach (var name in new[] { "ModelGen.Tests.Models.MultiHeadNet", "ModelGen.Tests.Models.ImageAndMetaNet", "ModelGen.Tests.Models.ContrastiveNet" })
        {
            var plan = GeneratedModels.Plan(name);
            Assert.Null(plan.UnsupportedReason);
            Assert.Contains("modelgen_loss_mean", plan.Source);
        }
        // Transposed convolution and upsampling run on CUDA: every model with them has a plan that launches their kernels.
        var upsampling = new[] { "Models.ConvTransposeNet", "Models.UpsampleNet", "Models.TinyAutoencoder", "Interop.InteropConvTranspose", "Interop.InteropUpsample" };
        foreach (var name in upsampling.Select(n => "ModelGen.Tests." + n))
        {
            var plan = GeneratedModels.Plan(name);
            Assert.True(plan.IsSupported, $"{name}: {plan.UnsupportedReason}");
            Assert.Matches(@"mg::(conv_transpose2d|upsample_(nearest|bilinear))_forward<", plan.Source);
        }
    }

    [Fact]
    public void EveryLaunchNamesAKernelOfTheSource_AndTheSlotsMatchThePlan()
    {
        foreach (var (name, _, plan) in GeneratedModels.All.Where(m => m.Plan.IsSupported))
        {
            var kernels = Regex.Matches(plan.Source, @"__global__ void __launch_bounds__\(mg::kThreads\) (\w+)\(").Select(m => m.Groups[1].Value).ToHashSet();
            foreach (var launch in plan.Inference.Concat(plan.TrainingForward).Concat(plan.Loss).Concat(plan.Backward))
            {
                Assert.True(kernels.Contains(launch.Kernel), $"{name}: the plan launches '{launch.Kernel}', which the source does not define");
                Assert.True(launch.PerSample > 0 || launch.Fixed > 0, $"{name}: '{launch.Kernel}' has no work");
            }
            Assert.Contains("modelgen_adam", kernels);
            Assert.Contains("modelgen_sgd", kernels);
            Assert.Equal(new[] { "input", "targets", "parameters", "gradients", "state", "loss_rows", "loss", "moment1", "moment2" },
                plan.Buffers.Take(9).Select(b => b.Name));
            Assert.Equal("parameters", plan.Buffers[CudaModelPlan.ParametersSlot].Name);
            Assert.Equal(plan.ParameterCount, plan.Buffers[CudaModelPlan.ParametersSlot].Fixed);
            Assert.Equal(plan.OutputSize, plan.Buffers[plan.OutputSlot].PerSample);
            // The slot enumeration of the source lists the plan's buffers in the plan's order.
            var enumerated = Regex.Match(plan.Source, @"enum : int\n\{\n(.*?)\n    count\n\};", RegexOptions.Singleline).Groups[1].Value
                .Split('\n').Where(l => !l.Contains('=')).Select(l => l.Trim().Split(',')[0]).ToList();   // aliases (X = Y) take no slot
            Assert.Equal(plan.Buffers.Select(b => b.Name), enumerated);
            Assert.Contains(CudaModelPlan.GradientsSlot, plan.ClearBeforeBackward);
        }
    }

    [Fact]
    public void LaunchGrids_CoverTheWork()
    {
        var gemm = new CudaLaunch("k", PerSample: 128, Fixed: 0, ItemsPerBlock: 4096);
        Assert.Equal(2u, gemm.Blocks(64));           // 8,192 outputs = 2 tiles
        Assert.Equal(1u, gemm.Blocks(1));
        var fixedWork = new CudaLaunch("k", PerSample: 0, Fixed: 10, ItemsPerBlock: 1);
        Assert.Equal(10u, fixedWork.Blocks(1000));  // one block per channel, whatever the batch
        var huge = new CudaLaunch("k", PerSample: 1 << 20, Fixed: 0, ItemsPerBlock: 1);
        Assert.Equal((uint)CudaModelPlan.MaxBlocks, huge.Blocks(1 << 10));   // grid-stride loops cover the rest
    }
}
