using System;
using System.Collections.Generic;

namespace ModelGen;

/// <summary>What every optimizer step of a <see cref="Model.Fit"/> applies besides the gradient: the L1/L2 penalty, then clipping.</summary>
/// <param name="ClipGradientNorm">When positive, the global gradient norm is clipped to it.</param>
/// <param name="L1">L1 coefficient.</param>
/// <param name="L2">L2 coefficient.</param>
internal readonly record struct UpdateOptions(float ClipGradientNorm, float L1, float L2);

/// <summary>
/// Where <see cref="Model.Fit"/>'s optimizer steps run: the model's own buffers on the CPU, or a GPU
/// (<see cref="GpuTrainingDevice"/>). A step computes the gradient of its rows into the flat gradient buffer and then
/// applies one update at the rate it is given; under MPI the CPU device averages that buffer across the ranks between the two.
/// </summary>
internal abstract class TrainingDevice : IDisposable
{
    private readonly float[] _inputs, _targets;

    protected TrainingDevice(Model model, Optimizer optimizer, UpdateOptions update, int batch)
    {
        Model = model;
        Optimizer = optimizer;
        Update = update;
        _inputs = GC.AllocateArray<float>(batch * model.InputSize, pinned: true);
        _targets = GC.AllocateArray<float>(batch * model.TargetSize, pinned: true);
        CountsAccuracy = model.HasSingleAccuracy;
    }

    /// <summary>Whether steps count their right labels (<see cref="CorrectLabels"/>): one head with a classification loss.</summary>
    public bool CountsAccuracy { get; }

    /// <summary>Labels judged right in the training-mode outputs of the steps since <see cref="ResetAccuracy"/>.</summary>
    public long CorrectLabels { get; private set; }

    /// <summary>Labels judged in those steps (rows, or positions of sequence outputs).</summary>
    public long JudgedLabels { get; private set; }

    /// <summary>The share of right labels since <see cref="ResetAccuracy"/>; NaN when none was judged or the model has no accuracy.</summary>
    public float Accuracy => JudgedLabels == 0 ? float.NaN : (float)((double)CorrectLabels / JudgedLabels);

    /// <summary>Starts counting afresh (every epoch).</summary>
    public void ResetAccuracy()
    {
        (CorrectLabels, JudgedLabels) = (0, 0);
        Array.Clear(_lossTermSums);
        _lossTermRows = 0;
    }

    private double[] _lossTermSums = Array.Empty<double>();
    private long _lossTermRows;

    /// <summary>Adds the loss terms of the last training step on <paramref name="rows"/> rows (each its batch mean) to the epoch's sums.</summary>
    protected void CountLossTerms(int rows)
    {
        var values = Model.LastLossTerms;
        if (values.Length == 0) return;
        if (_lossTermSums.Length < values.Length) Array.Resize(ref _lossTermSums, values.Length);
        for (int t = 0; t < values.Length; t++) _lossTermSums[t] += (double)values[t] * rows;
        _lossTermRows += rows;
    }

    /// <summary>Each loss term's mean over the rows since <see cref="ResetAccuracy"/>, by name; null when the model has none or nothing was counted.</summary>
    public IReadOnlyDictionary<string, float>? LossTermMeans()
    {
        var names = Model.LossTerms;
        if (names.Count == 0 || _lossTermRows == 0) return null;
        var means = new Dictionary<string, float>(names.Count);
        for (int t = 0; t < names.Count && t < _lossTermSums.Length; t++) means[names[t]] = (float)(_lossTermSums[t] / _lossTermRows);
        return means;
    }

    private readonly double[] _rankCounts = new double[2];

    /// <summary>
    /// Under MPI each rank counted its own block of every step; after an epoch the counts are summed over the ranks (one small
    /// all-reduce), so the epoch's training accuracy is that of all its rows, as in one process. Every rank must call it.
    /// </summary>
    public void SumAccuracyAcrossRanks(Distributed.Mpi mpi)
    {
        _rankCounts[0] = CorrectLabels;
        _rankCounts[1] = JudgedLabels;
        mpi.SumAcrossRanks(_rankCounts);
        (CorrectLabels, JudgedLabels) = ((long)_rankCounts[0], (long)_rankCounts[1]);
    }

