using System;
using System.Collections.Concurrent;
using ModelGen.Cuda;

namespace ModelGen.Cuda.Tests;

/// <summary>
/// NVRTC compiles of generated models, each done once per test run: several tests check the same
/// (source, architecture, options) image — e.g. the float32 image of a benchmark model is both "every model
/// compiles" and the baseline the tensor-core images must differ from — and a compile costs seconds.
/// </summary>
internal static class CompiledOnce
{
    private static readonly ConcurrentDictionary<(string Source, int Architecture, CudaImageKind Kind, CudaCompileOptions Options), Lazy<CompiledKernels>> Images = new();

    /// <summary>The image of <paramref name="plan"/>'s source for <paramref name="architecture"/>, compiled on first request.</summary>
    public static CompiledKernels Compile(CudaModelPlan plan, int architecture, CudaImageKind kind = CudaImageKind.Cubin, CudaCompileOptions? options = null)
    {
        options ??= CudaCompileOptions.Default;
        return Images.GetOrAdd((plan.Source, architecture, kind, options),
            key => new Lazy<CompiledKernels>(() => NvrtcCompiler.Compile(plan.Source, plan.ModelName + ".cu", key.Architecture, key.Kind, key.Options))).Value;
    }
}
