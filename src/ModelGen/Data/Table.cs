using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace ModelGen.Data;

/// <summary>
/// The role of a whole table in an experiment, carried as the type argument of <see cref="Table{TRole}"/>: <see cref="Unsplit"/>,
/// <see cref="Train"/>, <see cref="Validation"/> or <see cref="Test"/>. Only splits (<see cref="Split"/>) and the explicit
/// <see cref="TableRoles.AsTrain"/>/<see cref="TableRoles.AsTest"/> make tables of the latter three roles, and
/// preprocessing is fitted only on <see cref="Train"/> tables, so fitting on test rows does not compile.
/// </summary>
public interface ITableRole
{
    /// <summary>The role's name in messages: "unsplit", "train", "validation" or "test".</summary>
    static abstract string Name { get; }
}

/// <summary>The role of a table that has not been split: what the CSV reader and <see cref="Table.Create"/> return. Nothing is fitted on it.</summary>
public sealed class Unsplit : ITableRole
{
    private Unsplit() { }

    /// <inheritdoc/>
    public static string Name => "unsplit";
}

/// <summary>The role of training rows: the training part of a split or of a cross-validation fold. Preprocessing and samplers are fitted on it.</summary>
public sealed class Train : ITableRole
{
    private Train() { }

    /// <inheritdoc/>
    public static string Name => "train";
}

/// <summary>The role of validation rows: held out of a fold's training, used for early stopping, tuning and model choice.</summary>
public sealed class Validation : ITableRole
{
    private Validation() { }

    /// <inheritdoc/>
    public static string Name => "validation";
}

/// <summary>The role of test rows: held out of everything until the single final evaluation.</summary>
public sealed class Test : ITableRole
{
    private Test() { }

    /// <inheritdoc/>
    public static string Name => "test";
}

/// <summary>
/// An immutable table of typed, role-carrying columns (<see cref="TableColumn"/>) with the <see cref="RowProvenance"/> of
/// every row. The concrete type is <see cref="Table{TRole}"/>; this base holds what every role shares: reading the
/// columns, and the conversion to the model-facing <see cref="Dataset"/>.
/// </summary>
public abstract class Table
{
    private readonly TableColumn[] _columns;
    private readonly RowProvenance[] _provenance;
    private readonly Dictionary<string, int> _index;

    private protected Table(TableColumn[] columns, RowProvenance[] provenance)
    {
        _columns = columns;
        _provenance = provenance;
        _index = new Dictionary<string, int>(columns.Length, StringComparer.Ordinal);
        for (int i = 0; i < columns.Length; i++)
        {
            var c = columns[i] ?? throw new ArgumentException($"Column {i} is null.", nameof(columns));
            if (c.Count != provenance.Length)
                throw new ArgumentException($"Column '{c.Name}' has {c.Count} rows but the table has {provenance.Length}; every column needs one value per row.", nameof(columns));
            if (!_index.TryAdd(c.Name, i))
                throw new ArgumentException($"Columns {_index[c.Name]} and {i} are both named '{c.Name}'; column names must be unique.", nameof(columns));
        }
        TableColumn.CheckSingleRoles(columns.Select(c => (c.Name, c.Role)), nameof(columns));
    }

