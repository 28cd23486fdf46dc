using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;

namespace ModelGen.Cuda;

/// <summary>
/// One GPU's primary context and a stream: device memory, module loading and kernel launches
/// through the driver API. Every call is checked (<see cref="CudaException"/> names the CUDA error).
/// </summary>
public sealed unsafe class CudaContext : IDisposable
{
    private readonly int _device;
    private nint _context;
    private nint _stream;
    private readonly List<ulong> _allocations = new();
    private readonly List<nint> _modules = new();

    /// <summary>Initialises the driver and makes GPU <paramref name="ordinal"/>'s primary context current.</summary>
    /// <exception cref="InvalidOperationException">There is no CUDA driver, or no such GPU.</exception>
    public CudaContext(int ordinal = 0)
    {
        var availability = Device.CudaAvailability;
        if (availability.DeviceCount == 0) throw new InvalidOperationException("CUDA is not available: " + availability.Message);
        if (ordinal < 0 || ordinal >= availability.DeviceCount)
            throw new ArgumentOutOfRangeException(nameof(ordinal), ordinal, $"This machine has {availability.DeviceCount} CUDA device(s).");
        CudaNative.Check(CudaNative.DeviceGet(out _device, ordinal), "cuDeviceGet");
        CudaNative.Check(CudaNative.DevicePrimaryCtxRetain(out _context, _device), "cuDevicePrimaryCtxRetain");
        MakeCurrent();
        CudaNative.Check(CudaNative.StreamCreate(out _stream, 1 /* CU_STREAM_NON_BLOCKING */), "cuStreamCreate");
        CudaNative.Check(CudaNative.DeviceGetAttribute(out int major, CudaNative.ComputeCapabilityMajor, _device), "cuDeviceGetAttribute");
        CudaNative.Check(CudaNative.DeviceGetAttribute(out int minor, CudaNative.ComputeCapabilityMinor, _device), "cuDeviceGetAttribute");
        Architecture = major * 10 + minor;
        Name = DescribeDevice(ordinal);
    }

    /// <summary>Compute capability as one number, e.g. 90 for an H100/H200.</summary>
    public int Architecture { get; }

    /// <summary>The GPU's name, compute capability and memory.</summary>
    public string Name { get; }

    /// <summary>The stream every operation of this context is queued on.</summary>
    public nint Stream => _stream;

    /// <summary>"NAME (sm_XY, N GiB)" for GPU <paramref name="ordinal"/>.</summary>
    public static string DescribeDevice(int ordinal)
    {
        CudaNative.Check(CudaNative.DeviceGet(out int device, ordinal), "cuDeviceGet");
        byte* name = stackalloc byte[256];
        CudaNative.Check(CudaNative.DeviceGetName(name, 256, device), "cuDeviceGetName");
        CudaNative.Check(CudaNative.DeviceGetAttribute(out int major, CudaNative.ComputeCapabilityMajor, device), "cuDeviceGetAttribute");
        CudaNative.Check(CudaNative.DeviceGetAttribute(out int minor, CudaNative.ComputeCapabilityMinor, device), "cuDeviceGetAttribute");
        CudaNative.Check(CudaNative.DeviceTotalMem(out nuint bytes, device), "cuDeviceTotalMem_v2");
        return $"{Marshal.PtrToStringUTF8((nint)name)} (sm_{major}{minor}, {bytes / (1024.0 * 1024 * 1024):0.#} GiB)";
    }

    /// <summary>Makes this context current on the calling thread (the driver tracks contexts per thread).</summary>
    public void MakeCurrent() => CudaNative.Check(CudaNative.CtxSetCurrent(_context), "cuCtxSetCurrent");

    /// <summary>Allocates <paramref name="bytes"/> of device memory, freed with the context.</summary>
    public ulong Allocate(long bytes)
    {
        CudaNative.Check(CudaNative.MemAlloc(out ulong pointer, (nuint)Math.Max(bytes, 4)), "cuMemAlloc_v2");
        _allocations.Add(pointer);
        return pointer;
    }

