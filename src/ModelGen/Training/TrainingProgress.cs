using System;
using ModelGen.Compute;

namespace ModelGen;

/// <summary>
/// Where a <see cref="Model.Fit"/> stands between epochs: everything the next epoch depends on apart from the model
/// (parameters, BatchNorm state, the dropout stream) and the optimizer (<see cref="Optimizer.StateBuffers"/> and
/// <see cref="Optimizer.StepCount"/>). An exact-resume checkpoint saves these together with that model and optimizer state.
/// </summary>
/// <remarks>
/// The dropout stream is the one piece not reachable here yet: on the CPU it is a private field of the generated graph
/// (restarted by <see cref="ModelGen.Compute.ModelGraph{T}.SetRandomSeed"/> at every Fit, and from the new graph's default
/// whenever <c>Model.GraphFor</c> makes a larger graph, e.g. for a validation set larger than the batch); on the GPU it
/// is <see cref="Cuda.CudaGraph"/>'s seed and launch counter.
/// </remarks>
internal sealed class TrainingProgress
{
    public TrainingProgress(int rows, int seed, EarlyStoppingProgress? stopping)
    {
        Rows = new ShuffledRows(rows, seed);
        Stopping = stopping;
    }

    /// <summary>Epochs completed.</summary>
    public int Epoch { get; set; }

    /// <summary>Optimizer steps taken in this Fit: the schedule's position.</summary>
    public long Step { get; set; }

    /// <summary>The row order, reshuffled every epoch.</summary>
    public ShuffledRows Rows { get; }

    /// <summary>Early stopping's best value, patience count and best weights; null without early stopping.</summary>
    public EarlyStoppingProgress? Stopping { get; }

    /// <summary>The epochs so far.</summary>
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
