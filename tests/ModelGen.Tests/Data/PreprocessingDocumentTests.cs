using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using ModelGen.Data;
using ModelGen.Serialization;
using Xunit;
using static ModelGen.Tests.Data.PreprocessingFixture;

namespace ModelGen.Tests.Data;

/// <summary>Fitted preprocessing saved as a <see cref="PreprocessingDocument"/> and restored transforms held-out rows bit for bit.</summary>
public class PreprocessingDocumentTests
{
    public static TheoryData<string> KindNames() => new(Kinds().Select(k => k.Name));

    /// <summary>Fits, saves, restores from the text alone, and compares the restored transform with the original on held-out rows.</summary>
    private static (PreprocessingDocument Saved, PreprocessingDocument Restored, string Json) RoundTrip(Table<Train> train, Table<Test> test, Transformer recipe)
    {
        var (fitted, trainOutput) = recipe.FitTransform(train);
        var saved = PreprocessingDocument.Create(train, fitted, ModelFeatures(trainOutput));
        string json = saved.ToJson();
        var restored = PreprocessingDocument.FromJson(json, "round trip");

        Assert.NotSame(fitted, restored.Preprocessing);
        Assert.True(restored.Preprocessing!.IsRestored);
        Assert.False(fitted.IsRestored);
        Assert.Empty(restored.Preprocessing.FittedOn);
        Assert.Equal(fitted.FittedRowCount, restored.Preprocessing.FittedRowCount);
        AssertIdentical(fitted.Transform(test), restored.Transform(test));
        AssertIdentical(saved.ToFeatureMatrix(test), restored.ToFeatureMatrix(test));
        Assert.Equal(saved.Features, restored.Features);
        // Everything the writer reads back is written again the same: no state is lost or reordered.
        Assert.Equal(json, restored.ToJson());
        return (saved, restored, json);
    }

    [Theory]
    [MemberData(nameof(KindNames))]
    public void EachKindRestoresBitIdentically(string kind)
    {
        var (_, file, missing, recipe) = Kinds().Single(k => k.Name == kind);
        var (train, test) = Load(file, missing);
        RoundTrip(train, test, recipe(train));
    }

    [Fact]
    public void LongPipelineRestoresBitIdentically()
    {
        var (train, test) = Load("breast_cancer.csv", missing: true);
        var (saved, restored, json) = RoundTrip(train, test, LongPipeline());
        var steps = ((Pipeline.Fitted)restored.Preprocessing!).Steps;
        Assert.Equal(10, steps.Count);
        Assert.All(steps, s => Assert.True(s.IsRestored));
        // Steps after SMOTE were fitted on the oversampled rows; the counts say so.
        var original = ((Pipeline.Fitted)saved.Preprocessing!).Steps;
        Assert.Equal(original.Select(s => s.FittedRowCount), steps.Select(s => s.FittedRowCount));
        Assert.True(steps[6].FittedRowCount > steps[0].FittedRowCount);
        Assert.Equal(6, restored.Features.Count);
        Assert.Contains("\"kind\": \"sampler\"", json);
        Assert.Contains("\"sampler\": \"Smote\"", json);
    }

    [Fact]
    public void NestedPipelinesAndHashingRestore()
    {
        var (train, test) = Load("wine_data.csv", missing: true);
        var recipe = new Pipeline(new Pipeline(new Imputer(), new StandardScaler()), new FeatureHasher(6, ["band", "level"]), new Pipeline(new RandomOverSampler(3)));
        var (_, restored, _) = RoundTrip(train, test, recipe);
        var outer = (Pipeline.Fitted)restored.Preprocessing!;
        Assert.IsType<Pipeline.Fitted>(outer.Steps[0]);
        Assert.Equal(2, ((Pipeline.Fitted)outer.Steps[0]).Steps.Count);
    }

    [Fact]
    public void InputsAreTheColumnsTheFeaturesNeedAndTheLabelCarriesTheClassNames()
    {
        var (train, test) = Load("wine_data.csv", missing: false);
        var fitted = new Pipeline(new OneHotEncoder(["band"]), new SelectKBest(4, columns: ["f0", "f1", "f2", "f3", "f4", "f5"])).Fit(train);
        string selected = ((SelectKBest.Fitted)fitted.Steps[1]).Selected[0];
        var document = PreprocessingDocument.Create(train, fitted, [selected, "f7", "band=low", "band=mid"]);
        // SelectKBest checks all its candidates; f7 is a feature; band is encoded; 'level', 'batch' and the other f's are not needed.
        Assert.Equal(["f0", "f1", "f2", "f3", "f4", "f5", "f7", "band"], document.Inputs.Select(c => c.Name));
        Assert.Equal(ColumnType.Category, document.Inputs.Single(c => c.Name == "band").Type);
        Assert.Equal("label", document.Label!.Name);
        Assert.Equal(["class_0", "class_1", "class_2"], document.ClassNames);
        var restored = PreprocessingDocument.FromJson(document.ToJson());
        Assert.Equal(document.Inputs, restored.Inputs);
        Assert.Equal(document.ClassNames, restored.ClassNames);
        // Only the inputs are needed: raw rows without the unused columns give the same matrix.
        var slim = test.SelectColumns([.. document.Inputs.Select(c => c.Name)]);
        AssertIdentical(document.ToFeatureMatrix(test), restored.ToFeatureMatrix(slim));
    }

