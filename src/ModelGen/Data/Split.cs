using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ModelGen.Compute;

namespace ModelGen.Data;

/// <summary>How <see cref="Split"/> assigns rows to the parts of a split or to cross-validation folds.</summary>
public enum SplitKind
{
    /// <summary>Rows are shuffled (seeded) and dealt to the parts. Wrong for time-ordered rows and for rows that share a group.</summary>
    Random = 0,

    /// <summary>Like <see cref="Random"/>, but every class of the label column keeps its proportion in every part (within a row or two).</summary>
    Stratified,

    /// <summary>
    /// Whole groups of the <see cref="ColumnRole.GroupKey"/> column go to one part, so no group straddles train and test;
    /// groups are placed largest first into the part that most lacks rows (shuffled among equal sizes), so the sizes are close to those asked for.
    /// </summary>
    Group,

    /// <summary>
    /// Rows are ordered by the <see cref="ColumnRole.Timestamp"/> column (ties keep table order); the earliest form the
    /// training part, later ones validation, the latest the test part. Nothing is shuffled, and the seed is not used. For
    /// folds: expanding-window time-series folds (fold i trains on everything before its validation block).
    /// </summary>
    TimeOrdered,

    /// <summary>
    /// Rows keep table order: the first rows form the training part, the next ones validation, the last the test part.
    /// Nothing is shuffled, and the seed is not used. For rows already in time order, or whose groups (e.g. writers) come
    /// in contiguous blocks, without a <see cref="ColumnRole.Timestamp"/> or <see cref="ColumnRole.GroupKey"/> column,
    /// and for published positional splits. For folds: k contiguous blocks in table order (the first n mod k one row
    /// longer); fold i validates on block i and trains on all the other rows.
    /// </summary>
    InOrder,
}

/// <summary>A table split into training and test rows.</summary>
/// <param name="Train">The rows to fit preprocessing and the model on.</param>
/// <param name="Test">The rows held out for the one final evaluation.</param>
public sealed record TrainTestSplit(Table<Train> Train, Table<Test> Test);

/// <summary>Training rows split into training and validation rows.</summary>
/// <param name="Train">The rows to fit on.</param>
/// <param name="Validation">The rows for early stopping, tuning and model choice.</param>
public sealed record TrainValidationSplit(Table<Train> Train, Table<Validation> Validation);

/// <summary>A table split into training, validation and test rows.</summary>
/// <param name="Train">The rows to fit on.</param>
/// <param name="Validation">The rows for early stopping, tuning and model choice.</param>
/// <param name="Test">The rows held out for the one final evaluation.</param>
public sealed record TrainValidationTestSplit(Table<Train> Train, Table<Validation> Validation, Table<Test> Test);

/// <summary>One cross-validation fold: fit on <paramref name="Train"/>, score on <paramref name="Validation"/>.</summary>
/// <param name="Index">0-based fold number.</param>
/// <param name="Train">The fold's training rows.</param>
/// <param name="Validation">The fold's held-out rows.</param>
public sealed record Fold(int Index, Table<Train> Train, Table<Validation> Validation);

/// <summary>
/// Seeded splits that return distinct types for training, validation and test rows (<see cref="Table{TRole}"/> of
/// <see cref="Train"/>, <see cref="Validation"/>, <see cref="Test"/>): random, stratified, group and time-ordered
/// (<see cref="SplitKind"/>), or by table order (<see cref="SplitKind.InOrder"/>), as one split or as k folds. The same
/// table, kind and seed always give the same split; within each part, rows keep table order (time order for
/// <see cref="SplitKind.TimeOrdered"/>).
/// </summary>
public static class Split
{
    /// <summary>Splits an unsplit table into training and test rows.</summary>
    /// <param name="table">The rows to split.</param>
    /// <param name="testFraction">The share of rows held out for testing, in (0, 1); the test part has ⌈fraction · rows⌉ rows (approximately, for <see cref="SplitKind.Group"/>).</param>
    /// <param name="kind">How rows are assigned.</param>
    /// <param name="seed">Seed of the shuffle (unused by <see cref="SplitKind.TimeOrdered"/> and <see cref="SplitKind.InOrder"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">The fraction leaves a part empty.</exception>
    /// <exception cref="InvalidOperationException">The kind needs a column role (Label, GroupKey, Timestamp) the table lacks.</exception>
    /// <exception cref="ArgumentException">The column the kind uses has a missing value, or there are too few groups.</exception>
    public static TrainTestSplit TrainTest(Table<Unsplit> table, double testFraction, SplitKind kind, long seed)
    {
        ArgumentNullException.ThrowIfNull(table);
        var counts = Counts(table.RowCount, [testFraction], ["test"]);
        var part = Assign(table, counts, kind, seed, "Split.TrainTest");
        return new TrainTestSplit(Part<Train>(table, part, 0, kind), Part<Test>(table, part, 1, kind));
    }

