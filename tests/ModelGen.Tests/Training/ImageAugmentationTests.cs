using System;
using System.Collections.Generic;
using System.Linq;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests.Training;

public class ImageAugmentationTests
{
    // A 2-channel 2×3 image, channel-major: pixel (c, y, x) = 100c + 10y + x + 1.
    private static float[] Tiny() => new float[] { 1, 2, 3, 11, 12, 13, 101, 102, 103, 111, 112, 113 };

    [Fact]
    public void Flip_MirrorsEachRowOfEachChannel_AboutHalfTheTime()
    {
        var augmenter = new ImageAugmenter(new ImageAugmentation(2, 2, 3) { HorizontalFlip = true }, seed: 3) { Epoch = 1 };
        float[] mirrored = { 3, 2, 1, 13, 12, 11, 103, 102, 101, 113, 112, 111 };
        int flips = 0;
        for (int row = 0; row < 200; row++)
        {
            var image = Tiny();
            augmenter.Apply(image, row);
            if (image.SequenceEqual(mirrored)) flips++;
            else Assert.Equal(Tiny(), image);
        }
        Assert.InRange(flips, 70, 130);
    }

    [Fact]
    public void Shift_MovesThePictureAndPadsWithZeros()
    {
        var augmenter = new ImageAugmenter(new ImageAugmentation(2, 2, 3) { MaxShift = 1 }, seed: 5) { Epoch = 2 };
        var seen = new HashSet<(int, int)>();
        for (int row = 0; row < 100; row++)
        {
            var image = Tiny();
            augmenter.Apply(image, row);
            // Which of the 9 shifts it is: each is the source pixel at (y − dy, x − dx), or 0 outside.
            var match = (from dy in new[] { -1, 0, 1 }
                         from dx in new[] { -1, 0, 1 }
                         where image.SequenceEqual(Shifted(dy, dx))
                         select (dy, dx)).ToList();
            Assert.Single(match);
            seen.Add(match[0]);
        }
        Assert.Equal(9, seen.Count);

        static float[] Shifted(int dy, int dx)
        {
            var source = Tiny();
            var result = new float[12];
            for (int c = 0; c < 2; c++)
                for (int y = 0; y < 2; y++)
                    for (int x = 0; x < 3; x++)
                    {
                        int sy = y - dy, sx = x - dx;
                        result[c * 6 + y * 3 + x] = sy is >= 0 and < 2 && sx is >= 0 and < 3 ? source[c * 6 + sy * 3 + sx] : 0;
                    }
            return result;
        }
    }

    [Fact]
    public void Noise_HasTheGivenSpread_AndTheSameSeedRepeatsIt()
    {
        var settings = new ImageAugmentation(1, 40, 50) { Noise = 0.5f };
        var a = new float[2000];
        var b = new float[2000];
        var other = new float[2000];
        new ImageAugmenter(settings, seed: 9) { Epoch = 1 }.Apply(a, 4);
        new ImageAugmenter(settings, seed: 9) { Epoch = 1 }.Apply(b, 4);
        new ImageAugmenter(settings, seed: 9) { Epoch = 2 }.Apply(other, 4);
        Assert.Equal(a, b);
        Assert.NotEqual(a, other);
        double mean = a.Average(v => (double)v);
        double sd = Math.Sqrt(a.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(mean, -0.05, 0.05);
        Assert.InRange(sd, 0.46, 0.54);
    }

    [Fact]
    public void Fit_AugmentsTrainingRowsOnly_AndIsDeterministic()
    {
        var train = FitFeatureTests.MakeBlobs(40, 2);
        var validation = FitFeatureTests.MakeBlobs(20, 3);
        var trainCopy = train.Features.ToArray();
        var validationCopy = validation.Features.ToArray();
        var augment = new ImageAugmentation(1, 1, 5) { HorizontalFlip = true, MaxShift = 1, Noise = 3f };
        var a = new Blobs(seed: 4);
        var b = new Blobs(seed: 4);
        var plain = new Blobs(seed: 4);
        var history = a.Fit(train, validation, epochs: 2, batchSize: 8, optimizer: new Sgd(0.1f), seed: 6, augment: augment);
        b.Fit(train, validation, epochs: 2, batchSize: 8, optimizer: new Sgd(0.1f), seed: 6, augment: augment);
        plain.Fit(train, validation, epochs: 2, batchSize: 8, optimizer: new Sgd(0.1f), seed: 6);
        Assert.Equal(a.Parameters.ToArray(), b.Parameters.ToArray());
        Assert.NotEqual(a.Parameters.ToArray(), plain.Parameters.ToArray());
        // The data sets are untouched, and the reported validation loss is that of the clean rows.
        Assert.Equal(trainCopy, train.Features);
        Assert.Equal(validationCopy, validation.Features);
        Assert.Equal(a.Evaluate(validation).Loss, history[1].ValidationLoss!.Value);
    }

    [Fact]
    public void Fit_AugmentationOfAnotherImageSize_IsRefusedByName()
    {
        var train = FitFeatureTests.MakeBlobs(10, 2);
        var e = Assert.Throws<ArgumentException>(() => new Blobs(seed: 1).Fit(train, epochs: 1, augment: new ImageAugmentation(1, 2, 2)));
        Assert.Equal("augment", e.ParamName);
        Assert.Contains("1×2×2 = 4 features, but Blobs takes 5", e.Message);
        Assert.Throws<ArgumentException>(() => new Blobs(seed: 1).Fit(train, epochs: 1, augment: new ImageAugmentation(1, 1, 5) { Noise = -1 }));
    }
}
