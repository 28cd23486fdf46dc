using System;
using System.Linq;
using ModelGen.Data;
using Xunit;

namespace ModelGen.Tests.Data;

/// <summary>The vocabulary builder, padding and truncation of id sequences, and id sequences as a typed table.</summary>
public class TokenSequencesTests
{
    private static readonly string[][] Texts =
    [
        ["the", "cat", "sat"],
        ["the", "dog", "sat", "down"],
        ["a", "cat", "and", "the", "dog"],
        ["the", "end"],
    ];

    [Fact]
    public void IdsGoToFrequentTokensAfterTheReservedOnes()
    {
        var v = Vocabulary.Build(Texts, minCount: 2);
        // the ×4, cat ×2, dog ×2, sat ×2 (equal counts in ordinal order); a, and, down, end occur once.
        Assert.Equal(["<pad>", "<unk>", "the", "cat", "dog", "sat"], v.Tokens);
        Assert.Equal(0, Vocabulary.PadId);
        Assert.Equal(1, Vocabulary.UnknownId);
        Assert.Equal(2, v.IdOf("the"));
        Assert.Equal(Vocabulary.UnknownId, v.IdOf("down"));
        Assert.Equal(Vocabulary.UnknownId, v.IdOf("never seen"));
        Assert.Equal(4, v.CountOf(2));
        Assert.Equal(8, v.DistinctTokensSeen);
        Assert.Equal("dog", v.TokenOf(4));
        Assert.Equal([2, 4, 5, 1], v.Encode(Texts[1]));
        Assert.Equal("vocabulary of 6 ids: 0 '<pad>', 1 '<unk>', 4 of 8 distinct tokens (min count 2)", v.ToString());
    }

    [Fact]
    public void MaxSizeCountsTheReservedIdsAndDropsTheRarestFirst()
    {
        var v = Vocabulary.Build(Texts, maxSize: 4);
        Assert.Equal(["<pad>", "<unk>", "the", "cat"], v.Tokens);
        Assert.Equal(4, v.Count);
        Assert.Equal(2, Vocabulary.Build(Texts, maxSize: 2).Count);
        Assert.Equal(10, Vocabulary.Build(Texts).Count);
    }

    [Fact]
    public void TheUnknownTextMapsToTheUnknownIdAndThePadTextIsRefused()
    {
        var v = Vocabulary.Build([["x", "<unk>", "<unk>"]]);
        Assert.Equal(["<pad>", "<unk>", "x"], v.Tokens);
        var e = Assert.Throws<ArgumentException>(() => Vocabulary.Build([["x"], ["y", "<pad>"]]));
        Assert.Contains("Token 1 of sequence 1 is '<pad>'", e.Message);
        Assert.Equal(["[PAD]", "[UNK]", "<pad>"], Vocabulary.Build([["<pad>"]], padToken: "[PAD]", unknownToken: "[UNK]").Tokens);
        Assert.Throws<ArgumentException>(() => Vocabulary.Build(Texts, padToken: "x", unknownToken: "x"));
        Assert.Throws<ArgumentOutOfRangeException>(() => Vocabulary.Build(Texts, minCount: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Vocabulary.Build(Texts, maxSize: 1));
        Assert.Contains("Token 0 of sequence 0 is null", Assert.Throws<ArgumentException>(() => Vocabulary.Build([[null!]])).Message);
    }

    [Fact]
    public void PadsAndTruncatesAtTheSideAsked()
    {
        int[][] ids = [[5, 6, 7, 8], [9], []];
        Assert.Equal([5, 6, 7, 9, 0, 0, 0, 0, 0], TokenSequences.Pad(ids, 3));
        Assert.Equal([6, 7, 8, 9, 0, 0, 0, 0, 0], TokenSequences.Pad(ids, 3, truncateAt: SequenceSide.Start));
        Assert.Equal([5, 6, 7, 0, 0, 9, 0, 0, 0], TokenSequences.Pad(ids, 3, padAt: SequenceSide.Start));
        Assert.Equal([5, 6, 7, 8, 9, 3, 3, 3, 3, 3, 3, 3], TokenSequences.Pad(ids, 4, padId: 3));
        Assert.Contains("Id 1 of sequence 0 is -2", Assert.Throws<ArgumentException>(() => TokenSequences.Pad([[1, -2]], 3)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenSequences.Pad(ids, 0));
    }

    [Fact]
    public void SequencesBecomeATableThatSplitsAndFeedsAModel()
    {
        var vocabulary = Vocabulary.Build(Texts);
        var sequences = Enumerable.Range(0, 20).Select(i => vocabulary.Encode(Texts[i % 4].Take(1 + i % 5))).ToArray();
        var label = TableColumn.Categories("topic", Enumerable.Range(0, 20).Select(i => (string?)(i % 2 == 0 ? "pets" : "other")).ToArray());
        var table = TokenSequences.ToTable("reviews", sequences, 4, label);
        Assert.Equal(["t0", "t1", "t2", "t3", "topic"], table.Columns.Select(c => c.Name));
        Assert.Same(table["topic"], table.Label);
        Assert.Equal(ColumnRole.Label, table.Label!.Role);
        Assert.Equal("reviews[3]", table.Provenance[3].ToString());
        var split = Split.TrainTest(table, 0.25, SplitKind.Stratified, seed: 3);
        var data = split.Train.ToDataset(TargetKind.ClassIndex);
        Assert.Equal(4, data.FeatureCount);
        Assert.Equal(["pets", "other"], data.ClassNames);
        // Each row holds the padded ids of the sequence it came from.
        var padded = TokenSequences.Pad(sequences, 4);
        for (int r = 0; r < data.Count; r++)
        {
            int source = split.Train.Provenance[r].Id.Row;
            Assert.Equal(padded.AsSpan(source * 4, 4).ToArray().Select(i => (float)i), data.Features.AsSpan(r * 4, 4).ToArray());
        }
        Assert.Contains("3 values for 20 sequences", Assert.Throws<ArgumentException>(() => TokenSequences.ToTable("r", sequences, 4, TableColumn.Numbers("y", [1, 2, 3]))).Message);
    }
}
