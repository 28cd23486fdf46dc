using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace ModelGen.Cpu;

/// <summary>
/// The worker threads the CPU kernels split large operations across. Work is always partitioned
/// by output element, each element computed by one thread in a fixed order, so results are
/// bit-identical whatever <see cref="ThreadCount"/> is.
/// </summary>
/// <remarks>
/// The workers are background threads started on first use. After a job they poll for the next
/// one for about 50 µs, then block, so a training loop keeps them warm and an idle process does
/// not spin. Only products large enough to repay the hand-off are split. When other processes keep
/// the cores busy, a worker can be preempted in the middle of its share; the pool notices the
/// resulting stall and runs jobs on the calling thread for a while.
/// </remarks>
public static class CpuParallel
{
    private static int s_threadCount = Math.Max(1, Environment.ProcessorCount);

    /// <summary>
    /// Maximum number of threads a kernel call may use, the calling thread included. Defaults to
    /// <see cref="Environment.ProcessorCount"/>; 1 runs every kernel on the calling thread.
    /// Changing it never changes results, only speed.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public static int ThreadCount
    {
        get => Volatile.Read(ref s_threadCount);
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "The thread count must be at least 1.");
            Volatile.Write(ref s_threadCount, value);
        }
    }

    /// <summary>
    /// One parallel operation, preallocated by its owner and refilled per call so that dispatching
    /// it allocates nothing. Implementations must not throw from <see cref="Execute"/>: a worker
    /// thread has nobody to report to.
    /// </summary>
    internal abstract class Work
    {
        /// <summary>Computes part <paramref name="part"/> of the operation (0 ≤ part &lt; the part count passed to <see cref="Run"/>).</summary>
        public abstract void Execute(int part);
    }

    // Between jobs the claim counter sits far above any part count, so a late worker that
    // increments it while the next job is being set up claims nothing.
    private const int Idle = int.MaxValue / 2;

    private static readonly object s_growLock = new();
    private static Worker[] s_workers = Array.Empty<Worker>();
    private static int s_busy;
    private static Work? s_work;
    private static int s_parts;
    private static int s_helpers;
    private static int s_nextPart = Idle;
    private static int s_donePart;

    // How long a worker keeps polling for the next job before blocking: kernels come in bursts
    // (every layer of a training step), and waking a blocked thread costs tens of microseconds.
    private static readonly long s_spinTicks = Stopwatch.Frequency / 20_000;

    // When other processes compete for the cores, a worker can be preempted while it holds a part,
    // and the caller then waits for it a whole scheduler time slice, often tens of milliseconds. After
    // such a stall, jobs run on the calling thread alone for a while: 1 ms, doubling with every stall
    // that follows soon after the last (within 16 windows, at most 10 s) up to 2 s. On a machine that
    // stays busy that caps the loss at about one stall per 2 s. A stall long after the last one is a
    // one-off (a worker waking from sleep, a first call being compiled) and costs only 1 ms: a window
    // that kept growing on those left a quiet process running most of its jobs on one thread.
    private static readonly long s_minBackoffTicks = Stopwatch.Frequency / 1000;
    private static readonly long s_maxBackoffTicks = 2 * Stopwatch.Frequency;
    private static readonly long s_backoffResetTicks = 10 * Stopwatch.Frequency;
    private const int BackoffRecoveryWindows = 16;
    // Waits this much longer than expected count as stalls; interrupts and page faults stay well below it.
    private static readonly long s_stallSlackTicks = Stopwatch.Frequency / 4000;
    private static long s_backoffTicks = s_minBackoffTicks;
    private static long s_lastStall;
    private static long s_serialUntil;
    private static long s_splitJobs;
    private static long s_stalls;
    private static long s_serialAfterStall;

    /// <summary>
    /// Jobs so far that could use more than one thread (several parts and <see cref="ThreadCount"/> above 1), whether
    /// they were split or not. With <see cref="SerialJobsAfterStall"/> it tells how much of a run went parallel.
    /// </summary>
    public static long SplittableJobs => Interlocked.Read(ref s_splitJobs);

    /// <summary>Waits so far on a worker that took far longer than the caller's own share: a worker preempted by another process.</summary>
    public static long Stalls => Interlocked.Read(ref s_stalls);

    /// <summary>Of <see cref="SplittableJobs"/>, those run on the calling thread alone because a stall had happened shortly before.</summary>
    public static long SerialJobsAfterStall => Interlocked.Read(ref s_serialAfterStall);

    /// <summary>
    /// Runs <paramref name="parts"/> parts of <paramref name="work"/>, on the calling thread and up
    /// to <see cref="ThreadCount"/> − 1 workers, and returns when all are done. Parts may outnumber
    /// threads; each thread claims the next unclaimed part until none is left. When the pool is
    /// already in use (another thread's kernel, or a nested call) the parts run on the calling
    /// thread, which gives the same results.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Run(Work work, int parts)
    {
        int helpers = Math.Min(parts, ThreadCount) - 1;
        bool serial = helpers <= 0;
        if (!serial)
        {
            Interlocked.Increment(ref s_splitJobs);
            if (Stopwatch.GetTimestamp() < Volatile.Read(ref s_serialUntil))
            {
                Interlocked.Increment(ref s_serialAfterStall);
                serial = true;
            }
        }
        if (serial || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            for (int p = 0; p < parts; p++) work.Execute(p);
            return;
        }

        Worker[] workers = EnsureWorkers(helpers);
        s_work = work;
        s_parts = parts;
        s_helpers = helpers;
        s_donePart = 0;
        Interlocked.Exchange(ref s_nextPart, 0);
        for (int w = 0; w < helpers; w++) workers[w].Wake();

        long start = Stopwatch.GetTimestamp();
        ExecuteParts(work);
        long ownDone = Stopwatch.GetTimestamp();
        WaitForParts(parts);
        long end = Stopwatch.GetTimestamp();

        // A healthy wait is at most about one part; a stall is far longer than the caller's whole share.
        if (end - ownDone > 2 * (ownDone - start) + s_stallSlackTicks)
        {
            Interlocked.Increment(ref s_stalls);
            bool contended = end - s_lastStall <= Math.Min(BackoffRecoveryWindows * s_backoffTicks, s_backoffResetTicks);
            s_backoffTicks = contended ? Math.Min(2 * s_backoffTicks, s_maxBackoffTicks) : s_minBackoffTicks;
            s_lastStall = end;
            Volatile.Write(ref s_serialUntil, end + s_backoffTicks);
        }

        Interlocked.Exchange(ref s_nextPart, Idle);
        s_work = null;
        Volatile.Write(ref s_busy, 0);
    }

    /// <summary>Ends a serial period started by a stall, so tests can count on the workers.</summary>
    internal static void ResetStallBackoff()
    {
        Volatile.Write(ref s_serialUntil, 0);
    }

    /// <summary>
    /// Waits for the parts the workers claimed. Spins first: those parts are already running, and
    /// yielding the core on a busy machine can hand it to another process for a whole time slice.
    /// Only a long wait (a preempted worker, perhaps waiting for this very core) yields.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WaitForParts(int parts)
    {
        long deadline = 0;
        int spins = 0;
        while (Volatile.Read(ref s_donePart) < parts)
        {
            Thread.SpinWait(16);
            if ((++spins & 63) != 0) continue;
            long now = Stopwatch.GetTimestamp();
            if (deadline == 0) deadline = now + 4 * s_spinTicks;
            else if (now > deadline) Thread.Yield();
        }
    }

    /// <summary>Claims and runs parts of the current job until none is left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ExecuteParts(Work? work)
    {
        while (true)
        {
            int part = Interlocked.Increment(ref s_nextPart) - 1;
            if (part >= Volatile.Read(ref s_parts)) return;
            // A worker reaches here with work == null; the claim above ordered the read after the job's publication.
            (work ?? s_work!).Execute(part);
            Interlocked.Increment(ref s_donePart);
        }
    }

    /// <summary>Whether worker <paramref name="index"/> may take parts of the current job: only the first parts − 1 workers, so a job never runs on more threads than it was given.</summary>
    private static bool JobPendingFor(int index) => index < Volatile.Read(ref s_helpers) && Volatile.Read(ref s_nextPart) < Volatile.Read(ref s_parts);

    private static Worker[] EnsureWorkers(int count)
    {
        Worker[] workers = s_workers;
        if (workers.Length >= count) return workers;
        lock (s_growLock)
        {
            workers = s_workers;
            if (workers.Length >= count) return workers;
            var grown = new Worker[count];
            Array.Copy(workers, grown, workers.Length);
            for (int i = workers.Length; i < count; i++) grown[i] = new Worker(i);
            Volatile.Write(ref s_workers, grown);
            return grown;
        }
    }

    private sealed class Worker
    {
        private readonly SemaphoreSlim _signal = new(0);
        private readonly int _index;
        private int _sleeping;

        public Worker(int index)
        {
            _index = index;
            var thread = new Thread(Loop) { IsBackground = true, Name = $"ModelGen CPU worker {index + 1}" };
            thread.Start();
        }

        /// <summary>Releases the worker if it is blocked; a polling worker sees the job by itself.</summary>
        public void Wake()
        {
            if (Interlocked.Exchange(ref _sleeping, 0) == 1) _signal.Release();
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Loop()
        {
            while (true)
            {
                if (JobPendingFor(_index)) ExecuteParts(null);
                if (PollForJob()) continue;
                Interlocked.Exchange(ref _sleeping, 1);
                // A job published between the poll and the flag would otherwise be missed: re-check,
                // and if Wake already took the flag its Release must be consumed.
                if (JobPendingFor(_index) && Interlocked.Exchange(ref _sleeping, 0) == 1) continue;
                _signal.Wait();
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private bool PollForJob()
        {
            long start = Stopwatch.GetTimestamp();
            int spins = 0;
            while (!JobPendingFor(_index))
            {
                if ((++spins & 63) == 0 && Stopwatch.GetTimestamp() - start > s_spinTicks) return false;
                Thread.SpinWait(16);
            }
            return true;
        }
    }
}
