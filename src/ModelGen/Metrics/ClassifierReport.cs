using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace ModelGen.Metrics;

/// <summary>
/// Everything the predicted probabilities of a classifier say about it, in one printable report: precision, recall, F1
/// and the confusion matrix of the arg-max class, one-vs-rest ROC-AUC and average precision (macro and weighted),
/// top-k accuracy, log-loss, the Brier score and a reliability table with the expected calibration error — under the
/// data's class names when it has them.
/// </summary>
/// <remarks>
/// Probabilities are taken as <c>model.PredictProbabilities(data)</c> returns them: row-major samples × classes for a
/// softmax model, or one probability of class 1 per sample for a binary (sigmoid) model. Binary probabilities p are
/// scored as the two columns 1 − p and p, except that calibration and the Brier score are those of p itself.
/// </remarks>
public sealed class ClassifierReport
{
    private ClassifierReport(ClassificationMetrics classification, int topK, double topKAccuracy, double logLoss, CalibrationReport calibration,
                             OneVsRestScores? rocAuc, OneVsRestScores? averagePrecision, string? rankingUndefined, bool binary)
    {
        Classification = classification;
        TopK = topK;
        TopKAccuracy = topKAccuracy;
        LogLoss = logLoss;
        Calibration = calibration;
        RocAuc = rocAuc;
        AveragePrecision = averagePrecision;
        RankingUndefined = rankingUndefined;
        IsBinary = binary;
    }

