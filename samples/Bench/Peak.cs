using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Threading;
using ModelGen.Cpu;

namespace Bench;

/// <summary>
/// The GEMM's rate at 1024³ on one thread next to what this machine's cores can do at all: a register-only
/// multiply-add loop (no memory traffic) on one and on two threads, in the widest vectors the runtime accelerates.
/// Printed together, so the fraction of the peak comes from one run on one load.
/// </summary>
public static unsafe class Peak
{
    /// <summary>
    /// One JSON line: GEMM GFLOP/s (1 thread, 1024³) and the one-thread FMA peak, each the fastest of rounds that alternate
    /// one product with one run of the peak loop, both timed on the thread's CPU clock (<see cref="ThreadClock"/>); then the
    /// two-thread peak, and the fraction. Alternating gives both figures the same clock frequency and load, and the CPU clock
    /// leaves out the time other processes hold the core: timed apart on the wall clock, the fraction moved from 0.60 to 0.88
    /// with the load on a 2-core machine, with no change to the code.
    /// </summary>
    public static string Line()
    {
        const int size = 1024, rounds = 15;
        double gemm = 0, one = 0;
        int saved = CpuParallel.ThreadCount;
        CpuParallel.ThreadCount = 1;
        try
        {
            WithMatrices(size, 0, 0, 0, gcArrays: true, (pa, pb, pc) =>
            {
                float* a = (float*)pa, b = (float*)pb, c = (float*)pc;
                Gemm.Multiply(false, false, size, size, size, a, b, c, accumulate: false);
                for (int r = 0; r < rounds; r++)
                {
                    double start = ThreadClock.Seconds();
                    Gemm.Multiply(false, false, size, size, size, a, b, c, accumulate: false);
                    gemm = Math.Max(gemm, 2.0 * size * size * size / (ThreadClock.Seconds() - start) / 1e9);
                    one = Math.Max(one, FmaPeakOnce());
                }
            });
        }
        finally
        {
            CpuParallel.ThreadCount = saved;
        }
        double two = FmaPeak(2);
        int bits = Vector512.IsHardwareAccelerated ? 512 : 256;
        string clock = ThreadClock.IsCpuTime ? "thread-cpu" : "wall";
        return string.Create(CultureInfo.InvariantCulture,
            $"{{\"mode\": \"gemm\", \"m\": {size}, \"n\": {size}, \"k\": {size}, \"threads\": 1, \"device\": \"cpu\", \"gflop_per_s\": {gemm:F1}, \"fma_peak_1t_gflop_per_s\": {one:F1}, \"fma_peak_2t_gflop_per_s\": {two:F1}, \"fraction_of_1t_peak\": {gemm / one:F3}, \"rounds\": {rounds}, \"clock\": \"{clock}\", \"vector_bits\": {bits}, \"peer\": \"modelgen\"}}");
    }

