using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace ModelGen.Cuda;

/// <summary>What NVRTC produces: PTX (JIT-compiled by the driver, any newer GPU) or CUBIN (machine code for one architecture).</summary>
public enum CudaImageKind
{
    /// <summary>PTX assembly for a virtual architecture (compute_XY).</summary>
    Ptx,
    /// <summary>CUBIN machine code for a real architecture (sm_XY).</summary>
    Cubin,
}

/// <summary>
/// The arithmetic of the GEMM products (dense layers and the attention projections, forward and backward).
/// The tensor-core modes need sm_80 or newer; on older GPUs the same kernels run in <see cref="Float32"/>.
/// Accumulation is float32 in every mode; element-wise kernels, norms, losses and the optimizer are float32.
/// </summary>
public enum MatMulPrecision
{
    /// <summary>Full float32 products on the CUDA cores (the reference; matches the CPU within float32 rounding).</summary>
    Float32,

    /// <summary>Tensor cores with inputs rounded to TF32 (10-bit mantissa, about 3 significant digits), float32 accumulation.</summary>
    TF32,

    /// <summary>Tensor cores with inputs rounded to bfloat16 (7-bit mantissa, about 2–3 significant digits), float32 accumulation.</summary>
    BF16,
}

/// <summary>Options of a kernel compilation that change the generated code.</summary>
/// <param name="MatMul">How GEMM products are computed (float32 by default).</param>
/// <example><code>
/// using var graph = CudaGraph.For(model, maxBatch: 256, options: new CudaCompileOptions(MatMulPrecision.BF16));
/// </code></example>
public sealed record CudaCompileOptions(MatMulPrecision MatMul = MatMulPrecision.Float32)
{
    /// <summary>Full float32 everywhere.</summary>
    public static CudaCompileOptions Default { get; } = new();

    /// <summary>The preprocessor definitions the options add to the kernels' source (also used by the tests' host emulation).</summary>
    public IReadOnlyList<string> Definitions => MatMul switch
    {
        MatMulPrecision.Float32 => Array.Empty<string>(),
        MatMulPrecision.TF32 => new[] { "MODELGEN_GEMM_TF32=1" },
        MatMulPrecision.BF16 => new[] { "MODELGEN_GEMM_BF16=1" },
        _ => throw new ArgumentOutOfRangeException(nameof(MatMul), MatMul, "Unknown GEMM precision; use Float32, TF32 or BF16."),
    };

    /// <summary>The NVRTC command-line options for <paramref name="architecture"/> (e.g. 80 for sm_80).</summary>
    public IReadOnlyList<string> NvrtcOptions(int architecture, CudaImageKind kind)
    {
        var options = new List<string>
        {
            $"--gpu-architecture={(kind == CudaImageKind.Cubin ? "sm_" : "compute_")}{architecture.ToString(CultureInfo.InvariantCulture)}",
            "--std=c++17",
        };
        foreach (string definition in Definitions) options.Add("-D" + definition);
        return options;
    }
}

/// <summary>A compiled module image with the compiler log (warnings stay in the log of a successful compile).</summary>
/// <param name="Image">PTX text (NUL-terminated, as the driver loads it) or CUBIN bytes.</param>
/// <param name="Kind">PTX or CUBIN.</param>
/// <param name="Architecture">The target architecture, e.g. 80.</param>
/// <param name="Log">NVRTC's log; empty for a clean compile.</param>
/// <param name="FromCache">True when the image came from the on-disk cache.</param>
/// <param name="CacheKey">The cache key (hex SHA-256 of source, headers, options, architecture and NVRTC version).</param>
public sealed record CompiledKernels(byte[] Image, CudaImageKind Kind, int Architecture, string Log, bool FromCache, string CacheKey);

/// <summary>
/// Compiles CUDA C++ with NVRTC at run time, with the kernel templates as named headers and an
/// on-disk cache keyed by source, headers, options, target and NVRTC version.
/// </summary>
public static unsafe class NvrtcCompiler
{
    private static readonly Lazy<(bool Available, string Message, int Major, int Minor)> Probe = new(() =>
    {
        try
        {
            NvrtcNative.Check(NvrtcNative.Version(out int major, out int minor), "nvrtcVersion");
            return (true, $"NVRTC {major}.{minor}", major, minor);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return (false, NativeLibraries.NotFoundMessage(NativeLibraries.Nvrtc), 0, 0);
        }
        catch (NvrtcException e)
        {
            return (false, "NVRTC is installed but does not answer: " + e.Message, 0, 0);
        }
    });

