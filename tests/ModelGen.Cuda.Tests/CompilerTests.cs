using System;
using System.IO;
using System.Linq;
using ModelGen.Cuda;
using Xunit;

namespace ModelGen.Cuda.Tests;

/// <summary>The NVRTC wrapper: errors carry the NVRTC name and log; the on-disk cache hits and misses when it should.</summary>
public class CompilerTests : IDisposable
{
    private readonly string _cacheDirectory = Path.Combine(Path.GetTempPath(), "modelgen-cache-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_cacheDirectory)) Directory.Delete(_cacheDirectory, recursive: true);
    }

    private const string Good = """
        #include "common.cuh"
        extern "C" __global__ void scale(float* x, int n) { for (long long i = mg::global_thread(); i < n; i += mg::grid_threads()) x[i] *= 2.0f; }
        """;

    [NvrtcFact]
    public void BadSource_ThrowsNvrtcExceptionWithTheLogLine()
    {
        const string bad = "extern \"C\" __global__ void broken(float* x)\n{\n    x[0] = undeclared_name;\n}\n";
        var e = Assert.Throws<NvrtcException>(() => NvrtcCompiler.Compile(bad, "broken.cu", 80, CudaImageKind.Cubin));
        Assert.Equal(NvrtcResult.Compilation, e.Result);
        Assert.Equal("NVRTC_ERROR_COMPILATION", e.ErrorName);
        Assert.Equal("nvrtcCompileProgram", e.Function);
        Assert.Contains("broken.cu(3)", e.Log);              // file and line of the mistake
        Assert.Contains("undeclared_name", e.Log);
        Assert.Contains("NVRTC_ERROR_COMPILATION", e.Message);
        Assert.Contains("undeclared_name", e.Message);       // the log is in the message, not only in a property
    }

    [NvrtcFact]
    public void UnknownArchitecture_ThrowsInvalidOption()
    {
        var e = Assert.Throws<NvrtcException>(() => NvrtcCompiler.Compile(Good, "good.cu", 7, CudaImageKind.Cubin));
        Assert.Equal(NvrtcResult.InvalidOption, e.Result);
        Assert.Equal("NVRTC_ERROR_INVALID_OPTION", e.ErrorName);
    }

    [NvrtcFact]
    public void Warnings_StayInTheLogOfASuccessfulCompile()
    {
        const string warns = "extern \"C\" __global__ void unused(float* x) { int never_used = 3; x[0] = 1.0f; }";
        var compiled = NvrtcCompiler.Compile(warns, "warns.cu", 80, CudaImageKind.Cubin);
        Assert.Contains("never_used", compiled.Log);
        Assert.Contains("warning", compiled.Log);
        Assert.NotEmpty(compiled.Image);
    }

    [NvrtcFact]
    public void SecondCompile_HitsTheCache_AndTheKeyChangesWithArchitectureAndSource()
    {
        var cache = new KernelCache(_cacheDirectory);
        var first = NvrtcCompiler.Compile(Good, "good.cu", 80, CudaImageKind.Cubin, cache: cache);
        Assert.False(first.FromCache);
        Assert.True(File.Exists(Path.Combine(_cacheDirectory, first.CacheKey + ".cubin")));

        var second = NvrtcCompiler.Compile(Good, "good.cu", 80, CudaImageKind.Cubin, cache: cache);
        Assert.True(second.FromCache);
        Assert.Equal(first.CacheKey, second.CacheKey);
        Assert.Equal(first.Image, second.Image);

        var otherArch = NvrtcCompiler.Compile(Good, "good.cu", 90, CudaImageKind.Cubin, cache: cache);
        Assert.False(otherArch.FromCache);
        Assert.NotEqual(first.CacheKey, otherArch.CacheKey);

        var otherSource = NvrtcCompiler.Compile(Good.Replace("2.0f", "3.0f"), "good.cu", 80, CudaImageKind.Cubin, cache: cache);
        Assert.False(otherSource.FromCache);
        Assert.NotEqual(first.CacheKey, otherSource.CacheKey);

        var ptx = NvrtcCompiler.Compile(Good, "good.cu", 80, CudaImageKind.Ptx, cache: cache);
        Assert.False(ptx.FromCache);
        Assert.NotEqual(first.CacheKey, ptx.CacheKey);
        Assert.Equal(4, Directory.GetFiles(_cacheDirectory, "*.*").Count(f => f.EndsWith(".cubin") || f.EndsWith(".ptx")));
    }

