using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace ModelGen.Data;

/// <summary>
/// A preprocessing recipe, not yet fitted: a scaler, imputer, encoder, feature selector, sampler or a <see cref="Pipeline"/>
/// of them. <see cref="Fit"/> learns its statistics from training rows only (a <see cref="Table{TRole}"/> of
/// <see cref="Train"/>) and returns a <see cref="FittedTransformer"/>, the only thing that can transform; so fitting on
/// test rows, or transforming before fitting, does not compile.
/// </summary>
public abstract class Transformer
{
    /// <summary>Learns the transformer's statistics from <paramref name="train"/>.</summary>
    /// <param name="train">Training rows: a split's or a fold's training part.</param>
    public abstract FittedTransformer Fit(Table<Train> train);

    /// <summary>
    /// Fits on <paramref name="train"/> and returns the training rows as the next step should see them. Usually that is
    /// <c>Fit(train).Transform(train)</c>; samplers return resampled rows here (and leave other tables alone), and
    /// <see cref="TargetEncoder"/> encodes each training row with statistics from the other rows only.
    /// </summary>
    /// <param name="train">Training rows.</param>
    public virtual (FittedTransformer Fitted, Table<Train> Output) FitTransform(Table<Train> train)
    {
        var fitted = Fit(train);
        return (fitted, fitted.Transform(train));
    }

    /// <summary>The transformer's name and settings, as reports show it.</summary>
    public override string ToString() => GetType().Name;
}

/// <summary>
/// A transformer fitted on training rows: it records which rows it was fitted on (<see cref="FittedOn"/>) and applies
/// the same learned transformation to a table of any role. One restored from a saved document
/// (<see cref="Serialization.PreprocessingDocument"/>) applies exactly the same transformation, but knows only how many
/// rows it was fitted on (<see cref="IsRestored"/>).
/// </summary>
public abstract class FittedTransformer
{
    /// <summary>Records the provenance of the training rows the statistics came from.</summary>
    /// <param name="train">The rows the transformer was fitted on.</param>
    protected FittedTransformer(Table<Train> train) : this(new FitOrigin(train))
    {
    }

    private protected FittedTransformer(FitOrigin origin)
    {
        FittedOn = origin.Provenance;
        FittedRowCount = origin.RowCount;
        IsRestored = origin.IsRestored;
    }

    /// <summary>
    /// The provenance of the rows this transformer was fitted on: with <see cref="LeakageAudit"/> or by hand, proof that no
    /// held-out row took part. Empty for a transformer restored from a saved document, whose training rows are not saved.
    /// </summary>
    public IReadOnlyList<RowProvenance> FittedOn { get; }

    /// <summary>How many training rows the statistics came from: <c>FittedOn.Count</c>, or for a restored transformer the count the document recorded.</summary>
    public int FittedRowCount { get; }

    /// <summary>
    /// Whether this transformer was read from a saved document rather than fitted in this process. Its transformation is
    /// the same, bit for bit; its <see cref="FittedOn"/> is empty, so <see cref="LeakageAudit"/> lists it as not checked.
    /// </summary>
    public bool IsRestored { get; }

    /// <summary>Applies the fitted transformation to <paramref name="table"/>; the rows, their order and provenance are unchanged.</summary>
    /// <typeparam name="TRole">The table's role, kept by the result.</typeparam>
    /// <exception cref="ArgumentException">The table lacks a column the transformer was fitted on, or the column has another type.</exception>
    public Table<TRole> Transform<TRole>(Table<TRole> table) where TRole : ITableRole
    {
        ArgumentNullException.ThrowIfNull(table);
        var columns = TransformColumns(table).ToArray();
        foreach (var c in columns)
            if (c.Count != table.RowCount)
                throw new InvalidOperationException($"{GetType().Name} made column '{c.Name}' of {c.Count} rows for a table of {table.RowCount}.");
        return table.WithColumns(columns);
    }

    /// <summary>The columns of the transformed table, one value per row of <paramref name="table"/>.</summary>
    /// <param name="table">The table to transform (any role).</param>
    protected abstract IReadOnlyList<TableColumn> TransformColumns(Table table);

    /// <summary>The column <paramref name="name"/> of <paramref name="table"/>, checked to exist and have <paramref name="type"/>.</summary>
    /// <exception cref="ArgumentException">The column is absent or of another type.</exception>
    protected TableColumn Input(Table table, string name, ColumnType type)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (!table.HasColumn(name))
            throw new ArgumentException($"{Owner} was fitted on column '{name}', which the {table.Role} table lacks; its columns are {table.ListColumns()}.", nameof(table));
        var c = table[name];
        if (c.Type != type)
            throw new ArgumentException($"{Owner} was fitted on column '{name}' of type {type}, but in the {table.Role} table it is of type {c.Type}.", nameof(table));
        return c;
    }

    /// <summary>The name of the transformer in messages.</summary>
    private protected virtual string Owner => GetType().DeclaringType?.Name ?? GetType().Name;
}

