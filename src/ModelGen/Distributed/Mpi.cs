using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace ModelGen.Distributed;

/// <summary>How the ranks' gradients are summed each step (see docs/distributed.md, "Determinism").</summary>
public enum GradientReduction
{
    /// <summary>
    /// One <c>MPI_Allreduce</c> (sum) over the flat gradient buffer: the fastest, and the usual choice. Open MPI's
    /// algorithms give every rank the same bits (each sum is formed once, or formed by commutative pairs); the order of the
    /// additions depends on the algorithm Open MPI picks for the message size and rank count.
    /// </summary>
    Allreduce,

    /// <summary>
    /// One <c>MPI_Allgather</c> of every rank's scaled gradient, then a sum in rank order on each rank: the same bits on every
    /// rank and in every run for a given rank count, whatever MPI library or algorithm; it moves and holds
    /// <c>ranks ×</c> the gradient buffer, so it suits few ranks.
    /// </summary>
    RankOrder,
}

/// <summary>
/// The MPI world a program was launched into (by <c>mpirun</c>, <c>mpiexec</c> or <c>srun</c>): the ranks that train one model
/// together when passed to <see cref="Model.Fit"/>'s <c>distributed</c> argument. Create it with <see cref="FromEnvironment"/>
/// (null when the program was started on its own, so the same program runs with or without MPI) or <see cref="Initialize"/>,
/// and dispose it at the end of the program (it calls <c>MPI_Finalize</c>).
/// </summary>
/// <remarks>
/// Binds to Open MPI's <c>libmpi.so.40</c> (probed when first needed; <c>MODELGEN_MPI_PATH</c> names another file). MPI is
/// initialised once per process with <c>MPI_THREAD_SERIALIZED</c>; calls through this object must not run on two threads at once.
/// </remarks>
public sealed unsafe class Mpi : IDisposable
{
    private static readonly object Gate = new();
    private static Mpi? s_current;
    private static bool s_finalized;

    private readonly nint _world, _float, _double, _sum;
    private readonly bool _ownsInitialization;
    private int _disposed;

    private Mpi(nint world, nint floatType, nint doubleType, nint sum, int rank, int size, bool ownsInitialization)
    {
        _world = world;
        _float = floatType;
        _double = doubleType;
        _sum = sum;
        Rank = rank;
        Size = size;
        _ownsInitialization = ownsInitialization;
    }

    /// <summary>This process's rank in <c>MPI_COMM_WORLD</c> (0 … <see cref="Size"/> − 1).</summary>
    public int Rank { get; }

    /// <summary>The number of ranks.</summary>
    public int Size { get; }

    /// <summary>Whether this is rank 0: the rank that logs, evaluates and writes checkpoints in <see cref="Model.Fit"/>.</summary>
    public bool IsRoot => Rank == 0;

    /// <summary>How gradients are summed each step; <see cref="GradientReduction.Allreduce"/> unless set.</summary>
    public GradientReduction Reduction { get; set; } = GradientReduction.Allreduce;

    /// <summary>
    /// When true (the default), an exception inside a distributed <see cref="Model.Fit"/> is written to standard error with the
    /// rank and then ends every rank with <c>MPI_Abort</c>: the other ranks would otherwise wait for this one in the next
    /// collective call forever. When false the exception propagates, and the program must end or abort the job itself.
    /// </summary>
    public bool AbortOnError { get; set; } = true;

    /// <summary>
    /// Whether this process was started by an MPI launcher (Open MPI's <c>mpirun</c>, a PMI/PMIx launcher such as <c>srun</c>
    /// or MPICH's <c>mpiexec</c>), read from the environment only: nothing is loaded.
    /// </summary>
    public static bool IsLaunchedByMpi =>
        Has("OMPI_COMM_WORLD_SIZE") || Has("PMIX_RANK") || Has("PMI_SIZE") || Has("PMI_RANK");

    /// <summary>
    /// The MPI world when <see cref="IsLaunchedByMpi"/>, else null without loading anything: pass the result to
    /// <see cref="Model.Fit"/> and the program trains alone when run directly and data-parallel under <c>mpirun</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Launched by MPI, but Open MPI cannot be loaded or initialised (the message says why).</exception>
    public static Mpi? FromEnvironment() => IsLaunchedByMpi ? Initialize() : null;

