using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace ModelGen.Metrics;

/// <summary>
/// Metrics of scores for a binary outcome, defined as in scikit-learn: the area under the ROC curve, average precision
/// (the area under the precision-recall curve as a step sum), and the ranking metrics precision@k and average
/// precision@k. Actual labels are 0 (negative) or 1 (positive); a higher score means "more likely positive".
/// </summary>
public static partial class RankingMetrics
{
    /// <summary>
    /// ROC-AUC: the probability that a random positive scores above a random negative, ties counting one half (equal to
    /// scikit-learn's <c>roc_auc_score</c>).
    /// </summary>
    /// <param name="actual">0 or 1 per sample.</param>
    /// <param name="scores">A finite score per sample.</param>
    /// <exception cref="ArgumentException">The lengths differ, a label is not 0 or 1, a score is not finite, or only one class is present.</exception>
    public static double RocAuc(ReadOnlySpan<int> actual, ReadOnlySpan<double> scores)
    {
        var (positives, negatives) = CheckBinary(actual, scores, nameof(RocAuc));
        if (positives == 0 || negatives == 0)
            throw new ArgumentException($"ROC-AUC needs both classes; the {actual.Length} labels are all {(positives == 0 ? 0 : 1)}.", nameof(actual));
        // Mann–Whitney U with mid-ranks for ties.
        var order = SortedIndices(scores, descending: false);
        double rankSumPositive = 0;
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && scores[order[j + 1]] == scores[order[i]]) j++;
            double midRank = (i + j) / 2.0 + 1;
            for (int t = i; t <= j; t++) if (actual[order[t]] == 1) rankSumPositive += midRank;
            i = j + 1;
        }
        return (rankSumPositive - positives * (positives + 1.0) / 2) / ((double)positives * negatives);
    }

    /// <summary>
    /// Average precision: Σₙ (Rₙ − Rₙ₋₁) Pₙ over the distinct score thresholds from high to low, Pₙ and Rₙ the precision and
    /// recall of predicting positive at scores ≥ the threshold (scikit-learn's <c>average_precision_score</c>).
    /// </summary>
    /// <param name="actual">0 or 1 per sample.</param>
    /// <param name="scores">A finite score per sample.</param>
    /// <exception cref="ArgumentException">The lengths differ, a label is not 0 or 1, a score is not finite, or there is no positive.</exception>
    public static double AveragePrecision(ReadOnlySpan<int> actual, ReadOnlySpan<double> scores)
    {
        var (positives, _) = CheckBinary(actual, scores, nameof(AveragePrecision));
        if (positives == 0) throw new ArgumentException("Average precision needs at least one positive label.", nameof(actual));
        var order = SortedIndices(scores, descending: true);
        double ap = 0, previousRecall = 0;
        int tp = 0, seen = 0;
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j < order.Length && scores[order[j]] == scores[order[i]]) { tp += actual[order[j]]; j++; }
            seen = j;
            double recall = (double)tp / positives, precision = (double)tp / seen;
            ap += (recall - previousRecall) * precision;
            previousRecall = recall;
            i = j;
        }
        return ap;
    }

    /// <summary>Precision@k: the share of relevant items among the <paramref name="k"/> highest-scored (ties: the earlier item first).</summary>
    /// <param name="relevant">0 or 1 per item.</param>
    /// <param name="scores">A finite score per item.</param>
    /// <param name="k">How many top items count, 1 to the number of items.</param>
    /// <exception cref="ArgumentException">The lengths differ, a label is not 0 or 1, or a score is not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is outside 1 … items.</exception>
    public static double PrecisionAtK(ReadOnlySpan<int> relevant, ReadOnlySpan<double> scores, int k)
    {
        CheckBinary(relevant, scores, nameof(PrecisionAtK));
        CheckK(k, relevant.Length);
        var order = SortedIndices(scores, descending: true);
        int hits = 0;
        for (int i = 0; i < k; i++) hits += relevant[order[i]];
        return (double)hits / k;
    }

    /// <summary>
    /// Average precision@k: Σ over the top-k positions i holding a relevant item of precision@i, divided by
    /// min(k, number of relevant items); 0 when nothing is relevant (ties: the earlier item first).
    /// </summary>
    /// <param name="relevant">0 or 1 per item.</param>
    /// <param name="scores">A finite score per item.</param>
    /// <param name="k">How many top items count, 1 to the number of items.</param>
    /// <exception cref="ArgumentException">The lengths differ, a label is not 0 or 1, or a score is not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is outside 1 … items.</exception>
    public static double AveragePrecisionAtK(ReadOnlySpan<int> relevant, ReadOnlySpan<double> scores, int k)
    {
        var (positives, _) = CheckBinary(relevant, scores, nameof(AveragePrecisionAtK));
        CheckK(k, relevant.Length);
        if (positives == 0) return 0;
        var order = SortedIndices(scores, descending: true);
        double sum = 0;
        int hits = 0;
        for (int i = 0; i < k; i++)
        {
            if (relevant[order[i]] == 0) continue;
            hits++;
            sum += (double)hits / (i + 1);
        }
        return sum / Math.Min(k, positives);
    }

    internal static (int Positives, int Negatives) CheckBinary(ReadOnlySpan<int> actual, ReadOnlySpan<double> scores, string metric)
    {
        if (actual.Length != scores.Length)
            throw new ArgumentException($"{metric}: there are {actual.Length} labels but {scores.Length} scores.", nameof(scores));
        if (actual.Length == 0) throw new ArgumentException($"{metric} needs at least one sample.", nameof(actual));
        int positives = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            if (actual[i] is not (0 or 1)) throw new ArgumentException($"{metric}: actual[{i}] is {actual[i]}; expected 0 or 1.", nameof(actual));
            if (!double.IsFinite(scores[i])) throw new ArgumentException($"{metric}: score[{i}] is {scores[i]}; expected a finite number.", nameof(scores));
            positives += actual[i];
        }
        return (positives, actual.Length - positives);
    }

    /// <summary>Indices sorted by score (stable: equal scores keep index order).</summary>
    internal static int[] SortedIndices(ReadOnlySpan<double> scores, bool descending)
    {
        var keys = scores.ToArray();
        var order = Enumerable.Range(0, keys.Length);
        return (descending ? order.OrderByDescending(i => keys[i]) : order.OrderBy(i => keys[i])).ToArray();
    }

    private static void CheckK(int k, int count)
    {
        if (k < 1 || k > count) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be between 1 and the number of items, {count}.");
    }
}

