using System;
using System.IO;
using System.Linq;
using ModelGen.Compute;
using ModelGen.Cuda.Tests.Emulation;
using ModelGen.Serialization;
using ModelGen.Tests.Models;
using Xunit;
using static ModelGen.Cuda.Tests.CpuComparison;

namespace ModelGen.Cuda.Tests;

/// <summary>
/// Checkpoints and frozen layers on the GPU path of <see cref="Model.Fit"/>, run by the host emulation of the kernels: a
/// checkpoint holds the GPU's optimizer moments and dropout stream as they are after its epoch, so a resumed Fit continues
/// exactly; a frozen layer keeps every bit while the rest trains as it does on the CPU.
/// </summary>
[Collection(EmulatorCollection.Name)]
public sealed class EmulatedCheckpointTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "modelgen-gpu-checkpoints-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    private static FitGpu Emulated() => new(
        () => new CudaAvailability(true, "host emulation of the CUDA kernels", 1),
        (plan, maxBatch, device) => new CudaGraph(plan, maxBatch, () => HostEmulator.Create(plan, new CudaCompileOptions(device.MatMul))));

    private static TrainingHistory FitOnGpu(Model model, Dataset train, Dataset validation, int epochs, Optimizer optimizer,
        CheckpointOptions? checkpoints = null, string? resumeFrom = null)
    {
        using (FitGpu.Use(Emulated()))
            return model.Fit(train, validation, epochs, batchSize: 8, optimizer: optimizer, seed: 3, schedule: new CosineDecay(30),
                device: Device.Cuda(), checkpoints: checkpoints, resumeFrom: resumeFrom);
    }

    [EmulatorFact]
    public void ACheckpointHoldsTheGpusMomentsAndDropoutStream_AndResumesAsOneRun()
    {
        Assert.True(DropoutBatchNormBlobs.CudaPlan.IsSupported, DropoutBatchNormBlobs.CudaPlan.UnsupportedReason);
        var train = Gaussian(rows: 40, features: 5, classes: 3, seed: 1);
        var validation = Gaussian(rows: 24, features: 5, classes: 3, seed: 2);
        var whole = new DropoutBatchNormBlobs(seed: 1);
        var wholeAdam = new Adam(1e-2f);
        var wholeHistory = FitOnGpu(whole, train, validation, 4, wholeAdam);

        // Three epochs with a checkpoint after each; the resume starts from the middle one, whose moments only the GPU had.
        var first = new DropoutBatchNormBlobs(seed: 1);
        FitOnGpu(first, train, validation, 3, new Adam(1e-2f), new CheckpointOptions(_folder, keepLast: 0));
        var second = SafetensorsFile.Read(Path.Combine(_folder, Checkpoint.FileName(2)));
        var third = SafetensorsFile.Read(Path.Combine(_folder, Checkpoint.FileName(3)));
        Assert.Contains(second["optimizer.exp_avg"].ToFloat32(), m => m != 0);
        Assert.NotEqual(second["optimizer.exp_avg"].ToFloat32(), third["optimizer.exp_avg"].ToFloat32());
        Assert.Contains("\"gpu\":{\"seed\":3,\"launches\":", second.Metadata["modelgen.checkpoint"]);

        var resumed = new DropoutBatchNormBlobs(seed: 7);
        var resumedAdam = new Adam(1e-2f);
        var resumedHistory = FitOnGpu(resumed, train, validation, 4, resumedAdam, resumeFrom: Path.Combine(_folder, Checkpoint.FileName(2)));

        // The emulation runs the same kernels in the same order: the resumed run gives the same bits.
        Assert.Equal(wholeHistory.Select(e => (e.Epoch, e.TrainLoss, e.ValidationLoss, e.LearningRate)), resumedHistory.Select(e => (e.Epoch, e.TrainLoss, e.ValidationLoss, e.LearningRate)));
        Assert.Equal(whole.Parameters.ToArray(), resumed.Parameters.ToArray());
        Assert.Equal(whole.State.ToArray(), resumed.State.ToArray());
        Assert.Equal(wholeAdam.Moments.First, resumedAdam.Moments.First);
        Assert.Equal(wholeAdam.Moments.Second, resumedAdam.Moments.Second);
        Assert.Equal(wholeAdam.StepCount, resumedAdam.StepCount);
    }

    [EmulatorFact]
    public void AFrozenLayer_KeepsEveryBitOnTheGpu_AndTheRestTrainsLikeTheCpu()
    {
        Assert.True(FrozenBaseNet.CudaPlan.IsSupported, FrozenBaseNet.CudaPlan.UnsupportedReason);
        var train = Gaussian(rows: 40, features: 5, classes: 3, seed: 3);
        var cpu = new FrozenBaseNet(seed: 2);
        var gpu = new FrozenBaseNet(seed: 2);
        foreach (var model in new Model[] { cpu, gpu }) model.Freeze("Middle");   // Base is declared frozen: two frozen, one trains
        var initial = gpu.Parameters.ToArray();
        var cpuOptimizer = new AdamW(1e-2f, weightDecay: 0.1f);
        var gpuOptimizer = new AdamW(1e-2f, weightDecay: 0.1f);
        var cpuHistory = cpu.Fit(train, epochs: 3, batchSize: 8, optimizer: cpuOptimizer, seed: 1, l1: 1e-3f, l2: 1e-2f, clipGradientNorm: 0.5f);
        TrainingHistory gpuHistory;
        using (FitGpu.Use(Emulated()))
            gpuHistory = gpu.Fit(train, epochs: 3, batchSize: 8, optimizer: gpuOptimizer, seed: 1, l1: 1e-3f, l2: 1e-2f, clipGradientNorm: 0.5f, device: Device.Cuda());

        var head = gpu.ParameterLayers[2];
        for (int i = 0; i < head.Offset; i++)
        {
            Assert.Equal(initial[i], gpu.Parameters[i]);
            Assert.Equal(0f, gpu.Gradients[i]);
            Assert.Equal(0f, gpuOptimizer.Moments.First![i]);
        }
        Assert.NotEqual(initial.AsSpan(head.Offset, head.Count).ToArray(), gpu.Parameters.Slice(head.Offset, head.Count).ToArray());
        AssertClose("per-epoch training loss", cpuHistory.Select(e => e.TrainLoss).ToArray(), gpuHistory.Select(e => e.TrainLoss).ToArray(), Float32.Outputs);
        AssertClose("parameters", cpu.Parameters.ToArray(), gpu.Parameters.ToArray(), Float32.Parameters);
    }

    private static Dataset Gaussian(int rows, int features, int classes, int seed)
    {
        var rng = new Rng(seed);
        var x = new float[rows * features];
        var labels = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            labels[i] = rng.NextInt(classes);
            for (int j = 0; j < features; j++) x[i * features + j] = (float)(rng.NextGaussian() + (j % classes == labels[i] ? 2.0 : 0.0));
        }
        return Dataset.ForClassification(x, features, labels, classes);
    }
}
