using System;
using System.Numerics;
using System.Runtime.InteropServices;
using ModelGen.Compute;

namespace ModelGen;

// This class is the front door; the work lives in rooms of its own: Training/Trainer.cs runs Fit's loop on a
// TrainingDevice (the CPU, or a GPU in Training/GpuTrainingDevice.cs), Model.Evaluation.cs evaluates and predicts,
// Model.Validation.cs checks data against the model, and Model.Graph.cs describes heads and inputs.

/// <summary>
/// Base of every generated model: owns the flat parameter and gradient buffers and provides
/// training (<see cref="Fit"/>), evaluation and prediction on top of the generated graph.
/// </summary>
public abstract partial class Model
{
    // A segment: a sub-model of a composite (Model.Composition.cs) reads and writes its parameters in the composite's buffer.
    private ArraySegment<float> _parameters;
    private readonly ArraySegment<float> _gradients;
    private ModelGraph<float>? _graph;
    private float[] _accumulated = Array.Empty<float>();
    private int _accumulatedCount;

    /// <summary>Allocates the parameter and gradient buffers (zeroed; the generated constructor initialises them).</summary>
    protected Model(int parameterCount)
    {
        _parameters = AlignedBuffer(parameterCount);
        _gradients = AlignedBuffer(parameterCount);
    }

