using System;
using System.Globalization;

namespace ModelGen.Monitoring;

/// <summary>How <see cref="DriftStatistics.KolmogorovSmirnov"/> computed a p-value.</summary>
public enum KolmogorovSmirnovMethod
{
    /// <summary>The exact permutation distribution of the two-sample statistic (both samples of at most <see cref="DriftStatistics.ExactSizeLimit"/> values).</summary>
    Exact = 0,

    /// <summary>The one-sample Kolmogorov distribution of D_n at n = round(n₁n₂/(n₁+n₂)) (a sample above <see cref="DriftStatistics.ExactSizeLimit"/> values).</summary>
    Asymptotic,
}

/// <summary>The two-sample Kolmogorov–Smirnov test of <see cref="DriftStatistics.KolmogorovSmirnov"/>.</summary>
/// <param name="Statistic">D = max |F₁(x) − F₂(x)| over the pooled values, between 0 and 1.</param>
/// <param name="PValue">P(D' ≥ D) when both samples come from one continuous distribution (two-sided).</param>
/// <param name="Method">How the p-value was computed.</param>
public readonly record struct KolmogorovSmirnovResult(double Statistic, double PValue, KolmogorovSmirnovMethod Method);

/// <summary>Pearson's chi-square goodness-of-fit test of <see cref="DriftStatistics.ChiSquare"/>.</summary>
/// <param name="Statistic">Σ (observed − expected)² / expected.</param>
/// <param name="PValue">P(χ² ≥ statistic) with <paramref name="DegreesOfFreedom"/> degrees of freedom.</param>
/// <param name="DegreesOfFreedom">The number of categories minus 1.</param>
public readonly record struct ChiSquareResult(double Statistic, double PValue, int DegreesOfFreedom);

/// <summary>
/// The statistics behind <see cref="DriftMonitor"/>, defined as SciPy defines them so that results can be checked
/// against it: <c>scipy.stats.ks_2samp</c> (two-sided, <c>method='auto'</c>), <c>scipy.stats.chisquare</c>, and the
/// population stability index. docs/monitoring.md gives the formulas and methods.
/// </summary>
public static class DriftStatistics
{
    /// <summary>The largest sample size for which <see cref="KolmogorovSmirnov"/> computes the exact p-value, as SciPy's <c>method='auto'</c> does.</summary>
    public const int ExactSizeLimit = 10_000;

    /// <summary>
    /// The two-sample Kolmogorov–Smirnov test, two-sided, as <c>scipy.stats.ks_2samp(sample1, sample2)</c>: the statistic is
    /// the largest distance between the two empirical distribution functions (ties handled by counting values ≤ x); the
    /// p-value is exact when both samples have at most <see cref="ExactSizeLimit"/> values, otherwise the one-sample
    /// Kolmogorov distribution at n = round(n₁n₂/(n₁+n₂)) (SciPy's <c>kstwo.sf</c>).
    /// </summary>
    /// <param name="sample1">The first sample (e.g. training values); copied and sorted.</param>
    /// <param name="sample2">The second sample (e.g. a window of live values); copied and sorted.</param>
    /// <exception cref="ArgumentException">A sample is empty or holds NaN or ±∞ (the message gives the index).</exception>
    public static KolmogorovSmirnovResult KolmogorovSmirnov(ReadOnlySpan<double> sample1, ReadOnlySpan<double> sample2)
    {
        var a = SortedFinite(sample1, nameof(sample1));
        var b = SortedFinite(sample2, nameof(sample2));
        return KolmogorovSmirnovSorted(a, b, ExactSizeLimit);
    }

    private static double[] SortedFinite(ReadOnlySpan<double> sample, string parameter)
    {
        if (sample.IsEmpty) throw new ArgumentException("The sample is empty; the Kolmogorov–Smirnov test needs at least one value in each sample.", parameter);
        for (int i = 0; i < sample.Length; i++)
            if (!double.IsFinite(sample[i]))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Value {i} of the sample is {sample[i]}; the test needs finite numbers."), parameter);
        var copy = sample.ToArray();
        Array.Sort(copy);
        return copy;
    }

