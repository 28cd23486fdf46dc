using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace ModelGen.Metrics;

/// <summary>
/// Counts of (actual class, predicted class) pairs for single-label classification: row = actual, column = predicted,
/// as scikit-learn's <c>confusion_matrix</c>.
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly int[] _counts;
    private readonly string[] _classNames;

    /// <summary>Counts the pairs (<paramref name="actual"/>[i], <paramref name="predicted"/>[i]).</summary>
    /// <param name="actual">The true class of each sample.</param>
    /// <param name="predicted">The predicted class of each sample.</param>
    /// <param name="classCount">Number of classes; every label must be in 0…classCount − 1.</param>
    /// <param name="classNames">A name per class for <see cref="ToString"/>; the class indices when null.</param>
    /// <exception cref="ArgumentException">The arrays differ in length, a label is out of range, or the name count is not <paramref name="classCount"/>.</exception>
    public ConfusionMatrix(ReadOnlySpan<int> actual, ReadOnlySpan<int> predicted, int classCount, IReadOnlyList<string>? classNames = null)
    {
        if (classCount < 1) throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "There must be at least one class.");
        if (actual.Length != predicted.Length)
            throw new ArgumentException($"There are {actual.Length} actual labels but {predicted.Length} predictions.", nameof(predicted));
        if (classNames is not null && classNames.Count != classCount)
            throw new ArgumentException($"{classNames.Count} class names were given for {classCount} classes.", nameof(classNames));
        ClassCount = classCount;
        _classNames = classNames?.ToArray() ?? Enumerable.Range(0, classCount).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray();
        _counts = new int[classCount * classCount];
        for (int i = 0; i < actual.Length; i++)
        {
            if ((uint)actual[i] >= (uint)classCount)
                throw new ArgumentException($"actual[{i}] is {actual[i]}; expected a class index in 0…{classCount - 1}.", nameof(actual));
            if ((uint)predicted[i] >= (uint)classCount)
                throw new ArgumentException($"predicted[{i}] is {predicted[i]}; expected a class index in 0…{classCount - 1}.", nameof(predicted));
            _counts[actual[i] * classCount + predicted[i]]++;
        }
        Total = actual.Length;
    }

    /// <summary>Number of classes.</summary>
    public int ClassCount { get; }

    /// <summary>The class names given, or "0", "1", … .</summary>
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <summary>Number of samples counted.</summary>
    public int Total { get; }

    /// <summary>Samples of class <paramref name="actual"/> predicted as <paramref name="predicted"/>.</summary>
    public int this[int actual, int predicted]
    {
        get
        {
            CheckClass(actual, nameof(actual));
            CheckClass(predicted, nameof(predicted));
            return _counts[actual * ClassCount + predicted];
        }
    }

    /// <summary>Samples of class <paramref name="c"/> predicted as <paramref name="c"/>.</summary>
    public int TruePositives(int c) => this[c, c];

    /// <summary>Samples of another class predicted as <paramref name="c"/>.</summary>
    public int FalsePositives(int c) => PredictedCount(c) - TruePositives(c);

    /// <summary>Samples of class <paramref name="c"/> predicted as another class.</summary>
    public int FalseNegatives(int c) => Support(c) - TruePositives(c);

    /// <summary>Samples whose actual class is <paramref name="c"/> (the row sum).</summary>
    public int Support(int c)
    {
        CheckClass(c, nameof(c));
        int sum = 0;
        for (int p = 0; p < ClassCount; p++) sum += _counts[c * ClassCount + p];
        return sum;
    }

    /// <summary>Samples predicted as class <paramref name="c"/> (the column sum).</summary>
    public int PredictedCount(int c)
    {
        CheckClass(c, nameof(c));
        int sum = 0;
        for (int a = 0; a < ClassCount; a++) sum += _counts[a * ClassCount + c];
        return sum;
    }

    /// <summary>Correctly classified samples (the diagonal sum).</summary>
    public int Correct
    {
        get
        {
            int sum = 0;
            for (int c = 0; c < ClassCount; c++) sum += _counts[c * ClassCount + c];
            return sum;
        }
    }

    /// <summary>The matrix as a table: a row per actual class, a column per predicted class, headed by the class names.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        int labelWidth = Math.Max("actual \\ predicted".Length, _classNames.Max(n => n.Length));
        int cellWidth = Math.Max(_classNames.Max(n => n.Length), _counts.Length == 0 ? 1 : _counts.Max().ToString(c).Length);
        var sb = new StringBuilder();
        sb.Append("actual \\ predicted".PadLeft(labelWidth));
        foreach (var name in _classNames) sb.Append("  ").Append(name.PadLeft(cellWidth));
        sb.AppendLine();
        for (int a = 0; a < ClassCount; a++)
        {
            sb.Append(_classNames[a].PadLeft(labelWidth));
            for (int p = 0; p < ClassCount; p++) sb.Append("  ").Append(_counts[a * ClassCount + p].ToString(c).PadLeft(cellWidth));
            sb.AppendLine();
        }
        return sb.ToString();
    }

    private void CheckClass(int c, string name)
    {
        if ((uint)c >= (uint)ClassCount)
            throw new ArgumentOutOfRangeException(name, c, $"Expected a class index in 0…{ClassCount - 1}.");
    }
}

