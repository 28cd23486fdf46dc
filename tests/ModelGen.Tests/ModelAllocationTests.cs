using System;
using ModelGen.Compute;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests;

[Collection(ModelGen.Tests.Cpu.SerialCollection.Name)]
public class ModelAllocationTests
{
    [Fact]
    public void TrainStepAndPredict_AllocateNothingAfterWarmUp() => AssertNoAllocations(new WideNet(seed: 1), l2: 0f);

    [Fact]
    public void TrainStepWithAFrozenLayer_AllocatesNothingAfterWarmUp()
    {
        // The ranged update, penalty and clipping of the trainable layers, and the backward pass that skips the frozen one.
        var model = new WideNet(seed: 1);
        model.Freeze("Hidden2");
        AssertNoAllocations(model, l2: 1e-3f);
    }

    [Fact]
    public unsafe void ParametersAndGradients_StartOnTheWorkspaceAlignment()
    {
        // The kernels read a layer's weights with whole-line vector loads; an array's elements alone start 16 bytes off a line.
        foreach (int seed in new[] { 1, 2, 3 })
        {
            var model = new WideNet(seed);
            fixed (float* parameters = model.Parameters, gradients = model.Gradients)
            {
                Assert.Equal(0, (long)parameters % ModelGraph<float>.BufferAlignment);
                Assert.Equal(0, (long)gradients % ModelGraph<float>.BufferAlignment);
            }
            Assert.Equal(model.ParameterCount, model.Parameters.Length);
            Assert.Equal(model.ParameterCount, model.Gradients.Length);
        }
    }

    private static void AssertNoAllocations(WideNet model, float l2)
    {
        var rng = new Rng(9);
        const int batch = 64;
        var x = new float[batch * 256];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        var y = new float[batch];
        for (int i = 0; i < batch; i++) y[i] = rng.NextInt(10);
        var outputs = new float[batch * 10];
        var optimizer = new AdamW(1e-3f);
        for (int i = 0; i < 50; i++) { model.TrainStep(x, y, batch, optimizer, clipGradientNorm: 5f, l2: l2); model.Predict(x, batch, outputs); }

        // The test host's own threads allocate now and then, so the process-wide figure (kernel
        // worker threads included) is measured by the benchmark program, which prints it per step.
        // A per-step allocation shows in every window; a one-time growth under load in one at most.
        var windows = new System.Collections.Generic.List<long>();
        for (int window = 0; window < 3 && (windows.Count == 0 || windows[^1] != 0); window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++)
            {
                model.TrainStep(x, y, batch, optimizer, clipGradientNorm: 5f, l2: l2);
                model.Predict(x, batch, outputs);
            }
            windows.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(windows[^1] == 0, $"Bytes allocated per window of 10 steps: {string.Join(", ", windows)}.");
    }
}
