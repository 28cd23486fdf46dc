using System;
using Xunit;

namespace ModelGen.Tests.Data;

public class DatasetSplitTests
{
    private static Dataset Five() =>
        Dataset.ForClassification(new float[] { 0, 1, 10, 11, 20, 21, 30, 31, 40, 41 }, 2, new[] { 0, 1, 2, 0, 1 }, 4);

    [Fact]
    public void SplitKeepsRowOrderAndClassCount()
    {
        var (first, remaining) = Five().Split(3);
        Assert.Equal(new float[] { 0, 1, 10, 11, 20, 21 }, first.Features);
        Assert.Equal(new float[] { 30, 31, 40, 41 }, remaining.Features);
        Assert.Equal(new[] { 0, 1, 2 }, new[] { first.Label(0), first.Label(1), first.Label(2) });
        Assert.Equal(new[] { 0, 1 }, new[] { remaining.Label(0), remaining.Label(1) });
        Assert.Equal(4, first.ClassCount);
        Assert.Equal(4, remaining.ClassCount);
    }

    [Fact]
    public void SplitAtTheEndsGivesAnEmptyPart()
    {
        var set = Five();
        Assert.Equal(0, set.Split(0).First.Count);
        Assert.Equal(5, set.Split(0).Remaining.Count);
        Assert.Equal(0, set.Split(5).Remaining.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => set.Split(6));
        Assert.Throws<ArgumentOutOfRangeException>(() => set.Split(-1));
    }

    [Fact]
    public void SplitCopiesRows()
    {
        var set = Five();
        var (first, _) = set.Split(2);
        first.Features[0] = 99;
        Assert.Equal(0, set.Features[0]);
    }

    [Fact]
    public void MapFeaturesTransformsFeaturesOnly()
    {
        var set = Five();
        var scaled = set.MapFeatures(v => v / 10f);
        Assert.Equal(new float[] { 0, 0.1f, 1, 1.1f, 2, 2.1f, 3, 3.1f, 4, 4.1f }, scaled.Features);
        Assert.Equal(set.Targets, scaled.Targets);
        Assert.NotSame(set.Targets, scaled.Targets);
        Assert.Equal(set.ClassCount, scaled.ClassCount);
        Assert.Equal(1f, set.Features[1]);
    }
}
