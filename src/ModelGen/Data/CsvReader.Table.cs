using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace ModelGen.Data;

public sealed partial class CsvReader
{
    private const string TableMissingHint = "; set CsvOptions.MissingValues (or this column's ColumnSpec.MissingValues) to MissingValues.NaN to read missing values as NaN";

    /// <summary>
    /// Reads a CSV file into a typed <see cref="Table{TRole}"/> of role <see cref="Unsplit"/>: each column read as its
    /// <see cref="ColumnSpec"/> says (number, category or date) and given its role; every row's provenance is
    /// <c>source[i]</c>, i the 0-based data row. Gzip data is decompressed.
    /// </summary>
    /// <param name="path">The file; errors name it as given here.</param>
    /// <param name="schema">The columns' names, types and roles.</param>
    /// <param name="options">Delimiter, header, trimming and the default missing-value policy; <see cref="CsvOptions.Default"/> when null.</param>
    /// <param name="sourceName">The source name of the rows' provenance; <paramref name="path"/> when null. Give different files different names.</param>
    /// <exception cref="CsvFormatException">
    /// The header lacks a declared column or has an undeclared one (when <see cref="TableSchema.OtherColumns"/> is null) or a
    /// repeated name; a row has the wrong number of fields; a field is not of its column's type, is missing where the
    /// policy forbids it, or is not one of a category's declared levels. The message names the file, line, column and the text found.
    /// </exception>
    public static Table<Unsplit> ReadTable(string path, TableSchema schema, CsvOptions? options = null, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        using var csv = Open(path, options);
        return csv.ReadTableRest(schema, sourceName ?? path);
    }

    /// <summary>Reads CSV text into a typed <see cref="Table{TRole}"/> of role <see cref="Unsplit"/>; see <see cref="ReadTable(string, TableSchema, CsvOptions?, string?)"/>.</summary>
    /// <param name="reader">The text; it is left open.</param>
    /// <param name="schema">The columns' names, types and roles.</param>
    /// <param name="options">Delimiter, header, trimming and the default missing-value policy; <see cref="CsvOptions.Default"/> when null.</param>
    /// <param name="sourceName">The name errors and the rows' provenance give this text; <c>&lt;stream&gt;</c> when null.</param>
    /// <exception cref="CsvFormatException">As for <see cref="ReadTable(string, TableSchema, CsvOptions?, string?)"/>.</exception>
    public static Table<Unsplit> ReadTable(TextReader reader, TableSchema schema, CsvOptions? options = null, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        using var csv = new CsvReader(reader, options, sourceName, leaveOpen: true);
        return csv.ReadTableRest(schema, csv.SourceName);
    }

    /// <summary>Reads a CSV file into a typed table whose columns <typeparamref name="TRow"/> describes (no reflection; see <see cref="IRowSchema"/>).</summary>
    /// <typeparam name="TRow">A row type supplying its <see cref="TableSchema"/>.</typeparam>
    /// <param name="path">The file; errors name it as given here.</param>
    /// <param name="options">Delimiter, header, trimming and the default missing-value policy; <see cref="CsvOptions.Default"/> when null.</param>
    /// <param name="sourceName">The source name of the rows' provenance; <paramref name="path"/> when null.</param>
    /// <exception cref="CsvFormatException">As for <see cref="ReadTable(string, TableSchema, CsvOptions?, string?)"/>.</exception>
    public static Table<Unsplit> ReadTable<TRow>(string path, CsvOptions? options = null, string? sourceName = null) where TRow : IRowSchema =>
        ReadTable(path, TRow.Schema, options, sourceName);

    /// <summary>Field <paramref name="index"/> as a double; missing texts follow <paramref name="policy"/>.</summary>
    /// <param name="index">The field.</param>
    /// <param name="columnName">The column's name, for the message.</param>
    /// <param name="policy">What a missing text becomes.</param>
    /// <param name="missingHint">Appended to the error for a missing text the policy refuses.</param>
    /// <param name="undeclared">The column is not in the schema and was read as <see cref="TableSchema.OtherColumns"/>.</param>
    internal double ParseDouble(int index, string? columnName, MissingValues policy, string missingHint, bool undeclared = false)
    {
        var s = GetField(index);
        bool parsed = double.TryParse(s, NumberStyle, CultureInfo.InvariantCulture, out double value);
        if (parsed && double.IsFinite(value)) return value;
        // Keep in step with IsNumber, which decides whether an inferred column is numeric.
        if (IsMissingText(s) || (parsed && double.IsNaN(value)))
        {
            if (policy == MissingValues.NaN) return double.NaN;
            throw FieldError(index, columnName, "a number", missingHint);
        }
        if (parsed) throw FieldError(index, columnName, "a finite number");
        throw FieldError(index, columnName, "a number", columnName is null ? "" : CategoryHint(columnName, s, undeclared));
    }

    /// <summary>
    /// A word in a number column is often a category the schema did not declare: say how to declare it (text with a digit
    /// in it reads as a mistyped number and gets no hint).
    /// </summary>
    private static string CategoryHint(string columnName, ReadOnlySpan<char> text, bool undeclared)
    {
        if (text.IndexOfAnyInRange('0', '9') >= 0) return "";
        string declare = $"new ColumnSpec(\"{columnName}\", ColumnType.Category)";
        return undeclared
            ? $"; '{columnName}' is not declared in the schema, so it was read as TableSchema.OtherColumns ({ColumnType.Number}). If it holds categories, declare it: {declare}"
            : $"; if '{columnName}' holds categories, declare it so: {declare}";
    }

