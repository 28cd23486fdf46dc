using System;
using ModelGen.Compute;

namespace ModelGen;

/// <summary>
/// How <see cref="Model.Fit"/>'s <c>sampling</c> draws each epoch's rows from a classification set: instead of a shuffle
/// of every row once, an epoch is <see cref="Dataset.Count"/> rows drawn with replacement, each row with probability
/// proportional to its class's weight. <see cref="Balanced"/> gives every class the same share of an epoch. The draws
/// are seeded by Fit's seed and the epoch: the same seed draws the same rows.
/// </summary>
/// <example><code>
/// model.Fit(train, sampling: ClassSampling.Balanced, seed: 7);
/// model.Fit(train, sampling: ClassSampling.FromWeights(1f, 4f));   // class 1 drawn four times as often per row
/// </code></example>
public sealed class ClassSampling
{
    private readonly float[]? _weights; // per row of a class; null: 1 / (rows of the class)

    private ClassSampling(float[]? weights) => _weights = weights;

    /// <summary>Every class is drawn equally often: a row's weight is 1 / (rows of its class).</summary>
    public static ClassSampling Balanced { get; } = new(null);

    /// <summary>A row of class c is drawn with probability proportional to <paramref name="weightPerRow"/>[c] (each ≥ 0, one per class).</summary>
    /// <exception cref="ArgumentException">No weight, a weight that is not a finite number ≥ 0, or every weight 0.</exception>
    public static ClassSampling FromWeights(params float[] weightPerRow)
    {
        ArgumentNullException.ThrowIfNull(weightPerRow);
        if (weightPerRow.Length == 0) throw new ArgumentException("Give one sampling weight per class.", nameof(weightPerRow));
        bool anyPositive = false;
        for (int c = 0; c < weightPerRow.Length; c++)
        {
            if (!float.IsFinite(weightPerRow[c]) || weightPerRow[c] < 0)
                throw new ArgumentException($"Sampling weight {c} is {weightPerRow[c]}; every weight must be a finite number ≥ 0.", nameof(weightPerRow));
            anyPositive |= weightPerRow[c] > 0;
        }
        if (!anyPositive) throw new ArgumentException("Every sampling weight is 0; at least one must be positive.", nameof(weightPerRow));
        return new ClassSampling((float[])weightPerRow.Clone());
    }

    /// <summary>What a checkpoint records of the sampling (a resumed Fit must sample alike).</summary>
    internal string Describe() => _weights is null ? "balanced" : "weights " + string.Join(",", Array.ConvertAll(_weights, Optimizer.Text));

    /// <summary>The sampler of <paramref name="train"/>: its cumulative row weights, computed once per Fit.</summary>
    /// <exception cref="ArgumentException">The set is not a one-label classification set, or the weights do not fit its classes.</exception>
    internal ClassSampler For(Dataset train)
    {
        if (train.ClassCount < 1 || train.TargetWidth != 1)
            throw new ArgumentException("Class sampling needs a classification set with one label per row (Dataset.ForClassification).", "sampling");
        var counts = ClassWeights.CountClasses(train);
        if (_weights is not null && _weights.Length != counts.Length)
            throw new ArgumentException($"The training set has {counts.Length} classes, but {_weights.Length} sampling weights were given; give one per class.", "sampling");
        var cumulative = new double[train.Count];
        double total = 0;
        for (int r = 0; r < train.Count; r++)
        {
            int label = train.Label(r);
            total += _weights is null ? 1.0 / counts[label] : _weights[label];
            cumulative[r] = total;
        }
        if (!(total > 0)) throw new ArgumentException("The sampling weights of the training set's classes are all 0; give a class present a positive weight.", "sampling");
        return new ClassSampler(cumulative);
    }
}

/// <summary>Draws an epoch's rows with replacement by row weight; allocates its order once.</summary>
internal sealed class ClassSampler
{
    private readonly double[] _cumulative;
    private readonly int[] _order;

    public ClassSampler(double[] cumulative)
    {
        _cumulative = cumulative;
        _order = new int[cumulative.Length];
    }

    /// <summary>The rows of epoch <paramref name="epoch"/> (1-based) under <paramref name="seed"/>, valid until the next call.</summary>
    public ReadOnlySpan<int> Draw(int seed, int epoch)
    {
        // A stream per epoch: a resumed Fit draws the same rows without saving the generator.
        var rng = new Rng(seed, SamplingStream + epoch);
        double total = _cumulative[^1];
        for (int i = 0; i < _order.Length; i++)
        {
            double u = rng.NextDouble() * total;
            // The first row whose cumulative weight exceeds u: row r owns [cumulative[r−1], cumulative[r]), so weight-0 rows are never drawn.
            int low = 0, high = _cumulative.Length - 1;
            while (low < high)
            {
                int mid = (low + high) >>> 1;
                if (_cumulative[mid] <= u) low = mid + 1;
                else high = mid;
            }
            _order[i] = low;
        }
        return _order;
    }

    private const long SamplingStream = 0x5341_4D50_0000_0000; // apart from the streams of shuffling and dropout
}
