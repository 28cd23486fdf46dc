using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace ModelGen.Metrics;

/// <summary>
/// The scores of a trained <see cref="Model"/> on a <see cref="Dataset"/>, chosen by the model's loss; a score that does
/// not apply is NaN. Binary cross-entropy with one output (probability = sigmoid of the logit, class 1 when above 0.5):
/// accuracy, precision, recall and F1 of class 1, ROC-AUC, average precision, log-loss. Softmax cross-entropy
/// (probabilities = softmax, class = arg-max): accuracy, macro precision, recall and F1, log-loss, and ROC-AUC and average
/// precision — of class 1 for two classes, the one-vs-rest macro averages for more when every class occurs in the data.
/// Mean squared error: MSE, MAE, R². <see cref="ClassifierReport"/> gives the per-class detail.
/// </summary>
public sealed record ModelScores
{
    /// <summary>Number of samples scored.</summary>
    public int Count { get; init; }

    /// <summary>Share of samples classified correctly.</summary>
    public double Accuracy { get; init; } = double.NaN;

    /// <summary>Precision of class 1 (binary) or macro precision (multi-class).</summary>
    public double Precision { get; init; } = double.NaN;

    /// <summary>Recall of class 1 (binary) or macro recall (multi-class).</summary>
    public double Recall { get; init; } = double.NaN;

    /// <summary>F1 of class 1 (binary) or macro F1 (multi-class).</summary>
    public double F1 { get; init; } = double.NaN;

    /// <summary>Area under the ROC curve of the class-1 probability (binary), or the one-vs-rest macro average (more classes).</summary>
    public double RocAuc { get; init; } = double.NaN;

    /// <summary>Average precision (area under the precision-recall curve) of the class-1 probability (binary), or the one-vs-rest macro average (more classes).</summary>
    public double AveragePrecision { get; init; } = double.NaN;

    /// <summary>Log-loss of the predicted probabilities.</summary>
    public double LogLoss { get; init; } = double.NaN;

    /// <summary>Mean squared error (regression).</summary>
    public double MeanSquaredError { get; init; } = double.NaN;

    /// <summary>Mean absolute error (regression).</summary>
    public double MeanAbsoluteError { get; init; } = double.NaN;

    /// <summary>Coefficient of determination (regression).</summary>
    public double R2 { get; init; } = double.NaN;

    /// <summary>Runs <paramref name="model"/> on <paramref name="data"/> and scores its predictions.</summary>
    /// <exception cref="ArgumentException">The data does not fit the model, or a binary model has more than one output.</exception>
    public static ModelScores Evaluate(Model model, Dataset data)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        // Scores describe one prediction per sample; a model with several heads has one per head.
        if (model.Heads.Count > 1)
            throw new ArgumentException($"{model.GetType().Name} has {model.Heads.Count} heads ({string.Join(", ", model.Heads.Select(h => h.Name))}); Evaluate reports each head's loss and accuracy.", nameof(model));
        if (model.Loss == Loss.Contrastive)
            throw new ArgumentException($"{model.GetType().Name} outputs pairs of embeddings (Loss.Contrastive), which these scores do not describe; Evaluate reports its loss.", nameof(model));
        if (model.Loss == Loss.SoftmaxCrossEntropy && model.LabelsPerSample > 1)
            throw new ArgumentException($"{model.GetType().Name} classifies each of its {model.LabelsPerSample} positions, which these per-sample scores do not describe; Evaluate reports the per-position loss and accuracy{(model.MaskPaddingIndex >= 0 ? " over each sample's real positions" : "")}.", nameof(model));
        var outputs = model.Predict(data);
        int n = data.Count, width = model.OutputSize;
        switch (model.Loss)
        {
            case Loss.BinaryCrossEntropy:
            {
                if (width != 1) throw new ArgumentException($"Scores of a binary model need one output; {model.GetType().Name} has {width}.", nameof(model));
                var actual = new int[n];
                var p = new double[n];
                for (int i = 0; i < n; i++)
                {
                    actual[i] = data.Targets[i] > 0.5f ? 1 : 0;
                    p[i] = 1 / (1 + Math.Exp(-outputs[i]));
                }
                return Binary(actual, p);
            }
            case Loss.SoftmaxCrossEntropy:
            {
                var actual = new int[n];
                var probabilities = new double[n * width];
                var predicted = new int[n];
                for (int i = 0; i < n; i++)
                {
                    actual[i] = data.Label(i);
                    var row = outputs.AsSpan(i * width, width);
                    float max = row[0];
                    foreach (float o in row) max = Math.Max(max, o);
                    double sum = 0;
                    for (int c = 0; c < width; c++) sum += probabilities[i * width + c] = Math.Exp(row[c] - max);
                    for (int c = 0; c < width; c++)
                    {
                        probabilities[i * width + c] /= sum;
                        if (probabilities[i * width + c] > probabilities[i * width + predicted[i]]) predicted[i] = c;
                    }
                }
                var m = ClassificationMetrics.Compute(actual, predicted, width);
                var scores = new ModelScores
                {
                    Count = n, Accuracy = m.Accuracy, Precision = m.Macro.Precision, Recall = m.Macro.Recall, F1 = m.Macro.F1,
                    LogLoss = ProbabilityMetrics.LogLoss(actual, probabilities, width),
                };
                if (width == 2 && actual.Distinct().Count() == 2)
                {
                    var p1 = Enumerable.Range(0, n).Select(i => probabilities[i * 2 + 1]).ToArray();
                    scores = scores with { RocAuc = RankingMetrics.RocAuc(actual, p1), AveragePrecision = RankingMetrics.AveragePrecision(actual, p1) };
                }
                else if (width > 2 && actual.Distinct().Count() == width)
                {
                    scores = scores with
                    {
                        RocAuc = RankingMetrics.RocAucOneVsRest(actual, probabilities, width).Macro,
                        AveragePrecision = RankingMetrics.AveragePrecisionOneVsRest(actual, probabilities, width).Macro,
                    };
                }
                return scores;
            }
            default:
            {
                var actual = data.Targets.Select(t => (double)t).ToArray();
                var predicted = outputs.Select(o => (double)o).ToArray();
                return new ModelScores
                {
                    Count = n,
                    MeanSquaredError = RegressionMetrics.MeanSquaredError(actual, predicted),
                    MeanAbsoluteError = RegressionMetrics.MeanAbsoluteError(actual, predicted),
                    R2 = RegressionMetrics.R2(actual, predicted),
                };
            }
        }
    }