/// <summary>
/// Steps fitted one after another on training rows, each on the previous one's output (<see cref="Transformer.FitTransform"/>),
/// and applied in the same order. Give a pipeline, not fitted steps, to <see cref="CrossValidation.Run"/>: it is then
/// fitted inside each fold on that fold's training rows only.
/// </summary>
public sealed class Pipeline : Transformer
{
    private readonly Transformer[] _steps;

    /// <summary>A pipeline of <paramref name="steps"/>, in order.</summary>
    /// <exception cref="ArgumentException">No step is given, or a step is null.</exception>
    public Pipeline(params IReadOnlyList<Transformer> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        if (steps.Count == 0) throw new ArgumentException("A pipeline needs at least one step.", nameof(steps));
        _steps = steps.ToArray();
        for (int i = 0; i < _steps.Length; i++)
            if (_steps[i] is null) throw new ArgumentException($"Step {i} of the pipeline is null.", nameof(steps));
    }

    /// <summary>The steps, in order.</summary>
    public IReadOnlyList<Transformer> Steps => _steps;

    /// <inheritdoc/>
    public override Fitted Fit(Table<Train> train) => FitAll(train).Fitted;

    /// <inheritdoc/>
    public override (FittedTransformer Fitted, Table<Train> Output) FitTransform(Table<Train> train) => FitAll(train);

    private (Fitted Fitted, Table<Train> Output) FitAll(Table<Train> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        var fitted = new FittedTransformer[_steps.Length];
        var current = train;
        for (int i = 0; i < _steps.Length; i++) (fitted[i], current) = _steps[i].FitTransform(current);
        return (new Fitted(train, fitted), current);
    }

    /// <inheritdoc/>
    public override string ToString() => "Pipeline(" + string.Join(" → ", _steps.Select(s => s.ToString())) + ")";

    /// <summary>A fitted pipeline: its fitted steps, applied in order.</summary>
    public sealed class Fitted : FittedTransformer
    {
        private readonly FittedTransformer[] _steps;

        internal Fitted(FitOrigin origin, FittedTransformer[] steps) : base(origin) => _steps = steps;

        /// <summary>The fitted steps, in order; each records the rows it was fitted on (after the samplers before it).</summary>
        public IReadOnlyList<FittedTransformer> Steps => _steps;

        /// <inheritdoc/>
        protected override IReadOnlyList<TableColumn> TransformColumns(Table table)
        {
            // Each step sees the previous step's output; the role does not matter here, so carry the table as unsplit.
            var current = table.As<Unsplit>();
            foreach (var step in _steps) current = step.Transform(current);
            return current.ColumnStorage;
        }
    }
}

/// <summary>
/// What a fitted transformer learned from: training rows (their provenance is kept), or, for a transformer restored from a
/// saved document, only the number of rows the document records.
/// </summary>
internal readonly struct FitOrigin
{
    public FitOrigin(Table<Train> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        Provenance = train.Provenance;
        RowCount = train.RowCount;
        IsRestored = false;
    }

    private FitOrigin(int rowCount)
    {
        Provenance = [];
        RowCount = rowCount;
        IsRestored = true;
    }

    /// <summary>The origin of a transformer read from a document that says it was fitted on <paramref name="rowCount"/> rows.</summary>
    public static FitOrigin Restored(int rowCount) => new(rowCount);

    public IReadOnlyList<RowProvenance> Provenance { get; }

    public int RowCount { get; }

    public bool IsRestored { get; }

    public static implicit operator FitOrigin(Table<Train> train) => new(train);
}

/// <summary>Helpers the transformers share: choosing columns and NaN-aware statistics.</summary>
internal static class Prep
{
    /// <summary>
    /// The columns a transformer works on: <paramref name="names"/> as given (each checked to exist and be of one of
    /// <paramref name="types"/>), or when null every column of those types with the role Feature.
    /// </summary>
    public static string[] Resolve(Table table, IReadOnlyList<string>? names, string transformer, params ColumnType[] types)
    {
        if (names is null)
        {
            var found = table.Columns.Where(c => c.Role == ColumnRole.Feature && types.Contains(c.Type)).Select(c => c.Name).ToArray();
            if (found.Length == 0)
                throw new ArgumentException($"{transformer} found no {string.Join(" or ", types).ToLowerInvariant()} feature column in the {table.Role} table; its columns are {table.ListColumns()}.", nameof(table));
            return found;
        }
        var result = names.ToArray();
        if (result.Length == 0) throw new ArgumentException($"{transformer} was given an empty column list.", nameof(names));
        for (int i = 0; i < result.Length; i++)
        {
            var c = table[result[i] ?? throw new ArgumentException($"{transformer}: column name {i} is null.", nameof(names))];
            if (!types.Contains(c.Type))
                throw new ArgumentException($"{transformer} works on {string.Join(" or ", types).ToLowerInvariant()} columns, but '{c.Name}' is of type {c.Type}.", nameof(names));
            if (c.Role is ColumnRole.Label)
                throw new ArgumentException($"{transformer}: column '{c.Name}' is the label; transforming it as a feature would feed the answer to the model.", nameof(names));
            if (Array.IndexOf(result, result[i], 0, i) >= 0)
                throw new ArgumentException($"{transformer}: column '{result[i]}' is listed twice.", nameof(names));
        }
        return result;
    }