    /// <summary>The test on two samples already sorted ascending, finite and non-empty (not checked); exact while both have at most <paramref name="exactSizeLimit"/> values.</summary>
    internal static KolmogorovSmirnovResult KolmogorovSmirnovSorted(ReadOnlySpan<double> sorted1, ReadOnlySpan<double> sorted2, int exactSizeLimit)
    {
        int n1 = sorted1.Length, n2 = sorted2.Length;
        long g = Gcd(n1, n2);
        // Walk the pooled values; at each distinct value c1 and c2 count the values ≤ it. n2·c1 − n1·c2 is the ECDF
        // difference scaled by n1·n2, an exact integer.
        long best = 0;
        int bestC1 = 0, bestC2 = 0, i = 0, j = 0;
        while (i < n1 || j < n2)
        {
            double v = i == n1 ? sorted2[j] : j == n2 ? sorted1[i] : Math.Min(sorted1[i], sorted2[j]);
            while (i < n1 && sorted1[i] <= v) i++;
            while (j < n2 && sorted2[j] <= v) j++;
            long difference = Math.Abs((long)i * n2 - (long)j * n1);
            if (difference > best)
            {
                best = difference;
                bestC1 = i;
                bestC2 = j;
            }
        }
        long h = best / g;                    // D = h / lcm(n1, n2)
        long lcm = n1 / g * n2;
        if (Math.Max(n1, n2) <= exactSizeLimit)
        {
            double d = (double)h / lcm;
            return new(d, h == 0 ? 1.0 : ExactTwoSidedPValue(n1, n2, best), KolmogorovSmirnovMethod.Exact);
        }
        double statistic = Math.Abs((double)bestC1 / n1 - (double)bestC2 / n2);
        double large = Math.Max(n1, n2), small = Math.Min(n1, n2);
        int effective = (int)Math.Round(large * small / (large + small), MidpointRounding.ToEven);
        return new(statistic, Distributions.KolmogorovSurvival(Math.Max(effective, 1), statistic), KolmogorovSmirnovMethod.Asymptotic);
    }

    /// <summary>
    /// P(D ≥ d) under the null hypothesis, exactly: every interleaving of the two samples is equally likely, and D ≥ d
    /// when the lattice path (x = values of sample 1 so far, y = of sample 2) reaches |x·n2 − y·n1| ≥ <paramref name="threshold"/>.
    /// The probability of first reaching that band edge is summed over the band's inside points, walked column by column
    /// with the hypergeometric step probabilities; the terms are all positive, so tiny p-values keep their digits.
    /// </summary>
    private static double ExactTwoSidedPValue(int n1, int n2, long threshold)
    {
        long m = n1, n = n2;
        int total = n1 + n2;
        var reciprocal = new double[total + 1];
        for (int r = 1; r <= total; r++) reciprocal[r] = 1.0 / r;

        // Column x holds the inside points y in [low(x), high(x)]: |x·n − y·m| < threshold.
        long Low(long x) => Math.Max(0, FloorDiv(x * n - threshold, m) + 1);
        long High(long x) => Math.Min(n, CeilDiv(x * n + threshold, m) - 1);

        var previous = new double[n2 + 1];
        var current = new double[n2 + 1];
        // The previous column's written range; a point outside it has probability 0.
        long previousFirst = 0, previousLast = -1;
        double pValue = 0;
        for (long x = 0; x <= m; x++)
        {
            long low = Low(x), high = High(x);
            long nextLow = x < m ? Low(x + 1) : 0, nextHigh = x < m ? High(x + 1) : -1;
            // Far from the diagonal the probabilities underflow to exactly 0; walking only where they are not keeps a
            // large shift (a wide band) from costing the whole n1 × n2 grid, and changes no bit of the result.
            long start = x == 0 ? low : Math.Max(low, previousFirst);
            long first = -1, last = start - 1;
            for (long y = start; y <= high; y++)
            {
                double q = x == 0 && y == 0 ? 1 : 0;
                long remainingBefore = total - x - y + 1;
                if (x > 0 && y >= previousFirst && y <= previousLast)
                    q += previous[y] * (m - x + 1) * reciprocal[remainingBefore];
                if (y > start)
                    q += current[y - 1] * (n - y + 1) * reciprocal[remainingBefore];
                // Above the previous column's range only the step up feeds a point; once that is 0, so is the rest.
                if (q == 0 && y > previousLast) break;
                current[y] = q;
                last = y;
                if (q == 0) continue;
                if (first < 0) first = y;
                long remaining = total - x - y;
                if (remaining == 0) continue;
                // A step right or up that leaves the band is where D first reaches the threshold.
                if (x < m && (y < nextLow || y > nextHigh)) pValue += q * (m - x) * reciprocal[remaining];
                if (y < n && y == high) pValue += q * (n - y) * reciprocal[remaining];
            }
            if (first < 0) break;   // every path has left the band
            (previous, current) = (current, previous);
            previousFirst = first;
            previousLast = last;
        }
        return Math.Clamp(pValue, 0, 1);
    }

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    private static long CeilDiv(long a, long b) => -FloorDiv(-a, b);

    private static long Gcd(long a, long b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }

