using System;
using System.Collections.Generic;
using System.Linq;
using ModelGen.Data;
using Xunit;

namespace ModelGen.Tests.Data;

/// <summary>Invariants of every split and fold kind: sizes, proportions, groups, time order, coverage, determinism.</summary>
public class SplitTests
{
    /// <summary>203 rows: an imbalanced 3-class label (60% / 30% / 10%), 37 groups of unequal size, shuffled times.</summary>
    internal static Table<Unsplit> Rows(int n = 203)
    {
        var rng = new ModelGen.Compute.Rng(7);
        var x = new double[n];
        var label = new string?[n];
        var group = new double[n];
        var time = new DateTime?[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = i;
            double u = rng.NextDouble();
            label[i] = u < 0.6 ? "a" : u < 0.9 ? "b" : "c";
            group[i] = (i * i) % 37;
            time[i] = new DateTime(2024, 1, 1).AddHours(rng.NextInt(5000));
        }
        return Table.Create("rows",
            TableColumn.Numbers("x", x),
            TableColumn.Categories("y", label, ColumnRole.Label),
            TableColumn.Numbers("g", group, ColumnRole.GroupKey),
            TableColumn.Dates("t", time));
    }

    private static int[] Ids(Table t) => t.Provenance.Select(p => p.Id.Row).ToArray();

    private static void Partition(int n, params Table[] parts)
    {
        var all = parts.SelectMany(Ids).ToArray();
        Assert.Equal(n, all.Length);
        Assert.Equal(Enumerable.Range(0, n), all.Order());
    }

    private static int Count(Table t, string level) => Enumerable.Range(0, t.RowCount).Count(r => t["y"].Level(r) == level);

    [Theory]
    [InlineData(SplitKind.Random)]
    [InlineData(SplitKind.Stratified)]
    [InlineData(SplitKind.Group)]
    [InlineData(SplitKind.TimeOrdered)]
    [InlineData(SplitKind.InOrder)]
    public void TrainTestIsAPartitionOfTheRowsAndDeterministic(SplitKind kind)
    {
        var table = Rows();
        var split = Split.TrainTest(table, 0.25, kind, seed: 11);
        Table<Train> train = split.Train;                       // distinct types, not interchangeable
        Table<Test> test = split.Test;
        Assert.Equal("train", train.Role);
        Assert.Equal("test", test.Role);
        Partition(table.RowCount, train, test);
        if (kind != SplitKind.Group) Assert.Equal((int)Math.Ceiling(0.25 * 203), test.RowCount);
        else Assert.InRange(test.RowCount, 35, 67);
        var again = Split.TrainTest(table, 0.25, kind, seed: 11);
        Assert.Equal(Ids(split.Test), Ids(again.Test));
        var other = Split.TrainTest(table, 0.25, kind, seed: 12);
        if (kind is SplitKind.TimeOrdered or SplitKind.InOrder) Assert.Equal(Ids(split.Test), Ids(other.Test));   // no randomness at all
        else Assert.NotEqual(Ids(split.Test), Ids(other.Test));
    }

    [Fact]
    public void StratifiedSplitKeepsEveryClassProportion()
    {
        var table = Rows();
        foreach (long seed in new long[] { 1, 2, 3 })
        {
            var (train, test) = Split.TrainTest(table, 0.3, SplitKind.Stratified, seed);
            foreach (var level in new[] { "a", "b", "c" })
            {
                double expected = 0.3 * Count(table, level);
                Assert.True(Math.Abs(Count(test, level) - expected) < 2, $"class {level}: {Count(test, level)} test rows, expected about {expected:F1}");
            }
        }
    }

    [Fact]
    public void GroupSplitNeverStraddlesAGroup()
    {
        var table = Rows();
        foreach (long seed in new long[] { 1, 2, 3 })
        {
            var (train, test) = Split.TrainTest(table, 0.2, SplitKind.Group, seed);
            var trainGroups = train["g"].Values.ToArray().ToHashSet();
            Assert.DoesNotContain(test["g"].Values.ToArray(), trainGroups.Contains);
        }
    }

    [Fact]
    public void TimeOrderedSplitTrainsOnThePastAndKeepsTimeOrder()
    {
        var split = Split.TrainValidationTest(Rows(), 0.15, 0.2, SplitKind.TimeOrdered, seed: 0);
        double[] t(Table x) => x["t"].Values.ToArray();
        Assert.True(t(split.Train).Max() <= t(split.Validation).Min());
        Assert.True(t(split.Validation).Max() <= t(split.Test).Min());
        foreach (var part in new Table[] { split.Train, split.Validation, split.Test })
            Assert.Equal(t(part).Order(), t(part));
    }

