using System;
using ModelGen.Cuda;

namespace ModelGen;

/// <summary>
/// Fit's steps on a GPU: a <see cref="CudaGraph"/> for the micro-batch size holds the parameters, BatchNorm state,
/// gradients and optimizer moments between steps; the model receives them after every epoch and when training ends, the
/// optimizer its moments before every checkpoint and when training ends. Frozen layers: the update kernels run over the
/// trainable ranges only, and the frozen layers' gradients (computed with the others) are zeroed before it.
/// </summary>
internal sealed class GpuTrainingDevice : TrainingDevice
{
    private readonly CudaGraph _gpu;
    private bool _modelIsCurrent = true;   // false while the GPU holds parameters the model has not received yet

    // The training-mode outputs of a step, copied back for the training accuracy (null for models without one).
    private readonly float[]? _outputs;

    private GpuTrainingDevice(Model model, Optimizer optimizer, UpdateOptions update, int batch, CudaGraph gpu) : base(model, optimizer, update, batch)
    {
        _gpu = gpu;
        if (CountsAccuracy) _outputs = GC.AllocateArray<float>(batch * model.OutputSize, pinned: true);
    }

    /// <summary>
    /// The GPU device for <paramref name="device"/> holding the model's parameters and state and the optimizer's moments,
    /// or null for the CPU. <see cref="Device.Auto"/> takes the CPU, with one message, when CUDA is missing or cannot do
    /// what was asked; an explicit CUDA device throws instead.
    /// </summary>
    /// <exception cref="InvalidOperationException">An explicit CUDA device on a machine without CUDA, or without that GPU.</exception>
    /// <exception cref="NotSupportedException">An explicit CUDA device, and the model or an option cannot train there.</exception>
    public static GpuTrainingDevice? TryOpen(Model model, Device? device, Optimizer optimizer, int batch, int accumulationSteps, UpdateOptions update, bool classWeighted = false)
    {
        if (device is null || device.Kind == DeviceKind.Cpu) return null;
        string name = model.GetType().Name;
        var fitGpu = FitGpu.Current;
        var availability = fitGpu.Availability();
        var plan = model.GetCudaPlan();
        string? unsupported = UnsupportedReason(plan, optimizer, accumulationSteps, classWeighted);
        if (device.Kind == DeviceKind.Auto)
        {
            device = device.Resolve(availability, fitGpu.Report);
            if (device.Kind == DeviceKind.Cpu) return null;
            if (unsupported is not null)
            {
                Device.ReportCpuFallback($"{name}.Fit {unsupported}.", fitGpu.Report);
                return null;
            }
        }
        else
        {
            if (!availability.IsAvailable)
                throw new InvalidOperationException($"{name}.Fit cannot train on {device}: {availability.Message.TrimEnd('.')}. Pass device: Device.Auto to fall back to the CPU, or Device.Cpu.");
            if (device.Ordinal >= availability.DeviceCount)
                throw new InvalidOperationException($"{name}.Fit cannot train on {device}: this machine has {availability.DeviceCount} CUDA GPU{(availability.DeviceCount == 1 ? "" : "s")} (ordinals from 0).");
            if (unsupported is not null)
                throw new NotSupportedException($"{name}.Fit cannot train on {device}: it {unsupported}. Or train on the CPU (device: Device.Cpu or Device.Auto).");
        }
        var gpu = fitGpu.CreateGraph(plan!, batch, device);
        try
        {
            gpu.CopyFrom(model);
            gpu.ContinueOptimizer(optimizer);
            return new GpuTrainingDevice(model, optimizer, update, batch, gpu);
        }
        catch
        {
            gpu.Dispose();
            throw;
        }
    }

    /// <summary>What keeps Fit off the GPU, phrased to follow "Fit" with what to do instead; null when it can train there.</summary>
    private static string? UnsupportedReason(CudaModelPlan? plan, Optimizer optimizer, int accumulationSteps, bool classWeighted)
    {
        if (classWeighted) return "weighs the loss by class (classWeights) only on the CPU";
        if (plan is null) return "has no CUDA plan (the model was built without one)";
        if (!plan.IsSupported) return $"has no CUDA kernels for this model ({plan.UnsupportedReason})";
        if (CudaGraph.UnsupportedReason(optimizer) is string reason) return $"cannot step {optimizer.GetType().Name} on the GPU: {reason}";
        if (accumulationSteps > 1) return "accumulates gradients (accumulationSteps > 1) only on the CPU; on the GPU pass a batchSize of accumulationSteps × batchSize instead";
        return null;
    }

    public override void SetRandomSeed(long seed) => _gpu.SetRandomSeed(seed);

    public override float Step(Dataset train, ReadOnlySpan<int> rows, float learningRate)
    {
        Gather(train, rows);
        // With an accuracy, the step copies its outputs back (batch × OutputSize floats) and the host judges them as on the CPU.
        float loss = _gpu.TrainStep(Inputs, Targets, rows.Length, _outputs);
        if (_outputs is not null) CountCorrect(_outputs, rows.Length);
        Model.CountTrainingForward();
        // Frozen layers: their weight gradients are computed on the GPU and dropped here; the update leaves them out.
        if (Model.HasFrozenLayers) _gpu.ClearGradients(Model.FrozenRanges);
        loss += _gpu.StepAt(Optimizer, learningRate, Update.ClipGradientNorm, Update.L1, Update.L2, Model.TrainableRanges);
        _modelIsCurrent = false;
        return loss;
    }

    public override void UpdateOptimizer() => _gpu.ReturnOptimizer(Optimizer);

    public override void Reload()
    {
        _gpu.CopyFrom(Model);
        _gpu.ContinueOptimizer(Optimizer);
    }

    public override (long Seed, long Launches)? GpuDropout
    {
        get => _gpu.DropoutPosition;
        set
        {
            if (value is { } position) _gpu.DropoutPosition = position;
        }
    }

    public override void UpdateModel()
    {
        CopyToModel();
        _modelIsCurrent = true;
    }

    /// <summary>
    /// The model receives the parameters of the last step when it has not yet (a step threw), and the optimizer its
    /// moments, so it continues from them. After a failure the device may be what failed: then the model keeps the
    /// last finished epoch and the original exception is the one reported.
    /// </summary>
    public override void Finish(bool completed)
    {
        try
        {
            if (!_modelIsCurrent) CopyToModel();
            _gpu.ReturnOptimizer(Optimizer);
        }
        catch (Exception) when (!completed)
        {
        }
    }

    public override void Dispose() => _gpu.Dispose();

    /// <summary>Gives the model the GPU's parameters, state and gradients.</summary>
    private void CopyToModel()
    {
        _gpu.CopyTo(Model);
        _gpu.DownloadGradients(Model.GradientBuffer);
    }
}
