using System;

namespace ModelGen;

/// <summary>The validation figure that <see cref="EarlyStopping"/> watches.</summary>
public enum EarlyStopMetric
{
    /// <summary>Mean validation loss (lower is better).</summary>
    ValidationLoss,
    /// <summary>Validation accuracy (higher is better); classification losses only.</summary>
    ValidationAccuracy,
}

/// <summary>
/// Stops <see cref="Model.Fit"/> when the monitored validation figure has not improved for
/// <see cref="Patience"/> consecutive epochs (Keras <c>EarlyStopping</c> semantics), and optionally
/// puts back the parameters of the best epoch. Needs a validation set.
/// </summary>
/// <remarks>
/// An epoch improves when its value beats the best so far by more than <see cref="MinDelta"/>
/// (loss: <c>value &lt; best − minDelta</c>; accuracy: <c>value &gt; best + minDelta</c>); a NaN
/// value never improves. Restoring copies the parameter buffer only: optimizer state (moments,
/// step count) stays as it was at the last epoch. The options hold no state, so one instance can be
/// passed to several <c>Fit</c> calls.
/// </remarks>
public sealed class EarlyStopping
{
    /// <summary>Creates the options.</summary>
    /// <param name="monitor">Figure watched after every epoch.</param>
    /// <param name="patience">Epochs without improvement tolerated before stopping (≥ 0; 0 stops at the first one).</param>
    /// <param name="minDelta">Smallest change that counts as an improvement (≥ 0).</param>
    /// <param name="restoreBestWeights">Whether the parameters of the best epoch are restored when training ends.</param>
    public EarlyStopping(EarlyStopMetric monitor = EarlyStopMetric.ValidationLoss, int patience = 5, float minDelta = 0f, bool restoreBestWeights = true)
    {
        if (!Enum.IsDefined(monitor)) throw new ArgumentOutOfRangeException(nameof(monitor), monitor, "Unknown metric.");
        if (patience < 0) throw new ArgumentOutOfRangeException(nameof(patience), patience, "The patience must be ≥ 0.");
        Optimizer.CheckNonNegative(minDelta, nameof(minDelta));
        Monitor = monitor;
        Patience = patience;
        MinDelta = minDelta;
        RestoreBestWeights = restoreBestWeights;
    }

    /// <summary>Figure watched.</summary>
    public EarlyStopMetric Monitor { get; }

    /// <summary>Epochs without improvement tolerated before stopping.</summary>
    public int Patience { get; }

    /// <summary>Smallest change that counts as an improvement.</summary>
    public float MinDelta { get; }

    /// <summary>Whether the best epoch's parameters are restored at the end.</summary>
    public bool RestoreBestWeights { get; }

    /// <summary>The options as invariant text: a checkpoint records them and a resumed Fit must match them.</summary>
    internal string Describe() =>
        $"EarlyStopping(monitor: {Monitor}, patience: {Patience.ToString(System.Globalization.CultureInfo.InvariantCulture)}, minDelta: {Optimizer.Text(MinDelta)}, restoreBestWeights: {Optimizer.Text(RestoreBestWeights)})";

    /// <summary>The monitored value of <paramref name="result"/> (NaN when absent).</summary>
    internal float Value(EpochResult result) =>
        (Monitor == EarlyStopMetric.ValidationLoss ? result.ValidationLoss : result.ValidationAccuracy) ?? float.NaN;

    /// <summary>Whether <paramref name="value"/> improves on <paramref name="best"/> (NaN = no best yet).</summary>
    internal bool Improves(float value, float best)
    {
        if (float.IsNaN(value)) return false;
        if (float.IsNaN(best)) return true;
        return Monitor == EarlyStopMetric.ValidationLoss ? value < best - MinDelta : value > best + MinDelta;
    }
}

/// <summary>
/// <see cref="EarlyStopping"/>'s running figures within one <see cref="Model.Fit"/>: the best value so far, the epochs
/// since it, and (with <see cref="EarlyStopping.RestoreBestWeights"/>) the parameters and BatchNorm state of the best epoch.
/// </summary>
internal sealed class EarlyStoppingProgress
{
    public EarlyStoppingProgress(EarlyStopping options, Model model)
    {
        Options = options;
        if (!options.RestoreBestWeights) return;
        BestParameters = new float[model.ParameterCount];
        // BatchNorm's running statistics belong to the weights they were learned with: kept and restored together.
        BestState = new float[model.State.Length];
    }

    /// <summary>What is watched, and how.</summary>
    public EarlyStopping Options { get; }

    /// <summary>The best monitored value so far; NaN before the first that counts.</summary>
    public float Best { get; private set; } = float.NaN;

    /// <summary>Epochs since the best one.</summary>
    public int Wait { get; private set; }

    /// <summary>The parameters of the best epoch, when they are to be restored.</summary>
    public float[]? BestParameters { get; }

    /// <summary>The model state of the best epoch, when it is to be restored.</summary>
    public float[]? BestState { get; }

    /// <summary>
    /// Takes one epoch's <paramref name="result"/>: a new best is recorded in <paramref name="history"/> (and the model copied), else
    /// the wait grows, and when it reaches the patience before the last of <paramref name="epochs"/> the history says training stopped.
    /// </summary>
    public void Observe(EpochResult result, int epochs, TrainingHistory history, Model model)
    {
        float value = Options.Value(result);
        if (Options.Improves(value, Best))
        {
            Best = value;
            Wait = 0;
            history.BestEpoch = result.Epoch;
            history.BestValue = value;
            if (BestParameters is not null) model.Parameters.CopyTo(BestParameters);
            if (BestState is not null) model.State.CopyTo(BestState);
        }
        else if (++Wait >= Options.Patience && result.Epoch < epochs)
        {
            history.StoppedEarly = true;
            history.StoppedEpoch = result.Epoch;
        }
    }

    /// <summary>
    /// Continues from a checkpoint: the best value and wait it recorded, and the best epoch's parameters and state (when
    /// they are kept). When the last epoch did not improve and the wait already reached the patience, training stops
    /// there if more epochs were asked for: what the epoch itself would have decided had it not been the last of its Fit.
    /// </summary>
    public void Restore(float best, int wait, ReadOnlySpan<float> bestParameters, ReadOnlySpan<float> bestState, int epoch, int epochs, TrainingHistory history)
    {
        Best = best;
        Wait = wait;
        if (BestParameters is not null) bestParameters.CopyTo(BestParameters);
        if (BestState is not null) bestState.CopyTo(BestState);
        if (!history.StoppedEarly && wait >= Math.Max(1, Options.Patience) && epoch < epochs)
        {
            history.StoppedEarly = true;
            history.StoppedEpoch = epoch;
        }
    }

    /// <summary>At the end of training: puts the best epoch's parameters and state back when asked to (and when they are not the model's already).</summary>
    public void RestoreBest(TrainingHistory history, Model model)
    {
        if (BestParameters is null || BestState is null || history.BestEpoch is not int bestEpoch) return;
        if (bestEpoch != history.Count)
        {
            BestParameters.CopyTo(model.Parameters);
            BestState.CopyTo(model.State);
        }
        history.RestoredBestWeights = true;
    }
}
