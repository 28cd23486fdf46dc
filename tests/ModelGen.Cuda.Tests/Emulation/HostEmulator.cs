using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace ModelGen.Cuda.Tests.Emulation;

/// <summary>
/// A device for <see cref="CudaGraph"/> that runs a model's generated CUDA on the CPU: the translation
/// unit is compiled with g++ against cuda_emulation.h (each CUDA thread a std::thread) into a shared
/// library. The graph then does exactly what it does on a GPU (allocations, buffer table, launch
/// sequences, optimizer kernels), so the plan and the kernels' arithmetic are checked without a GPU.
/// Grids are capped at <see cref="MaxGrid"/> blocks, which exercises every grid-stride loop.
/// </summary>
internal sealed unsafe class HostEmulator : IKernelBackend
{
    public const uint MaxGrid = 3;

    private static readonly string Root = Path.Combine(Path.GetTempPath(), "modelgen-emulation");

    // -fno-gnu-unique: g++ would otherwise give inline globals and the kernels' __shared__ statics unique-symbol
    // linkage, which the loader shares between every emulated program in the process.
    private const string CompilerFlags = "-std=c++20 -O1 -fPIC -fno-gnu-unique -shared -pthread -w -I.";
    private readonly nint _library;
    private readonly delegate* unmanaged<int, uint, uint, void**, void> _launch;
    private readonly List<string> _kernels;
    private readonly List<nint> _allocations = new();

    private HostEmulator(nint library, List<string> kernels)
    {
        _library = library;
        _kernels = kernels;
        _launch = (delegate* unmanaged<int, uint, uint, void**, void>)NativeLibrary.GetExport(library, "emulation_launch");
    }

    /// <summary>Why the emulator cannot run here (no g++), or null.</summary>
    public static string? Unavailable { get; } = FindCompiler() is null ? "g++ (C++20) is not installed" : null;

