using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using ModelGen.Cpu;
using Xunit;

namespace ModelGen.Tests.Cpu;

[Collection(SerialCollection.Name)]
public unsafe class AllocationTests
{
    /// <summary>
    /// 100 forward + backward passes (and an optimizer step) at a size the GEMMs split across two
    /// threads. The per-thread counters are exact, so the calling thread and the pool's worker
    /// must both read 0 in every window; the process-wide counter is checked too.
    /// </summary>
    [Fact]
    public void DenseForwardAndBackward_AllocateNothingAfterWarmUp_MultiThreaded()
    {
        Assert.True(512L * 128 * 96 >= GemmCore.ParallelThreshold, "the size must take the multi-threaded path");
        CheckNoAllocation(512, 128, 96, windows: 5, requireCleanGlobalWindow: false);
    }

    /// <summary>
    /// The same at a small size forced onto the pool, so a window of 100 calls is short: the test
    /// host's own threads allocate a little every ~100 ms, which the process-wide counter sees,
    /// so one clean window out of several is required. Anything the kernels or the pool
    /// allocated per call would show in every window.
    /// </summary>
    [Fact]
    public void DenseForwardAndBackward_ProcessWideAllocationIsZero_MultiThreaded()
    {
        GemmCore.ParallelThresholdOverride = 1;
        try
        {
            CheckNoAllocation(16, 40, 24, windows: 20, requireCleanGlobalWindow: true);
        }
        finally
        {
            GemmCore.ParallelThresholdOverride = 0;
        }
    }

    /// <summary>The first product on a thread sizes its scratch for every shape, so later, larger ones allocate nothing.</summary>
    [Fact]
    public void Gemm_AfterOneSmallProduct_OtherShapesAllocateNothing()
    {
        float[] a = TestData.Random<float>(600 * 520, 1), b = TestData.Random<float>(520 * 700, 2), c = new float[600 * 700];
        int saved = CpuParallel.ThreadCount;
        try
        {
            CpuParallel.ThreadCount = 1;
            fixed (float* pa = a, pb = b, pc = c)
            {
                Gemm.Multiply(false, false, 3, 5, 7, pa, pb, pc, accumulate: false);
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int variant = 0; variant < 4; variant++)
                {
                    bool transA = (variant & 1) != 0, transB = (variant & 2) != 0;
                    Gemm.Multiply(transA, transB, 600, 700, 520, pa, pb, pc, accumulate: true);
                    Gemm.Multiply(transA, transB, 257, 10, 300, pa, pb, pc, accumulate: false);
                }
                Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
            }
        }
        finally
        {
            CpuParallel.ThreadCount = saved;
        }
    }

    private static void CheckNoAllocation(int batch, int inFeatures, int outFeatures, int windows, bool requireCleanGlobalWindow)
    {
        float[] x = TestData.Random<float>(batch * inFeatures, 1), w = TestData.Random<float>(inFeatures * outFeatures, 2);
        float[] bias = TestData.Random<float>(outFeatures, 3), z = new float[batch * outFeatures], y = new float[batch * outFeatures];
        float[] dz = TestData.Random<float>(batch * outFeatures, 4), dx = new float[batch * inFeatures];
        float[] dw = new float[inFeatures * outFeatures], db = new float[outFeatures];
        var adam = new AdamW();
        var probe = new WorkerAllocationProbe();
        int saved = CpuParallel.ThreadCount;
        try
        {
            CpuParallel.ThreadCount = 2;
            fixed (float* px = x, pw = w, pb = bias, pz = z, py = y, pdz = dz, pdx = dx, pdw = dw, pdb = db)
            {
                for (int i = 0; i < 50; i++) Step(px, pw, pb, pz, py, pdz, pdx, pdw, pdb, batch, inFeatures, outFeatures);
                adam.Step(w, dw);
                probe.Measure();

                var globalGrowth = new List<long>();
                var threadGrowth = new List<long>();
                var workerGrowth = new List<long>();
                for (int window = 0; window < windows; window++)
                {
                    long workerBefore = probe.Measure();
                    long threadBefore = GC.GetAllocatedBytesForCurrentThread();
                    long globalBefore = GC.GetTotalAllocatedBytes(precise: true);
                    for (int i = 0; i < 100; i++) Step(px, pw, pb, pz, py, pdz, pdx, pdw, pdb, batch, inFeatures, outFeatures);
                    adam.Step(w, dw);
                    long globalAfter = GC.GetTotalAllocatedBytes(precise: true);
                    long threadAfter = GC.GetAllocatedBytesForCurrentThread();
                    long workerAfter = probe.Measure();
                    threadGrowth.Add(threadAfter - threadBefore);
                    workerGrowth.Add(workerAfter - workerBefore);
                    globalGrowth.Add(globalAfter - globalBefore);
                    // A per-call allocation shows in every window; a one-time growth under load (a thread first
                    // running some kind of work part) in one at most. So one window clean on every counter suffices.
                    if (threadGrowth[^1] == 0 && workerGrowth[^1] == 0 && (!requireCleanGlobalWindow || globalGrowth[^1] == 0)) break;
                }
                Assert.True(threadGrowth[^1] == 0, $"The calling thread allocated in every window of 100 calls: {string.Join(", ", threadGrowth)} bytes.");
                Assert.True(workerGrowth[^1] == 0, $"The pool worker allocated in every window of 100 calls: {string.Join(", ", workerGrowth)} bytes.");
                if (requireCleanGlobalWindow)
                    Assert.True(globalGrowth[^1] == 0, $"GC.GetTotalAllocatedBytes grew in every window of 100 calls: {string.Join(", ", globalGrowth)} bytes.");
            }
        }
        finally
        {
            CpuParallel.ThreadCount = saved;
        }
    }

    private static void Step(float* x, float* w, float* bias, float* z, float* y, float* dz, float* dx, float* dw, float* db, int batch, int inFeatures, int outFeatures)
    {
        DenseKernels.Forward(x, w, bias, z, y, batch, inFeatures, outFeatures, Activation.ReLU, 0.01f);
        DenseKernels.Backward(x, w, dz, dx, dw, db, batch, inFeatures, outFeatures);
    }

    /// <summary>
    /// Reads the pool worker's own allocation counter: two parts that each wait for the other to
    /// start must run on two threads, so one of them runs on the worker.
    /// </summary>
    private sealed class WorkerAllocationProbe : CpuParallel.Work
    {
        private readonly long[] _bytes = new long[2];
        private readonly int[] _threads = new int[2];
        private int _started;
        private int _workerThread;

        public long Measure()
        {
            _started = 0;
            CpuParallel.ResetStallBackoff();
            CpuParallel.Run(this, 2);
            int callerThread = Environment.CurrentManagedThreadId;
            Assert.NotEqual(_threads[0], _threads[1]);
            int worker = _threads[0] == callerThread ? 1 : 0;
            if (_workerThread == 0) _workerThread = _threads[worker];
            Assert.Equal(_workerThread, _threads[worker]);
            return _bytes[worker];
        }

        public override void Execute(int part)
        {
            Interlocked.Increment(ref _started);
            long deadline = Stopwatch.GetTimestamp() + 10 * Stopwatch.Frequency;
            while (Volatile.Read(ref _started) < 2 && Stopwatch.GetTimestamp() < deadline) Thread.SpinWait(64);
            _bytes[part] = GC.GetAllocatedBytesForCurrentThread();
            _threads[part] = Environment.CurrentManagedThreadId;
        }
    }
}
