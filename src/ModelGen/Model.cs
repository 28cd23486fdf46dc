using System;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using ModelGen.Compute;

namespace ModelGen;

/// <summary>
/// Base of every generated model: owns the flat parameter and gradient buffers and provides
/// training (<see cref="Fit"/>), evaluation and prediction on top of the generated graph.
/// </summary>
public abstract partial class Model
{
    private readonly float[] _parameters;
    private readonly float[] _gradients;
    private ModelGraph<float>? _graph;
    private float[] _batchInputs = Array.Empty<float>();
    private float[] _batchTargets = Array.Empty<float>();
    private float[] _accumulated = Array.Empty<float>();
    private int _accumulatedCount;

    /// <summary>Allocates the parameter and gradient buffers (zeroed; the generated constructor initialises them).</summary>
    protected Model(int parameterCount)
    {
        _parameters = GC.AllocateArray<float>(parameterCount, pinned: true);
        _gradients = GC.AllocateArray<float>(parameterCount, pinned: true);
    }

    /// <summary>Elements of one input sample (the product of the declared input shape).</summary>
    public abstract int InputSize { get; }

    /// <summary>Elements of one output sample.</summary>
    public abstract int OutputSize { get; }

    /// <summary>The loss minimised by <see cref="Fit"/>.</summary>
    public abstract Loss Loss { get; }

    /// <summary>
    /// The first layer that normalises with statistics of the training batch (BatchNorm), or null. Such a layer
    /// cannot train on a batch of one row (the batch variance is zero), so <see cref="Fit"/> refuses batch
    /// sizes that would produce one.
    /// </summary>
    protected virtual string? BatchStatisticsLayer => null;

    /// <summary>
    /// Class labels per sample under softmax cross-entropy: 1 for a classifier; the sequence length for a
    /// model whose output is [sequence, classes] (one label per position, e.g. next-token targets).
    /// </summary>
    public virtual int LabelsPerSample => 1;

    /// <summary>
    /// The padding id of a model with variable-length sequences (an <c>[Embedding]</c> with
    /// <see cref="EmbeddingAttribute.MaskPadding"/>): each sample's length is one past its last other id, and
    /// positions after it do not count (loss, <see cref="Evaluate"/>'s accuracy, <see cref="PredictClasses"/>). −1 for other models.
    /// </summary>
    public virtual int MaskPaddingIndex => -1;

    /// <summary>The length of one sample of a MaskPadding model: one past its last non-padding id.</summary>
    private int SampleLength(ReadOnlySpan<float> ids) => Cpu.EmbeddingKernels.Length(ids, MaskPaddingIndex);

    /// <summary>Whether per-position labels stop at each sample's length (a MaskPadding model labelling every position).</summary>
    private bool MasksLabels(ModelHead head) => MaskPaddingIndex >= 0 && head.Loss == Loss.SoftmaxCrossEntropy && head.TargetSize > 1;

    /// <summary>
    /// Elements of one sample's target: <see cref="LabelsPerSample"/> class indices for softmax cross-entropy,
    /// 1 (similar or not) for contrastive pairs, else <see cref="OutputSize"/>; with several <see cref="Heads"/>,
    /// their targets side by side.
    /// </summary>
    public int TargetSize => _targetSize ??= TotalTargetSize();

    /// <summary>Outputs per class label: the class count under softmax cross-entropy.</summary>
    private int ClassWidth => OutputSize / LabelsPerSample;

    /// <summary>Number of trainable parameters.</summary>
    public int ParameterCount => _parameters.Length;

    /// <summary>All parameters, one contiguous buffer (layer by layer: weights in×out row-major, then bias).</summary>
    public Span<float> Parameters => _parameters;

    /// <summary>Gradients of the last training step, laid out as <see cref="Parameters"/>.</summary>
    public ReadOnlySpan<float> Gradients => _gradients;

    /// <summary>A Keras-like table of the layers: output shapes, parameter counts and totals.</summary>
    public abstract string Summary();

    /// <summary>
    /// The generated CUDA plan of this model (translation unit and launch sequences, see
    /// <see cref="Cuda.CudaGraph"/>); its <see cref="Cuda.CudaModelPlan.UnsupportedReason"/> says when a layer has no CUDA kernel.
    /// </summary>
    public virtual Cuda.CudaModelPlan? GetCudaPlan() => null;

    /// <summary>Creates the generated computation for <paramref name="maxBatch"/> samples.</summary>
    protected abstract ModelGraph<float> CreateGraph(int maxBatch);

    /// <summary>The graph for batches up to <paramref name="batch"/>, reused while large enough.</summary>
    private ModelGraph<float> GraphFor(int batch)
    {
        if (_graph is null || _graph.MaxBatch < batch)
        {
            var graph = CreateGraph(batch);
            _graph?.State.CopyTo(graph.State);   // running statistics outlive the workspace
            _graph = graph;
        }
        return _graph;
    }