    /// <summary>Whether NVRTC can be loaded; never throws. <paramref name="message"/> names the version or says what is missing.</summary>
    public static bool IsAvailable(out string message)
    {
        message = Probe.Value.Message;
        return Probe.Value.Available;
    }

    /// <summary>NVRTC's version, e.g. (11, 8).</summary>
    /// <exception cref="InvalidOperationException">NVRTC is not available.</exception>
    public static (int Major, int Minor) Version
    {
        get
        {
            if (!IsAvailable(out string message)) throw new InvalidOperationException(message);
            return (Probe.Value.Major, Probe.Value.Minor);
        }
    }

    /// <summary>The real architectures this NVRTC can produce CUBIN for (e.g. 35 … 90 for 11.8).</summary>
    public static IReadOnlyList<int> SupportedArchitectures()
    {
        _ = Version;
        NvrtcNative.Check(NvrtcNative.GetNumSupportedArchs(out int count), "nvrtcGetNumSupportedArchs");
        var archs = new int[count];
        fixed (int* p = archs) NvrtcNative.Check(NvrtcNative.GetSupportedArchs(p), "nvrtcGetSupportedArchs");
        return archs;
    }

    /// <summary>
    /// Compiles <paramref name="source"/> for <paramref name="architecture"/>, or returns the cached image
    /// of an identical earlier compile. A failed compile throws with NVRTC's log; warnings of a
    /// successful one are in <see cref="CompiledKernels.Log"/>.
    /// </summary>
    /// <param name="source">CUDA C++ source; it may include the kernel headers (<see cref="KernelHeaders"/>).</param>
    /// <param name="name">Program name used in the log's file references (e.g. the model's name + ".cu").</param>
    /// <param name="architecture">Compute capability as one number, e.g. 80 for sm_80, 90 for sm_90.</param>
    /// <param name="kind">PTX or CUBIN.</param>
    /// <param name="options">Code options (GEMM precision); null for the defaults.</param>
    /// <param name="cache">The cache to use; null for none.</param>
    /// <exception cref="NvrtcException">NVRTC rejected the program or an option; the message carries the log.</exception>
    /// <exception cref="InvalidOperationException">NVRTC is not available.</exception>
    public static CompiledKernels Compile(string source, string name, int architecture, CudaImageKind kind, CudaCompileOptions? options = null, KernelCache? cache = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentException.ThrowIfNullOrEmpty(name);
        options ??= CudaCompileOptions.Default;
        var (major, minor) = Version;
        var nvrtcOptions = options.NvrtcOptions(architecture, kind);
        string key = KernelCache.Key(source, KernelHeaders.All, nvrtcOptions, kind, major, minor);
        if (cache?.TryLoad(key, kind, architecture) is { } cached) return cached;

        var (image, log) = CompileUncached(source, name, nvrtcOptions, kind);
        var compiled = new CompiledKernels(image, kind, architecture, log, FromCache: false, key);
        cache?.Store(compiled);
        return compiled;
    }

    private static (byte[] Image, string Log) CompileUncached(string source, string name, IReadOnlyList<string> options, CudaImageKind kind)
    {
        var headers = KernelHeaders.All;
        var allocations = new List<nint>();
        byte* Utf8(string text)
        {
            nint p = Marshal.StringToCoTaskMemUTF8(text);
            allocations.Add(p);
            return (byte*)p;
        }
        nint program = 0;
        try
        {
            byte** headerTexts = stackalloc byte*[Math.Max(headers.Count, 1)];
            byte** headerNames = stackalloc byte*[Math.Max(headers.Count, 1)];
            for (int i = 0; i < headers.Count; i++)
            {
                headerTexts[i] = Utf8(headers[i].Value);
                headerNames[i] = Utf8(headers[i].Key);
            }
            NvrtcNative.Check(NvrtcNative.CreateProgram(out program, Utf8(source), Utf8(name), headers.Count, headerTexts, headerNames), "nvrtcCreateProgram");
            byte** optionTexts = stackalloc byte*[Math.Max(options.Count, 1)];
            for (int i = 0; i < options.Count; i++) optionTexts[i] = Utf8(options[i]);
            var result = NvrtcNative.CompileProgram(program, options.Count, optionTexts);
            string log = ReadLog(program);
            NvrtcNative.Check(result, "nvrtcCompileProgram", log);

            byte[] image;
            if (kind == CudaImageKind.Cubin)
            {
                NvrtcNative.Check(NvrtcNative.GetCubinSize(program, out nuint size), "nvrtcGetCUBINSize");
                image = new byte[(int)size];
                fixed (byte* p = image) NvrtcNative.Check(NvrtcNative.GetCubin(program, p), "nvrtcGetCUBIN");
            }
            else
            {
                NvrtcNative.Check(NvrtcNative.GetPtxSize(program, out nuint size), "nvrtcGetPTXSize");   // includes the terminating NUL
                image = new byte[(int)size];
                fixed (byte* p = image) NvrtcNative.Check(NvrtcNative.GetPtx(program, p), "nvrtcGetPTX");
            }
            return (image, log);
        }
        finally
        {
            if (program != 0) NvrtcNative.DestroyProgram(ref program);
            foreach (nint p in allocations) Marshal.FreeCoTaskMem(p);
        }
    }

