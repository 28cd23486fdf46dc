using System;
using System.Collections.Generic;
using System.Linq;
using ModelGen.Cuda;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests.Training;

/// <summary>
/// <see cref="Model.Fit"/>'s device choice on a machine without CUDA: the CPU is exactly today's Fit, Auto falls
/// back to it with one message, and an explicit CUDA device fails with the reason before training.
/// (The GPU path itself is checked against the CPU on the host emulation in ModelGen.Cuda.Tests.)
/// </summary>
public class FitDeviceTests
{
    private static TrainingHistory Train(Model model, Dataset data, Device? device) =>
        model.Fit(data, data, epochs: 2, batchSize: 16, optimizer: new Sgd(0.1f, momentum: 0.9f), seed: 4,
            schedule: new StepDecay(3, 0.5f), device: device);

    [Fact]
    public void CpuDevice_IsTodaysFit_BitForBit()
    {
        var data = FitFeatureTests.MakeBlobs(40, seed: 1);
        var plain = new Blobs(seed: 2);
        var onCpu = new Blobs(seed: 2);
        var expected = Train(plain, data, device: null);
        var actual = Train(onCpu, data, Device.Cpu);
        Assert.Equal(expected.Select(e => (e.TrainLoss, e.ValidationLoss)), actual.Select(e => (e.TrainLoss, e.ValidationLoss)));
        Assert.Equal(plain.Parameters.ToArray(), onCpu.Parameters.ToArray());
    }

    [Fact]
    public void AutoDevice_WithoutCuda_TrainsOnTheCpu_BitForBit_AndSaysWhyOnce()
    {
        var availability = Device.CudaAvailability;
        if (availability.IsAvailable) return;   // on a GPU machine Auto trains there (ModelGen.Cuda.Tests, samples/GpuCheck)
        var data = FitFeatureTests.MakeBlobs(40, seed: 1);
        var plain = new Blobs(seed: 2);
        var auto = new Blobs(seed: 2);
        var expected = Train(plain, data, device: null);
        var messages = new List<string>();
        TrainingHistory actual;
        using (FitGpu.Use(FitGpu.Driver with { Report = messages.Add }))
            actual = Train(auto, data, Device.Auto);

        Assert.Equal(expected.Select(e => (e.TrainLoss, e.ValidationLoss)), actual.Select(e => (e.TrainLoss, e.ValidationLoss)));
        Assert.Equal(plain.Parameters.ToArray(), auto.Parameters.ToArray());
        Assert.Equal(plain.Gradients.ToArray(), auto.Gradients.ToArray());
        var message = Assert.Single(messages);
        Assert.Equal("ModelGen: Device.Auto is using the CPU: " + availability.Message, message);
    }

    [Fact]
    public void CudaDevice_WithoutCuda_FailsWithTheReason_BeforeTraining()
    {
        var availability = Device.CudaAvailability;
        if (availability.IsAvailable) return;
        var data = FitFeatureTests.MakeBlobs(40, seed: 1);
        var model = new Blobs(seed: 2);
        var before = model.Parameters.ToArray();
        var optimizer = new Adam(1e-2f);
        // InvalidOperationException with the probe's reason, never a DllNotFoundException from the driver's absence.
        var error = Assert.Throws<InvalidOperationException>(() => model.Fit(data, epochs: 1, batchSize: 16, optimizer: optimizer, device: Device.Cuda()));
        Assert.StartsWith("Blobs.Fit cannot train on cuda:0: ", error.Message);
        Assert.Contains(availability.Message, error.Message);
        Assert.Contains("Device.Auto", error.Message);
        Assert.Equal(before, model.Parameters.ToArray());
        Assert.Equal(0, optimizer.StepCount);
    }

    /// <summary>Blobs with a CUDA plan the emitter refused (every generated model has kernels today, so the refusal is made up here).</summary>
    private sealed class BlobsWithoutCudaKernels(int seed) : Blobs(seed)
    {
        public static readonly CudaModelPlan Refused = CudaModelPlan.Unsupported(nameof(BlobsWithoutCudaKernels), "not supported on CUDA: layer 'Hidden' (Custom)");

        public override CudaModelPlan GetCudaPlan() => Refused;
    }

    [Fact]
    public void CudaDevice_OnAModelWithoutCudaKernels_SaysWhy()
    {
        // The plan's reason reaches the error, checked before CUDA's presence matters.
        var model = new BlobsWithoutCudaKernels(seed: 1);
        var data = FitFeatureTests.MakeBlobs(8, seed: 1);
        var before = model.Parameters.ToArray();
        NotSupportedException error;
        using (FitGpu.Use(FitGpu.Driver with { Availability = () => new CudaAvailability(true, "a GPU", 1) }))
            error = Assert.Throws<NotSupportedException>(() => model.Fit(data, epochs: 1, batchSize: 2, device: Device.Cuda()));
        Assert.Equal("BlobsWithoutCudaKernels.Fit cannot train on cuda:0: it has no CUDA kernels for this model (not supported on CUDA: layer 'Hidden' (Custom)). Or train on the CPU (device: Device.Cpu or Device.Auto).", error.Message);
        Assert.Equal(before, model.Parameters.ToArray());
    }
}
