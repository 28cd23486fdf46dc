using System;
using ModelGen.Metrics;
using Xunit;

namespace ModelGen.Tests.Metrics;

public class ClassificationMetricsTests
{
    // Matrix (rows actual, columns predicted):
    //   [2 1 1]   support 4
    //   [1 2 0]   support 3
    //   [0 1 2]   support 3
    // column sums 3, 4, 3; diagonal 2, 2, 2.
    private static readonly int[] Actual = { 0, 0, 0, 0, 1, 1, 1, 2, 2, 2 };
    private static readonly int[] Predicted = { 0, 0, 1, 2, 1, 1, 0, 2, 2, 1 };

    private const double Tol = 1e-12;

    [Fact]
    public void ConfusionMatrixCountsPairsRowsActualColumnsPredicted()
    {
        var m = new ConfusionMatrix(Actual, Predicted, 3);
        int[,] expected = { { 2, 1, 1 }, { 1, 2, 0 }, { 0, 1, 2 } };
        for (int a = 0; a < 3; a++)
            for (int p = 0; p < 3; p++)
                Assert.Equal(expected[a, p], m[a, p]);
        Assert.Equal(10, m.Total);
        Assert.Equal(6, m.Correct);
        Assert.Equal(new[] { 4, 3, 3 }, new[] { m.Support(0), m.Support(1), m.Support(2) });
        Assert.Equal(new[] { 3, 4, 3 }, new[] { m.PredictedCount(0), m.PredictedCount(1), m.PredictedCount(2) });
        Assert.Equal(1, m.FalsePositives(0));
        Assert.Equal(2, m.FalseNegatives(0));
        Assert.Equal(new[] { "0", "1", "2" }, m.ClassNames);
    }

    [Fact]
    public void PerClassScoresMatchScikitLearnDefinitions()
    {
        var r = ClassificationMetrics.Compute(Actual, Predicted, 3);
        Assert.Equal(0.6, r.Accuracy, Tol);
        // precision = TP / predicted, recall = TP / support, F1 = 2TP / (2TP + FP + FN)
        Assert.Equal(2.0 / 3, r.Precision(0), Tol);
        Assert.Equal(2.0 / 4, r.Precision(1), Tol);
        Assert.Equal(2.0 / 3, r.Precision(2), Tol);
        Assert.Equal(2.0 / 4, r.Recall(0), Tol);
        Assert.Equal(2.0 / 3, r.Recall(1), Tol);
        Assert.Equal(2.0 / 3, r.Recall(2), Tol);
        Assert.Equal(4.0 / 7, r.F1(0), Tol);
        Assert.Equal(4.0 / 7, r.F1(1), Tol);
        Assert.Equal(2.0 / 3, r.F1(2), Tol);
    }

    [Fact]
    public void AveragesMatchScikitLearnDefinitions()
    {
        var r = ClassificationMetrics.Compute(Actual, Predicted, 3);
        Assert.Equal(11.0 / 18, r.Macro.Precision, Tol);
        Assert.Equal(11.0 / 18, r.Macro.Recall, Tol);
        Assert.Equal(38.0 / 63, r.Macro.F1, Tol);
        Assert.Equal(0.6, r.Micro.Precision, Tol);
        Assert.Equal(0.6, r.Micro.Recall, Tol);
        Assert.Equal(0.6, r.Micro.F1, Tol);
        Assert.Equal(37.0 / 60, r.Weighted.Precision, Tol);
        Assert.Equal(0.6, r.Weighted.Recall, Tol);
        Assert.Equal(0.6, r.Weighted.F1, Tol);
    }

    [Fact]
    public void ZeroDivisionCountsAsZeroAndAbsentClassesStayInTheMacroAverage()
    {
        // Class 2 occurs in neither array: all its scores are 0 and it still counts in the macro mean,
        // as scikit-learn with labels=[0, 1, 2], zero_division=0.
        var r = ClassificationMetrics.Compute(new[] { 0, 1, 0, 1 }, new[] { 0, 0, 0, 1 }, 3);
        Assert.Equal(0.0, r.Precision(2));
        Assert.Equal(0.0, r.Recall(2));
        Assert.Equal(0.0, r.F1(2));
        Assert.Equal(5.0 / 9, r.Macro.Precision, Tol);
        Assert.Equal(0.5, r.Macro.Recall, Tol);
        Assert.Equal(22.0 / 45, r.Macro.F1, Tol);
        Assert.Equal(0.75, r.Accuracy, Tol);
    }

    [Fact]
    public void ClassPredictedButNeverActualHasZeroRecallAndF1()
    {
        var r = ClassificationMetrics.Compute(new[] { 0, 0 }, new[] { 1, 0 }, 2);
        Assert.Equal(0.0, r.Precision(1));
        Assert.Equal(0.0, r.Recall(1));
        Assert.Equal(0.0, r.F1(1));
        Assert.Equal(1.0, r.Precision(0));
        Assert.Equal(0.5, r.Recall(0));
        Assert.Equal(2.0 / 3, r.F1(0), Tol);
        // Weighted by support: class 1 has none, so only class 0 counts.
        Assert.Equal(1.0, r.Weighted.Precision, Tol);
    }

    [Fact]
    public void EmptyInputGivesZeros()
    {
        var r = ClassificationMetrics.Compute(Array.Empty<int>(), Array.Empty<int>(), 2);
        Assert.Equal(0.0, r.Accuracy);
        Assert.Equal(default, r.Macro);
        Assert.Equal(default, r.Micro);
        Assert.Equal(default, r.Weighted);
    }

    [Fact]
    public void InvalidInputIsRejected()
    {
        Assert.Throws<ArgumentException>(() => new ConfusionMatrix(new[] { 0, 1 }, new[] { 0 }, 2));
        var e = Assert.Throws<ArgumentException>(() => new ConfusionMatrix(new[] { 0, 2 }, new[] { 0, 1 }, 2));
        Assert.Contains("actual[1] is 2", e.Message);
        e = Assert.Throws<ArgumentException>(() => new ConfusionMatrix(new[] { 0, 1 }, new[] { -1, 1 }, 2));
        Assert.Contains("predicted[0] is -1", e.Message);
        Assert.Throws<ArgumentException>(() => new ConfusionMatrix(new[] { 0 }, new[] { 0 }, 2, new[] { "a" }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConfusionMatrix(new int[0], new int[0], 0));
    }

    [Fact]
    public void ReportLooksLikeScikitLearnsAndEndsWithTheMatrix()
    {
        var r = ClassificationMetrics.Compute(Actual, Predicted, 3, new[] { "setosa", "versicolor", "virginica" });
        string nl = Environment.NewLine;
        string expected =
            "              precision    recall  f1-score   support" + nl +
            nl +
            "      setosa       0.67      0.50      0.57         4" + nl +
            "  versicolor       0.50      0.67      0.57         3" + nl +
            "   virginica       0.67      0.67      0.67         3" + nl +
            nl +
            "    accuracy                           0.60        10" + nl +
            "   macro avg       0.61      0.61      0.60        10" + nl +
            "   micro avg       0.60      0.60      0.60        10" + nl +
            "weighted avg       0.62      0.60      0.60        10" + nl +
            nl +
            "Confusion matrix (rows: actual class, columns: predicted class)" + nl +
            "actual \\ predicted      setosa  versicolor   virginica" + nl +
            "            setosa           2           1           1" + nl +
            "        versicolor           1           2           0" + nl +
            "         virginica           0           1           2" + nl;
        Assert.Equal(expected, r.ToString());
        Assert.Contains("0.6111", r.ToString(4));
    }
}