    /// <summary>
    /// Why the 1024³ fraction of the peak moves between runs: for several placements of A, B and C (the benchmark's
    /// GC-pinned arrays; all three 4 KiB-aligned; each at a different 64-byte offset) and for rows padded off the
    /// 4 KiB stride (n = k = 1040), <paramref name="rounds"/> rounds that each time one product and then one run of the
    /// one-thread peak loop, so both see the same clock and load. One JSON line per placement: fastest and median of each.
    /// </summary>
    public static List<string> Steadiness(int rounds)
    {
        var lines = new List<string>();
        int saved = CpuParallel.ThreadCount;
        CpuParallel.ThreadCount = 1;
        try
        {
            foreach (var (name, size, offsetA, offsetB, offsetC, gcArrays) in new (string, int, int, int, int, bool)[]
            {
                ("gc-pinned", 1024, 0, 0, 0, true),
                ("page-aligned", 1024, 0, 0, 0, false),
                ("offsets-64-320-576", 1024, 64, 320, 576, false),
                ("padded-1040", 1040, 0, 0, 0, false),
            })
            {
                var gemm = new double[rounds];
                var peak = new double[rounds];
                WithMatrices(size, offsetA, offsetB, offsetC, gcArrays, (pa, pb, pc) =>
                {
                    float* a = (float*)pa, b = (float*)pb, c = (float*)pc;
                    Gemm.Multiply(false, false, 1024, size, size, a, b, c, accumulate: false);
                    for (int r = 0; r < rounds; r++)
                    {
                        double start = ThreadClock.Seconds();
                        Gemm.Multiply(false, false, 1024, size, size, a, b, c, accumulate: false);
                        gemm[r] = 2.0 * 1024 * size * size / (ThreadClock.Seconds() - start) / 1e9;
                        peak[r] = FmaPeakOnce();
                    }
                });
                Array.Sort(gemm);
                Array.Sort(peak);
                lines.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{{\"mode\": \"gemm-steadiness\", \"placement\": \"{name}\", \"m\": 1024, \"n\": {size}, \"k\": {size}, \"rounds\": {rounds}, \"gemm_best\": {gemm[^1]:F1}, \"gemm_median\": {gemm[rounds / 2]:F1}, \"gemm_worst\": {gemm[0]:F1}, \"peak_best\": {peak[^1]:F1}, \"peak_median\": {peak[rounds / 2]:F1}, \"fraction_best\": {gemm[^1] / peak[^1]:F3}, \"fraction_median\": {gemm[rounds / 2] / peak[rounds / 2]:F3}}}"));
            }
        }
        finally
        {
            CpuParallel.ThreadCount = saved;
        }
        return lines;
    }

    /// <summary>
    /// One thread, fastest of <paramref name="rounds"/> on the thread's CPU clock, for the products the benchmark models
    /// run and for one thread's share of them: the column parts the two-thread split gives mnist-mlp's layers, and the
    /// tiny-transformer's dense layers at 64 and 128 rows. The same k and n at 64 and 128 rows pack the same B, so
    /// <c>2·t(64) − t(128)</c> estimates what packing B costs there.
    /// </summary>
    public static List<string> Shapes(int rounds)
    {
        var lines = new List<string>();
        int saved = CpuParallel.ThreadCount;
        CpuParallel.ThreadCount = 1;
        try
        {
            foreach (var (m, n, k, transB, what) in new (int, int, int, bool, string)[]
            {
                (256, 128, 784, false, "mnist-mlp layer 1, an eighth of the columns"),
                (256, 512, 784, false, "mnist-mlp layer 1, half the columns"),
                (256, 1024, 784, false, "mnist-mlp layer 1"),
                (256, 128, 1024, false, "mnist-mlp layer 2, an eighth of the columns"),
                (256, 512, 1024, false, "mnist-mlp layer 2, half the columns"),
                (256, 98, 1024, true, "mnist-mlp dz·Wᵀ layer 2, an eighth of the columns"),
                (256, 392, 1024, true, "mnist-mlp dz·Wᵀ layer 2, half the columns"),
                (64, 384, 128, false, "transformer qkv, 1 sample"),
                (128, 384, 128, false, "transformer qkv, 2 samples"),
                (64, 512, 128, false, "transformer up, 1 sample"),
                (128, 512, 128, false, "transformer up, 2 samples"),
                (64, 128, 512, false, "transformer down, 1 sample"),
                (128, 128, 512, false, "transformer down, 2 samples"),
                (64, 128, 512, true, "transformer down dz·Wᵀ, 1 sample"),
                (128, 128, 512, true, "transformer down dz·Wᵀ, 2 samples"),
                (2048, 512, 128, false, "transformer up, batch 32"),
                (2048, 128, 512, false, "transformer down, batch 32"),
                (2048, 32, 512, false, "transformer down, batch 32, a quarter of the columns"),
            })
            {
                var a = GC.AllocateArray<float>(m * k, pinned: true);
                var b = GC.AllocateArray<float>(k * n, pinned: true);
                var c = GC.AllocateArray<float>(m * n, pinned: true);
                Fill(a, b);
                double best = double.MaxValue;
                fixed (float* pa = a, pb = b, pc = c)
                {
                    Gemm.Multiply(false, transB, m, n, k, pa, pb, pc, accumulate: false);
                    for (int r = 0; r < rounds; r++)
                    {
                        double start = ThreadClock.Seconds();
                        Gemm.Multiply(false, transB, m, n, k, pa, pb, pc, accumulate: false);
                        best = Math.Min(best, ThreadClock.Seconds() - start);
                    }
                }
                lines.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{{\"mode\": \"gemm-shape\", \"m\": {m}, \"n\": {n}, \"k\": {k}, \"trans_b\": {(transB ? "true" : "false")}, \"threads\": 1, \"us_min\": {best * 1e6:F2}, \"gflop_per_s\": {2.0 * m * n * k / best / 1e9:F1}, \"what\": \"{what}\"}}"));
            }
        }
        finally
        {
            CpuParallel.ThreadCount = saved;
        }
        return lines;
    }