    private static string ReadLog(nint program)
    {
        if (NvrtcNative.GetProgramLogSize(program, out nuint size) != NvrtcResult.Success || size <= 1) return "";
        var buffer = new byte[(int)size];
        fixed (byte* p = buffer)
        {
            if (NvrtcNative.GetProgramLog(program, p) != NvrtcResult.Success) return "";
        }
        return Encoding.UTF8.GetString(buffer, 0, buffer.Length - 1).Trim();
    }
}

/// <summary>
/// Compiled kernel images on disk, one file per key (plus the compile log beside it). The folder is
/// <c>MODELGEN_KERNEL_CACHE</c> when set, else ModelGen/kernels under the user's local application data.
/// Writes go through a temporary file and a rename, so concurrent processes never read half a file.
/// </summary>
public sealed class KernelCache
{
    /// <summary>Environment variable that overrides the cache folder.</summary>
    public const string DirectoryVariable = "MODELGEN_KERNEL_CACHE";

    /// <summary>Creates a cache in <paramref name="directory"/> (created on first store).</summary>
    public KernelCache(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = directory;
    }

    /// <summary>The cache folder.</summary>
    public string Directory { get; }

    /// <summary>The default cache: <c>MODELGEN_KERNEL_CACHE</c>, or ModelGen/kernels in local application data (the temp folder when there is none).</summary>
    public static KernelCache Default
    {
        get
        {
            if (Environment.GetEnvironmentVariable(DirectoryVariable) is { Length: > 0 } configured) return new KernelCache(configured);
            string root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
            if (root.Length == 0) root = Path.GetTempPath();
            return new KernelCache(Path.Combine(root, "ModelGen", "kernels"));
        }
    }

    /// <summary>The key of a compile: SHA-256 over everything that changes the image.</summary>
    public static string Key(string source, IEnumerable<KeyValuePair<string, string>> headers, IEnumerable<string> options, CudaImageKind kind, int nvrtcMajor, int nvrtcMinor)
    {
        var text = new StringBuilder();
        text.Append("modelgen-kernel-cache-v1\0nvrtc ").Append(nvrtcMajor).Append('.').Append(nvrtcMinor).Append('\0').Append(kind).Append('\0');
        foreach (var option in options) text.Append(option).Append('\0');
        foreach (var header in headers) text.Append(header.Key).Append('\0').Append(header.Value).Append('\0');
        text.Append(source);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private string ImagePath(string key, CudaImageKind kind) => Path.Combine(Directory, key + (kind == CudaImageKind.Cubin ? ".cubin" : ".ptx"));

    /// <summary>The cached image for <paramref name="key"/>, or null; an unreadable entry counts as a miss.</summary>
    public CompiledKernels? TryLoad(string key, CudaImageKind kind, int architecture)
    {
        string path = ImagePath(key, kind);
        try
        {
            if (!File.Exists(path)) return null;
            byte[] image = File.ReadAllBytes(path);
            string logPath = Path.ChangeExtension(path, ".log");
            string log = File.Exists(logPath) ? File.ReadAllText(logPath) : "";
            return image.Length == 0 ? null : new CompiledKernels(image, kind, architecture, log, FromCache: true, key);
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>Stores an image; a cache that cannot be written is skipped (the compile result is still returned to the caller).</summary>
    public void Store(CompiledKernels compiled)
    {
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            string path = ImagePath(compiled.CacheKey, compiled.Kind);
            WriteAtomically(Path.ChangeExtension(path, ".log"), Encoding.UTF8.GetBytes(compiled.Log));
            WriteAtomically(path, compiled.Image);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        string temporary = path + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, path, overwrite: true);
    }
}
