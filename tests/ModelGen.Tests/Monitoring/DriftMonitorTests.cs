using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using ModelGen.Data;
using ModelGen.Monitoring;
using ModelGen.Serialization;
using ModelGen.Tests.Data;
using Xunit;
using static ModelGen.Tests.Monitoring.DriftReference;

namespace ModelGen.Tests.Monitoring;

/// <summary>The monitor end to end against SciPy (drift_reference.json), its sliding window, its saved form, and bad input.</summary>
public class DriftMonitorTests
{
    private static Table<Unsplit> FixtureTable(string part, string source)
    {
        var t = Get("monitor").GetProperty(part);
        return Table.Create(source,
            TableColumn.Numbers("x", Vector(t.GetProperty("x"))),
            TableColumn.Numbers("count", Vector(t.GetProperty("count"))),
            TableColumn.Categories("color", Strings(t.GetProperty("color"))));
    }

    private static Table<Train> Training() => FixtureTable("train", "train").AsTrain();

    private static Table<Unsplit> Window() => FixtureTable("window", "live");

    [Fact]
    public void ReportMatchesScipyForNumericAndCategoricalFeatures()
    {
        var monitor = DriftMonitor.Create(Training());
        Assert.Equal(["x", "count", "color"], monitor.Features.Select(f => f.Name));
        Assert.Equal(DriftFeatureKind.Categorical, monitor.Features[2].Kind);
        var report = monitor.Check(Window());
        var expected = Get("monitor").GetProperty("expected");
        Assert.Equal(600, report.TrainingRows);
        Assert.Equal(150, report.WindowRows);
        foreach (string name in new[] { "x", "count" })
        {
            var f = report[name];
            var e = expected.GetProperty(name);
            Assert.Equal(DriftTest.KolmogorovSmirnovExact, f.Test);
            Close(e.GetProperty("statistic").GetDouble(), f.Statistic, 1e-14, name + " D");
            Close(e.GetProperty("pvalue").GetDouble(), f.PValue, 1e-9, name + " p");
            Close(e.GetProperty("psi").GetDouble(), f.Psi, 1e-12, name + " PSI");
            Assert.Equal(150, f.WindowCount);
        }
        var color = report["color"];
        var ec = expected.GetProperty("color");
        Assert.Equal(DriftTest.ChiSquare, color.Test);
        Assert.Equal(ec.GetProperty("df").GetInt32(), color.DegreesOfFreedom);
        Close(ec.GetProperty("statistic").GetDouble(), color.Statistic, 1e-12, "color chi-square");
        Close(ec.GetProperty("pvalue").GetDouble(), color.PValue, 1e-10, "color p");
        Close(ec.GetProperty("psi").GetDouble(), color.Psi, 1e-12, "color PSI");
        Assert.Equal(ec.GetProperty("unseen").GetInt32(), (int)color.UnseenCount);
        Assert.Equal(["purple"], color.UnseenLevels);
        Assert.True((color.Reasons & DriftReasons.UnseenLevels) != 0);

        // The verdicts follow the thresholds from the numbers.
        foreach (var f in report.Features)
        {
            Assert.Equal(f.PValue < 0.05, (f.Reasons & DriftReasons.PValue) != 0);
            Assert.Equal(f.Psi >= 0.25, (f.Reasons & DriftReasons.Psi) != 0);
        }
        Assert.Equal(report.Features.Where(f => f.IsDrifted).Select(f => f.Name), report.Drifted.Select(f => f.Name));
        Assert.True(report.HasDrift);
        Assert.Contains("x", report.Drifted.Select(f => f.Name));       // shifted by 0.4 standard deviations
        Assert.DoesNotContain("count", report.Drifted.Select(f => f.Name));
    }

