using System;
using System.Collections.Generic;
using System.Linq;

namespace ModelGen;

/// <summary>
/// Samples for training and evaluation: a row-major feature matrix (count × features) and its
/// targets (count × target width). For softmax cross-entropy the target is one class index per row.
/// </summary>
public sealed partial class Dataset
{
    private Dataset(float[] features, int featureCount, float[] targets, int targetWidth, int classCount, bool allowNonFinite)
    {
        AllowsNonFinite = allowNonFinite;
        Features = features;
        FeatureCount = featureCount;
        Targets = targets;
        TargetWidth = targetWidth;
        ClassCount = classCount;
        Count = featureCount == 0 ? 0 : features.Length / featureCount;
    }

    /// <summary>Row-major features, <see cref="Count"/> × <see cref="FeatureCount"/>.</summary>
    public float[] Features { get; }

    /// <summary>Row-major targets, <see cref="Count"/> × <see cref="TargetWidth"/>.</summary>
    public float[] Targets { get; }

    /// <summary>Number of samples.</summary>
    public int Count { get; }

    /// <summary>Features per sample.</summary>
    public int FeatureCount { get; }

    /// <summary>Target elements per sample (1 for class labels).</summary>
    public int TargetWidth { get; }

    /// <summary>Number of classes for a classification set (largest label + 1, or as given); 0 for regression.</summary>
    public int ClassCount { get; }

    /// <summary>
    /// Whether the set was made with <c>allowNonFinite: true</c>: its features or targets may hold NaN or ±∞, and
    /// <see cref="Model.Fit"/>, <see cref="Model.Evaluate"/> and <see cref="Model.Predict(Dataset)"/> pass them to the model
    /// unchecked. Every other set is checked to be finite where it is made and again where a model reads it (the arrays are
    /// the caller's and may have changed since), each time in one vectorised pass, never per training step.
    /// </summary>
    public bool AllowsNonFinite { get; }

    /// <summary>Creates a classification set from features and integer class labels.</summary>
    /// <param name="features">Row-major features, rows × <paramref name="featureCount"/>; kept, not copied.</param>
    /// <param name="featureCount">Features per row.</param>
    /// <param name="labels">One class index per row, 0 … classes − 1.</param>
    /// <param name="classCount">The number of classes; when 0, the largest label + 1.</param>
    /// <param name="allowNonFinite">
    /// Accept NaN and ±∞ among the features (see <see cref="AllowsNonFinite"/>). Without it such a value is an error naming
    /// its row and column, here and wherever a model reads the set.
    /// </param>
    /// <exception cref="ArgumentException">The sizes disagree, a label is negative or not below <paramref name="classCount"/>, or a feature is NaN or ±∞.</exception>
    public static Dataset ForClassification(float[] features, int featureCount, int[] labels, int classCount = 0, bool allowNonFinite = false)
        => Classification(features, featureCount, labels, 1, classCount, allowNonFinite);

    /// <summary>
    /// Creates a per-position classification set, e.g. next-token targets: <paramref name="labelsPerRow"/> class
    /// labels per row (row-major, count × labelsPerRow), for a model whose output is [sequence, classes].
    /// </summary>
    /// <param name="features">Row-major features, rows × <paramref name="featureCount"/>; kept, not copied.</param>
    /// <param name="featureCount">Features per row.</param>
    /// <param name="labels">Row-major class indices, rows × <paramref name="labelsPerRow"/>, each 0 … classes − 1.</param>
    /// <param name="labelsPerRow">Labels per row (the positions of the model's output).</param>
    /// <param name="classCount">The number of classes; when 0, the largest label + 1.</param>
    /// <param name="allowNonFinite">Accept NaN and ±∞ among the features, as for <see cref="ForClassification"/>.</param>
    /// <exception cref="ArgumentException">The sizes disagree, a label is negative or not below <paramref name="classCount"/>, or a feature is NaN or ±∞.</exception>
    public static Dataset ForSequenceClassification(float[] features, int featureCount, int[] labels, int labelsPerRow, int classCount = 0, bool allowNonFinite = false)
    {
        if (labelsPerRow < 1) throw new ArgumentOutOfRangeException(nameof(labelsPerRow), labelsPerRow, "A row needs at least one label.");
        return Classification(features, featureCount, labels, labelsPerRow, classCount, allowNonFinite);
    }

