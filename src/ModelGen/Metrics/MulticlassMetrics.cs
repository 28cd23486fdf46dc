using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace ModelGen.Metrics;

public static partial class RankingMetrics
{
    /// <summary>
    /// One-vs-rest ROC-AUC of multi-class scores: for each class c, <see cref="RocAuc(ReadOnlySpan{int}, ReadOnlySpan{double})"/>
    /// of column c against "actual is c"; the macro average is their plain mean, the weighted average weighs each class by
    /// its support (scikit-learn's <c>roc_auc_score(multi_class='ovr', average='macro' | 'weighted')</c>).
    /// </summary>
    /// <param name="actual">The class index per sample.</param>
    /// <param name="scores">Row-major samples × <paramref name="classCount"/> finite scores, e.g. <c>model.PredictProbabilities</c>; each column is ranked on its own, so rows need not sum to 1.</param>
    /// <param name="classCount">Number of classes, ≥ 2.</param>
    /// <param name="classNames">A name per class for the report; the class indices when null.</param>
    /// <exception cref="ArgumentException">The sizes disagree, a class index is out of range, a score is not finite, or a class has no sample (or every sample), so its AUC is undefined.</exception>
    public static OneVsRestScores RocAucOneVsRest(ReadOnlySpan<int> actual, ReadOnlySpan<double> scores, int classCount, IReadOnlyList<string>? classNames = null) =>
        OneVsRest("ROC-AUC", actual, scores, classCount, classNames, needsNegatives: true, RocAuc);

    /// <inheritdoc cref="RocAucOneVsRest(ReadOnlySpan{int}, ReadOnlySpan{double}, int, IReadOnlyList{string}?)"/>
    public static OneVsRestScores RocAucOneVsRest(ReadOnlySpan<int> actual, ReadOnlySpan<float> scores, int classCount, IReadOnlyList<string>? classNames = null) =>
        RocAucOneVsRest(actual, Widen(scores), classCount, classNames);

    /// <summary>
    /// One-vs-rest average precision (the area under each class's precision-recall curve, as a step sum): for each class c,
    /// <see cref="AveragePrecision(ReadOnlySpan{int}, ReadOnlySpan{double})"/> of column c against "actual is c"; macro
    /// and support-weighted averages as scikit-learn's multi-class <c>average_precision_score</c>.
    /// </summary>
    /// <param name="actual">The class index per sample.</param>
    /// <param name="scores">Row-major samples × <paramref name="classCount"/> finite scores, e.g. <c>model.PredictProbabilities</c>.</param>
    /// <param name="classCount">Number of classes, ≥ 2.</param>
    /// <param name="classNames">A name per class for the report; the class indices when null.</param>
    /// <exception cref="ArgumentException">The sizes disagree, a class index is out of range, a score is not finite, or a class has no sample.</exception>
    public static OneVsRestScores AveragePrecisionOneVsRest(ReadOnlySpan<int> actual, ReadOnlySpan<double> scores, int classCount, IReadOnlyList<string>? classNames = null) =>
        OneVsRest("average precision", actual, scores, classCount, classNames, needsNegatives: false, AveragePrecision);

    /// <inheritdoc cref="AveragePrecisionOneVsRest(ReadOnlySpan{int}, ReadOnlySpan{double}, int, IReadOnlyList{string}?)"/>
    public static OneVsRestScores AveragePrecisionOneVsRest(ReadOnlySpan<int> actual, ReadOnlySpan<float> scores, int classCount, IReadOnlyList<string>? classNames = null) =>
        AveragePrecisionOneVsRest(actual, Widen(scores), classCount, classNames);