    /// <summary>Creates an <see cref="Unsplit"/> table from columns of equal length; row <c>i</c> gets the provenance <c><paramref name="source"/>[i]</c>.</summary>
    /// <param name="source">The name the rows' provenance and the audit report give this data.</param>
    /// <param name="columns">The columns, in order; names unique, at most one Label, Timestamp and GroupKey.</param>
    /// <exception cref="ArgumentException">The columns differ in length, two share a name, or a single-column role is used twice.</exception>
    public static Table<Unsplit> Create(string source, params IReadOnlyList<TableColumn> columns)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        ArgumentNullException.ThrowIfNull(columns);
        int rows = columns.Count == 0 ? 0 : columns[0].Count;
        return new Table<Unsplit>(columns.ToArray(), OriginalRows(source, rows));
    }

    /// <summary>The role of this table's rows: "unsplit", "train", "validation" or "test".</summary>
    public abstract string Role { get; }

    /// <summary>Number of rows.</summary>
    public int RowCount => _provenance.Length;

    /// <summary>Number of columns.</summary>
    public int ColumnCount => _columns.Length;

    /// <summary>The columns, in order.</summary>
    public IReadOnlyList<TableColumn> Columns => _columns;

    /// <summary>Where each row comes from (index = row).</summary>
    public IReadOnlyList<RowProvenance> Provenance => _provenance;

    /// <summary>The column named <paramref name="name"/> (exact match).</summary>
    /// <exception cref="ArgumentException">No column has that name; the message lists the columns.</exception>
    public TableColumn this[string name] => _columns[IndexOf(name)];

    /// <summary>Whether a column is named <paramref name="name"/>.</summary>
    public bool HasColumn(string name) => name is not null && _index.ContainsKey(name);

    /// <summary>The index of the column named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No column has that name; the message lists the columns.</exception>
    public int IndexOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_index.TryGetValue(name, out int i)) return i;
        throw new ArgumentException($"The {Role} table has no column '{name}'; its columns are {ListColumns()}.", nameof(name));
    }

    /// <summary>The column with the role <see cref="ColumnRole.Label"/>, or null.</summary>
    public TableColumn? Label => WithRole(ColumnRole.Label);

    /// <summary>The column with the role <see cref="ColumnRole.Timestamp"/>, or null.</summary>
    public TableColumn? Timestamp => WithRole(ColumnRole.Timestamp);

    /// <summary>The column with the role <see cref="ColumnRole.GroupKey"/>, or null.</summary>
    public TableColumn? GroupKey => WithRole(ColumnRole.GroupKey);

    /// <summary>The names of the numeric columns with the role <see cref="ColumnRole.Feature"/>, in order: the default inputs of preprocessing and of <see cref="ToDataset(TargetKind)"/>.</summary>
    public IReadOnlyList<string> FeatureColumns =>
        _columns.Where(c => c.Role == ColumnRole.Feature && c.Type == ColumnType.Number).Select(c => c.Name).ToArray();

    /// <summary>The model-facing samples: every <see cref="FeatureColumns"/> column as a feature, the label column as the target.</summary>
    /// <param name="target">Class indices (softmax cross-entropy) or values (regression, binary cross-entropy).</param>
    /// <exception cref="ArgumentException">There is no feature column, a feature value is missing, or the label is missing or not of the kind asked for.</exception>
    /// <exception cref="InvalidOperationException">The table has no label column.</exception>
    public Dataset ToDataset(TargetKind target) => ToDataset(FeatureColumns, target);

    /// <summary>The model-facing samples: the given feature columns, in that order, and the label column as the target.</summary>
    /// <param name="features">The input columns: numeric, with the role Feature (or KnownAfterOutcome when <paramref name="allowKnownAfterOutcome"/>).</param>
    /// <param name="target">Class indices (softmax cross-entropy) or values (regression, binary cross-entropy).</param>
    /// <param name="allowKnownAfterOutcome">Accept columns known only after the outcome as inputs (a leak unless the model is meant to run after the outcome).</param>
    /// <exception cref="ArgumentException">A column is unknown, not numeric, not a feature, known only after the outcome, listed twice, or has a missing value; or the label is missing or not of the kind asked for.</exception>
    /// <exception cref="InvalidOperationException">The table has no label column.</exception>
    public Dataset ToDataset(IReadOnlyList<string> features, TargetKind target, bool allowKnownAfterOutcome = false)
    {
        var x = ToFeatureMatrix(features, allowKnownAfterOutcome);
        var label = Label ?? throw new InvalidOperationException(
            $"The {Role} table has no column with the role {ColumnRole.Label}; give the label column that role (ColumnSpec Role, or WithRole). Its columns are {ListColumns()}.");
        var v = label.Values;
        switch (target)
        {
            case TargetKind.ClassIndex:
            {
                var labels = new int[RowCount];
                for (int r = 0; r < labels.Length; r++)
                {
                    double y = v[r];
                    if (double.IsNaN(y)) throw MissingLabel(label, r);
                    if (y < 0 || y != Math.Floor(y) || y > int.MaxValue)
                        throw new ArgumentException($"Label '{label.Name}' of row {_provenance[r]} is {label.Format(r)}; {TargetKind.ClassIndex} needs a class index (a whole number ≥ 0) or a category.", nameof(target));
                    labels[r] = (int)y;
                }
                var classification = Dataset.ForClassification(x, features.Count, labels, label.Type == ColumnType.Category ? label.Levels.Count : 0);
                return label.Type == ColumnType.Category && label.Levels.Count > 0 ? classification.WithClassNames(label.Levels) : classification;
            }
            case TargetKind.Value:
            {
                if (label.Type == ColumnType.Category && label.Levels.Count != 2)
                    throw new ArgumentException($"Label '{label.Name}' is a category with {label.Levels.Count} levels; {TargetKind.Value} takes a number or a two-level category (0/1). Use {TargetKind.ClassIndex} for classes.", nameof(target));
                var y = new float[RowCount];
                for (int r = 0; r < y.Length; r++)
                {
                    if (double.IsNaN(v[r])) throw MissingLabel(label, r);
                    y[r] = (float)v[r];
                }
                var values = Dataset.ForRegression(x, features.Count, y);
                return label.Type == ColumnType.Category ? values.WithClassNames(label.Levels) : values;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(target), target, "Unknown target kind.");
        }
    }

    /// <summary>The given feature columns as a row-major matrix (rows × features), e.g. for <c>Model.Predict</c> on unlabelled rows.</summary>
    /// <param name="features">The input columns: numeric, with the role Feature (or KnownAfterOutcome when <paramref name="allowKnownAfterOutcome"/>).</param>
    /// <param name="allowKnownAfterOutcome">Accept columns known only after the outcome as inputs.</param>
    /// <exception cref="ArgumentException">A column is unknown, not numeric, not a feature, known only after the outcome, listed twice, or has a missing value.</exception>
    public float[] ToFeatureMatrix(IReadOnlyList<string> features, bool allowKnownAfterOutcome = false)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Count == 0)
            throw new ArgumentException($"No feature column was given; the {Role} table's numeric feature columns are {Quote(FeatureColumns)}.", nameof(features));
        var columns = new TableColumn[features.Count];
        for (int j = 0; j < columns.Length; j++)
        {
            string name = features[j] ?? throw new ArgumentException($"Feature {j} is null.", nameof(features));
            if (!_index.TryGetValue(name, out int at))
                throw new ArgumentException($"Feature '{name}' is not a column of the {Role} table; its columns are {ListColumns()}.", nameof(features));
            for (int k = 0; k < j; k++)
                if (features[k] == name) throw new ArgumentException($"Feature '{name}' is listed twice (positions {k} and {j}).", nameof(features));
            var c = _columns[at];
            switch (c.Role)
            {
                case ColumnRole.Feature: break;
                case ColumnRole.KnownAfterOutcome when allowKnownAfterOutcome: break;
                case ColumnRole.KnownAfterOutcome:
                    throw new ArgumentException(
                        $"Column '{name}' is known only after the outcome ({ColumnRole.KnownAfterOutcome}); as a model input it leaks the answer. " +
                        "Leave it out of the features, or pass allowKnownAfterOutcome: true if the model really runs after the outcome.", nameof(features));
                case ColumnRole.Label:
                    throw new ArgumentException($"Column '{name}' is the label; it cannot also be a feature.", nameof(features));
                default:
                    throw new ArgumentException($"Column '{name}' has the role {c.Role}, not {ColumnRole.Feature}; derive numeric features from it, or give it the Feature role (WithRole) if it really is one.", nameof(features));
            }
            if (c.Type != ColumnType.Number)
                throw new ArgumentException(c.Type == ColumnType.Category
                    ? $"Column '{name}' is a category; encode it as numbers first (OneHotEncoder, TargetEncoder or FeatureHasher)."
                    : $"Column '{name}' is a date; derive numeric features from it first.", nameof(features));
            columns[j] = c;
        }
        int width = columns.Length;
        var x = new float[checked(RowCount * width)];
        for (int j = 0; j < width; j++)
        {
            var v = columns[j].Values;
            for (int r = 0; r < v.Length; r++)
            {
                if (double.IsNaN(v[r]))
                    throw new ArgumentException($"Feature '{columns[j].Name}' is missing in row {_provenance[r]} (row {r} of the {Role} table); impute missing values first (Imputer).", nameof(features));
                x[r * width + j] = (float)v[r];
            }
        }
        return x;
    }

    /// <summary>A one-line description: role, size and the columns with roles other than Feature.</summary>
    public override string ToString()
    {
        var special = _columns.Where(c => c.Role != ColumnRole.Feature).Select(c => $"{c.Role} '{c.Name}'").ToArray();
        return string.Create(CultureInfo.InvariantCulture,
            $"{Role} table: {RowCount} rows × {ColumnCount} columns{(special.Length > 0 ? " (" + string.Join(", ", special) + ")" : "")}");
    }

    /// <summary>The first <paramref name="rows"/> rows as aligned text, each with its provenance.</summary>
    public string Preview(int rows = 5)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        int n = Math.Min(rows, RowCount);
        var cells = new string[n + 1][];
        cells[0] = ["row", .. _columns.Select(c => c.Name)];
        for (int r = 0; r < n; r++) cells[r + 1] = [_provenance[r].ToString(), .. _columns.Select(c => c.Format(r))];
        var widths = Enumerable.Range(0, ColumnCount + 1).Select(j => cells.Max(line => line[j].Length)).ToArray();
        var sb = new StringBuilder().AppendLine(ToString());
        foreach (var line in cells)
            sb.AppendJoin("  ", line.Select((cell, j) => j == 0 ? cell.PadRight(widths[j]) : cell.PadLeft(widths[j]))).AppendLine();
        return sb.ToString();
    }

    internal TableColumn[] ColumnStorage => _columns;

    /// <summary>The same columns and rows under role <typeparamref name="TRole"/> (nothing is copied).</summary>
    internal Table<TRole> As<TRole>() where TRole : ITableRole => new(_columns, _provenance);

    /// <summary>The given rows (in that order, repeats allowed) as a table of role <typeparamref name="TRole"/>; provenance travels with them.</summary>
    internal Table<TRole> Gather<TRole>(ReadOnlySpan<int> rows) where TRole : ITableRole
    {
        var provenance = new RowProvenance[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            if ((uint)rows[i] >= (uint)_provenance.Length)
                throw new ArgumentOutOfRangeException(nameof(rows), rows[i], $"Row index {i} is {rows[i]}; the {Role} table has {_provenance.Length} rows.");
            provenance[i] = _provenance[rows[i]];
        }
        var gathered = new TableColumn[_columns.Length];
        for (int j = 0; j < _columns.Length; j++) gathered[j] = _columns[j].Gather(rows);
        return new Table<TRole>(gathered, provenance);
    }

    internal RowProvenance[] ProvenanceStorage => _provenance;

    internal TableColumn? WithRole(ColumnRole role)
    {
        foreach (var c in _columns) if (c.Role == role) return c;
        return null;
    }

    /// <summary>The column with <paramref name="role"/>, or an error saying what needs it.</summary>
    internal TableColumn RequireRole(ColumnRole role, string purpose)
    {
        return WithRole(role) ?? throw new InvalidOperationException(
            $"{purpose} needs a column with the role {role}, but the {Role} table has none; its columns are {ListColumns()}. " +
            "Give a column that role with ColumnSpec(..., Role: ColumnRole." + role + ") when reading, or table.WithRole(name, ColumnRole." + role + ").");
    }

    internal string ListColumns() => Quote(_columns.Select(c => c.Name).ToArray());

    internal static string Quote(IReadOnlyList<string> names) =>
        names.Count == 0 ? "(none)"
        : names.Count <= 12 ? string.Join(", ", names.Select(n => "'" + n + "'"))
        : string.Join(", ", names.Take(12).Select(n => "'" + n + "'")) + string.Create(CultureInfo.InvariantCulture, $" and {names.Count - 12} more");

    internal static RowProvenance[] OriginalRows(string source, int rows)
    {
        var p = new RowProvenance[rows];
        for (int i = 0; i < rows; i++) p[i] = new RowProvenance(new RowId(source, i));
        return p;
    }

    private ArgumentException MissingLabel(TableColumn label, int r) =>
        new($"Label '{label.Name}' is missing in row {_provenance[r]} (row {r} of the {Role} table); drop unlabelled rows first (Where).", "target");
}