    [Fact]
    public void ExactSizeLimitSwitchesToTheAsymptoticPValue()
    {
        var monitor = DriftMonitor.Create(Training(), ["x"], new DriftOptions { KsExactSizeLimit = 599 });
        var x = monitor.Check(Window())["x"];
        Assert.Equal(DriftTest.KolmogorovSmirnovAsymptotic, x.Test);
        // n = round(600·150/750) = 120 observations of the one-sample distribution.
        Assert.Equal(DriftStatistics.KolmogorovSurvival(120, x.Statistic), x.PValue);
        var exact = DriftMonitor.Create(Training(), ["x"], new DriftOptions { KsExactSizeLimit = 600 }).Check(Window())["x"];
        Assert.Equal(DriftTest.KolmogorovSmirnovExact, exact.Test);
        Assert.Equal(exact.Statistic, x.Statistic, 1e-15);
        Assert.NotEqual(exact.PValue, x.PValue);
        var e = Assert.Throws<ArgumentException>(() => DriftMonitor.Create(Training(), new DriftOptions { KsExactSizeLimit = -1 }));
        Assert.Contains("DriftOptions.KsExactSizeLimit is -1", e.Message);
    }

    [Fact]
    public void TrainingRowsAgainstThemselvesShowNoDrift()
    {
        var train = Training();
        var report = DriftMonitor.Create(train).Check(train);
        Assert.False(report.HasDrift);
        foreach (var f in report.Features)
        {
            Assert.Equal(1.0, f.PValue, 1e-12);
            Assert.Equal(0.0, f.Psi);
        }
        Assert.StartsWith("No drift: 0 of 3 features drifted", report.ToString());
    }

    [Fact]
    public void ToStringSummarisesAndListsEveryFeature()
    {
        var text = DriftMonitor.Create(Training()).Check(Window()).ToString();
        var lines = text.Split('\n');
        Assert.StartsWith("DRIFT: ", lines[0]);
        Assert.Contains("window of 150 rows vs 600 training rows", lines[0]);
        Assert.Contains("p < 0.05 or PSI ≥ 0.25", lines[0]);
        Assert.Equal(5, lines.Length);                          // summary, header, one line per feature
        Assert.Contains("feature", lines[1]);
        Assert.Contains("KS exact", lines[2]);
        Assert.Contains("chi-square(3)", lines[4]);
        Assert.Contains("3 values of unseen levels ('purple')", lines[4]);
    }