    /// <summary>
    /// Scores probabilities against the labels and class names of <paramref name="data"/> (see <see cref="Dataset.ClassNames"/>):
    /// a classification set (one class index per row), or a set of 0/1 targets with one probability per row.
    /// </summary>
    /// <param name="data">The rows the probabilities were predicted for.</param>
    /// <param name="probabilities">From <c>model.PredictProbabilities(data)</c>: rows × classes, or one per row for a binary model.</param>
    /// <param name="topK">The k of top-k accuracy; reported when below the class count.</param>
    /// <param name="calibrationBins">Bins of the reliability table.</param>
    /// <exception cref="ArgumentException">The probabilities do not fit the rows, a target is not a class of the probabilities, or a probability is outside [0, 1].</exception>
    public static ClassifierReport Compute(Dataset data, ReadOnlySpan<float> probabilities, int topK = 3, int calibrationBins = 10)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0) throw new ArgumentException("The data has no rows to score.", nameof(data));
        if (probabilities.Length % data.Count != 0)
            throw new ArgumentException($"{probabilities.Length} probabilities do not split into the {data.Count} rows of the data; pass model.PredictProbabilities(data).", nameof(probabilities));
        int width = probabilities.Length / data.Count;
        var actual = ClassificationMetrics.Labels(data, width == 1 ? 2 : width, nameof(data));
        return Compute(actual, probabilities, width, data.ClassNames, topK, calibrationBins);
    }

    /// <summary>Scores probabilities against class indices.</summary>
    /// <param name="actual">The class index per sample.</param>
    /// <param name="probabilities">Row-major samples × <paramref name="classCount"/> probabilities, or with <paramref name="classCount"/> 1 the probability of class 1 of a binary model.</param>
    /// <param name="classCount">Number of classes (≥ 2), or 1 for binary probabilities of class 1.</param>
    /// <param name="classNames">A name per class (two for binary probabilities); the class indices when null.</param>
    /// <param name="topK">The k of top-k accuracy; reported when below the class count.</param>
    /// <param name="calibrationBins">Bins of the reliability table.</param>
    /// <exception cref="ArgumentException">The sizes disagree, a class index is out of range, or a probability is outside [0, 1].</exception>
    public static ClassifierReport Compute(ReadOnlySpan<int> actual, ReadOnlySpan<float> probabilities, int classCount, IReadOnlyList<string>? classNames = null,
                                           int topK = 3, int calibrationBins = 10)
    {
        if (classCount < 1) throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "Give the number of classes, or 1 for binary probabilities of class 1.");
        if (topK < 1) throw new ArgumentOutOfRangeException(nameof(topK), topK, "k must be at least 1.");
        bool binary = classCount == 1;
        int classes = binary ? 2 : classCount;
        var names = RankingMetrics.ClassNamesOrIndices(classNames, classes);
        double[] p;
        CalibrationReport calibration;
        if (binary)
        {
            var p1 = RankingMetrics.Widen(probabilities);
            // Checks labels and probabilities before the two-column form is built from them.
            calibration = ProbabilityMetrics.Calibration(actual, p1, calibrationBins);
            p = new double[2 * p1.Length];
            for (int i = 0; i < p1.Length; i++) (p[2 * i], p[2 * i + 1]) = (1 - p1[i], p1[i]);
        }
        else
        {
            p = RankingMetrics.Widen(probabilities);
            calibration = ProbabilityMetrics.TopLabelCalibration(actual, p, classes, calibrationBins);
        }
        var predicted = new int[actual.Length];
        for (int i = 0; i < predicted.Length; i++)
            for (int c = 1; c < classes; c++)
                if (p[i * classes + c] > p[i * classes + predicted[i]]) predicted[i] = c;
        var metrics = ClassificationMetrics.Compute(actual, predicted, classes, names);
        double logLoss = ProbabilityMetrics.LogLoss(actual, p, classes);
        double topKAccuracy = topK < classes ? RankingMetrics.TopKAccuracy(actual, p, classes, topK) : double.NaN;
        OneVsRestScores? auc = null, ap = null;
        string? undefined = null;
        var support = new int[classes];
        foreach (int c in actual) support[c]++;
        int samples = actual.Length;
        int absent = Array.FindIndex(support, s => s == 0 || s == samples);
        if (absent >= 0)
            undefined = support[absent] == 0
                ? $"no sample is of class '{names[absent]}'"
                : $"every sample is of class '{names[absent]}'";
        else
        {
            auc = RankingMetrics.RocAucOneVsRest(actual, p, classes, names);
            ap = RankingMetrics.AveragePrecisionOneVsRest(actual, p, classes, names);
        }
        return new ClassifierReport(metrics, topK, topKAccuracy, logLoss, calibration, auc, ap, undefined, binary);
    }

    /// <summary>Accuracy, per-class precision, recall and F1, and the confusion matrix of the arg-max class (on ties the first).</summary>
    public ClassificationMetrics Classification { get; }

    /// <summary>The class names (the class indices when none were given).</summary>
    public IReadOnlyList<string> ClassNames => Classification.Matrix.ClassNames;

    /// <summary>Whether the report was made from binary probabilities of class 1 (a sigmoid model).</summary>
    public bool IsBinary { get; }

    /// <summary>One-vs-rest ROC-AUC per class with macro and weighted averages; null when <see cref="RankingUndefined"/> says why.</summary>
    public OneVsRestScores? RocAuc { get; }

    /// <summary>One-vs-rest average precision (PR-AUC) per class with macro and weighted averages; null when <see cref="RankingUndefined"/> says why.</summary>
    public OneVsRestScores? AveragePrecision { get; }

    /// <summary>Why <see cref="RocAuc"/> and <see cref="AveragePrecision"/> are missing (a class with no sample, or only one class present), or null.</summary>
    public string? RankingUndefined { get; }

    /// <summary>The k of <see cref="TopKAccuracy"/>.</summary>
    public int TopK { get; }

    /// <summary>The share of samples whose class is among the <see cref="TopK"/> most probable (see <see cref="RankingMetrics.TopKAccuracy(ReadOnlySpan{int}, ReadOnlySpan{double}, int, int)"/>); NaN when k is not below the class count (it would be 1).</summary>
    public double TopKAccuracy { get; }

    /// <summary>Log-loss of the probabilities (<see cref="ProbabilityMetrics.LogLoss(ReadOnlySpan{int}, ReadOnlySpan{double}, int)"/>).</summary>
    public double LogLoss { get; }

    /// <summary>The Brier score: binary mean((p − y)²), or the multi-class mean Σ_c (p_c − [y = c])².</summary>
    public double BrierScore => Calibration.BrierScore;

    /// <summary>The reliability table: of class-1 probabilities (binary) or of the top label's probability (multi-class).</summary>
    public CalibrationReport Calibration { get; }

    /// <summary>The whole report: headline scores, the per-class table and confusion matrix, the one-vs-rest scores and the reliability table.</summary>
    public override string ToString()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"accuracy {Classification.Accuracy:F4}");
        if (!double.IsNaN(TopKAccuracy)) sb.Append(inv, $"  top-{TopK} accuracy {TopKAccuracy:F4}");
        if (RocAuc is not null) sb.Append(inv, $"  ROC-AUC {RocAuc.Macro:F4} macro, {RocAuc.Weighted:F4} weighted");
        if (AveragePrecision is not null) sb.Append(inv, $"  PR-AUC {AveragePrecision.Macro:F4} macro, {AveragePrecision.Weighted:F4} weighted");
        sb.Append(inv, $"  log-loss {LogLoss:F4}  Brier {BrierScore:F4}  ECE {Calibration.ExpectedCalibrationError:F4}").AppendLine().AppendLine();
        sb.AppendLine(Classification.ToString(4));
        if (RocAuc is not null && AveragePrecision is not null)
        {
            sb.AppendLine("One-vs-rest ranking of each class's probability");
            sb.AppendLine(RocAuc.ToString());
            sb.AppendLine(AveragePrecision.ToString());
        }
        else
            sb.AppendLine("One-vs-rest ROC-AUC and PR-AUC: undefined, " + RankingUndefined).AppendLine();
        sb.AppendLine(IsBinary
            ? $"Calibration of the probability of '{ClassNames[1]}'"
            : "Calibration of the most probable class (fraction positive = accuracy in the bin)");
        sb.Append(Calibration.ToString());
        return sb.ToString();
    }
}
