using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using ModelGen.Cpu;

namespace Bench;

/// <summary>
/// Whether a second thread speeds up the products the models run: for each shape, the product alternates between
/// one and two threads for several rounds in one process, timed on the wall clock (the caller waits for the worker), with
/// the pool's counters over each round. A two-thread round near half the one-thread time is the split working; one near
/// the one-thread time with serial jobs counted is the pool backing off after a stall; one far above it is the worker
/// (or both threads) running slowly.
/// </summary>
public static unsafe class ThreadScaling
{
    public static List<string> Run(int rounds)
    {
        var lines = new List<string>();
        int saved = CpuParallel.ThreadCount;
        try
        {
            foreach (var (m, n, k, what) in new (int, int, int, string)[]
            {
                (64, 384, 128, "transformer qkv, batch 1"),
                (64, 512, 128, "transformer up, batch 1"),
                (512, 256, 144, "wide-deep layer 1, batch 512"),
                (512, 128, 256, "wide-deep layer 2, batch 512"),
                (2048, 384, 128, "transformer qkv, batch 32"),
                (2048, 128, 512, "transformer down, batch 32"),
                (256, 1024, 1024, "mnist-mlp layer 2, batch 256"),
                (1024, 1024, 1024, "1024³"),
            })
            {
                var a = GC.AllocateArray<float>(m * k, pinned: true);
                var b = GC.AllocateArray<float>(k * n, pinned: true);
                var c = GC.AllocateArray<float>(m * n, pinned: true);
                for (int i = 0; i < a.Length; i++) a[i] = (i % 7) * 0.125f;
                for (int i = 0; i < b.Length; i++) b[i] = (i % 5) * 0.25f;
                int calls = (int)Math.Clamp(4e9 / (2.0 * m * n * k), 10, 5000);
                fixed (float* pa = a, pb = b, pc = c)
                {
                    for (int round = 0; round < rounds; round++)
                    {
                        foreach (int threads in new[] { 1, 2 })
                        {
                            CpuParallel.ThreadCount = threads;
                            long stalls = CpuParallel.Stalls, serial = CpuParallel.SerialJobsAfterStall, jobs = CpuParallel.SplittableJobs;
                            long start = Stopwatch.GetTimestamp();
                            for (int i = 0; i < calls; i++) Gemm.Multiply(false, false, m, n, k, pa, pb, pc, accumulate: false);
                            double us = Stopwatch.GetElapsedTime(start).TotalMicroseconds / calls;
                            lines.Add(string.Create(CultureInfo.InvariantCulture,
                                $"{{\"mode\": \"gemm-threads\", \"m\": {m}, \"n\": {n}, \"k\": {k}, \"round\": {round}, \"threads\": {threads}, \"calls\": {calls}, \"us_per_call\": {us:F1}, \"gflop_per_s\": {2.0 * m * n * k / us / 1e3:F1}, \"split_jobs\": {CpuParallel.SplittableJobs - jobs}, \"stalls\": {CpuParallel.Stalls - stalls}, \"serial_after_stall\": {CpuParallel.SerialJobsAfterStall - serial}, \"what\": \"{what}\"}}"));
                        }
                    }
                }
            }
        }
        finally
        {
            CpuParallel.ThreadCount = saved;
        }
        return lines;
    }
}