    [Fact]
    public void WithoutPreprocessingTheFeaturesAreRawColumns()
    {
        var (train, test) = Load("wine_data.csv", missing: false);
        var document = PreprocessingDocument.FromJson(PreprocessingDocument.Create(train, null, ["f3", "f1"]).ToJson());
        Assert.Null(document.Preprocessing);
        Assert.Equal(["f1", "f3"], document.Inputs.Select(c => c.Name));
        AssertIdentical(test.ToFeatureMatrix(["f3", "f1"]), document.ToFeatureMatrix(test));
    }

    [Fact]
    public void FileRoundTripIsAtomicAndLeavesNoTemporaryFile()
    {
        var (train, test) = Load("breast_cancer.csv", missing: true);
        var (fitted, output) = LongPipeline().FitTransform(train);
        var document = PreprocessingDocument.Create(train, fitted, ModelFeatures(output));
        using var dir = new TestFiles.TempDirectory();
        string path = Path.Combine(dir.Path, "recipe.json");
        File.WriteAllText(path, "an older file");
        document.Save(path);
        Assert.Equal(["recipe.json"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
        Assert.Equal(document.ToJson(), File.ReadAllText(path));
        var loaded = PreprocessingDocument.Load(path);
        AssertIdentical(fitted.Transform(test), loaded.Transform(test));

        // A save into a folder that does not exist fails and leaves nothing behind.
        Assert.ThrowsAny<IOException>(() => document.Save(Path.Combine(dir.Path, "absent", "recipe.json")));
        Assert.Equal(["recipe.json"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
        Assert.Throws<FileNotFoundException>(() => PreprocessingDocument.Load(Path.Combine(dir.Path, "absent.json")));
    }

    [Fact]
    public void RawCsvRowsGiveTheSameModelInputsAndClassIndices()
    {
        var (train, test) = Load("wine_data.csv", missing: true);
        var recipe = new Pipeline(new Imputer(), new OneHotEncoder(["band", "level"]), new StandardScaler());
        var (fitted, output) = recipe.FitTransform(train);
        var saved = PreprocessingDocument.Create(train, fitted, ModelFeatures(output));
        var expected = fitted.Transform(test).ToDataset(saved.Features, TargetKind.ClassIndex);

        // The held-out rows as a CSV file, columns shuffled, classes written by name and in another order of appearance.
        var rows = Enumerable.Range(0, test.RowCount).Reverse().ToArray();
        var columns = test.Columns.Reverse().ToArray();
        var csv = new StringBuilder(string.Join(",", columns.Select(c => c.Name))).Append('\n');
        foreach (int r in rows)
            csv.Append(string.Join(",", columns.Select(c => c.IsMissing(r) ? "" : c.Type == ColumnType.Category ? c.Level(r) : c[r].ToString("R", CultureInfo.InvariantCulture)))).Append('\n');
        using var dir = new TestFiles.TempDirectory();
        saved.Save(Path.Combine(dir.Path, "recipe.json"));
        string csvPath = dir.Write("new_rows.csv", csv.ToString());

        var restored = PreprocessingDocument.Load(Path.Combine(dir.Path, "recipe.json"));
        var raw = CsvReader.ReadTable(csvPath, restored.Schema(includeLabel: true));
        Assert.Equal(restored.ClassNames, raw.Label!.Levels);
        var actual = restored.ToDataset(raw, TargetKind.ClassIndex);
        int width = restored.Features.Count;
        for (int i = 0; i < rows.Length; i++)
        {
            int r = rows[i];
            AssertIdentical(expected.Features.AsSpan(r * width, width).ToArray(), actual.Features.AsSpan(i * width, width).ToArray());
            Assert.Equal(expected.Label(r), actual.Label(i));
        }

        // Without the label declared, the same file gives the same inputs for prediction.
        var unlabelled = CsvReader.ReadTable(csvPath, restored.Schema());
        AssertIdentical(actual.Features, restored.ToFeatureMatrix(unlabelled));
    }

    [Fact]
    public void ToDatasetMatchesClassesByName()
    {
        var (train, _) = Load("wine_data.csv", missing: false);
        var document = PreprocessingDocument.Create(train, new StandardScaler(["f0", "f1"]).Fit(train), ["f0", "f1"]);
        var rows = Table.Create("new", TableColumn.Numbers("f0", [13.0, 12.5]), TableColumn.Numbers("f1", [2.0, 1.5]),
            TableColumn.Categories("label", ["class_2", "class_0"], ColumnRole.Label));
        var data = document.ToDataset(rows, TargetKind.ClassIndex);
        Assert.Equal([2, 0], [data.Label(0), data.Label(1)]);

        var unknown = rows.WithColumn(TableColumn.Categories("label", ["class_2", "class_9"], ColumnRole.Label));
        var e = Assert.Throws<ArgumentException>(() => document.ToDataset(unknown, TargetKind.ClassIndex));
        Assert.Contains("'class_9'", e.Message);
        Assert.Contains("'class_0', 'class_1', 'class_2'", e.Message);
    }

    [Fact]
    public void DoublesRoundTripExactlyIncludingSpecialValues()
    {
        double[] specials = [-0.0, double.Epsilon, -double.Epsilon, double.MaxValue, double.MinValue, 0.1 + 0.2, 1 / 3.0, -1e-300, 2.2250738585072009e-308,
            123456789012345680, double.PositiveInfinity, double.NegativeInfinity, 1e21, 1e-7];
        var one = Table.Create("one", specials.Select((x, i) => TableColumn.Numbers("c" + i.ToString(CultureInfo.InvariantCulture), [x])).ToList()).AsTrain();
        var imputer = new Imputer().Fit(one);
        Assert.Equal(specials.Select(BitConverter.DoubleToInt64Bits), imputer.Statistics.Select(BitConverter.DoubleToInt64Bits));
        // An all-missing column has no variance: NaN must survive too.
        var gaps = Table.Create("gaps", TableColumn.Numbers("a", [1, 2]), TableColumn.Numbers("b", [double.NaN, double.NaN])).AsTrain();
        var threshold = new VarianceThreshold().Fit(gaps);
        Assert.True(double.IsNaN(threshold.Variances[1]));

        string json = PreprocessingDocument.Create(one, new Imputer().Fit(one), [.. one.FeatureColumns]).ToJson();
        Assert.Contains("\"Infinity\"", json);
        Assert.Contains("\"-Infinity\"", json);
        Assert.Contains("-0,", json);
        var restored = (Imputer.Fitted)PreprocessingDocument.FromJson(json).Preprocessing!;
        Assert.Equal(specials.Select(BitConverter.DoubleToInt64Bits), restored.Statistics.Select(BitConverter.DoubleToInt64Bits));

        var nan = (VarianceThreshold.Fitted)PreprocessingDocument.FromJson(PreprocessingDocument.Create(gaps, threshold, ["a"]).ToJson()).Preprocessing!;
        Assert.True(double.IsNaN(nan.Variances[1]));
        Assert.Equal(["b"], nan.Dropped);
    }

    [Fact]
    public void AuditListsRestoredPreprocessingAsNotChecked()
    {
        var table = LoadTable("wine_data.csv", missing: false);
        var (train, test) = Split.TrainTest(table, testFraction: 0.25, SplitKind.Random, seed: 7);
        // Fitted on every row, test rows included: the live transformer is caught, the restored one cannot be judged.
        var leaky = new Pipeline(new StandardScaler(), new Pca(3, Complete(train))).Fit(table.AsTrain());
        Assert.True(LeakageAudit.Check(leaky, test).Has(LeakageKind.PreprocessingSawHeldOutRows));

        var restored = PreprocessingDocument.FromJson(PreprocessingDocument.Create(train, leaky, ["pc1", "pc2"]).ToJson()).Preprocessing!;
        var report = LeakageAudit.Check(restored, test);
        Assert.True(report.IsClean);
        var line = Assert.Single(report.NotChecked);
        Assert.Contains("StandardScaler (fitted on 178 rows)", line);
        Assert.Contains("Pca (fitted on 178 rows)", line);
        Assert.Contains("restored from a saved document", line);
        Assert.Contains("restored, fitted on 178 rows", report.TrainDescription);
        Assert.Contains("not checked", report.ToString());

        var live = LeakageAudit.Check(new StandardScaler().Fit(train), test);
        Assert.Empty(live.NotChecked);
        Assert.True(live.IsClean);
    }

    [Fact]
    public void CreateRefusesWhatCannotBeSavedOrMade()
    {
        var (train, _) = Load("wine_data.csv", missing: false);
        var custom = new Pipeline(new StandardScaler(), new DoublingTransformer()).Fit(train);
        var e = Assert.Throws<ArgumentException>(() => PreprocessingDocument.Create(train, custom, ["f0"]));
        Assert.Contains("DoublingTransformer", e.Message);
        Assert.Contains("no saved form", e.Message);

        var scaler = new Pca(2, ["f0", "f1"]).Fit(train);
        e = Assert.Throws<ArgumentException>(() => PreprocessingDocument.Create(train, scaler, ["pc1", "f0"]));
        Assert.Contains("'f0'", e.Message);
        e = Assert.Throws<ArgumentException>(() => PreprocessingDocument.Create(train, null, ["band"]));
        Assert.Contains("category", e.Message);
    }

    private sealed class DoublingTransformer : Transformer
    {
        public override FittedTransformer Fit(Table<Train> train) => new Fitted(train);

        private sealed class Fitted(Table<Train> train) : FittedTransformer(train)
        {
            protected override IReadOnlyList<TableColumn> TransformColumns(Table table) => table.Columns.ToArray();
        }
    }
}
