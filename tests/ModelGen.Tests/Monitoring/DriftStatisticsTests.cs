using System;
using System.Linq;
using ModelGen.Monitoring;
using Xunit;
using static ModelGen.Tests.Monitoring.DriftReference;

namespace ModelGen.Tests.Monitoring;

/// <summary>The drift statistics against SciPy's values on the same inputs (drift_reference.json), and against hand-computed cases.</summary>
public class DriftStatisticsTests
{
    [Fact]
    public void KolmogorovSmirnovMatchesScipyKs2sampOnEveryCase()
    {
        var cases = Get("ks_2samp").EnumerateArray().ToArray();
        Assert.True(cases.Length >= 12, "the fixture should hold the KS cases");
        foreach (var c in cases)
        {
            string name = c.GetProperty("name").GetString()!;
            var a = Vector(c.GetProperty("a"));
            var b = Vector(c.GetProperty("b"));
            var r = DriftStatistics.KolmogorovSmirnov(a, b);
            var expectedMethod = c.GetProperty("method").GetString() == "exact" ? KolmogorovSmirnovMethod.Exact : KolmogorovSmirnovMethod.Asymptotic;
            Assert.True(expectedMethod == r.Method, $"{name}: method {r.Method}, SciPy used {expectedMethod}");
            Close(c.GetProperty("statistic").GetDouble(), r.Statistic, 1e-14, name + " statistic");
            // Exact p-values agree to rounding (1.5e-15 seen); asymptotic ones to the summation order of their series (5e-14 seen).
            Close(c.GetProperty("pvalue").GetDouble(), r.PValue, r.Method == KolmogorovSmirnovMethod.Exact ? 1e-12 : 1e-10, name + " p-value", 1e-300);
            // The test is symmetric in its samples.
            var swapped = DriftStatistics.KolmogorovSmirnov(b, a);
            Assert.Equal(r.Statistic, swapped.Statistic);
            Close(r.PValue, swapped.PValue, 1e-12, name + " swapped p-value", 1e-300);
        }
    }

    [Fact]
    public void KolmogorovDistributionMatchesScipyKstwoOnEveryBranch()
    {
        var grid = Get("kstwo_sf").EnumerateArray().ToArray();
        Assert.True(grid.Length > 80);
        foreach (var g in grid)
        {
            int n = g.GetProperty("n").GetInt32();
            double x = g.GetProperty("x").GetDouble(), expected = g.GetProperty("sf").GetDouble();
            Close(expected, DriftStatistics.KolmogorovSurvival(n, x), 1e-9, $"kstwo.sf({x:R}, {n})", 1e-300);
        }
    }

    [Fact]
    public void ChiSquareMatchesScipyChisquare()
    {
        foreach (var c in Get("chisquare").EnumerateArray())
        {
            var observed = Vector(c.GetProperty("observed"));
            var r = DriftStatistics.ChiSquare(observed, Vector(c.GetProperty("expected")));
            Close(c.GetProperty("statistic").GetDouble(), r.Statistic, 1e-13, "chi-square statistic", 1e-15);
            Close(c.GetProperty("pvalue").GetDouble(), r.PValue, 1e-10, "chi-square p-value", 1e-300);
            Assert.Equal(observed.Length - 1, r.DegreesOfFreedom);
        }
    }

    [Fact]
    public void ChiSquareSurvivalMatchesScipyChi2()
    {
        foreach (var g in Get("chi2_sf").EnumerateArray())
        {
            int df = g.GetProperty("df").GetInt32();
            double x = g.GetProperty("x").GetDouble();
            Close(g.GetProperty("sf").GetDouble(), DriftStatistics.ChiSquareSurvival(x, df), 1e-11, $"chi2.sf({x:R}, {df})", 1e-300);
        }
    }