    /// <summary>Splits an unsplit table into training, validation and test rows.</summary>
    /// <param name="table">The rows to split.</param>
    /// <param name="validationFraction">The share of rows for validation, in (0, 1).</param>
    /// <param name="testFraction">The share of rows held out for testing, in (0, 1); the two shares must leave training rows.</param>
    /// <param name="kind">How rows are assigned.</param>
    /// <param name="seed">Seed of the shuffle (unused by <see cref="SplitKind.TimeOrdered"/> and <see cref="SplitKind.InOrder"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">The fractions leave a part empty.</exception>
    /// <exception cref="InvalidOperationException">The kind needs a column role (Label, GroupKey, Timestamp) the table lacks.</exception>
    /// <exception cref="ArgumentException">The column the kind uses has a missing value, or there are too few groups.</exception>
    public static TrainValidationTestSplit TrainValidationTest(Table<Unsplit> table, double validationFraction, double testFraction, SplitKind kind, long seed)
    {
        ArgumentNullException.ThrowIfNull(table);
        var counts = Counts(table.RowCount, [validationFraction, testFraction], ["validation", "test"]);
        var part = Assign(table, counts, kind, seed, "Split.TrainValidationTest");
        return new TrainValidationTestSplit(Part<Train>(table, part, 0, kind), Part<Validation>(table, part, 1, kind), Part<Test>(table, part, 2, kind));
    }

    /// <summary>Splits training rows into training and validation rows (e.g. for early stopping), leaving the test rows untouched.</summary>
    /// <param name="table">The training rows.</param>
    /// <param name="validationFraction">The share of rows for validation, in (0, 1).</param>
    /// <param name="kind">How rows are assigned.</param>
    /// <param name="seed">Seed of the shuffle (unused by <see cref="SplitKind.TimeOrdered"/> and <see cref="SplitKind.InOrder"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">The fraction leaves a part empty.</exception>
    /// <exception cref="InvalidOperationException">The kind needs a column role (Label, GroupKey, Timestamp) the table lacks.</exception>
    /// <exception cref="ArgumentException">The column the kind uses has a missing value, or there are too few groups.</exception>
    public static TrainValidationSplit TrainValidation(Table<Train> table, double validationFraction, SplitKind kind, long seed)
    {
        ArgumentNullException.ThrowIfNull(table);
        var counts = Counts(table.RowCount, [validationFraction], ["validation"]);
        var part = Assign(table, counts, kind, seed, "Split.TrainValidation");
        return new TrainValidationSplit(Part<Train>(table, part, 0, kind), Part<Validation>(table, part, 1, kind));
    }

    /// <summary>
    /// Cross-validation folds of training rows: <see cref="SplitKind.Random"/> (k-fold), <see cref="SplitKind.Stratified"/>
    /// (stratified k-fold), <see cref="SplitKind.Group"/> (group k-fold), <see cref="SplitKind.InOrder"/> (contiguous
    /// blocks in table order) — every row is in exactly one fold's validation part — or <see cref="SplitKind.TimeOrdered"/> (expanding-window time-series folds: the rows sorted by time are cut
    /// into k + 1 blocks of ⌊rows / (k + 1)⌋, the remainder going to the first; fold i validates on block i + 1 and trains
    /// on all blocks before it).
    /// </summary>
    /// <param name="table">The training rows (the training part of a split, or <see cref="TableRoles.AsTrain"/> of all rows when there is no test set).</param>
    /// <param name="k">Number of folds, at least 2.</param>
    /// <param name="kind">How rows are assigned.</param>
    /// <param name="seed">Seed of the shuffle (unused by <see cref="SplitKind.TimeOrdered"/> and <see cref="SplitKind.InOrder"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is below 2 or leaves a fold empty.</exception>
    /// <exception cref="InvalidOperationException">The kind needs a column role (Label, GroupKey, Timestamp) the table lacks.</exception>
    /// <exception cref="ArgumentException">The column the kind uses has a missing value, or there are fewer groups than folds.</exception>
    public static IReadOnlyList<Fold> KFold(Table<Train> table, int k, SplitKind kind, long seed)
    {
        ArgumentNullException.ThrowIfNull(table);
        int n = table.RowCount;
        if (k < 2) throw new ArgumentOutOfRangeException(nameof(k), k, "Cross-validation needs at least 2 folds.");
        var folds = new Fold[k];
        if (kind == SplitKind.TimeOrdered)
        {
            int block = n / (k + 1);
            if (block < 1)
                throw new ArgumentOutOfRangeException(nameof(k), k, string.Create(CultureInfo.InvariantCulture,
                    $"{k} time-series folds need at least {k + 1} rows (k + 1 blocks); the train table has {n}."));
            var order = TimeOrder(table, "Split.KFold with SplitKind.TimeOrdered");
            for (int f = 0; f < k; f++)
            {
                int validationStart = n - (k - f) * block;
                folds[f] = new Fold(f, Rows<Train>(table, order.AsSpan(0, validationStart)), Rows<Validation>(table, order.AsSpan(validationStart, block)));
            }
            return folds;
        }
        if (k > n) throw new ArgumentOutOfRangeException(nameof(k), k, $"{k} folds need at least {k} rows; the train table has {n}.");
        var counts = new int[k];
        for (int f = 0; f < k; f++) counts[f] = n / k + (f < n % k ? 1 : 0);
        var part = Assign(table, counts, kind, seed, "Split.KFold");
        for (int f = 0; f < k; f++)
        {
            var inFold = Enumerable.Range(0, n).Where(r => part[r] == f).ToArray();
            var rest = Enumerable.Range(0, n).Where(r => part[r] != f).ToArray();
            if (inFold.Length == 0)
                throw new ArgumentException($"Fold {f} got no rows: the train table has too few groups for {k} folds.", nameof(k));
            folds[f] = new Fold(f, Rows<Train>(table, rest), Rows<Validation>(table, inFold));
        }
        return folds;
    }

