using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ModelGen.Data;
using Xunit;

namespace ModelGen.Tests.Data;

/// <summary>
/// Real tables for the save/restore tests: a sample CSV (wine or breast cancer) with two category columns derived from
/// its measurements, an unused group-key column, and optionally missing values; split into training and held-out rows.
/// </summary>
internal static class PreprocessingFixture
{
    /// <summary>The numeric column that gets missing values (every 7th row) when asked for.</summary>
    public const string Gappy = "f2";

    public static TrainTestSplit Load(string file, bool missing, long seed = 7) =>
        Split.TrainTest(LoadTable(file, missing), testFraction: 0.25, SplitKind.Random, seed);

    public static Table<Unsplit> LoadTable(string file, bool missing)
    {
        var table = Datasets.LoadLabeledTable(TestFiles.SampleData(file), sourceName: file);
        int n = table.RowCount;
        var f0 = table["f0"].Values.ToArray();
        var f1 = table["f1"].Values.ToArray();
        // Terciles of f0 (with a few missing), and f1 to one significant figure: many levels, some seen only in held-out rows.
        var sorted = f0.Order().ToArray();
        double low = sorted[n / 3], high = sorted[2 * n / 3];
        var band = f0.Select((x, r) => r % 11 == 5 ? null : x < low ? "low" : x < high ? "mid" : "high").ToArray();
        var level = f1.Select(x => "v" + x.ToString("G1", CultureInfo.InvariantCulture)).ToArray();
        var batch = Enumerable.Range(0, n).Select(r => "b" + (r % 5).ToString(CultureInfo.InvariantCulture)).ToArray();
        table = table.WithColumn(TableColumn.Categories("band", band))
                     .WithColumn(TableColumn.Categories("level", level))
                     .WithColumn(TableColumn.Categories("batch", batch, ColumnRole.GroupKey));
        if (missing)
        {
            var gappy = table[Gappy].Values.ToArray();
            for (int r = 3; r < n; r += 7) gappy[r] = double.NaN;
            table = table.WithColumn(TableColumn.Numbers(Gappy, gappy));
        }
        return table;
    }

    /// <summary>The numeric feature columns, without the one with gaps: inputs for steps that refuse missing values.</summary>
    public static string[] Complete(Table table) => table.FeatureColumns.Where(c => c != Gappy).ToArray();

    /// <summary>Asserts the two tables are the same: columns (name, type, role, levels) and every value's bits, row provenance.</summary>
    public static void AssertIdentical(Table expected, Table actual)
    {
        Assert.Equal(expected.Columns.Select(c => c.Name), actual.Columns.Select(c => c.Name));
        Assert.Equal(expected.Provenance, actual.Provenance);
        for (int j = 0; j < expected.ColumnCount; j++)
        {
            TableColumn e = expected.Columns[j], a = actual.Columns[j];
            Assert.Equal(e.Type, a.Type);
            Assert.Equal(e.Role, a.Role);
            Assert.Equal(e.Levels, a.Levels);
            for (int r = 0; r < e.Count; r++)
                if (BitConverter.DoubleToInt64Bits(e[r]) != BitConverter.DoubleToInt64Bits(a[r]))
                    Assert.Fail($"column '{e.Name}', row {r}: expected {e[r]:R}, restored gives {a[r]:R}");
        }
    }

    public static void AssertIdentical(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"input {i}: expected {expected[i]:R}, restored gives {actual[i]:R}");
    }

    /// <summary>The features a model would take from a transformed training table: numeric features with no missing value.</summary>
    public static string[] ModelFeatures(Table transformedTrain) =>
        transformedTrain.FeatureColumns.Where(c => !transformedTrain[c].Values.ToArray().Any(double.IsNaN)).ToArray();

    /// <summary>Each transformer kind, alone, on the table it suits (file, whether it has gaps, the recipe).</summary>
    public static IEnumerable<(string Name, string File, bool Missing, Func<Table, Transformer> Recipe)> Kinds()
    {
        yield return ("StandardScaler", "wine_data.csv", true, _ => new StandardScaler());
        yield return ("MinMaxScaler", "wine_data.csv", true, _ => new MinMaxScaler(min: -1, max: 2));
        yield return ("Imputer(Mean)", "wine_data.csv", true, _ => new Imputer(ImputeStrategy.Mean));
        yield return ("Imputer(Median)", "breast_cancer.csv", true, _ => new Imputer(ImputeStrategy.Median));
        yield return ("OneHotEncoder", "wine_data.csv", false, _ => new OneHotEncoder());
        yield return ("OneHotEncoder(numbers)", "wine_data.csv", false, _ => new OneHotEncoder(["band", "f4"], UnknownLevels.Ignore));
        yield return ("OneHotEncoder(Error)", "wine_data.csv", false, _ => new OneHotEncoder(["band"], UnknownLevels.Error));
        yield return ("TargetEncoder", "breast_cancer.csv", false, _ => new TargetEncoder(smoothing: 2.5, seed: 3));
        yield return ("FeatureHasher", "wine_data.csv", false, _ => new FeatureHasher(8, ["band", "level", "f4"]));
        yield return ("FeatureHasher(no sign)", "wine_data.csv", false, _ => new FeatureHasher(5, alternateSign: false, prefix: "h"));
        yield return ("PolynomialFeatures", "wine_data.csv", false, _ => new PolynomialFeatures(2, ["f0", "f3", "f5"]));
        yield return ("PolynomialFeatures(3, crosses)", "wine_data.csv", false, _ => new PolynomialFeatures(3, ["f0", "f3", "f5", "f6"], interactionOnly: true));
        yield return ("VarianceThreshold", "wine_data.csv", true, _ => new VarianceThreshold(0.5));
        yield return ("SelectKBest(AnovaF)", "wine_data.csv", true, t => new SelectKBest(5, FeatureScore.AnovaF, Complete(t)));
        yield return ("SelectKBest(RegressionF)", "breast_cancer.csv", false, _ => new SelectKBest(7, FeatureScore.RegressionF));
        yield return ("Pca", "wine_data.csv", true, t => new Pca(4, Complete(t)));
        yield return ("RandomOverSampler", "breast_cancer.csv", false, _ => new RandomOverSampler(seed: 1));
        yield return ("RandomUnderSampler", "wine_data.csv", false, _ => new RandomUnderSampler(seed: 1));
        yield return ("Smote", "wine_data.csv", false, _ => new Smote(seed: 1));
    }

    /// <summary>A pipeline of most kinds: imputing, encoding, crossing, scaling, oversampling, selecting and projecting.</summary>
    public static Pipeline LongPipeline() => new(
        new Imputer(ImputeStrategy.Median),
        new OneHotEncoder(["band"]),
        new TargetEncoder(["level"], smoothing: 1, seed: 2),
        new PolynomialFeatures(2, ["f0", "f3"]),
        new StandardScaler(),
        new Smote(seed: 4),
        new VarianceThreshold(0.1),
        new MinMaxScaler(),
        new SelectKBest(12, FeatureScore.AnovaF),
        new Pca(6));
}
