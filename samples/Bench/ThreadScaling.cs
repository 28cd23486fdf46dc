using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using ModelGen;
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
                    nint pA = (nint)pa, pB = (nint)pb, pC = (nint)pc;
                    Alternate(rounds, () =>
                    {
                        long start = Stopwatch.GetTimestamp();
                        for (int i = 0; i < calls; i++) Gemm.Multiply(false, false, m, n, k, (float*)pA, (float*)pB, (float*)pC, accumulate: false);
                        return (calls, Stopwatch.GetElapsedTime(start).TotalMicroseconds / calls);
                    }, (round, threads, count, us, counters) => string.Create(CultureInfo.InvariantCulture,
                        $"{{\"mode\": \"gemm-threads\", \"m\": {m}, \"n\": {n}, \"k\": {k}, \"round\": {round}, \"threads\": {threads}, \"calls\": {count}, \"us_per_call\": {us:F1}, \"gflop_per_s\": {2.0 * m * n * k / us / 1e3:F1}, {counters}, \"what\": \"{what}\"}}"), lines);
                }
            }
        }
        finally
        {
            CpuParallel.ThreadCount = saved;
        }
        return lines;
    }

    /// <summary>
    /// The same alternation for whole calls: each benchmark model's training step, batch prediction and single prediction (in
    /// that order, as the benchmark runs them), one and two threads in turn for several rounds in one process. A product alone can split
    /// well while the calls that run it do not; this shows which.
    /// </summary>
    /// <param name="rounds">Rounds of one and two threads per call.</param>
    /// <param name="only">The models to time; empty for every benchmark model. An unknown name is an error naming the known ones.</param>
    public static List<string> Models(int rounds, string[] only)
    {
        foreach (string name in only)
            if (Array.IndexOf(BenchmarkModels.Ids, name) < 0)
                throw new ArgumentException($"'{name}' is not a benchmark model; they are {string.Join(", ", BenchmarkModels.Ids)}.", nameof(only));
        var lines = new List<string>();
        int saved = CpuParallel.ThreadCount;
        try
        {
            foreach (string id in only.Length > 0 ? only : BenchmarkModels.Ids)
            {
                var (model, batch, classes) = BenchmarkModels.Create(id);
                var (inputs, labels) = BenchmarkModels.SyntheticBatch(model, batch, classes);
                var outputs = new float[batch * model.OutputSize];
                var optimizer = new Adam(1e-3f, 0.9f, 0.999f, 1e-8f);
                var single = inputs.AsMemory(0, model.InputSize);
                foreach (var (call, rows, step) in new (string, int, Action)[]
                {
                    ("train", batch, () => model.TrainStep(inputs, labels, batch, optimizer)),
                    ("predict", batch, () => model.Predict(inputs, batch, outputs)),
                    ("predict", 1, () => model.Predict(single.Span, 1, outputs)),
                })
                {
                    WarmUp.Run(step, 3);
                    Alternate(rounds, () =>
                    {
                        int calls = 0;
                        long start = Stopwatch.GetTimestamp();
                        do { step(); calls++; } while (Stopwatch.GetElapsedTime(start).TotalMilliseconds < 200);
                        return (calls, Stopwatch.GetElapsedTime(start).TotalMicroseconds / calls);
                    }, (round, threads, count, us, counters) => string.Create(CultureInfo.InvariantCulture,
                        $"{{\"mode\": \"model-threads\", \"model\": \"{id}\", \"call\": \"{call}\", \"batch\": {rows}, \"round\": {round}, \"threads\": {threads}, \"calls\": {count}, \"us_per_call\": {us:F1}, {counters}}}"), lines);
                }
            }
        }
        finally
        {
            CpuParallel.ThreadCount = saved;
        }
        return lines;
    }

    /// <summary>
    /// Times <paramref name="timed"/> (calls made, µs per call) at one and then two threads in each of <paramref name="rounds"/>
    /// rounds and adds the line <paramref name="line"/> makes of (round, threads, calls, µs per call, the pool's counters
    /// over that timing as JSON fields).
    /// </summary>
    private static void Alternate(int rounds, Func<(int Calls, double Micros)> timed, Func<int, int, int, double, string, string> line, List<string> lines)
    {
        for (int round = 0; round < rounds; round++)
        {
            foreach (int threads in new[] { 1, 2 })
            {
                CpuParallel.ThreadCount = threads;
                long stalls = CpuParallel.Stalls, serial = CpuParallel.SerialJobsAfterStall, jobs = CpuParallel.SplittableJobs;
                var (calls, us) = timed();
                string counters = string.Create(CultureInfo.InvariantCulture,
                    $"\"split_jobs\": {CpuParallel.SplittableJobs - jobs}, \"stalls\": {CpuParallel.Stalls - stalls}, \"serial_after_stall\": {CpuParallel.SerialJobsAfterStall - serial}");
                lines.Add(line(round, threads, calls, us, counters));
            }
        }
    }
}
