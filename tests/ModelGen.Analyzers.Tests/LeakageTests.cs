using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Analyzers.Tests;

/// <summary>
/// The leakage analyzer (MG0019–MG0028) on programs written against ModelGen's data API: every leaky program is
/// reported with its exact ID, span and message; its corrected twin is clean; refactorings (renamed locals, extracted
/// helpers, local functions, method chains, reassignments, record access instead of deconstruction) keep the verdict.
/// Every program here compiles.
/// </summary>
public partial class LeakageTests
{
    private const string Prelude = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        using ModelGen;
        using ModelGen.Data;
        using ModelGen.Metrics;

        [Model(Input = new[] { 2 }, Loss = Loss.SoftmaxCrossEntropy)]
        public partial class Net
        {
            [Dense(2)] private partial Tensor Logits(Tensor x);
        }

        """;

    // ───────────── helpers ─────────────

    private static string SpanText(Diagnostic d) => d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan);

    private static string Show(IEnumerable<Diagnostic> ds) =>
        string.Join("\n", ds.Select(d => $"{d.Id} [{SpanText(d)}] {d.GetMessage(CultureInfo.InvariantCulture)}"));

    private static async Task<IReadOnlyList<Diagnostic>> Analyze(string code)
    {
        string source = Prelude + code;
        var (_, output) = Harness.Generate(Harness.Compile(source));
        Assert.Empty(Harness.Errors(output));
        return await Harness.AnalyzeAsync(source);
    }

    /// <summary>The program has exactly one ModelGen diagnostic, and it is this one.</summary>
    private static async Task<Diagnostic> AssertLeak(string code, string id, string span, params string[] messageParts)
    {
        var ds = await Analyze(code);
        Assert.True(ds.Count == 1, "expected one diagnostic, got:\n" + Show(ds));
        var d = ds[0];
        Assert.Equal(id, d.Id);
        Assert.Equal(span, SpanText(d));
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        string message = d.GetMessage(CultureInfo.InvariantCulture);
        foreach (var part in messageParts) Assert.Contains(part, message);
        return d;
    }

    /// <summary>The program has exactly these diagnostics (ID and span), in source order.</summary>
    private static async Task AssertLeaks(string code, params (string Id, string Span)[] expected)
    {
        var ds = await Analyze(code);
        Assert.True(ds.Count == expected.Length, $"expected {expected.Length} diagnostics, got:\n" + Show(ds));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Id, ds[i].Id);
            Assert.Equal(expected[i].Span, SpanText(ds[i]));
        }
    }

    private static async Task AssertClean(string code)
    {
        var ds = await Analyze(code);
        Assert.True(ds.Count == 0, "expected no diagnostic, got:\n" + Show(ds));
    }

    // ───────────── MG0019: preprocessing fitted on rows that include test rows ─────────────

    [Fact]
    public async Task MG0019_ScalerFittedOnAllRows_ThenSplit_IsReportedOnTheFit()
    {
        var d = await AssertLeak("""
            public static class Experiment
            {
                public static void Run(Table<Unsplit> patients)
                {
                    var scaler = new StandardScaler().Fit(patients.AsTrain());
                    var (train, test) = Split.TrainTest(patients, 0.2, SplitKind.Random, seed: 1);
                    Console.WriteLine(scaler.Transform(test));
                }
            }
            """, "MG0019", "new StandardScaler().Fit(patients.AsTrain())",
            "'StandardScaler.Fit' is fitted on every row of 'patients', which include the rows that 'Split.TrainTest' holds out for testing");
        // The split is shown as the related location.
        Assert.Equal("Split.TrainTest(patients, 0.2, SplitKind.Random, seed: 1)", d.AdditionalLocations.Single().SourceTree!.GetText().ToString(d.AdditionalLocations.Single().SourceSpan));
    }

    [Fact]
    public async Task MG0019_ScalerFittedOnAnInferredCsvTable_ThenSplit_IsReported() => await AssertLeak("""
        public static class Experiment
        {
            public static void Run()
            {
                var visits = CsvReader.ReadTable("visits.csv").WithRole("readmitted", ColumnRole.Label);
                var scaler = new StandardScaler().Fit(visits.AsTrain());
                var (train, test) = Split.TrainTest(visits, 0.2, SplitKind.Stratified, seed: 1);
                Console.WriteLine(scaler.Transform(test));
            }
        }
        """, "MG0019", "new StandardScaler().Fit(visits.AsTrain())",
        "'StandardScaler.Fit' is fitted on every row of 'visits', which include the rows that 'Split.TrainTest' holds out for testing");

    [Fact]
    public async Task MG0019_ScalerFittedOnATokenSequenceTable_ThenSplit_IsReported() => await AssertLeak("""
        public static class Experiment
        {
            public static void Run(int[][] ids, string[] sentiments)
            {
                var reviews = TokenSequences.ToTable("reviews", ids, 80, TableColumn.Categories("sentiment", sentiments));
                var scaler = new StandardScaler().Fit(reviews.AsTrain());
                var (train, test) = Split.TrainTest(reviews, 0.2, SplitKind.Stratified, seed: 1);
                Console.WriteLine(scaler.Transform(test));
            }
        }
        """, "MG0019", "new StandardScaler().Fit(reviews.AsTrain())",
        "'StandardScaler.Fit' is fitted on every row of 'reviews', which include the rows that 'Split.TrainTest' holds out for testing");

    [Fact]
    public async Task MG0019_Twin_ScalerFittedOnTheTrainingPart_IsClean() => await AssertClean("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> patients)
            {
                var (train, test) = Split.TrainTest(patients, 0.2, SplitKind.Random, seed: 1);
                var scaler = new StandardScaler().Fit(train);
                Console.WriteLine(scaler.Transform(test));
            }
        }
        """);

    [Fact]
    public async Task MG0019_RenamedLocals_RecordAccess_AndAPipelineFitTransform_KeepTheVerdict() => await AssertLeak("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> rows)
            {
                var parts = Split.TrainValidationTest(rows, 0.1, 0.2, SplitKind.Random, seed: 1);
                var everything = rows.AsTrain();
                var (prep, prepared) = new Pipeline(new Imputer(), new StandardScaler()).FitTransform(everything);
                Console.WriteLine(prep.Transform(parts.Test));
            }
        }
        """, "MG0019", "new Pipeline(new Imputer(), new StandardScaler()).FitTransform(everything)",
        "'Pipeline.FitTransform' is fitted on every row of 'rows'", "'Split.TrainValidationTest'");

    [Fact]
    public async Task MG0019_ExtractedHelpers_ForTheFitAndTheSplit_ReportTheHelperCall() => await AssertLeak("""
        public static class Experiment
        {
            private static FittedTransformer FitScaler(Table<Unsplit> t) => new StandardScaler().Fit(t.AsTrain());
            private static TrainTestSplit SplitRows(Table<Unsplit> t) => Split.TrainTest(t, 0.2, SplitKind.Random, 1);

            public static void Run(Table<Unsplit> data)
            {
                var scaler = FitScaler(data);
                var split = SplitRows(data);
                Console.WriteLine(scaler.Transform(split.Test));
            }
        }
        """, "MG0019", "FitScaler(data)", "'FitScaler → StandardScaler.Fit' is fitted on every row of 'data'");

    [Fact]
    public async Task MG0019_LocalFunction_AndAMethodChain_KeepTheVerdict() => await AssertLeak("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> data)
            {
                FittedTransformer Prepare(Table<Train> rows) => new MinMaxScaler().Fit(rows);
                var test = Split.TrainTest(data.Where(r => !r.IsMissing("y")), 0.2, SplitKind.Random, 1).Test;
                Console.WriteLine(Prepare(data.AsTrain()).Transform(test));
            }
        }
        """, "MG0019", "Prepare(data.AsTrain())", "'Prepare → MinMaxScaler.Fit' is fitted on every row of 'data'");

    [Fact]
    public async Task MG0019_InstanceHelperOnAReadonlyField_KeepsTheVerdict() => await AssertLeak("""
        public sealed class Experiment
        {
            private readonly Table<Unsplit> _data;
            public Experiment(Table<Unsplit> data) => _data = data;
            private FittedTransformer Fitted() => new TargetEncoder().Fit(_data.AsTrain());

            public void Run()
            {
                var (train, test) = Split.TrainTest(_data, 0.2, SplitKind.Random, 1);
                Console.WriteLine(Fitted().Transform(test));
            }
        }
        """, "MG0019", "Fitted()", "'Fitted → TargetEncoder.Fit' is fitted on every row of '_data'");

    [Fact]
    public async Task MG0019_TableAlsoDeclaredTest_WithAsTest_IsReported() => await AssertLeak("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> data)
            {
                var test = data.AsTest();
                var pca = new Pca(2).Fit(data.AsTrain());
                Console.WriteLine(pca.Transform(test));
            }
        }
        """, "MG0019", "new Pca(2).Fit(data.AsTrain())", "which include the rows that 'AsTest' holds out for testing");

    [Fact]
    public async Task MG0019_SamplerResamplingAllRows_IsReported() => await AssertLeaks("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> data)
            {
                var (train, test) = Split.TrainTest(data, 0.2, SplitKind.Stratified, 1);
                var balanced = new Smote(seed: 1).Resample(data.AsTrain());
                var model = new Net(1);
                model.Fit(balanced.ToDataset(TargetKind.ClassIndex));
                Console.WriteLine(model.Evaluate(test.ToDataset(TargetKind.ClassIndex)));
            }
        }
        """, ("MG0019", "new Smote(seed: 1).Resample(data.AsTrain())"), ("MG0022", "model.Fit(balanced.ToDataset(TargetKind.ClassIndex))"));

    [Fact]
    public async Task MG0019_HelperThatSplitsAndFitsItself_IsReportedOnceInsideIt() => await AssertLeak("""
        public static class Experiment
        {
            private static void Leaky(Table<Unsplit> t)
            {
                var (train, test) = Split.TrainTest(t, 0.2, SplitKind.Random, 1);
                var scaler = new StandardScaler().Fit(t.AsTrain());
                Console.WriteLine(scaler.Transform(test));
            }

            public static void Run(Table<Unsplit> data) => Leaky(data);
        }
        """, "MG0019", "new StandardScaler().Fit(t.AsTrain())");

    [Fact]
    public async Task MG0019_Twin_FinalRefitOnAllRows_AfterTheOneEvaluation_IsClean() => await AssertClean("""
        public static class Experiment
        {
            public static Net Run(Table<Unsplit> data)
            {
                var recipe = new Pipeline(new Imputer(), new StandardScaler());
                var (train, test) = Split.TrainTest(data, 0.2, SplitKind.Random, 1);
                var (fitted, trainRows) = recipe.FitTransform(train);
                var model = new Net(1);
                model.Fit(trainRows.ToDataset(TargetKind.ClassIndex), epochs: 5);
                Console.WriteLine(model.Evaluate(fitted.Transform(test).ToDataset(TargetKind.ClassIndex)));

                // The test score is reported; the model that ships learns from every row.
                var (finalPrep, allRows) = recipe.FitTransform(data.AsTrain());
                var final = new Net(2);
                final.Fit(allRows.ToDataset(TargetKind.ClassIndex), epochs: 5);
                return final;
            }
        }
        """);

    [Fact]
    public async Task MG0019_Twin_SeparateFiles_AndAHandWrittenTimeSplitWithWhere_AreClean() => await AssertClean("""
        public static class Experiment
        {
            public static void Files(TableSchema schema)
            {
                var train = CsvReader.ReadTable("train.csv", schema).AsTrain();
                var test = CsvReader.ReadTable("test.csv", schema).AsTest();
                Console.WriteLine(new StandardScaler().Fit(train).Transform(test));
            }

            public static void ByYear(Table<Unsplit> all)
            {
                var train = all.Where(r => r["year"] < 2020).AsTrain();
                var test = all.Where(r => r["year"] >= 2020).AsTest();
                Console.WriteLine(new StandardScaler().Fit(train).Transform(test));
            }
        }
        """);

    [Fact]
    public async Task MG0019_Twin_ATableOfAnEarlierPassOfALoop_IsClean() => await AssertClean("""
        public static class Experiment
        {
            public static void Run(IEnumerable<string> paths, TableSchema schema)
            {
                Table<Unsplit>? previous = null;
                foreach (var path in paths)
                {
                    var table = CsvReader.ReadTable(path, schema);
                    var (train, test) = Split.TrainTest(table, 0.2, SplitKind.Random, 1);
                    if (previous is not null)
                        Console.WriteLine(new StandardScaler().Fit(previous.AsTrain()).Transform(test));   // last file's rows, not this one's
                    previous = table;
                }
            }
        }
        """);

    [Fact]
    public async Task MG0019_Twin_StatelessTransformer_AndUnknownFlow_AreClean() => await AssertClean("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> a, Table<Unsplit> b, bool useB)
            {
                var (train, test) = Split.TrainTest(a, 0.2, SplitKind.Random, 1);
                var poly = new PolynomialFeatures(2).Fit(a.AsTrain());     // learns nothing from the rows
                var t = a;
                if (useB) t = b;                                            // which table: not decided
                var scaler = new StandardScaler().Fit(t.AsTrain());
                Console.WriteLine(scaler.Transform(poly.Transform(test)));
            }
        }
        """);

    // ───────────── MG0020: statistic of all rows before the split ─────────────

    [Fact]
    public async Task MG0020_MeanFillBeforeTheSplit_IsReportedOnWithColumn() => await AssertLeak("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> data)
            {
                double mean = data["age"].Values.ToArray().Where(v => !double.IsNaN(v)).Average();
                var filled = data.WithColumn(TableColumn.Numbers("age", data["age"].Values.ToArray().Select(v => double.IsNaN(v) ? mean : v).ToArray()));
                var (train, test) = Split.TrainTest(filled, 0.2, SplitKind.Random, 1);
            }
        }
        """, "MG0020", """data.WithColumn(TableColumn.Numbers("age", data["age"].Values.ToArray().Select(v => double.IsNaN(v) ? mean : v).ToArray()))""",
        "'data.WithColumn' adds a column computed from 'Average' over every row of 'data', which 'Split.TrainTest' then splits");

    [Fact]
    public async Task MG0020_Twin_MeanOfTheTrainingPartAfterTheSplit_IsClean() => await AssertClean("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> data)
            {
                var (train, test) = Split.TrainTest(data, 0.2, SplitKind.Random, 1);
                double mean = train["age"].Values.ToArray().Where(v => !double.IsNaN(v)).Average();
                train = train.WithColumn(TableColumn.Numbers("age", train["age"].Values.ToArray().Select(v => double.IsNaN(v) ? mean : v).ToArray()));
                var filledTest = test.WithColumn(TableColumn.Numbers("age", test["age"].Values.ToArray().Select(v => double.IsNaN(v) ? mean : v).ToArray()));
            }
        }
        """);

    [Fact]
    public async Task MG0020_Twin_RowWiseFeatureBeforeTheSplit_IsClean() => await AssertClean("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> data)
            {
                var logged = data.WithColumn(TableColumn.Numbers("log_income", data["income"].Values.ToArray().Select(v => Math.Log(1 + v)).ToArray()));
                var (train, test) = Split.TrainTest(logged, 0.2, SplitKind.Random, 1);
            }
        }
        """);

    [Fact]
    public async Task MG0020_RunningTotalInALoop_AndReassignment_KeepTheVerdict() => await AssertLeak("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> data)
            {
                double sum = 0;
                int n = 0;
                foreach (var v in data["income"].Values.ToArray()) { sum += v; n++; }
                var centred = new double[data.RowCount];
                for (int i = 0; i < centred.Length; i++) centred[i] = data["income"][i] - sum / n;
                data = data.WithColumn(TableColumn.Numbers("income", centred));
                var split = Split.TrainTest(data, 0.2, SplitKind.Random, 1);
            }
        }
        """, "MG0020", """data.WithColumn(TableColumn.Numbers("income", centred))""", "computed from a running total over every row of 'data'");

    [Fact]
    public async Task MG0020_RankInAHelper_BeforeKFold_KeepsTheVerdict() => await AssertLeak("""
        public static class Experiment
        {
            private static double[] Ranks(Table<Unsplit> t, string column)
            {
                var sorted = t[column].Values.ToArray().OrderBy(v => v).ToList();
                return t[column].Values.ToArray().Select(v => (double)sorted.IndexOf(v)).ToArray();
            }

            public static void Run(Table<Unsplit> data)
            {
                var ranked = data.WithColumn(TableColumn.Numbers("income_rank", Ranks(data, "income")));
                var folds = Split.KFold(ranked.AsTrain(), 5, SplitKind.Random, 1);
            }
        }
        """, "MG0020", """data.WithColumn(TableColumn.Numbers("income_rank", Ranks(data, "income")))""", "'OrderBy' over every row of 'data'", "'Split.KFold'");

    [Fact]
    public async Task MG0020_Twin_NumberingTheLevelsOfACategory_IsClean() => await AssertClean("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> data)
            {
                var levels = data["city"].Values.ToArray().Distinct().OrderBy(v => v).ToList();
                var coded = data.WithColumn(TableColumn.Numbers("city_code", data["city"].Values.ToArray().Select(v => (double)levels.IndexOf(v)).ToArray()));
                var (train, test) = Split.TrainTest(coded, 0.2, SplitKind.Random, 1);
            }
        }
        """);

    // ───────────── MG0021: oversampling before the split ─────────────

    [Fact]
    public async Task MG0021_SmoteBeforeKFold_IsReportedOnTheResample() => await AssertLeak("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> data)
            {
                var balanced = new Smote(seed: 1).Resample(data.AsTrain());
                var folds = Split.KFold(balanced, 5, SplitKind.Stratified, 1);
                var cv = CrossValidation.Run(folds, new StandardScaler(), f => new Net(f), (m, d) => m.Fit(d), TargetKind.ClassIndex);
            }
        }
        """, "MG0021", "new Smote(seed: 1).Resample(data.AsTrain())",
        "'Smote.Resample' resamples rows that 'Split.KFold' then splits, so copies of held-out rows land in training");

    [Fact]
    public async Task MG0021_Twin_SamplerInsideThePipelineOfCrossValidation_IsClean() => await AssertClean("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> data)
            {
                var folds = Split.KFold(data.AsTrain(), 5, SplitKind.Stratified, 1);
                var recipe = new Pipeline(new StandardScaler(), new Smote(seed: 1));
                var cv = CrossValidation.Run(folds, recipe, f => new Net(f), (m, d) => m.Fit(d), TargetKind.ClassIndex);
            }
        }
        """);

    [Fact]
    public async Task MG0021_PipelineWithASampler_ThenTrainValidation_KeepsTheVerdict() => await AssertLeak("""
        public static class Experiment
        {
            public static void Run(Table<Train> train)
            {
                var (prep, balanced) = new Pipeline(new StandardScaler(), new RandomOverSampler(1)).FitTransform(train);
                var (fit, validation) = Split.TrainValidation(balanced, 0.2, SplitKind.Random, 1);
            }
        }
        """, "MG0021", "new Pipeline(new StandardScaler(), new RandomOverSampler(1)).FitTransform(train)", "'Split.TrainValidation'");

    [Fact]
    public async Task MG0021_ResamplingHelper_KeepsTheVerdict() => await AssertLeak("""
        public static class Experiment
        {
            private static Table<Train> Balance(Table<Train> rows) => new RandomOverSampler(seed: 3).Resample(rows);

            public static void Run(Table<Unsplit> data)
            {
                var folds = Split.KFold(Balance(data.AsTrain()), 5, SplitKind.Stratified, 1);
            }
        }
        """, "MG0021", "Balance(data.AsTrain())", "'Balance → RandomOverSampler.Resample' resamples rows that 'Split.KFold' then splits");

    // ───────────── MG0022: training on test rows ─────────────

    [Fact]
    public async Task MG0022_ModelFittedOnTheTestPart_IsReportedOnFit() => await AssertLeak("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> data)
            {
                var (train, test) = Split.TrainTest(data, 0.2, SplitKind.Random, 1);
                var testData = test.ToDataset(TargetKind.ClassIndex);
                var model = new Net(1);
                model.Fit(testData, epochs: 5);
            }
        }
        """, "MG0022", "model.Fit(testData, epochs: 5)", "'model.Fit' trains on the test rows of 'Split.TrainTest'");

    [Fact]
    public async Task MG0022_TestRowsWithNamedInputs_AreStillTheTestRows() => await AssertLeak("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> data)
            {
                var (train, test) = Split.TrainTest(data, 0.2, SplitKind.Random, 1);
                var testData = test.ToDataset(TargetKind.ClassIndex).WithInputs(("a", 2), ("b", 2));
                var model = new Net(1);
                model.Fit(testData, epochs: 5);
            }
        }
        """, "MG0022", "model.Fit(testData, epochs: 5)", "'model.Fit' trains on the test rows of 'Split.TrainTest'");

    [Fact]
    public async Task MG0022_TestRowsWithClassNames_AreStillTheTestRows() => await AssertLeak("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> data)
            {
                var (train, test) = Split.TrainTest(data, 0.2, SplitKind.Random, 1);
                var testData = test.ToDataset(TargetKind.ClassIndex).WithClassNames(new[] { "no", "yes" });
                var model = new Net(1);
                model.Fit(testData, epochs: 5);
            }
        }
        """, "MG0022", "model.Fit(testData, epochs: 5)", "'model.Fit' trains on the test rows of 'Split.TrainTest'");

    [Fact]
    public async Task MG0022_ModelFittedOnAllRows_ThenEvaluatedOnTheTestPart_IsReported() => await AssertLeak("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> data)
            {
                var (train, test) = Split.TrainTest(data, 0.2, SplitKind.Random, 1);
                var model = new Net(1);
                model.Fit(data.ToDataset(TargetKind.ClassIndex));
                Console.WriteLine(model.Evaluate(test.ToDataset(TargetKind.ClassIndex)));
            }
        }
        """, "MG0022", "model.Fit(data.ToDataset(TargetKind.ClassIndex))",
        "trains on every row of 'data', which include the test rows of 'Split.TrainTest'");

    [Fact]
    public async Task MG0022_TrainingHelper_KeepsTheVerdict() => await AssertLeak("""
        public static class Experiment
        {
            private static void Train(Net model, Dataset data) => model.Fit(data, epochs: 3, batchSize: 16);

            public static void Run(Table<Unsplit> data)
            {
                var split = Split.TrainTest(data, 0.2, SplitKind.Random, 1);
                var net = new Net(1);
                Train(net, split.Test.ToDataset(TargetKind.ClassIndex));
            }
        }
        """, "MG0022", "Train(net, split.Test.ToDataset(TargetKind.ClassIndex))", "'Train → model.Fit' trains on the test rows");

    [Fact]
    public async Task MG0022_Twin_TrainedOnTheTrainingPart_IsClean() => await AssertClean("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> data)
            {
                var (train, test) = Split.TrainTest(data, 0.2, SplitKind.Random, 1);
                var model = new Net(1);
                model.Fit(train.ToDataset(TargetKind.ClassIndex));
                Console.WriteLine(model.Evaluate(test.ToDataset(TargetKind.ClassIndex)));
            }
        }
        """);

    // ───────────── MG0023: test data steers training ─────────────

    [Fact]
    public async Task MG0023_TestDataAsTheValidationSet_IsReportedOnFit() => await AssertLeak("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> data)
            {
                var (train, test) = Split.TrainTest(data, 0.2, SplitKind.Random, 1);
                var model = new Net(1);
                model.Fit(train.ToDataset(TargetKind.ClassIndex), validation: test.ToDataset(TargetKind.ClassIndex), epochs: 50);
            }
        }
        """, "MG0023", "model.Fit(train.ToDataset(TargetKind.ClassIndex), validation: test.ToDataset(TargetKind.ClassIndex), epochs: 50)",
        "'model.Fit' validates on the test rows of 'Split.TrainTest', so the test rows steer training");

    [Fact]
    public async Task MG0023_TestEvaluatedAfterEveryEpoch_IsReportedOnFit() => await AssertLeak("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> data)
            {
                var (train, test) = Split.TrainTest(data, 0.2, SplitKind.Random, 1);
                var testData = test.ToDataset(TargetKind.ClassIndex);
                var model = new Net(1);
                model.Fit(train.ToDataset(TargetKind.ClassIndex), epochs: 50, onEpoch: e => Console.WriteLine(model.Evaluate(testData)));
            }
        }
        """, "MG0023", "model.Fit(train.ToDataset(TargetKind.ClassIndex), epochs: 50, onEpoch: e => Console.WriteLine(model.Evaluate(testData)))",
        "evaluates the test rows of 'Split.TrainTest' after every epoch (onEpoch)");

    [Fact]
    public async Task MG0023_Twin_ValidationSplitOffTheTrainingPart_IsClean() => await AssertClean("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> data)
            {
                var (train, test) = Split.TrainTest(data, 0.2, SplitKind.Random, 1);
                var (fit, validation) = Split.TrainValidation(train, 0.2, SplitKind.Random, 1);
                var model = new Net(1);
                model.Fit(fit.ToDataset(TargetKind.ClassIndex), validation: validation.ToDataset(TargetKind.ClassIndex), epochs: 50);
                Console.WriteLine(model.Evaluate(test.ToDataset(TargetKind.ClassIndex)));
            }
        }
        """);

    [Fact]
    public async Task MG0023_TrainingHelperGivenTheTestSet_KeepsTheVerdict() => await AssertLeak("""
        public static class Experiment
        {
            private static TrainingHistory Train(Net model, Dataset rows, Dataset check) => model.Fit(rows, check, epochs: 30);

            public static void Run(Table<Unsplit> data)
            {
                var split = Split.TrainTest(data, 0.2, SplitKind.Random, 1);
                var history = Train(new Net(1), split.Train.ToDataset(TargetKind.ClassIndex), split.Test.ToDataset(TargetKind.ClassIndex));
            }
        }
        """, "MG0023", "Train(new Net(1), split.Train.ToDataset(TargetKind.ClassIndex), split.Test.ToDataset(TargetKind.ClassIndex))",
        "'Train → model.Fit' validates on the test rows of 'Split.TrainTest'");

    // ───────────── MG0024: the test set evaluated more than once ─────────────

    [Fact]
    public async Task MG0024_TwoModelsComparedOnTheTestSet_IsReportedOnTheSecondEvaluation()
    {
        var d = await AssertLeak("""
            public static class Experiment
            {
                public static void Run(Table<Unsplit> data)
                {
                    var (train, test) = Split.TrainTest(data, 0.2, SplitKind.Random, 1);
                    var trainData = train.ToDataset(TargetKind.ClassIndex);
                    var testData = test.ToDataset(TargetKind.ClassIndex);
                    var small = new Net(1);
                    small.Fit(trainData, epochs: 5);
                    var large = new Net(2);
                    large.Fit(trainData, epochs: 50);
                    var best = small.Evaluate(testData).Accuracy > ModelScores.Evaluate(large, testData).Accuracy ? small : large;
                }
            }
            """, "MG0024", "ModelScores.Evaluate(large, testData)",
            "'ModelScores.Evaluate' is a second model evaluated on the test data (after 'small.Evaluate')");
        Assert.Equal("small.Evaluate(testData)", d.AdditionalLocations.Single().SourceTree!.GetText().ToString(d.AdditionalLocations.Single().SourceSpan));
    }

    [Fact]
    public async Task MG0024_SameModelTrainedFurtherAndEvaluatedAgain_IsReported() => await AssertLeak("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> data)
            {
                var (train, test) = Split.TrainTest(data, 0.2, SplitKind.Random, 1);
                var testData = test.ToDataset(TargetKind.ClassIndex);
                var model = new Net(1);
                model.Fit(train.ToDataset(TargetKind.ClassIndex), epochs: 10);
                Console.WriteLine(model.Evaluate(testData));
                model.Fit(train.ToDataset(TargetKind.ClassIndex), epochs: 10);
                Console.WriteLine(model.Evaluate(testData));
            }
        }
        """, "MG0024", "model.Evaluate(testData)", "the same model evaluated on the test data again after more training");

    [Fact]
    public async Task MG0024_TuningLoopScoredOnTheTestSet_IsReported() => await AssertLeak("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> data)
            {
                var (train, test) = Split.TrainTest(data, 0.2, SplitKind.Random, 1);
                var trainData = train.ToDataset(TargetKind.ClassIndex);
                var testData = test.ToDataset(TargetKind.ClassIndex);
                float best = 0;
                foreach (var rate in new[] { 1e-2f, 1e-3f, 1e-4f })
                {
                    var model = new Net(1);
                    model.Fit(trainData, optimizer: new Adam(rate));
                    best = Math.Max(best, model.Evaluate(testData).Accuracy);
                }
            }
        }
        """, "MG0024", "model.Evaluate(testData)", "an evaluation on the test data inside a loop that trains models");

    [Fact]
    public async Task MG0024_ScoringHelperCalledForTwoModels_KeepsTheVerdict() => await AssertLeak("""
        public static class Experiment
        {
            private static float Score(Net m, Dataset d) => m.Evaluate(d).Accuracy;

            public static void Run(Table<Unsplit> data)
            {
                var split = Split.TrainTest(data, 0.2, SplitKind.Random, 1);
                var a = new Net(1);
                var b = new Net(2);
                a.Fit(split.Train.ToDataset(TargetKind.ClassIndex));
                b.Fit(split.Train.ToDataset(TargetKind.ClassIndex));
                var winner = Score(a, split.Test.ToDataset(TargetKind.ClassIndex)) >= Score(b, split.Test.ToDataset(TargetKind.ClassIndex)) ? a : b;
            }
        }
        """, "MG0024", "Score(b, split.Test.ToDataset(TargetKind.ClassIndex))", "'Score → m.Evaluate' is a second model evaluated on the test data (after 'Score → m.Evaluate')");

    [Fact]
    public async Task MG0024_Twin_OneModelEvaluatedOnce_ScoredAndPredicted_IsClean() => await AssertClean("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> data)
            {
                var (train, test) = Split.TrainTest(data, 0.2, SplitKind.Random, 1);
                var testData = test.ToDataset(TargetKind.ClassIndex);
                var model = new Net(1);
                model.Fit(train.ToDataset(TargetKind.ClassIndex));
                Console.WriteLine(model.Evaluate(testData));
                Console.WriteLine(ModelScores.Evaluate(model, testData));
                var predicted = model.PredictClasses(testData);
            }
        }
        """);

    [Fact]
    public async Task MG0024_Twin_ModelsOnExclusiveBranches_AndOneTestSetPerDataset_AreClean() => await AssertClean("""
        public static class Experiment
        {
            public static void Branches(Table<Unsplit> data, bool large)
            {
                var (train, test) = Split.TrainTest(data, 0.2, SplitKind.Random, 1);
                var trainData = train.ToDataset(TargetKind.ClassIndex);
                var testData = test.ToDataset(TargetKind.ClassIndex);
                if (large)
                {
                    var a = new Net(1);
                    a.Fit(trainData, epochs: 50);
                    Console.WriteLine(a.Evaluate(testData));
                }
                else
                {
                    var b = new Net(2);
                    b.Fit(trainData, epochs: 5);
                    Console.WriteLine(b.Evaluate(testData));
                }
            }

            public static void PerRegion(IEnumerable<Table<Unsplit>> regions)
            {
                foreach (var region in regions)
                {
                    var (train, test) = Split.TrainTest(region, 0.2, SplitKind.Random, 1);
                    var model = new Net(1);
                    model.Fit(train.ToDataset(TargetKind.ClassIndex));
                    Console.WriteLine(model.Evaluate(test.ToDataset(TargetKind.ClassIndex)));
                }
            }
        }
        """);

    [Fact]
    public async Task MG0024_EarlyStoppingByHandOnTheTestSet_IsReported() => await AssertLeak("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> data)
            {
                var (train, test) = Split.TrainTest(data, 0.2, SplitKind.Random, 1);
                var trainData = train.ToDataset(TargetKind.ClassIndex);
                var testData = test.ToDataset(TargetKind.ClassIndex);
                var model = new Net(1);
                float best = 0;
                int patience = 0;
                while (patience < 3)
                {
                    model.Fit(trainData, epochs: 1);
                    float accuracy = model.Evaluate(testData).Accuracy;
                    if (accuracy > best) { best = accuracy; patience = 0; } else patience++;
                }
            }
        }
        """, "MG0024", "model.Evaluate(testData)", "inside a loop that trains models");

    [Fact]
    public async Task MG0024_Twin_RepeatsWithOtherSeeds_ValidationChoice_AndAnEnsemble_AreClean() => await AssertClean("""
        public static class Experiment
        {
            public static void Seeds(Table<Unsplit> data)
            {
                var (train, test) = Split.TrainTest(data, 0.2, SplitKind.Random, 1);
                var scores = new List<float>();
                for (int seed = 0; seed < 5; seed++)
                {
                    var model = new Net(seed);
                    model.Fit(train.ToDataset(TargetKind.ClassIndex), seed: seed);
                    scores.Add(model.Evaluate(test.ToDataset(TargetKind.ClassIndex)).Accuracy);
                }
                Console.WriteLine($"{scores.Average()} ± {scores.Max() - scores.Min()}");
            }

            public static void ChosenOnValidation(Table<Unsplit> data)
            {
                var (train, validation, test) = Split.TrainValidationTest(data, 0.1, 0.2, SplitKind.Random, 1);
                var validationData = validation.ToDataset(TargetKind.ClassIndex);
                var a = new Net(1);
                a.Fit(train.ToDataset(TargetKind.ClassIndex), validationData);
                var b = new Net(2);
                b.Fit(train.ToDataset(TargetKind.ClassIndex), validationData);
                var best = a.Evaluate(validationData).Loss < b.Evaluate(validationData).Loss ? a : b;
                Console.WriteLine(best.Evaluate(test.ToDataset(TargetKind.ClassIndex)));
            }

            public static void Ensemble(Table<Unsplit> data)
            {
                var (train, test) = Split.TrainTest(data, 0.2, SplitKind.Random, 1);
                var members = new List<Net> { new Net(1), new Net(2) };
                foreach (var m in members) m.Fit(train.ToDataset(TargetKind.ClassIndex));
                var votes = members.Select(m => m.Predict(test.ToDataset(TargetKind.ClassIndex))).ToList();
            }
        }
        """);

    // ───────────── MG0025: preprocessing outside the validation folds ─────────────

    [Fact]
    public async Task MG0025_ScalerFittedOnAllTrainingRows_AppliedInsideTheFolds_IsReportedOnTheValidationTransform() => await AssertLeak("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> data)
            {
                var (train, test) = Split.TrainTest(data, 0.2, SplitKind.Random, 1);
                var scaler = new StandardScaler().Fit(train);
                foreach (var fold in Split.KFold(train, 5, SplitKind.Random, 1))
                {
                    var model = new Net(fold.Index);
                    model.Fit(scaler.Transform(fold.Train).ToDataset(TargetKind.ClassIndex));
                    Console.WriteLine(model.Evaluate(scaler.Transform(fold.Validation).ToDataset(TargetKind.ClassIndex)));
                }
            }
        }
        """, "MG0025", "scaler.Transform(fold.Validation)",
        "'scaler.Transform' applies 'StandardScaler', fitted on 'train' (the training part of 'Split.TrainTest'), which include the validation rows of 'Split.KFold'");

    [Fact]
    public async Task MG0025_IndexedFoldsAndDeconstruction_KeepTheVerdict() => await AssertLeaks("""
        public static class Experiment
        {
            public static void Run(Table<Train> train)
            {
                var folds = Split.KFold(train, 5, SplitKind.Random, 1);
                var imputer = new Imputer(ImputeStrategy.Median).Fit(train);
                for (int i = 0; i < folds.Count; i++)
                    Console.WriteLine(imputer.Transform(folds[i].Validation));
                foreach (var (index, fit, held) in folds)
                    Console.WriteLine(imputer.Transform(held));
            }
        }
        """, ("MG0025", "imputer.Transform(folds[i].Validation)"), ("MG0025", "imputer.Transform(held)"));

    [Fact]
    public async Task MG0025_FoldHelper_KeepsTheVerdict() => await AssertLeak("""
        public static class Experiment
        {
            private static Table<Validation> Held(FittedTransformer prep, Fold fold) => prep.Transform(fold.Validation);

            public static void Run(Table<Train> train)
            {
                var prep = new Pipeline(new Imputer(), new VarianceThreshold()).Fit(train);
                foreach (var fold in Split.KFold(train, 3, SplitKind.Random, 1))
                    Console.WriteLine(Held(prep, fold));
            }
        }
        """, "MG0025", "Held(prep, fold)", "'Held → prep.Transform' applies 'Pipeline', fitted on every row of 'train'");

    [Fact]
    public async Task MG0025_KFoldOfRowsAlreadyScaled_IsReportedOnTheSplit() => await AssertLeak("""
        public static class Experiment
        {
            public static void Run(Table<Train> train)
            {
                var (scaler, scaled) = new StandardScaler().FitTransform(train);
                var cv = CrossValidation.Run(Split.KFold(scaled, 5, SplitKind.Random, 1), null, f => new Net(f), (m, d) => m.Fit(d), TargetKind.ClassIndex);
            }
        }
        """, "MG0025", "Split.KFold(scaled, 5, SplitKind.Random, 1)", "'Split.KFold' splits rows already transformed by 'StandardScaler'");

    [Fact]
    public async Task MG0025_Twin_FittedInsideEachFold_OrByCrossValidationRun_IsClean() => await AssertClean("""
        public static class Experiment
        {
            public static void Run(Table<Train> train)
            {
                var folds = Split.KFold(train, 5, SplitKind.Random, 1);
                foreach (var fold in folds)
                {
                    var (prep, rows) = new Pipeline(new StandardScaler(), new Smote(1)).FitTransform(fold.Train);
                    var model = new Net(fold.Index);
                    model.Fit(rows.ToDataset(TargetKind.ClassIndex));
                    Console.WriteLine(model.Evaluate(prep.Transform(fold.Validation).ToDataset(TargetKind.ClassIndex)));
                }
                var cv = CrossValidation.Run(folds, new StandardScaler(), f => new Net(f), (m, d) => m.Fit(d), TargetKind.ClassIndex);
            }
        }
        """);

    // ───────────── MG0026: shuffled split of time-ordered rows ─────────────

    private const string VisitsSchema = """
        new TableSchema(
                    new ColumnSpec("visit", ColumnType.Date, ColumnRole.Timestamp),
                    new ColumnSpec("readmitted", ColumnType.Category, ColumnRole.Label))
        """;

    [Fact]
    public async Task MG0026_RandomSplitOfATableWithATimestamp_IsReportedOnTheKind() => await AssertLeak($$"""
        public static class Experiment
        {
            public static void Run()
            {
                var schema = {{VisitsSchema}};
                var visits = CsvReader.ReadTable("visits.csv", schema);
                var (train, test) = Split.TrainTest(visits, 0.2, SplitKind.Random, 1);
            }
        }
        """, "MG0026", "SplitKind.Random",
        "'Split.TrainTest' splits rows with the timestamp column 'visit' by SplitKind.Random", "use SplitKind.TimeOrdered");

    [Fact]
    public async Task MG0026_Twin_TimeOrderedSplitAndFolds_AreClean() => await AssertClean($$"""
        public static class Experiment
        {
            public static void Run()
            {
                var visits = CsvReader.ReadTable("visits.csv", {{VisitsSchema}});
                var (train, test) = Split.TrainTest(visits, 0.2, SplitKind.TimeOrdered, 1);
                var folds = Split.KFold(train, 4, SplitKind.TimeOrdered, 1);
                var notTime = visits.WithRole("visit", ColumnRole.Feature);
                var shuffled = Split.TrainTest(notTime, 0.2, SplitKind.Random, 1);
            }
        }
        """);

    [Fact]
    public async Task MG0026_Twin_InOrderSplitAndFolds_KeepTheTableOrder_AndAreClean() => await AssertClean($$"""
        public static class Experiment
        {
            public static void Run()
            {
                var visits = CsvReader.ReadTable("visits.csv", {{VisitsSchema}});
                var (train, test) = Split.TrainTest(visits, 0.2, SplitKind.InOrder, 1);
                var (fit, validation) = Split.TrainValidation(train, 0.1, SplitKind.InOrder, 1);
                var folds = Split.KFold(train, 4, SplitKind.InOrder, 1);
            }
        }
        """);

    [Fact]
    public async Task MG0026_RoleGivenInAChain_TableCreateWithDates_AndStratifiedFolds_KeepTheVerdict() => await AssertLeaks("""
        public static class Experiment
        {
            public static void Run(TableSchema schema, DateTime?[] when, double[] x)
            {
                var (train, test) = Split.TrainTest(CsvReader.ReadTable("v.csv", schema).WithRole("visit", ColumnRole.Timestamp), 0.2, SplitKind.TimeOrdered, 1);
                var folds = Split.KFold(train, 5, SplitKind.Stratified, 1);
                var created = Table.Create("memory", TableColumn.Dates("when", when), TableColumn.Numbers("x", x));
                var kind = SplitKind.Random;
                var split = Split.TrainTest(created, 0.5, kind, 1);
            }
        }
        """, ("MG0026", "SplitKind.Stratified"), ("MG0026", "kind"));

    [Fact]
    public async Task MG0026_SplittingHelper_IsReportedOnTheHelperCall() => await AssertLeak($$"""
        public static class Experiment
        {
            private static TrainTestSplit Shuffle(Table<Unsplit> rows) => Split.TrainTest(rows, 0.2, SplitKind.Random, 7);

            public static void Run()
            {
                var split = Shuffle(CsvReader.ReadTable("visits.csv", {{VisitsSchema}}));
            }
        }
        """, "MG0026", "Shuffle(CsvReader.ReadTable(\"visits.csv\", " + VisitsSchema + "))",
        "'Shuffle → Split.TrainTest' splits rows with the timestamp column 'visit' by SplitKind.Random");

    // ───────────── MG0027: groups split across train and test ─────────────

    [Fact]
    public async Task MG0027_RandomSplitOfATableWithAGroupKey_IsReportedOnTheKind() => await AssertLeak("""
        public static class Experiment
        {
            public static void Run()
            {
                var visits = CsvReader.ReadTable("visits.csv", new TableSchema(new ColumnSpec("patient", ColumnType.Category, ColumnRole.GroupKey)));
                var split = Split.TrainValidationTest(visits, 0.1, 0.2, SplitKind.Stratified, 1);
            }
        }
        """, "MG0027", "SplitKind.Stratified",
        "'Split.TrainValidationTest' splits rows with the group key 'patient' by SplitKind.Stratified, so rows of one group land on both sides; use SplitKind.Group");

    [Fact]
    public async Task MG0027_InOrderSplitOfATableWithAGroupKey_IsReportedOnTheKind() => await AssertLeak("""
        public static class Experiment
        {
            public static void Run()
            {
                var visits = CsvReader.ReadTable("visits.csv", new TableSchema(new ColumnSpec("patient", ColumnType.Category, ColumnRole.GroupKey)));
                var split = Split.TrainTest(visits, 0.2, SplitKind.InOrder, 1);
            }
        }
        """, "MG0027", "SplitKind.InOrder",
        "'Split.TrainTest' splits rows with the group key 'patient' by SplitKind.InOrder, so rows of one group land on both sides; use SplitKind.Group");

    [Fact]
    public async Task MG0027_RowTypeSchema_ReassignedTable_AndTimeOrderedSplit_KeepTheVerdict() => await AssertLeaks("""
        public sealed class Visit : IRowSchema
        {
            public static TableSchema Schema => new(
                new ColumnSpec("patient", ColumnType.Category, ColumnRole.GroupKey),
                new ColumnSpec("visit", ColumnType.Date, ColumnRole.Timestamp));
        }

        public static class Experiment
        {
            public static void Run(TableSchema schema)
            {
                var visits = CsvReader.ReadTable<Visit>("visits.csv");
                var (train, test) = Split.TrainTest(visits, 0.2, SplitKind.TimeOrdered, 1);
                var t = CsvReader.ReadTable("other.csv", schema);
                t = t.WithRole("patient", ColumnRole.GroupKey);
                t = t.Where(r => !r.IsMissing("y"));
                var folds = Split.KFold(t.AsTrain(), 5, SplitKind.Random, 1);
            }
        }
        """, ("MG0027", "SplitKind.TimeOrdered"), ("MG0027", "SplitKind.Random"));

    [Fact]
    public async Task MG0027_Twin_GroupSplit_AndTheKeyDropped_AreClean() => await AssertClean("""
        public static class Experiment
        {
            public static void Run()
            {
                var visits = CsvReader.ReadTable("visits.csv", new TableSchema(new ColumnSpec("patient", ColumnType.Category, ColumnRole.GroupKey)));
                var (train, test) = Split.TrainTest(visits, 0.2, SplitKind.Group, 1);
                var folds = Split.KFold(train, 5, SplitKind.Group, 1);
                var anonymous = visits.WithoutColumns("patient");
                var shuffled = Split.TrainTest(anonymous, 0.2, SplitKind.Random, 1);
            }
        }
        """);

    // ───────────── MG0028: a column known only after the outcome as input ─────────────

    [Fact]
    public async Task MG0028_KnownAfterOutcomeColumnAmongTheFeatures_IsReportedOnToDataset() => await AssertLeak("""
        public static class Experiment
        {
            public static void Run()
            {
                var stays = CsvReader.ReadTable("stays.csv", new TableSchema(
                    new ColumnSpec("length_of_stay", Role: ColumnRole.KnownAfterOutcome),
                    new ColumnSpec("readmitted", ColumnType.Category, ColumnRole.Label)));
                var (train, test) = Split.TrainTest(stays, 0.2, SplitKind.Stratified, 1);
                string[] inputs = ["age", "length_of_stay"];
                var data = train.ToDataset(inputs, TargetKind.ClassIndex, allowKnownAfterOutcome: true);
            }
        }
        """, "MG0028", "train.ToDataset(inputs, TargetKind.ClassIndex, allowKnownAfterOutcome: true)",
        "'train.ToDataset' uses 'length_of_stay' as model input with allowKnownAfterOutcome: true, but it is known only after the outcome");

    [Fact]
    public async Task MG0028_RoleGivenWithWithRole_AndAFeatureListSpread_KeepTheVerdict() => await AssertLeak("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> stays)
            {
                var marked = stays.WithRole("discharge_code", ColumnRole.KnownAfterOutcome).WithRole("cost", ColumnRole.KnownAfterOutcome);
                var (train, test) = Split.TrainTest(marked, 0.2, SplitKind.Random, 1);
                var x = test.ToFeatureMatrix([.. train.FeatureColumns, "discharge_code", "cost"], true);
            }
        }
        """, "MG0028", """test.ToFeatureMatrix([.. train.FeatureColumns, "discharge_code", "cost"], true)""", "uses 'discharge_code' and 'cost' as model input", "they are known only after the outcome");

    [Fact]
    public async Task MG0028_DatasetHelper_KeepsTheVerdict() => await AssertLeak("""
        public static class Experiment
        {
            private static Dataset Inputs(Table<Train> rows) => rows.ToDataset(["age", "los"], TargetKind.ClassIndex, allowKnownAfterOutcome: true);

            public static void Run(Table<Unsplit> stays)
            {
                var (train, test) = Split.TrainTest(stays.WithRole("los", ColumnRole.KnownAfterOutcome), 0.2, SplitKind.Random, 1);
                var model = new Net(1);
                model.Fit(Inputs(train));
            }
        }
        """, "MG0028", "Inputs(train)", "'Inputs → rows.ToDataset' uses 'los' as model input");

    [Fact]
    public async Task MG0028_Twin_NotAllowed_OrNotAmongTheFeatures_IsClean() => await AssertClean("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> stays)
            {
                var marked = stays.WithRole("length_of_stay", ColumnRole.KnownAfterOutcome);
                var (train, test) = Split.TrainTest(marked, 0.2, SplitKind.Random, 1);
                var a = train.ToDataset(train.FeatureColumns, TargetKind.ClassIndex, allowKnownAfterOutcome: true);
                var b = train.ToDataset(new[] { "age", "length_of_stay" }, TargetKind.ClassIndex);   // refused at run time instead
            }
        }
        """);

    // ───────────── limits ─────────────

    [Fact]
    public async Task AVeryDeepExpression_IsLeftAlone_AndOtherMethodsAreStillAnalysed()
    {
        string sum = string.Join(" + ", Enumerable.Range(0, 3000).Select(i => $"data[\"x\"][{i}]"));
        await AssertLeak($$"""
            public static class Experiment
            {
                public static double Deep(Table<Unsplit> data)
                {
                    var (train, test) = Split.TrainTest(data, 0.2, SplitKind.Random, 1);
                    Console.WriteLine(new StandardScaler().Fit(data.AsTrain()).Transform(test));
                    return {{sum}};
                }

                public static void Shallow(Table<Unsplit> rows)
                {
                    var (train, test) = Split.TrainTest(rows, 0.2, SplitKind.Random, 1);
                    Console.WriteLine(new StandardScaler().Fit(rows.AsTrain()).Transform(test));
                }
            }
            """, "MG0019", "new StandardScaler().Fit(rows.AsTrain())");
    }

    // ───────────── a whole program ─────────────

    [Fact]
    public async Task TopLevelProgram_LikeTheBreastCancerSample_IsCleanButForTheDeliberateLeak()
    {
        const string program = """
            using System;
            using System.Linq;
            using ModelGen;
            using ModelGen.Data;
            using ModelGen.Metrics;

            Table<Unsplit> tumours = CsvReader.ReadTable("breast_cancer.csv", new TableSchema(new ColumnSpec("diagnosis", ColumnType.Category, ColumnRole.Label)));
            void Train(Net model, Dataset data) => model.Fit(data, epochs: 60, batchSize: 32, optimizer: new Adam(0.01f), seed: 1);

            var (train, test) = Split.TrainTest(tumours, testFraction: 0.2, SplitKind.Stratified, seed: 42);
            var scalerOnAllRows = new StandardScaler().Fit(tumours.AsTrain());
            Console.WriteLine(LeakageAudit.Check(scalerOnAllRows, test));
            Console.WriteLine(LeakageAudit.Check(tumours.AsTrain(), test));

            var recipe = new Pipeline(new StandardScaler());
            var folds = Split.KFold(train, k: 5, SplitKind.Stratified, seed: 42);
            var cv = CrossValidation.Run(folds, recipe, fold => new Net(seed: fold), Train, TargetKind.Value);
            foreach (var fold in folds) Console.WriteLine(LeakageAudit.Check(fold));

            var (fitted, trainRows) = recipe.FitTransform(train);
            var testRows = fitted.Transform(test);
            var model = new Net(seed: 7);
            Train(model, trainRows.ToDataset(trainRows.FeatureColumns, TargetKind.Value));
            var testData = testRows.ToDataset(testRows.FeatureColumns, TargetKind.Value);
            var scores = ModelScores.Evaluate(model, testData);
            var probabilities = model.Predict(testData).Select(logit => 1 / (1 + Math.Exp(-logit))).ToArray();
            Console.WriteLine(LeakageAudit.Check(trainRows, testRows));

            [Model(Input = new[] { 30 }, Loss = Loss.BinaryCrossEntropy)]
            public partial class Net
            {
                [Dense(1)] private partial Tensor Logit(Tensor x);
            }
            """;
        var compilation = Harness.Compile(program);
        compilation = compilation.WithOptions(compilation.Options.WithOutputKind(OutputKind.ConsoleApplication));
        var (_, output) = Harness.Generate(compilation);
        Assert.Empty(Harness.Errors(output));
        var d = Assert.Single(await Harness.AnalyzeAsync(compilation));
        Assert.Equal("MG0019", d.Id);
        Assert.Equal("new StandardScaler().Fit(tumours.AsTrain())", SpanText(d));
    }
}
