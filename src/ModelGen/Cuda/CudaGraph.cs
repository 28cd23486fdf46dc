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
    private readonly float[] _partials = new float[CudaModelPlan.ReductionBlocks];

    private static readonly string[] OptimizerKernels =
    {
        "modelgen_adam", "modelgen_sgd", "modelgen_rmsprop", "modelgen_adagrad", "modelgen_adagrad_start",   // Optimizer.CudaUpdate's
        "modelgen_penalty", "modelgen_squared_norm", "modelgen_scale_gradients",
    };

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
            foreach (string kernel in OptimizerKernels) _functions[kernel] = _device.Function(kernel);

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

    /// <summary>Copies the gradients of the last <see cref="TrainStep(ReadOnlySpan{float}, ReadOnlySpan{float}, int)"/> to the host.</summary>
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

    /// <summary>
    /// Where the dropout stream stands: its seed and the launches made since (every launch derives its masks' seed from
    /// both). A checkpoint saves it; setting it continues the stream exactly.
    /// </summary>
    internal (long Seed, long Launches) DropoutPosition
    {
        get => (_seed, _launchCounter);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value.Launches);
            (_seed, _launchCounter) = value;
        }
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

    /// <summary>
    /// Forward (training mode), loss and backward: the GPU's gradient buffer holds d(loss)/d(parameters) afterwards, frozen
    /// layers' included (unlike the CPU, which skips them; <c>Fit</c> drops them before the update). Returns the mean loss.
    /// </summary>
    public float TrainStep(ReadOnlySpan<float> input, ReadOnlySpan<float> targets, int batch) => TrainStep(input, targets, batch, default);

    /// <summary>
    /// <see cref="TrainStep(ReadOnlySpan{float}, ReadOnlySpan{float}, int)"/> that also copies the training-mode outputs
    /// (batch × OutputSize) to <paramref name="trainingOutputs"/> unless it is empty: they are read between the forward pass
    /// and the loss, which may write its gradient over them.
    /// </summary>
    internal float TrainStep(ReadOnlySpan<float> input, ReadOnlySpan<float> targets, int batch, Span<float> trainingOutputs)
    {
        UploadBatch(input, targets, batch);
        Run(_plan.TrainingForward, batch, training: true);
        if (!trainingOutputs.IsEmpty)
        {
            CheckLength(trainingOutputs.Length, batch * _plan.OutputSize, nameof(trainingOutputs), atLeast: true);
            _device.Download(trainingOutputs.Slice(0, batch * _plan.OutputSize), _slots[_plan.OutputSlot]);
        }
        Run(_plan.Loss, batch, training: true);
        // Indexed loops: a foreach over the plan's IReadOnlyList would allocate an enumerator every step.
        for (int i = 0; i < _plan.ClearBeforeBackward.Count; i++)
        {
            int slot = _plan.ClearBeforeBackward[i];
            _device.Fill(_slots[slot], _plan.Buffers[slot].Elements(MaxBatch));
        }
        Run(_plan.Backward, batch, training: true);
        return ReadLoss();
    }

    /// <summary>
    /// Why <paramref name="optimizer"/> cannot update parameters on the GPU, or null when it can: <see cref="Sgd"/>,
    /// <see cref="Adam"/>, <see cref="AdamW"/>, <see cref="Adagrad"/> and <see cref="RmsProp"/> (not centered and with momentum at once).
    /// </summary>
    public static string? UnsupportedReason(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        return optimizer.CudaUnsupportedReason;
    }

    /// <summary>
    /// One update of the GPU's parameters from its gradients at the optimizer's <see cref="Optimizer.LearningRate"/>, with
    /// the CPU's formulas and order (<c>Model.TrainStep</c>): the optional L1/L2 penalty is added to the gradients, the
    /// gradients are clipped to <paramref name="clipGradientNorm"/> by their global norm, then one fused optimizer kernel
    /// runs over the flat buffer. Advances the optimizer's step count. The sums (penalty, norm) are partial
    /// sums per block that the host adds in a fixed order.
    /// </summary>
    /// <param name="optimizer"><see cref="Sgd"/>, <see cref="Adam"/>, <see cref="AdamW"/>, <see cref="RmsProp"/> or <see cref="Adagrad"/>.</param>
    /// <param name="clipGradientNorm">When positive, the global gradient norm is clipped to it (after the penalty).</param>
    /// <param name="l1">L1 coefficient: adds λ₁·Σ|p| to the loss and λ₁·sign(p) to every gradient.</param>
    /// <param name="l2">L2 coefficient: adds ½·λ₂·Σp² to the loss and λ₂·p to every gradient.</param>
    /// <returns>The penalty added to the loss (0 without <paramref name="l1"/> and <paramref name="l2"/>), computed before the update.</returns>
    /// <exception cref="NotSupportedException">The optimizer has no CUDA kernel (see <see cref="UnsupportedReason"/>).</exception>
    public float Step(Optimizer optimizer, float clipGradientNorm = 0f, float l1 = 0f, float l2 = 0f)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        return StepAt(optimizer, optimizer.LearningRate, clipGradientNorm, l1, l2);
    }

    /// <summary><see cref="Step(Optimizer, float, float, float)"/> at <paramref name="learningRate"/> (a schedule's rate for this step).</summary>
    internal float StepAt(Optimizer optimizer, float learningRate, float clipGradientNorm, float l1, float l2)
    {
        Span<ParameterRange> whole = [new ParameterRange(0, _plan.ParameterCount)];
        return StepAt(optimizer, learningRate, clipGradientNorm, l1, l2, whole);
    }

    /// <summary>
    /// <see cref="StepAt(Optimizer, float, float, float, float)"/> that changes only the parameters (and moments) in
    /// <paramref name="ranges"/>, the trainable layers; the penalty covers them alone. The gradients outside the ranges
    /// must be zero (<see cref="ClearGradients"/>), so that the clipping norm counts the trainable ones only.
    /// </summary>
    internal float StepAt(Optimizer optimizer, float learningRate, float clipGradientNorm, float l1, float l2, ReadOnlySpan<ParameterRange> ranges)
    {
        if (UnsupportedReason(optimizer) is string reason) throw new NotSupportedException(reason + ".");
        Optimizer.CheckStepRate(learningRate, nameof(learningRate));
        Optimizer.CheckNonNegative(l1, nameof(l1));
        Optimizer.CheckNonNegative(l2, nameof(l2));

        float penalty = 0f;
        if (l1 != 0f || l2 != 0f)
        {
            // One launch per range; their block sums are added in range order, so the total does not depend on scheduling.
            double sum = 0;
            foreach (var range in ranges)
            {
                Launch(new KernelCall("modelgen_penalty", l1, l2), CudaModelPlan.ReductionBlocks, range);
                sum += SumOfPartials();
            }
            penalty = (float)sum;
        }
        if (clipGradientNorm > 0f)
        {
            Launch(new KernelCall("modelgen_squared_norm"), CudaModelPlan.ReductionBlocks);
            float norm = (float)Math.Sqrt(SumOfPartials());
            if (norm > clipGradientNorm)
                Launch(new KernelCall("modelgen_scale_gradients", GradientClipping.ScaleFactor(norm, clipGradientNorm)), ParameterBlocks);
        }

        if (!ReferenceEquals(_momentsOwner, optimizer))
        {
            // Optimizer state belongs to one optimizer instance, as on the CPU: a new one starts from its initial moments.
            _device.Fill(_slots[CudaModelPlan.Moment1Slot], _plan.ParameterCount);
            _device.Fill(_slots[CudaModelPlan.Moment2Slot], _plan.ParameterCount);
            if (optimizer.CudaMomentStart is KernelCall start) Launch(start, ParameterBlocks);
            _momentsOwner = optimizer;
        }
        var update = optimizer.CudaUpdate(learningRate, optimizer.AdvanceStepCount());
        foreach (var range in ranges) Launch(update, BlocksFor(range.Count), range);
        return penalty;
    }

    /// <summary>Zeroes the gradients in <paramref name="ranges"/> (frozen layers: their weight gradients are computed on the GPU, then dropped).</summary>
    internal void ClearGradients(ReadOnlySpan<ParameterRange> ranges)
    {
        foreach (var range in ranges)
        {
            if ((uint)range.Start > (uint)_plan.ParameterCount || (uint)range.Count > (uint)(_plan.ParameterCount - range.Start))
                throw new ArgumentOutOfRangeException(nameof(ranges), $"The range [{range.Start}, {range.Start + range.Count}) lies outside the {_plan.ParameterCount} parameters.");
            if (range.Count > 0) _device.Fill(_slots[CudaModelPlan.GradientsSlot] + (ulong)range.Start * sizeof(float), range.Count);
        }
    }

    /// <summary>Launches <paramref name="call"/> on <paramref name="blocks"/> blocks, each argument passed by a pointer to its bytes.</summary>
    private void Launch(KernelCall call, uint blocks) => Launch(call, blocks, null);

    /// <summary>
    /// Launches a kernel that works on a range of the parameter buffer: the range's first element and count come before
    /// <paramref name="call"/>'s own arguments.
    /// </summary>
    private void Launch(KernelCall call, uint blocks, ParameterRange range) => Launch(call, blocks, (ParameterRange?)range);

    private void Launch(KernelCall call, uint blocks, ParameterRange? range)
    {
        const int most = KernelCall.MaxArguments + 2;
        uint* values = stackalloc uint[most];
        void** arguments = stackalloc void*[most];
        int count = 0;
        if (range is { } r)
        {
            values[count++] = unchecked((uint)r.Start);
            values[count++] = unchecked((uint)r.Count);
        }
        for (int i = 0; i < call.ArgumentCount; i++) values[count++] = call[i];
        for (int i = 0; i < count; i++) arguments[i] = values + i;
        _device.Launch(_functions[call.Kernel], blocks, CudaModelPlan.ThreadsPerBlock, count == 0 ? null : arguments);
    }

    /// <summary>Blocks of a kernel with one thread per parameter (the update kernels).</summary>
    private uint ParameterBlocks => BlocksFor(_plan.ParameterCount);

    /// <summary>Blocks of a kernel with one thread per element of <paramref name="elements"/>.</summary>
    private static uint BlocksFor(int elements) => (uint)Math.Clamp((elements + (long)CudaModelPlan.ThreadsPerBlock - 1) / CudaModelPlan.ThreadsPerBlock, 1, CudaModelPlan.MaxBlocks);

    /// <summary>The reduction slot's partial sums, added in block order (the same result for any scheduling).</summary>
    private double SumOfPartials()
    {
        _device.Download<float>(_partials, _slots[CudaModelPlan.ReductionSlot]);
        double sum = 0;
        foreach (float partial in _partials) sum += partial;
        return sum;
    }

    /// <summary>
    /// Makes <see cref="StepAt(Optimizer, float, float, float, float)"/> continue <paramref name="optimizer"/> from the moments it holds on the host (its
    /// starting values where it has none), so training begun on the CPU or in an earlier graph goes on as it would there.
    /// </summary>
    internal void ContinueOptimizer(Optimizer optimizer)
    {
        var (first, second) = optimizer.Moments;
        UploadMoment(CudaModelPlan.Moment1Slot, first);
        UploadMoment(CudaModelPlan.Moment2Slot, second);
        if (second is null && optimizer.CudaMomentStart is KernelCall start) Launch(start, ParameterBlocks);
        _momentsOwner = optimizer;
    }

    /// <summary>Copies the GPU's moments of <paramref name="optimizer"/> into its host state, so its next step, on either device, continues from them.</summary>
    internal void ReturnOptimizer(Optimizer optimizer)
    {
        if (!ReferenceEquals(_momentsOwner, optimizer)) return;
        optimizer.StateBuffers(_plan.ParameterCount);   // allocates what the host has not used yet
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
        for (int i = 0; i < launches.Count; i++)
        {
            var launch = launches[i];
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