    /// <summary>Scores of binary probabilities (class 1 when above 0.5).</summary>
    /// <param name="actual">0 or 1 per sample.</param>
    /// <param name="probability">The predicted probability of 1 per sample.</param>
    /// <exception cref="ArgumentException">The lengths differ, a label is not 0 or 1, or a probability is outside [0, 1].</exception>
    public static ModelScores Binary(ReadOnlySpan<int> actual, ReadOnlySpan<double> probability)
    {
        var predicted = new int[probability.Length];
        for (int i = 0; i < predicted.Length; i++) predicted[i] = probability[i] > 0.5 ? 1 : 0;
        var m = ClassificationMetrics.Compute(actual, predicted, 2);
        bool both = actual.Contains(0) && actual.Contains(1);
        return new ModelScores
        {
            Count = actual.Length, Accuracy = m.Accuracy, Precision = m.Precision(1), Recall = m.Recall(1), F1 = m.F1(1),
            RocAuc = both ? RankingMetrics.RocAuc(actual, probability) : double.NaN,
            AveragePrecision = actual.Contains(1) ? RankingMetrics.AveragePrecision(actual, probability) : double.NaN,
            LogLoss = ProbabilityMetrics.LogLoss(actual, probability),
        };
    }

    /// <summary>The mean of each score over <paramref name="scores"/> (e.g. cross-validation folds); Count is the total.</summary>
    public static ModelScores Mean(IReadOnlyList<ModelScores> scores) => Combine(scores, values => values.Average());

    /// <summary>The sample standard deviation (n − 1) of each score over <paramref name="scores"/>; Count is the total.</summary>
    public static ModelScores StandardDeviation(IReadOnlyList<ModelScores> scores) => Combine(scores, values =>
    {
        if (values.Length < 2) return double.NaN;
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
    });

    private static ModelScores Combine(IReadOnlyList<ModelScores> scores, Func<double[], double> f)
    {
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Count == 0) throw new ArgumentException("No scores to combine.", nameof(scores));
        double Of(Func<ModelScores, double> get) => f(scores.Select(get).ToArray());
        return new ModelScores
        {
            Count = scores.Sum(s => s.Count),
            Accuracy = Of(s => s.Accuracy), Precision = Of(s => s.Precision), Recall = Of(s => s.Recall), F1 = Of(s => s.F1),
            RocAuc = Of(s => s.RocAuc), AveragePrecision = Of(s => s.AveragePrecision), LogLoss = Of(s => s.LogLoss),
            MeanSquaredError = Of(s => s.MeanSquaredError), MeanAbsoluteError = Of(s => s.MeanAbsoluteError), R2 = Of(s => s.R2),
        };
    }

    /// <summary>The scores that apply, e.g. <c>accuracy 0.9649  F1 0.9722  ROC-AUC 0.9954  log-loss 0.0912</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        void Add(string name, double v)
        {
            if (double.IsNaN(v)) return;
            if (sb.Length > 0) sb.Append("  ");
            sb.Append(name).Append(' ').Append(v.ToString("F4", CultureInfo.InvariantCulture));
        }
        Add("accuracy", Accuracy);
        Add("precision", Precision);
        Add("recall", Recall);
        Add("F1", F1);
        Add("ROC-AUC", RocAuc);
        Add("AP", AveragePrecision);
        Add("log-loss", LogLoss);
        Add("MSE", MeanSquaredError);
        Add("MAE", MeanAbsoluteError);
        Add("R²", R2);
        return sb.ToString();
    }
}