    [Fact]
    public void JsonReportHasTheDocumentedFields()
    {
        var report = DriftMonitor.Create(Training()).Check(Window());
        using var doc = JsonDocument.Parse(report.ToJson());
        var root = doc.RootElement;
        Assert.True(root.GetProperty("hasDrift").GetBoolean());
        Assert.Equal(150, root.GetProperty("windowRows").GetInt32());
        Assert.Equal(report.Drifted.Select(f => f.Name), root.GetProperty("drifted").EnumerateArray().Select(e => e.GetString()));
        var color = root.GetProperty("features")[2];
        Assert.Equal("color", color.GetProperty("name").GetString());
        Assert.Equal("chi-square", color.GetProperty("test").GetString());
        Assert.Equal(report["color"].Statistic, color.GetProperty("statistic").GetDouble());
        Assert.Equal(report["color"].PValue, color.GetProperty("pValue").GetDouble());
        Assert.Equal(3, color.GetProperty("degreesOfFreedom").GetInt32());
        Assert.Equal(["purple"], color.GetProperty("unseenLevels").EnumerateArray().Select(e => e.GetString()!));
        Assert.Contains("unseenLevels", color.GetProperty("reasons").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("ks-exact", root.GetProperty("features")[0].GetProperty("test").GetString());
    }

    [Fact]
    public void SlidingWindowKeepsTheLastRowsAndMatchesACheckOfThem()
    {
        var train = Training();
        var monitor = DriftMonitor.Create(train, ["x", "count"]);
        var live = Window();
        var window = monitor.CreateWindow(capacity: 100);
        for (int r = 0; r < live.RowCount; r++) window.Add([live["x"][r], live["count"][r]]);
        Assert.Equal(100, window.Count);
        Assert.Equal(150, window.TotalAdded);
        var lastHundred = live.Rows(Enumerable.Range(50, 100).ToArray());
        var fromWindow = window.Check();
        var direct = monitor.Check(lastHundred);
        for (int j = 0; j < 2; j++)
        {
            Assert.Equal(direct.Features[j].Statistic, fromWindow.Features[j].Statistic);
            Assert.Equal(direct.Features[j].PValue, fromWindow.Features[j].PValue);
            Assert.Equal(direct.Features[j].Psi, fromWindow.Features[j].Psi);
        }
        // A window not yet full holds exactly the rows added so far.
        window.Clear();
        for (int r = 0; r < 30; r++) window.Add([live["x"][r], live["count"][r]]);
        Assert.Equal(30, window.Count);
        var firstThirty = monitor.Check(live.Rows(Enumerable.Range(0, 30).ToArray()));
        Assert.Equal(firstThirty.Features[0].Statistic, window.Check().Features[0].Statistic);
        Assert.Equal(firstThirty.Features[1].Psi, window.Check().Features[1].Psi);
        // A table of more rows than the capacity keeps its last rows.
        window.Clear();
        window.Add(live);
        Assert.Equal(100, window.Count);
        Assert.Equal(direct.Features[0].Statistic, window.Check().Features[0].Statistic);
    }

    [Fact]
    public void WindowWithCategoriesKeepsUnseenLevels()
    {
        var window = DriftMonitor.Create(Training()).CreateWindow(500);
        window.Add(Window());
        var report = window.Check();
        var direct = DriftMonitor.Create(Training()).Check(Window());
        Assert.Equal(direct["color"].Statistic, report["color"].Statistic);
        Assert.Equal(direct["color"].Psi, report["color"].Psi);
        Assert.Equal(3, report["color"].UnseenCount);
    }

    [Fact]
    public void WindowAcceptsRowsFromManyThreads()
    {
        var monitor = DriftMonitor.Create(Training(), ["x"]);
        var window = monitor.CreateWindow(capacity: 1000);
        Parallel.For(0, 8, t =>
        {
            for (int i = 0; i < 500; i++) window.Add([t + i * 1e-3]);
        });
        Assert.Equal(4000, window.TotalAdded);
        Assert.Equal(1000, window.Count);
        var report = window.Check();
        Assert.Equal(1000, report.WindowRows);
        // Checks that run while rows are added see whole rows and never fail.
        Parallel.For(0, 4, t =>
        {
            for (int i = 0; i < 50; i++)
            {
                if (t == 0) window.Add([i]);
                else Assert.Equal(1000, window.Check().WindowRows);
            }
        });
    }

    [Fact]
    public void EmptyWindowIsRefused()
    {
        var monitor = DriftMonitor.Create(Training());
        var e = Assert.Throws<ArgumentException>(() => monitor.Check(Window().Rows()));
        Assert.Contains("The window has no rows", e.Message);
        var n = DriftMonitor.Create(Training(), ["x"]);
        e = Assert.Throws<ArgumentException>(() => n.Check(ReadOnlySpan<double>.Empty));
        Assert.Contains("The window has no rows", e.Message);
        var ie = Assert.Throws<InvalidOperationException>(() => monitor.CreateWindow(10).Check());
        Assert.Contains("holds no rows yet", ie.Message);
    }

    [Fact]
    public void WindowWithoutAMonitoredColumnNamesIt()
    {
        var monitor = DriftMonitor.Create(Training());
        var e = Assert.Throws<ArgumentException>(() => monitor.Check(Window().WithoutColumns("count")));
        Assert.Contains("The window has no column 'count' (a numeric feature of the drift monitor); its columns are 'x', 'color'", e.Message);
        e = Assert.Throws<ArgumentException>(() => monitor.Check(Window().WithColumn(TableColumn.Categories("x", Enumerable.Repeat<string?>("a", 150).ToArray()))));
        Assert.Contains("Column 'x' of the window is a Category column, but the monitor's feature 'x' is numeric", e.Message);
    }

    [Fact]
    public void RowOfTheWrongWidthNamesTheFeatures()
    {
        var monitor = DriftMonitor.Create(Training(), ["x", "count"]);
        var e = Assert.Throws<ArgumentException>(() => monitor.Check([1.0, 2.0, 3.0]));
        Assert.Contains("The window has 3 values, not a whole number of rows of 2 features ('x', 'count')", e.Message);
        var window = monitor.CreateWindow(10);
        e = Assert.Throws<ArgumentException>(() => window.Add([1.0]));
        Assert.Contains("The row has 1 values; the drift monitor expects 2, one per feature: 'x', 'count'", e.Message);
        Assert.Equal(0, window.Count);
    }

    [Fact]
    public void NonFiniteOrMissingValuesNameTheColumnAndRow()
    {
        var monitor = DriftMonitor.Create(Training(), ["x", "count"]);
        var e = Assert.Throws<ArgumentException>(() => monitor.Check([1.0, 2.0, 0.5, double.NaN]));
        Assert.Contains("Feature 'count' is NaN in row 1 of the window", e.Message);
        e = Assert.Throws<ArgumentException>(() => monitor.Check([double.PositiveInfinity, 2.0]));
        Assert.Contains("Feature 'x' is +∞ in row 0 of the window", e.Message);

        var x = Enumerable.Range(0, 5).Select(i => (double)i).ToArray();
        x[3] = double.NaN;
        var live = Table.Create("live", TableColumn.Numbers("x", x), TableColumn.Numbers("count", new double[5]));
        e = Assert.Throws<ArgumentException>(() => monitor.Check(live));
        Assert.Contains("Column 'x' is missing in row live[3] (row 3 of the window)", e.Message);

        var window = monitor.CreateWindow(10);
        window.Add([1.0, 1.0]);
        Assert.Throws<ArgumentException>(() => window.Add(live));
        Assert.Equal(1, window.Count);                           // a bad batch adds nothing
    }

    [Fact]
    public void CategoricalRowValuesAreTrainingLevelIndices()
    {
        var monitor = DriftMonitor.Create(Training(), ["color"]);
        Assert.Equal(["black", "blue", "green", "red"], monitor.Features[0].Levels.Order(StringComparer.Ordinal));
        var e = Assert.Throws<ArgumentException>(() => monitor.Check([4.0]));
        Assert.Contains("Feature 'color' is 4 in row 0 of the window; a categorical feature in a numeric row is the index of a training level, 0 to 3", e.Message);
        e = Assert.Throws<ArgumentException>(() => monitor.Check([1.5]));
        Assert.Contains("is 1.5 in row 0", e.Message);
    }

    [Fact]
    public void TrainingLevelWithoutRowsCountsAsUnseen()
    {
        // A split keeps the full table's levels: 'c' is a level of the training column but no training row has it.
        var all = Table.Create("all", TableColumn.Categories("kind", ["a", "b", "a", "b", "c", "a"]));
        var train = all.Rows(0, 1, 2, 3, 5).AsTrain();
        var monitor = DriftMonitor.Create(train);
        var report = monitor.Check(Table.Create("live", TableColumn.Categories("kind", ["a", "b", "c", "b"])));
        var kind = report["kind"];
        Assert.Equal(1, kind.DegreesOfFreedom);                  // two levels with rows
        Assert.Equal(1, kind.UnseenCount);
        Assert.Equal(["c"], kind.UnseenLevels);
        // Chi-square on the 3 seen values: observed (1, 2), expected 3·(3/5, 2/5) = (1.8, 1.2).
        double expected = (1 - 1.8) * (1 - 1.8) / 1.8 + (2 - 1.2) * (2 - 1.2) / 1.2;
        Assert.Equal(expected, kind.Statistic, 1e-14);
        Assert.Equal(DriftStatistics.ChiSquareSurvival(expected, 1), kind.PValue, 1e-14);
    }

    [Fact]
    public void SingleTrainingLevelOrOnlyUnseenValuesMakeNoTest()
    {
        var train = Table.Create("t", TableColumn.Categories("k", ["a", "a", "a"])).AsTrain();
        var monitor = DriftMonitor.Create(train);
        var f = monitor.Check(Table.Create("w", TableColumn.Categories("k", ["a", "a"])))["k"];
        Assert.Equal(DriftTest.None, f.Test);
        Assert.True(double.IsNaN(f.PValue));
        Assert.False(f.IsDrifted);
        f = monitor.Check(Table.Create("w", TableColumn.Categories("k", ["z"])))["k"];
        Assert.Equal(DriftTest.None, f.Test);
        Assert.Equal(DriftReasons.UnseenLevels | DriftReasons.Psi, f.Reasons);
        using var doc = JsonDocument.Parse(monitor.Check(Table.Create("w", TableColumn.Categories("k", ["z"]))).ToJson());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("features")[0].GetProperty("pValue").ValueKind);
    }