    /// <summary>Counts the right labels of the staged batch's <paramref name="rows"/> rows from their training-mode <paramref name="outputs"/>.</summary>
    protected void CountCorrect(ReadOnlySpan<float> outputs, int rows)
    {
        var (correct, judged) = Model.CountCorrect(_inputs.AsSpan(0, rows * Model.InputSize), outputs, _targets.AsSpan(0, rows * Model.TargetSize), rows);
        CorrectLabels += correct;
        JudgedLabels += judged;
    }

    /// <summary>The model trained.</summary>
    protected Model Model { get; }

    /// <summary>The optimizer stepped.</summary>
    protected Optimizer Optimizer { get; }

    /// <summary>Penalty and clipping of every step.</summary>
    protected UpdateOptions Update { get; }

    /// <summary>
    /// The device <see cref="Model.Fit"/> trains on for <paramref name="device"/>: a GPU when asked for and able (see
    /// <see cref="GpuTrainingDevice.TryOpen"/>), else the CPU. Throws before anything changes when an explicit GPU cannot do what was asked.
    /// </summary>
    public static TrainingDevice Open(Model model, Device? device, Optimizer optimizer, int batch, int accumulationSteps, UpdateOptions update, float[]? classWeights = null) =>
        (TrainingDevice?)GpuTrainingDevice.TryOpen(model, device, optimizer, batch, accumulationSteps, update, classWeights is not null)
        ?? new CpuTrainingDevice(model, optimizer, update, batch, accumulationSteps, classWeights);

    /// <summary>Restarts the dropout stream from <paramref name="seed"/>.</summary>
    public abstract void SetRandomSeed(long seed);

    /// <summary>One optimizer step over <paramref name="rows"/> of <paramref name="train"/> at <paramref name="learningRate"/>; returns the mean loss plus the penalty.</summary>
    public abstract float Step(Dataset train, ReadOnlySpan<int> rows, float learningRate);

    /// <summary>Makes the model hold the device's parameters and state (after every epoch).</summary>
    public virtual void UpdateModel()
    {
    }

    /// <summary>Makes the optimizer hold the device's moments (before a checkpoint is written; the CPU's are the optimizer's own).</summary>
    public virtual void UpdateOptimizer()
    {
    }

    /// <summary>Takes the model's parameters and state and the optimizer's moments again (a checkpoint was restored into them).</summary>
    public virtual void Reload()
    {
    }

    /// <summary>The GPU's dropout stream (its seed and launch count); null on the CPU, whose stream is the model graph's.</summary>
    public virtual (long Seed, long Launches)? GpuDropout
    {
        get => null;
        set { }
    }

    /// <summary>End of training; <paramref name="completed"/> is false when it ends with an exception.</summary>
    public virtual void Finish(bool completed)
    {
    }

    /// <inheritdoc/>
    public virtual void Dispose()
    {
    }

    /// <summary>Augments each training row as it is staged (null: none); validation never passes through <see cref="Gather"/>.</summary>
    public ImageAugmenter? Augmenter { get; set; }

    /// <summary>The staged inputs of the last <see cref="Gather"/>, row-major (longer than the rows gathered).</summary>
    protected float[] Inputs => _inputs;

    /// <summary>The staged targets of the last <see cref="Gather"/>.</summary>
    protected float[] Targets => _targets;

    /// <summary>Copies the features and targets of <paramref name="rows"/> into <see cref="Inputs"/> and <see cref="Targets"/>.</summary>
    protected void Gather(Dataset data, ReadOnlySpan<int> rows)
    {
        int inSize = Model.InputSize, tSize = Model.TargetSize;
        for (int i = 0; i < rows.Length; i++)
        {
            data.Features.AsSpan(rows[i] * inSize, inSize).CopyTo(_inputs.AsSpan(i * inSize));
            Augmenter?.Apply(_inputs.AsSpan(i * inSize, inSize), rows[i]);
            data.Targets.AsSpan(rows[i] * tSize, tSize).CopyTo(_targets.AsSpan(i * tSize));
        }
    }
}

