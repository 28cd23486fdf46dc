using System;
using System.Collections.Generic;
using System.Linq;

namespace ModelGen.Monitoring;

/// <summary>Whether a monitored feature is compared as numbers or as categories.</summary>
public enum DriftFeatureKind
{
    /// <summary>Real values: the Kolmogorov–Smirnov test and quantile-binned PSI.</summary>
    Numeric = 0,

    /// <summary>Levels: the chi-square test and per-level PSI.</summary>
    Categorical,
}

/// <summary>One feature a <see cref="DriftMonitor"/> watches.</summary>
/// <param name="Name">The column name windows must use.</param>
/// <param name="Kind">Numeric or categorical.</param>
/// <param name="Levels">A categorical feature's training levels (in the order a numeric row encodes them by index); empty for a numeric one.</param>
public sealed record MonitoredFeature(string Name, DriftFeatureKind Kind, IReadOnlyList<string> Levels);

/// <summary>What the monitor keeps of one training column: all it needs to compare a window with it.</summary>
internal abstract class FeatureReference
{
    protected FeatureReference(string name) => Name = name;

    public string Name { get; }

    public abstract DriftFeatureKind Kind { get; }

    public abstract MonitoredFeature Describe();

    /// <summary>Bytes held by the reference's arrays (not counting object headers and names).</summary>
    public abstract long Bytes { get; }
}

/// <summary>A numeric training column: its values sorted (what the exact KS test needs), and the PSI bin edges and proportions derived from them.</summary>
internal sealed class NumericReference : FeatureReference
{
    public NumericReference(string name, double[] sorted, int bins) : base(name)
    {
        Sorted = sorted;
        Edges = QuantileEdges(sorted, bins);
        Proportions = BinProportions(sorted, Edges);
    }

    /// <summary>The training values, ascending, finite.</summary>
    public double[] Sorted { get; }

    /// <summary>The PSI bin edges: training quantiles at k/bins, ascending, without duplicates. Bin i holds the values v with Edges[i−1] &lt; v ≤ Edges[i].</summary>
    public double[] Edges { get; }

    /// <summary>The training proportion of each PSI bin (Edges.Length + 1 bins).</summary>
    public double[] Proportions { get; }

    public override DriftFeatureKind Kind => DriftFeatureKind.Numeric;

    public override MonitoredFeature Describe() => new(Name, Kind, []);

    public override long Bytes => 8L * (Sorted.Length + Edges.Length + Proportions.Length);

    /// <summary>
    /// The quantiles at k/bins, k = 1…bins−1, by linear interpolation between order statistics (NumPy's default): at
    /// position p = k(N−1)/bins, s[⌊p⌋] + (p − ⌊p⌋)(s[⌊p⌋+1] − s[⌊p⌋]); equal edges are kept once.
    /// </summary>
    internal static double[] QuantileEdges(double[] sorted, int bins)
    {
        var edges = new List<double>(bins - 1);
        long last = sorted.Length - 1;
        for (int k = 1; k < bins; k++)
        {
            long scaled = k * last;
            long low = scaled / bins, remainder = scaled % bins;
            double edge = remainder == 0 ? sorted[low] : sorted[low] + (double)remainder / bins * (sorted[low + 1] - sorted[low]);
            if (edges.Count == 0 || edge > edges[^1]) edges.Add(edge);
        }
        return edges.ToArray();
    }

    /// <summary>The bin of <paramref name="value"/>: the number of edges below it.</summary>
    internal static int Bin(double[] edges, double value)
    {
        int low = 0, high = edges.Length;
        while (low < high)
        {
            int mid = (low + high) >>> 1;
            if (edges[mid] < value) low = mid + 1; else high = mid;
        }
        return low;
    }

    internal static double[] BinProportions(ReadOnlySpan<double> values, double[] edges)
    {
        var counts = new double[edges.Length + 1];
        foreach (double v in values) counts[Bin(edges, v)]++;
        for (int i = 0; i < counts.Length; i++) counts[i] /= values.Length;
        return counts;
    }
}

/// <summary>A categorical training column: its levels and how often each occurred.</summary>
internal sealed class CategoricalReference : FeatureReference
{
    private readonly Dictionary<string, int> _index;

    public CategoricalReference(string name, string[] levels, long[] counts) : base(name)
    {
        Levels = levels;
        Counts = counts;
        Total = counts.Sum();
        _index = new Dictionary<string, int>(levels.Length, StringComparer.Ordinal);
        for (int i = 0; i < levels.Length; i++) _index.Add(levels[i], i);
    }

    /// <summary>The training column's levels (including any that no training row has).</summary>
    public string[] Levels { get; }

    /// <summary>The training count of each level.</summary>
    public long[] Counts { get; }

    /// <summary>The number of training values.</summary>
    public long Total { get; }

    /// <summary>The index of <paramref name="level"/> among <see cref="Levels"/>, or −1.</summary>
    public int IndexOf(string level) => _index.TryGetValue(level, out int i) ? i : -1;

    public override DriftFeatureKind Kind => DriftFeatureKind.Categorical;

    public override MonitoredFeature Describe() => new(Name, Kind, Levels);

    public override long Bytes => 8L * Counts.Length + Levels.Sum(l => 2L * l.Length);
}
