using System;
using System.Linq;
using ModelGen.Data;
using ModelGen.Metrics;
using ModelGen.Tests.Data;
using Xunit;

namespace ModelGen.Tests.Metrics;

/// <summary>
/// Multi-class metrics of probabilities against scikit-learn's values on the same inputs (reference.json, section
/// multiclass_probabilities, written by make_reference.py): the probabilities are float32 values, as
/// Model.PredictProbabilities returns them, so the float overloads score exactly the numbers scikit-learn scored.
/// </summary>
public class MulticlassMetricsTests
{
    private const double Tolerance = 1e-12;
    private const string Section = "multiclass_probabilities.";
    private static readonly string[] Names = ["cat", "dog", "bird", "fish"];

    private static int[] Actual => Reference.Ints(Section + "actual");

    private static double[] Probabilities => Reference.Vector(Section + "probabilities");

    private static float[] FloatProbabilities => Probabilities.Select(p => (float)p).ToArray();

    private static int Classes => (int)Reference.Number(Section + "class_count");

    [Fact]
    public void TheFixtureIsFloat32AndHoldsTiesInRowsAndColumns()
    {
        var p = Probabilities;
        Assert.All(p, v => Assert.Equal(v, (double)(float)v));
        int k = Classes;
        bool rowTie = Enumerable.Range(0, Actual.Length).Any(i => p.Skip(i * k).Take(k).Distinct().Count() < k);
        Assert.True(rowTie, "some row should hold equal probabilities, so that top-k's tie rule is exercised");
        Assert.True(Enumerable.Range(0, Actual.Length).Select(i => p[i * k]).Distinct().Count() < Actual.Length, "column 0 should hold ties");
    }

    [Fact]
    public void OneVsRestRocAucMatchesScikitLearn()
    {
        var auc = RankingMetrics.RocAucOneVsRest(Actual, Probabilities, Classes);
        Reference.Close(Reference.Vector(Section + "roc_auc_per_class"), auc.PerClass.ToArray(), Tolerance, "per-class AUC");
        Reference.Close(Reference.Number(Section + "roc_auc_macro"), auc.Macro, Tolerance, "macro AUC");
        Reference.Close(Reference.Number(Section + "roc_auc_weighted"), auc.Weighted, Tolerance, "weighted AUC");
        Assert.Equal(Reference.Ints(Section + "support"), auc.Support.ToArray());
        Assert.NotEqual(auc.Macro, auc.Weighted, 6);
        var fromFloats = RankingMetrics.RocAucOneVsRest(Actual, FloatProbabilities, Classes);
        Assert.Equal(auc.PerClass, fromFloats.PerClass);
    }

