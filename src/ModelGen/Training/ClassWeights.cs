using System;

namespace ModelGen;

/// <summary>
/// Class weights for <see cref="Model.Fit"/>'s <c>classWeights</c>: a softmax cross-entropy model then minimises the
/// weighted mean Σ w[yᵢ]·ℓᵢ / Σ w[yᵢ] over each batch, PyTorch's <c>CrossEntropyLoss(weight=w)</c> with <c>reduction='mean'</c>.
/// </summary>
/// <example><code>
/// model.Fit(train, classWeights: ClassWeights.Balanced(train));   // or new[] { 1f, 5f }
/// </code></example>
public static class ClassWeights
{
    /// <summary>
    /// scikit-learn's <c>class_weight='balanced'</c>: w_c = n_samples / (n_classes · count_c), so that every class weighs
    /// as much in total. <paramref name="train"/> is a classification set (<see cref="Dataset.ForClassification"/>) in which every
    /// class of <see cref="Dataset.ClassCount"/> has at least one row.
    /// </summary>
    /// <exception cref="ArgumentException">The set is not a one-label classification set, or a class has no row.</exception>
    public static float[] Balanced(Dataset train)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.ClassCount < 1 || train.TargetWidth != 1)
            throw new ArgumentException("Balanced class weights need a classification set with one label per row (Dataset.ForClassification).", nameof(train));
        var counts = CountClasses(train);
        var weights = new float[counts.Length];
        for (int c = 0; c < counts.Length; c++)
        {
            if (counts[c] == 0)
                throw new ArgumentException($"Class {c} of {counts.Length} has no row in the training set, so it has no balanced weight; give the weights by hand (classWeights: new[] {{ ... }}).", nameof(train));
            weights[c] = (float)((double)train.Count / ((double)counts.Length * counts[c]));
        }
        return weights;
    }

    /// <summary>Rows per class of a one-label classification set, indexed by class.</summary>
    internal static long[] CountClasses(Dataset data)
    {
        var counts = new long[data.ClassCount];
        for (int r = 0; r < data.Count; r++)
        {
            int label = data.Label(r);
            if ((uint)label >= (uint)counts.Length)
                throw new ArgumentException($"Row {r} has label {label}, outside the {counts.Length} classes 0…{counts.Length - 1}.", nameof(data));
            counts[label]++;
        }
        return counts;
    }

    /// <summary>Fit's checks of its <c>classWeights</c> argument against the model.</summary>
    internal static void Check(Model model, float[] weights)
    {
        string name = model.GetType().Name;
        if (model.Loss != Loss.SoftmaxCrossEntropy || model.Heads.Count > 1 || model.LabelsPerSample != 1)
            throw new ArgumentException($"Class weights apply to a one-head softmax cross-entropy model with one label per sample; {name} uses {model.Loss} with {model.Heads.Count} head(s) and {model.LabelsPerSample} label(s) per sample.", "classWeights");
        if (weights.Length != model.OutputSize)
            throw new ArgumentException($"{name} has {model.OutputSize} classes, but {weights.Length} class weights were given; give one per class.", "classWeights");
        bool anyPositive = false;
        for (int c = 0; c < weights.Length; c++)
        {
            if (!float.IsFinite(weights[c]) || weights[c] < 0)
                throw new ArgumentException($"Class weight {c} is {weights[c]}; every weight must be a finite number ≥ 0.", "classWeights");
            anyPositive |= weights[c] > 0;
        }
        if (!anyPositive) throw new ArgumentException("Every class weight is 0; at least one must be positive.", "classWeights");
    }
}

/// <summary>
/// Makes <see cref="Cpu.LossKernels.SoftmaxCrossEntropy{T}(T*, T*, T*, int, int)"/> on this thread weigh each row by its
/// class until disposed. The generated training step calls the loss kernel on the thread that runs it, so Fit's CPU
/// step reaches the loss without a change to the generated code and without allocating.
/// </summary>
internal readonly struct ClassWeightScope : IDisposable
{
    [ThreadStatic] private static float[]? s_current;
    private readonly float[]? _previous;

    /// <summary>Activates <paramref name="weights"/> (null: unweighted) until <see cref="Dispose"/>.</summary>
    public ClassWeightScope(float[]? weights)
    {
        _previous = s_current;
        s_current = weights;
    }

    /// <summary>The weights in force on this thread; null when the loss is the plain mean.</summary>
    public static float[]? Current => s_current;

    /// <summary>Restores the weights in force before.</summary>
    public void Dispose() => s_current = _previous;
}
