using System;
using System.Linq;
using ModelGen.Metrics;
using ModelGen.Tests.Data;
using Xunit;

namespace ModelGen.Tests.Metrics;

/// <summary>Metrics against scikit-learn's values on the same inputs (reference.json), and against hand-computed cases.</summary>
public class ScoreMetricsTests
{
    /// <summary>The metrics are exact double arithmetic on both sides; only summation order differs.</summary>
    private const double Tolerance = 1e-12;

    [Fact]
    public void ClassificationMetricsMatchScikitLearn()
    {
        var actual = Reference.Ints("classification.actual");
        var predicted = Reference.Ints("classification.predicted");
        var m = ClassificationMetrics.Compute(actual, predicted, 3);
        Reference.Close(Reference.Number("classification.accuracy"), m.Accuracy, Tolerance, "accuracy");
        foreach (var (name, scores) in new[] { ("macro", m.Macro), ("micro", m.Micro), ("weighted", m.Weighted) })
            Reference.Close(Reference.Vector("classification." + name), [scores.Precision, scores.Recall, scores.F1], Tolerance, name);
        var confusion = Reference.Get("classification.confusion").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        for (int a = 0; a < 3; a++)
            for (int p = 0; p < 3; p++) Assert.Equal(confusion[a][p], m.Matrix[a, p]);
    }

    [Fact]
    public void RocAucAveragePrecisionAndLogLossMatchScikitLearnWithTiedScores()
    {
        var y = Reference.Ints("binary.actual");
        var p = Reference.Vector("binary.probability");
        Assert.True(p.Distinct().Count() < p.Length, "the reference scores should contain ties");
        Reference.Close(Reference.Number("binary.roc_auc"), RankingMetrics.RocAuc(y, p), Tolerance, "ROC-AUC");
        Reference.Close(Reference.Number("binary.average_precision"), RankingMetrics.AveragePrecision(y, p), Tolerance, "AP");
        Reference.Close(Reference.Number("binary.log_loss"), ProbabilityMetrics.LogLoss(y, p), Tolerance, "log-loss");
    }

    [Theory]
    [InlineData(5)]
    [InlineData(10)]
    public void CalibrationBinsAndExpectedErrorMatchScikitLearn(int bins)
    {
        var y = Reference.Ints("binary.actual");
        var p = Reference.Vector("binary.probability");
        var report = ProbabilityMetrics.Calibration(y, p, bins);
        var nonEmpty = report.Bins.Where(b => b.Count > 0).ToArray();
        string key = "binary.calibration_" + bins;
        Assert.Equal(Reference.Ints(key + ".counts"), report.Bins.Select(b => b.Count).ToArray());
        Reference.Close(Reference.Vector(key + ".fraction_positive"), nonEmpty.Select(b => b.FractionPositive).ToArray(), Tolerance, "fraction positive");
        Reference.Close(Reference.Vector(key + ".mean_predicted"), nonEmpty.Select(b => b.MeanPredicted).ToArray(), Tolerance, "mean predicted");
        Reference.Close(Reference.Number(key + ".ece"), report.ExpectedCalibrationError, Tolerance, "ECE");
        Assert.Contains("expected calibration error", report.ToString());
    }

    [Fact]
    public void MultiClassLogLossMatchesScikitLearn()
    {
        var y = Reference.Ints("multiclass_log_loss.actual");
        var p = Reference.Vector("multiclass_log_loss.probabilities");
        Reference.Close(Reference.Number("multiclass_log_loss.log_loss"), ProbabilityMetrics.LogLoss(y, p, 3), Tolerance, "log-loss");
    }

    [Fact]
    public void RegressionMetricsMatchScikitLearn()
    {
        var y = Reference.Vector("regression.actual");
        var p = Reference.Vector("regression.predicted");
        Reference.Close(Reference.Number("regression.mse"), RegressionMetrics.MeanSquaredError(y, p), Tolerance, "MSE");
        Reference.Close(Reference.Number("regression.mae"), RegressionMetrics.MeanAbsoluteError(y, p), Tolerance, "MAE");
        Reference.Close(Reference.Number("regression.rmse"), RegressionMetrics.RootMeanSquaredError(y, p), Tolerance, "RMSE");
        Reference.Close(Reference.Number("regression.r2"), RegressionMetrics.R2(y, p), Tolerance, "R²");
    }