/// <summary>
/// A <see cref="Table"/> whose rows play the role <typeparamref name="TRole"/>: <see cref="Unsplit"/>, <see cref="Train"/>,
/// <see cref="Validation"/> or <see cref="Test"/>. Row and column operations keep the role; only <see cref="Split"/> and
/// <see cref="TableRoles"/> change it.
/// </summary>
/// <typeparam name="TRole">The role of the rows.</typeparam>
public sealed class Table<TRole> : Table where TRole : ITableRole
{
    internal Table(TableColumn[] columns, RowProvenance[] provenance) : base(columns, provenance) { }

    /// <inheritdoc/>
    public override string Role => TRole.Name;

    /// <summary>The given rows, in the given order (a row may repeat); provenance travels with them.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A row index is outside the table.</exception>
    public Table<TRole> Rows(params ReadOnlySpan<int> rows) => Gather<TRole>(rows);

    /// <summary>The rows for which <paramref name="predicate"/> is true, in order; provenance travels with them.</summary>
    public Table<TRole> Where(Func<TableRow, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var keep = new List<int>();
        for (int r = 0; r < RowCount; r++) if (predicate(new TableRow(this, r))) keep.Add(r);
        return Rows(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(keep));
    }

    /// <summary>This table with <paramref name="column"/> replacing the column of the same name, or appended when there is none.</summary>
    /// <exception cref="ArgumentException">The column's length differs from the table's, or its role is taken by another column.</exception>
    public Table<TRole> WithColumn(TableColumn column)
    {
        ArgumentNullException.ThrowIfNull(column);
        var columns = ColumnStorage.ToList();
        int at = columns.FindIndex(c => c.Name == column.Name);
        if (at >= 0) columns[at] = column; else columns.Add(column);
        return new Table<TRole>(columns.ToArray(), ProvenanceStorage);
    }

