using System;
using System.Linq;
using ModelGen.Compute;
using Xunit;

namespace ModelGen.Tests.Training;

/// <summary>The loop state an exact resume needs: the row order of every epoch follows from the seed and the epoch count.</summary>
public class TrainingProgressTests
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(17, 3)]
    [InlineData(100, 12)]
    public void ReplayedRows_ContinueExactlyAsTheOriginal(int rows, int epochs)
    {
        var original = new ShuffledRows(rows, seed: 42);
        for (int e = 0; e < epochs; e++) original.Shuffle();
        var replayed = ShuffledRows.Replay(rows, seed: 42, shuffles: epochs);
        Assert.Equal(epochs, replayed.Shuffles);
        for (int e = 0; e < 3; e++)
            Assert.Equal(original.Shuffle().ToArray(), replayed.Shuffle().ToArray());
    }

    [Fact]
    public void EachEpoch_ReshufflesThePreviousOrder_FromFitsSeededStream()
    {
        var rows = new ShuffledRows(20, seed: 7);
        var expected = Enumerable.Range(0, 20).ToArray();
        var rng = new Rng(7, stream: 0x5EED);
        for (int e = 0; e < 3; e++)
        {
            rng.Shuffle(expected.AsSpan());
            Assert.Equal(expected, rows.Shuffle().ToArray());
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => ShuffledRows.Replay(20, 7, -1));
    }
}