    /// <summary>
    /// Initialises MPI (unless the program already did) and returns the world; later calls return the same object until it is disposed.
    /// A program started without a launcher becomes a world of one rank (MPI's singleton mode).
    /// </summary>
    /// <exception cref="InvalidOperationException">Open MPI is missing or is not Open MPI, MPI was already finalised in this process, or initialisation failed.</exception>
    public static Mpi Initialize()
    {
        lock (Gate)
        {
            if (s_current is { } current) return current;
            if (s_finalized) throw new InvalidOperationException("MPI was finalised in this process (an Mpi was disposed); MPI cannot start again in the same process.");
            MpiNative.Load();
            Check(MpiNative.Initialized(out int initialized), "MPI_Initialized");
            bool owns = initialized == 0;
            if (owns)
            {
                Check(MpiNative.InitThread(null, null, MpiNative.ThreadSerialized, out int provided), "MPI_Init_thread");
                if (provided < MpiNative.ThreadSerialized)
                    throw new InvalidOperationException($"MPI provides thread level {provided}; ModelGen needs MPI_THREAD_SERIALIZED ({MpiNative.ThreadSerialized}) because .NET may resume a training loop on another thread.");
            }
            nint world = MpiNative.Handle("ompi_mpi_comm_world");
            Check(MpiNative.CommRank(world, out int rank), "MPI_Comm_rank");
            Check(MpiNative.CommSize(world, out int size), "MPI_Comm_size");
            s_current = new Mpi(world, MpiNative.Handle("ompi_mpi_float"), MpiNative.Handle("ompi_mpi_double"), MpiNative.Handle("ompi_mpi_op_sum"), rank, size, owns);
            return s_current;
        }
    }

    /// <summary>Waits until every rank has called it.</summary>
    public void Barrier() => Check(MpiNative.Barrier(_world), "MPI_Barrier");

    /// <summary>Replaces <paramref name="values"/> on every rank with rank <paramref name="root"/>'s.</summary>
    public void Broadcast(Span<float> values, int root = 0)
    {
        if ((uint)root >= (uint)Size) throw new ArgumentOutOfRangeException(nameof(root), root, $"The root must be a rank, 0 … {Size - 1}.");
        if (values.IsEmpty) return;
        fixed (float* p = values) Check(MpiNative.Bcast(p, values.Length, _float, root, _world), "MPI_Bcast");
    }

    /// <summary>Replaces <paramref name="values"/> on every rank with their element-wise sum over the ranks (in place).</summary>
    public void SumAcrossRanks(Span<float> values)
    {
        if (values.IsEmpty) return;
        fixed (float* p = values) Check(MpiNative.Allreduce(MpiNative.InPlace, p, values.Length, _float, _sum, _world), "MPI_Allreduce");
    }

    /// <summary>Replaces <paramref name="values"/> on every rank with their element-wise sum over the ranks (in place), in double precision.</summary>
    public void SumAcrossRanks(Span<double> values)
    {
        if (values.IsEmpty) return;
        fixed (double* p = values) Check(MpiNative.Allreduce(MpiNative.InPlace, p, values.Length, _double, _sum, _world), "MPI_Allreduce");
    }

    /// <summary>
    /// Every rank's <see cref="Size"/> slots of <paramref name="slots"/> receive the ranks' contributions in rank order; this
    /// rank's own is taken from its slot (<c>MPI_IN_PLACE</c>). <paramref name="slots"/> is Size × slot length.
    /// </summary>
    internal void GatherInPlace(Span<float> slots)
    {
        int slot = slots.Length / Size;
        fixed (float* p = slots) Check(MpiNative.Allgather(MpiNative.InPlace, 0, 0, p, slot, _float, _world), "MPI_Allgather");
    }

    /// <summary>
    /// Writes <paramref name="message"/> to standard error, prefixed with this rank, and ends every rank of the job with
    /// <c>MPI_Abort</c> (the launcher reports the exit code). Does not return.
    /// </summary>
    public void Abort(string message, int errorCode = 1)
    {
        try
        {
            Console.Error.WriteLine($"ModelGen: rank {Rank} of {Size}: {message}");
            Console.Error.Flush();
        }
        finally
        {
            MpiNative.Abort(_world, errorCode);
            Environment.Exit(errorCode);   // MPI_Abort does not return; this is for a library that would
        }
    }

    /// <summary>Calls <c>MPI_Finalize</c> when this object initialised MPI (every rank must, after its last MPI call).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        lock (Gate)
        {
            s_current = null;
            if (!_ownsInitialization) return;
            s_finalized = true;
            if (MpiNative.Finalized(out int finalized) == MpiNative.Success && finalized == 0) Check(MpiNative.FinalizeMpi(), "MPI_Finalize");
        }
    }

    /// <summary>Test hook: receives each step's rows this rank trains on, in the order it reads them.</summary>
    internal ShardObserver? ObserveShard { get; set; }

    private static bool Has(string variable) => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable));

    private static void Check(int code, string call)
    {
        if (code != MpiNative.Success) throw new InvalidOperationException($"{call} failed: {MpiNative.Describe(code)} (error {code}).");
    }

    /// <summary>Throws <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>.</summary>
    internal void CheckAlive() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}

/// <summary>Receives the rows of one step that this rank trains on.</summary>
internal delegate void ShardObserver(ReadOnlySpan<int> rows);
