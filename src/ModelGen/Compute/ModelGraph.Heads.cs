using System;
using System.Numerics;

namespace ModelGen.Compute;

public abstract unsafe partial class ModelGraph<T>
{
    private T[] _headLosses = Array.Empty<T>();

    /// <summary>
    /// The unweighted mean loss of each output head in the last <see cref="Loss"/>, <see cref="TrainingLoss"/> or
    /// <see cref="TrainStep"/> call, in the order of the returned tuple (the total is Σ weight·loss). Empty for a
    /// model with one output, whose loss is the total.
    /// </summary>
    public ReadOnlySpan<T> HeadLosses => _headLosses;

    /// <summary>Records head <paramref name="head"/>'s loss (generated multi-head code; allocates only the first time).</summary>
    protected void RecordHeadLoss(int head, T loss)
    {
        if (_headLosses.Length <= head) Array.Resize(ref _headLosses, head + 1);
        _headLosses[head] = loss;
    }
}
