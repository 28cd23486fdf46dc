using System;
using System.Linq;
using ModelGen.Data;
using Xunit;

namespace ModelGen.Tests.Data;

public class LabeledCsvTests
{
    private static readonly string[] Digits = Enumerable.Range(0, 10).Select(d => d.ToString()).ToArray();

    [Fact]
    public void LoadsShippedDigits()
    {
        var (data, names) = Datasets.LoadLabeledCsv(TestFiles.SampleData("digits.csv.gz"), Digits);
        Assert.Equal(1797, data.Count);
        Assert.Equal(64, data.FeatureCount);
        Assert.Equal(10, data.ClassCount);
        Assert.Equal(Digits, names);
        // First image of the file, as published.
        Assert.Equal(new float[] { 0, 0, 5, 13, 9, 1, 0, 0 }, data.Features.AsSpan(0, 8).ToArray());
        Assert.Equal(0, data.Label(0));
        Assert.Equal(8, data.Label(1796));
        var perClass = Enumerable.Range(0, data.Count).GroupBy(data.Label).OrderBy(g => g.Key).Select(g => g.Count()).ToArray();
        Assert.Equal(new[] { 178, 182, 177, 183, 181, 182, 181, 179, 174, 180 }, perClass);
        Assert.All(data.Features, p => Assert.InRange(p, 0f, 16f));
    }

    [Fact]
    public void DigitsSampleRecipe_ScaleAndSplitByRowOrder()
    {
        var digits = Datasets.LoadLabeledCsv(TestFiles.SampleData("digits.csv.gz"), Digits).Data;
        var (train, test) = digits.MapFeatures(p => p / 16f).Split(1437);
        Assert.Equal(1437, train.Count);
        Assert.Equal(360, test.Count);
        Assert.Equal(64, test.FeatureCount);
        Assert.Equal(10, test.ClassCount);
        Assert.Equal(1f, train.Features.Max());
        Assert.Equal(digits.Features[1437 * 64 + 10] / 16f, test.Features[10]);
        Assert.Equal(digits.Label(1437), test.Label(0));
    }

    [Fact]
    public void DigitsSampleRecipe_TheTableInOrderSplitGivesTheSameRowsAsThePositionalSplit()
    {
        string path = TestFiles.SampleData("digits.csv.gz");
        var (old, oldTest) = Datasets.LoadLabeledCsv(path, Digits).Data.MapFeatures(p => p / 16f).Split(1437);
        var (oldFit, oldValidation) = old.Split(1293);

        // As the Digits and DigitsCnn samples load, split and scale.
        var digits = Datasets.LoadLabeledTable(path, classNames: Digits);
        var (trainRows, testRows) = Split.TrainTest(digits, 360.0 / digits.RowCount, SplitKind.InOrder, seed: 0);
        var (fitRows, validationRows) = Split.TrainValidation(trainRows, 144.0 / trainRows.RowCount, SplitKind.InOrder, seed: 0);
        static Dataset Pixels(Table rows) => rows.ToDataset(TargetKind.ClassIndex).MapFeatures(p => p / 16f);

        foreach (var (expected, actual) in new[] { (old, Pixels(trainRows)), (oldTest, Pixels(testRows)), (oldFit, Pixels(fitRows)), (oldValidation, Pixels(validationRows)) })
        {
            Assert.Equal(expected.Count, actual.Count);
            Assert.Equal(64, actual.FeatureCount);
            Assert.Equal(10, actual.ClassCount);
            Assert.Equal(expected.Features, actual.Features);
            Assert.Equal(expected.Targets, actual.Targets);
            Assert.Equal(Digits, actual.ClassNames);
        }
        Assert.Equal([1437, 360, 1293, 144], new[] { trainRows.RowCount, testRows.RowCount, fitRows.RowCount, validationRows.RowCount });
        Assert.Equal(Enumerable.Range(1437, 360), testRows.Provenance.Select(p => p.Id.Row));
    }

    [Fact]
    public void DigitsWithoutClassNamesExplainsTheMissingHeader()
    {
        string path = TestFiles.SampleData("digits.csv.gz");
        var e = Assert.Throws<CsvFormatException>(() => Datasets.LoadLabeledCsv(path));
        Assert.Equal($"{path}, line 1, column 2 ('features'): expected the feature count (a whole number, 1 or more), found '0'; " +
                     "if the file has no header line, pass the class names: Datasets.LoadLabeledCsv(path, classNames)", e.Message);
    }

