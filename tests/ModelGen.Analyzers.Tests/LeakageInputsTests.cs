using System.Threading.Tasks;
using Xunit;

namespace ModelGen.Analyzers.Tests;

// Leakage through what the model is given and how it is chosen: features computed from the label (MG0029), the label
// or a column known after the outcome in a feature list computed from the schema (MG0029, MG0028), a choice between
// models by several test scores written with LINQ (MG0024), time-ordered rows shuffled before a cut by position
// (MG0030), and training on the validation rows, augmented or not (MG0031), against augmentation attached the proper way.
public partial class LeakageTests
{
    private const string SalesSchema = """
        new TableSchema(new ColumnSpec("price"), new ColumnSpec("area"), new ColumnSpec("sold", ColumnType.Number, ColumnRole.Label))
        """;

    // ───────────── MG0029: a feature computed row by row from the label ─────────────

    [Fact]
    public async Task MG0029_FeatureZippedWithTheLabel_IsReportedOnWithColumn() => await AssertLeak($$"""
        public static class Experiment
        {
            public static Dataset Run()
            {
                var rows = CsvReader.ReadTable("sales.csv", {{SalesSchema}});
                var perPrice = rows["price"].Values.ToArray().Zip(rows["sold"].Values.ToArray(), (p, s) => s / p).ToArray();
                var withRatio = rows.WithColumn(TableColumn.Numbers("ratio", perPrice));
                var (train, test) = Split.TrainTest(withRatio, 0.2, SplitKind.Random, seed: 1);
                return train.ToDataset(TargetKind.Value);
            }
        }
        """, "MG0029", """rows.WithColumn(TableColumn.Numbers("ratio", perPrice))""",
        "'rows.WithColumn' adds the feature 'ratio', computed from the label 'sold' of each row, so the model is given the answer as an input");

    [Fact]
    public async Task MG0029_Twin_FeatureZippedFromTwoInputs_IsClean() => await AssertClean($$"""
        public static class Experiment
        {
            public static Dataset Run()
            {
                var rows = CsvReader.ReadTable("sales.csv", {{SalesSchema}});
                var perArea = rows["price"].Values.ToArray().Zip(rows["area"].Values.ToArray(), (p, a) => p / a).ToArray();
                var withRatio = rows.WithColumn(TableColumn.Numbers("price_per_area", perArea));
                var (train, test) = Split.TrainTest(withRatio, 0.2, SplitKind.Random, seed: 1);
                var relabelled = train.WithColumn(TableColumn.Numbers("sold_any", train.Label!.Values.ToArray().Select(v => v > 0 ? 1.0 : 0.0).ToArray(), ColumnRole.Label));
                return train.ToDataset(TargetKind.Value);
            }
        }
        """);

    [Fact]
    public async Task MG0029_LabelCopiedInALoop_ThroughTheLabelProperty_KeepsTheVerdict() => await AssertLeak($$"""
        public static class Experiment
        {
            public static Dataset Run()
            {
                var rows = CsvReader.ReadTable("sales.csv", {{SalesSchema}});
                var anySold = new double[rows.RowCount];
                for (int i = 0; i < rows.RowCount; i++) anySold[i] = rows.Label![i] > 0 ? 1 : 0;
                rows = rows.WithColumn(TableColumn.Numbers("any_sold", anySold));
                return rows.AsTrain().ToDataset(TargetKind.Value);
            }
        }
        """, "MG0029", """rows.WithColumn(TableColumn.Numbers("any_sold", anySold))""",
        "'rows.WithColumn' adds the feature 'any_sold', computed from the label 'sold' of each row");

    [Fact]
    public async Task MG0029_ColumnMadeByAHelper_WithALambda_KeepsTheVerdict() => await AssertLeak($$"""
        public static class Experiment
        {
            private static TableColumn Flag(Table<Unsplit> t) =>
                TableColumn.Numbers("flag", Enumerable.Range(0, t.RowCount).Select(i => t["sold"][i] > 3 ? 1.0 : 0.0).ToArray());

            public static Table<Unsplit> Run()
            {
                var rows = CsvReader.ReadTable("sales.csv", {{SalesSchema}});
                return rows.WithColumn(Flag(rows));
            }
        }
        """, "MG0029", "rows.WithColumn(Flag(rows))", "'rows.WithColumn' adds the feature 'flag', computed from the label 'sold' of each row");

    // ───────────── feature lists computed from the schema: MG0029 (the label), MG0028 (known after the outcome) ─────────────

