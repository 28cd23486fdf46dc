using System;
using System.Linq;
using ModelGen.Data;
using Xunit;

namespace ModelGen.Tests.Data;

/// <summary>The run-time audit: each kind of finding on crafted leaky data, silence on clean splits, and the error mode.</summary>
public class LeakageAuditTests
{
    private static Table<Unsplit> BreastCancer() => Datasets.LoadLabeledTable(TestFiles.SampleData("breast_cancer.csv"), sourceName: "bc");

    [Fact]
    public void CleanStratifiedSplitOfRealDataIsSilent()
    {
        // The strongest single breast-cancer feature has ROC-AUC 0.975 (scikit-learn), below the proxy threshold.
        Assert.True(Reference.Vector("breast_cancer.single_feature_auc").Max(a => Math.Max(a, 1 - a)) < 0.99);
        var (train, test) = Split.TrainTest(BreastCancer(), 0.2, SplitKind.Stratified, seed: 42);
        var report = LeakageAudit.Check(train, test);
        Assert.True(report.IsClean, report.ToString());
        Assert.StartsWith("Leakage audit of train (455 rows) against test (114 rows): no leakage found.", report.ToString());
        Assert.Contains("(not checked: groups on both sides: no GroupKey column)", report.ToString());
        Assert.Contains("(not checked: time order: no Timestamp column)", report.ToString());
    }

    [Fact]
    public void TestRowsThatWereTrainedOnAreNamed()
    {
        var table = BreastCancer();
        var (_, test) = Split.TrainTest(table, 0.2, SplitKind.Random, seed: 1);
        var report = LeakageAudit.Check(table.AsTrain(), test);     // trained on everything
        var finding = Assert.Single(report.Findings);
        Assert.Equal(LeakageKind.HeldOutRowsInTraining, finding.Kind);
        Assert.Equal(114, finding.Rows.Count);
        Assert.StartsWith("114 rows of the test table are also in the train table (same source row): " + test.Provenance[0], finding.Message);
        Assert.Contains("and 109 more", finding.Message);
        Assert.False(report.Has(LeakageKind.DuplicateFeatureRows));   // already reported as the same rows
    }

    [Fact]
    public void OversamplingBeforeTheSplitIsFoundThroughSyntheticParents()
    {
        var all = Split.TrainTest(BreastCancer(), 0.01, SplitKind.Random, seed: 3).Train;
        var oversampled = new Smote(seed: 5).Resample(all);            // the mistake: resampling before the validation split
        var (train, validation) = Split.TrainValidation(oversampled, 0.2, SplitKind.Random, seed: 6);
        var report = LeakageAudit.Check(train, validation);
        Assert.True(report.Has(LeakageKind.SyntheticFromHeldOutRows), report.ToString());
        var finding = report.Findings.First(f => f.Kind == LeakageKind.SyntheticFromHeldOutRows);
        Assert.Contains("synthetic train rows were made from validation rows: smote[", finding.Message);
        Assert.Contains("Oversample after the split", finding.Message);
        Assert.All(finding.Rows, p => Assert.Contains(p.Id, validation.Provenance.Select(v => v.Id)));

        // The right order: split first, oversample the training part only.
        var (cleanTrain, cleanValidation) = Split.TrainValidation(all, 0.2, SplitKind.Stratified, seed: 6);
        var clean = LeakageAudit.Check(new Smote(seed: 5).Resample(cleanTrain), cleanValidation);
        Assert.True(clean.IsClean, clean.ToString());
    }