    [Theory]
    [InlineData("iris.csv", 150, 4, new[] { "setosa", "versicolor", "virginica" }, new[] { 50, 50, 50 })]
    [InlineData("wine_data.csv", 178, 13, new[] { "class_0", "class_1", "class_2" }, new[] { 59, 71, 48 })]
    [InlineData("breast_cancer.csv", 569, 30, new[] { "malignant", "benign" }, new[] { 212, 357 })]
    public void LoadsShippedTables(string file, int rows, int features, string[] classNames, int[] perClass)
    {
        var set = Datasets.LoadLabeledCsv(TestFiles.SampleData(file));
        Assert.Equal(rows, set.Data.Count);
        Assert.Equal(features, set.Data.FeatureCount);
        Assert.Equal(classNames, set.ClassNames);
        Assert.Equal(classNames.Length, set.Data.ClassCount);
        Assert.Equal(perClass, Enumerable.Range(0, rows).GroupBy(set.Data.Label).OrderBy(g => g.Key).Select(g => g.Count()));
    }

    [Fact]
    public void IrisFirstRowMatchesTheFile()
    {
        var iris = Datasets.LoadLabeledCsv(TestFiles.SampleData("iris.csv")).Data;
        Assert.Equal(new[] { 5.1f, 3.5f, 1.4f, 0.2f }, iris.Features.AsSpan(0, 4).ToArray());
        Assert.Equal(2, iris.Label(149));
    }

    [Fact]
    public void FewerRowsThanTheHeaderSaysIsAnError()
    {
        using var dir = new TestFiles.TempDirectory();
        string path = dir.Write("short.csv", "150,2,a,b\n1,2,0\n3,4,1\n");
        var e = Assert.Throws<CsvFormatException>(() => Datasets.LoadLabeledCsv(path));
        Assert.Equal($"{path}, line 1, column 1 ('rows'): the header says 150 rows, but the file has 2 (lines 2–3)", e.Message);
        Assert.Equal(1, e.LineNumber);
    }

    [Fact]
    public void MoreRowsThanTheHeaderSaysIsAnError()
    {
        using var dir = new TestFiles.TempDirectory();
        string path = dir.Write("long.csv", "1,2,a,b\n1,2,0\n3,4,1\n");
        var e = Assert.Throws<CsvFormatException>(() => Datasets.LoadLabeledCsv(path));
        Assert.Equal($"{path}, line 1, column 1 ('rows'): the header says 1 row, but the file has 2 (lines 2–3)", e.Message);
    }

    [Fact]
    public void HeaderWithRowsButNoDataIsAnError()
    {
        using var dir = new TestFiles.TempDirectory();
        string path = dir.Write("empty.csv", "3,2,a,b\n");
        Assert.EndsWith("the header says 3 rows, but the file has no data lines", Assert.Throws<CsvFormatException>(() => Datasets.LoadLabeledCsv(path)).Message);
    }

    [Fact]
    public void LineWithTheWrongFeatureCountIsAnError()
    {
        using var dir = new TestFiles.TempDirectory();
        string path = dir.Write("wide.csv", "3,2,a,b\n1,2,0\n3,4,5,1\n5,6,0\n");
        var e = Assert.Throws<CsvFormatException>(() => Datasets.LoadLabeledCsv(path));
        Assert.Equal($"{path}, line 3 has 4 fields; the header (line 1) says 2 features plus the label, 3 fields", e.Message);
        Assert.Equal(3, e.LineNumber);
    }

    [Theory]
    [InlineData("2", "'2'")]
    [InlineData("-1", "'-1'")]
    [InlineData("1.0", "'1.0'")]
    [InlineData("", "an empty field")]
    public void LabelOutsideTheClassesIsAnError(string label, string shown)
    {
        using var dir = new TestFiles.TempDirectory();
        string path = dir.Write("labels.csv", $"2,2,a,b\n1,2,0\n3,4,{label}\n");
        var e = Assert.Throws<CsvFormatException>(() => Datasets.LoadLabeledCsv(path));
        Assert.Equal($"{path}, line 3, column 3 ('label'): expected a class index from 0 to 1, found {shown}", e.Message);
    }

    [Fact]
    public void BadFeatureIsAnError()
    {
        using var dir = new TestFiles.TempDirectory();
        string path = dir.Write("feature.csv", "2,2,a,b\n1,2,0\n3,,1\n");
        var e = Assert.Throws<CsvFormatException>(() => Datasets.LoadLabeledCsv(path));
        Assert.Equal($"{path}, line 3, column 2: expected a number, found an empty field", e.Message);
    }