    private const string StaysSchema = """
        new TableSchema(
                    new ColumnSpec("age"),
                    new ColumnSpec("length_of_stay", Role: ColumnRole.KnownAfterOutcome),
                    new ColumnSpec("readmitted", ColumnType.Category, ColumnRole.Label))
        """;

    [Fact]
    public async Task MG0028_EveryColumnButTheLabel_ComputedFromTheSchema_IsReported() => await AssertLeak($$"""
        public static class Experiment
        {
            public static Dataset Run()
            {
                var (train, test) = Split.TrainTest(CsvReader.ReadTable("stays.csv", {{StaysSchema}}), 0.2, SplitKind.Stratified, seed: 42);
                var inputs = train.Columns.Where(c => c.Role != ColumnRole.Label).Select(c => c.Name).ToArray();
                return train.ToDataset(inputs, TargetKind.ClassIndex, allowKnownAfterOutcome: true);
            }
        }
        """, "MG0028", "train.ToDataset(inputs, TargetKind.ClassIndex, allowKnownAfterOutcome: true)",
        "'train.ToDataset' uses 'length_of_stay' as model input with allowKnownAfterOutcome: true");

    [Fact]
    public async Task MG0028_Twin_OnlyTheFeatureColumns_FromTheSchema_IsClean() => await AssertClean($$"""
        public static class Experiment
        {
            public static Dataset Run()
            {
                var (train, test) = Split.TrainTest(CsvReader.ReadTable("stays.csv", {{StaysSchema}}), 0.2, SplitKind.Stratified, seed: 42);
                var inputs = train.Columns.Where(c => c.Role == ColumnRole.Feature).Select(c => c.Name).ToArray();
                var alsoInputs = train.Columns.Select(c => c.Name).Except(new[] { "readmitted", "length_of_stay" }).ToList();
                Console.WriteLine(train.ToDataset(alsoInputs, TargetKind.ClassIndex, allowKnownAfterOutcome: true));
                return train.ToDataset(inputs, TargetKind.ClassIndex, allowKnownAfterOutcome: true);
            }
        }
        """);

    [Fact]
    public async Task MG0028_NamesExceptTheLabel_InAHelper_KeepsTheVerdict() => await AssertLeak($$"""
        public static class Experiment
        {
            private static string[] AllBut(Table<Train> t, string dropped) => t.Columns.Select(c => c.Name).Where(n => n != dropped).ToArray();

            public static Dataset Run()
            {
                var (train, test) = Split.TrainTest(CsvReader.ReadTable("stays.csv", {{StaysSchema}}), 0.2, SplitKind.Stratified, seed: 42);
                return train.ToDataset(AllBut(train, "readmitted"), TargetKind.ClassIndex, allowKnownAfterOutcome: true);
            }
        }
        """, "MG0028", """train.ToDataset(AllBut(train, "readmitted"), TargetKind.ClassIndex, allowKnownAfterOutcome: true)""",
        "uses 'length_of_stay' as model input");

    [Fact]
    public async Task MG0028_ExceptWithAnArrayOfNames_KeepsTheVerdict() => await AssertLeak($$"""
        public static class Experiment
        {
            public static float[] Run()
            {
                var (train, test) = Split.TrainTest(CsvReader.ReadTable("stays.csv", {{StaysSchema}}), 0.2, SplitKind.Stratified, seed: 42);
                string[] notInputs = ["readmitted"];
                var inputs = train.Columns.Select(c => c.Name).Except(notInputs).ToList();
                return test.ToFeatureMatrix(inputs, allowKnownAfterOutcome: true);
            }
        }
        """, "MG0028", "test.ToFeatureMatrix(inputs, allowKnownAfterOutcome: true)", "uses 'length_of_stay' as model input");

    [Fact]
    public async Task MG0029_EveryColumnButTheId_IncludesTheLabel_IsReported() => await AssertLeak($$"""
        public static class Experiment
        {
            public static Dataset Run()
            {
                var (train, test) = Split.TrainTest(CsvReader.ReadTable("stays.csv", {{StaysSchema}}), 0.2, SplitKind.Stratified, seed: 42);
                var inputs = train.Columns.Where(c => c.Name != "id" && c.Role != ColumnRole.KnownAfterOutcome).Select(c => c.Name).ToArray();
                return train.ToDataset(inputs, TargetKind.ClassIndex);
            }
        }
        """, "MG0029", "train.ToDataset(inputs, TargetKind.ClassIndex)", "'train.ToDataset' lists the label 'readmitted' among the features");