    [Fact]
    public void DuplicateFeatureRowsAcrossTheSplitAreNamedInPairs()
    {
        var x = Enumerable.Range(0, 40).Select(i => (double)i).ToArray();
        x[39] = x[5];                                               // row 39 duplicates row 5
        var table = Table.Create("d", TableColumn.Numbers("x", x), TableColumn.Numbers("z", x.Select(v => v * 2).ToArray()));
        var train = table.Where(r => r.Index < 30).AsTrain();
        var test = table.Where(r => r.Index >= 30).AsTest();
        var report = LeakageAudit.Check(train, test);
        var finding = Assert.Single(report.Findings);
        Assert.Equal(LeakageKind.DuplicateFeatureRows, finding.Kind);
        Assert.Equal("1 row of the test table has exactly the values of a train row in all 2 feature columns: d[39] = d[5]. " +
                     "Duplicates across the split reward memorising; remove duplicates before splitting, or split by a group key.", finding.Message);
        Assert.Equal(["x", "z"], finding.Columns);
    }

    [Fact]
    public void GroupsOnBothSidesAreNamedAndAGroupSplitIsClean()
    {
        var t = SplitTests.Rows();
        var (train, test) = Split.TrainTest(t, 0.25, SplitKind.Random, seed: 1);
        var finding = LeakageAudit.Check(train, test).Findings.Single(f => f.Kind == LeakageKind.SharedGroups);
        Assert.Matches(@"^\d+ groups of 'g' have rows on both sides: '\d+' \(\d+ train, \d+ test: rows\[\d+\]", finding.Message);
        Assert.Contains("split with SplitKind.Group", finding.Message);
        Assert.Equal(["g"], finding.Columns);
        var (gTrain, gTest) = Split.TrainTest(t, 0.25, SplitKind.Group, seed: 1);
        Assert.False(LeakageAudit.Check(gTrain, gTest).Has(LeakageKind.SharedGroups));
    }

    [Fact]
    public void ShuffledSplitOfTimeOrderedRowsIsFoundAndATimeOrderedSplitIsClean()
    {
        var t = SplitTests.Rows();
        var (train, test) = Split.TrainTest(t, 0.25, SplitKind.Random, seed: 1);
        var finding = LeakageAudit.Check(train, test).Findings.Single(f => f.Kind == LeakageKind.HeldOutBeforeTraining);
        Assert.Matches(@"^\d+ rows of the test table are dated before the latest train row \(rows\[\d+\], 't' 2024-", finding.Message);
        Assert.Contains("SplitKind.TimeOrdered", finding.Message);
        var (tTrain, tTest) = Split.TrainTest(t, 0.25, SplitKind.TimeOrdered, seed: 1);
        Assert.False(LeakageAudit.Check(tTrain, tTest).Has(LeakageKind.HeldOutBeforeTraining));
    }

    [Fact]
    public void SingleFeatureThatPredictsTheLabelIsReportedAsAProxy()
    {
        var table = BreastCancer();
        var label = table.Label!;
        var rng = new ModelGen.Compute.Rng(1);
        // A numeric copy of the label with noise, a category spelling out the diagnosis, and an id column (unique per row).
        var copy = Enumerable.Range(0, table.RowCount).Select(r => label[r] * 10 + rng.NextDouble()).ToArray();
        var words = Enumerable.Range(0, table.RowCount).Select(r => (string?)(label[r] == 0 ? "M-confirmed" : "B-confirmed")).ToArray();
        var ids = Enumerable.Range(0, table.RowCount).Select(r => (string?)("id" + r)).ToArray();
        var leaky = table.WithColumn(TableColumn.Numbers("biopsy_score", copy))
                         .WithColumn(TableColumn.Categories("pathology", words))
                         .WithColumn(TableColumn.Categories("patient_id", ids));
        var (train, test) = Split.TrainTest(leaky, 0.2, SplitKind.Stratified, seed: 4);
        var report = LeakageAudit.Check(train, test);
        var proxies = report.Findings.Where(f => f.Kind == LeakageKind.TargetProxy).ToArray();
        Assert.Equal(["biopsy_score", "pathology"], proxies.Select(f => f.Columns.Single()));
        Assert.StartsWith("Feature 'biopsy_score' alone separates the classes of 'label' with ROC-AUC 1.0000 over 569 rows", proxies[0].Message);
        Assert.StartsWith("Feature 'pathology' alone predicts 'label' for 114 of 114 test rows", proxies[1].Message);
        Assert.Contains("mark it KnownAfterOutcome", proxies[0].Message);

        // Marked as known after the outcome, they are no longer features and the audit is quiet about them.
        var marked = Split.TrainTest(leaky.WithRole("biopsy_score", ColumnRole.KnownAfterOutcome).WithRole("pathology", ColumnRole.KnownAfterOutcome), 0.2, SplitKind.Stratified, seed: 4);
        Assert.True(LeakageAudit.Check(marked.Train, marked.Test).IsClean);
    }

