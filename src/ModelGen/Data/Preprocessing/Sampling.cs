using System;
using System.Collections.Generic;
using System.Linq;
using ModelGen.Compute;

namespace ModelGen.Data;

/// <summary>
/// A transformer that changes which rows there are: it resamples training rows only (in <see cref="Transformer.FitTransform"/>
/// or <see cref="Resample"/>, both of which take a <see cref="Table{TRole}"/> of <see cref="Train"/>) and leaves every other
/// table as it is, so that oversampling before the split does not compile and a pipeline never resamples validation or
/// test rows. Resampled rows keep their provenance; rows made up (<see cref="Smote"/>) are marked synthetic with their parents.
/// </summary>
public abstract class Sampler : Transformer
{
    /// <summary>The resampled training rows.</summary>
    /// <param name="train">Training rows with a label column of classes.</param>
    public abstract Table<Train> Resample(Table<Train> train);

    /// <summary>Records the training rows; the fitted form transforms nothing.</summary>
    public override FittedTransformer Fit(Table<Train> train) => new Identity(new FitOrigin(train), GetType().Name);

    /// <summary>Resamples the training rows; the fitted form transforms nothing.</summary>
    public override (FittedTransformer Fitted, Table<Train> Output) FitTransform(Table<Train> train) => (Fit(train), Resample(train));

    /// <summary>Rows of each class (by the label), classes in order of first appearance.</summary>
    private protected static List<int>[] RowsByClass(Table<Train> train, string purpose)
    {
        var classes = Prep.Classes(train, purpose, out int count);
        var rows = new List<int>[count];
        for (int c = 0; c < count; c++) rows[c] = [];
        for (int r = 0; r < classes.Length; r++) rows[classes[r]].Add(r);
        if (count < 2)
            throw new ArgumentException($"{purpose}: the label of the {train.Role} table has a single class; there is nothing to balance.", nameof(train));
        return rows;
    }

    /// <summary>A fitted sampler: it changes nothing outside <see cref="Transformer.FitTransform"/>.</summary>
    internal sealed class Identity(FitOrigin origin, string sampler) : FittedTransformer(origin)
    {
        /// <summary>The sampler's type name, e.g. "Smote".</summary>
        internal string Sampler => sampler;

        private protected override string Owner => sampler;

        protected override IReadOnlyList<TableColumn> TransformColumns(Table table) => table.ColumnStorage;
    }
}

/// <summary>
/// Balances classes by drawing rows of every smaller class at random, with replacement, until each class has as many
/// rows as the largest (imbalanced-learn's <c>RandomOverSampler</c>). The drawn copies follow the original rows and
/// keep their provenance, so a copy is recognisably the same row.
/// </summary>
/// <param name="seed">Seed of the draws.</param>
public sealed class RandomOverSampler(long seed) : Sampler
{
    /// <summary>Seed of the draws.</summary>
    public long Seed { get; } = seed;

    /// <inheritdoc/>
    public override Table<Train> Resample(Table<Train> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        var classes = RowsByClass(train, nameof(RandomOverSampler));
        int target = classes.Max(c => c.Count);
        var rng = new Rng(Seed, stream: 0x0E5);
        var rows = Enumerable.Range(0, train.RowCount).ToList();
        foreach (var c in classes)
            for (int i = c.Count; i < target; i++) rows.Add(c[rng.NextInt(c.Count)]);
        return train.Rows(rows.ToArray());
    }

    /// <inheritdoc/>
    public override string ToString() => nameof(RandomOverSampler);
}

/// <summary>
/// Balances classes by keeping, of every class, a random subset (without replacement) as large as the smallest class
/// (imbalanced-learn's <c>RandomUnderSampler</c>); the kept rows stay in table order.
/// </summary>
/// <param name="seed">Seed of the draws.</param>
public sealed class RandomUnderSampler(long seed) : Sampler
{
    /// <summary>Seed of the draws.</summary>
    public long Seed { get; } = seed;

    /// <inheritdoc/>
    public override Table<Train> Resample(Table<Train> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        var classes = RowsByClass(train, nameof(RandomUnderSampler));
        int target = classes.Min(c => c.Count);
        var rng = new Rng(Seed, stream: 0x0D5);
        var keep = new List<int>();
        foreach (var c in classes)
        {
            var rows = c.ToArray();
            rng.Shuffle(rows.AsSpan());
            keep.AddRange(rows.Take(target));
        }
        keep.Sort();
        return train.Rows(keep.ToArray());
    }

    /// <inheritdoc/>
    public override string ToString() => nameof(RandomUnderSampler);
}