    /// <summary>This table with column <paramref name="column"/> given <paramref name="role"/> (the run-time way to mark the label, timestamp, group key or a value known after the outcome).</summary>
    /// <exception cref="ArgumentException">No column has that name, or another column already has the role.</exception>
    public Table<TRole> WithRole(string column, ColumnRole role) => WithColumn(this[column].WithRole(role));

    /// <summary>This table without the named columns.</summary>
    /// <exception cref="ArgumentException">A name is not a column.</exception>
    public Table<TRole> WithoutColumns(params ReadOnlySpan<string> names)
    {
        var drop = new HashSet<int>();
        foreach (var n in names) drop.Add(IndexOf(n));
        return new Table<TRole>(ColumnStorage.Where((_, i) => !drop.Contains(i)).ToArray(), ProvenanceStorage);
    }

    /// <summary>Only the named columns, in the given order.</summary>
    /// <exception cref="ArgumentException">A name is not a column, or is given twice.</exception>
    public Table<TRole> SelectColumns(params ReadOnlySpan<string> names)
    {
        var columns = new TableColumn[names.Length];
        for (int i = 0; i < names.Length; i++) columns[i] = this[names[i]];
        return new Table<TRole>(columns, ProvenanceStorage);
    }

    /// <summary>The same rows with other columns (a transformer's output).</summary>
    internal Table<TRole> WithColumns(TableColumn[] columns) => new(columns, ProvenanceStorage);
}