/// <summary>Metrics of predicted probabilities: log-loss and calibration, defined as in scikit-learn.</summary>
public static partial class ProbabilityMetrics
{
    /// <summary>Probabilities are clipped to [ε, 1 − ε] with this ε (double-precision machine epsilon, scikit-learn's default) before taking logarithms.</summary>
    public const double Epsilon = 2.220446049250313e-16;

    /// <summary>Binary log-loss (cross-entropy): −mean(y·ln p + (1 − y)·ln(1 − p)), p the predicted probability of class 1.</summary>
    /// <param name="actual">0 or 1 per sample.</param>
    /// <param name="probability">The predicted probability of 1 per sample, in [0, 1].</param>
    /// <exception cref="ArgumentException">The lengths differ, a label is not 0 or 1, or a probability is outside [0, 1].</exception>
    public static double LogLoss(ReadOnlySpan<int> actual, ReadOnlySpan<double> probability)
    {
        RankingMetrics.CheckBinary(actual, probability, nameof(LogLoss));
        CheckProbabilities(probability, nameof(probability));
        double sum = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double p = Math.Clamp(probability[i], Epsilon, 1 - Epsilon);
            sum -= actual[i] == 1 ? Math.Log(p) : Math.Log(1 - p);
        }
        return sum / actual.Length;
    }

    /// <summary>
    /// Multi-class log-loss: −mean(ln p[actual class]), each row of probabilities clipped to [ε, 1 − ε] and renormalised
    /// to sum to 1, as scikit-learn's <c>log_loss</c>.
    /// </summary>
    /// <param name="actual">The class index per sample.</param>
    /// <param name="probabilities">Row-major samples × <paramref name="classCount"/> probabilities.</param>
    /// <param name="classCount">Number of classes, ≥ 2.</param>
    /// <exception cref="ArgumentException">The sizes disagree, a class index is out of range, or a probability is outside [0, 1].</exception>
    public static double LogLoss(ReadOnlySpan<int> actual, ReadOnlySpan<double> probabilities, int classCount)
    {
        if (classCount < 2) throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "Log-loss needs at least 2 classes.");
        if (probabilities.Length != actual.Length * classCount)
            throw new ArgumentException($"{actual.Length} samples of {classCount} classes need {actual.Length * classCount} probabilities; {probabilities.Length} were given.", nameof(probabilities));
        if (actual.Length == 0) throw new ArgumentException("Log-loss needs at least one sample.", nameof(actual));
        CheckProbabilities(probabilities, nameof(probabilities));
        double sum = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            if ((uint)actual[i] >= (uint)classCount)
                throw new ArgumentException($"actual[{i}] is {actual[i]}; expected a class index in 0…{classCount - 1}.", nameof(actual));
            var row = probabilities.Slice(i * classCount, classCount);
            double total = 0;
            foreach (double p in row) total += Math.Clamp(p, Epsilon, 1 - Epsilon);
            sum -= Math.Log(Math.Clamp(row[actual[i]], Epsilon, 1 - Epsilon) / total);
        }
        return sum / actual.Length;
    }

    /// <summary>
    /// Reliability of binary probabilities: the samples binned by predicted probability into <paramref name="bins"/> equal
    /// bins of [0, 1] (bin b holds (b/B, (b+1)/B], the first also 0, as scikit-learn's <c>calibration_curve</c> with
    /// <c>strategy='uniform'</c>), with each bin's mean prediction and fraction of positives, the expected calibration
    /// error Σ (nᵦ / n)·|fraction positive − mean prediction| and the Brier score mean((p − y)²).
    /// </summary>
    /// <param name="actual">0 or 1 per sample.</param>
    /// <param name="probability">The predicted probability of 1 per sample, in [0, 1].</param>
    /// <param name="bins">Number of bins, ≥ 1.</param>
    /// <exception cref="ArgumentException">The lengths differ, a label is not 0 or 1, or a probability is outside [0, 1].</exception>
    public static CalibrationReport Calibration(ReadOnlySpan<int> actual, ReadOnlySpan<double> probability, int bins = 10)
    {
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), bins, "At least one bin is needed.");
        RankingMetrics.CheckBinary(actual, probability, nameof(Calibration));
        CheckProbabilities(probability, nameof(probability));
        return Reliability(actual, probability, bins, BrierScore(actual, probability));
    }

    /// <summary>
    /// The reliability table of <paramref name="confidence"/> against the 0/1 outcomes <paramref name="hit"/>, binned as
    /// scikit-learn's <c>calibration_curve(strategy='uniform')</c>: the inner edges are numpy's <c>linspace(0, 1, B + 1)</c>
    /// (k·(1/B), bit for bit), and a value on an edge belongs to the bin below it (<c>searchsorted(side='left')</c>).
    /// </summary>
    private static CalibrationReport Reliability(ReadOnlySpan<int> hit, ReadOnlySpan<double> confidence, int bins, double brier)
    {
        var count = new int[bins];
        var sumP = new double[bins];
        var positives = new int[bins];
        double step = 1.0 / bins;
        for (int i = 0; i < hit.Length; i++)
        {
            int b = 0;
            while (b < bins - 1 && (b + 1) * step < confidence[i]) b++;
            count[b]++;
            sumP[b] += confidence[i];
            positives[b] += hit[i];
        }
        var result = new List<CalibrationBin>(bins);
        double ece = 0;
        for (int b = 0; b < bins; b++)
        {
            double meanP = count[b] == 0 ? double.NaN : sumP[b] / count[b];
            double fraction = count[b] == 0 ? double.NaN : (double)positives[b] / count[b];
            result.Add(new CalibrationBin(b * step, b == bins - 1 ? 1 : (b + 1) * step, count[b], meanP, fraction));
            if (count[b] > 0) ece += (double)count[b] / hit.Length * Math.Abs(fraction - meanP);
        }
        return new CalibrationReport(result, ece, brier);
    }

    internal static void CheckProbabilities(ReadOnlySpan<double> p, string name)
    {
        for (int i = 0; i < p.Length; i++)
            if (!(p[i] >= 0 && p[i] <= 1)) throw new ArgumentException($"{name}[{i}] is {p[i]}; expected a probability in [0, 1].", name);
    }
}