    /// <summary>
    /// Top-k accuracy: the share of samples whose actual class is among the <paramref name="k"/> highest-scored classes
    /// (scikit-learn's <c>top_k_accuracy_score</c>). Ties are broken as scikit-learn breaks them: among equal scores the
    /// higher class index ranks first, so the actual class c is in the top k when fewer than k classes score above it or
    /// equal it with an index above c.
    /// </summary>
    /// <param name="actual">The class index per sample.</param>
    /// <param name="scores">Row-major samples × <paramref name="classCount"/> finite scores.</param>
    /// <param name="classCount">Number of classes, ≥ 2.</param>
    /// <param name="k">
    /// How many of the best-scored classes count, 1 to <paramref name="classCount"/>. With tied scores k = 1 can differ from
    /// the accuracy of the arg-max class that <see cref="ClassificationMetrics"/> scores (the first maximum, as numpy's argmax).
    /// </param>
    /// <exception cref="ArgumentException">The sizes disagree, a class index is out of range, or a score is not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is outside 1 … classCount.</exception>
    public static double TopKAccuracy(ReadOnlySpan<int> actual, ReadOnlySpan<double> scores, int classCount, int k)
    {
        CheckScoreMatrix(actual, scores, classCount, nameof(TopKAccuracy));
        if (k < 1 || k > classCount) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be between 1 and the number of classes, {classCount}.");
        int hits = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            var row = scores.Slice(i * classCount, classCount);
            int c = actual[i];
            double own = row[c];
            int ahead = 0;
            for (int j = 0; j < classCount; j++)
                if (row[j] > own || (row[j] == own && j > c)) ahead++;
            if (ahead < k) hits++;
        }
        return (double)hits / actual.Length;
    }

    /// <inheritdoc cref="TopKAccuracy(ReadOnlySpan{int}, ReadOnlySpan{double}, int, int)"/>
    public static double TopKAccuracy(ReadOnlySpan<int> actual, ReadOnlySpan<float> scores, int classCount, int k) =>
        TopKAccuracy(actual, Widen(scores), classCount, k);

    private delegate double BinaryScore(ReadOnlySpan<int> actual, ReadOnlySpan<double> scores);

    private static OneVsRestScores OneVsRest(string metric, ReadOnlySpan<int> actual, ReadOnlySpan<double> scores, int classCount,
                                             IReadOnlyList<string>? classNames, bool needsNegatives, BinaryScore score)
    {
        CheckScoreMatrix(actual, scores, classCount, metric);
        var names = ClassNamesOrIndices(classNames, classCount);
        int n = actual.Length;
        var support = new int[classCount];
        foreach (int c in actual) support[c]++;
        for (int c = 0; c < classCount; c++)
        {
            if (support[c] == 0)
                throw new ArgumentException($"One-vs-rest {metric} is undefined for class '{names[c]}': none of the {n} samples is of that class. Score a set that holds every class, or leave the class out.", nameof(actual));
            if (needsNegatives && support[c] == n)
                throw new ArgumentException($"One-vs-rest {metric} is undefined for class '{names[c]}': all {n} samples are of that class.", nameof(actual));
        }
        var isClass = new int[n];
        var column = new double[n];
        var perClass = new double[classCount];
        double weighted = 0;
        for (int c = 0; c < classCount; c++)
        {
            for (int i = 0; i < n; i++)
            {
                isClass[i] = actual[i] == c ? 1 : 0;
                column[i] = scores[i * classCount + c];
            }
            perClass[c] = score(isClass, column);
            weighted += perClass[c] * support[c];
        }
        return new OneVsRestScores(metric, names, perClass, support, perClass.Average(), weighted / n);
    }

    /// <summary>Checks a row-major samples × classes score matrix and the class index of each sample.</summary>
    internal static void CheckScoreMatrix(ReadOnlySpan<int> actual, ReadOnlySpan<double> scores, int classCount, string metric)
    {
        if (classCount < 2) throw new ArgumentOutOfRangeException(nameof(classCount), classCount, $"{metric} needs at least 2 classes.");
        if (actual.Length == 0) throw new ArgumentException($"{metric} needs at least one sample.", nameof(actual));
        if (scores.Length != (long)actual.Length * classCount)
            throw new ArgumentException($"{metric}: {actual.Length} samples of {classCount} classes need {(long)actual.Length * classCount} scores (row-major, a row per sample); {scores.Length} were given.", nameof(scores));
        for (int i = 0; i < actual.Length; i++)
            if ((uint)actual[i] >= (uint)classCount)
                throw new ArgumentException($"{metric}: actual[{i}] is {actual[i]}; expected a class index in 0…{classCount - 1}.", nameof(actual));
        for (int i = 0; i < scores.Length; i++)
            if (!double.IsFinite(scores[i]))
                throw new ArgumentException($"{metric}: the score of sample {i / classCount}, class {i % classCount} is {scores[i]}; expected a finite number.", nameof(scores));
    }

    internal static string[] ClassNamesOrIndices(IReadOnlyList<string>? classNames, int classCount)
    {
        if (classNames is null) return Enumerable.Range(0, classCount).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray();
        if (classNames.Count != classCount)
            throw new ArgumentException($"{classNames.Count} class names were given for {classCount} classes.", nameof(classNames));
        return classNames.ToArray();
    }

    /// <summary>Probabilities as <c>Model.PredictProbabilities</c> returns them (float), widened exactly to double.</summary>
    internal static double[] Widen(ReadOnlySpan<float> values)
    {
        var wide = new double[values.Length];
        for (int i = 0; i < wide.Length; i++) wide[i] = values[i];
        return wide;
    }
}