    /// <summary>Mean and population variance of the non-missing values, and their count.</summary>
    public static (double Mean, double Variance, int Count) Moments(ReadOnlySpan<double> v)
    {
        double sum = 0;
        int n = 0;
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (double x in v)
        {
            if (double.IsNaN(x)) continue;
            sum += x;
            n++;
            if (x < min) min = x;
            if (x > max) max = x;
        }
        if (n == 0) return (double.NaN, double.NaN, 0);
        // A constant column has exactly zero variance, whatever the rounding of its mean.
        if (min == max) return (min, 0, n);
        double mean = sum / n, ss = 0;
        foreach (double x in v) if (!double.IsNaN(x)) ss += (x - mean) * (x - mean);
        return (mean, ss / n, n);
    }

    /// <summary>The error for a column with no value in the training rows.</summary>
    public static ArgumentException AllMissing(string transformer, string column, Table table) =>
        new($"{transformer}: column '{column}' has no value in any of the {table.RowCount} rows of the {table.Role} table; nothing can be learned from it.", nameof(table));

    /// <summary>The error for a missing value a transformer cannot handle.</summary>
    public static ArgumentException Missing(string transformer, TableColumn column, Table table, int row) =>
        new($"{transformer}: column '{column.Name}' is missing in row {table.Provenance[row]} (row {row} of the {table.Role} table); impute missing values first (Imputer).", nameof(table));

    /// <summary>The role a column derived from <paramref name="sources"/> gets: KnownAfterOutcome if any source is, else Feature.</summary>
    public static ColumnRole DerivedRole(IEnumerable<TableColumn> sources) =>
        sources.Any(c => c.Role == ColumnRole.KnownAfterOutcome) ? ColumnRole.KnownAfterOutcome : ColumnRole.Feature;

    /// <summary>The table's columns with those named in <paramref name="names"/> replaced in place.</summary>
    /// <param name="table">The table transformed.</param>
    /// <param name="names">The columns to replace.</param>
    /// <param name="input">Fetches and checks a column (so that a missing one is reported by the transformer).</param>
    /// <param name="replace">Makes the replacement of a column, given it and its index in <paramref name="names"/>.</param>
    public static TableColumn[] ReplaceEach(Table table, string[] names, Func<string, TableColumn> input, Func<TableColumn, int, TableColumn> replace)
    {
        var columns = table.ColumnStorage.ToArray();
        for (int i = 0; i < names.Length; i++)
        {
            var c = input(names[i]);
            columns[table.IndexOf(names[i])] = replace(c, i);
        }
        return columns;
    }

    /// <summary>The table's columns without <paramref name="removed"/>, with <paramref name="inserted"/> where the first removed column was (or at the end).</summary>
    public static TableColumn[] Splice(Table table, IReadOnlyCollection<string> removed, IReadOnlyList<TableColumn> inserted)
    {
        var result = new List<TableColumn>();
        bool placed = false;
        foreach (var c in table.ColumnStorage)
        {
            if (removed.Contains(c.Name))
            {
                if (!placed) { result.AddRange(inserted); placed = true; }
                continue;
            }
            result.Add(c);
        }
        if (!placed) result.AddRange(inserted);
        return result.ToArray();
    }

    /// <summary>The class of every row of the label column (a category's level index, or a whole number), checked.</summary>
    public static int[] Classes(Table table, string purpose, out int classCount)
    {
        var label = table.RequireRole(ColumnRole.Label, purpose);
        var v = label.Values;
        var codes = new int[v.Length];
        var map = new Dictionary<double, int>();
        for (int r = 0; r < v.Length; r++)
        {
            double y = v[r];
            if (double.IsNaN(y))
                throw new ArgumentException($"{purpose}: label '{label.Name}' is missing in row {table.Provenance[r]} (row {r} of the {table.Role} table).", nameof(table));
            if (label.Type == ColumnType.Number && y != Math.Floor(y))
                throw new ArgumentException($"{purpose} needs class labels, but label '{label.Name}' is {label.Format(r)} in row {table.Provenance[r]}.", nameof(table));
            if (!map.TryGetValue(y, out int c)) map.Add(y, c = map.Count);
            codes[r] = c;
        }
        classCount = map.Count;
        return codes;
    }

    /// <summary>The label as numbers (a number, or a two-level category's index), checked to be present.</summary>
    public static double[] Targets(Table table, string purpose)
    {
        var label = table.RequireRole(ColumnRole.Label, purpose);
        if (label.Type == ColumnType.Category && label.Levels.Count > 2)
            throw new ArgumentException($"{purpose} needs a numeric or two-level label, but '{label.Name}' is a category with {label.Levels.Count} levels.", nameof(table));
        var v = label.Values;
        for (int r = 0; r < v.Length; r++)
            if (double.IsNaN(v[r]))
                throw new ArgumentException($"{purpose}: label '{label.Name}' is missing in row {table.Provenance[r]} (row {r} of the {table.Role} table).", nameof(table));
        return v.ToArray();
    }

    public static string Format(double x) => x.ToString("R", CultureInfo.InvariantCulture);
}