    [Fact]
    public void BadTrainingDataAndOptionsAreRefused()
    {
        var x = new double[] { 1, 2, double.NaN, 4 };
        var train = Table.Create("t", TableColumn.Numbers("x", x)).AsTrain();
        var e = Assert.Throws<ArgumentException>(() => DriftMonitor.Create(train));
        Assert.Contains("Column 'x' is missing in row t[2] (row 2 of the training table)", e.Message);
        e = Assert.Throws<ArgumentException>(() => DriftMonitor.Create(Training(), ["x", "nope"]));
        Assert.Contains("The training table has no column 'nope'", e.Message);
        e = Assert.Throws<ArgumentException>(() => DriftMonitor.Create(Training(), ["x", "x"]));
        Assert.Contains("listed twice", e.Message);
        e = Assert.Throws<ArgumentException>(() => DriftMonitor.Create(Training(), new DriftOptions { Alpha = 1.5 }));
        Assert.Contains("DriftOptions.Alpha is 1.5", e.Message);
        e = Assert.Throws<ArgumentException>(() => DriftMonitor.Create(Training(), new DriftOptions { PsiBins = 1 }));
        Assert.Contains("DriftOptions.PsiBins is 1", e.Message);
        var dates = Table.Create("d", TableColumn.Dates("when", [DateTime.UnixEpoch], ColumnRole.Feature), TableColumn.Numbers("v", [1.0])).AsTrain();
        Assert.Equal(["v"], DriftMonitor.Create(dates).Features.Select(f => f.Name));
        e = Assert.Throws<ArgumentException>(() => DriftMonitor.Create(dates, ["when"]));
        Assert.Contains("Column 'when' is a date column", e.Message);
    }