/// <summary>A view of one row of a table, for <see cref="Table{TRole}.Where"/>.</summary>
public readonly struct TableRow
{
    private readonly Table _table;

    internal TableRow(Table table, int index)
    {
        _table = table;
        Index = index;
    }

    /// <summary>The row's index in the table.</summary>
    public int Index { get; }

    /// <summary>Where the row comes from.</summary>
    public RowProvenance Provenance => _table.ProvenanceStorage[Index];

    /// <summary>The stored value of column <paramref name="column"/> in this row (NaN when missing).</summary>
    public double this[string column] => _table[column][Index];

    /// <summary>Whether column <paramref name="column"/> has no value in this row.</summary>
    public bool IsMissing(string column) => _table[column].IsMissing(Index);

    /// <summary>The level of category column <paramref name="column"/> in this row, or null when missing.</summary>
    public string? Level(string column) => _table[column].Level(Index);
}

/// <summary>
/// The explicit, visible ways to give an unsplit table a role without splitting it: a separate training or test file,
/// or a final fit on all rows after cross-validation chose the recipe.
/// </summary>
public static class TableRoles
{
    /// <summary>Declares every row of <paramref name="table"/> training data (e.g. a separate training file, or the final fit on all rows).</summary>
    public static Table<Train> AsTrain(this Table<Unsplit> table)
    {
        ArgumentNullException.ThrowIfNull(table);
        return table.As<Train>();
    }

    /// <summary>Declares every row of <paramref name="table"/> test data (e.g. a separate test file, kept out of all fitting).</summary>
    public static Table<Test> AsTest(this Table<Unsplit> table)
    {
        ArgumentNullException.ThrowIfNull(table);
        return table.As<Test>();
    }
}