/// <summary>Precision, recall and F1 averaged over classes.</summary>
/// <param name="Precision">Averaged precision.</param>
/// <param name="Recall">Averaged recall.</param>
/// <param name="F1">Averaged F1 score.</param>
public readonly record struct AveragedScores(double Precision, double Recall, double F1);

/// <summary>
/// Accuracy and per-class precision, recall and F1 of single-label predictions, with macro, micro and support-weighted
/// averages, defined as in scikit-learn (<c>precision_recall_fscore_support</c> with <c>labels = range(classCount)</c>
/// and <c>zero_division = 0</c>): a ratio whose denominator is 0 counts as 0, and every one of the
/// <see cref="ConfusionMatrix.ClassCount"/> classes takes part in the macro average, even one absent from both arrays.
/// </summary>
public sealed class ClassificationMetrics
{
    private readonly double[] _precision, _recall, _f1;

    /// <summary>Computes the metrics of a confusion matrix.</summary>
    public ClassificationMetrics(ConfusionMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        Matrix = matrix;
        int k = matrix.ClassCount;
        _precision = new double[k];
        _recall = new double[k];
        _f1 = new double[k];
        long tpSum = 0, predictedSum = 0, supportSum = 0;
        double weightedP = 0, weightedR = 0, weightedF = 0;
        for (int c = 0; c < k; c++)
        {
            int tp = matrix.TruePositives(c), predicted = matrix.PredictedCount(c), support = matrix.Support(c);
            _precision[c] = Ratio(tp, predicted);
            _recall[c] = Ratio(tp, support);
            // 2·TP / (2·TP + FP + FN) equals 2PR / (P + R) wherever both are defined and, unlike it, needs no special case when P or R is 0.
            _f1[c] = Ratio(2.0 * tp, 2.0 * tp + (predicted - tp) + (support - tp));
            tpSum += tp;
            predictedSum += predicted;
            supportSum += support;
            weightedP += _precision[c] * support;
            weightedR += _recall[c] * support;
            weightedF += _f1[c] * support;
        }
        Accuracy = Ratio(matrix.Correct, matrix.Total);
        Macro = new AveragedScores(_precision.Average(), _recall.Average(), _f1.Average());
        double microP = Ratio(tpSum, predictedSum), microR = Ratio(tpSum, supportSum);
        Micro = new AveragedScores(microP, microR, Ratio(2.0 * microP * microR, microP + microR));
        Weighted = supportSum == 0
            ? new AveragedScores(0, 0, 0)
            : new AveragedScores(weightedP / supportSum, weightedR / supportSum, weightedF / supportSum);
    }

    /// <summary>Counts the pairs and computes the metrics.</summary>
    /// <param name="actual">The true class of each sample.</param>
    /// <param name="predicted">The predicted class of each sample.</param>
    /// <param name="classCount">Number of classes; every label must be in 0…classCount − 1.</param>
    /// <param name="classNames">A name per class for the report; the class indices when null.</param>
    /// <exception cref="ArgumentException">The arrays differ in length, a label is out of range, or the name count is not <paramref name="classCount"/>.</exception>
    public static ClassificationMetrics Compute(ReadOnlySpan<int> actual, ReadOnlySpan<int> predicted, int classCount, IReadOnlyList<string>? classNames = null) =>
        new(new ConfusionMatrix(actual, predicted, classCount, classNames));

    /// <summary>
    /// Counts <paramref name="predicted"/> against the labels of <paramref name="data"/> (a classification set, or a set of
    /// 0/1 targets as two classes) and computes the metrics, under the data's <see cref="Dataset.ClassNames"/> when it has them.
    /// </summary>
    /// <param name="data">The rows the classes were predicted for.</param>
    /// <param name="predicted">The predicted class of each row, e.g. <c>model.PredictClasses(data)</c>.</param>
    /// <exception cref="ArgumentException">The data is not one class per row, or a prediction is out of range.</exception>
    public static ClassificationMetrics Compute(Dataset data, ReadOnlySpan<int> predicted)
    {
        ArgumentNullException.ThrowIfNull(data);
        int classes = data.ClassCount > 0 ? data.ClassCount : 2;
        return Compute(Labels(data, classes, nameof(data)), predicted, classes, data.ClassNames);
    }