/// <summary>One bin of a reliability diagram.</summary>
/// <param name="Lower">The bin's lower edge (exclusive, except 0).</param>
/// <param name="Upper">The bin's upper edge (inclusive).</param>
/// <param name="Count">Samples in the bin.</param>
/// <param name="MeanPredicted">The mean predicted probability of the bin's samples; NaN when empty.</param>
/// <param name="FractionPositive">The share of the bin's samples that are positive; NaN when empty.</param>
public readonly record struct CalibrationBin(double Lower, double Upper, int Count, double MeanPredicted, double FractionPositive);

/// <summary>A reliability diagram: the bins, the expected calibration error and the Brier score.</summary>
/// <param name="Bins">Every bin, empty ones included.</param>
/// <param name="ExpectedCalibrationError">Σ (nᵦ / n)·|fraction positive − mean prediction| over the non-empty bins (n samples, nᵦ in bin b).</param>
/// <param name="BrierScore">
/// The Brier score of the probabilities the report was made from: mean((p − y)²) for binary probabilities
/// (<see cref="ProbabilityMetrics.Calibration(ReadOnlySpan{int}, ReadOnlySpan{double}, int)"/>), the multi-class
/// mean Σ_c (p_c − [y = c])² for <see cref="ProbabilityMetrics.TopLabelCalibration(ReadOnlySpan{int}, ReadOnlySpan{double}, int, int)"/>.
/// </param>
public sealed record CalibrationReport(IReadOnlyList<CalibrationBin> Bins, double ExpectedCalibrationError, double BrierScore)
{
    /// <summary>The bins as a table and the expected calibration error.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder("bin           count  mean predicted  fraction positive\n");
        foreach (var b in Bins)
            sb.Append(c, $"{(b.Lower == 0 ? '[' : '(')}{b.Lower:F2}, {b.Upper:F2}]  {b.Count,5}  {(b.Count == 0 ? "" : b.MeanPredicted.ToString("F3", c)),14}  {(b.Count == 0 ? "" : b.FractionPositive.ToString("F3", c)),17}\n");
        return sb.Append(c, $"expected calibration error {ExpectedCalibrationError:F4}  Brier score {BrierScore:F4}").ToString();
    }
}