    [Fact]
    public void DatasetFeaturesAreMonitoredByName()
    {
        var data = Dataset.ForRegression([1, 10, 2, 20, 3, 30, 4, 40], 2, [0, 0, 0, 0]);
        var monitor = DriftMonitor.Create(data, ["a", "b"]);
        Assert.Equal(4, monitor.TrainingRows);
        var report = monitor.Check([1, 10, 2, 20, 3, 30, 4, 40]);
        Assert.False(report.HasDrift);
        Assert.Equal(0, report["b"].Statistic);
        var e = Assert.Throws<ArgumentException>(() => DriftMonitor.Create(data, ["a"]));
        Assert.Contains("1 feature names were given for a dataset of 2 features", e.Message);
    }

    [Fact]
    public void SavedReferenceRestoresTheSameReports()
    {
        var monitor = DriftMonitor.Create(Training(), new DriftOptions { Alpha = 0.01, PsiThreshold = double.PositiveInfinity, PsiBins = 5 });
        string json = monitor.ToJson();
        var restored = DriftMonitor.FromJson(json);
        Assert.Equal(json, restored.ToJson());
        Assert.Equal(monitor.Options, restored.Options);
        Assert.Equal(monitor.ReferenceBytes, restored.ReferenceBytes);
        var a = monitor.Check(Window());
        var b = restored.Check(Window());
        Assert.Equal(a.ToJson(), b.ToJson());

        using var dir = new TestFiles.TempDirectory();
        string path = System.IO.Path.Combine(dir.Path, "model.drift.json");
        monitor.Save(path);
        Assert.Equal(a.ToJson(), DriftMonitor.Load(path).Check(Window()).ToJson());
    }