    /// <summary>Copies host values to the device and waits for the copy.</summary>
    public void Upload<T>(ulong destination, ReadOnlySpan<T> source) where T : unmanaged
    {
        if (source.IsEmpty) return;
        fixed (T* p = source)
        {
            CudaNative.Check(CudaNative.MemcpyHtoDAsync(destination, p, (nuint)(source.Length * sizeof(T)), _stream), "cuMemcpyHtoDAsync_v2");
            Synchronize();   // inside fixed: the host memory must not move until the copy is done
        }
    }

    /// <summary>Copies device memory to the host and waits for it.</summary>
    public void Download<T>(Span<T> destination, ulong source) where T : unmanaged
    {
        if (destination.IsEmpty) return;
        fixed (T* p = destination)
        {
            CudaNative.Check(CudaNative.MemcpyDtoHAsync(p, source, (nuint)(destination.Length * sizeof(T)), _stream), "cuMemcpyDtoHAsync_v2");
            Synchronize();
        }
    }

    /// <summary>Sets <paramref name="count"/> 4-byte words to <paramref name="value"/> (0 clears floats and ints).</summary>
    public void Fill(ulong destination, long count, uint value = 0) =>
        CudaNative.Check(CudaNative.MemsetD32Async(destination, value, (nuint)count, _stream), "cuMemsetD32Async");

    /// <summary>Loads a PTX or CUBIN image; unloaded with the context.</summary>
    public nint LoadModule(byte[] image)
    {
        nint module;
        fixed (byte* p = image) CudaNative.Check(CudaNative.ModuleLoadData(out module, p), "cuModuleLoadData");
        _modules.Add(module);
        return module;
    }

    /// <summary>A kernel of a loaded module by its extern "C" name.</summary>
    public static nint Function(nint module, string name)
    {
        int result = CudaNative.ModuleGetFunction(out nint function, module, name);
        if (result != 0)
        {
            var (error, _) = CudaNative.Describe(result);
            throw new CudaException(result, error, $"kernel '{name}'", "cuModuleGetFunction");
        }
        return function;
    }

    /// <summary>The device address and size of a global variable of a loaded module.</summary>
    public static (ulong Pointer, long Bytes) Global(nint module, string name)
    {
        CudaNative.Check(CudaNative.ModuleGetGlobal(out ulong pointer, out nuint bytes, module, name), "cuModuleGetGlobal_v2");
        return (pointer, (long)bytes);
    }

    /// <summary>Queues a launch; <paramref name="arguments"/> points at one pointer per kernel parameter.</summary>
    public void Launch(nint function, uint blocks, uint threads, void** arguments) =>
        CudaNative.Check(CudaNative.LaunchKernel(function, blocks, 1, 1, threads, 1, 1, 0, _stream, arguments, null), "cuLaunchKernel");

    /// <summary>Waits for everything queued on the stream; reports kernel faults.</summary>
    public void Synchronize() => CudaNative.Check(CudaNative.StreamSynchronize(_stream), "cuStreamSynchronize");

    /// <summary>Milliseconds the stream takes for <paramref name="work"/>, measured with CUDA events.</summary>
    public float Time(Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        CudaNative.Check(CudaNative.EventCreate(out nint start, 0), "cuEventCreate");
        CudaNative.Check(CudaNative.EventCreate(out nint end, 0), "cuEventCreate");
        try
        {
            CudaNative.Check(CudaNative.EventRecord(start, _stream), "cuEventRecord");
            work();
            CudaNative.Check(CudaNative.EventRecord(end, _stream), "cuEventRecord");
            CudaNative.Check(CudaNative.EventSynchronize(end), "cuEventSynchronize");
            CudaNative.Check(CudaNative.EventElapsedTime(out float milliseconds, start, end), "cuEventElapsedTime");
            return milliseconds;
        }
        finally
        {
            CudaNative.EventDestroy(start);
            CudaNative.EventDestroy(end);
        }
    }

    /// <summary>Frees the memory, modules and stream and releases the primary context.</summary>
    public void Dispose()
    {
        if (_context == 0) return;
        CudaNative.CtxSetCurrent(_context);
        CudaNative.StreamSynchronize(_stream);
        foreach (var pointer in _allocations) CudaNative.MemFree(pointer);
        foreach (var module in _modules) CudaNative.ModuleUnload(module);
        CudaNative.StreamDestroy(_stream);
        CudaNative.DevicePrimaryCtxRelease(_device);
        _allocations.Clear();
        _modules.Clear();
        _context = 0;
    }
}
