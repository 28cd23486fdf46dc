using System;

namespace ModelGen;

/// <summary>
/// A learning-rate schedule applied by <see cref="Model.Fit"/> before every optimizer step
/// (PyTorch's per-iteration <c>scheduler.step()</c> semantics). The step index counts optimizer
/// updates from 0 within one <c>Fit</c> call — with gradient accumulation, one step per
/// <c>accumulationSteps</c> micro-batches — not epochs. <c>Fit</c> reads the base rate from the
/// optimizer's <see cref="Optimizer.LearningRate"/> when it starts and hands each step its scheduled
/// rate (<see cref="Optimizer.Step(System.Span{float}, System.ReadOnlySpan{float}, float)"/>); the property is never changed.
/// </summary>
/// <remarks>Implementations must be pure functions of their arguments and must not allocate.</remarks>
public abstract class LearningRateSchedule
{
    /// <summary>The learning rate of optimizer step <paramref name="step"/> (0-based) given the optimizer's base rate.</summary>
    /// <param name="step">0-based index of the optimizer step about to be taken.</param>
    /// <param name="baseRate">The optimizer's learning rate when <c>Fit</c> started.</param>
    public abstract float Rate(long step, float baseRate);

    /// <summary>
    /// The schedule as invariant text, e.g. <c>CosineDecay(totalSteps: 1000, minRate: 0)</c>: a checkpoint records it and a
    /// resumed Fit must match it. A schedule of another library is known by its type name only.
    /// </summary>
    internal virtual string Describe() => GetType().FullName ?? GetType().Name;

    /// <summary>Throws unless <paramref name="step"/> ≥ 0.</summary>
    protected static void CheckStep(long step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "The step must be ≥ 0.");
    }
}

/// <summary>
/// Multiplies the rate by <see cref="Gamma"/> every <see cref="StepSize"/> steps (PyTorch <c>StepLR</c>):
/// <c>rate(t) = base · γ^⌊t / stepSize⌋</c>.
/// </summary>
public sealed class StepDecay : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="stepSize">Optimizer steps between decays (≥ 1).</param>
    /// <param name="gamma">Factor applied at each decay, in (0, 1] usually (must be positive and finite).</param>
    public StepDecay(long stepSize, float gamma = 0.1f)
    {
        if (stepSize < 1) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "The step size must be ≥ 1.");
        if (!(gamma > 0) || float.IsInfinity(gamma)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "Gamma must be a positive finite number.");
        StepSize = stepSize;
        Gamma = gamma;
    }

    /// <summary>Optimizer steps between decays.</summary>
    public long StepSize { get; }

    /// <summary>Decay factor.</summary>
    public float Gamma { get; }

    /// <inheritdoc/>
    public override float Rate(long step, float baseRate)
    {
        CheckStep(step);
        return (float)(baseRate * Math.Pow(Gamma, step / StepSize));
    }

    internal override string Describe() => FormattableString.Invariant($"StepDecay(stepSize: {StepSize}, gamma: {Optimizer.Text(Gamma)})");
}

/// <summary>
/// Cosine annealing from the base rate to <see cref="MinRate"/> over <see cref="TotalSteps"/> steps,
/// then constant (PyTorch <c>CosineAnnealingLR</c> without restarts):
/// <c>rate(t) = min + (base − min) · ½ (1 + cos(π · min(t, T) / T))</c>.
/// </summary>
public sealed class CosineDecay : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="totalSteps">Steps T of the decay (≥ 1); from step T on the rate is <paramref name="minRate"/>.</param>
    /// <param name="minRate">Final rate (≥ 0).</param>
    public CosineDecay(long totalSteps, float minRate = 0f)
    {
        if (totalSteps < 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, "The number of steps must be ≥ 1.");
        Optimizer.CheckNonNegative(minRate, nameof(minRate));
        TotalSteps = totalSteps;
        MinRate = minRate;
    }

    /// <summary>Length of the decay in optimizer steps.</summary>
    public long TotalSteps { get; }

    /// <summary>Rate reached at <see cref="TotalSteps"/> and kept afterwards.</summary>
    public float MinRate { get; }

    /// <inheritdoc/>
    public override float Rate(long step, float baseRate)
    {
        CheckStep(step);
        double progress = Math.Min(step, TotalSteps) / (double)TotalSteps;
        return (float)(MinRate + (baseRate - MinRate) * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }

    internal override string Describe() => FormattableString.Invariant($"CosineDecay(totalSteps: {TotalSteps}, minRate: {Optimizer.Text(MinRate)})");
}

/// <summary>
/// Linear warm-up over the first <see cref="WarmupSteps"/> steps, then another schedule (or the
/// constant base rate): <c>rate(t) = base · (t + 1) / W</c> for <c>t &lt; W</c> (so the first step already
/// moves and step W − 1 uses the full rate), then <c>then.Rate(t − W, base)</c> — the following
/// schedule starts counting at 0 when the warm-up ends (e.g. <c>CosineDecay(total − W)</c>).
/// </summary>
public sealed class LinearWarmup : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="warmupSteps">Steps W of the ramp (≥ 1).</param>
    /// <param name="then">Schedule after the warm-up; <c>null</c> keeps the base rate.</param>
    public LinearWarmup(long warmupSteps, LearningRateSchedule? then = null)
    {
        if (warmupSteps < 1) throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "The number of warm-up steps must be ≥ 1.");
        WarmupSteps = warmupSteps;
        Then = then;
    }

    /// <summary>Length of the ramp in optimizer steps.</summary>
    public long WarmupSteps { get; }

    /// <summary>Schedule applied after the warm-up, or <c>null</c> for the constant base rate.</summary>
    public LearningRateSchedule? Then { get; }

    /// <inheritdoc/>
    public override float Rate(long step, float baseRate)
    {
        CheckStep(step);
        if (step < WarmupSteps) return (float)((double)baseRate * (step + 1) / WarmupSteps);
        return Then?.Rate(step - WarmupSteps, baseRate) ?? baseRate;
    }

    internal override string Describe() => FormattableString.Invariant($"LinearWarmup(warmupSteps: {WarmupSteps}, then: {Then?.Describe() ?? "none"})");
}
