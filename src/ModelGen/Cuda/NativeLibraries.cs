using System;
using System.Collections.Generic;
using System.Reflection;
using System.Runtime.InteropServices;

namespace ModelGen.Cuda;

/// <summary>
/// Finds the CUDA driver and NVRTC by probing the names that CUDA 13, 12 and 11.x install, so one
/// build runs against whichever toolkit or driver a machine has. The bindings import the logical
/// names <see cref="Nvrtc"/> and <see cref="Driver"/>; this resolver maps them to real files. It is the assembly's one
/// import resolver, so it also answers for Open MPI (<see cref="Distributed.MpiNative.Library"/>) with the handle that
/// <see cref="Distributed.MpiNative.Load"/> found.
/// </summary>
internal static class NativeLibraries
{
    /// <summary>Logical library name of NVRTC in the bindings.</summary>
    public const string Nvrtc = "modelgen-nvrtc";

    /// <summary>Logical library name of the CUDA driver API in the bindings.</summary>
    public const string Driver = "modelgen-cuda";

    /// <summary>Environment variable naming an NVRTC library file to use before the probed names.</summary>
    public const string NvrtcPathVariable = "MODELGEN_NVRTC_PATH";

    private static readonly object Gate = new();
    private static bool _registered;

    /// <summary>Candidate file names, newest first.</summary>
    public static IReadOnlyList<string> Candidates(string library)
    {
        bool windows = OperatingSystem.IsWindows();
        if (library == Nvrtc)
        {
            var names = new List<string>();
            if (Environment.GetEnvironmentVariable(NvrtcPathVariable) is { Length: > 0 } path) names.Add(path);
            names.AddRange(windows
                ? new[] { "nvrtc64_130_0.dll", "nvrtc64_120_0.dll", "nvrtc64_112_0.dll" }
                : new[] { "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so" });
            return names;
        }
        return windows ? new[] { "nvcuda.dll" } : new[] { "libcuda.so.1", "libcuda.so" };
    }

    /// <summary>Installs the resolver once; the bindings call it from their static constructors, before any import runs.</summary>
    public static void Register()
    {
        lock (Gate)
        {
            if (_registered) return;
            _registered = true;
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name == Distributed.MpiNative.Library) return Distributed.MpiNative.LoadedHandle;   // loaded (or refused) before any MPI call
        if (name != Nvrtc && name != Driver) return IntPtr.Zero;   // not ours: the default rules apply
        foreach (string candidate in Candidates(name))
            if (NativeLibrary.TryLoad(candidate, assembly, searchPath, out IntPtr handle)) return handle;
        // Zero makes the runtime throw DllNotFoundException, which the availability probes turn into a message.
        return IntPtr.Zero;
    }

    /// <summary>The message for a library that was not found: what was probed and how to provide it.</summary>
    public static string NotFoundMessage(string library) => library == Nvrtc
        ? $"NVRTC (the CUDA runtime compiler) was not found; probed {string.Join(", ", Candidates(Nvrtc))}. Install the CUDA toolkit's NVRTC (Debian: libnvrtc11.2, non-free), add its folder to the library path, or set {NvrtcPathVariable} to the library file."
        : $"The CUDA driver was not found; probed {string.Join(", ", Candidates(Driver))}. Install the NVIDIA driver (it provides libcuda.so.1 / nvcuda.dll).";
}