    [NvrtcFact]
    public void CachedLog_IsReturnedWithTheCachedImage()
    {
        var cache = new KernelCache(_cacheDirectory);
        const string warns = "extern \"C\" __global__ void unused(float* x) { int never_used = 3; x[0] = 1.0f; }";
        var first = NvrtcCompiler.Compile(warns, "warns.cu", 80, CudaImageKind.Cubin, cache: cache);
        var second = NvrtcCompiler.Compile(warns, "warns.cu", 80, CudaImageKind.Cubin, cache: cache);
        Assert.True(second.FromCache);
        Assert.Equal(first.Log, second.Log);
    }

    [Fact]
    public void CacheKey_DependsOnHeadersOptionsAndNvrtcVersion()
    {
        var headers = new[] { new System.Collections.Generic.KeyValuePair<string, string>("a.cuh", "int a;") };
        string key = KernelCache.Key("src", headers, new[] { "--gpu-architecture=sm_80" }, CudaImageKind.Cubin, 11, 8);
        Assert.Matches("^[0-9a-f]{64}$", key);
        Assert.Equal(key, KernelCache.Key("src", headers, new[] { "--gpu-architecture=sm_80" }, CudaImageKind.Cubin, 11, 8));
        Assert.NotEqual(key, KernelCache.Key("src", new[] { new System.Collections.Generic.KeyValuePair<string, string>("a.cuh", "int b;") }, new[] { "--gpu-architecture=sm_80" }, CudaImageKind.Cubin, 11, 8));
        Assert.NotEqual(key, KernelCache.Key("src", headers, new[] { "--gpu-architecture=sm_80", "-DMODELGEN_GEMM_TF32=1" }, CudaImageKind.Cubin, 11, 8));
        Assert.NotEqual(key, KernelCache.Key("src", headers, new[] { "--gpu-architecture=sm_80" }, CudaImageKind.Cubin, 12, 4));
    }

    [Fact]
    public void DefaultCache_FollowsTheEnvironmentVariable()
    {
        string? before = Environment.GetEnvironmentVariable(KernelCache.DirectoryVariable);
        try
        {
            Environment.SetEnvironmentVariable(KernelCache.DirectoryVariable, _cacheDirectory);
            Assert.Equal(_cacheDirectory, KernelCache.Default.Directory);
            Environment.SetEnvironmentVariable(KernelCache.DirectoryVariable, null);
            Assert.EndsWith(Path.Combine("ModelGen", "kernels"), KernelCache.Default.Directory);
        }
        finally
        {
            Environment.SetEnvironmentVariable(KernelCache.DirectoryVariable, before);
        }
    }

    [NvrtcFact]
    public void Nvrtc_ReportsItsVersionAndArchitectures()
    {
        Assert.True(NvrtcCompiler.IsAvailable(out string message), message);
        Assert.StartsWith("NVRTC ", message);
        var (major, _) = NvrtcCompiler.Version;
        Assert.True(major >= 11, $"NVRTC {major}");
        var archs = NvrtcCompiler.SupportedArchitectures();
        Assert.Contains(80, archs);
        Assert.Contains(90, archs);
    }

    [Fact]
    public void LibraryNames_CoverCuda11To13AndWindows()
    {
        var nvrtc = NativeLibraries.Candidates(NativeLibraries.Nvrtc);
        var driver = NativeLibraries.Candidates(NativeLibraries.Driver);
        if (OperatingSystem.IsWindows())
        {
            Assert.Contains("nvrtc64_120_0.dll", nvrtc);
            Assert.Equal(new[] { "nvcuda.dll" }, driver);
        }
        else
        {
            Assert.Equal(new[] { "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so" }, nvrtc.Where(n => !n.Contains('/')).TakeLast(4));
            Assert.Equal("libcuda.so.1", driver[0]);
        }
        Assert.Contains("MODELGEN_NVRTC_PATH", NativeLibraries.NotFoundMessage(NativeLibraries.Nvrtc));
    }
}
