using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using ModelGen.Cpu;
using Xunit;

namespace ModelGen.Tests.Cpu;

/// <summary>Results must not depend on the thread count, nor change from run to run.</summary>
[Collection(SerialCollection.Name)]
public unsafe class DeterminismTests
{
    [Theory]
    [InlineData(false, false, 257, 129, 300)]
    [InlineData(true, false, 129, 257, 65)]
    [InlineData(false, true, 100, 600, 33)]
    [InlineData(true, true, 65, 17, 257)]
    [InlineData(false, false, 7, 3, 520)]
    [InlineData(false, false, 300, 10, 64)]
    [InlineData(false, true, 200, 20, 600)]
    [InlineData(true, false, 150, 7, 300)]
    [InlineData(false, false, 1, 300, 64)]      // few rows: weights read in place, split by columns
    [InlineData(false, false, 7, 1030, 33)]
    [InlineData(false, false, 4, 257, 300)]
    [InlineData(false, false, 40, 700, 200)]    // B past 2¹⁷ elements and A no taller than B is wide: split by columns
    [InlineData(true, true, 33, 520, 300)]
    public void Gemm_SameBitsForAnyThreadCount_AndRunToRun(bool transA, bool transB, int m, int n, int k)
    {
        int saved = CpuParallel.ThreadCount;
        try
        {
            // Split even these small products, so uneven partitions are exercised too.
            GemmCore.ParallelThresholdOverride = 1;
            CpuParallel.ThreadCount = 1;
            float[] expected = GemmTests.Run<float>(transA, transB, m, n, k, accumulate: true, seed: 11, width: 0);
            foreach (int threads in new[] { 2, 3, 2, 1 })
            {
                CpuParallel.ThreadCount = threads;
                CpuParallel.ResetStallBackoff();
                float[] actual = GemmTests.Run<float>(transA, transB, m, n, k, accumulate: true, seed: 11, width: 0);
                TestData.AssertBitwiseEqual(expected, actual, $"float, {threads} threads");
            }
            CpuParallel.ThreadCount = 1;
            double[] expectedD = GemmTests.Run<double>(transA, transB, m, n, k, accumulate: false, seed: 12, width: 0);
            CpuParallel.ThreadCount = 2;
            CpuParallel.ResetStallBackoff();
            double[] actualD = GemmTests.Run<double>(transA, transB, m, n, k, accumulate: false, seed: 12, width: 0);
            TestData.AssertBitwiseEqual(expectedD, actualD, "double, 2 threads");
        }
        finally
        {
            GemmCore.ParallelThresholdOverride = 0;
            CpuParallel.ThreadCount = saved;
        }
    }

    [Fact]
    public void Dense_SameBitsForAnyThreadCount()
    {
        int saved = CpuParallel.ThreadCount;
        try
        {
            CpuParallel.ThreadCount = 1;
            var expected = DenseKernelTests.RunDense(128, 300, 200, Activation.LeakyReLU, seed: 3);
            foreach (int threads in new[] { 2, 4 })
            {
                CpuParallel.ThreadCount = threads;
                CpuParallel.ResetStallBackoff();
                var actual = DenseKernelTests.RunDense(128, 300, 200, Activation.LeakyReLU, seed: 3);
                for (int i = 0; i < expected.Length; i++)
                    TestData.AssertBitwiseEqual(expected[i], actual[i], $"dense output {i}, {threads} threads");
            }
        }
        finally
        {
            CpuParallel.ThreadCount = saved;
        }
    }

