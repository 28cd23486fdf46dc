using System;
using System.Runtime.InteropServices;

namespace ModelGen.Distributed;

/// <summary>
/// Thin bindings to the few MPI calls data-parallel training needs, against Open MPI's <c>libmpi.so.40</c> (Debian's
/// <c>libopenmpi3</c>). Nothing here runs until <see cref="ModelGen.Distributed.Mpi"/> is asked for: a single-process program
/// never loads MPI.
/// </summary>
/// <remarks>
/// Open MPI's handles (<c>MPI_Comm</c>, <c>MPI_Datatype</c>, <c>MPI_Op</c>) are pointers to global objects exported by the
/// library (<c>MPI_COMM_WORLD</c> is <c>&amp;ompi_mpi_comm_world</c>), so they are resolved with
/// <see cref="NativeLibrary.GetExport"/> and passed as <see cref="nint"/>; <c>MPI_IN_PLACE</c> is <c>(void*)1</c>. MPICH
/// (<c>libmpi.so.12</c>) differs: its handles are 32-bit integer constants from <c>mpi.h</c> (<c>MPI_COMM_WORLD</c> =
/// 0x44000000, <c>MPI_FLOAT</c> = 0x4c00040a, <c>MPI_SUM</c> = 0x58000003) and <c>MPI_IN_PLACE</c> is <c>(void*)-1</c>;
/// these bindings check for Open MPI's exports and refuse any other library with a message saying so.
/// </remarks>
internal static unsafe partial class MpiNative
{
    /// <summary>Logical library name in the imports; <see cref="Cuda.NativeLibraries"/>'s resolver maps it to the handle <see cref="Load"/> found.</summary>
    public const string Library = "modelgen-mpi";

    /// <summary>Environment variable naming the Open MPI library file to use before the probed names.</summary>
    public const string PathVariable = "MODELGEN_MPI_PATH";

    /// <summary>MPI_SUCCESS.</summary>
    public const int Success = 0;

    /// <summary>MPI_THREAD_SERIALIZED: any thread may call MPI, one at a time (the same value in Open MPI and MPICH).</summary>
    public const int ThreadSerialized = 2;

    /// <summary>Open MPI's MPI_IN_PLACE.</summary>
    public static readonly nint InPlace = 1;

    private static readonly object Gate = new();
    private static nint s_handle;

    // One resolver serves the assembly (CUDA's and MPI's logical names); it hands out the handle Load found.
    static MpiNative() => Cuda.NativeLibraries.Register();

    /// <summary>Candidate file names, tried in order.</summary>
    public static string[] Candidates() => Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } path
        ? new[] { path, "libmpi.so.40", "libmpi.so" }
        : new[] { "libmpi.so.40", "libmpi.so" };

    /// <summary>
    /// Loads Open MPI (once) and returns its handle. Throws <see cref="InvalidOperationException"/> saying what was probed and
    /// what to install when it is missing, or that the library found is not Open MPI.
    /// </summary>
    public static nint Load()
    {
        lock (Gate)
        {
            if (s_handle != 0) return s_handle;
            foreach (string candidate in Candidates())
            {
                if (!NativeLibrary.TryLoad(candidate, typeof(MpiNative).Assembly, null, out nint handle)) continue;
                if (!NativeLibrary.TryGetExport(handle, "ompi_mpi_comm_world", out _))
                    throw new InvalidOperationException(
                        $"'{candidate}' was loaded but is not Open MPI (it exports no ompi_mpi_comm_world); ModelGen's MPI bindings use Open MPI's " +
                        "pointer handles. MPICH and its derivatives use integer handles (see docs/distributed.md); install Open MPI or point " +
                        $"{PathVariable} at its libmpi.so.40.");
                s_handle = handle;
                return handle;
            }
            throw new InvalidOperationException(
                $"Open MPI was not found; probed {string.Join(", ", Candidates())}. Distributed training needs Open MPI 4 or later " +
                $"(Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev), or set {PathVariable} to its libmpi.so.40.");
        }
    }

    /// <summary>The address of the exported global <paramref name="symbol"/>: an Open MPI handle.</summary>
    public static nint Handle(string symbol) => NativeLibrary.GetExport(Load(), symbol);

    /// <summary>The handle <see cref="Load"/> found, or zero: the import resolver's answer for <see cref="Library"/>.</summary>
    public static nint LoadedHandle
    {
        get { lock (Gate) return s_handle; }
    }

    [LibraryImport(Library, EntryPoint = "MPI_Initialized")]
    public static partial int Initialized(out int flag);

    [LibraryImport(Library, EntryPoint = "MPI_Finalized")]
    public static partial int Finalized(out int flag);

    [LibraryImport(Library, EntryPoint = "MPI_Init_thread")]
    public static partial int InitThread(int* argc, byte*** argv, int required, out int provided);

    [LibraryImport(Library, EntryPoint = "MPI_Finalize")]
    public static partial int FinalizeMpi();

    [LibraryImport(Library, EntryPoint = "MPI_Comm_rank")]
    public static partial int CommRank(nint comm, out int rank);

    [LibraryImport(Library, EntryPoint = "MPI_Comm_size")]
    public static partial int CommSize(nint comm, out int size);

    [LibraryImport(Library, EntryPoint = "MPI_Allreduce")]
    public static partial int Allreduce(nint sendBuffer, void* receiveBuffer, int count, nint datatype, nint op, nint comm);

    [LibraryImport(Library, EntryPoint = "MPI_Allgather")]
    public static partial int Allgather(nint sendBuffer, int sendCount, nint sendType, void* receiveBuffer, int receiveCount, nint receiveType, nint comm);

    [LibraryImport(Library, EntryPoint = "MPI_Bcast")]
    public static partial int Bcast(void* buffer, int count, nint datatype, int root, nint comm);

    [LibraryImport(Library, EntryPoint = "MPI_Barrier")]
    public static partial int Barrier(nint comm);

    [LibraryImport(Library, EntryPoint = "MPI_Abort")]
    public static partial int Abort(nint comm, int errorCode);

    [LibraryImport(Library, EntryPoint = "MPI_Error_string")]
    public static partial int ErrorString(int errorCode, byte* text, out int length);

    /// <summary>MPI's own text for <paramref name="code"/>.</summary>
    public static string Describe(int code)
    {
        byte* text = stackalloc byte[512];   // MPI_MAX_ERROR_STRING is 256 in Open MPI, 1024 in MPICH; Open MPI is what loads here
        return ErrorString(code, text, out int length) == Success ? Marshal.PtrToStringUTF8((nint)text, length) : $"MPI error {code}";
    }
}