    [Fact]
    public async Task MG0029_LabelNamedAmongConstantFeatures_IsReported() => await AssertLeak($$"""
        public static class Experiment
        {
            public static Dataset Run()
            {
                var (train, test) = Split.TrainTest(CsvReader.ReadTable("stays.csv", {{StaysSchema}}), 0.2, SplitKind.Stratified, seed: 42);
                return train.ToDataset(["age", "readmitted"], TargetKind.ClassIndex);
            }
        }
        """, "MG0029", """train.ToDataset(["age", "readmitted"], TargetKind.ClassIndex)""", "lists the label 'readmitted' among the features");

    // ───────────── MG0024: choosing between models by test scores, written with LINQ ─────────────

    private const string Candidates = """
                var (train, test) = Split.TrainTest(rows, 0.2, SplitKind.Stratified, seed: 1);
                var trainData = train.ToDataset(TargetKind.ClassIndex);
                var testData = test.ToDataset(TargetKind.ClassIndex);
                var candidates = new[] { new Net(seed: 1), new Net(seed: 2), new Net(seed: 3) };
                foreach (var c in candidates) c.Fit(trainData, epochs: 5);
        """;

    [Fact]
    public async Task MG0024_BestModelByMaxByOfTestAccuracy_IsReportedOnTheEvaluation() => await AssertLeak($$"""
        public static class Experiment
        {
            public static Net Run(Table<Unsplit> rows)
            {
        {{Candidates}}
                return candidates.MaxBy(m => m.Evaluate(testData).Accuracy)!;
            }
        }
        """, "MG0024", "m.Evaluate(testData)",
        "'m.Evaluate' is evaluated on the test data once per model, and 'MaxBy' picks by those scores; choosing between models, settings or epochs by test score makes that score optimistic");

    [Fact]
    public async Task MG0024_Twin_ChoiceOnValidationRows_AndTheMeanTestScoreOfAnEnsemble_AreClean() => await AssertClean("""
        public static class Experiment
        {
            public static double Run(Table<Unsplit> rows)
            {
                var (train, test) = Split.TrainTest(rows, 0.2, SplitKind.Stratified, seed: 1);
                var (fit, check) = Split.TrainValidation(train, 0.2, SplitKind.Stratified, seed: 2);
                var fitData = fit.ToDataset(TargetKind.ClassIndex);
                var checkData = check.ToDataset(TargetKind.ClassIndex);
                var testData = test.ToDataset(TargetKind.ClassIndex);
                var candidates = new[] { new Net(seed: 1), new Net(seed: 2), new Net(seed: 3) };
                foreach (var c in candidates) c.Fit(fitData, epochs: 5);
                var best = candidates.MaxBy(m => m.Evaluate(checkData).Accuracy)!;
                Console.WriteLine(best.Evaluate(testData).Accuracy);
                return candidates.Select(m => m.Evaluate(testData).Accuracy).Average();
            }
        }
        """);

    [Fact]
    public async Task MG0024_Twin_BestOfOneTestSetPerRegion_IsClean() => await AssertClean("""
        public static class Experiment
        {
            public static float Run(Table<Unsplit>[] regions)
            {
                return regions.Select(region =>
                {
                    var (train, test) = Split.TrainTest(region, 0.2, SplitKind.Stratified, seed: 1);
                    var model = new Net(seed: 1);
                    model.Fit(train.ToDataset(TargetKind.ClassIndex), epochs: 5);
                    return model.Evaluate(test.ToDataset(TargetKind.ClassIndex)).Accuracy;
                }).Max();
            }
        }
        """);

    [Fact]
    public async Task MG0024_ScoresInALocal_ThenMax_KeepsTheVerdict() => await AssertLeak($$"""
        public static class Experiment
        {
            public static Net Run(Table<Unsplit> rows)
            {
        {{Candidates}}
                var scores = candidates.Select(m => m.Evaluate(testData).Accuracy).ToArray();
                return candidates[Array.IndexOf(scores, scores.Max())];
            }
        }
        """, "MG0024", "m.Evaluate(testData)", "and 'Max' picks by those scores");

