using System;
using System.Numerics;
using System.Runtime.InteropServices;

namespace ModelGen.Distributed;

/// <summary>
/// The data-parallel half of an optimizer step: which of the step's rows this rank trains on, and the average of the ranks'
/// gradients (and losses) in one collective call over a buffer allocated once, so a step allocates nothing.
/// </summary>
/// <remarks>
/// Every rank knows the whole step's rows (the same seeded shuffle); rank r takes the contiguous block
/// [⌊N·r/size⌋, ⌊N·(r+1)/size⌋) of the N rows, so the blocks are disjoint and cover the step. Each rank computes the mean-loss
/// gradient of its block and scales it by its share of the step (rows, or class weights, over the whole step's); the sum of the
/// scaled gradients is the gradient of the mean loss over all N rows: the step of one process training on the same global batch.
/// </remarks>
internal sealed class DataParallelStep
{
    private readonly Mpi _mpi;
    private readonly GradientReduction _reduction;
    private readonly int _parameters;
    private readonly float[] _buffer;   // [gradient | loss] per rank slot (RankOrder) or once (Allreduce)

    public DataParallelStep(Mpi mpi, int parameterCount)
    {
        _mpi = mpi;
        _reduction = mpi.Reduction;
        _parameters = parameterCount;
        int slot = parameterCount + 1;
        long length = _reduction == GradientReduction.RankOrder ? (long)slot * mpi.Size : slot;
        if (length > Array.MaxLength)
            throw new NotSupportedException($"GradientReduction.RankOrder holds {mpi.Size} × {slot} floats, more than one array can; use GradientReduction.Allreduce.");
        _buffer = GC.AllocateArray<float>((int)length, pinned: true);
    }

    /// <summary>This rank's block of a step's <paramref name="rows"/>.</summary>
    public ReadOnlySpan<int> Shard(ReadOnlySpan<int> rows)
    {
        var (start, end) = Block(rows.Length, _mpi.Rank, _mpi.Size);
        var mine = rows[start..end];
        _mpi.ObserveShard?.Invoke(mine);
        return mine;
    }

    /// <summary>Rank <paramref name="rank"/>'s block [start, end) of <paramref name="rows"/> rows split over <paramref name="size"/> ranks.</summary>
    public static (int Start, int End) Block(int rows, int rank, int size) =>
        ((int)((long)rows * rank / size), (int)((long)rows * (rank + 1) / size));

    /// <summary>
    /// Replaces <paramref name="gradients"/> (this rank's mean gradient) by Σ share·gradient over the ranks and returns
    /// Σ share·<paramref name="loss"/>: the whole step's gradient and loss, the same on every rank.
    /// </summary>
    public float Average(Span<float> gradients, float loss, float share)
    {
        int slot = _parameters + 1;
        if (_reduction == GradientReduction.Allreduce)
        {
            var staged = _buffer.AsSpan(0, slot);
            Scale(gradients, share, staged);
            staged[_parameters] = loss * share;
            _mpi.SumAcrossRanks(staged);
            staged[.._parameters].CopyTo(gradients);
            return staged[_parameters];
        }
        var own = _buffer.AsSpan(_mpi.Rank * slot, slot);
        Scale(gradients, share, own);
        own[_parameters] = loss * share;
        _mpi.GatherInPlace(_buffer);
        // Rank 0's term, then rank 1's, …: one fixed order of additions on every rank.
        _buffer.AsSpan(0, _parameters).CopyTo(gradients);
        float total = _buffer[_parameters];
        for (int r = 1; r < _mpi.Size; r++)
        {
            var other = _buffer.AsSpan(r * slot, slot);
            Add(other[.._parameters], gradients);
            total += other[_parameters];
        }
        return total;
    }

    /// <summary>Averages the BatchNorm running statistics over the ranks (after every epoch), so every rank evaluates alike.</summary>
    public void AverageState(Span<float> state)
    {
        if (state.IsEmpty) return;
        _mpi.SumAcrossRanks(state);
        float scale = 1f / _mpi.Size;
        for (int i = 0; i < state.Length; i++) state[i] *= scale;
    }

    private static void Scale(ReadOnlySpan<float> source, float factor, Span<float> target)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var s = MemoryMarshal.Cast<float, Vector<float>>(source);
            var t = MemoryMarshal.Cast<float, Vector<float>>(target);
            for (int v = 0; v < s.Length; v++) t[v] = s[v] * factor;
            i = s.Length * Vector<float>.Count;
        }
        for (; i < source.Length; i++) target[i] = source[i] * factor;
    }

    private static void Add(ReadOnlySpan<float> source, Span<float> target)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var s = MemoryMarshal.Cast<float, Vector<float>>(source);
            var t = MemoryMarshal.Cast<float, Vector<float>>(target);
            for (int v = 0; v < s.Length; v++) t[v] += s[v];
            i = s.Length * Vector<float>.Count;
        }
        for (; i < source.Length; i++) target[i] += source[i];
    }
}
