using System;
using System.Collections.Generic;
using System.Linq;
using Seq2Seq;
using Xunit;

namespace ModelGen.Tests;

/// <summary>
/// The seq2seq sample (samples/Seq2Seq): its data (held-out sources never trained on, sorted labels), its greedy decoding
/// (blind to the target columns), and its model trained briefly with its own recipe.
/// </summary>
[Collection(ModelGen.Tests.Cpu.SerialCollection.Name)]
public class Seq2SeqSampleTests
{
    private static long Key(Dataset data, int row)
    {
        long key = 0;
        for (int s = 0; s < DigitSorting.Length; s++) key = key * 10 + (long)data.Features[row * DigitSorting.RowWidth + s] - DigitSorting.FirstDigitId;
        return key;
    }

    [Fact]
    public void Draw_HoldsOutDistinctUnseenSources_WithSortedLabelsAndShiftedDecoderInputs()
    {
        var (train, heldOut) = DigitSorting.Draw(3000, 1000, seed: 9);
        Assert.Equal((3000, 1000), (train.Count, heldOut.Count));
        var trained = Enumerable.Range(0, train.Count).Select(i => Key(train, i)).ToHashSet();
        var held = Enumerable.Range(0, heldOut.Count).Select(i => Key(heldOut, i)).ToList();
        Assert.Equal(held.Count, held.Distinct().Count());
        Assert.DoesNotContain(held, trained.Contains);
        foreach (var data in new[] { train, heldOut })
            for (int i = 0; i < data.Count; i++)
            {
                var row = data.Features.AsSpan(i * DigitSorting.RowWidth, DigitSorting.RowWidth);
                var labels = data.Targets.AsSpan(i * DigitSorting.TargetLength, DigitSorting.TargetLength);
                var sorted = row[..DigitSorting.Length].ToArray();
                Array.Sort(sorted);
                Assert.Equal(sorted, labels[..DigitSorting.Length].ToArray());
                Assert.Equal(DigitSorting.EndId, labels[^1]);
                Assert.Equal(DigitSorting.StartId, row[DigitSorting.Length]);
                Assert.Equal(sorted, row[(DigitSorting.Length + 1)..].ToArray());   // label s is the decoder's input at s + 1
            }
        // The same seed draws the same rows.
        Assert.Equal(heldOut.Features, DigitSorting.Draw(3000, 1000, seed: 9).HeldOut.Features);
    }

    [Fact]
    public void Score_CountsWholeRowsAndPositions()
    {
        int w = DigitSorting.TargetLength;
        var labels = Enumerable.Range(0, 3 * w).Select(i => DigitSorting.FirstDigitId + i % 10).ToArray();
        var decoded = (int[])labels.Clone();
        decoded[w + 2] = DigitSorting.EndId;         // row 1 wrong at position 2
        decoded[2 * w + w - 1] = 0;                  // row 2 wrong at the last position
        var (exact, right) = DigitSorting.Score(decoded, labels);
        Assert.Equal(1, exact);
        Assert.Equal(Enumerable.Range(0, w).Select(p => p == 2 || p == w - 1 ? 2 : 3), right);
        Assert.Throws<ArgumentException>(() => DigitSorting.Score(decoded[..^1], labels[..^1]));
    }

    /// <summary>
    /// The sample's model and recipe on a tenth of its data, 2 epochs (about 5 s on an idle machine): chance is about 0 (the
    /// most frequent sorted sequence of 8 digits has probability under 10⁻⁶); it sorts 96% of 200 held-out sources exactly.
    /// </summary>
    [Fact]
    public void DigitSorter_TrainedBriefly_SortsMostHeldOutSourcesGreedily()
    {
        var (train, heldOut) = DigitSorting.Draw(4000, 200, seed: 42);
        var model = new DigitSorter(seed: 42);
        var history = DigitSorting.Train(model, train, epochs: 2, batchSize: 64, learningRate: 1e-3f, seed: 42);
        Assert.True(history[^1].TrainLoss < 0.2f * history[0].TrainLoss, $"loss {history[0].TrainLoss} → {history[^1].TrainLoss}");

        var decoded = DigitSorting.DecodeGreedily(model, heldOut);
        var labels = heldOut.Targets.Select(t => (int)t).ToArray();
        var (exact, right) = DigitSorting.Score(decoded, labels);
        Assert.True(exact >= 160, $"{exact} of {heldOut.Count} held-out sources sorted exactly");
        Assert.True(right.All(r => r >= 180), $"right per position: {string.Join(", ", right)}");
        // Generate's cached decoding gives the ids of re-running the whole model once per position.
        Assert.Equal(DigitSorting.DecodeByRerunning(model, heldOut), decoded);

        // The decoder never reads the truth: garbage in the target columns changes nothing.
        var garbled = (float[])heldOut.Features.Clone();
        for (int i = 0; i < heldOut.Count; i++)
            for (int p = DigitSorting.Length; p < DigitSorting.RowWidth; p++) garbled[i * DigitSorting.RowWidth + p] = DigitSorting.FirstDigitId + (i + p) % 10;
        var blind = Dataset.ForSequenceClassification(garbled, DigitSorting.RowWidth, labels, DigitSorting.TargetLength, DigitSorting.Vocabulary)
            .WithInputs(("source", DigitSorting.Length), ("target", DigitSorting.TargetLength));
        Assert.Equal(decoded, DigitSorting.DecodeGreedily(model, blind));
    }
}
