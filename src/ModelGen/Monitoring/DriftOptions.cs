using System;
using System.Globalization;

namespace ModelGen.Monitoring;

/// <summary>
/// When <see cref="DriftMonitor"/> calls a feature drifted, and how it bins for the population stability index. The
/// options are part of the monitor's saved reference. docs/monitoring.md explains each.
/// </summary>
public sealed record DriftOptions
{
    /// <summary>The default of <see cref="PsiEpsilon"/>.</summary>
    public const double DefaultPsiEpsilon = 1e-4;

    /// <summary>
    /// A feature whose test (Kolmogorov–Smirnov or chi-square) has a p-value below this is drifted. 0.05 unless set; it is a
    /// per-feature level, so with many features some false alarms are expected (divide by the number of features for a
    /// Bonferroni bound).
    /// </summary>
    public double Alpha { get; init; } = 0.05;

    /// <summary>A feature whose population stability index is at least this is drifted. 0.25 (a large shift) unless set; <see cref="double.PositiveInfinity"/> turns the rule off.</summary>
    public double PsiThreshold { get; init; } = 0.25;

    /// <summary>
    /// The number of quantile bins of a numeric feature for the population stability index: the edges are the training
    /// quantiles at 1/bins, 2/bins, …, (bins−1)/bins (10 unless set: deciles), duplicates removed.
    /// </summary>
    public int PsiBins { get; init; } = 10;

    /// <summary>What an empty bin's proportion counts as in the population stability index, so that it stays finite. 1e-4 unless set.</summary>
    public double PsiEpsilon { get; init; } = DefaultPsiEpsilon;

    /// <summary>
    /// The largest sample size for which the Kolmogorov–Smirnov p-value is exact: when the training values or the window
    /// have more, the asymptotic distribution is used. <see cref="DriftStatistics.ExactSizeLimit"/> (10 000, as SciPy's
    /// default) unless set. The exact p-value costs up to n₁·n₂ steps when the shift is large; a lower limit
    /// bounds a service's cost, 0 always uses the asymptotic one.
    /// </summary>
    public int KsExactSizeLimit { get; init; } = DriftStatistics.ExactSizeLimit;

    /// <summary>Throws when an option is out of range.</summary>
    internal void Validate(string parameter)
    {
        if (!(Alpha > 0 && Alpha < 1))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"DriftOptions.Alpha is {Alpha}; it must be between 0 and 1 (exclusive)."), parameter);
        if (double.IsNaN(PsiThreshold) || PsiThreshold <= 0)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"DriftOptions.PsiThreshold is {PsiThreshold}; it must be > 0 (∞ turns the rule off)."), parameter);
        if (PsiBins < 2 || PsiBins > 1000)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"DriftOptions.PsiBins is {PsiBins}; it must be from 2 to 1000."), parameter);
        if (KsExactSizeLimit < 0)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"DriftOptions.KsExactSizeLimit is {KsExactSizeLimit}; it must be ≥ 0 (0: always the asymptotic p-value)."), parameter);
        if (!(PsiEpsilon > 0 && PsiEpsilon < 1))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"DriftOptions.PsiEpsilon is {PsiEpsilon}; it must be between 0 and 1 (exclusive)."), parameter);
    }
}