    /// <summary>
    /// Pearson's chi-square test of observed counts against expected counts, as <c>scipy.stats.chisquare(observed, expected)</c>:
    /// the statistic Σ (o − e)²/e and its p-value with k − 1 degrees of freedom for k categories.
    /// </summary>
    /// <param name="observed">The observed count of each category (finite, ≥ 0).</param>
    /// <param name="expected">The expected count of each category (finite, &gt; 0), with the same total as <paramref name="observed"/> (within 1e-8 relative).</param>
    /// <exception cref="ArgumentException">Fewer than 2 categories, lengths differ, a count is negative or not finite, an expected count is 0, or the totals differ.</exception>
    public static ChiSquareResult ChiSquare(ReadOnlySpan<double> observed, ReadOnlySpan<double> expected)
    {
        if (observed.Length != expected.Length)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"There are {observed.Length} observed counts but {expected.Length} expected counts; give one of each per category."), nameof(expected));
        if (observed.Length < 2)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The chi-square test needs at least 2 categories; {observed.Length} were given."), nameof(observed));
        double observedTotal = 0, expectedTotal = 0, statistic = 0;
        for (int i = 0; i < observed.Length; i++)
        {
            if (!double.IsFinite(observed[i]) || observed[i] < 0)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Observed count {i} is {observed[i]}; counts are finite and ≥ 0."), nameof(observed));
            if (!double.IsFinite(expected[i]) || expected[i] <= 0)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Expected count {i} is {expected[i]}; expected counts must be finite and > 0 (a category never expected makes the statistic infinite)."), nameof(expected));
            observedTotal += observed[i];
            expectedTotal += expected[i];
            double difference = observed[i] - expected[i];
            statistic += difference * difference / expected[i];
        }
        if (Math.Abs(observedTotal - expectedTotal) > 1e-8 * Math.Max(observedTotal, expectedTotal))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The observed counts total {observedTotal:R} but the expected counts {expectedTotal:R}; scale the expected counts to the observed total."), nameof(expected));
        int degrees = observed.Length - 1;
        return new(statistic, Distributions.ChiSquareSurvival(statistic, degrees), degrees);
    }

    /// <summary>
    /// The population stability index Σ (a − e)·ln(a / e) over bins, where e is a bin's proportion in the reference
    /// (training) data and a its proportion in the window; a proportion of 0 counts as <paramref name="epsilon"/> so that
    /// empty bins give a finite value. Common reading: below 0.1 no shift, 0.1 to 0.25 a moderate shift, 0.25 or more a
    /// large one.
    /// </summary>
    /// <param name="expected">The reference proportion of each bin (finite, ≥ 0).</param>
    /// <param name="actual">The window's proportion of each bin (finite, ≥ 0).</param>
    /// <param name="epsilon">What a proportion of 0 counts as (&gt; 0).</param>
    /// <exception cref="ArgumentException">The lengths differ or are 0, a proportion is negative or not finite, or <paramref name="epsilon"/> is not &gt; 0.</exception>
    public static double PopulationStabilityIndex(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double epsilon = DriftOptions.DefaultPsiEpsilon)
    {
        if (expected.Length != actual.Length || expected.IsEmpty)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"There are {expected.Length} reference and {actual.Length} window proportions; give one of each per bin (at least one bin)."), nameof(actual));
        if (!(epsilon > 0) || !double.IsFinite(epsilon))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "The empty-bin proportion must be a finite number > 0.");
        double psi = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            if (!double.IsFinite(expected[i]) || expected[i] < 0)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Reference proportion {i} is {expected[i]}; proportions are finite and ≥ 0."), nameof(expected));
            if (!double.IsFinite(actual[i]) || actual[i] < 0)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Window proportion {i} is {actual[i]}; proportions are finite and ≥ 0."), nameof(actual));
            double e = Math.Max(expected[i], epsilon), a = Math.Max(actual[i], epsilon);
            psi += (a - e) * Math.Log(a / e);
        }
        return psi;
    }

    /// <summary>P(χ² ≥ <paramref name="x"/>) with <paramref name="degreesOfFreedom"/> degrees of freedom (SciPy's <c>chi2.sf</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="degreesOfFreedom"/> is below 1.</exception>
    public static double ChiSquareSurvival(double x, int degreesOfFreedom) => Distributions.ChiSquareSurvival(x, degreesOfFreedom);

    /// <summary>P(D_n ≥ <paramref name="d"/>) for the one-sample two-sided Kolmogorov statistic of <paramref name="n"/> observations (SciPy's <c>kstwo.sf(d, n)</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is below 1.</exception>
    public static double KolmogorovSurvival(int n, double d) => Distributions.KolmogorovSurvival(n, d);
}