    private static void WithMatrices(int size, int offsetA, int offsetB, int offsetC, bool gcArrays, Action<nint, nint, nint> run)
    {
        int elements = 1024 * size;
        if (gcArrays)
        {
            var a = GC.AllocateArray<float>(elements, pinned: true);
            var b = GC.AllocateArray<float>(size * size, pinned: true);
            var c = GC.AllocateArray<float>(1024 * size, pinned: true);
            Fill(a, b);
            fixed (float* pa = a, pb = b, pc = c) run((nint)pa, (nint)pb, (nint)pc);
            return;
        }
        nuint bytes = (nuint)(size * size * sizeof(float) + 8192);
        byte* ba = (byte*)NativeMemory.AlignedAlloc(bytes, 4096), bb = (byte*)NativeMemory.AlignedAlloc(bytes, 4096), bc = (byte*)NativeMemory.AlignedAlloc(bytes, 4096);
        try
        {
            var a = new Span<float>(ba + offsetA, elements);
            var b = new Span<float>(bb + offsetB, size * size);
            new Span<float>(bc + offsetC, elements).Clear();
            Fill(a, b);
            run((nint)(ba + offsetA), (nint)(bb + offsetB), (nint)(bc + offsetC));
        }
        finally
        {
            NativeMemory.AlignedFree(ba);
            NativeMemory.AlignedFree(bb);
            NativeMemory.AlignedFree(bc);
        }
    }

    private static void Fill(Span<float> a, Span<float> b)
    {
        for (int i = 0; i < a.Length; i++) a[i] = (i % 13 - 6) * 0.01f;
        for (int i = 0; i < b.Length; i++) b[i] = (i % 7 - 3) * 0.02f;
    }

    /// <summary>One run of the one-thread register-only loop on the calling thread, in GFLOP/s.</summary>
    private static double FmaPeakOnce()
    {
        const long iterations = 4_000_000;
        double start = ThreadClock.Seconds();
        double flops = Vector512.IsHardwareAccelerated ? Loop512(iterations) : Loop256(iterations);
        return flops / (ThreadClock.Seconds() - start) / 1e9;
    }

    /// <summary>
    /// Total GFLOP/s of <paramref name="threads"/> threads each running the register-only loop at once; the fastest of 5 runs,
    /// since other work on the machine can only slow a run down and a peak is what the cores can do.
    /// </summary>
    public static double FmaPeak(int threads)
    {
        const long iterations = 4_000_000;
        var rates = new double[5];
        for (int r = 0; r < rates.Length; r++)
        {
            var workers = new Thread[threads];
            var flops = new double[threads];
            // The clock starts once every worker is waiting and before any is released, so no work runs outside it.
            using var ready = new CountdownEvent(threads);
            using var go = new ManualResetEventSlim(false);
            for (int t = 0; t < threads; t++)
            {
                int index = t;
                workers[t] = new Thread(() =>
                {
                    ready.Signal();
                    go.Wait();
                    flops[index] = Vector512.IsHardwareAccelerated ? Loop512(iterations) : Loop256(iterations);
                });
                workers[t].Start();
            }
            ready.Wait();
            long begin = Stopwatch.GetTimestamp();
            go.Set();
            foreach (var w in workers) w.Join();
            double elapsed = (Stopwatch.GetTimestamp() - begin) / (double)Stopwatch.Frequency;
            double total = 0;
            foreach (double f in flops) total += f;
            rates[r] = total / elapsed / 1e9;
        }
        Array.Sort(rates);
        return rates[^1];
    }

