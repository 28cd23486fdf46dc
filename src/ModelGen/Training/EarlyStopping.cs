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