    private static Dataset Classification(float[] features, int featureCount, int[] labels, int labelsPerRow, int classCount, bool allowNonFinite)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Length % labelsPerRow != 0)
            throw new ArgumentException($"The labels have {labels.Length} elements, not a multiple of {labelsPerRow} per row.", nameof(labels));
        CheckShape(features, featureCount, labels.Length / labelsPerRow, labelsPerRow, nameof(labels));
        if (classCount < 0) throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "The class count must be 0 (the largest label + 1) or more.");
        int maxLabel = -1;
        var targets = new float[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0 || (classCount > 0 && labels[i] >= classCount))
                throw new ArgumentException(LabelError(labels, i, labelsPerRow, classCount), nameof(labels));
            maxLabel = Math.Max(maxLabel, labels[i]);
            targets[i] = labels[i];
        }
        var data = new Dataset(features, featureCount, targets, labelsPerRow, classCount > 0 ? classCount : maxLabel + 1, allowNonFinite);
        data.CheckFinite("features");
        return data;
    }

    /// <summary>Why label <paramref name="index"/> is not a class index, with the range the set's classes allow.</summary>
    private static string LabelError(int[] labels, int index, int labelsPerRow, int classCount)
    {
        string where = labelsPerRow == 1 ? $"Label of row {index}" : $"Label {index % labelsPerRow} of row {index / labelsPerRow}";
        if (classCount > 0) return $"{where} is {labels[index]}; {classCount} classes take the class indices 0…{classCount - 1}.";
        int largest = int.MinValue;
        foreach (int label in labels) largest = Math.Max(largest, label);
        string range = largest >= 0 ? $"here 0…{largest}, as the largest label is {largest}" : "here every label is negative";
        return $"{where} is {labels[index]}; class labels are indices 0…classes − 1 ({range}), never negative. " +
               "Map the labels to 0, 1, 2, … (e.g. −1/1 to 0/1) before making the set.";
    }

    /// <summary>Creates a regression (or binary, multi-label) set from features and real-valued targets.</summary>
    /// <param name="features">Row-major features, rows × <paramref name="featureCount"/>; kept, not copied.</param>
    /// <param name="featureCount">Features per row.</param>
    /// <param name="targets">Row-major targets, rows × <paramref name="targetWidth"/>; kept, not copied.</param>
    /// <param name="targetWidth">Target values per row.</param>
    /// <param name="allowNonFinite">
    /// Accept NaN and ±∞ among the features and targets (see <see cref="AllowsNonFinite"/>). Without it such a value is an
    /// error naming its row and column, here and wherever a model reads the set.
    /// </param>
    /// <exception cref="ArgumentException">The sizes disagree, or a feature or target is NaN or ±∞.</exception>
    public static Dataset ForRegression(float[] features, int featureCount, float[] targets, int targetWidth = 1, bool allowNonFinite = false)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(targets);
        if (targetWidth < 1) throw new ArgumentOutOfRangeException(nameof(targetWidth), targetWidth, "The target width must be at least 1.");
        if (targets.Length % targetWidth != 0)
            throw new ArgumentException($"The targets have {targets.Length} elements, not a multiple of the target width {targetWidth}.", nameof(targets));
        CheckShape(features, featureCount, targets.Length / targetWidth, targetWidth, nameof(targets));
        var data = new Dataset(features, featureCount, targets, targetWidth, 0, allowNonFinite);
        data.CheckFinite("features", "targets");
        return data;
    }

    /// <summary>The rows [<paramref name="start"/>, start + <paramref name="count"/>) as a new set (copied).</summary>
    public Dataset Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(start), $"Rows {start}…{start + count - 1} are outside the {Count} rows of this set.");
        return new Dataset(
            Features.AsSpan(start * FeatureCount, count * FeatureCount).ToArray(), FeatureCount,
            Targets.AsSpan(start * TargetWidth, count * TargetWidth).ToArray(), TargetWidth, ClassCount, AllowsNonFinite) { Inputs = Inputs, ClassNames = ClassNames };
    }

    /// <summary>
    /// Splits by row order: <c>First</c>, the first <paramref name="firstCount"/> rows, and <c>Remaining</c>, the rows
    /// after them, both copied. Nothing is shuffled, so a time-ordered set stays ordered (train on the past, test on the
    /// future) and a split is reproducible.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="firstCount"/> is negative or more than <see cref="Count"/>.</exception>
    public (Dataset First, Dataset Remaining) Split(int firstCount)
    {
        if (firstCount < 0 || firstCount > Count)
            throw new ArgumentOutOfRangeException(nameof(firstCount), firstCount, $"The first part must have 0…{Count} rows; this set has {Count}.");
        return (Slice(0, firstCount), Slice(firstCount, Count - firstCount));
    }

    /// <summary>
    /// A copy of this set with <paramref name="map"/> applied to every feature value; targets and class count are kept.
    /// Meant for fixed transforms such as <c>p =&gt; p / 16f</c> on pixels: a transform whose constants are computed from
    /// the data (a mean, a maximum) must take them from the training rows only, or test rows leak into training.
    /// </summary>
    /// <exception cref="ArgumentException">The map gives NaN or ±∞ (e.g. a logarithm of 0) and the set does not <see cref="AllowsNonFinite"/>.</exception>
    public Dataset MapFeatures(Func<float, float> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        var features = new float[Features.Length];
        for (int i = 0; i < features.Length; i++) features[i] = map(Features[i]);
        if (!AllowsNonFinite && NonFiniteValues.IndexOf(features) is int at and >= 0)
            throw new ArgumentException(
                $"The map turned {Features[at]} ({NonFiniteValues.Locate(at, FeatureCount, Inputs)}) into {NonFiniteValues.Describe(features[at])}; " +
                $"make it finite for every value it meets, or {NonFiniteValues.OptOut}.", nameof(map));
        return new Dataset(features, FeatureCount, (float[])Targets.Clone(), TargetWidth, ClassCount, AllowsNonFinite) { Inputs = Inputs, ClassNames = ClassNames };
    }

    /// <summary>
    /// The name of each class (index = class label) when the data carries them: a table's category label
    /// (<see cref="Data.Table.ToDataset(Data.TargetKind)"/>), a labelled CSV file's class names, or
    /// <see cref="WithClassNames"/>; null otherwise. Reports and confusion matrices print these instead of the indices.
    /// </summary>
    public IReadOnlyList<string>? ClassNames { get; private init; }

    /// <summary>The same rows (not copied) with a name per class, for reports and confusion matrices.</summary>
    /// <param name="classNames">
    /// One name per class (<see cref="ClassCount"/> of them), or for a set of 0/1 targets (binary cross-entropy) two
    /// names, for 0 and for 1; names must be unique and non-empty.
    /// </param>
    /// <exception cref="ArgumentException">The count is wrong, or a name is empty or repeated.</exception>
    public Dataset WithClassNames(IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        int expected = ClassCount > 0 ? ClassCount : 2;
        if (classNames.Count != expected)
            throw new ArgumentException(ClassCount > 0
                ? $"{classNames.Count} class names were given for a set of {ClassCount} classes."
                : $"{classNames.Count} class names were given for a set of real-valued targets; name the two classes of 0/1 targets, or none.", nameof(classNames));
        for (int i = 0; i < classNames.Count; i++)
        {
            if (string.IsNullOrEmpty(classNames[i])) throw new ArgumentException($"Class name {i} is empty.", nameof(classNames));
            for (int j = 0; j < i; j++)
                if (classNames[j] == classNames[i]) throw new ArgumentException($"Classes {j} and {i} are both named '{classNames[i]}'.", nameof(classNames));
        }
        return new Dataset(Features, FeatureCount, Targets, TargetWidth, ClassCount, AllowsNonFinite) { Inputs = Inputs, ClassNames = classNames.ToArray() };
    }

    /// <summary>The class label of row <paramref name="row"/> (classification sets).</summary>
    public int Label(int row) => (int)Targets[row * TargetWidth];

    /// <summary>
    /// Refuses NaN and ±∞ among the features (and the targets, when <paramref name="targetsName"/> is given) unless the set
    /// <see cref="AllowsNonFinite"/>; <paramref name="dataName"/> names the set in the message (an argument name).
    /// </summary>
    internal void CheckFinite(string featuresName, string? targetsName = null, string? dataName = null, IReadOnlyList<InputBlock>? inputs = null)
    {
        if (AllowsNonFinite) return;
        string of = dataName is null ? "" : $" of '{dataName}'";
        if (NonFiniteValues.IndexOf(Features) is int at and >= 0)
            throw new ArgumentException(
                $"Feature {NonFiniteValues.Locate(at, FeatureCount, inputs ?? Inputs)}{of} is {NonFiniteValues.Describe(Features[at])}; " +
                $"fill or drop missing values first (Imputer), or {NonFiniteValues.OptOut}.", dataName ?? featuresName);
        if (targetsName is not null && NonFiniteValues.IndexOf(Targets) is int t and >= 0)
            throw new ArgumentException(
                $"Target {NonFiniteValues.Locate(t, TargetWidth, null)}{of} is {NonFiniteValues.Describe(Targets[t])}; " +
                $"drop the rows without a target, or {NonFiniteValues.OptOut}.", dataName ?? targetsName);
    }

    /// <summary>The first NaN or ±∞ of the features or targets, for the message of a loss that became non-finite; null when all are finite.</summary>
    internal string? FirstNonFinite()
    {
        if (NonFiniteValues.IndexOf(Features) is int at and >= 0)
            return $"feature {NonFiniteValues.Locate(at, FeatureCount, Inputs)} is {NonFiniteValues.Describe(Features[at])}";
        if (NonFiniteValues.IndexOf(Targets) is int t and >= 0)
            return $"target {NonFiniteValues.Locate(t, TargetWidth, null)} is {NonFiniteValues.Describe(Targets[t])}";
        return null;
    }

    private static void CheckShape(float[] features, int featureCount, int rows, int targetWidth, string targetsName)
    {
        if (featureCount < 1) throw new ArgumentOutOfRangeException(nameof(featureCount), featureCount, "The feature count must be at least 1.");
        if (features.Length % featureCount != 0)
            throw new ArgumentException($"The features have {features.Length} elements, not a multiple of the feature count {featureCount}.", nameof(features));
        if (features.Length / featureCount != rows)
            throw new ArgumentException($"The features hold {features.Length / featureCount} rows but the targets hold {rows} (width {targetWidth}).", targetsName);
    }
}