public static partial class ProbabilityMetrics
{
    /// <summary>Binary Brier score: mean((p − y)²), p the predicted probability of class 1 (scikit-learn's <c>brier_score_loss</c>). 0 is perfect.</summary>
    /// <param name="actual">0 or 1 per sample.</param>
    /// <param name="probability">The predicted probability of 1 per sample, in [0, 1].</param>
    /// <exception cref="ArgumentException">The lengths differ, a label is not 0 or 1, or a probability is outside [0, 1].</exception>
    public static double BrierScore(ReadOnlySpan<int> actual, ReadOnlySpan<double> probability)
    {
        RankingMetrics.CheckBinary(actual, probability, nameof(BrierScore));
        CheckProbabilities(probability, nameof(probability));
        double sum = 0;
        for (int i = 0; i < actual.Length; i++) sum += (probability[i] - actual[i]) * (probability[i] - actual[i]);
        return sum / actual.Length;
    }

    /// <inheritdoc cref="BrierScore(ReadOnlySpan{int}, ReadOnlySpan{double})"/>
    public static double BrierScore(ReadOnlySpan<int> actual, ReadOnlySpan<float> probability) => BrierScore(actual, RankingMetrics.Widen(probability));

    /// <summary>
    /// Multi-class Brier score (Brier's original definition): mean over samples of Σ_c (p_c − [actual = c])², between 0
    /// (perfect) and 2. For two classes it is twice the binary <see cref="BrierScore(ReadOnlySpan{int}, ReadOnlySpan{double})"/>.
    /// </summary>
    /// <param name="actual">The class index per sample.</param>
    /// <param name="probabilities">Row-major samples × <paramref name="classCount"/> probabilities in [0, 1].</param>
    /// <param name="classCount">Number of classes, ≥ 2.</param>
    /// <exception cref="ArgumentException">The sizes disagree, a class index is out of range, or a probability is outside [0, 1].</exception>
    public static double BrierScore(ReadOnlySpan<int> actual, ReadOnlySpan<double> probabilities, int classCount)
    {
        RankingMetrics.CheckScoreMatrix(actual, probabilities, classCount, nameof(BrierScore));
        CheckProbabilities(probabilities, nameof(probabilities));
        double sum = 0;
        for (int i = 0; i < actual.Length; i++)
            for (int c = 0; c < classCount; c++)
            {
                double d = probabilities[i * classCount + c] - (actual[i] == c ? 1 : 0);
                sum += d * d;
            }
        return sum / actual.Length;
    }

    /// <inheritdoc cref="BrierScore(ReadOnlySpan{int}, ReadOnlySpan{double}, int)"/>
    public static double BrierScore(ReadOnlySpan<int> actual, ReadOnlySpan<float> probabilities, int classCount) =>
        BrierScore(actual, RankingMetrics.Widen(probabilities), classCount);

    /// <inheritdoc cref="LogLoss(ReadOnlySpan{int}, ReadOnlySpan{double})"/>
    public static double LogLoss(ReadOnlySpan<int> actual, ReadOnlySpan<float> probability) => LogLoss(actual, RankingMetrics.Widen(probability));

    /// <inheritdoc cref="LogLoss(ReadOnlySpan{int}, ReadOnlySpan{double}, int)"/>
    public static double LogLoss(ReadOnlySpan<int> actual, ReadOnlySpan<float> probabilities, int classCount) =>
        LogLoss(actual, RankingMetrics.Widen(probabilities), classCount);

    /// <inheritdoc cref="Calibration(ReadOnlySpan{int}, ReadOnlySpan{double}, int)"/>
    public static CalibrationReport Calibration(ReadOnlySpan<int> actual, ReadOnlySpan<float> probability, int bins = 10) =>
        Calibration(actual, RankingMetrics.Widen(probability), bins);