    [Theory]
    [InlineData("150,4\n", "line 1: expected the header 'rows,features,class names…' (3 fields or more), found 2 fields")]
    [InlineData("x,4,a\n", "line 1, column 1 ('rows'): expected the row count (a whole number), found 'x'")]
    [InlineData("1,0,a\n", "line 1, column 2 ('features'): expected the feature count (a whole number, 1 or more), found '0'")]
    [InlineData("1,1,a,,b\n", "line 1, column 4: expected a class name, found an empty field")]
    [InlineData("1,1,a,b,a\n", "line 1, column 5: expected a class name other than those before it (column 3 has the same), found 'a'")]
    [InlineData("", "line 1: expected the header 'rows,features,class names…', found the end of the file")]
    public void MalformedHeaderIsAnError(string text, string expected)
    {
        using var dir = new TestFiles.TempDirectory();
        string path = dir.Write("header.csv", text);
        var e = Assert.Throws<CsvFormatException>(() => Datasets.LoadLabeledCsv(path));
        Assert.StartsWith($"{path}, {expected}", e.Message);
    }

    [Fact]
    public void HeaderlessFileTakesItsWidthFromTheFirstLine()
    {
        using var dir = new TestFiles.TempDirectory();
        var set = Datasets.LoadLabeledCsv(dir.Write("ok.csv", "1,2,0\n3,4,1\n"), new[] { "no", "yes" });
        Assert.Equal(2, set.Data.Count);
        Assert.Equal(2, set.Data.FeatureCount);
        Assert.Equal(new[] { 1f, 2f, 3f, 4f }, set.Data.Features);
        string path = dir.Write("ragged.csv", "1,2,0\n3,1\n");
        Assert.Equal($"{path}, line 2 has 2 fields; the first line (line 1) has 3",
                     Assert.Throws<CsvFormatException>(() => Datasets.LoadLabeledCsv(path, new[] { "no", "yes" })).Message);
        string empty = dir.Write("empty.csv", "\n");
        Assert.Equal($"{empty}, line 1: expected features and a label, found the end of the file",
                     Assert.Throws<CsvFormatException>(() => Datasets.LoadLabeledCsv(empty, new[] { "no", "yes" })).Message);
    }

    [Fact]
    public void DigitsLoadAsATypedTableThatSplitsAndGivesTheSameRows()
    {
        string path = TestFiles.SampleData("digits.csv.gz");
        var plain = Datasets.LoadLabeledCsv(path, Digits).Data;
        Assert.Equal(Digits, plain.ClassNames);
        var table = Datasets.LoadLabeledTable(path, labelName: "digit", sourceName: "digits", classNames: Digits);
        Assert.Equal(1797, table.RowCount);
        Assert.Equal(65, table.ColumnCount);
        Assert.Equal(Digits, table.Label!.Levels);
        Assert.Equal("digits[1796]", table.Provenance[1796].ToString());
        var all = table.ToDataset(TargetKind.ClassIndex);
        Assert.Equal(plain.Features, all.Features);
        Assert.Equal(plain.Targets, all.Targets);
        Assert.Equal(Digits, all.ClassNames);
        // A stratified split keeps every digit's share; pixels scale with a fixed map, as in the samples.
        var split = Split.TrainTest(table, 0.2, SplitKind.Stratified, seed: 11);
        var test = split.Test.ToDataset(TargetKind.ClassIndex).MapFeatures(p => p / 16f);
        Assert.InRange(test.Count, 358, 361);
        Assert.All(Enumerable.Range(0, 10), d => Assert.InRange(Enumerable.Range(0, test.Count).Count(r => test.Label(r) == d), 33, 38));
        Assert.Equal(Digits, test.ClassNames);
        using var dir = new TestFiles.TempDirectory();
        string ragged = dir.Write("ragged.csv", "1,2,0\n3,1\n");
        Assert.Equal($"{ragged}, line 2 has 2 fields; the first line (line 1) has 3",
                     Assert.Throws<CsvFormatException>(() => Datasets.LoadLabeledTable(ragged, classNames: ["no", "yes"])).Message);
        Assert.Throws<ArgumentException>(() => Datasets.LoadLabeledTable(path, classNames: []));
    }

    [Fact]
    public void LabeledDatasetChecksTheNameCount()
    {
        var data = Dataset.ForClassification(new float[] { 1, 2 }, 1, new[] { 0, 1 }, 2);
        Assert.Throws<ArgumentException>(() => new LabeledDataset(data, new[] { "only one" }));
    }
}
