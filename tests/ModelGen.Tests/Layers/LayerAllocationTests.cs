using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ModelGen.Cpu;
using ModelGen.Tests.Cpu;
using Xunit;

namespace ModelGen.Tests.Layers;

/// <summary>
/// Layers whose workspace the caller owns allocate nothing per call once warm (GEMM scratch and
/// pool jobs are per thread, created on the first call). Serial, because thread counts are changed.
/// </summary>
[Collection(SerialCollection.Name)]
public unsafe class LayerAllocationTests
{
    [Fact]
    public void Conv2d_AllocatesNothingAfterWarmUp()
    {
        var s = new Conv2dShape(16, 6, 14, 14, 16, 5, 5, groups: 2);
        float* x = Pinned(TestData.Random<float>((int)s.InputElements, 1)), w = Pinned(TestData.Random<float>((int)s.WeightCount, 2));
        float* b = Pinned(TestData.Random<float>(16, 3)), dy = Pinned(TestData.Random<float>((int)s.OutputElements, 4));
        float* y = Pinned(new float[s.OutputElements]), dx = Pinned(new float[s.InputElements]), dw = Pinned(new float[s.WeightCount]), db = Pinned(new float[16]);
        float* ws = Pinned(new float[ConvKernels.WorkspaceSize(s)]);
        AssertNoAllocation(() =>
        {
            ConvKernels.Forward(s, x, w, b, y, ws);
            ConvKernels.Backward(s, x, w, dy, dx, dw, db, ws);
        });
    }

    [Fact]
    public void Attention_AllocatesNothingAfterWarmUp()
    {
        const int b = 4, s = 16, d = 32, h = 4;
        float* x = Pinned(TestData.Random<float>(b * s * d, 1)), w = Pinned(TestData.Random<float>(d * 3 * d, 2)), bq = Pinned(TestData.Random<float>(3 * d, 3));
        float* wo = Pinned(TestData.Random<float>(d * d, 4)), bo = Pinned(TestData.Random<float>(d, 5)), dy = Pinned(TestData.Random<float>(b * s * d, 6));
        float* y = Pinned(new float[b * s * d]), dx = Pinned(new float[b * s * d]), dw = Pinned(new float[d * 3 * d]), dbq = Pinned(new float[3 * d]);
        float* dwo = Pinned(new float[d * d]), dbo = Pinned(new float[d]);
        float* saved = Pinned(new float[AttentionKernels.SavedSize(b, s, d, h)]), ws = Pinned(new float[AttentionKernels.WorkspaceSize(b, s, d, h)]);
        AssertNoAllocation(() =>
        {
            AttentionKernels.Forward(x, w, bq, wo, bo, y, saved, ws, b, s, d, h, true);
            AttentionKernels.Backward(x, w, wo, dy, dx, dw, dbq, dwo, dbo, saved, ws, b, s, d, h, true);
        });
    }

    /// <summary>A pointer to a pinned copy of <paramref name="data"/> (kept alive by the pinned-object list for the test's lifetime).</summary>
    internal static float* Pinned(float[] data)
    {
        float[] pinned = GC.AllocateArray<float>(data.Length, pinned: true);
        data.CopyTo(pinned);
        s_keepAlive.Add(pinned);
        return (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
    }

    private static readonly List<float[]> s_keepAlive = new();

    /// <summary>Warms up on one and two threads, then measures this thread's allocations over repeated calls at both counts.</summary>
    internal static void AssertNoAllocation(Action step)
    {
        int saved = CpuParallel.ThreadCount;
        try
        {
            foreach (int threads in new[] { 1, 2 })
            {
                CpuParallel.ThreadCount = threads;
                CpuParallel.ResetStallBackoff();
                for (int i = 0; i < 3; i++) step();
                // Allocation per call shows in every window. Under load the calling thread may run a kind of
                // work part for the first time and grow its scratch once, so one clean window of three suffices.
                var windows = new List<long>();
                for (int window = 0; window < 3 && (windows.Count == 0 || windows[^1] != 0); window++)
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    for (int i = 0; i < 5; i++) step();
                    windows.Add(GC.GetAllocatedBytesForCurrentThread() - before);
                }
                Assert.True(windows[^1] == 0, $"bytes allocated over 5 calls on {threads} thread(s), per window: {string.Join(", ", windows)}.");
            }
        }
        finally
        {
            CpuParallel.ThreadCount = saved;
        }
    }
}