/// <summary>Regression metrics, defined as in scikit-learn.</summary>
public static class RegressionMetrics
{
    /// <summary>Mean of the squared errors.</summary>
    /// <exception cref="ArgumentException">The lengths differ, or there is no sample.</exception>
    public static double MeanSquaredError(ReadOnlySpan<double> actual, ReadOnlySpan<double> predicted)
    {
        Check(actual, predicted);
        double sum = 0;
        for (int i = 0; i < actual.Length; i++) sum += (actual[i] - predicted[i]) * (actual[i] - predicted[i]);
        return sum / actual.Length;
    }

    /// <summary>Square root of <see cref="MeanSquaredError"/>.</summary>
    /// <exception cref="ArgumentException">The lengths differ, or there is no sample.</exception>
    public static double RootMeanSquaredError(ReadOnlySpan<double> actual, ReadOnlySpan<double> predicted) => Math.Sqrt(MeanSquaredError(actual, predicted));

    /// <summary>Mean of the absolute errors.</summary>
    /// <exception cref="ArgumentException">The lengths differ, or there is no sample.</exception>
    public static double MeanAbsoluteError(ReadOnlySpan<double> actual, ReadOnlySpan<double> predicted)
    {
        Check(actual, predicted);
        double sum = 0;
        for (int i = 0; i < actual.Length; i++) sum += Math.Abs(actual[i] - predicted[i]);
        return sum / actual.Length;
    }

    /// <summary>
    /// Coefficient of determination, 1 − Σ(y − ŷ)² / Σ(y − ȳ)²; for constant actual values 1 when every prediction is exact
    /// and 0 otherwise (as scikit-learn's <c>r2_score</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The lengths differ, or there is no sample.</exception>
    public static double R2(ReadOnlySpan<double> actual, ReadOnlySpan<double> predicted)
    {
        Check(actual, predicted);
        double mean = 0;
        foreach (double y in actual) mean += y;
        mean /= actual.Length;
        double residual = 0, total = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            residual += (actual[i] - predicted[i]) * (actual[i] - predicted[i]);
            total += (actual[i] - mean) * (actual[i] - mean);
        }
        if (total == 0) return residual == 0 ? 1 : 0;
        return 1 - residual / total;
    }

    private static void Check(ReadOnlySpan<double> actual, ReadOnlySpan<double> predicted)
    {
        if (actual.Length != predicted.Length)
            throw new ArgumentException($"There are {actual.Length} actual values but {predicted.Length} predictions.", nameof(predicted));
        if (actual.Length == 0) throw new ArgumentException("At least one sample is needed.", nameof(actual));
    }
}
