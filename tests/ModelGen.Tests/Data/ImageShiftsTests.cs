using System;
using System.Linq;
using DigitsCnn;
using Xunit;

namespace ModelGen.Tests.Data;

public class ImageShiftsTests
{
    // Two 2×3×3 images (channel planes 1..9 and 11..19, then 21..29 and 31..39), labels 4 and 7.
    private static Dataset TwoImages() => Dataset.ForClassification(
        Enumerable.Range(0, 36).Select(i => (float)((i / 9 + 1) * 10 - 9 + i % 9)).ToArray(), 18, new[] { 4, 7 }, 10);

    [Fact]
    public void EveryOffsetCopyMovesEachPlane_AndZerosWhatComesFromOutside()
    {
        var data = TwoImages();
        var shifted = ImageShifts.AllShifts(data, height: 3, width: 3, radius: 1);

        Assert.Equal(18, shifted.Count);
        Assert.Equal(18, shifted.FeatureCount);
        Assert.Equal(10, shifted.ClassCount);
        Assert.Equal(Enumerable.Repeat(new[] { 4, 7 }, 9).SelectMany(l => l), Enumerable.Range(0, 18).Select(shifted.Label));
        // Copy 4 is (dy, dx) = (0, 0): the originals unchanged.
        Assert.Equal(data.Features, shifted.Features.AsSpan(4 * 2 * 18, 2 * 18).ToArray());
        // Copy 7 is (dy, dx) = (1, 0): everything moves down a row; the top row is new zeros.
        Assert.Equal(new float[] { 0, 0, 0, 21, 22, 23, 24, 25, 26, 0, 0, 0, 31, 32, 33, 34, 35, 36 },
            shifted.Features.AsSpan((7 * 2 + 1) * 18, 18).ToArray());
        // Copy 0 is (dy, dx) = (−1, −1): up and left; the last row and column are new zeros.
        Assert.Equal(new float[] { 5, 6, 0, 8, 9, 0, 0, 0, 0, 15, 16, 0, 18, 19, 0, 0, 0, 0 },
            shifted.Features.AsSpan(0, 18).ToArray());
    }

    [Fact]
    public void IsDeterministic_AndRadiusZeroIsACopy()
    {
        var data = TwoImages();
        Assert.Equal(ImageShifts.AllShifts(data, 3, 3, 2).Features, ImageShifts.AllShifts(data, 3, 3, 2).Features);
        Assert.Equal(25 * 2, ImageShifts.AllShifts(data, 3, 3, 2).Count);
        Assert.Equal(data.Features, ImageShifts.AllShifts(data, 3, 3, 0).Features);
    }

    [Fact]
    public void RejectsFeaturesThatAreNotWholeImages() =>
        Assert.Throws<ArgumentException>(() => ImageShifts.AllShifts(TwoImages(), height: 4, width: 4));
}
