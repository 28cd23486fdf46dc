using System;
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
    /// <summary>One JSON line: GEMM GFLOP/s (1 thread, 1024³), the FMA peaks on 1 and 2 threads, and the fraction.</summary>
    public static string Line()
    {
        double gemm = GemmRate(1024);
        double one = FmaPeak(1), two = FmaPeak(2);
        int bits = Vector512.IsHardwareAccelerated ? 512 : 256;
        return string.Create(CultureInfo.InvariantCulture,
            $"{{\"mode\": \"gemm\", \"m\": 1024, \"n\": 1024, \"k\": 1024, \"threads\": 1, \"device\": \"cpu\", \"gflop_per_s\": {gemm:F1}, \"fma_peak_1t_gflop_per_s\": {one:F1}, \"fma_peak_2t_gflop_per_s\": {two:F1}, \"fraction_of_1t_peak\": {gemm / one:F3}, \"vector_bits\": {bits}, \"peer\": \"modelgen\"}}");
    }

    /// <summary>GFLOP/s of C = A·B at size³ on the calling thread alone, median of 5 runs after a warm-up.</summary>
    private static double GemmRate(int size)
    {
        var a = GC.AllocateArray<float>(size * size, pinned: true);
        var b = GC.AllocateArray<float>(size * size, pinned: true);
        var c = GC.AllocateArray<float>(size * size, pinned: true);
        for (int i = 0; i < a.Length; i++) { a[i] = (i % 13 - 6) * 0.01f; b[i] = (i % 7 - 3) * 0.02f; }
        int saved = CpuParallel.ThreadCount;
        CpuParallel.ThreadCount = 1;
        try
        {
            var seconds = new double[5];
            fixed (float* pa = a, pb = b, pc = c)
            {
                Gemm.Multiply(false, false, size, size, size, pa, pb, pc, accumulate: false);
                for (int r = 0; r < seconds.Length; r++)
                {
                    long start = Stopwatch.GetTimestamp();
                    Gemm.Multiply(false, false, size, size, size, pa, pb, pc, accumulate: false);
                    seconds[r] = (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency;
                }
            }
            Array.Sort(seconds);
            return 2.0 * size * size * size / seconds[seconds.Length / 2] / 1e9;
        }
        finally
        {
            CpuParallel.ThreadCount = saved;
        }
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
