using System;
using System.Collections.Generic;
using System.Linq;

namespace ModelGen.Cuda;

/// <summary>
/// Runs a model's generated CUDA plan on one GPU: compiles (or loads from the cache) the model's
/// translation unit, allocates every buffer for <see cref="MaxBatch"/> samples once, and executes
/// forward, loss, backward and the fused optimizer update as launch sequences on one stream.
/// Parameters, gradients and optimizer moments stay on the GPU between steps; copy them back with
/// <see cref="DownloadParameters"/>.
/// </summary>
/// <remarks>Not verified on a GPU in this repository's CI (which has NVRTC but no GPU); see the README's CUDA section.</remarks>
public sealed unsafe class CudaGraph : IDisposable
{
    private readonly CudaModelPlan _plan;
    private readonly IKernelBackend _device;
    private readonly ulong[] _slots;
    private readonly Dictionary<string, nint> _functions = new();
    private long _seed;
    private long _launchCounter;
    private Optimizer? _momentsOwner;

    /// <summary>Prepares <paramref name="plan"/> on GPU <paramref name="deviceOrdinal"/> for batches of up to <paramref name="maxBatch"/>.</summary>
    /// <exception cref="NotSupportedException">The model has a layer the CUDA emitter does not translate.</exception>
    /// <exception cref="InvalidOperationException">CUDA is not available on this machine.</exception>
    /// <exception cref="NvrtcException">The generated source did not compile (the message has NVRTC's log).</exception>
    public CudaGraph(CudaModelPlan plan, int maxBatch, int deviceOrdinal = 0, CudaCompileOptions? options = null, KernelCache? cache = null)
        : this(plan, maxBatch, () =>
        {
            if (!NvrtcCompiler.IsAvailable(out string nvrtc)) throw new InvalidOperationException("CUDA kernels cannot be compiled: " + nvrtc);
            return new CudaModuleBackend(deviceOrdinal, plan, options ?? CudaCompileOptions.Default, cache ?? KernelCache.Default);
        })
    {
    }

