using System;
using System.Collections.Generic;
using System.Linq;

namespace ModelGen.Data;

/// <summary>A table of numbers read from CSV: named columns and row-major single-precision values.</summary>
public sealed class NumericTable
{
    private readonly string[] _columnNames;

    /// <summary>Creates a table from column names and <paramref name="values"/> laid out row by row (the array is kept, not copied).</summary>
    /// <exception cref="ArgumentException">The value count is not a multiple of the column count.</exception>
    public NumericTable(IReadOnlyList<string> columnNames, float[] values)
    {
        ArgumentNullException.ThrowIfNull(columnNames);
        ArgumentNullException.ThrowIfNull(values);
        _columnNames = columnNames.ToArray();
        if (_columnNames.Length == 0 ? values.Length != 0 : values.Length % _columnNames.Length != 0)
            throw new ArgumentException($"{values.Length} values do not fill whole rows of {_columnNames.Length} columns.", nameof(values));
        Values = values;
        RowCount = _columnNames.Length == 0 ? 0 : values.Length / _columnNames.Length;
    }

    /// <summary>The column names: the header's, or <c>c0</c>, <c>c1</c>, … when the file has none.</summary>
    public IReadOnlyList<string> ColumnNames => _columnNames;

    /// <summary>Number of data rows (the header excluded).</summary>
    public int RowCount { get; }

    /// <summary>Number of columns.</summary>
    public int ColumnCount => _columnNames.Length;

    /// <summary>All values, row-major: <see cref="RowCount"/> × <see cref="ColumnCount"/>.</summary>
    public float[] Values { get; }

    /// <summary>The value at <paramref name="row"/>, <paramref name="column"/> (both 0-based).</summary>
    public float this[int row, int column]
    {
        get
        {
            CheckRow(row);
            CheckColumn(column);
            return Values[row * ColumnCount + column];
        }
    }

    /// <summary>The values of row <paramref name="row"/> (0-based), without copying.</summary>
    public ReadOnlySpan<float> Row(int row)
    {
        CheckRow(row);
        return Values.AsSpan(row * ColumnCount, ColumnCount);
    }

    /// <summary>A copy of column <paramref name="index"/> (0-based), one value per row.</summary>
    public float[] Column(int index)
    {
        CheckColumn(index);
        var column = new float[RowCount];
        for (int r = 0, at = index; r < column.Length; r++, at += ColumnCount) column[r] = Values[at];
        return column;
    }

    /// <summary>A copy of the column named <paramref name="name"/> (exact, case-sensitive match), one value per row.</summary>
    /// <exception cref="ArgumentException">No column, or more than one, has that name.</exception>
    public float[] Column(string name) => Column(ColumnIndex(name));

    /// <summary>The 0-based index of the column named <paramref name="name"/> (exact, case-sensitive match).</summary>
    /// <exception cref="ArgumentException">No column, or more than one, has that name.</exception>
    public int ColumnIndex(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        int found = Array.IndexOf(_columnNames, name);
        if (found < 0)
            throw new ArgumentException($"No column is named '{name}'; the columns are {Quote(_columnNames)}.", nameof(name));
        int again = Array.IndexOf(_columnNames, name, found + 1);
        if (again >= 0)
            throw new ArgumentException($"Columns {found} and {again} are both named '{name}'; select one by index.", nameof(name));
        return found;
    }

    private static string Quote(string[] names) =>
        names.Length <= 12 ? string.Join(", ", names.Select(n => "'" + n + "'"))
                           : string.Join(", ", names.Take(12).Select(n => "'" + n + "'")) + $" and {names.Length - 12} more";

    private void CheckRow(int row)
    {
        if ((uint)row >= (uint)RowCount)
            throw new ArgumentOutOfRangeException(nameof(row), row, $"The table has {RowCount} rows.");
    }

    private void CheckColumn(int column)
    {
        if ((uint)column >= (uint)ColumnCount)
            throw new ArgumentOutOfRangeException(nameof(column), column, $"The table has {ColumnCount} columns.");
    }
}