    /// <summary>
    /// State learned from the data but not by the optimizer (BatchNorm's running mean and variance),
    /// one contiguous buffer; empty for models without such layers.
    /// </summary>
    public Span<float> State => GraphFor(1).State;

    /// <summary>
    /// One training step on a batch: forward, loss, backward, optional L1/L2 penalty, optional clipping,
    /// optimizer update. Allocates nothing once the graph and optimizer state exist. Returns the batch's
    /// mean loss plus the penalty (see <paramref name="l1"/>, <paramref name="l2"/>).
    /// </summary>
    /// <param name="inputs">batch × <see cref="InputSize"/> features, row-major.</param>
    /// <param name="targets">batch × <see cref="TargetSize"/> targets.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="optimizer">Updates the parameters.</param>
    /// <param name="clipGradientNorm">When positive, the global gradient norm is clipped to it (after the penalty is added).</param>
    /// <param name="l1">
    /// L1 coefficient λ₁: adds λ₁·Σ|p| to the loss and λ₁·sign(p) to every gradient (sign(0) = 0).
    /// It covers the whole flat buffer, biases included: the runtime does not know which elements are biases.
    /// </param>
    /// <param name="l2">
    /// L2 coefficient λ₂: adds ½·λ₂·Σp² to the loss and its derivative λ₂·p to every gradient (biases
    /// included). With plain SGD this equals <c>Sgd</c>'s <c>weightDecay</c>; for decoupled decay use <see cref="AdamW"/>.
    /// </param>
    public float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batch, Optimizer optimizer,
        float clipGradientNorm = 0f, float l1 = 0f, float l2 = 0f)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        CheckPenalties(l1, l2);
        float loss = GraphFor(batch).TrainStep(_parameters, _gradients, inputs, targets, batch);
        return loss + ApplyStep(optimizer, clipGradientNorm, l1, l2);
    }

    /// <summary>
    /// Gradient accumulation, first half: forward, loss and backward on one micro-batch, adding
    /// <paramref name="weight"/> × its mean-loss gradient to an accumulation buffer (allocated once, on
    /// first use); the parameters do not change. Returns the micro-batch's mean loss. Weights
    /// <c>nᵢ / Σn</c> over the micro-batches of one step give exactly the gradient of one batch of Σn
    /// samples. Allocates nothing after the first call for a batch size.
    /// </summary>
    /// <param name="inputs">batch × <see cref="InputSize"/> features, row-major.</param>
    /// <param name="targets">batch × <see cref="TargetSize"/> targets.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="weight">Factor of this micro-batch's gradient in the sum.</param>
    public float AccumulateGradients(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batch, float weight = 1f)
    {
        if (!float.IsFinite(weight)) throw new ArgumentOutOfRangeException(nameof(weight), weight, "The weight must be finite.");
        float loss = GraphFor(batch).TrainStep(_parameters, _gradients, inputs, targets, batch);
        if (_accumulated.Length != _gradients.Length) _accumulated = GC.AllocateArray<float>(_gradients.Length, pinned: true);
        ScaledAdd(_gradients, weight, _accumulated, overwrite: _accumulatedCount == 0);
        _accumulatedCount++;
        return loss;
    }

    /// <summary>
    /// Gradient accumulation, second half: applies the sum built by <see cref="AccumulateGradients"/>
    /// (plus the optional penalty, then clipping) in one optimizer step and empties the sum.
    /// Afterwards <see cref="Gradients"/> holds the gradient that was applied. Returns the penalty
    /// added to the loss (0 without <paramref name="l1"/>/<paramref name="l2"/>).
    /// </summary>
    /// <param name="optimizer">Updates the parameters.</param>
    /// <param name="clipGradientNorm">When positive, the global gradient norm is clipped to it.</param>
    /// <param name="l1">L1 coefficient, as in <see cref="TrainStep"/>.</param>
    /// <param name="l2">L2 coefficient, as in <see cref="TrainStep"/>.</param>
    /// <exception cref="InvalidOperationException">No micro-batch was accumulated since the last step.</exception>
    public float ApplyAccumulatedGradients(Optimizer optimizer, float clipGradientNorm = 0f, float l1 = 0f, float l2 = 0f)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        CheckPenalties(l1, l2);
        if (_accumulatedCount == 0) throw new InvalidOperationException("No gradients were accumulated since the last step; call AccumulateGradients first.");
        _accumulated.AsSpan().CopyTo(_gradients);
        _accumulatedCount = 0;
        return ApplyStep(optimizer, clipGradientNorm, l1, l2);
    }

    /// <summary>Penalty, clipping and update on the gradient buffer; returns the penalty.</summary>
    private float ApplyStep(Optimizer optimizer, float clipGradientNorm, float l1, float l2)
    {
        float penalty = l1 != 0f || l2 != 0f ? AddPenalty(_parameters, _gradients, l1, l2) : 0f;
        if (clipGradientNorm > 0f) GradientClipping.ClipByGlobalNorm(_gradients, clipGradientNorm);
        optimizer.Step(_parameters, _gradients);
        return penalty;
    }

    /// <summary>g += λ₁·sign(p) + λ₂·p; returns λ₁·Σ|p| + ½·λ₂·Σp².</summary>
    private static float AddPenalty(ReadOnlySpan<float> parameters, Span<float> gradients, float l1, float l2)
    {
        double abs = 0, squares = 0;
        for (int i = 0; i < parameters.Length; i++)
        {
            float p = parameters[i];
            float sign = p > 0f ? 1f : p < 0f ? -1f : 0f;
            gradients[i] += l1 * sign + l2 * p;
            abs += Math.Abs(p);
            squares += (double)p * p;
        }
        return (float)(l1 * abs + 0.5 * l2 * squares);
    }

    /// <summary>target = w·source (overwrite) or target += w·source.</summary>
    private static void ScaledAdd(ReadOnlySpan<float> source, float weight, Span<float> target, bool overwrite)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var s = MemoryMarshal.Cast<float, Vector<float>>(source);
            var t = MemoryMarshal.Cast<float, Vector<float>>(target);
            if (overwrite) for (int v = 0; v < s.Length; v++) t[v] = s[v] * weight;
            else for (int v = 0; v < s.Length; v++) t[v] += s[v] * weight;
            i = s.Length * Vector<float>.Count;
        }
        if (overwrite) for (; i < source.Length; i++) target[i] = source[i] * weight;
        else for (; i < source.Length; i++) target[i] += source[i] * weight;
    }

    private static void CheckPenalties(float l1, float l2)
    {
        Optimizer.CheckNonNegative(l1, nameof(l1));
        Optimizer.CheckNonNegative(l2, nameof(l2));
    }

    /// <summary>
    /// Trains for <paramref name="epochs"/> passes over <paramref name="train"/> in shuffled
    /// mini-batches (the shuffle is seeded: the same seed gives bit-identical results on the CPU),
    /// evaluating on <paramref name="validation"/> after each epoch when given.
    /// </summary>
    /// <param name="train">Training samples; their feature count must equal <see cref="InputSize"/>.</param>
    /// <param name="validation">Optional samples evaluated after every epoch (required by <paramref name="earlyStopping"/>).</param>
    /// <param name="epochs">Number of passes over the training set (the most, with <paramref name="earlyStopping"/>).</param>
    /// <param name="batchSize">Samples per micro-batch (the last one of an epoch may be smaller).</param>
    /// <param name="optimizer">Update rule; defaults to <c>new Adam(1e-3f)</c>.</param>
    /// <param name="seed">Seed of the shuffling.</param>
    /// <param name="clipGradientNorm">When positive, the global gradient norm is clipped to it each step.</param>
    /// <param name="onEpoch">Called after each epoch with its figures (e.g. to print progress).</param>
    /// <param name="schedule">
    /// Learning-rate schedule, evaluated before every optimizer step with the 0-based step index of this
    /// call and the optimizer's rate at the start as base rate; the base rate is put back on return.
    /// </param>
    /// <param name="accumulationSteps">
    /// Micro-batches of <paramref name="batchSize"/> whose gradients are combined before one optimizer step
    /// (≥ 1). Each is weighted by its share of the step's samples, so the step equals one batch of
    /// <c>accumulationSteps × batchSize</c> (the mean, not the sum), also for the shorter last step of an epoch.
    /// Groups do not cross epochs.
    /// </param>
    /// <param name="earlyStopping">Stops when the validation figure stops improving, optionally restoring the best parameters.</param>
    /// <param name="l1">L1 penalty λ₁ (see <see cref="TrainStep"/>); included in the reported training loss, not in the validation loss.</param>
    /// <param name="l2">L2 penalty λ₂, adding ½·λ₂·Σp² to the loss (see <see cref="TrainStep"/>); biases are penalised too.</param>
    /// <param name="device">
    /// Where the optimizer steps run. Null or <see cref="Device.Cpu"/>: the CPU. <see cref="Device.Cuda(int, Cuda.MatMulPrecision)"/>: that GPU (GEMMs in its <see cref="Device.MatMul"/> precision),
    /// through a <see cref="Cuda.CudaGraph"/> for <paramref name="batchSize"/> holding the parameters, BatchNorm state and
    /// optimizer moments; the model receives them after every epoch (validation, <paramref name="onEpoch"/> and early
    /// stopping run on the CPU as usual) and when Fit ends. The GPU takes <see cref="Sgd"/>, <see cref="Adam"/>,
    /// <see cref="AdamW"/>, <see cref="RmsProp"/> (not centered and with momentum at once) and <see cref="Adagrad"/>, with
    /// <paramref name="clipGradientNorm"/>, <paramref name="l1"/> and <paramref name="l2"/>, but not
    /// <paramref name="accumulationSteps"/> &gt; 1; it sums in another order, so losses agree with the CPU's to float32
    /// rounding, not bit for bit (and dropout draws other masks). <see cref="Device.Auto"/>: the GPU when CUDA is present and
    /// can do what was asked, else the CPU with one message saying why (see <see cref="Device.Resolve(Action{string})"/>).
    /// </param>
    /// <returns>Per-epoch losses and validation metrics, and where early stopping ended.</returns>
    /// <exception cref="NotSupportedException">An explicit CUDA device, and the model or an option cannot train there (the message says what to use instead).</exception>
    /// <exception cref="InvalidOperationException">An explicit CUDA device on a machine without CUDA (the message says what is missing); or the training loss became NaN or infinite.</exception>
    public TrainingHistory Fit(Dataset train, Dataset? validation = null, int epochs = 10, int batchSize = 32,
        Optimizer? optimizer = null, int seed = 0, float clipGradientNorm = 0f, Action<EpochResult>? onEpoch = null,
        LearningRateSchedule? schedule = null, int accumulationSteps = 1, EarlyStopping? earlyStopping = null,
        float l1 = 0f, float l2 = 0f, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        CheckData(train, nameof(train));
        if (validation is not null) CheckData(validation, nameof(validation));
        if (epochs < 0) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "The number of epochs must be ≥ 0.");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be ≥ 1.");
        if (accumulationSteps < 1) throw new ArgumentOutOfRangeException(nameof(accumulationSteps), accumulationSteps, "The number of accumulation steps must be ≥ 1.");
        CheckPenalties(l1, l2);
        if (train.Count == 0) throw new ArgumentException("The training set has no rows.", nameof(train));
        if (earlyStopping is not null)
        {
            if (validation is null)
                throw new ArgumentException("Early stopping monitors the validation set after every epoch; pass 'validation' to Fit.", nameof(earlyStopping));
            if (earlyStopping.Monitor == EarlyStopMetric.ValidationAccuracy && (Loss is Loss.MeanSquaredError or Loss.Contrastive || Heads.Count > 1))
                throw new ArgumentException(Heads.Count > 1
                    ? $"{GetType().Name} has {Heads.Count} heads, each with its own accuracy; monitor EarlyStopMetric.ValidationLoss (the weighted total)."
                    : $"{GetType().Name} uses {Loss}, which has no accuracy; monitor EarlyStopMetric.ValidationLoss.", nameof(earlyStopping));
        }
        optimizer ??= new Adam(1e-3f);

        int batch = Math.Min(batchSize, train.Count);
        int group = (int)Math.Min((long)batch * accumulationSteps, train.Count);
        CheckBatchStatistics(train.Count, batch, group);
        // Everything is checked before training starts: an unsupported GPU option fails (or falls back) with the model untouched.
        using var gpu = OpenTrainingGpu(device, batch, optimizer, accumulationSteps);
        EnsureStaging(batch);
        if (gpu is null) GraphFor(batch).SetRandomSeed(seed);
        else gpu.SetRandomSeed(seed);
        var order = new int[train.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var rng = new Rng(seed, stream: 0x5EED);
        var history = new TrainingHistory();
        float baseRate = optimizer.LearningRate;
        long step = 0;
        float[]? bestParameters = earlyStopping is { RestoreBestWeights: true } ? new float[_parameters.Length] : null;
        // BatchNorm's running statistics belong to the weights they were learned with: kept and restored together.
        float[]? bestState = bestParameters is null ? null : new float[State.Length];
        float best = float.NaN;
        int wait = 0;
        _accumulatedCount = 0;
        bool hostIsCurrent = true;   // false while the GPU holds parameters the model has not received yet
        bool completed = false;

        try
        {
            for (int epoch = 1; epoch <= epochs; epoch++)
            {
                var clock = Stopwatch.StartNew();
                rng.Shuffle(order.AsSpan());
                double lossSum = 0;
                for (int start = 0; start < order.Length; start += group)
                {
                    int rows = Math.Min(group, order.Length - start);
                    if (schedule is not null) optimizer.LearningRate = schedule.Rate(step, baseRate);
                    float loss;
                    if (gpu is not null)
                    {
                        loss = GpuStep(gpu, train, order.AsSpan(start, rows), optimizer, clipGradientNorm, l1, l2);
                        hostIsCurrent = false;
                    }
                    else
                    {
                        loss = CpuStep(train, order.AsSpan(start, rows), batch, accumulationSteps, optimizer, clipGradientNorm, l1, l2);
                    }
                    step++;
                    if (!float.IsFinite(loss))
                        throw new InvalidOperationException($"The training loss became {loss} in epoch {epoch} (step starting at shuffled row {start}); lower the learning rate or clip gradients (clipGradientNorm).");
                    lossSum += (double)loss * rows;
                }
                if (gpu is not null)
                {
                    // The model holds each epoch's result: validation, onEpoch and early stopping's copies read it on the host.
                    CopyFromGpu(gpu);
                    hostIsCurrent = true;
                }
                Evaluation? valid = validation is null ? null : Evaluate(validation);
                var result = new EpochResult(epoch, (float)(lossSum / train.Count), valid?.Loss, valid?.Accuracy, clock.Elapsed)
                {
                    LearningRate = optimizer.LearningRate,
                };
                history.Add(result);
                onEpoch?.Invoke(result);

                if (earlyStopping is null) continue;
                float value = earlyStopping.Value(result);
                if (earlyStopping.Improves(value, best))
                {
                    best = value;
                    wait = 0;
                    history.BestEpoch = epoch;
                    history.BestValue = value;
                    if (bestParameters is not null) _parameters.AsSpan().CopyTo(bestParameters);
                    if (bestState is not null) State.CopyTo(bestState);
                }
                else if (++wait >= earlyStopping.Patience && epoch < epochs)
                {
                    history.StoppedEarly = true;
                    history.StoppedEpoch = epoch;
                    break;
                }
            }
            if (bestParameters is not null && history.BestEpoch is int bestEpoch)
            {
                if (bestEpoch != history.Count)
                {
                    bestParameters.AsSpan().CopyTo(_parameters);
                    bestState.AsSpan().CopyTo(State);
                }
                history.RestoredBestWeights = true;
            }
            completed = true;
        }
        finally
        {
            if (schedule is not null) optimizer.LearningRate = baseRate;
            _accumulatedCount = 0;
            if (gpu is not null) FinishOnGpu(gpu, optimizer, copyParameters: !hostIsCurrent, failed: !completed);
        }
        return history;
    }

    /// <summary>One optimizer step of <see cref="Fit"/> on the CPU over the given shuffled rows (micro-batches of <paramref name="batch"/> when accumulating); returns the loss.</summary>
    private float CpuStep(Dataset train, ReadOnlySpan<int> rows, int batch, int accumulationSteps, Optimizer optimizer, float clipGradientNorm, float l1, float l2)
    {
        if (accumulationSteps == 1)
        {
            Gather(train, rows);
            return TrainStep(_batchInputs, _batchTargets, rows.Length, optimizer, clipGradientNorm, l1, l2);
        }
        double groupLoss = 0;
        for (int offset = 0; offset < rows.Length; offset += batch)
        {
            int n = Math.Min(batch, rows.Length - offset);
            Gather(train, rows.Slice(offset, n));
            groupLoss += (double)AccumulateGradients(_batchInputs, _batchTargets, n, (float)n / rows.Length) * n;
        }
        return (float)(groupLoss / rows.Length) + ApplyAccumulatedGradients(optimizer, clipGradientNorm, l1, l2);
    }

    /// <summary>One optimizer step of <see cref="Fit"/> on the GPU over the given shuffled rows; returns the loss with the penalty, as on the CPU.</summary>
    private float GpuStep(Cuda.CudaGraph gpu, Dataset train, ReadOnlySpan<int> rows, Optimizer optimizer, float clipGradientNorm, float l1, float l2)
    {
        Gather(train, rows);
        float loss = gpu.TrainStep(_batchInputs, _batchTargets, rows.Length);
        return loss + gpu.Step(optimizer, clipGradientNorm, l1, l2);
    }

    /// <summary>
    /// The GPU graph <see cref="Fit"/> trains on, holding this model's parameters, state and the optimizer's moments;
    /// null for the CPU. <see cref="Device.Auto"/> takes the CPU, with one message, when CUDA is missing or cannot do
    /// what was asked; an explicit CUDA device throws instead.
    /// </summary>
    private Cuda.CudaGraph? OpenTrainingGpu(Device? device, int batch, Optimizer optimizer, int accumulationSteps)
    {
        if (device is null || device.Kind == DeviceKind.Cpu) return null;
        var fitGpu = Cuda.FitGpu.Current;
        var availability = fitGpu.Availability();
        var plan = GetCudaPlan();
        string? unsupported = GpuUnsupportedReason(plan, optimizer, accumulationSteps);
        if (device.Kind == DeviceKind.Auto)
        {
            device = device.Resolve(availability, fitGpu.Report);
            if (device.Kind == DeviceKind.Cpu) return null;
            if (unsupported is not null)
            {
                Device.ReportCpuFallback($"{GetType().Name}.Fit {unsupported}.", fitGpu.Report);
                return null;
            }
        }
        else
        {
            if (!availability.IsAvailable)
                throw new InvalidOperationException($"{GetType().Name}.Fit cannot train on {device}: {availability.Message.TrimEnd('.')}. Pass device: Device.Auto to fall back to the CPU, or Device.Cpu.");
            if (device.Ordinal >= availability.DeviceCount)
                throw new InvalidOperationException($"{GetType().Name}.Fit cannot train on {device}: this machine has {availability.DeviceCount} CUDA GPU{(availability.DeviceCount == 1 ? "" : "s")} (ordinals from 0).");
            if (unsupported is not null)
                throw new NotSupportedException($"{GetType().Name}.Fit cannot train on {device}: it {unsupported}. Or train on the CPU (device: Device.Cpu or Device.Auto).");
        }
        var gpu = fitGpu.CreateGraph(plan!, batch, device);
        try
        {
            gpu.CopyFrom(this);
            gpu.ContinueOptimizer(optimizer);
            return gpu;
        }
        catch
        {
            gpu.Dispose();
            throw;
        }
    }

    /// <summary>
    /// What keeps <see cref="Fit"/> off the GPU, phrased to follow "Fit" with what to do instead; null when it can train there.
    /// </summary>
    private string? GpuUnsupportedReason(Cuda.CudaModelPlan? plan, Optimizer optimizer, int accumulationSteps)
    {
        if (plan is null) return "has no CUDA plan (the model was built without one)";
        if (!plan.IsSupported) return $"has no CUDA kernels for this model ({plan.UnsupportedReason})";
        if (Cuda.CudaGraph.UnsupportedReason(optimizer) is string reason) return $"cannot step {optimizer.GetType().Name} on the GPU: {reason}";
        if (accumulationSteps > 1) return "accumulates gradients (accumulationSteps > 1) only on the CPU; on the GPU pass a batchSize of accumulationSteps × batchSize instead";
        return null;
    }

    /// <summary>Gives the model the GPU's parameters, state and gradients.</summary>
    private void CopyFromGpu(Cuda.CudaGraph gpu)
    {
        gpu.CopyTo(this);
        gpu.DownloadGradients(_gradients);
    }

    /// <summary>
    /// End of a GPU <see cref="Fit"/>: the model receives the parameters of the last step when it has not yet (a step threw),
    /// and the optimizer its moments, so it continues from them. After a failure the device may be what failed:
    /// then the model keeps the last finished epoch and the original exception is the one reported.
    /// </summary>
    private void FinishOnGpu(Cuda.CudaGraph gpu, Optimizer optimizer, bool copyParameters, bool failed)
    {
        try
        {
            if (copyParameters) CopyFromGpu(gpu);
            gpu.ReturnOptimizer(optimizer);
        }
        catch (Exception) when (failed)
        {
        }
    }

    /// <summary>
    /// Mean loss and, for classification losses, accuracy over <paramref name="data"/> (per position for a
    /// [sequence, classes] output: the share of all positions whose arg-max is the target). A model with several
    /// heads reports the weighted total loss, NaN accuracy, and each head's own loss and accuracy in
    /// <see cref="Evaluation.Heads"/>.
    /// </summary>
    public Evaluation Evaluate(Dataset data, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckData(data, nameof(data));
        if (data.Count == 0) throw new ArgumentException("The evaluation set has no rows.", nameof(data));
        int batch = Math.Min(batchSize, data.Count);
        var graph = GraphFor(batch);
        var heads = Heads;
        double lossSum = 0;
        var headLossSums = new double[heads.Count];
        var correct = new int[heads.Count];
        // Variable-length sequences: the loss is a mean over real positions, so batches weigh by those, not by rows.
        bool masked = heads.Count == 1 && MasksLabels(heads[0]);
        long weightSum = 0;
        for (int start = 0; start < data.Count; start += batch)
        {
            int n = Math.Min(batch, data.Count - start);
            var x = data.Features.AsSpan(start * InputSize, n * InputSize);
            var y = data.Targets.AsSpan(start * TargetSize, n * TargetSize);
            long weight = n;
            if (masked)
            {
                weight = 0;
                for (int r = 0; r < n; r++) weight += SampleLength(x.Slice(r * InputSize, InputSize));
            }
            lossSum += (double)graph.Loss(_parameters, x, y, n) * weight;
            weightSum += weight;
            if (heads.Count > 1)
                for (int h = 0; h < heads.Count; h++) headLossSums[h] += (double)graph.HeadLosses[h] * n;
            var outputs = graph.LastOutput(n);
            for (int h = 0; h < heads.Count; h++)
            {
                // A softmax head may label every position of a [sequence, classes] output; each label is judged.
                var head = heads[h];
                int labels = LabelsOf(head), width = head.OutputSize / labels, targetWidth = head.TargetSize / labels;
                for (int r = 0; r < n; r++)
                {
                    int judged = masked ? SampleLength(x.Slice(r * InputSize, InputSize)) : labels;
                    for (int l = 0; l < judged; l++)
                        if (IsCorrect(head.Loss, outputs.Slice(r * OutputSize + head.OutputOffset + l * width, width), y.Slice(r * TargetSize + head.TargetOffset + l * targetWidth, targetWidth)))
                            correct[h]++;
                }
            }
        }
        float Accuracy(ModelHead head, int right) =>
            !HasAccuracy(head.Loss) ? float.NaN : masked ? (weightSum == 0 ? float.NaN : (float)right / weightSum) : (float)right / ((long)data.Count * LabelsOf(head));
        if (heads.Count == 1)
            return new Evaluation(masked ? (weightSum == 0 ? 0f : (float)(lossSum / weightSum)) : (float)(lossSum / data.Count), Accuracy(heads[0], correct[0]), data.Count);
        var perHead = new HeadEvaluation[heads.Count];
        for (int h = 0; h < heads.Count; h++)
            perHead[h] = new HeadEvaluation(heads[h].Name, heads[h].Loss, (float)(headLossSums[h] / data.Count), Accuracy(heads[h], correct[h]));
        return new Evaluation((float)(lossSum / data.Count), float.NaN, data.Count) { Heads = perHead };
    }

    private static bool HasAccuracy(Loss loss) => loss is Loss.SoftmaxCrossEntropy or Loss.BinaryCrossEntropy;

    /// <summary>Labels a head's target holds per sample: one per position for softmax cross-entropy, else one.</summary>
    private static int LabelsOf(ModelHead head) => head.Loss == Loss.SoftmaxCrossEntropy ? head.TargetSize : 1;

    /// <summary>Runs the model on <paramref name="count"/> samples and writes count × <see cref="OutputSize"/> raw outputs (logits for classification losses).</summary>
    public void Predict(ReadOnlySpan<float> inputs, int count, Span<float> outputs)
    {
        if (inputs.Length != count * InputSize)
            throw new ArgumentException($"The inputs have {inputs.Length} elements; {count} samples of {InputSize} need {count * InputSize}.", nameof(inputs));
        if (outputs.Length < count * OutputSize)
            throw new ArgumentException($"The output buffer has {outputs.Length} elements; {count} samples need {count * OutputSize}.", nameof(outputs));
        if (count == 0) return;
        const int chunk = 256;
        var graph = GraphFor(Math.Min(count, chunk));
        for (int start = 0; start < count; start += graph.MaxBatch)
        {
            int n = Math.Min(graph.MaxBatch, count - start);
            graph.Forward(_parameters, inputs.Slice(start * InputSize, n * InputSize), n)
                 .CopyTo(outputs.Slice(start * OutputSize, n * OutputSize));
        }
    }

    /// <summary>Raw outputs for every sample of <paramref name="data"/> (count × <see cref="OutputSize"/>).</summary>
    public float[] Predict(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckFeatures(data, nameof(data));
        var outputs = new float[data.Count * OutputSize];
        Predict(data.Features, data.Count, outputs);
        return outputs;
    }

    /// <summary>Raw outputs for one sample.</summary>
    public float[] Predict(ReadOnlySpan<float> sample)
    {
        var outputs = new float[OutputSize];
        Predict(sample, 1, outputs);
        return outputs;
    }

    /// <summary>
    /// The predicted class of each sample: arg-max of the outputs, or output &gt; 0 for a single binary logit.
    /// A model with several <see cref="LabelsPerSample"/> gives one class per position (count × LabelsPerSample, row-major);
    /// with variable-length sequences (<see cref="MaskPaddingIndex"/>), −1 at the positions past each sample's length.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model has several heads (use <see cref="PredictHead"/>) or compares pairs (<see cref="Loss.Contrastive"/>).</exception>
    public int[] PredictClasses(Dataset data)
    {
        if (Heads.Count > 1 || Loss == Loss.Contrastive)
            throw new InvalidOperationException(Heads.Count > 1
                ? $"{GetType().Name} has {Heads.Count} heads; take each head's outputs with PredictHead(data, \"{Heads[0].Name}\") and so on."
                : $"{GetType().Name} outputs pairs of embeddings (Loss.Contrastive), not classes; Predict gives both embeddings of each pair.");
        var outputs = Predict(data);
        int labels = Loss == Loss.SoftmaxCrossEntropy ? LabelsPerSample : 1;
        int width = OutputSize / labels;
        var classes = new int[data.Count * labels];
        for (int r = 0; r < classes.Length; r++) classes[r] = PredictedClass(outputs.AsSpan(r * width, width));
        if (MasksLabels(Heads[0]))
            for (int r = 0; r < data.Count; r++)
            {
                int length = SampleLength(data.Features.AsSpan(r * InputSize, InputSize));
                classes.AsSpan(r * labels + length, labels - length).Fill(-1);
            }
        return classes;
    }

    private static int PredictedClass(ReadOnlySpan<float> outputs)
    {
        if (outputs.Length == 1) return outputs[0] > 0f ? 1 : 0;
        int best = 0;
        for (int j = 1; j < outputs.Length; j++) if (outputs[j] > outputs[best]) best = j;
        return best;
    }

    private static bool IsCorrect(Loss loss, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets)
    {
        switch (loss)
        {
            case Loss.SoftmaxCrossEntropy:
                return PredictedClass(outputs) == (int)targets[0];
            case Loss.BinaryCrossEntropy:
                for (int j = 0; j < outputs.Length; j++)
                    if ((outputs[j] > 0f) != (targets[j] > 0.5f)) return false;
                return true;
            default:
                return false;
        }
    }

    private void Gather(Dataset data, ReadOnlySpan<int> rows)
    {
        int inSize = InputSize, tSize = TargetSize;
        for (int i = 0; i < rows.Length; i++)
        {
            data.Features.AsSpan(rows[i] * inSize, inSize).CopyTo(_batchInputs.AsSpan(i * inSize));
            data.Targets.AsSpan(rows[i] * tSize, tSize).CopyTo(_batchTargets.AsSpan(i * tSize));
        }
    }

    private void EnsureStaging(int batch)
    {
        if (_batchInputs.Length < batch * InputSize) _batchInputs = GC.AllocateArray<float>(batch * InputSize, pinned: true);
        if (_batchTargets.Length < batch * TargetSize) _batchTargets = GC.AllocateArray<float>(batch * TargetSize, pinned: true);
    }

    private void CheckFeatures(Dataset data, string name)
    {
        CheckInputs(data, name);
        if (data.FeatureCount != InputSize)
            throw new ArgumentException($"'{name}' has {data.FeatureCount} features per row, but {GetType().Name} takes inputs of {InputSize}.", name);
    }

    /// <summary>Refuses a training micro-batch of one row when a layer needs batch statistics.</summary>
    private void CheckBatchStatistics(int rows, int batch, int group)
    {
        if (BatchStatisticsLayer is not { } layer) return;
        int lastGroup = rows % group == 0 ? group : rows % group;
        int lastBatch = lastGroup % batch == 0 ? batch : lastGroup % batch;
        if (batch > 1 && lastBatch > 1) return;
        string where = rows == 1 ? "the training set has 1 row"
            : batch == 1 ? "the batch size is 1"
            : $"the last micro-batch of every epoch has 1 row ({rows} rows = {(rows - 1) / batch}·{batch} + 1)";
        throw new ArgumentException(
            $"{GetType().Name}.{layer} is a BatchNorm layer and needs at least 2 rows per training batch, but {where}; " +
            "choose a batch size that does not leave a single row, or drop or add rows.", "batchSize");
    }

    private void CheckData(Dataset data, string name)
    {
        CheckFeatures(data, name);
        if (data.TargetWidth != TargetSize)
            throw new ArgumentException(Heads.Count > 1
                ? $"'{name}' has {data.TargetWidth} targets per row; {GetType().Name} needs {TargetSize}, its heads' targets side by side ({HeadTargetText()})."
                : Loss == Loss.SoftmaxCrossEntropy && LabelsPerSample > 1
                ? $"'{name}' has {data.TargetWidth} targets per row; {GetType().Name} classifies each of its {LabelsPerSample} positions and needs {LabelsPerSample} class indices per row (Dataset.ForSequenceClassification)."
                : Loss == Loss.SoftmaxCrossEntropy
                ? $"'{name}' has {data.TargetWidth} targets per row; {GetType().Name} uses {Loss} and needs one class index per row (Dataset.ForClassification)."
                : Loss == Loss.Contrastive
                ? $"'{name}' has {data.TargetWidth} targets per row; {GetType().Name} uses {Loss} and needs one 0/1 similarity label per pair."
                : $"'{name}' has {data.TargetWidth} targets per row; {GetType().Name} uses {Loss} and needs {TargetSize} (its output width).", name);
        if (Heads.Count == 1 && Loss == Loss.SoftmaxCrossEntropy && data.ClassCount > ClassWidth)
            throw new ArgumentException(LabelsPerSample > 1
                ? $"'{name}' has labels up to {data.ClassCount - 1}, but {GetType().Name} has {ClassWidth} outputs per label (classes 0…{ClassWidth - 1})."
                : $"'{name}' has labels up to {data.ClassCount - 1}, but {GetType().Name} has {OutputSize} outputs (classes 0…{OutputSize - 1}).", name);
    }
}