    /// <summary>Exact part sizes: each held-out part ⌈fraction · n⌉, the training part the rest; part 0 is training.</summary>
    private static int[] Counts(int n, double[] fractions, string[] names)
    {
        var counts = new int[fractions.Length + 1];
        int rest = n;
        for (int i = 0; i < fractions.Length; i++)
        {
            double f = fractions[i];
            if (!(f > 0 && f < 1))
                throw new ArgumentOutOfRangeException(names[i] + "Fraction", f, $"The {names[i]} fraction must be between 0 and 1 (exclusive).");
            counts[i + 1] = (int)Math.Ceiling(f * n - 1e-9);
            if (counts[i + 1] < 1)
                throw new ArgumentOutOfRangeException(names[i] + "Fraction", f, string.Create(CultureInfo.InvariantCulture,
                    $"A {names[i]} fraction of {f} of {n} rows leaves the {names[i]} part empty."));
            rest -= counts[i + 1];
        }
        if (rest < 1)
            throw new ArgumentOutOfRangeException(names[^1] + "Fraction", fractions[^1], string.Create(CultureInfo.InvariantCulture,
                $"The held-out fractions take all {n} rows; nothing is left for training."));
        counts[0] = rest;
        return counts;
    }

    /// <summary>The part (index into <paramref name="counts"/>) of every row.</summary>
    private static int[] Assign(Table table, int[] counts, SplitKind kind, long seed, string purpose)
    {
        int n = table.RowCount;
        switch (kind)
        {
            case SplitKind.Random:
            {
                var order = Enumerable.Range(0, n).ToArray();
                var rng = new Rng(seed, stream: 0x5917);
                rng.Shuffle(order.AsSpan());
                return Deal(order, counts);
            }
            case SplitKind.Stratified:
            {
                var label = table.RequireRole(ColumnRole.Label, purpose + " with SplitKind.Stratified");
                var classes = Partition(table, label, purpose + " with SplitKind.Stratified", requireWhole: true);
                var rng = new Rng(seed, stream: 0x5718);
                rng.Shuffle(classes.AsSpan());
                foreach (var rows in classes) rng.Shuffle(rows.AsSpan());
                return Deal(classes.SelectMany(c => c).ToArray(), counts);
            }
            case SplitKind.Group:
            {
                var key = table.RequireRole(ColumnRole.GroupKey, purpose + " with SplitKind.Group");
                var groups = Partition(table, key, purpose + " with SplitKind.Group", requireWhole: false);
                if (groups.Length < counts.Length)
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                        $"{purpose} with SplitKind.Group needs at least {counts.Length} groups, one per part; group key '{key.Name}' has {groups.Length}."), nameof(table));
                var rng = new Rng(seed, stream: 0x6809);
                rng.Shuffle(groups.AsSpan());
                // Largest groups first (stable: equal sizes stay in shuffled order), each into the part that lacks the largest share of its rows.
                var sorted = groups.OrderByDescending(g => g.Length).ToArray();
                var part = new int[n];
                var assigned = new long[counts.Length];
                foreach (var g in sorted)
                {
                    int best = 0;
                    for (int j = 1; j < counts.Length; j++)
                        if ((counts[j] - assigned[j]) * (double)counts[best] > (counts[best] - assigned[best]) * (double)counts[j]) best = j;
                    foreach (int r in g) part[r] = best;
                    assigned[best] += g.Length;
                }
                for (int j = 0; j < counts.Length; j++)
                    if (assigned[j] == 0)
                        throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                            $"{purpose} with SplitKind.Group left part {j} empty: the {groups.Length} groups of '{key.Name}' are too few or too unequal for the sizes asked for."), nameof(table));
                return part;
            }
            case SplitKind.TimeOrdered:
            {
                var order = TimeOrder(table, purpose + " with SplitKind.TimeOrdered");
                var part = new int[n];
                int at = 0;
                for (int j = 0; j < counts.Length; j++)
                    for (int c = 0; c < counts[j]; c++) part[order[at++]] = j;
                return part;
            }
            case SplitKind.InOrder:
            {
                var part = new int[n];
                int at = 0;
                for (int j = 0; j < counts.Length; j++)
                    for (int c = 0; c < counts[j]; c++) part[at++] = j;
                return part;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown split kind.");
        }
    }

    /// <summary>
    /// Deals the rows in <paramref name="order"/> to the parts, each row to the part furthest behind its share so far.
    /// Every deficit stays above −1, so each part ends with exactly its count, and any run of the order (a class) is
    /// spread over the parts in proportion, within two rows.
    /// </summary>
    private static int[] Deal(int[] order, int[] counts)
    {
        long n = order.Length;
        var part = new int[order.Length];
        var assigned = new long[counts.Length];
        for (int i = 0; i < order.Length; i++)
        {
            int best = 0;
            long bestDeficit = long.MinValue;
            for (int j = 0; j < counts.Length; j++)
            {
                long deficit = counts[j] * (i + 1L) - assigned[j] * n;   // n × (share due so far − rows given)
                if (deficit > bestDeficit) { bestDeficit = deficit; best = j; }
            }
            part[order[i]] = best;
            assigned[best]++;
        }
        return part;
    }

    /// <summary>Row indices grouped by the value of <paramref name="column"/>, groups in order of first appearance.</summary>
    private static int[][] Partition(Table table, TableColumn column, string purpose, bool requireWhole)
    {
        var groups = new Dictionary<double, List<int>>();
        var order = new List<List<int>>();
        var v = column.Values;
        for (int r = 0; r < v.Length; r++)
        {
            double x = v[r];
            if (double.IsNaN(x))
                throw new ArgumentException($"{purpose}: {column.Role} column '{column.Name}' is missing in row {table.Provenance[r]} (row {r} of the {table.Role} table).", nameof(table));
            if (requireWhole && column.Type == ColumnType.Number && x != Math.Floor(x))
                throw new ArgumentException($"{purpose}: label '{column.Name}' is {column.Format(r)} in row {table.Provenance[r]}; stratifying needs classes (a category or whole numbers).", nameof(table));
            if (!groups.TryGetValue(x, out var rows))
            {
                rows = [];
                groups.Add(x, rows);
                order.Add(rows);
            }
            rows.Add(r);
        }
        return order.Select(g => g.ToArray()).ToArray();
    }

    /// <summary>Row indices sorted by the timestamp column, ties in table order.</summary>
    private static int[] TimeOrder(Table table, string purpose)
    {
        var time = table.RequireRole(ColumnRole.Timestamp, purpose);
        var v = time.Values;
        for (int r = 0; r < v.Length; r++)
            if (double.IsNaN(v[r]))
                throw new ArgumentException($"{purpose}: timestamp '{time.Name}' is missing in row {table.Provenance[r]} (row {r} of the {table.Role} table).", nameof(table));
        var order = Enumerable.Range(0, v.Length).ToArray();
        var keys = v.ToArray();
        // A stable sort: equal times keep table order.
        return order.OrderBy(r => keys[r]).ToArray();
    }

    private static Table<TRole> Part<TRole>(Table table, int[] part, int which, SplitKind kind) where TRole : ITableRole
    {
        IEnumerable<int> rows = Enumerable.Range(0, part.Length).Where(r => part[r] == which);
        if (kind == SplitKind.TimeOrdered)
        {
            var time = table.Timestamp!.Storage;
            rows = rows.OrderBy(r => time[r]);
        }
        return Rows<TRole>(table, rows.ToArray());
    }

    private static Table<TRole> Rows<TRole>(Table table, ReadOnlySpan<int> rows) where TRole : ITableRole => table.Gather<TRole>(rows);
}
