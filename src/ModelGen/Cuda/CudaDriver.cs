using System;
using System.Runtime.InteropServices;

namespace ModelGen.Cuda;

/// <summary>
/// Thin CUDA driver API bindings (libcuda.so.1 / nvcuda.dll): initialisation, device query, the
/// primary context, memory, streams, events, modules and kernel launch. Every function returns the
/// CUresult; <see cref="Check"/> turns a failure into a <see cref="CudaException"/> with the CUDA error name.
/// </summary>
internal static unsafe partial class CudaNative
{
    static CudaNative() => NativeLibraries.Register();

    /// <summary>CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR.</summary>
    public const int ComputeCapabilityMajor = 75;
    /// <summary>CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR.</summary>
    public const int ComputeCapabilityMinor = 76;
    /// <summary>CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT.</summary>
    public const int MultiprocessorCount = 16;

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuInit")]
    public static partial int Init(uint flags);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuDriverGetVersion")]
    public static partial int DriverGetVersion(out int version);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuGetErrorName")]
    public static partial int GetErrorName(int error, out byte* name);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuGetErrorString")]
    public static partial int GetErrorString(int error, out byte* text);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuDeviceGetCount")]
    public static partial int DeviceGetCount(out int count);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuDeviceGet")]
    public static partial int DeviceGet(out int device, int ordinal);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuDeviceGetName")]
    public static partial int DeviceGetName(byte* name, int length, int device);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuDeviceGetAttribute")]
    public static partial int DeviceGetAttribute(out int value, int attribute, int device);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuDeviceTotalMem_v2")]
    public static partial int DeviceTotalMem(out nuint bytes, int device);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuDevicePrimaryCtxRetain")]
    public static partial int DevicePrimaryCtxRetain(out nint context, int device);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuDevicePrimaryCtxRelease_v2")]
    public static partial int DevicePrimaryCtxRelease(int device);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuCtxSetCurrent")]
    public static partial int CtxSetCurrent(nint context);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuCtxSynchronize")]
    public static partial int CtxSynchronize();

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuMemAlloc_v2")]
    public static partial int MemAlloc(out ulong pointer, nuint bytes);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuMemFree_v2")]
    public static partial int MemFree(ulong pointer);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuMemcpyHtoD_v2")]
    public static partial int MemcpyHtoD(ulong destination, void* source, nuint bytes);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuMemcpyDtoH_v2")]
    public static partial int MemcpyDtoH(void* destination, ulong source, nuint bytes);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuMemcpyHtoDAsync_v2")]
    public static partial int MemcpyHtoDAsync(ulong destination, void* source, nuint bytes, nint stream);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuMemcpyDtoHAsync_v2")]
    public static partial int MemcpyDtoHAsync(void* destination, ulong source, nuint bytes, nint stream);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuMemsetD32Async")]
    public static partial int MemsetD32Async(ulong destination, uint value, nuint count, nint stream);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuStreamCreate")]
    public static partial int StreamCreate(out nint stream, uint flags);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuStreamDestroy_v2")]
    public static partial int StreamDestroy(nint stream);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuStreamSynchronize")]
    public static partial int StreamSynchronize(nint stream);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuEventCreate")]
    public static partial int EventCreate(out nint @event, uint flags);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuEventRecord")]
    public static partial int EventRecord(nint @event, nint stream);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuEventSynchronize")]
    public static partial int EventSynchronize(nint @event);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuEventElapsedTime")]
    public static partial int EventElapsedTime(out float milliseconds, nint start, nint end);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuEventDestroy_v2")]
    public static partial int EventDestroy(nint @event);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuModuleLoadData")]
    public static partial int ModuleLoadData(out nint module, void* image);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuModuleUnload")]
    public static partial int ModuleUnload(nint module);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuModuleGetFunction", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ModuleGetFunction(out nint function, nint module, string name);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuModuleGetGlobal_v2", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int ModuleGetGlobal(out ulong pointer, out nuint bytes, nint module, string name);

    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuLaunchKernel")]
    public static partial int LaunchKernel(nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedMemoryBytes, nint stream, void** parameters, void** extra);

    /// <summary>The CUDA name of an error code (e.g. CUDA_ERROR_OUT_OF_MEMORY) and its description.</summary>
    public static (string Name, string Description) Describe(int error)
    {
        try
        {
            string name = GetErrorName(error, out byte* n) == 0 && n != null ? Marshal.PtrToStringUTF8((nint)n) ?? "" : "";
            string text = GetErrorString(error, out byte* s) == 0 && s != null ? Marshal.PtrToStringUTF8((nint)s) ?? "" : "";
            return (name.Length > 0 ? name : $"CUDA error {error}", text);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return ($"CUDA error {error}", "");
        }
    }

    /// <summary>Throws <see cref="CudaException"/> unless <paramref name="result"/> is CUDA_SUCCESS.</summary>
    public static void Check(int result, string function)
    {
        if (result == 0) return;
        var (name, description) = Describe(result);
        throw new CudaException(result, name, description, function);
    }
}

/// <summary>A CUDA driver call failed: its CUresult, the CUDA error name and description, and the function.</summary>
public sealed class CudaException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CudaException(int result, string errorName, string description, string function)
        : base($"{function} failed: {errorName}{(description.Length > 0 ? $" ({description})" : "")}")
    {
        Result = result;
        ErrorName = errorName;
        Function = function;
    }

    /// <summary>The CUresult code.</summary>
    public int Result { get; }

    /// <summary>CUDA's name of the error, e.g. CUDA_ERROR_NO_DEVICE.</summary>
    public string ErrorName { get; }

    /// <summary>The driver function that failed.</summary>
    public string Function { get; }
}
