using System;
using System.Collections.Generic;
using ModelGen.Cuda;
using Xunit;

namespace ModelGen.Cuda.Tests;

/// <summary>Device selection never throws for a CPU user; on a machine without a GPU, Auto is the CPU with one message.</summary>
public class DeviceTests
{
    [Fact]
    public void Auto_ResolvesWithoutThrowing_AndExplainsACpuFallbackOnce()
    {
        var messages = new List<string>();
        var device = Device.Auto.Resolve(messages.Add);
        var availability = Device.CudaAvailability;
        if (availability.IsAvailable)
        {
            Assert.Equal(Device.Cuda(0), device);
            Assert.Empty(messages);
            return;
        }
        Assert.Equal(Device.Cpu, device);
        var message = Assert.Single(messages);
        Assert.StartsWith("ModelGen: Device.Auto is using the CPU: ", message);
        Assert.Contains(availability.Message, message);
        Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public void TheProbe_NeverThrows_AndNamesWhatIsMissing()
    {
        var availability = CudaAvailability.Detect();
        Assert.False(string.IsNullOrWhiteSpace(availability.Message));
        if (!availability.IsAvailable && availability.DeviceCount == 0)
            Assert.True(availability.Message.Contains("driver", StringComparison.OrdinalIgnoreCase) || availability.Message.Contains("GPU"), availability.Message);
    }

    [Fact]
    public void ExplicitDevices_ResolveToThemselves()
    {
        Assert.Equal(Device.Cpu, Device.Cpu.Resolve(_ => Assert.Fail("no message for an explicit device")));
        Assert.Equal(new Device(DeviceKind.Cuda, 1), Device.Cuda(1).Resolve(_ => Assert.Fail("no message for an explicit device")));
        Assert.Equal("cuda:1", Device.Cuda(1).ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => Device.Cuda(-1));
    }

    [Fact]
    public void WithoutAGpu_ACudaGraph_FailsWithTheReason_NotADllError()
    {
        if (Device.CudaAvailability.IsAvailable) return;   // on a GPU machine samples/GpuCheck covers this path
        var e = Assert.Throws<InvalidOperationException>(() => CudaGraph.For(new Bench.DigitsMlp(seed: 0), maxBatch: 8));
        Assert.Contains(Device.CudaAvailability.Message, e.Message);
    }

    [Fact]
    public void AModelWithoutCudaKernels_SaysWhichLayer()
    {
        var plan = CudaModelPlan.Unsupported("Tagger", "not supported on CUDA: layer 'Encoder' (LSTM)");
        Assert.False(plan.IsSupported);
        var e = Assert.Throws<NotSupportedException>(() => new CudaGraph(plan, maxBatch: 4));
        Assert.Equal("Tagger cannot run on CUDA: not supported on CUDA: layer 'Encoder' (LSTM).", e.Message);
    }
}