    [Fact]
    public void PsiBinsAndIndexMatchTheDefinitionComputedWithNumpy()
    {
        foreach (var c in Get("psi").EnumerateArray())
        {
            string name = c.GetProperty("name").GetString()!;
            var train = Vector(c.GetProperty("train"));
            var window = Vector(c.GetProperty("window"));
            var sorted = train.Order().ToArray();
            var edges = NumericReference.QuantileEdges(sorted, 10);
            Assert.Equal(Vector(c.GetProperty("edges")), edges);
            var trainShare = NumericReference.BinProportions(train, edges);
            var windowShare = NumericReference.BinProportions(window, edges);
            Assert.Equal(Vector(c.GetProperty("train_proportions")), trainShare);
            Assert.Equal(Vector(c.GetProperty("window_proportions")), windowShare);
            Close(c.GetProperty("psi").GetDouble(), DriftStatistics.PopulationStabilityIndex(trainShare, windowShare), 1e-12, name + " PSI");
        }
    }

    [Fact]
    public void ExactPValueOfDisjointSamplesIsTwoOverTheNumberOfInterleavings()
    {
        // All 4 values of one sample below all 3 of the other: D = 1, and only 2 of the C(7, 3) = 35 orders reach it.
        var r = DriftStatistics.KolmogorovSmirnov([1, 2, 3, 4], [10, 11, 12]);
        Assert.Equal(1.0, r.Statistic);
        Assert.Equal(2.0 / 35, r.PValue, 1e-15);
        // D = 1/2 for [1, 2] vs [1.5, 3]: F1 − F2 = 1/2 at 1 and at 2 (after 1.5: 1 − 1/2); every one of the 6 orders reaches 1/2.
        var half = DriftStatistics.KolmogorovSmirnov([1, 2], [1.5, 3]);
        Assert.Equal(0.5, half.Statistic);
        Assert.Equal(1.0, half.PValue, 1e-15);
    }

    [Fact]
    public void TiesCountValuesAtOrBelowEachPooledValue()
    {
        // F1(1) = 2/3 and F2(1) = 1/3, F1(2) = F2(2) = 1 → D = 1/3; leaving the tied 1 out of either count gives 2/3.
        var r = DriftStatistics.KolmogorovSmirnov([1, 1, 2], [1, 2, 2]);
        Assert.Equal(1.0 / 3, r.Statistic, 1e-15);
    }

    [Fact]
    public void PsiCountsEmptyBinsAsEpsilon()
    {
        double psi = DriftStatistics.PopulationStabilityIndex([0.5, 0.5, 0], [0.5, 0, 0.5], 1e-4);
        double expected = (1e-4 - 0.5) * Math.Log(1e-4 / 0.5) + (0.5 - 1e-4) * Math.Log(0.5 / 1e-4);
        Assert.Equal(expected, psi, 1e-12);
        Assert.Equal(0, DriftStatistics.PopulationStabilityIndex([0.2, 0.8], [0.2, 0.8]));
    }

    [Fact]
    public void BadArgumentsAreRefusedWithTheirReason()
    {
        var e = Assert.Throws<ArgumentException>(() => DriftStatistics.KolmogorovSmirnov([], [1.0]));
        Assert.Contains("empty", e.Message);
        e = Assert.Throws<ArgumentException>(() => DriftStatistics.KolmogorovSmirnov([1.0, double.NaN], [1.0]));
        Assert.Contains("Value 1 of the sample is NaN", e.Message);
        e = Assert.Throws<ArgumentException>(() => DriftStatistics.ChiSquare([1, 2], [3, 0]));
        Assert.Contains("Expected count 1 is 0", e.Message);
        e = Assert.Throws<ArgumentException>(() => DriftStatistics.ChiSquare([1, 2], [1, 1]));
        Assert.Contains("total 3 but the expected counts 2", e.Message);
        e = Assert.Throws<ArgumentException>(() => DriftStatistics.ChiSquare([1], [1]));
        Assert.Contains("at least 2 categories", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => DriftStatistics.PopulationStabilityIndex([1], [1], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => DriftStatistics.ChiSquareSurvival(1, 0));
    }
}