    /// <summary>
    /// A pinned, zeroed buffer that starts where the graphs' workspace buffers do (<see cref="ModelGraph{T}.BufferAlignment"/>),
    /// so that a layer's weights are read with whole-line vector loads and two threads writing gradient strips meet on line
    /// pairs. A pinned array's elements start at any multiple of 8 bytes; weights 16 bytes off a line cost mnist-mlp's
    /// single request through its two large layers about 35% (97 against 135 µs on one thread).
    /// </summary>
    private static ArraySegment<float> AlignedBuffer(int count)
    {
        const int alignment = ModelGraph<float>.BufferAlignment;
        var array = GC.AllocateArray<float>(count + alignment / sizeof(float), pinned: true);
        int offset;
        unsafe
        {
            fixed (float* first = array) offset = (int)((float*)ModelGen.Cpu.Workspace.AlignedStart(array, alignment) - first);
        }
        return new ArraySegment<float>(array, offset, count);
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
    /// positions after it do not count (loss, <see cref="Evaluate"/>'s accuracy, <see cref="PredictClasses"/>). −1 for other models,
    /// and for a model with several inputs, whose masked input (e.g. an encoder's source) does not reach the output.
    /// </summary>
    public virtual int MaskPaddingIndex => -1;

    /// <summary>
    /// Elements of one sample's target: <see cref="LabelsPerSample"/> class indices for softmax cross-entropy,
    /// 1 (similar or not) for contrastive pairs, else <see cref="OutputSize"/>; with several <see cref="Heads"/>,
    /// their targets side by side.
    /// </summary>
    public int TargetSize => _targetSize ??= TotalTargetSize();

    /// <summary>Outputs per class label: the class count under softmax cross-entropy.</summary>
    private int ClassWidth => OutputSize / LabelsPerSample;

    /// <summary>Number of parameters, trainable and frozen (see <see cref="TrainableParameterCount"/>).</summary>
    public int ParameterCount => _parameters.Count;

    /// <summary>All parameters, one contiguous buffer (layer by layer: weights in×out row-major, then bias).</summary>
    public Span<float> Parameters => _parameters;

    /// <summary>Gradients of the last training step, laid out as <see cref="Parameters"/>.</summary>
    public ReadOnlySpan<float> Gradients => _gradients;

    /// <summary>The gradient buffer, writable: the training devices fill it (the GPU's copy comes back here).</summary>
    internal Span<float> GradientBuffer => _gradients;

    /// <summary>A Keras-like table of the layers: output shapes, parameter counts and totals.</summary>
    public abstract string Summary();

    /// <summary>
    /// The generated CUDA plan of this model (translation unit and launch sequences, see
    /// <see cref="Cuda.CudaGraph"/>); its <see cref="Cuda.CudaModelPlan.UnsupportedReason"/> says when a layer has no CUDA kernel.
    /// </summary>
    public virtual Cuda.CudaModelPlan? GetCudaPlan() => null;

    /// <summary>Creates the generated computation for <paramref name="maxBatch"/> samples.</summary>
    protected abstract ModelGraph<float> CreateGraph(int maxBatch);

    /// <summary>
    /// The graph for batches up to <paramref name="batch"/>, reused while large enough. A larger batch makes a new graph,
    /// which continues the old one: the BatchNorm state, the dropout stream and the frozen layers move over.
    /// </summary>
    internal ModelGraph<float> GraphFor(int batch)
    {
        _forwardBatch = 0;   // any other pass overwrites what the step API's Backward would go back through
        if (_graph is null || _graph.MaxBatch < batch)
        {
            var graph = CreateGraph(batch);
            if (_graph is not null)
            {
                _graph.State.CopyTo(graph.State);   // running statistics outlive the workspace
                // The masks go on from where they were: a validation set larger than the batch must not restart them.
                graph.RandomState = _graph.RandomState;
            }
            graph.SetFrozenLayers(FrozenFlags);
            _graph = graph;
        }
        return _graph;
    }

    /// <summary>
    /// The CPU graph that generated members running one sample at a time use (an encoder–decoder model's
    /// <c>Generate</c>): the current graph, which serves any batch up to its size.
    /// </summary>
    protected ModelGraph<float> SingleSampleGraph => GraphFor(1);

    /// <summary>Where the CPU graph's dropout stream stands (a checkpoint saves and restores it).</summary>
    internal Rng DropoutState
    {
        get => GraphFor(1).RandomState;
        set => GraphFor(1).RandomState = value;
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
    /// <param name="clipGradientNorm">
    /// When positive, the global gradient norm is clipped to it (after the penalty is added); the norm is over the
    /// trainable parameters (frozen layers have no gradient).
    /// </param>
    /// <param name="l1">
    /// L1 coefficient λ₁: adds λ₁·Σ|p| to the loss and λ₁·sign(p) to every gradient (sign(0) = 0).
    /// It covers every trainable parameter, biases included (the runtime does not tell biases apart); frozen layers
    /// (<see cref="Freeze"/>) are left out.
    /// </param>
    /// <param name="l2">
    /// L2 coefficient λ₂: adds ½·λ₂·Σp² to the loss and its derivative λ₂·p to every trainable parameter's gradient
    /// (biases included). With plain SGD this equals <c>Sgd</c>'s <c>weightDecay</c>; for decoupled decay use <see cref="AdamW"/>.
    /// </param>
    public float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batch, Optimizer optimizer,
        float clipGradientNorm = 0f, float l1 = 0f, float l2 = 0f)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        GradientPenalty.Check(l1, l2);
        float loss = ComputeGradients(inputs, targets, batch);
        return loss + ApplyUpdate(optimizer, optimizer.LearningRate, clipGradientNorm, l1, l2);
    }

    /// <summary>Forward, loss and backward on one batch: <see cref="Gradients"/> holds d(mean loss)/d(parameters) afterwards. Returns the loss.</summary>
    internal float ComputeGradients(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batch)
    {
        float loss = GraphFor(batch).TrainStep(_parameters, _gradients, inputs, targets, batch);
        CountTrainingForward();
        return loss;
    }

