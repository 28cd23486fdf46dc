using System;
using ModelGen.Compute;

namespace ModelGen;

/// <summary>
/// Where a <see cref="Model.Fit"/> stands between epochs: everything the next epoch depends on apart from the model
/// (parameters, BatchNorm state, frozen layers, the dropout stream) and the optimizer (<see cref="Optimizer.StateBuffers"/>
/// and <see cref="Optimizer.StepCount"/>). A checkpoint (<see cref="CheckpointFile"/>) saves these together with that model
/// and optimizer state and the dropout stream (the CPU graph's <see cref="ModelGen.Compute.Rng"/>, or the GPU's seed and
/// launch count).
/// </summary>
internal sealed class TrainingProgress
{
    public TrainingProgress(int rows, int seed, EarlyStoppingProgress? stopping)
    {
        Rows = new ShuffledRows(rows, seed);
        Stopping = stopping;
    }

    /// <summary>A Fit resumed after <paramref name="epoch"/> epochs and <paramref name="step"/> optimizer steps, with their history.</summary>
    public TrainingProgress(int rows, int seed, EarlyStoppingProgress? stopping, int epoch, long step, TrainingHistory history)
    {
        Rows = ShuffledRows.Replay(rows, seed, epoch);
        Stopping = stopping;
        Epoch = epoch;
        Step = step;
        History = history;
    }

    /// <summary>Epochs completed.</summary>
    public int Epoch { get; set; }

    /// <summary>Optimizer steps taken in this Fit: the schedule's position.</summary>
    public long Step { get; set; }

    /// <summary>The row order, reshuffled every epoch.</summary>
    public ShuffledRows Rows { get; }

    /// <summary>Early stopping's best value, patience count and best weights; null without early stopping.</summary>
    public EarlyStoppingProgress? Stopping { get; }

    /// <summary>The epochs so far (a resumed Fit's include those before the checkpoint).</summary>
    public TrainingHistory History { get; } = new();
}

/// <summary>
/// The training rows in the order of the current epoch. Every epoch shuffles the previous epoch's order again with the
/// next draws of one seeded stream, so the order (and the stream) after <see cref="Shuffles"/> epochs is a function of
/// the seed and that count: <see cref="Replay"/> rebuilds it.
/// </summary>
internal sealed class ShuffledRows
{
    private const long Stream = 0x5EED;
    private readonly int[] _order;
    private Rng _rng;

    public ShuffledRows(int rows, int seed)
    {
        _order = new int[rows];
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        _rng = new Rng(seed, Stream);
        Seed = seed;
    }

    /// <summary>The seed of the stream.</summary>
    public int Seed { get; }

    /// <summary>Epochs shuffled so far.</summary>
    public int Shuffles { get; private set; }

    /// <summary>Shuffles the order for the next epoch and returns it (valid until the next call).</summary>
    public ReadOnlySpan<int> Shuffle()
    {
        _rng.Shuffle(_order.AsSpan());
        Shuffles++;
        return _order;
    }

    /// <summary>The rows of <paramref name="rows"/> as they stand after <paramref name="shuffles"/> epochs from <paramref name="seed"/>.</summary>
    public static ShuffledRows Replay(int rows, int seed, int shuffles)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(shuffles);
        var replayed = new ShuffledRows(rows, seed);
        for (int i = 0; i < shuffles; i++) replayed.Shuffle();
        return replayed;
    }
}