    // Twelve independent chains: more than the multiply-add latency times the number of pipes, so the loop
    // runs at the pipes' rate; the result is returned so the JIT cannot drop the work.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double Loop512(long iterations)
    {
        var x = Vector512.Create(0.999999f);
        var y = Vector512.Create(1e-7f);
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default;
        Vector512<float> s6 = default, s7 = default, s8 = default, s9 = default, s10 = default, s11 = default;
        for (long i = 0; i < iterations; i++)
        {
            s0 = Vector512.FusedMultiplyAdd(s0, x, y); s1 = Vector512.FusedMultiplyAdd(s1, x, y);
            s2 = Vector512.FusedMultiplyAdd(s2, x, y); s3 = Vector512.FusedMultiplyAdd(s3, x, y);
            s4 = Vector512.FusedMultiplyAdd(s4, x, y); s5 = Vector512.FusedMultiplyAdd(s5, x, y);
            s6 = Vector512.FusedMultiplyAdd(s6, x, y); s7 = Vector512.FusedMultiplyAdd(s7, x, y);
            s8 = Vector512.FusedMultiplyAdd(s8, x, y); s9 = Vector512.FusedMultiplyAdd(s9, x, y);
            s10 = Vector512.FusedMultiplyAdd(s10, x, y); s11 = Vector512.FusedMultiplyAdd(s11, x, y);
        }
        var sum = s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7 + s8 + s9 + s10 + s11;
        return sum.GetElement(0) == 42f ? 0 : iterations * 12.0 * Vector512<float>.Count * 2;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static double Loop256(long iterations)
    {
        var x = Vector256.Create(0.999999f);
        var y = Vector256.Create(1e-7f);
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default;
        Vector256<float> s6 = default, s7 = default, s8 = default, s9 = default, s10 = default, s11 = default;
        for (long i = 0; i < iterations; i++)
        {
            s0 = Vector256.FusedMultiplyAdd(s0, x, y); s1 = Vector256.FusedMultiplyAdd(s1, x, y);
            s2 = Vector256.FusedMultiplyAdd(s2, x, y); s3 = Vector256.FusedMultiplyAdd(s3, x, y);
            s4 = Vector256.FusedMultiplyAdd(s4, x, y); s5 = Vector256.FusedMultiplyAdd(s5, x, y);
            s6 = Vector256.FusedMultiplyAdd(s6, x, y); s7 = Vector256.FusedMultiplyAdd(s7, x, y);
            s8 = Vector256.FusedMultiplyAdd(s8, x, y); s9 = Vector256.FusedMultiplyAdd(s9, x, y);
            s10 = Vector256.FusedMultiplyAdd(s10, x, y); s11 = Vector256.FusedMultiplyAdd(s11, x, y);
        }
        var sum = s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7 + s8 + s9 + s10 + s11;
        return sum.GetElement(0) == 42f ? 0 : iterations * 12.0 * Vector256<float>.Count * 2;
    }
}

/// <summary>
/// The calling thread's CPU time where the OS reports it (Linux), else the wall clock: a one-thread figure timed this
/// way leaves out the time other processes held the core, so on a shared machine it measures the code, not the load.
/// </summary>
internal static partial class ThreadClock
{
    private const int ClockThreadCpuTime = 3;

    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>Whether <see cref="Seconds"/> counts this thread's CPU time (otherwise it is the wall clock).</summary>
    public static readonly bool IsCpuTime = OperatingSystem.IsLinux() && ClockGetTime(ClockThreadCpuTime, out _) == 0;

    /// <summary>Seconds from an arbitrary origin, on this thread's CPU clock where <see cref="IsCpuTime"/>.</summary>
    public static double Seconds()
    {
        if (IsCpuTime && ClockGetTime(ClockThreadCpuTime, out var t) == 0) return t.Seconds + t.Nanoseconds * 1e-9;
        return Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
    }
}