/// <summary>
/// Fit's steps on the CPU, through the model's generated graph; micro-batches of <c>batch</c> rows accumulate into one step.
/// With a <see cref="Distributed.DataParallelStep"/> each rank computes the gradient of its block of the step's rows and the
/// ranks' gradients are averaged before the update.
/// </summary>
internal sealed class CpuTrainingDevice : TrainingDevice
{
    private readonly int _batch, _accumulationSteps;
    private readonly float[]? _classWeights;
    private readonly Distributed.DataParallelStep? _dataParallel;

    public CpuTrainingDevice(Model model, Optimizer optimizer, UpdateOptions update, int batch, int accumulationSteps, float[]? classWeights = null,
        Distributed.DataParallelStep? dataParallel = null) : base(model, optimizer, update, batch)
    {
        _batch = batch;
        _accumulationSteps = accumulationSteps;
        _classWeights = classWeights;
        _dataParallel = dataParallel;
    }

    public override void SetRandomSeed(long seed) => Model.GraphFor(_batch).SetRandomSeed(seed);

    public override float Step(Dataset train, ReadOnlySpan<int> rows, float learningRate)
    {
        float loss;
        using var weighting = new ClassWeightScope(_classWeights);
        if (_dataParallel is { } dataParallel)
        {
            var mine = dataParallel.Shard(rows);
            double share = _classWeights is null ? (double)mine.Length / rows.Length : ClassWeightSum(train, mine) / ClassWeightSum(train, rows);
            float local = 0f;
            if (share > 0) local = Gradient(train, mine);
            else Model.GradientBuffer.Clear();   // no rows (a step shorter than the ranks) or no weight: this rank adds nothing
            loss = dataParallel.Average(Model.GradientBuffer, local, (float)share);
        }
        else loss = Gradient(train, rows);
        return loss + Model.ApplyUpdate(Optimizer, learningRate, Update.ClipGradientNorm, Update.L1, Update.L2);
    }

    /// <summary>Fills the gradient buffer with the gradient of the mean loss over <paramref name="rows"/>; returns that loss.</summary>
    private float Gradient(Dataset train, ReadOnlySpan<int> rows)
    {
        if (_accumulationSteps == 1)
        {
            Gather(train, rows);
            float loss = Model.ComputeGradients(Inputs, Targets, rows.Length);
            if (CountsAccuracy) CountCorrect(Model.LastTrainingOutputs(rows.Length), rows.Length);
            CountLossTerms(rows.Length);
            return loss;
        }
        // Each micro-batch weighs by its share of the step's rows: the sum is the gradient of one batch of all of them.
        // With class weights the share is of the rows' weights, the denominator of the weighted mean.
        double groupLoss = 0;
        double groupWeight = _classWeights is null ? 0 : ClassWeightSum(train, rows);
        for (int offset = 0; offset < rows.Length; offset += _batch)
        {
            int n = Math.Min(_batch, rows.Length - offset);
            Gather(train, rows.Slice(offset, n));
            if (_classWeights is null)
                groupLoss += (double)Model.AccumulateGradients(Inputs, Targets, n, (float)n / rows.Length) * n;
            else
            {
                double share = ClassWeightSum(train, rows.Slice(offset, n)) / groupWeight;
                groupLoss += Model.AccumulateGradients(Inputs, Targets, n, (float)share) * share;
            }
            if (CountsAccuracy) CountCorrect(Model.LastTrainingOutputs(n), n);
            CountLossTerms(n);
        }
        Model.TakeAccumulatedGradients();
        return (float)(_classWeights is null ? groupLoss / rows.Length : groupLoss);
    }

    /// <summary>The sum of the rows' class weights: the denominator of their weighted mean loss.</summary>
    private double ClassWeightSum(Dataset train, ReadOnlySpan<int> rows)
    {
        double sum = 0;
        foreach (int row in rows) sum += _classWeights![train.Label(row)];
        return sum;
    }
}
