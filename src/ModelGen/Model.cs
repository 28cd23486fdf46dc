using System;
using System.Diagnostics;
using ModelGen.Compute;

namespace ModelGen;

/// <summary>
/// Base of every generated model: owns the flat parameter and gradient buffers and provides
/// training (<see cref="Fit"/>), evaluation and prediction on top of the generated graph.
/// </summary>
public abstract class Model
{
    private readonly float[] _parameters;
    private readonly float[] _gradients;
    private ModelGraph<float>? _graph;
    private float[] _batchInputs = Array.Empty<float>();
    private float[] _batchTargets = Array.Empty<float>();

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

    /// <summary>Elements of one sample's target: 1 (a class index) for softmax cross-entropy, else <see cref="OutputSize"/>.</summary>
    public int TargetSize => Loss == Loss.SoftmaxCrossEntropy ? 1 : OutputSize;

    /// <summary>Number of trainable parameters.</summary>
    public int ParameterCount => _parameters.Length;

    /// <summary>All parameters, one contiguous buffer (layer by layer: weights in×out row-major, then bias).</summary>
    public Span<float> Parameters => _parameters;

    /// <summary>Gradients of the last training step, laid out as <see cref="Parameters"/>.</summary>
    public ReadOnlySpan<float> Gradients => _gradients;