    [Fact]
    public void NumericLabelProxyIsFoundByCorrelation()
    {
        var rng = new ModelGen.Compute.Rng(3);
        var y = Enumerable.Range(0, 60).Select(_ => rng.NextGaussian() * 10).ToArray();
        var t = Table.Create("r",
            TableColumn.Numbers("noise", y.Select(_ => rng.NextGaussian()).ToArray()),
            TableColumn.Numbers("y_times_two", y.Select(v => 2 * v + 0.01 * rng.NextGaussian()).ToArray()),
            TableColumn.Numbers("y", y, ColumnRole.Label));
        var (train, test) = Split.TrainTest(t, 0.3, SplitKind.Random, seed: 1);
        var finding = Assert.Single(LeakageAudit.Check(train, test).Findings);
        Assert.Equal(["y_times_two"], finding.Columns);
        Assert.Contains("correlates with 'y' at r = 1.0000", finding.Message);
    }

    [Fact]
    public void ErrorSeverityThrowsWithTheReport()
    {
        var table = BreastCancer();
        var (_, test) = Split.TrainTest(table, 0.2, SplitKind.Random, seed: 1);
        var e = Assert.Throws<LeakageException>(() => LeakageAudit.Check(table.AsTrain(), test, new AuditOptions { Severity = LeakageSeverity.Error }));
        Assert.True(e.Report.Has(LeakageKind.HeldOutRowsInTraining));
        Assert.Equal(e.Report.ToString(), e.Message);
        var (train, cleanTest) = Split.TrainTest(table, 0.2, SplitKind.Random, seed: 1);
        Assert.True(LeakageAudit.Check(train, cleanTest, new AuditOptions { Severity = LeakageSeverity.Error }).IsClean);
    }

    [Fact]
    public void PreprocessingFittedBeforeTheSplitIsFoundThroughItsFittedRows()
    {
        var table = BreastCancer();
        var (train, test) = Split.TrainTest(table, 0.2, SplitKind.Stratified, seed: 7);
        var leaky = new StandardScaler().Fit(table.AsTrain());          // fitted on every row, test rows included
        var finding = Assert.Single(LeakageAudit.Check(leaky, test).Findings);
        Assert.Equal(LeakageKind.PreprocessingSawHeldOutRows, finding.Kind);
        Assert.StartsWith("StandardScaler was fitted on 114 of the 114 test rows: " + test.Provenance.OrderBy(p => p.Id.Row).First(), finding.Message);
        // Inside a pipeline the step at fault is named.
        var pipeline = new Pipeline(new Imputer(), new SelectKBest(5)).Fit(train);
        Assert.True(LeakageAudit.Check(pipeline, test).IsClean);
        var leakyPipeline = new Pipeline(new Imputer(), new SelectKBest(5)).Fit(table.AsTrain());
        var report = LeakageAudit.Check(leakyPipeline, test);
        Assert.Equal(["Imputer", "SelectKBest"], report.Findings.Select(f => f.Message.Split(' ')[0]));
        Assert.StartsWith("Leakage audit of Pipeline (fitted on 569 rows) against test (114 rows): 2 findings.", report.ToString());
    }
}
