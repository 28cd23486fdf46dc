using System;
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