    [Fact]
    public async Task MG0024_OrderByDescendingInAHelper_IsReportedOnTheHelperCall() => await AssertLeak($$"""
        public static class Experiment
        {
            private static Net Best(Net[] models, Dataset data) => models.OrderByDescending(m => m.Evaluate(data).Accuracy).First();

            public static Net Run(Table<Unsplit> rows)
            {
        {{Candidates}}
                return Best(candidates, testData);
            }
        }
        """, "MG0024", "Best(candidates, testData)", "'Best → m.Evaluate' is evaluated on the test data once per model, and 'OrderByDescending' picks by those scores");

    [Fact]
    public async Task MG0024_RunningMaximumInALoop_KeepsTheVerdict() => await AssertLeak($$"""
        public static class Experiment
        {
            public static float Run(Table<Unsplit> rows)
            {
        {{Candidates}}
                float best = 0;
                foreach (var m in candidates) best = Math.Max(best, m.Evaluate(testData).Accuracy);
                return best;
            }
        }
        """, "MG0024", "m.Evaluate(testData)", "and 'Math.Max' picks by those scores");

    // ───────────── MG0030: time-ordered rows shuffled before a split by position ─────────────

    private const string SalesByDay = """
        CsvReader.ReadTable("sales.csv", new TableSchema(
                    new ColumnSpec("day", ColumnType.Date, ColumnRole.Timestamp), new ColumnSpec("price"), new ColumnSpec("units", ColumnType.Number, ColumnRole.Label)))
        """;

    [Fact]
    public async Task MG0030_ShuffledByRandomKeys_ThenDatasetSplit_IsReportedOnTheShuffle() => await AssertLeak($$"""
        public static class Experiment
        {
            public static (Dataset, Dataset) Run()
            {
                var sales = {{SalesByDay}};
                var rng = new Random(7);
                var order = Enumerable.Range(0, sales.RowCount).OrderBy(_ => rng.Next()).ToArray();
                var data = sales.Rows(order).ToDataset(["price"], TargetKind.Value);
                return data.Split(data.Count * 4 / 5);
            }
        }
        """, "MG0030", "sales.Rows(order)",
        "'sales.Rows' puts the rows with the timestamp column 'day' in a random order, which 'data.Split' then cuts by position, so the model trains on rows later than those it is scored on");

    [Fact]
    public async Task MG0030_Twin_TimeOrderedSplitOfShuffledRows_SortedRows_AndRowsWithoutATime_AreClean() => await AssertClean($$"""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> untimed)
            {
                var sales = {{SalesByDay}};
                var rng = new Random(7);
                var shuffled = sales.Rows(Enumerable.Range(0, sales.RowCount).OrderBy(_ => rng.Next()).ToArray());
                var (train, test) = Split.TrainTest(shuffled, 0.2, SplitKind.TimeOrdered, seed: 1);
                var byDay = sales.Rows(Enumerable.Range(0, sales.RowCount).OrderBy(i => sales["day"][i]).ToArray()).ToDataset(["price"], TargetKind.Value);
                var (early, late) = byDay.Split(byDay.Count * 4 / 5);
                var mixed = untimed.Rows(Enumerable.Range(0, untimed.RowCount).OrderBy(_ => rng.NextDouble()).ToArray()).ToDataset(TargetKind.Value);
                var (first, rest) = mixed.Split(mixed.Count / 2);
            }
        }
        """);

    [Fact]
    public async Task MG0030_ShuffledInPlace_ThenRowsByPosition_KeepsTheVerdict() => await AssertLeak($$"""
        public static class Experiment
        {
            public static void Run()
            {
                var sales = {{SalesByDay}};
                int[] order = Enumerable.Range(0, sales.RowCount).ToArray();
                new Random(3).Shuffle(order);
                var mixed = sales.Rows(order);
                int cut = sales.RowCount * 4 / 5;
                var train = mixed.Rows(Enumerable.Range(0, cut).ToArray()).AsTrain();
                var test = mixed.Rows(Enumerable.Range(cut, sales.RowCount - cut).ToArray()).AsTest();
            }
        }
        """, "MG0030", "sales.Rows(order)", "which 'mixed.Rows' then cuts by position");

    [Fact]
    public async Task MG0030_ShufflingHelper_ThenWhereOnTheRowIndex_IsReportedOnTheHelperCall() => await AssertLeak($$"""
        public static class Experiment
        {
            private static Table<Unsplit> Shuffled(Table<Unsplit> t, int seed)
            {
                var rng = new Random(seed);
                return t.Rows(Enumerable.Range(0, t.RowCount).OrderBy(_ => rng.NextDouble()).ToArray());
            }

            public static Table<Unsplit> Run()
            {
                var sales = {{SalesByDay}};
                var mixed = Shuffled(sales, 5);
                return mixed.Where(r => r.Index < mixed.RowCount * 4 / 5);
            }
        }
        """, "MG0030", "Shuffled(sales, 5)", "'Shuffled → t.Rows' puts the rows with the timestamp column 'day' in a random order, which 'mixed.Where' then cuts by position");