    [Fact]
    public void DamagedReferenceNamesTheField()
    {
        var train = Table.Create("t", TableColumn.Numbers("x", [3.0, 1.0, 2.0]), TableColumn.Categories("k", ["a", "b", "a"])).AsTrain();
        string json = DriftMonitor.Create(train).ToJson();
        Assert.Contains("\"sortedValues\": [1, 2, 3]", json);

        var e = Assert.Throws<ModelFileException>(() => DriftMonitor.FromJson(json.Replace("[1, 2, 3]", "[1, 3, 2]"), "ref.json"));
        Assert.Equal("'ref.json': features[0].sortedValues[2]: expected a number ≥ the one before (the values are sorted), found the number 2", e.Message);
        e = Assert.Throws<ModelFileException>(() => DriftMonitor.FromJson(json.Replace("[1, 2, 3]", "[1, 2]")));
        Assert.Contains("features[0].sortedValues: expected an array of 3 numbers (one per training row), found an array of 2 items", e.Message);
        e = Assert.Throws<ModelFileException>(() => DriftMonitor.FromJson(json.Replace("\"version\": 1", "\"version\": 7")));
        Assert.Contains("format version 7, written by a newer ModelGen", e.Message);
        e = Assert.Throws<ModelFileException>(() => DriftMonitor.FromJson(json.Replace("\"counts\": [2, 1]", "\"counts\": [2, 2]")));
        Assert.Contains("features[1].counts: expected counts that add up to trainingRows (3)", e.Message);
        e = Assert.Throws<ModelFileException>(() => DriftMonitor.FromJson(json.Replace("\"kind\": \"numeric\"", "\"kind\": \"text\"")));
        Assert.Contains("features[0].kind: expected one of \"numeric\", \"categorical\", found the string \"text\"", e.Message);
        e = Assert.Throws<ModelFileException>(() => DriftMonitor.FromJson(json.Replace("\"alpha\": 0.05", "\"alpha\": 2")));
        Assert.Contains("options: DriftOptions.Alpha is 2", e.Message);
        e = Assert.Throws<ModelFileException>(() => DriftMonitor.FromJson(json[..^5]));
        Assert.Contains("not well-formed JSON", e.Message);
    }

    [Fact]
    public void ReferenceHoldsTheSortedTrainingValuesAndLevelCounts()
    {
        var monitor = DriftMonitor.Create(Training());
        var x = monitor.References.OfType<NumericReference>().Single(r => r.Name == "x");
        Assert.Equal(Vector(Get("monitor").GetProperty("train").GetProperty("x")).Order(), x.Sorted);
        var color = monitor.References.OfType<CategoricalReference>().Single();
        Assert.Equal(600, color.Counts.Sum());
        // Two numeric features of 600 doubles each, their bins (at most 9 edges and 10 proportions), 4 counts and level names.
        long least = 2 * 8 * 600 + 8 * 4;
        Assert.InRange(monitor.ReferenceBytes, least, least + 2 * 8 * 19 + 2 * 17);
    }
}
