using System;
using System.Linq;

namespace ModelGen.Cuda;

/// <summary>
/// What <see cref="CudaGraph"/> needs from a device: memory, the compiled module's kernels and its
/// buffer table, and launches. <see cref="CudaModuleBackend"/> is the GPU; the tests plug in a host
/// emulation of the same kernels, so the graph's orchestration is checked on machines without a GPU.
/// </summary>
internal unsafe interface IKernelBackend : IDisposable
{
    /// <summary>A description of the device.</summary>
    string Name { get; }

    /// <summary>The compiled module, when it came from NVRTC.</summary>
    CompiledKernels? Kernels { get; }

    /// <summary>Allocates device memory, freed with the backend.</summary>
    ulong Allocate(long bytes);

    /// <summary>Copies host values to the device and waits.</summary>
    void Upload<T>(ulong destination, ReadOnlySpan<T> source) where T : unmanaged;

    /// <summary>Copies device values to the host and waits.</summary>
    void Download<T>(Span<T> destination, ulong source) where T : unmanaged;

    /// <summary>Zeroes <paramref name="count"/> 4-byte words.</summary>
    void Fill(ulong destination, long count);

    /// <summary>A kernel of the module by its extern "C" name.</summary>
    nint Function(string name);

    /// <summary>Address and size of a global variable of the module.</summary>
    (ulong Pointer, long Bytes) Global(string name);

    /// <summary>Queues a launch of <paramref name="blocks"/> × <paramref name="threads"/>; one pointer per kernel parameter.</summary>
    void Launch(nint function, uint blocks, uint threads, void** arguments);

    /// <summary>Waits for all queued work.</summary>
    void Synchronize();
}

/// <summary>A GPU: its primary context and the model's module, compiled by NVRTC (or loaded from the cache).</summary>
internal sealed unsafe class CudaModuleBackend : IKernelBackend
{
    private readonly CudaContext _context;
    private readonly nint _module;

    public CudaModuleBackend(int deviceOrdinal, CudaModelPlan plan, CudaCompileOptions options, KernelCache cache)
    {
        _context = new CudaContext(deviceOrdinal);
        try
        {
            Kernels = CompileFor(_context.Architecture, plan, options, cache);
            _module = _context.LoadModule(Kernels.Image);
        }
        catch
        {
            _context.Dispose();
            throw;
        }
    }

    public string Name => _context.Name;

    public CompiledKernels? Kernels { get; }

    /// <summary>CUBIN for the GPU's architecture; PTX for the newest architecture NVRTC knows when it does not know the GPU's.</summary>
    private static CompiledKernels CompileFor(int architecture, CudaModelPlan plan, CudaCompileOptions options, KernelCache cache)
    {
        string name = plan.ModelName + ".cu";
        var supported = NvrtcCompiler.SupportedArchitectures();
        if (supported.Contains(architecture))
            return NvrtcCompiler.Compile(plan.Source, name, architecture, CudaImageKind.Cubin, options, cache);
        int newest = 0;
        foreach (int a in supported) if (a <= architecture && a > newest) newest = a;
        if (newest == 0) throw new NotSupportedException($"NVRTC {NvrtcCompiler.Version} cannot target sm_{architecture} or any older architecture.");
        return NvrtcCompiler.Compile(plan.Source, name, newest, CudaImageKind.Ptx, options, cache);   // the driver JIT-compiles it for the GPU
    }

    public ulong Allocate(long bytes) => _context.Allocate(bytes);
    public void Upload<T>(ulong destination, ReadOnlySpan<T> source) where T : unmanaged => _context.Upload(destination, source);
    public void Download<T>(Span<T> destination, ulong source) where T : unmanaged => _context.Download(destination, source);
    public void Fill(ulong destination, long count) => _context.Fill(destination, count);
    public nint Function(string name) => CudaContext.Function(_module, name);
    public (ulong Pointer, long Bytes) Global(string name) => CudaContext.Global(_module, name);
    public void Launch(nint function, uint blocks, uint threads, void** arguments) => _context.Launch(function, blocks, threads, arguments);
    public void Synchronize() => _context.Synchronize();
    public void Dispose() => _context.Dispose();
}