    [Fact]
    public void OneVsRestAveragePrecisionMatchesScikitLearn()
    {
        var ap = RankingMetrics.AveragePrecisionOneVsRest(Actual, FloatProbabilities, Classes, Names);
        Reference.Close(Reference.Vector(Section + "average_precision_per_class"), ap.PerClass.ToArray(), Tolerance, "per-class AP");
        Reference.Close(Reference.Number(Section + "average_precision_macro"), ap.Macro, Tolerance, "macro AP");
        Reference.Close(Reference.Number(Section + "average_precision_weighted"), ap.Weighted, Tolerance, "weighted AP");
        string text = ap.ToString();
        Assert.Contains("average precision", text);
        Assert.Matches(@"(?m)^ *fish +0\.\d{4} +\d+$", text);
        Assert.Contains("weighted avg", text);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void TopKAccuracyMatchesScikitLearnIncludingItsTieRule(int k)
    {
        Reference.Close(Reference.Number(Section + "top_k." + k), RankingMetrics.TopKAccuracy(Actual, FloatProbabilities, Classes, k), Tolerance, $"top-{k}");
        Assert.Equal(1.0, RankingMetrics.TopKAccuracy(Actual, Probabilities, Classes, Classes));
    }

    [Fact]
    public void TopKTiesRankTheHigherClassIndexFirst()
    {
        // Row [0.4, 0.4, 0.2]: class 1 ranks first, class 0 second.
        double[] p = [0.4, 0.4, 0.2, 0.4, 0.4, 0.2];
        Assert.Equal(0.5, RankingMetrics.TopKAccuracy([0, 1], p, 3, 1));
        Assert.Equal(1.0, RankingMetrics.TopKAccuracy([0, 1], p, 3, 2));
    }

    [Fact]
    public void LogLossAndBrierScoreMatchScikitLearnAndTheDefinition()
    {
        Reference.Close(Reference.Number(Section + "log_loss"), ProbabilityMetrics.LogLoss(Actual, FloatProbabilities, Classes), Tolerance, "log-loss");
        Reference.Close(Reference.Number(Section + "brier"), ProbabilityMetrics.BrierScore(Actual, FloatProbabilities, Classes), Tolerance, "Brier");
        var yb = Reference.Ints("binary.actual");
        var pb = Reference.Vector("binary.probability");
        Reference.Close(Reference.Number("binary.brier"), ProbabilityMetrics.BrierScore(yb, pb), Tolerance, "binary Brier");
        // Two classes: the multi-class score counts both columns' errors, twice the binary one.
        var two = pb.SelectMany(p => new[] { 1 - p, p }).ToArray();
        Assert.Equal(2 * ProbabilityMetrics.BrierScore(yb, pb), ProbabilityMetrics.BrierScore(yb, two, 2), 12);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(10)]
    public void TopLabelCalibrationMatchesScikitLearnsCurveOfTheConfidence(int bins)
    {
        var report = ProbabilityMetrics.TopLabelCalibration(Actual, FloatProbabilities, Classes, bins);
        string key = Section + "top_label_calibration_" + bins;
        Assert.Equal(Reference.Ints(key + ".counts"), report.Bins.Select(b => b.Count).ToArray());
        var nonEmpty = report.Bins.Where(b => b.Count > 0).ToArray();
        Reference.Close(Reference.Vector(key + ".fraction_positive"), nonEmpty.Select(b => b.FractionPositive).ToArray(), Tolerance, "accuracy per bin");
        Reference.Close(Reference.Vector(key + ".mean_predicted"), nonEmpty.Select(b => b.MeanPredicted).ToArray(), Tolerance, "confidence per bin");
        Reference.Close(Reference.Number(key + ".ece"), report.ExpectedCalibrationError, Tolerance, "ECE");
        Reference.Close(Reference.Number(Section + "brier"), report.BrierScore, Tolerance, "Brier");
        Assert.Contains("Brier score", report.ToString());
    }

    [Fact]
    public void BinaryCalibrationReportCarriesTheBinaryBrierScore()
    {
        var yb = Reference.Ints("binary.actual");
        var pb = Reference.Vector("binary.probability");
        Reference.Close(Reference.Number("binary.brier"), ProbabilityMetrics.Calibration(yb, pb, 10).BrierScore, Tolerance, "Brier");
    }

    [Fact]
    public void ClassifierReportCombinesTheMetricsUnderTheClassNames()
    {
        var report = ClassifierReport.Compute(Actual, FloatProbabilities, Classes, Names, topK: 2, calibrationBins: 5);
        var confusion = Reference.Get(Section + "confusion").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        for (int a = 0; a < Classes; a++)
            for (int p = 0; p < Classes; p++) Assert.Equal(confusion[a][p], report.Classification.Matrix[a, p]);
        Reference.Close(Reference.Number(Section + "accuracy"), report.Classification.Accuracy, Tolerance, "accuracy");
        // With tied probabilities the arg-max (the first maximum, as numpy's) and top-1 (ties to the higher index, as
        // scikit-learn's top_k_accuracy_score) disagree on some rows; the fixture holds such rows.
        Assert.NotEqual(Reference.Number(Section + "top_k.1"), report.Classification.Accuracy, 6);
        Reference.Close(Reference.Number(Section + "top_k.2"), report.TopKAccuracy, Tolerance, "top-2");
        Reference.Close(Reference.Number(Section + "roc_auc_macro"), report.RocAuc!.Macro, Tolerance, "AUC");
        Reference.Close(Reference.Number(Section + "average_precision_weighted"), report.AveragePrecision!.Weighted, Tolerance, "AP");
        Reference.Close(Reference.Number(Section + "log_loss"), report.LogLoss, Tolerance, "log-loss");
        Reference.Close(Reference.Number(Section + "brier"), report.BrierScore, Tolerance, "Brier");
        Reference.Close(Reference.Number(Section + "top_label_calibration_5.ece"), report.Calibration.ExpectedCalibrationError, Tolerance, "ECE");
        string text = report.ToString();
        Assert.StartsWith("accuracy 0.", text);
        Assert.Contains("top-2 accuracy", text);
        Assert.Contains("ROC-AUC", text);
        // The confusion matrix and the per-class tables print the names, never the indices.
        Assert.Matches(@"(?m)^actual \\ predicted +cat +dog +bird +fish$", text);
        Assert.Matches(@"(?m)^ *bird( +\d+){4}$", text);
        Assert.Matches(@"(?m)^ *dog +0\.\d{4} +\d+$", text);
        Assert.DoesNotMatch(@"(?m)^ +3( +\d+){4}$", text);
    }

    [Fact]
    public void ClassifierReportTakesLabelsAndClassNamesFromATable()
    {
        var label = TableColumn.Categories("animal", Actual.Select(c => (string?)Names[c]).ToArray(), ColumnRole.Label);
        // Levels follow first appearance, so the table's class indices are a relabelling of the fixture's.
        var table = Table.Create("zoo", TableColumn.Numbers("x", new double[Actual.Length]), label);
        var data = table.ToDataset(TargetKind.ClassIndex);
        Assert.Equal(label.Levels, data.ClassNames);
        var remap = Names.Select(n => label.Levels.ToList().IndexOf(n)).ToArray();
        var p = new float[FloatProbabilities.Length];
        for (int i = 0; i < Actual.Length; i++)
            for (int c = 0; c < Classes; c++) p[i * Classes + remap[c]] = FloatProbabilities[i * Classes + c];
        var report = ClassifierReport.Compute(data, p);
        Assert.Equal(label.Levels, report.ClassNames);
        Reference.Close(Reference.Number(Section + "roc_auc_weighted"), report.RocAuc!.Weighted, Tolerance, "AUC");
        Assert.Equal(Actual.Count(c => c == 3), report.Classification.Matrix.Support(remap[3]));
        // The arg-max metrics of the same rows print the names too.
        var predicted = Enumerable.Range(0, data.Count).Select(i => ArgMax(p.AsSpan(i * Classes, Classes))).ToArray();
        var metrics = ClassificationMetrics.Compute(data, predicted);
        Assert.Equal(report.Classification.Accuracy, metrics.Accuracy);
        Assert.Contains("fish", metrics.ToString());
        // Class names survive slicing and feature maps.
        Assert.Equal(label.Levels, data.Slice(0, 5).MapFeatures(x => x + 1).ClassNames);
    }

    private static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int c = 1; c < row.Length; c++) if (row[c] > row[best]) best = c;
        return best;
    }

    [Fact]
    public void ClassifierReportOfBinaryProbabilitiesScoresClassOne()
    {
        var yb = Reference.Ints("binary.actual");
        var pb = Reference.Vector("binary.probability").Select(p => (float)p).ToArray();
        var report = ClassifierReport.Compute(yb, pb, 1, ["no", "yes"]);
        Assert.True(report.IsBinary);
        var wide = pb.Select(p => (double)p).ToArray();
        Assert.Equal(ProbabilityMetrics.BrierScore(yb, wide), report.BrierScore, 15);
        Assert.Equal(RankingMetrics.RocAuc(yb, wide), report.RocAuc!.PerClass[1], 12);
        Assert.Equal(ProbabilityMetrics.LogLoss(yb, wide), report.LogLoss, 12);
        Assert.True(double.IsNaN(report.TopKAccuracy));
        Assert.Contains("Calibration of the probability of 'yes'", report.ToString());
        Assert.DoesNotContain("top-", report.ToString());
    }

    [Fact]
    public void ClassifierReportSaysWhyRankingScoresAreMissing()
    {
        // No sample is a fish: one-vs-rest AUC of fish is undefined, and the report says so instead of a number.
        var report = ClassifierReport.Compute([0, 1, 2, 0], new float[] { .7f, .1f, .1f, .1f, .2f, .6f, .1f, .1f, .1f, .2f, .6f, .1f, .4f, .3f, .2f, .1f }, 4, Names);
        Assert.Null(report.RocAuc);
        Assert.Equal("no sample is of class 'fish'", report.RankingUndefined);
        Assert.Contains("ROC-AUC and PR-AUC: undefined, no sample is of class 'fish'", report.ToString());
        Assert.Equal(1.0, report.Classification.Accuracy);
    }

    [Fact]
    public void ModelScoresOfSeveralClassesIncludeTheOneVsRestMacroScores()
    {
        var random = new Random(3);
        var x = Enumerable.Range(0, 60 * 5).Select(_ => (float)random.NextDouble()).ToArray();
        var y = Enumerable.Range(0, 60).Select(i => i % 3).ToArray();
        var data = Dataset.ForClassification(x, 5, y, 3);
        var model = new ModelGen.Tests.Models.ReluNet(seed: 1);
        var scores = ModelScores.Evaluate(model, data);
        var p = model.PredictProbabilities(data);
        // Rank statistics: the float probabilities rank the rows as the scores' double ones do.
        Assert.Equal(RankingMetrics.RocAucOneVsRest(y, p, 3).Macro, scores.RocAuc, 10);
        Assert.Equal(RankingMetrics.AveragePrecisionOneVsRest(y, p, 3).Macro, scores.AveragePrecision, 10);
        Assert.Contains("ROC-AUC", scores.ToString());
    }

    [Fact]
    public void BadInputsAreErrorsThatSayWhy()
    {
        var e = Assert.Throws<ArgumentException>(() => RankingMetrics.RocAucOneVsRest([0, 1, 0], new double[9], 3, ["a", "b", "c"]));
        Assert.Contains("class 'c'", e.Message);
        Assert.Contains("none of the 3 samples", e.Message);
        Assert.Contains("need 6 scores", Assert.Throws<ArgumentException>(() => RankingMetrics.TopKAccuracy([0, 1], new double[5], 3, 1)).Message);
        Assert.Contains("sample 1, class 0 is NaN", Assert.Throws<ArgumentException>(() => RankingMetrics.TopKAccuracy([0, 1], [1, 0, double.NaN, 1], 2, 1)).Message);
        Assert.Contains("actual[1] is 3", Assert.Throws<ArgumentException>(() => ProbabilityMetrics.BrierScore([0, 3], new double[6], 3)).Message);
        Assert.Contains("probabilities[1] is 1.5", Assert.Throws<ArgumentException>(() => ProbabilityMetrics.TopLabelCalibration([0, 1], [0, 1.5, 0.5, 0.5], 2)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => RankingMetrics.TopKAccuracy([0, 1], new double[4], 2, 3));
        Assert.Contains("2 class names were given for 3 classes", Assert.Throws<ArgumentException>(() => ClassifierReport.Compute([0, 1, 2], new float[9], 3, ["a", "b"])).Message);
        var data = Dataset.ForClassification(new float[3], 1, [0, 1, 2]);
        Assert.Contains("do not split into the 3 rows", Assert.Throws<ArgumentException>(() => ClassifierReport.Compute(data, new float[7])).Message);
        Assert.Contains("row 2 is 2", Assert.Throws<ArgumentException>(() => ClassifierReport.Compute(data, new float[6])).Message);
        Assert.Contains("for a set of 3 classes", Assert.Throws<ArgumentException>(() => data.WithClassNames(["a", "b"])).Message);
        Assert.Contains("both named 'a'", Assert.Throws<ArgumentException>(() => data.WithClassNames(["a", "b", "a"])).Message);
    }
}