    [Theory]
    [InlineData(SplitKind.Random)]
    [InlineData(SplitKind.Stratified)]
    [InlineData(SplitKind.Group)]
    [InlineData(SplitKind.InOrder)]
    public void TrainValidationTestHasThreeDisjointParts(SplitKind kind)
    {
        var table = Rows();
        var s = Split.TrainValidationTest(table, 0.2, 0.1, kind, seed: 5);
        Partition(table.RowCount, s.Train, s.Validation, s.Test);
        Assert.True(s.Validation.RowCount > 0 && s.Test.RowCount > 0);
        if (kind != SplitKind.Group)
        {
            Assert.Equal(41, s.Validation.RowCount);           // ⌈0.2 · 203⌉
            Assert.Equal(21, s.Test.RowCount);                 // ⌈0.1 · 203⌉
        }
        var (train, validation) = Split.TrainValidation(s.Train, 0.25, kind, seed: 5);
        Assert.Equal(Ids(s.Train).Order(), Ids(train).Concat(Ids(validation)).Order());
        Assert.Empty(Ids(train).Intersect(Ids(validation)));
        Assert.Equal("validation", validation.Role);
    }

    [Theory]
    [InlineData(SplitKind.Random, 5)]
    [InlineData(SplitKind.Stratified, 5)]
    [InlineData(SplitKind.Group, 4)]
    [InlineData(SplitKind.Random, 2)]
    [InlineData(SplitKind.InOrder, 5)]
    public void KFoldValidationPartsCoverEveryRowOnce(SplitKind kind, int k)
    {
        var train = Rows().AsTrain();
        var folds = Split.KFold(train, k, kind, seed: 3);
        Assert.Equal(k, folds.Count);
        var seen = folds.SelectMany(f => Ids(f.Validation)).ToArray();
        Assert.Equal(Enumerable.Range(0, train.RowCount), seen.Order());
        foreach (var f in folds)
        {
            Assert.Empty(Ids(f.Train).Intersect(Ids(f.Validation)));
            Assert.Equal(train.RowCount, f.Train.RowCount + f.Validation.RowCount);
        }
        if (kind != SplitKind.Group)
        {
            var sizes = folds.Select(f => f.Validation.RowCount).ToArray();
            Assert.True(sizes.Max() - sizes.Min() <= 1, string.Join(",", sizes));
        }
        Assert.Equal(folds.Select(f => Ids(f.Validation)), Split.KFold(train, k, kind, seed: 3).Select(f => Ids(f.Validation)));
    }

    [Fact]
    public void StratifiedKFoldSpreadsEveryClassEvenly()
    {
        var folds = Split.KFold(Rows().AsTrain(), 5, SplitKind.Stratified, seed: 9);
        foreach (var level in new[] { "a", "b", "c" })
        {
            var counts = folds.Select(f => Count(f.Validation, level)).ToArray();
            Assert.True(counts.Max() - counts.Min() <= 1, $"class {level}: {string.Join(",", counts)}");
        }
    }

    [Fact]
    public void GroupKFoldKeepsEachGroupInOneFold()
    {
        var folds = Split.KFold(Rows().AsTrain(), 4, SplitKind.Group, seed: 9);
        foreach (var f in folds)
        {
            var trainGroups = f.Train["g"].Values.ToArray().ToHashSet();
            Assert.DoesNotContain(f.Validation["g"].Values.ToArray(), trainGroups.Contains);
        }
        var sizes = folds.Select(f => f.Validation.RowCount).ToArray();
        Assert.True(sizes.Max() - sizes.Min() <= 20, string.Join(",", sizes));   // balanced by size, largest groups first
    }

    [Fact]
    public void TimeSeriesFoldsExpandAndValidateOnTheFuture()
    {
        var train = Rows().AsTrain();
        var folds = Split.KFold(train, 4, SplitKind.TimeOrdered, seed: 0);
        int block = 203 / 5;
        for (int i = 0; i < folds.Count; i++)
        {
            var f = folds[i];
            Assert.Equal(block, f.Validation.RowCount);
            Assert.Equal(203 - (4 - i) * block, f.Train.RowCount);
            Assert.True(f.Train["t"].Values.ToArray().Max() <= f.Validation["t"].Values.ToArray().Min());
            if (i > 0) Assert.Subset(Ids(f.Train).ToHashSet(), Ids(folds[i - 1].Train).ToHashSet());
        }
        // The validation blocks are the last four fifths, in time order, without overlap.
        var validated = folds.SelectMany(f => Ids(f.Validation)).ToArray();
        Assert.Equal(validated.Length, validated.Distinct().Count());
    }