    private static string? FindCompiler() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, "g++")).FirstOrDefault(File.Exists);

    public string Name => "host emulation";

    public CompiledKernels? Kernels => null;

    /// <summary>Compiles (or reuses) the emulation library of <paramref name="plan"/>'s source.</summary>
    public static HostEmulator Create(CudaModelPlan plan, CudaCompileOptions? options = null) => Create(plan.Source, plan.ModelName, options);

    /// <summary>
    /// Compiles (or reuses) the emulation library of a translation unit whose kernels are declared
    /// <c>extern "C" __global__ void __launch_bounds__(mg::kThreads) name(…)</c> and which defines <c>modelgen_buffers</c>.
    /// </summary>
    /// <param name="options">The compile options whose definitions (e.g. the GEMM precision) the emulation is built with.</param>
    public static HostEmulator Create(string source, string name, CudaCompileOptions? options = null)
    {
        string flags = CompilerFlags + string.Concat((options ?? CudaCompileOptions.Default).Definitions.Select(d => " -D" + d));
        var kernels = Regex.Matches(source, @"__global__ void __launch_bounds__\(mg::kThreads\) (\w+)\(([^)]*)\)")
            .Select(m => (Name: m.Groups[1].Value, Parameters: m.Groups[2].Value)).ToList();
        var driver = new StringBuilder();
        driver.Append("#include \"prelude.h\"\n#include \"model.cu\"\n\n");
        driver.Append("extern \"C\" void emulation_launch(int kernel, unsigned int grid, unsigned int threads, void** a)\n{\n    switch (kernel)\n    {\n");
        for (int k = 0; k < kernels.Count; k++)
        {
            var parameters = Regex.Split(kernels[k].Parameters.Trim(), @",\s*").Where(p => p.Length > 0).ToArray();
            var values = parameters.Select((p, i) => $"*({p.Substring(0, p.LastIndexOf(' ')).Trim()}*)a[{i}]");
            driver.Append($"        case {k}: {{ auto run = std::bind({string.Join(", ", values.Prepend(kernels[k].Name))}); emulation::launch(grid, threads, run); return; }}\n");
        }
        driver.Append("    }\n}\n\nextern \"C\" void* emulation_buffers() { return modelgen_buffers; }\nextern \"C\" long long emulation_buffers_size() { return sizeof modelgen_buffers; }\n");

        string prelude = Prelude(flags);
        string key = Hash(prelude + driver + source);
        string directory = Path.Combine(Root, key);
        string library = Path.Combine(directory, "model.so");
        if (!File.Exists(library))
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(Path.Combine(directory, "model.cu"), source);
            File.WriteAllText(Path.Combine(directory, "driver.cpp"), driver.ToString());
            string temporary = library + "." + Guid.NewGuid().ToString("N");
            // -H lists the headers read; "! …prelude.h.gch" says the precompiled prelude was used, not parsed again.
            string log = RunCompiler($"{flags} -H -I{Path.Combine(Root, prelude)} -o {temporary} driver.cpp", directory, $"the emulation of {name}");
            if (!log.Split('\n').Any(l => l.StartsWith("! ", StringComparison.Ordinal) && l.EndsWith("prelude.h.gch", StringComparison.Ordinal)))
                throw new InvalidOperationException($"g++ did not use the precompiled prelude for {name} (flags or headers differ):\n{log}");
            File.Move(temporary, library, overwrite: true);
        }
        return new HostEmulator(NativeLibrary.Load(library), kernels.Select(k => k.Name).ToList());
    }

    private static readonly object PreludeLock = new();

    /// <summary>
    /// The folder (under <see cref="Root"/>) of the precompiled prelude for <paramref name="flags"/>: the emulation
    /// header and every kernel template, parsed once (g++ precompiled header) instead of once per program; it
    /// halves each program's compile time. The folder name hashes the flags and the headers' text.
    /// </summary>
    private static string Prelude(string flags)
    {
        string name = "prelude-" + Hash(flags + string.Concat(KernelHeaders.All.Select(h => h.Key + "\0" + h.Value)) + File.ReadAllText(HeaderPath));
        string directory = Path.Combine(Root, name);
        lock (PreludeLock)
        {
            if (File.Exists(Path.Combine(directory, "prelude.h.gch"))) return name;
            string staging = directory + "." + Guid.NewGuid().ToString("N");
            Directory.CreateDirectory(staging);
            foreach (var header in KernelHeaders.All) File.WriteAllText(Path.Combine(staging, header.Key), header.Value);
            File.Copy(HeaderPath, Path.Combine(staging, "cuda_emulation.h"));
            File.WriteAllText(Path.Combine(staging, "prelude.h"), "#pragma once\n#include \"cuda_emulation.h\"\n#include \"modelgen.cuh\"\n");
            RunCompiler($"{flags} -x c++-header -o prelude.h.gch prelude.h", staging, "the emulation prelude");
            try { Directory.Move(staging, directory); }
            catch (IOException) when (File.Exists(Path.Combine(directory, "prelude.h.gch"))) { Directory.Delete(staging, recursive: true); }   // another process was first
            return name;
        }
    }

    /// <summary>Runs g++ and returns what it wrote to stderr; a failed compile throws with it.</summary>
    private static string RunCompiler(string arguments, string directory, string what)
    {
        var start = new ProcessStartInfo(FindCompiler()!, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start)!;
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"g++ could not compile {what}:\n{errors}");
        return errors;
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];

    private static string HeaderPath => Path.Combine(AppContext.BaseDirectory, "Emulation", "cuda_emulation.h");

    public ulong Allocate(long bytes)
    {
        nint p = (nint)NativeMemory.AllocZeroed((nuint)Math.Max(bytes, 4));
        _allocations.Add(p);
        return (ulong)p;
    }

    public void Upload<T>(ulong destination, ReadOnlySpan<T> source) where T : unmanaged =>
        source.CopyTo(new Span<T>((void*)destination, source.Length));

    public void Download<T>(Span<T> destination, ulong source) where T : unmanaged =>
        new ReadOnlySpan<T>((void*)source, destination.Length).CopyTo(destination);

    public void Fill(ulong destination, long count) => new Span<int>((void*)destination, checked((int)count)).Clear();

    public nint Function(string name)
    {
        int index = _kernels.IndexOf(name);
        if (index < 0) throw new CudaException(500, "CUDA_ERROR_NOT_FOUND", $"kernel '{name}'", "cuModuleGetFunction");
        return index;
    }

    public (ulong Pointer, long Bytes) Global(string name)
    {
        if (name != "modelgen_buffers") throw new CudaException(500, "CUDA_ERROR_NOT_FOUND", name, "cuModuleGetGlobal_v2");
        var pointer = (delegate* unmanaged<void*>)NativeLibrary.GetExport(_library, "emulation_buffers");
        var size = (delegate* unmanaged<long>)NativeLibrary.GetExport(_library, "emulation_buffers_size");
        return ((ulong)pointer(), size());
    }

    public void Launch(nint function, uint blocks, uint threads, void** arguments) =>
        _launch((int)function, Math.Min(blocks, MaxGrid), threads, arguments);

    public void Synchronize()
    {
    }

    public void Dispose()
    {
        foreach (nint p in _allocations) NativeMemory.Free((void*)p);
        _allocations.Clear();
        // The library stays loaded: another graph of the same model may use it.
    }
}
