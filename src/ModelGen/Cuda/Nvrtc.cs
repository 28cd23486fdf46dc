using System;
using System.Runtime.InteropServices;

namespace ModelGen.Cuda;

/// <summary>NVRTC result codes (nvrtcResult).</summary>
public enum NvrtcResult
{
    /// <summary>Success.</summary>
    Success = 0,
    /// <summary>Out of memory.</summary>
    OutOfMemory = 1,
    /// <summary>Program creation failed.</summary>
    ProgramCreationFailure = 2,
    /// <summary>Invalid input.</summary>
    InvalidInput = 3,
    /// <summary>Invalid program.</summary>
    InvalidProgram = 4,
    /// <summary>Invalid option (e.g. an architecture this NVRTC does not know).</summary>
    InvalidOption = 5,
    /// <summary>Compilation failed; the log says why.</summary>
    Compilation = 6,
    /// <summary>A built-in operation failed.</summary>
    BuiltinOperationFailure = 7,
    /// <summary>Name expressions are not allowed after compilation.</summary>
    NoNameExpressionsAfterCompilation = 8,
    /// <summary>Lowered names are not available before compilation.</summary>
    NoLoweredNamesBeforeCompilation = 9,
    /// <summary>Invalid name expression.</summary>
    NameExpressionNotValid = 10,
    /// <summary>Internal error.</summary>
    InternalError = 11,
}

/// <summary>Thin NVRTC bindings: only the entry points ModelGen uses, each returning its result code.</summary>
internal static unsafe partial class NvrtcNative
{
    static NvrtcNative() => NativeLibraries.Register();

    [LibraryImport(NativeLibraries.Nvrtc, EntryPoint = "nvrtcVersion")]
    public static partial NvrtcResult Version(out int major, out int minor);

    [LibraryImport(NativeLibraries.Nvrtc, EntryPoint = "nvrtcGetErrorString")]
    public static partial byte* GetErrorString(NvrtcResult result);

    [LibraryImport(NativeLibraries.Nvrtc, EntryPoint = "nvrtcCreateProgram")]
    public static partial NvrtcResult CreateProgram(out nint program, byte* source, byte* name, int headerCount, byte** headers, byte** includeNames);

    [LibraryImport(NativeLibraries.Nvrtc, EntryPoint = "nvrtcDestroyProgram")]
    public static partial NvrtcResult DestroyProgram(ref nint program);

    [LibraryImport(NativeLibraries.Nvrtc, EntryPoint = "nvrtcCompileProgram")]
    public static partial NvrtcResult CompileProgram(nint program, int optionCount, byte** options);

    [LibraryImport(NativeLibraries.Nvrtc, EntryPoint = "nvrtcGetProgramLogSize")]
    public static partial NvrtcResult GetProgramLogSize(nint program, out nuint size);

    [LibraryImport(NativeLibraries.Nvrtc, EntryPoint = "nvrtcGetProgramLog")]
    public static partial NvrtcResult GetProgramLog(nint program, byte* log);

    [LibraryImport(NativeLibraries.Nvrtc, EntryPoint = "nvrtcGetPTXSize")]
    public static partial NvrtcResult GetPtxSize(nint program, out nuint size);

    [LibraryImport(NativeLibraries.Nvrtc, EntryPoint = "nvrtcGetPTX")]
    public static partial NvrtcResult GetPtx(nint program, byte* ptx);

    [LibraryImport(NativeLibraries.Nvrtc, EntryPoint = "nvrtcGetCUBINSize")]
    public static partial NvrtcResult GetCubinSize(nint program, out nuint size);

    [LibraryImport(NativeLibraries.Nvrtc, EntryPoint = "nvrtcGetCUBIN")]
    public static partial NvrtcResult GetCubin(nint program, byte* cubin);

    [LibraryImport(NativeLibraries.Nvrtc, EntryPoint = "nvrtcGetNumSupportedArchs")]
    public static partial NvrtcResult GetNumSupportedArchs(out int count);

    [LibraryImport(NativeLibraries.Nvrtc, EntryPoint = "nvrtcGetSupportedArchs")]
    public static partial NvrtcResult GetSupportedArchs(int* archs);

    /// <summary>The NVRTC name of a result (e.g. NVRTC_ERROR_COMPILATION).</summary>
    public static string Name(NvrtcResult result)
    {
        byte* text = GetErrorString(result);
        return text == null ? $"NVRTC error {(int)result}" : Marshal.PtrToStringUTF8((nint)text) ?? $"NVRTC error {(int)result}";
    }

    /// <summary>Throws <see cref="NvrtcException"/> unless <paramref name="result"/> is success.</summary>
    public static void Check(NvrtcResult result, string function, string log = "")
    {
        if (result != NvrtcResult.Success) throw new NvrtcException(result, Name(result), function, log);
    }
}

/// <summary>An NVRTC call failed: the result's NVRTC name, the function, and the compiler log when there is one.</summary>
public sealed class NvrtcException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NvrtcException(NvrtcResult result, string errorName, string function, string log)
        : base($"{function} failed: {errorName}{(log.Length > 0 ? Environment.NewLine + log.TrimEnd() : "")}")
    {
        Result = result;
        ErrorName = errorName;
        Function = function;
        Log = log;
    }

    /// <summary>The result code.</summary>
    public NvrtcResult Result { get; }

    /// <summary>NVRTC's name of the result, e.g. NVRTC_ERROR_COMPILATION.</summary>
    public string ErrorName { get; }

    /// <summary>The NVRTC function that failed.</summary>
    public string Function { get; }

    /// <summary>The compiler log (errors and warnings with file and line), empty when the call has none.</summary>
    public string Log { get; }
}