    [Fact]
    public void InOrderSplitCutsTheTableInOrderWithoutUsingAnyRole()
    {
        // No label, group or time column is needed: the parts are consecutive runs of the table, in table order.
        var plain = Table.Create("p", TableColumn.Numbers("x", Enumerable.Range(0, 10).Select(i => (double)(i * i)).ToArray()));
        var (train, test) = Split.TrainTest(plain, 0.3, SplitKind.InOrder, seed: 1);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6], Ids(train));
        Assert.Equal([7, 8, 9], Ids(test));
        Assert.Equal([49.0, 64, 81], test["x"].Values.ToArray());

        var three = Split.TrainValidationTest(Rows(), 0.15, 0.2, SplitKind.InOrder, seed: 0);
        Assert.Equal(Enumerable.Range(0, 131), Ids(three.Train));                 // 203 − ⌈0.15 · 203⌉ − ⌈0.2 · 203⌉
        Assert.Equal(Enumerable.Range(131, 31), Ids(three.Validation));
        Assert.Equal(Enumerable.Range(162, 41), Ids(three.Test));
        var (fit, validation) = Split.TrainValidation(three.Train, 0.25, SplitKind.InOrder, seed: 0);
        Assert.Equal(Enumerable.Range(0, 98), Ids(fit));
        Assert.Equal(Enumerable.Range(98, 33), Ids(validation));

        // Folds: contiguous blocks, the first n mod k one row longer; each fold trains on every other row, in table order.
        var folds = Split.KFold(plain.AsTrain(), 3, SplitKind.InOrder, seed: 0);
        Assert.Equal([[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]], folds.Select(f => Ids(f.Validation)));
        Assert.Equal([0, 1, 2, 3, 7, 8, 9], Ids(folds[1].Train));
    }

    [Fact]
    public void InOrderSplitRejectsFractionsThatLeaveAPartEmpty()
    {
        var plain = Table.Create("p", TableColumn.Numbers("x", [1, 2, 3, 4]));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Split.TrainTest(plain, 0, SplitKind.InOrder, 1));
        Assert.Equal("testFraction", e.ParamName);
        Assert.StartsWith("The test fraction must be between 0 and 1 (exclusive).", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => Split.TrainValidationTest(plain, 0.5, 0.5, SplitKind.InOrder, 1));
        Assert.StartsWith("The held-out fractions take all 4 rows; nothing is left for training.", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => Split.KFold(plain.AsTrain(), 5, SplitKind.InOrder, 1));
        Assert.StartsWith("5 folds need at least 5 rows; the train table has 4.", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Split.TrainTest(plain, 0.5, (SplitKind)99, 1));
    }

    [Fact]
    public void MissingRolesAndValuesAreErrorsThatNameThem()
    {
        var plain = Table.Create("p", TableColumn.Numbers("x", [1, 2, 3, 4]));
        var e = Assert.Throws<InvalidOperationException>(() => Split.TrainTest(plain, 0.5, SplitKind.Stratified, 1));
        Assert.Contains("Split.TrainTest with SplitKind.Stratified needs a column with the role Label", e.Message);
        Assert.Contains("'x'", e.Message);
        Assert.Contains("role Timestamp", Assert.Throws<InvalidOperationException>(() => Split.KFold(plain.AsTrain(), 2, SplitKind.TimeOrdered, 1)).Message);

        var gaps = Table.Create("p", TableColumn.Numbers("x", [1, 2, 3, 4]), TableColumn.Categories("g", ["a", null, "b", "b"], ColumnRole.GroupKey));
        Assert.Contains("'g' is missing in row p[1]", Assert.Throws<ArgumentException>(() => Split.TrainTest(gaps, 0.5, SplitKind.Group, 1)).Message);
        var oneGroup = Table.Create("p", TableColumn.Numbers("x", [1, 2]), TableColumn.Categories("g", ["a", "a"], ColumnRole.GroupKey));
        Assert.Contains("has 1", Assert.Throws<ArgumentException>(() => Split.TrainTest(oneGroup, 0.5, SplitKind.Group, 1)).Message);

        Assert.Throws<ArgumentOutOfRangeException>(() => Split.TrainTest(plain, 1.0, SplitKind.Random, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Split.TrainValidationTest(plain, 0.5, 0.5, SplitKind.Random, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Split.KFold(plain.AsTrain(), 1, SplitKind.Random, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Split.KFold(plain.AsTrain(), 5, SplitKind.Random, 1));
    }
}