    /// <summary>Prepares <paramref name="plan"/> on the device <paramref name="backend"/> creates (the GPU, or the tests' host emulation).</summary>
    internal CudaGraph(CudaModelPlan plan, int maxBatch, Func<IKernelBackend> backend)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (!plan.IsSupported) throw new NotSupportedException($"{plan.ModelName} cannot run on CUDA: {plan.UnsupportedReason}.");
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _plan = plan;
        MaxBatch = maxBatch;
        _device = backend();
        try
        {
            foreach (var launch in plan.Inference.Concat(plan.TrainingForward).Concat(plan.Loss).Concat(plan.Backward))
                if (!_functions.ContainsKey(launch.Kernel)) _functions[launch.Kernel] = _device.Function(launch.Kernel);
            _functions["modelgen_adam"] = _device.Function("modelgen_adam");
            _functions["modelgen_sgd"] = _device.Function("modelgen_sgd");

            _slots = new ulong[plan.Buffers.Count];
            for (int i = 0; i < _slots.Length; i++) _slots[i] = _device.Allocate(plan.Buffers[i].Elements(maxBatch) * 4);
            var (table, bytes) = _device.Global("modelgen_buffers");
            if (bytes != _slots.Length * sizeof(ulong))
                throw new InvalidOperationException($"The kernels of {plan.ModelName} declare {bytes / sizeof(ulong)} buffer slots, but the plan has {_slots.Length}; the generated source and plan do not match.");
            _device.Upload<ulong>(table, _slots);
            foreach (int slot in plan.ClearBeforeBackward) _device.Fill(_slots[slot], plan.Buffers[slot].Elements(maxBatch));
        }
        catch
        {
            _device.Dispose();
            throw;
        }
    }

    /// <summary>A graph for <paramref name="model"/> with its current parameters and state copied to the GPU.</summary>
    /// <exception cref="NotSupportedException">The model has no CUDA plan or a layer without a CUDA kernel.</exception>
    public static CudaGraph For(Model model, int maxBatch, int deviceOrdinal = 0, CudaCompileOptions? options = null, KernelCache? cache = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var plan = model.GetCudaPlan() ?? throw new NotSupportedException($"{model.GetType().Name} was built without a CUDA plan.");
        var graph = new CudaGraph(plan, maxBatch, deviceOrdinal, options, cache);
        graph.CopyFrom(model);
        return graph;
    }

    /// <summary>Copies <paramref name="model"/>'s parameters and state to the GPU.</summary>
    internal void CopyFrom(Model model)
    {
        UploadParameters(model.Parameters);
        if (_plan.StateCount > 0) UploadState(model.State);
    }

    /// <summary>Copies the GPU's parameters and state back into <paramref name="model"/>.</summary>
    public void CopyTo(Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        DownloadParameters(model.Parameters);
        if (_plan.StateCount > 0) DownloadState(model.State);
    }

    /// <summary>The compiled module (architecture, PTX or CUBIN, whether it came from the cache); null on the tests' host emulation.</summary>
    public CompiledKernels? Kernels => _device.Kernels;

    /// <summary>The GPU this graph runs on.</summary>
    public string DeviceName => _device.Name;

    /// <summary>Largest batch the buffers hold.</summary>
    public int MaxBatch { get; }

    /// <summary>Copies host parameters (a model's <see cref="Model.Parameters"/>) to the GPU.</summary>
    public void UploadParameters(ReadOnlySpan<float> parameters)
    {
        CheckLength(parameters.Length, _plan.ParameterCount, nameof(parameters));
        _device.Upload(_slots[CudaModelPlan.ParametersSlot], parameters);
    }

    /// <summary>Copies the GPU's parameters to the host.</summary>
    public void DownloadParameters(Span<float> parameters)
    {
        CheckLength(parameters.Length, _plan.ParameterCount, nameof(parameters));
        _device.Download(parameters, _slots[CudaModelPlan.ParametersSlot]);
    }

    /// <summary>Copies the gradients of the last <see cref="TrainStep"/> to the host.</summary>
    public void DownloadGradients(Span<float> gradients)
    {
        CheckLength(gradients.Length, _plan.ParameterCount, nameof(gradients));
        _device.Download(gradients, _slots[CudaModelPlan.GradientsSlot]);
    }

    /// <summary>Copies host state (BatchNorm running statistics, a model's <see cref="Model.State"/>) to the GPU.</summary>
    public void UploadState(ReadOnlySpan<float> state)
    {
        CheckLength(state.Length, _plan.StateCount, nameof(state));
        _device.Upload(_slots[CudaModelPlan.StateSlot], state);
    }

    /// <summary>Copies the GPU's state to the host.</summary>
    public void DownloadState(Span<float> state)
    {
        CheckLength(state.Length, _plan.StateCount, nameof(state));
        _device.Download(state, _slots[CudaModelPlan.StateSlot]);
    }

    /// <summary>Restarts the dropout stream from <paramref name="seed"/>.</summary>
    public void SetRandomSeed(long seed)
    {
        _seed = seed;
        _launchCounter = 0;
    }

    /// <summary>Forward pass in evaluation mode; writes batch × OutputSize values to <paramref name="output"/>.</summary>
    public void Forward(ReadOnlySpan<float> input, int batch, Span<float> output)
    {
        CheckBatch(batch);
        CheckLength(input.Length, batch * _plan.InputSize, nameof(input), atLeast: true);
        CheckLength(output.Length, batch * _plan.OutputSize, nameof(output), atLeast: true);
        _device.Upload(_slots[CudaModelPlan.InputSlot], input.Slice(0, batch * _plan.InputSize));
        Run(_plan.Inference, batch, training: false);
        _device.Download(output.Slice(0, batch * _plan.OutputSize), _slots[_plan.OutputSlot]);
    }

    /// <summary>Forward pass in evaluation mode plus the mean loss; computes no parameter gradient.</summary>
    public float Loss(ReadOnlySpan<float> input, ReadOnlySpan<float> targets, int batch)
    {
        UploadBatch(input, targets, batch);
        Run(_plan.Inference, batch, training: false);
        Run(_plan.Loss, batch, training: false);
        return ReadLoss();
    }

    /// <summary>Forward (training mode), loss and backward: the GPU's gradient buffer holds d(loss)/d(parameters) afterwards. Returns the mean loss.</summary>
    public float TrainStep(ReadOnlySpan<float> input, ReadOnlySpan<float> targets, int batch)
    {
        UploadBatch(input, targets, batch);
        Run(_plan.TrainingForward, batch, training: true);
        Run(_plan.Loss, batch, training: true);
        foreach (int slot in _plan.ClearBeforeBackward) _device.Fill(_slots[slot], _plan.Buffers[slot].Elements(MaxBatch));
        Run(_plan.Backward, batch, training: true);
        return ReadLoss();
    }

    /// <summary>
    /// One fused update of the GPU's parameters from its gradients (one kernel over the flat buffer):
    /// <see cref="Sgd"/>, <see cref="Adam"/> and <see cref="AdamW"/> with the CPU formulas. Advances the optimizer's step count.
    /// </summary>
    /// <exception cref="NotSupportedException">Another optimizer (its update runs only on the CPU).</exception>
    public void Step(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (optimizer is not (Sgd or Adam))
            throw new NotSupportedException($"{optimizer.GetType().Name} has no CUDA kernel; use Sgd, Adam or AdamW on the GPU.");
        if (!ReferenceEquals(_momentsOwner, optimizer))
        {
            // Optimizer state belongs to one optimizer instance, as on the CPU: a new one starts from zero moments.
            _device.Fill(_slots[CudaModelPlan.Moment1Slot], _plan.ParameterCount);
            _device.Fill(_slots[CudaModelPlan.Moment2Slot], _plan.ParameterCount);
            _momentsOwner = optimizer;
        }
        long step = optimizer.AdvanceStepCount();
        float lr = optimizer.LearningRate;
        uint blocks = (uint)Math.Clamp((_plan.ParameterCount + CudaModelPlan.ThreadsPerBlock - 1) / CudaModelPlan.ThreadsPerBlock, 1, CudaModelPlan.MaxBlocks);
        if (optimizer is Adam adam)
        {
            bool decoupled = adam is AdamW;
            float b1 = adam.Beta1, b2 = adam.Beta2, eps = adam.Epsilon;
            float c1 = 1f / (1f - MathF.Pow(b1, step)), c2 = 1f / (1f - MathF.Pow(b2, step));
            float coupled = decoupled ? 0f : adam.WeightDecay, decay = decoupled ? 1f - lr * adam.WeightDecay : 1f;
            void** args = stackalloc void*[] { &lr, &b1, &b2, &eps, &coupled, &decay, &c1, &c2 };
            _device.Launch(_functions["modelgen_adam"], blocks, CudaModelPlan.ThreadsPerBlock, args);
        }
        else
        {
            var sgd = (Sgd)optimizer;
            float momentum = sgd.Momentum, decay = sgd.WeightDecay;
            int nesterov = sgd.Nesterov ? 1 : 0;
            void** args = stackalloc void*[] { &lr, &momentum, &nesterov, &decay };
            _device.Launch(_functions["modelgen_sgd"], blocks, CudaModelPlan.ThreadsPerBlock, args);
        }
    }

    /// <summary>
    /// Makes <see cref="Step"/> continue <paramref name="optimizer"/> from the moments it holds on the host (zeros where it
    /// has none), so training begun on the CPU or in an earlier graph goes on as it would there.
    /// </summary>
    internal void ContinueOptimizer(Optimizer optimizer)
    {
        var (first, second) = optimizer.Moments;
        UploadMoment(CudaModelPlan.Moment1Slot, first);
        UploadMoment(CudaModelPlan.Moment2Slot, second);
        _momentsOwner = optimizer;
    }

    /// <summary>Copies the GPU's moments of <paramref name="optimizer"/> into its host state, so its next step, on either device, continues from them.</summary>
    internal void ReturnOptimizer(Optimizer optimizer)
    {
        if (!ReferenceEquals(_momentsOwner, optimizer)) return;
        optimizer.AllocateMoments(_plan.ParameterCount);
        var (first, second) = optimizer.Moments;
        if (first is not null) _device.Download<float>(first, _slots[CudaModelPlan.Moment1Slot]);
        if (second is not null) _device.Download<float>(second, _slots[CudaModelPlan.Moment2Slot]);
    }

    private void UploadMoment(int slot, float[]? moment)
    {
        if (moment is not null && moment.Length == _plan.ParameterCount) _device.Upload<float>(_slots[slot], moment);
        else _device.Fill(_slots[slot], _plan.ParameterCount);
    }

    /// <summary>Waits for all queued work (kernel faults surface here as <see cref="CudaException"/>).</summary>
    public void Synchronize() => _device.Synchronize();

    private void UploadBatch(ReadOnlySpan<float> input, ReadOnlySpan<float> targets, int batch)
    {
        CheckBatch(batch);
        CheckLength(input.Length, batch * _plan.InputSize, nameof(input), atLeast: true);
        CheckLength(targets.Length, batch * _plan.TargetSize, nameof(targets), atLeast: true);
        _device.Upload(_slots[CudaModelPlan.InputSlot], input.Slice(0, batch * _plan.InputSize));
        _device.Upload(_slots[CudaModelPlan.TargetsSlot], targets.Slice(0, batch * _plan.TargetSize));
    }

    private void Run(IReadOnlyList<CudaLaunch> launches, int batch, bool training)
    {
        int trainingFlag = training ? 1 : 0;
        ulong seed = 0;
        void** args = stackalloc void*[] { &batch, &trainingFlag, &seed };
        foreach (var launch in launches)
        {
            // Each launch gets its own seed, so two dropout layers (or two steps) never share a mask.
            seed = (ulong)_seed * 0x9E3779B97F4A7C15UL + (ulong)_launchCounter++;
            _device.Launch(_functions[launch.Kernel], launch.Blocks(batch), CudaModelPlan.ThreadsPerBlock, args);
        }
    }

    private float ReadLoss()
    {
        Span<float> loss = stackalloc float[1];
        _device.Download(loss, _slots[CudaModelPlan.LossSlot]);
        return loss[0];
    }

    private void CheckBatch(int batch)
    {
        if (batch < 1 || batch > MaxBatch) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"The batch must be between 1 and {MaxBatch} (this graph's maximum batch).");
    }

    private static void CheckLength(int actual, int expected, string name, bool atLeast = false)
    {
        if (atLeast ? actual < expected : actual != expected)
            throw new ArgumentException($"'{name}' has {actual} elements; {(atLeast ? "at least " : "")}{expected} are needed.", name);
    }

    /// <summary>Frees the GPU memory and module.</summary>
    public void Dispose() => _device.Dispose();
}
