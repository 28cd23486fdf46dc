using System;
using System.Linq;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests.Training;

public class ClassSamplingTests
{
    /// <summary>90 rows of class 0, 10 of class 1.</summary>
    private static Dataset Imbalanced(int count = 1000)
    {
        var labels = Enumerable.Range(0, count).Select(r => r % 10 == 3 ? 1 : 0).ToArray();
        return Dataset.ForClassification(Enumerable.Range(0, count).Select(r => (float)r).ToArray(), 1, labels, 2);
    }

    [Fact]
    public void Balanced_DrawsEachClassAboutEquallyOften()
    {
        var data = Imbalanced();
        var rows = ClassSampling.Balanced.For(data).Draw(seed: 4, epoch: 1).ToArray();
        Assert.Equal(data.Count, rows.Length);
        double minority = rows.Count(r => data.Label(r) == 1) / (double)rows.Length;
        // Binomial(1000, 0.5): the standard deviation is 0.016; 0.1 would be unweighted.
        Assert.InRange(minority, 0.44, 0.56);
        // With replacement: the 100 minority rows appear about 5 times each.
        Assert.True(rows.Distinct().Count() < data.Count);
    }

    [Fact]
    public void FromWeights_DrawsInProportionToClassWeightTimesRows()
    {
        var data = Imbalanced(2000);
        // Per-row weights 1 and 3: class 1 holds 10 % of rows × 3 → 3/(9+3) = 25 % of draws.
        var rows = ClassSampling.FromWeights(1f, 3f).For(data).Draw(seed: 2, epoch: 1).ToArray();
        double minority = rows.Count(r => data.Label(r) == 1) / (double)rows.Length;
        Assert.InRange(minority, 0.22, 0.28);
        // A weight-0 class is never drawn.
        var none = ClassSampling.FromWeights(1f, 0f).For(data).Draw(seed: 2, epoch: 1).ToArray();
        Assert.All(none, r => Assert.Equal(0, data.Label(r)));
    }

    [Fact]
    public void Draw_SameSeedAndEpoch_SameRows_OtherEpochOrSeed_OtherRows()
    {
        var data = Imbalanced();
        var a = ClassSampling.Balanced.For(data).Draw(seed: 5, epoch: 2).ToArray();
        var b = ClassSampling.Balanced.For(data).Draw(seed: 5, epoch: 2).ToArray();
        var otherEpoch = ClassSampling.Balanced.For(data).Draw(seed: 5, epoch: 3).ToArray();
        var otherSeed = ClassSampling.Balanced.For(data).Draw(seed: 6, epoch: 2).ToArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, otherEpoch);
        Assert.NotEqual(a, otherSeed);
    }

    [Fact]
    public void Fit_WithSampling_IsDeterministicAndDiffersFromShuffling()
    {
        var data = FitFeatureTests.MakeBlobs(60, 3);
        var a = new Blobs(seed: 1);
        var b = new Blobs(seed: 1);
        var c = new Blobs(seed: 1);
        a.Fit(data, epochs: 2, batchSize: 10, optimizer: new Sgd(0.1f), seed: 8, sampling: ClassSampling.Balanced);
        b.Fit(data, epochs: 2, batchSize: 10, optimizer: new Sgd(0.1f), seed: 8, sampling: ClassSampling.Balanced);
        c.Fit(data, epochs: 2, batchSize: 10, optimizer: new Sgd(0.1f), seed: 8);
        Assert.Equal(a.Parameters.ToArray(), b.Parameters.ToArray());
        Assert.NotEqual(a.Parameters.ToArray(), c.Parameters.ToArray());
    }

    [Fact]
    public void BadSampling_IsRefusedByName()
    {
        Assert.Contains("Sampling weight 1 is -1", Assert.Throws<ArgumentException>(() => ClassSampling.FromWeights(1f, -1f)).Message);
        Assert.Contains("Every sampling weight is 0", Assert.Throws<ArgumentException>(() => ClassSampling.FromWeights(0f, 0f)).Message);
        var data = FitFeatureTests.MakeBlobs(12, 1);
        var e = Assert.Throws<ArgumentException>(() => new Blobs(seed: 1).Fit(data, epochs: 1, sampling: ClassSampling.FromWeights(1f, 2f)));
        Assert.Equal("sampling", e.ParamName);
        Assert.Contains("3 classes, but 2 sampling weights", e.Message);
    }
}