    /// <summary>The outputs of the last training forward pass (<see cref="ComputeGradients"/>), batch × <see cref="OutputSize"/>.</summary>
    internal ReadOnlySpan<float> LastTrainingOutputs(int batch) => _graph!.LastOutput(batch);

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
        float loss = ComputeGradients(inputs, targets, batch);
        if (_accumulated.Length != _gradients.Count) _accumulated = GC.AllocateArray<float>(_gradients.Count, pinned: true);
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
        GradientPenalty.Check(l1, l2);
        TakeAccumulatedGradients();
        return ApplyUpdate(optimizer, optimizer.LearningRate, clipGradientNorm, l1, l2);
    }

    /// <summary>Moves the accumulated sum into the gradient buffer and empties the sum.</summary>
    /// <exception cref="InvalidOperationException">No micro-batch was accumulated since the last step.</exception>
    internal void TakeAccumulatedGradients()
    {
        if (_accumulatedCount == 0) throw new InvalidOperationException("No gradients were accumulated since the last step; call AccumulateGradients first.");
        _accumulated.AsSpan().CopyTo(_gradients);
        _accumulatedCount = 0;
    }

    /// <summary>Forgets micro-batches accumulated but not applied (Fit starts and ends with an empty sum).</summary>
    internal void DiscardAccumulatedGradients() => _accumulatedCount = 0;

    /// <summary>
    /// The update from the gradient buffer: the penalty is added, the gradients are clipped, and the optimizer steps at
    /// <paramref name="learningRate"/>. Returns the penalty. (A data-parallel step would average the gradient buffer across
    /// processes just before this.)
    /// </summary>
    internal float ApplyUpdate(Optimizer optimizer, float learningRate, float clipGradientNorm, float l1, float l2)
    {
        if (!optimizer.IsBuiltIn && HasFrozenLayers) throw FrozenLayersNeedBuiltInOptimizer(optimizer);
        return ApplyUpdate(optimizer, learningRate, clipGradientNorm, l1, l2, TrainableRanges);
    }

    /// <summary>The update of <see cref="ApplyUpdate(Optimizer, float, float, float, float)"/> on the elements in <paramref name="ranges"/> only.</summary>
    private float ApplyUpdate(Optimizer optimizer, float learningRate, float clipGradientNorm, float l1, float l2, ReadOnlySpan<ParameterRange> ranges)
    {
        float penalty = l1 != 0f || l2 != 0f ? GradientPenalty.Add(_parameters, _gradients, l1, l2, ranges) : 0f;
        if (clipGradientNorm > 0f) GradientClipping.ClipByGlobalNorm(_gradients, clipGradientNorm, ranges);
        optimizer.Step(_parameters, _gradients, learningRate, ranges);
        return penalty;
    }

    /// <summary>Why <paramref name="optimizer"/> cannot train this model while layers are frozen: it is not one of ModelGen's.</summary>
    internal NotSupportedException FrozenLayersNeedBuiltInOptimizer(Optimizer optimizer) => new(
        $"{optimizer.GetType().Name} updates the whole parameter buffer, but {GetType().Name} has frozen layers ({string.Join(", ", FrozenLayers)}); " +
        "only ModelGen's optimizers (Sgd, Adam, AdamW, RmsProp, Adagrad) step the trainable layers alone. Use one of them, or Unfreeze the layers.");

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

    /// <summary>
    /// Trains for <paramref name="epochs"/> passes over <paramref name="train"/> in shuffled
    /// mini-batches (the shuffle is seeded: the same seed gives bit-identical results on the CPU),
    /// evaluating on <paramref name="validation"/> after each epoch when given.
    /// </summary>
    /// <param name="train">Training samples; their feature count must equal <see cref="InputSize"/>.</param>
    /// <param name="validation">Optional samples evaluated after every epoch (required by <paramref name="earlyStopping"/>).</param>
    /// <param name="epochs">
    /// Number of passes over the training set (the most, with <paramref name="earlyStopping"/>). A resumed Fit counts the
    /// checkpoint's epochs too, as Keras's <c>initial_epoch</c>: resuming after epoch 10 with <c>epochs: 20</c> trains epochs 11 to 20.
    /// </param>
    /// <param name="batchSize">Samples per micro-batch (the last one of an epoch may be smaller).</param>
    /// <param name="optimizer">Update rule; defaults to <c>new Adam(1e-3f)</c>.</param>
    /// <param name="seed">Seed of the shuffling and of the dropout masks.</param>
    /// <param name="clipGradientNorm">When positive, the global gradient norm is clipped to it each step.</param>
    /// <param name="onEpoch">Called after each epoch with its figures (e.g. to print progress).</param>
    /// <param name="schedule">
    /// Learning-rate schedule, evaluated before every optimizer step with the 0-based step index of this
    /// call and the optimizer's rate at the start as base rate; each step gets its scheduled rate as an argument,
    /// and the optimizer's <see cref="Optimizer.LearningRate"/> is never changed. Without a schedule every step uses
    /// <see cref="Optimizer.LearningRate"/> as it is at that step.
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
    /// rounding, not bit for bit (and dropout draws other masks). Frozen layers train there too: the update skips them (their
    /// gradients are computed and dropped). <see cref="Device.Auto"/>: the GPU when CUDA is present and
    /// can do what was asked, else the CPU with one message saying why (see <see cref="Device.Resolve(Action{string})"/>).
    /// </param>
    /// <param name="checkpoints">
    /// When given, a checkpoint is written after every <see cref="CheckpointOptions.EveryEpochs"/>-th epoch and after the
    /// last one (atomically; the newest <see cref="CheckpointOptions.KeepLast"/> are kept). See <see cref="Checkpoint"/>.
    /// </param>
    /// <param name="resumeFrom">
    /// A checkpoint to continue from (e.g. <see cref="Checkpoint.Latest"/>; null starts afresh): the parameters, BatchNorm state,
    /// frozen layers, optimizer state, schedule position, shuffling and dropout streams, early stopping and history are
    /// restored, and training goes on with the epoch after it; the returned history includes the checkpoint's epochs. The data,
    /// optimizer (type and hyperparameters) and every other argument that decides the steps must be those of the run that
    /// wrote it; only <paramref name="epochs"/>, <paramref name="onEpoch"/>, <paramref name="onEpochEnd"/>, <paramref name="checkpoints"/> and
    /// <paramref name="device"/> may change. On the CPU the result is bit for bit that of one uninterrupted Fit; on a GPU
    /// within its float32 rounding (resume on the device that wrote the checkpoint: the dropout masks of the CPU and GPU differ).
    /// </param>
    /// <param name="classWeights">
    /// One weight ≥ 0 per class for a softmax cross-entropy model (e.g. <see cref="ClassWeights.Balanced"/>): each step
    /// minimises the weighted mean Σ w[yᵢ]·ℓᵢ / Σ w[yᵢ] over its rows, exactly PyTorch's <c>CrossEntropyLoss(weight=w)</c>
    /// with <c>reduction='mean'</c>, and the reported training loss is that weighted mean; validation losses stay unweighted.
    /// CPU only (with <see cref="Device.Auto"/> Fit falls back to the CPU).
    /// </param>
    /// <param name="sampling">
    /// When given, each epoch is <c>train.Count</c> rows drawn with replacement by class (e.g. <see cref="ClassSampling.Balanced"/>)
    /// instead of a shuffle of every row once; the draws are seeded by <paramref name="seed"/> and the epoch.
    /// </param>
    /// <param name="augment">
    /// When given, every training row is augmented (flip, shift, noise; see <see cref="ImageAugmentation"/>) as it is staged
    /// for a step, with draws seeded by <paramref name="seed"/>, the epoch and the row; <paramref name="train"/>'s features,
    /// the validation rows and the reported validation figures are never augmented.
    /// </param>
    /// <param name="onEpochEnd">
    /// Called after each epoch with its figures and the history so far (after early stopping has seen the epoch); returning
    /// <see cref="EpochDecision.Stop"/> ends training after that epoch (<see cref="TrainingHistory.StoppedByCallback"/>). The
    /// stop is not part of a checkpoint: a Fit resumed from that epoch's checkpoint goes on. May change between a run and its resume.
    /// </param>
    /// <param name="metrics">
    /// Figures of your own computed on <paramref name="validation"/> (required with them) after every epoch, recorded by name in
    /// <see cref="EpochResult.Metrics"/> before <paramref name="onEpoch"/> and <paramref name="onEpochEnd"/> run; those with
    /// <see cref="EpochMetric.OnTrainingSet"/> also on <paramref name="train"/>, in <see cref="EpochResult.TrainMetrics"/>
    /// (<see cref="EpochMetric.OnValidationSet"/> false: there only, and no validation set is needed). Names must be unique.
    /// They do not change training, so they may differ between a run and its resume (earlier epochs keep what they recorded).
    /// </param>
    /// <param name="progress">
    /// Receives the epoch's step progress, running loss, samples/s and time left (at most ten reports a second) and each
    /// completed epoch; e.g. <see cref="ConsoleProgress.Default"/>. Null (the default): Fit reports nothing and writes nothing.
    /// </param>
    /// <param name="distributed">
    /// The MPI world to train in, data-parallel (e.g. <see cref="Distributed.Mpi.FromEnvironment"/>, null when the program runs
    /// alone): every rank runs the same Fit on the same data; each optimizer step's rows (the same seeded shuffle on every rank)
    /// are split into one contiguous block per rank, each rank computes its block's gradient, and one all-reduce over the flat
    /// gradient buffer averages them, so every rank applies the same update and holds the same parameters after every step. The
    /// result is that of one process with the same <paramref name="batchSize"/> to float32 rounding (see docs/distributed.md).
    /// Rank 0 alone validates, reports (<paramref name="onEpoch"/>, <paramref name="onEpochEnd"/>, <paramref name="progress"/>,
    /// <paramref name="metrics"/>), decides early stopping and writes checkpoints; the other ranks receive its decisions and
    /// validation figures. BatchNorm normalises with each rank's own rows, and the running statistics are averaged over the ranks
    /// after every epoch; dropout masks are drawn per rank. CPU only. A checkpoint resumes on any number of ranks, or alone.
    /// </param>
    /// <returns>Per-epoch losses and validation metrics, and where early stopping or <paramref name="onEpochEnd"/> ended.</returns>
    /// <exception cref="NotSupportedException">An explicit CUDA device, and the model or an option cannot train there (the message says what to use instead).</exception>
    /// <exception cref="InvalidOperationException">
    /// An explicit CUDA device on a machine without CUDA (the message says what is missing); the training loss became NaN or
    /// infinite; or the schedule gave a rate that is not a finite number ≥ 0.
    /// </exception>
    /// <exception cref="Serialization.ModelFileException"><paramref name="resumeFrom"/> cannot be read, or is a checkpoint of another model.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="resumeFrom"/> was written by a run with other data, optimizer or settings (the message names each
    /// difference); or the <paramref name="checkpoints"/> folder holds checkpoints of another run.
    /// </exception>
    public TrainingHistory Fit(Dataset train, Dataset? validation = null, int epochs = 10, int batchSize = 32,
        Optimizer? optimizer = null, int seed = 0, float clipGradientNorm = 0f, Action<EpochResult>? onEpoch = null,
        LearningRateSchedule? schedule = null, int accumulationSteps = 1, EarlyStopping? earlyStopping = null,
        float l1 = 0f, float l2 = 0f, Device? device = null, CheckpointOptions? checkpoints = null, string? resumeFrom = null,
        float[]? classWeights = null, ClassSampling? sampling = null, ImageAugmentation? augment = null,
        EpochCallback? onEpochEnd = null, System.Collections.Generic.IReadOnlyList<EpochMetric>? metrics = null,
        IProgress<TrainingProgressReport>? progress = null, Distributed.Mpi? distributed = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        return Trainer.Fit(this, new FitSettings(train, validation, epochs, batchSize, optimizer, seed, clipGradientNorm, onEpoch,
            schedule, accumulationSteps, earlyStopping, l1, l2, device, checkpoints, resumeFrom, (float[]?)classWeights?.Clone(), sampling, augment,
            onEpochEnd, metrics, progress, distributed));
    }
}
