using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace ModelGen.Data;

/// <summary>
/// One immutable column of a <see cref="Table"/>: a name, a <see cref="ColumnType"/>, a <see cref="ColumnRole"/> and one
/// <see cref="double"/> per row (NaN = missing). Categories store the index of their level in <see cref="Levels"/>;
/// dates store seconds since 1970-01-01 UTC.
/// </summary>
public sealed class TableColumn
{
    private static readonly string[] NoLevels = [];
    private readonly double[] _values;
    private readonly string[] _levels;

    private TableColumn(string name, ColumnType type, ColumnRole role, double[] values, string[] levels)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!Enum.IsDefined(type)) throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown column type.");
        if (!Enum.IsDefined(role)) throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown column role.");
        Name = name;
        Type = type;
        Role = role;
        _values = values;
        _levels = levels;
    }

    /// <summary>The column's name, unique within its table.</summary>
    public string Name { get; }

    /// <summary>How the values are stored and shown.</summary>
    public ColumnType Type { get; }

    /// <summary>What the column is to a model.</summary>
    public ColumnRole Role { get; }

    /// <summary>Number of rows.</summary>
    public int Count => _values.Length;

    /// <summary>The stored values: numbers, level indices (categories) or Unix seconds (dates); NaN where missing.</summary>
    public ReadOnlySpan<double> Values => _values;

    /// <summary>The levels of a <see cref="ColumnType.Category"/> column (index = stored value); empty for other types.</summary>
    public IReadOnlyList<string> Levels => _levels;

    /// <summary>The stored value of row <paramref name="row"/>.</summary>
    public double this[int row] => _values[row];

    /// <summary>Whether row <paramref name="row"/> has no value.</summary>
    public bool IsMissing(int row) => double.IsNaN(_values[row]);

    /// <summary>The level of row <paramref name="row"/> of a category column, or null when missing.</summary>
    /// <exception cref="InvalidOperationException">The column is not a category column.</exception>
    public string? Level(int row)
    {
        if (Type != ColumnType.Category) throw new InvalidOperationException($"Column '{Name}' is of type {Type}, not {ColumnType.Category}; it has no levels.");
        double v = _values[row];
        return double.IsNaN(v) ? null : _levels[(int)v];
    }

    /// <summary>The value of row <paramref name="row"/> as text, as reports show it: the number (round-trip), the level, the ISO 8601 date, or "missing".</summary>
    public string Format(int row)
    {
        double v = _values[row];
        if (double.IsNaN(v)) return "missing";
        return Type switch
        {
            ColumnType.Category => _levels[(int)v],
            ColumnType.Date => FormatDate(v),
            _ => v.ToString("R", CultureInfo.InvariantCulture),
        };
    }

    /// <summary>Creates a numeric column; the values are copied.</summary>
    /// <param name="name">The column's name.</param>
    /// <param name="values">One number per row; NaN for missing.</param>
    /// <param name="role">What the column is to a model.</param>
    public static TableColumn Numbers(string name, ReadOnlySpan<double> values, ColumnRole role = ColumnRole.Feature) =>
        new(name, ColumnType.Number, role, values.ToArray(), NoLevels);

    /// <summary>Creates a category column; its levels are the distinct texts in order of first appearance.</summary>
    /// <param name="name">The column's name.</param>
    /// <param name="values">One level per row; null for missing.</param>
    /// <param name="role">What the column is to a model.</param>
    public static TableColumn Categories(string name, IReadOnlyList<string?> values, ColumnRole role = ColumnRole.Feature)
    {
        ArgumentNullException.ThrowIfNull(values);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var levels = new List<string>();
        var codes = new double[values.Count];
        for (int i = 0; i < codes.Length; i++)
        {
            string? v = values[i];
            if (v is null) { codes[i] = double.NaN; continue; }
            if (!index.TryGetValue(v, out int code))
            {
                code = levels.Count;
                index.Add(v, code);
                levels.Add(v);
            }
            codes[i] = code;
        }
        return new(name, ColumnType.Category, role, codes, levels.ToArray());
    }

    /// <summary>Creates a date column (stored as seconds since 1970-01-01 UTC; unspecified kinds count as UTC).</summary>
    /// <param name="name">The column's name.</param>
    /// <param name="values">One date per row; null for missing.</param>
    /// <param name="role">What the column is to a model; typically <see cref="ColumnRole.Timestamp"/>.</param>
    public static TableColumn Dates(string name, IReadOnlyList<DateTime?> values, ColumnRole role = ColumnRole.Timestamp)
    {
        ArgumentNullException.ThrowIfNull(values);
        var seconds = new double[values.Count];
        for (int i = 0; i < seconds.Length; i++) seconds[i] = values[i] is DateTime d ? ToUnixSeconds(d) : double.NaN;
        return new(name, ColumnType.Date, role, seconds, NoLevels);
    }

    /// <summary>This column with another role (the values are shared, not copied).</summary>
    public TableColumn WithRole(ColumnRole role) => role == Role ? this : new(Name, Type, role, _values, _levels);

    /// <summary>This column under another name (the values are shared, not copied).</summary>
    public TableColumn WithName(string name) => name == Name ? this : new(name, Type, Role, _values, _levels);

    /// <inheritdoc/>
    public override string ToString() => $"'{Name}' ({Type}, {Role}, {Count} rows)";

    internal static TableColumn FromStorage(string name, ColumnType type, ColumnRole role, double[] values, string[]? levels = null) =>
        new(name, type, role, values, levels ?? NoLevels);

    internal double[] Storage => _values;

    internal string[] LevelStorage => _levels;

    internal TableColumn Gather(ReadOnlySpan<int> rows)
    {
        var values = new double[rows.Length];
        for (int i = 0; i < rows.Length; i++) values[i] = _values[rows[i]];
        return new(Name, Type, Role, values, _levels);
    }

    internal static double ToUnixSeconds(DateTime d)
    {
        if (d.Kind == DateTimeKind.Local) d = d.ToUniversalTime();
        return (d.Ticks - DateTime.UnixEpoch.Ticks) / (double)TimeSpan.TicksPerSecond;
    }

    internal static string FormatDate(double unixSeconds)
    {
        var d = DateTime.UnixEpoch.AddTicks((long)Math.Round(unixSeconds * TimeSpan.TicksPerSecond));
        return d.TimeOfDay == TimeSpan.Zero ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : d.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
    }

    /// <summary>At most one column may be the label, the timestamp or the group key.</summary>
    internal static void CheckSingleRoles(IEnumerable<(string Name, ColumnRole Role)> columns, string parameter)
    {
        foreach (var role in new[] { ColumnRole.Label, ColumnRole.Timestamp, ColumnRole.GroupKey })
        {
            var names = columns.Where(c => c.Role == role).Select(c => "'" + c.Name + "'").ToArray();
            if (names.Length > 1)
                throw new ArgumentException($"Columns {string.Join(" and ", names)} {(names.Length == 2 ? "both" : "all")} have the role {role}; a table has at most one {role} column.", parameter);
        }
    }
}