    // ───────────── MG0031 and augmentation: training on the validation rows ─────────────

    [Fact]
    public async Task MG0031_AugmentedTrainingOnRowsThatIncludeTheValidationRows_IsReportedOnFit() => await AssertLeak("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> rows)
            {
                var (train, test) = Split.TrainTest(rows, 0.2, SplitKind.Stratified, seed: 1);
                var (fit, check) = Split.TrainValidation(train, 0.2, SplitKind.Stratified, seed: 2);
                var model = new Net(seed: 1);
                model.Fit(train.ToDataset(TargetKind.ClassIndex), check.ToDataset(TargetKind.ClassIndex), augment: new ImageAugmentation(1, 1, 2) { HorizontalFlip = true });
            }
        }
        """, "MG0031", "model.Fit(train.ToDataset(TargetKind.ClassIndex), check.ToDataset(TargetKind.ClassIndex), augment: new ImageAugmentation(1, 1, 2) { HorizontalFlip = true })",
        "'model.Fit' trains on 'train' (the training part of 'Split.TrainTest'), which include the validation rows 'check' (the validation part of 'Split.TrainValidation'), and augments them, so augmented twins of every validation image are trained on");

    [Fact]
    public async Task MG0031_Twin_AugmentationAndSamplingAttachedToTheTrainingPart_AreClean() => await AssertClean("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> rows)
            {
                var (train, test) = Split.TrainTest(rows, 0.2, SplitKind.Stratified, seed: 1);
                var (fit, check) = Split.TrainValidation(train, 0.2, SplitKind.Stratified, seed: 2);
                var model = new Net(seed: 1);
                var flips = new ImageAugmentation(1, 1, 2) { HorizontalFlip = true, Noise = 0.05f };
                model.Fit(fit.ToDataset(TargetKind.ClassIndex), check.ToDataset(TargetKind.ClassIndex), augment: flips, sampling: ClassSampling.Balanced, seed: 3);
                Console.WriteLine(model.Evaluate(test.ToDataset(TargetKind.ClassIndex)).Accuracy);
            }
        }
        """);

    [Fact]
    public async Task MG0031_FoldTrainingOnAllRows_ThroughAHelper_KeepsTheVerdict() => await AssertLeak("""
        public static class Experiment
        {
            private static void Train(Net model, Dataset rows, Dataset check) => model.Fit(rows, check, epochs: 5);

            public static void Run(Table<Train> rows)
            {
                var all = rows.ToDataset(TargetKind.ClassIndex);
                foreach (var fold in Split.KFold(rows, 5, SplitKind.Stratified, seed: 1))
                    Train(new Net(seed: fold.Index), all, fold.Validation.ToDataset(TargetKind.ClassIndex));
            }
        }
        """, "MG0031", "Train(new Net(seed: fold.Index), all, fold.Validation.ToDataset(TargetKind.ClassIndex))",
        "'Train → model.Fit' trains on every row of 'rows', which include the validation rows the validation part of 'Split.KFold'");

    [Fact]
    public async Task MG0022_AugmentedTrainingOnRowsThatIncludeTheTestRows_SaysItAugmentsThem() => await AssertLeak("""
        public static class Experiment
        {
            public static void Run(Table<Unsplit> rows)
            {
                var (train, test) = Split.TrainTest(rows, 0.2, SplitKind.Stratified, seed: 1);
                var model = new Net(seed: 1);
                var shifts = new ImageAugmentation(1, 1, 2) { MaxShift = 1 };
                model.Fit(rows.AsTrain().ToDataset(TargetKind.ClassIndex), augment: shifts);
                Console.WriteLine(model.Evaluate(test.ToDataset(TargetKind.ClassIndex)).Accuracy);
            }
        }
        """, "MG0022", "model.Fit(rows.AsTrain().ToDataset(TargetKind.ClassIndex), augment: shifts)",
        "'model.Fit' trains on every row of 'rows', which include the test rows of 'Split.TrainTest', and augments them (shifts) every epoch");
}