    private Table<Unsplit> ReadTableRest(TableSchema schema, string provenanceSource)
    {
        ColumnSpec[] specs;
        bool[]? undeclared = null;
        bool haveRow = false;
        string fieldsSource;
        if (_header is not null)
        {
            CheckHeaderNames();
            specs = new ColumnSpec[_header.Length];
            undeclared = new bool[_header.Length];
            for (int i = 0; i < _header.Length; i++)
            {
                string name = _header[i];
                undeclared[i] = schema.Find(name) is null;
                specs[i] = schema.Find(name)
                           ?? (schema.OtherColumns is ColumnType other
                               ? new ColumnSpec(name, other)
                               : throw HeaderError(i, name, "a column the schema declares (" + Table.Quote(schema.Columns.Select(c => c.Name).ToArray()) + "); declare it, or set TableSchema.OtherColumns"));
            }
            var absent = schema.Columns.Where(c => Array.IndexOf(_header, c.Name) < 0).Select(c => c.Name).ToArray();
            if (absent.Length > 0)
                throw new CsvFormatException(
                    CsvFormatException.Locate(SourceName, _headerLine, 0, null)
                    + $": the header has no column {Table.Quote(absent)}, which the schema declares; the header's columns are {Table.Quote(_header)}",
                    SourceName, _headerLine, 0, absent[0], null);
            fieldsSource = string.Create(CultureInfo.InvariantCulture, $"the header has {specs.Length}");
        }
        else
        {
            specs = schema.Columns.ToArray();
            if (specs.Length == 0) throw new ArgumentException("A file without a header line needs a schema that names every column, in order.", nameof(schema));
            fieldsSource = string.Create(CultureInfo.InvariantCulture, $"the schema declares {specs.Length} (the file has no header line)");
        }

        int columns = specs.Length;
        var values = new List<double>[columns];
        var levels = new List<string>?[columns];
        var levelIndex = new Dictionary<string, int>?[columns];
        var policy = new MissingValues[columns];
        for (int j = 0; j < columns; j++)
        {
            values[j] = new List<double>(256);
            policy[j] = specs[j].MissingValues ?? _options.MissingValues;
            if (specs[j].Type == ColumnType.Category)
            {
                levels[j] = specs[j].Levels?.ToList() ?? [];
                levelIndex[j] = new Dictionary<string, int>(StringComparer.Ordinal);
                for (int l = 0; l < levels[j]!.Count; l++) levelIndex[j]!.TryAdd(levels[j]![l], l);
            }
        }

        while (haveRow || ReadRecord())
        {
            haveRow = false;
            if (_fieldCount != columns) throw FieldCountError(columns, fieldsSource, specs.Select(c => c.Name).ToArray());
            for (int j = 0; j < columns; j++)
            {
                var spec = specs[j];
                values[j].Add(spec.Type switch
                {
                    ColumnType.Number => ParseDouble(j, spec.Name, policy[j], TableMissingHint, undeclared?[j] ?? false),
                    ColumnType.Category => ParseLevel(j, spec, policy[j], levels[j]!, levelIndex[j]!),
                    ColumnType.Date => ParseDate(j, spec.Name, policy[j]),
                    _ => throw new ArgumentOutOfRangeException(nameof(schema), spec.Type, $"Column '{spec.Name}' has an unknown type."),
                });
            }
        }

        var built = new TableColumn[columns];
        for (int j = 0; j < columns; j++)
            built[j] = TableColumn.FromStorage(specs[j].Name, specs[j].Type, specs[j].Role, values[j].ToArray(), levels[j]?.ToArray());
        int rows = columns == 0 ? 0 : values[0].Count;
        return new Table<Unsplit>(built, Table.OriginalRows(provenanceSource, rows));
    }

    private double ParseLevel(int index, ColumnSpec spec, MissingValues policy, List<string> levels, Dictionary<string, int> levelIndex)
    {
        var s = GetField(index);
        if (IsMissingText(s))
        {
            if (policy == MissingValues.NaN) return double.NaN;
            throw FieldError(index, spec.Name, "a level", TableMissingHint);
        }
        var lookup = levelIndex.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(s, out int code)) return code;
        if (spec.Levels is not null)
            throw FieldError(index, spec.Name, "one of the declared levels " + Table.Quote(spec.Levels));
        string level = s.ToString();
        levelIndex.Add(level, levels.Count);
        levels.Add(level);
        return levels.Count - 1;
    }

    private double ParseDate(int index, string columnName, MissingValues policy)
    {
        var s = GetField(index);
        if (IsMissingText(s))
        {
            if (policy == MissingValues.NaN) return double.NaN;
            throw FieldError(index, columnName, "a date", TableMissingHint);
        }
        if (TryParseIsoDate(s, out var date)
            || DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out date))
            return TableColumn.ToUnixSeconds(DateTime.SpecifyKind(date, DateTimeKind.Utc));
        throw FieldError(index, columnName, "a date (ISO 8601, e.g. 2024-03-15 or 2024-03-15T08:30:00Z)");
    }

    private CsvFormatException HeaderError(int index, string? name, string expected) => FieldError(index, name, expected);

    /// <summary>Every header name is non-empty and unlike those before it; the current record must be the header.</summary>
    private void CheckHeaderNames()
    {
        for (int i = 0; i < _header!.Length; i++)
        {
            string name = _header[i];
            int same = Array.IndexOf(_header, name, 0, i);
            if (same >= 0)
                throw HeaderError(i, name, $"a column name other than those before it (column {same + 1} has the same)");
            if (name.Length == 0) throw HeaderError(i, null, "a column name");
        }
    }
}
