using System;

namespace ModelGen.Compute;

public abstract unsafe partial class ModelGraph<T>
{
    private T[] _lossTermValues = Array.Empty<T>();

    /// <summary>
    /// The batch mean of each loss term of the <c>[Forward]</c> method (<see cref="Model.AddLoss"/>), unweighted, in the last
    /// <see cref="Loss"/>, <see cref="TrainingLoss"/> or <see cref="TrainStep"/> call; empty for a model without loss terms.
    /// </summary>
    public ReadOnlySpan<T> LossTermValues => _lossTermValues;

    /// <summary>Records loss term <paramref name="term"/>'s batch mean (generated code; allocates only the first time).</summary>
    protected void RecordLossTerm(int term, T value)
    {
        if (_lossTermValues.Length <= term) Array.Resize(ref _lossTermValues, term + 1);
        _lossTermValues[term] = value;
    }
}