    /// <summary>The class index of each row of <paramref name="data"/>, checked to be one whole number in 0…classes − 1.</summary>
    internal static int[] Labels(Dataset data, int classes, string parameter)
    {
        if (data.TargetWidth != 1)
            throw new ArgumentException($"The data has {data.TargetWidth} targets per row; these metrics score one class per row.", parameter);
        var labels = new int[data.Count];
        for (int i = 0; i < labels.Length; i++)
        {
            float t = data.Targets[i];
            if (t != MathF.Floor(t) || t < 0 || t >= classes)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"The target of row {i} is {t}; {classes} classes need a class index in 0…{classes - 1}."), parameter);
            labels[i] = (int)t;
        }
        return labels;
    }

    /// <summary>The counts the metrics come from.</summary>
    public ConfusionMatrix Matrix { get; }

    /// <summary>Fraction of samples classified correctly; 0 when there are none.</summary>
    public double Accuracy { get; }

    /// <summary>Unweighted mean of the per-class scores over all classes.</summary>
    public AveragedScores Macro { get; }

    /// <summary>Scores of the pooled counts (total TP over total predictions, over total support); for single-label data all three equal <see cref="Accuracy"/>.</summary>
    public AveragedScores Micro { get; }

    /// <summary>Mean of the per-class scores weighted by each class's support.</summary>
    public AveragedScores Weighted { get; }

    /// <summary>TP / (TP + FP) for class <paramref name="c"/>: of the samples predicted as c, the fraction that are c; 0 when none are predicted as c.</summary>
    public double Precision(int c) => _precision[CheckClass(c)];

    /// <summary>TP / (TP + FN) for class <paramref name="c"/>: of the samples of class c, the fraction found; 0 when there are none.</summary>
    public double Recall(int c) => _recall[CheckClass(c)];

    /// <summary>Harmonic mean of precision and recall for class <paramref name="c"/>; 0 when both are 0.</summary>
    public double F1(int c) => _f1[CheckClass(c)];

    /// <summary>A report like scikit-learn's <c>classification_report</c> (scores with 2 decimals), followed by the confusion matrix.</summary>
    public override string ToString() => ToString(2);

    /// <summary>A report like scikit-learn's <c>classification_report</c> with <paramref name="digits"/> decimals, followed by the confusion matrix.</summary>
    public string ToString(int digits)
    {
        if (digits is < 0 or > 10) throw new ArgumentOutOfRangeException(nameof(digits), digits, "Use 0 to 10 decimals.");
        var inv = CultureInfo.InvariantCulture;
        string format = "F" + digits.ToString(inv);
        string[] headers = { "precision", "recall", "f1-score", "support" };
        int width = Math.Max(headers.Max(h => h.Length), digits + 2);
        int labelWidth = Math.Max("weighted avg".Length, Matrix.ClassNames.Max(n => n.Length));
        var sb = new StringBuilder();

        void Row(string label, double? p, double? r, double f, int support)
        {
            sb.Append(label.PadLeft(labelWidth)).Append(' ');
            foreach (double? v in new[] { p, r, (double?)f })
                sb.Append(' ').Append((v is double d ? d.ToString(format, inv) : "").PadLeft(width));
            sb.Append(' ').Append(support.ToString(inv).PadLeft(width)).AppendLine();
        }

        // scikit-learn's layout: the label column, one space, then 9-wide columns each led by a space.
        sb.Append(new string(' ', labelWidth + 1));
        foreach (var h in headers) sb.Append(' ').Append(h.PadLeft(width));
        sb.AppendLine().AppendLine();
        for (int c = 0; c < Matrix.ClassCount; c++) Row(Matrix.ClassNames[c], _precision[c], _recall[c], _f1[c], Matrix.Support(c));
        sb.AppendLine();
        Row("accuracy", null, null, Accuracy, Matrix.Total);
        Row("macro avg", Macro.Precision, Macro.Recall, Macro.F1, Matrix.Total);
        Row("micro avg", Micro.Precision, Micro.Recall, Micro.F1, Matrix.Total);
        Row("weighted avg", Weighted.Precision, Weighted.Recall, Weighted.F1, Matrix.Total);
        sb.AppendLine().AppendLine("Confusion matrix (rows: actual class, columns: predicted class)");
        sb.Append(Matrix.ToString());
        return sb.ToString();
    }

    private static double Ratio(double numerator, double denominator) => denominator == 0 ? 0 : numerator / denominator;

    private int CheckClass(int c)
    {
        if ((uint)c >= (uint)_precision.Length)
            throw new ArgumentOutOfRangeException(nameof(c), c, $"Expected a class index in 0…{_precision.Length - 1}.");
        return c;
    }
}