    [Fact]
    public void ThreadCount_RejectsLessThanOne()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CpuParallel.ThreadCount = 0);
        Assert.True(CpuParallel.ThreadCount >= 1);
    }

    [Fact]
    public void Run_ExecutesEveryPartExactlyOnce_OnAtMostThreadCountThreads()
    {
        int saved = CpuParallel.ThreadCount;
        try
        {
            // 5 first, so idle workers beyond the later, smaller counts exist and must stay out.
            foreach (int threads in new[] { 5, 1, 2, 3 })
            {
                CpuParallel.ThreadCount = threads;
                var work = new CountingWork(7);
                for (int round = 0; round < 50; round++)
                {
                    CpuParallel.ResetStallBackoff();
                    CpuParallel.Run(work, 7);
                    int distinct = work.Threads.Distinct().Count();
                    Assert.True(distinct <= threads, $"{distinct} threads ran a job limited to {threads}.");
                }
                Assert.All(work.Counts, count => Assert.Equal(50, count));
            }
        }
        finally
        {
            CpuParallel.ThreadCount = saved;
        }
    }

    [Fact]
    public void Counters_CountSplittableJobs_Stalls_AndSerialJobsAfterAStall()
    {
        int saved = CpuParallel.ThreadCount;
        try
        {
            CpuParallel.ThreadCount = 2;
            var counting = new CountingWork(4);
            long jobs = CpuParallel.SplittableJobs;
            CpuParallel.Run(counting, 1);
            Assert.Equal(jobs, CpuParallel.SplittableJobs);   // one part: nothing to split
            for (int i = 0; i < 5; i++)
            {
                CpuParallel.ResetStallBackoff();
                CpuParallel.Run(counting, 4);
            }
            Assert.True(CpuParallel.SplittableJobs >= jobs + 5, $"{CpuParallel.SplittableJobs - jobs} splittable jobs counted, 5 run.");

            // A worker that holds its part far longer than the caller's own share is a stall; the caller then runs the
            // next jobs alone for at least a millisecond. An attempt tells only when the worker took its part promptly
            // (otherwise the caller's share was long too) and this thread kept its core up to the next job.
            var slow = new SlowWorkerWork();
            int conclusive = 0, serialSeen = 0;
            for (int attempt = 0; attempt < 10 && conclusive < 3; attempt++)
            {
                CpuParallel.ResetStallBackoff();
                long stalls = CpuParallel.Stalls;
                slow.Reset();
                CpuParallel.Run(slow, 2);
                long serial = CpuParallel.SerialJobsAfterStall;
                long before = Stopwatch.GetTimestamp();
                CpuParallel.Run(counting, 4);
                bool prompt = Stopwatch.GetTimestamp() - before < Stopwatch.Frequency / 1000;   // so it began within the shortest serial period
                if (!slow.WorkerTookPart || slow.CallerWaitTicks > Stopwatch.Frequency / 50 || !prompt) continue;
                conclusive++;
                Assert.True(CpuParallel.Stalls > stalls, "a 200 ms wait on the worker was not counted as a stall.");
                if (CpuParallel.SerialJobsAfterStall == serial + 1) serialSeen++;
            }
            Assert.Equal(conclusive, serialSeen);
            Assert.True(CpuParallel.SerialJobsAfterStall <= CpuParallel.SplittableJobs);
        }
        finally
        {
            CpuParallel.ResetStallBackoff();
            CpuParallel.ThreadCount = saved;
        }
    }

    /// <summary>Two parts: the calling thread's returns once a worker has started the other, which then takes 200 ms.</summary>
    private sealed class SlowWorkerWork : CpuParallel.Work
    {
        private readonly int _caller = Environment.CurrentManagedThreadId;
        private volatile bool _workerStarted;
        public volatile bool WorkerTookPart;

        public long CallerWaitTicks;

        public void Reset()
        {
            _workerStarted = WorkerTookPart = false;
            CallerWaitTicks = 0;
        }

        public override void Execute(int part)
        {
            if (Environment.CurrentManagedThreadId == _caller)
            {
                long start = Stopwatch.GetTimestamp();
                while (!_workerStarted && Stopwatch.GetTimestamp() - start < Stopwatch.Frequency) Thread.SpinWait(50);
                CallerWaitTicks += Stopwatch.GetTimestamp() - start;
                return;
            }
            WorkerTookPart = true;
            _workerStarted = true;
            Thread.Sleep(200);
        }
    }

    private sealed class CountingWork : CpuParallel.Work
    {
        public readonly int[] Counts;
        public readonly int[] Threads;

        public CountingWork(int parts)
        {
            Counts = new int[parts];
            Threads = new int[parts];
        }

        public override void Execute(int part)
        {
            Interlocked.Increment(ref Counts[part]);
            Threads[part] = Environment.CurrentManagedThreadId;
            // Long enough that workers get a chance to take parts.
            Thread.SpinWait(2000);
        }
    }
}