    /// <summary>
    /// Top-label (confidence) calibration of multi-class probabilities: each sample's confidence is its highest probability
    /// and its outcome is whether that class (the first, on ties) is the actual one; the samples are binned by confidence as
    /// <see cref="Calibration(ReadOnlySpan{int}, ReadOnlySpan{double}, int)"/> bins binary probabilities, i.e. scikit-learn's
    /// <c>calibration_curve(correct, confidence, strategy='uniform')</c>. Each bin's "fraction positive" is its accuracy,
    /// the expected calibration error is Σ (nᵦ / n)·|accuracy − mean confidence|, and the report's Brier score is the
    /// multi-class <see cref="BrierScore(ReadOnlySpan{int}, ReadOnlySpan{double}, int)"/>.
    /// </summary>
    /// <param name="actual">The class index per sample.</param>
    /// <param name="probabilities">Row-major samples × <paramref name="classCount"/> probabilities in [0, 1].</param>
    /// <param name="classCount">Number of classes, ≥ 2.</param>
    /// <param name="bins">Number of bins, ≥ 1.</param>
    /// <exception cref="ArgumentException">The sizes disagree, a class index is out of range, or a probability is outside [0, 1].</exception>
    public static CalibrationReport TopLabelCalibration(ReadOnlySpan<int> actual, ReadOnlySpan<double> probabilities, int classCount, int bins = 10)
    {
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), bins, "At least one bin is needed.");
        double brier = BrierScore(actual, probabilities, classCount);
        var correct = new int[actual.Length];
        var confidence = new double[actual.Length];
        for (int i = 0; i < actual.Length; i++)
        {
            var row = probabilities.Slice(i * classCount, classCount);
            int best = 0;
            for (int c = 1; c < classCount; c++) if (row[c] > row[best]) best = c;
            confidence[i] = row[best];
            correct[i] = best == actual[i] ? 1 : 0;
        }
        return Reliability(correct, confidence, bins, brier);
    }

    /// <inheritdoc cref="TopLabelCalibration(ReadOnlySpan{int}, ReadOnlySpan{double}, int, int)"/>
    public static CalibrationReport TopLabelCalibration(ReadOnlySpan<int> actual, ReadOnlySpan<float> probabilities, int classCount, int bins = 10) =>
        TopLabelCalibration(actual, RankingMetrics.Widen(probabilities), classCount, bins);
}

/// <summary>
/// A binary metric computed one class against the rest for each class of a multi-class problem, with its macro average
/// (plain mean over classes) and weighted average (each class weighted by its support).
/// </summary>
public sealed class OneVsRestScores
{
    private readonly string[] _classNames;
    private readonly double[] _perClass;
    private readonly int[] _support;

    internal OneVsRestScores(string metric, string[] classNames, double[] perClass, int[] support, double macro, double weighted)
    {
        Metric = metric;
        _classNames = classNames;
        _perClass = perClass;
        _support = support;
        Macro = macro;
        Weighted = weighted;
    }

    /// <summary>The metric's name, e.g. "ROC-AUC".</summary>
    public string Metric { get; }

    /// <summary>The class names, or "0", "1", … when none were given.</summary>
    public IReadOnlyList<string> ClassNames => _classNames;

    /// <summary>The metric of each class against the rest (index = class).</summary>
    public IReadOnlyList<double> PerClass => _perClass;

    /// <summary>The samples of each class (index = class).</summary>
    public IReadOnlyList<int> Support => _support;

    /// <summary>The unweighted mean of <see cref="PerClass"/>.</summary>
    public double Macro { get; }

    /// <summary>The mean of <see cref="PerClass"/> weighted by <see cref="Support"/>.</summary>
    public double Weighted { get; }

    /// <summary>A row per class (name, score with 4 decimals, support), then the macro and weighted averages.</summary>
    public override string ToString()
    {
        var inv = CultureInfo.InvariantCulture;
        int labelWidth = Math.Max("weighted avg".Length, _classNames.Max(n => n.Length));
        int width = Math.Max(Metric.Length, "support".Length);
        var sb = new StringBuilder();
        sb.Append(' ', labelWidth).Append("  ").Append(Metric.PadLeft(width)).Append("  ").AppendLine("support".PadLeft(width));
        void Row(string label, double score, int support) =>
            sb.Append(label.PadLeft(labelWidth)).Append("  ").Append(score.ToString("F4", inv).PadLeft(width)).Append("  ")
              .AppendLine(support.ToString(inv).PadLeft(width));
        for (int c = 0; c < _perClass.Length; c++) Row(_classNames[c], _perClass[c], _support[c]);
        int total = _support.Sum();
        Row("macro avg", Macro, total);
        Row("weighted avg", Weighted, total);
        return sb.ToString();
    }
}