    [Fact]
    public void PrecisionAtKAndAveragePrecisionAtKMatchTheirDefinition()
    {
        var rel = Reference.Ints("ranking.relevant");
        var s = Reference.Vector("ranking.scores");
        var ks = Reference.Ints("ranking.k");
        var p = Reference.Vector("ranking.precision_at_k");
        var ap = Reference.Vector("ranking.ap_at_k");
        for (int i = 0; i < ks.Length; i++)
        {
            Reference.Close(p[i], RankingMetrics.PrecisionAtK(rel, s, ks[i]), Tolerance, $"P@{ks[i]}");
            Reference.Close(ap[i], RankingMetrics.AveragePrecisionAtK(rel, s, ks[i]), Tolerance, $"AP@{ks[i]}");
        }
    }

    [Fact]
    public void HandComputedRankingCases()
    {
        // Scores 0.9 (pos), 0.8 (neg), 0.7 (pos), 0.1 (neg): one discordant pair of four → AUC 0.75.
        int[] y = [1, 0, 1, 0];
        double[] s = [0.9, 0.8, 0.7, 0.1];
        Assert.Equal(0.75, RankingMetrics.RocAuc(y, s), 12);
        // AP: thresholds 0.9 (P 1, R .5), 0.8 (P .5, R .5), 0.7 (P 2/3, R 1) → .5·1 + .5·2/3.
        Assert.Equal(0.5 + 0.5 * 2 / 3.0, RankingMetrics.AveragePrecision(y, s), 12);
        Assert.Equal(0.5, RankingMetrics.PrecisionAtK(y, s, 2), 12);
        Assert.Equal((1 + 2 / 3.0) / 2, RankingMetrics.AveragePrecisionAtK(y, s, 3), 12);
        // All scores tied: AUC is one half.
        Assert.Equal(0.5, RankingMetrics.RocAuc(y, [0.3, 0.3, 0.3, 0.3]), 12);
    }

    [Fact]
    public void BadInputsAreErrorsThatSayWhy()
    {
        Assert.Contains("both classes", Assert.Throws<ArgumentException>(() => RankingMetrics.RocAuc([1, 1], [0.2, 0.3])).Message);
        Assert.Contains("actual[1] is 2", Assert.Throws<ArgumentException>(() => RankingMetrics.RocAuc([1, 2], [0.2, 0.3])).Message);
        Assert.Contains("probability", Assert.Throws<ArgumentException>(() => ProbabilityMetrics.LogLoss([1, 0], [1.2, 0.3])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => RankingMetrics.PrecisionAtK([1, 0], [0.2, 0.3], 3));
        Assert.Throws<ArgumentException>(() => RegressionMetrics.R2([1, 2], [1]));
    }

    [Fact]
    public void R2OfConstantActualsFollowsScikitLearn()
    {
        Assert.Equal(1, RegressionMetrics.R2([2, 2, 2], [2, 2, 2]));
        Assert.Equal(0, RegressionMetrics.R2([2, 2, 2], [2, 2, 3]));
    }

    [Fact]
    public void BinaryModelScoresCombineTheMetrics()
    {
        var scores = ModelScores.Binary([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1]);
        Assert.Equal(0.75, scores.Accuracy, 12);       // predicted 1, 1, 1, 0
        Assert.Equal(2 / 3.0, scores.Precision, 12);
        Assert.Equal(1, scores.Recall, 12);
        Assert.Equal(0.8, scores.F1, 12);
        Assert.Equal(0.75, scores.RocAuc, 12);
        Assert.True(double.IsNaN(scores.MeanSquaredError));
        var mean = ModelScores.Mean([scores, scores with { Accuracy = 0.25 }]);
        Assert.Equal(0.5, mean.Accuracy, 12);
        Assert.Equal(8, mean.Count);
        Assert.Equal(Math.Sqrt(0.125), ModelScores.StandardDeviation([scores, scores with { Accuracy = 0.25 }]).Accuracy, 12);
    }
}