/// <summary>
/// SMOTE (Chawla et al., 2002): balances classes by making up rows of every smaller class until it has as many rows as
/// the largest. Each new row lies at a random point between a random row of the class and one of its
/// <paramref name="neighbours"/> nearest rows of the same class (Euclidean distance over the numeric columns used);
/// its other columns are copied from the first row. New rows follow the original ones and are
/// <see cref="RowProvenance.IsSynthetic"/>, with both rows as parents, so <see cref="LeakageAudit"/> can tell when a
/// test row was a parent (oversampling before the split).
/// </summary>
/// <param name="seed">Seed of the draws.</param>
/// <param name="neighbours">Nearest same-class rows to choose from, ≥ 1 (fewer when a class is smaller).</param>
/// <param name="columns">The numeric columns interpolated and measured; every numeric feature column when null.</param>
public sealed class Smote(long seed, int neighbours = 5, IReadOnlyList<string>? columns = null) : Sampler
{
    /// <summary>The source name of synthetic rows' provenance ids.</summary>
    public const string SyntheticSource = "smote";

    /// <summary>Seed of the draws.</summary>
    public long Seed { get; } = seed;

    /// <summary>Nearest same-class rows to choose from.</summary>
    public int Neighbours { get; } = neighbours >= 1 ? neighbours : throw new ArgumentOutOfRangeException(nameof(neighbours), neighbours, "At least one neighbour is needed.");

    /// <summary>The columns given, or null for every numeric feature column.</summary>
    public IReadOnlyList<string>? Columns { get; } = columns?.ToArray();

    /// <inheritdoc/>
    public override Table<Train> Resample(Table<Train> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        var names = Prep.Resolve(train, Columns, nameof(Smote), ColumnType.Number);
        var features = names.Select(n => train[n]).ToArray();
        foreach (var c in features)
            for (int r = 0; r < c.Count; r++)
                if (c.IsMissing(r)) throw Prep.Missing(nameof(Smote), c, train, r);
        var classes = RowsByClass(train, nameof(Smote));
        int target = classes.Max(c => c.Count);
        var rng = new Rng(Seed, stream: 0x5307E);
        var baseRows = new List<int>();
        var partners = new List<int>();
        var gaps = new List<double>();
        foreach (var c in classes)
        {
            int need = target - c.Count;
            if (need == 0) continue;
            if (c.Count < 2)
                throw new ArgumentException($"{nameof(Smote)}: a class has a single row ({train.Provenance[c[0]]}); interpolating needs at least 2 rows of every smaller class.", nameof(train));
            var nearest = NearestNeighbours(c, features, Math.Min(Neighbours, c.Count - 1));
            for (int i = 0; i < need; i++)
            {
                int a = rng.NextInt(c.Count);
                var near = nearest[a];
                baseRows.Add(c[a]);
                partners.Add(c[near[rng.NextInt(near.Length)]]);
                gaps.Add(rng.NextDouble());
            }
        }
        int n = train.RowCount, added = baseRows.Count;
        var columnsOut = new TableColumn[train.ColumnCount];
        for (int j = 0; j < train.ColumnCount; j++)
        {
            var c = train.ColumnStorage[j];
            var v = c.Values;
            var y = new double[n + added];
            v.CopyTo(y);
            bool interpolate = names.Contains(c.Name);
            for (int i = 0; i < added; i++)
                y[n + i] = interpolate ? v[baseRows[i]] + gaps[i] * (v[partners[i]] - v[baseRows[i]]) : v[baseRows[i]];
            columnsOut[j] = TableColumn.FromStorage(c.Name, c.Type, c.Role, y, c.LevelStorage);
        }
        var provenance = new RowProvenance[n + added];
        train.ProvenanceStorage.CopyTo(provenance, 0);
        for (int i = 0; i < added; i++)
        {
            var parents = Origins(train.ProvenanceStorage[baseRows[i]]).Concat(Origins(train.ProvenanceStorage[partners[i]])).Distinct().ToArray();
            provenance[n + i] = RowProvenance.Synthetic(new RowId(SyntheticSource, i), parents);
        }
        return new Table<Train>(columnsOut, provenance);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{nameof(Smote)}(k = {Neighbours})";

    private static IEnumerable<RowId> Origins(RowProvenance p) => p.IsSynthetic ? p.Parents : [p.Id];

    /// <summary>For each row of the class (by position in <paramref name="rows"/>), the positions of its k nearest other rows, nearest first.</summary>
    private static int[][] NearestNeighbours(List<int> rows, TableColumn[] features, int k)
    {
        int m = rows.Count;
        var result = new int[m][];
        var distance = new double[m];
        var order = new int[m];
        for (int a = 0; a < m; a++)
        {
            for (int b = 0; b < m; b++)
            {
                double d = 0;
                foreach (var f in features)
                {
                    double diff = f[rows[a]] - f[rows[b]];
                    d += diff * diff;
                }
                distance[b] = b == a ? double.PositiveInfinity : d;
                order[b] = b;
            }
            result[a] = order.OrderBy(b => distance[b]).ThenBy(b => b).Take(k).ToArray();
        }
        return result;
    }
}