    /// <summary>A Keras-like table of the layers: output shapes, parameter counts and totals.</summary>
    public abstract string Summary();

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
    /// One training step on a batch: forward, loss, backward, optional clipping, optimizer update.
    /// Allocates nothing once the graph and optimizer state exist. Returns the batch's mean loss.
    /// </summary>
    /// <param name="inputs">batch × <see cref="InputSize"/> features, row-major.</param>
    /// <param name="targets">batch × <see cref="TargetSize"/> targets.</param>
    /// <param name="batch">Number of samples.</param>
    /// <param name="optimizer">Updates the parameters.</param>
    /// <param name="clipGradientNorm">When positive, the global gradient norm is clipped to it.</param>
    public float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batch, Optimizer optimizer, float clipGradientNorm = 0f)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        float loss = GraphFor(batch).TrainStep(_parameters, _gradients, inputs, targets, batch);
        if (clipGradientNorm > 0f) GradientClipping.ClipByGlobalNorm(_gradients, clipGradientNorm);
        optimizer.Step(_parameters, _gradients);
        return loss;
    }

    /// <summary>
    /// Trains for <paramref name="epochs"/> passes over <paramref name="train"/> in shuffled
    /// mini-batches (the shuffle is seeded: the same seed gives bit-identical results on the CPU),
    /// evaluating on <paramref name="validation"/> after each epoch when given.
    /// </summary>
    /// <param name="train">Training samples; their feature count must equal <see cref="InputSize"/>.</param>
    /// <param name="validation">Optional samples evaluated after every epoch.</param>
    /// <param name="epochs">Number of passes over the training set.</param>
    /// <param name="batchSize">Samples per step (the last step of an epoch may be smaller).</param>
    /// <param name="optimizer">Update rule; defaults to <c>new Adam(1e-3f)</c>.</param>
    /// <param name="seed">Seed of the shuffling.</param>
    /// <param name="clipGradientNorm">When positive, the global gradient norm is clipped to it each step.</param>
    /// <param name="onEpoch">Called after each epoch with its figures (e.g. to print progress).</param>
    /// <returns>Per-epoch losses and validation metrics.</returns>
    public TrainingHistory Fit(Dataset train, Dataset? validation = null, int epochs = 10, int batchSize = 32,
        Optimizer? optimizer = null, int seed = 0, float clipGradientNorm = 0f, Action<EpochResult>? onEpoch = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        CheckData(train, nameof(train));
        if (validation is not null) CheckData(validation, nameof(validation));
        if (epochs < 0) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "The number of epochs must be ≥ 0.");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be ≥ 1.");
        if (train.Count == 0) throw new ArgumentException("The training set has no rows.", nameof(train));
        optimizer ??= new Adam(1e-3f);

        int batch = Math.Min(batchSize, train.Count);
        EnsureStaging(batch);
        GraphFor(batch).SetRandomSeed(seed);
        var order = new int[train.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var rng = new Rng(seed, stream: 0x5EED);
        var history = new TrainingHistory();

        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            rng.Shuffle(order.AsSpan());
            double lossSum = 0;
            for (int start = 0; start < order.Length; start += batch)
            {
                int n = Math.Min(batch, order.Length - start);
                Gather(train, order.AsSpan(start, n));
                float loss = TrainStep(_batchInputs, _batchTargets, n, optimizer, clipGradientNorm);
                if (!float.IsFinite(loss))
                    throw new InvalidOperationException($"The training loss became {loss} in epoch {epoch} (step starting at shuffled row {start}); lower the learning rate or clip gradients (clipGradientNorm).");
                lossSum += (double)loss * n;
            }
            Evaluation? valid = validation is null ? null : Evaluate(validation);
            var result = new EpochResult(epoch, (float)(lossSum / train.Count), valid?.Loss, valid?.Accuracy, clock.Elapsed);
            history.Add(result);
            onEpoch?.Invoke(result);
        }
        return history;
    }

    /// <summary>Mean loss and, for classification losses, accuracy over <paramref name="data"/>.</summary>
    public Evaluation Evaluate(Dataset data, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckData(data, nameof(data));
        if (data.Count == 0) throw new ArgumentException("The evaluation set has no rows.", nameof(data));
        int batch = Math.Min(batchSize, data.Count);
        var graph = GraphFor(batch);
        double lossSum = 0;
        int correct = 0;
        for (int start = 0; start < data.Count; start += batch)
        {
            int n = Math.Min(batch, data.Count - start);
            var x = data.Features.AsSpan(start * InputSize, n * InputSize);
            var y = data.Targets.AsSpan(start * TargetSize, n * TargetSize);
            lossSum += (double)graph.Loss(_parameters, x, y, n) * n;
            var outputs = graph.LastOutput(n);
            for (int r = 0; r < n; r++) correct += IsCorrect(outputs.Slice(r * OutputSize, OutputSize), y.Slice(r * TargetSize, TargetSize)) ? 1 : 0;
        }
        float accuracy = Loss is Loss.MeanSquaredError or Loss.MeanAbsoluteError or Loss.Huber ? float.NaN : (float)correct / data.Count;
        return new Evaluation((float)(lossSum / data.Count), accuracy, data.Count);
    }

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

    /// <summary>The predicted class of each sample: arg-max of the outputs, or output &gt; 0 for a single binary logit.</summary>
    public int[] PredictClasses(Dataset data)
    {
        var outputs = Predict(data);
        var classes = new int[data.Count];
        for (int r = 0; r < classes.Length; r++) classes[r] = PredictedClass(outputs.AsSpan(r * OutputSize, OutputSize));
        return classes;
    }

    private static int PredictedClass(ReadOnlySpan<float> outputs)
    {
        if (outputs.Length == 1) return outputs[0] > 0f ? 1 : 0;
        int best = 0;
        for (int j = 1; j < outputs.Length; j++) if (outputs[j] > outputs[best]) best = j;
        return best;
    }

    private bool IsCorrect(ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets)
    {
        switch (Loss)
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
        if (data.FeatureCount != InputSize)
            throw new ArgumentException($"'{name}' has {data.FeatureCount} features per row, but {GetType().Name} takes inputs of {InputSize}.", name);
    }

    private void CheckData(Dataset data, string name)
    {
        CheckFeatures(data, name);
        if (data.TargetWidth != TargetSize)
            throw new ArgumentException(Loss == Loss.SoftmaxCrossEntropy
                ? $"'{name}' has {data.TargetWidth} targets per row; {GetType().Name} uses {Loss} and needs one class index per row (Dataset.ForClassification)."
                : $"'{name}' has {data.TargetWidth} targets per row; {GetType().Name} uses {Loss} and needs {TargetSize} (its output width).", name);
        if (Loss == Loss.SoftmaxCrossEntropy && data.ClassCount > OutputSize)
            throw new ArgumentException($"'{name}' has labels up to {data.ClassCount - 1}, but {GetType().Name} has {OutputSize} outputs (classes 0…{OutputSize - 1}).", name);
    }
}
