using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace ModelGen.Data;

public sealed partial class CsvReader
{
    /// <summary>The ISO 8601 forms a column must hold, in every non-missing cell, to be inferred as a date.</summary>
    private static readonly string[] IsoDateFormats =
    [
        "yyyy-MM-dd",
        "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mmK",
        "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mmK",
        "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ssK",
        "yyyy-MM-dd HH:mm:ss.FFFFFFF", "yyyy-MM-dd HH:mm:ss.FFFFFFFK",
    ];

    /// <summary>
    /// Reads a headed CSV file into a typed <see cref="Table{TRole}"/> of role <see cref="Unsplit"/> whose column types are
    /// inferred by <see cref="InferSchema(string, CsvOptions?, TableSchema?)"/> (number, category or date; every column a
    /// feature, missing cells kept as missing). Mark the label, timestamp or group key afterwards with
    /// <see cref="Table{TRole}.WithRole(string, ColumnRole)"/>. The file is read twice: once to infer, once to load.
    /// </summary>
    /// <param name="path">The file (gzip data is decompressed); errors name it as given here.</param>
    /// <param name="options">Delimiter and trimming; the file must have a header line. <see cref="CsvOptions.MissingValues"/> does not apply: missing cells are always kept as missing.</param>
    /// <param name="sourceName">The source name of the rows' provenance; <paramref name="path"/> when null.</param>
    /// <exception cref="CsvFormatException">The header is missing, empty or repeats a name, or a row's field count differs from the header's (the message names the line and the first missing or extra column).</exception>
    public static Table<Unsplit> ReadTable(string path, CsvOptions? options = null, string? sourceName = null) =>
        ReadTable(path, InferSchema(path, options).Schema, options, sourceName);

    /// <summary>Reads headed CSV text into a typed table with inferred column types; see <see cref="ReadTable(string, CsvOptions?, string?)"/>. The text is held in memory to be read twice.</summary>
    /// <param name="reader">The text; it is read to the end and left open.</param>
    /// <param name="options">Delimiter and trimming; the text must have a header line.</param>
    /// <param name="sourceName">The name errors and the rows' provenance give this text; <c>&lt;stream&gt;</c> when null.</param>
    /// <exception cref="CsvFormatException">As for <see cref="ReadTable(string, CsvOptions?, string?)"/>.</exception>
    public static Table<Unsplit> ReadTable(TextReader reader, CsvOptions? options = null, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        string text = reader.ReadToEnd();
        var schema = InferSchema(new StringReader(text), options, sourceName).Schema;
        return ReadTable(new StringReader(text), schema, options, sourceName);
    }

    /// <summary>
    /// Reads a headed CSV file once and infers each column's type, counting the missing cells; the result prints as a
    /// report and its <see cref="InferredSchema.Schema"/> reads the file with
    /// <see cref="ReadTable(string, TableSchema, CsvOptions?, string?)"/>.
    /// </summary>
    /// <remarks>
    /// <para>Missing: an empty cell, <c>NA</c> or <c>NaN</c> (any letter case), after unquoting and trimming — the texts every
    /// reader of this library takes for missing. Other markers (<c>N/A</c>, <c>?</c>, <c>null</c>) are ordinary text and make a
    /// column a category; the report shows the first such text so it can be recognised.</para>
    /// <para>A column is a <see cref="ColumnType.Number"/> when every non-missing cell parses as a finite number in the
    /// invariant culture (optional sign, '.' decimal point, optional exponent; no thousands separators); quoted numbers
    /// count, as quotes only delimit the text. Otherwise it is a <see cref="ColumnType.Date"/> when every non-missing cell is
    /// an ISO 8601 date or date-time (<c>2024-03-15</c>, <c>2024-03-15T08:30</c>, <c>2024-03-15 08:30:00</c>, with optional
    /// fraction of a second and <c>Z</c> or an offset; times without an offset are UTC). Otherwise it is a
    /// <see cref="ColumnType.Category"/> whose levels are its distinct texts in order of appearance. A column with no value
    /// at all (or a file with no data row) is a number column.</para>
    /// <para>Every inferred column is a <see cref="ColumnRole.Feature"/> whose missing cells are read as missing
    /// (<see cref="MissingValues.NaN"/>); columns <paramref name="known"/> declares are read as declared.</para>
    /// </remarks>
    /// <param name="path">The file (gzip data is decompressed); errors name it as given here.</param>
    /// <param name="options">Delimiter and trimming; <see cref="CsvOptions.HasHeader"/> must be true.</param>
    /// <param name="known">Columns whose type, role, levels or missing-value policy are declared rather than inferred; null when none are.</param>
    /// <exception cref="CsvFormatException">The header is missing, empty or repeats a name, or a row's field count differs from the header's.</exception>
    /// <exception cref="ArgumentException">The options say the file has no header line, or <paramref name="known"/> declares a column the header lacks.</exception>
    public static InferredSchema InferSchema(string path, CsvOptions? options = null, TableSchema? known = null)
    {
        RequireHeader(options);
        using var csv = Open(path, options);
        return csv.InferRest(known);
    }

    /// <summary>Infers the column types of headed CSV text; see <see cref="InferSchema(string, CsvOptions?, TableSchema?)"/>.</summary>
    /// <param name="reader">The text; it is read to the end and left open.</param>
    /// <param name="options">Delimiter and trimming; <see cref="CsvOptions.HasHeader"/> must be true.</param>
    /// <param name="sourceName">The name errors give this text; <c>&lt;stream&gt;</c> when null.</param>
    /// <param name="known">Columns declared rather than inferred; null when none are.</param>
    /// <exception cref="CsvFormatException">As for <see cref="InferSchema(string, CsvOptions?, TableSchema?)"/>.</exception>
    /// <exception cref="ArgumentException">As for <see cref="InferSchema(string, CsvOptions?, TableSchema?)"/>.</exception>
    public static InferredSchema InferSchema(TextReader reader, CsvOptions? options = null, string? sourceName = null, TableSchema? known = null)
    {
        RequireHeader(options);
        using var csv = new CsvReader(reader, options, sourceName, leaveOpen: true);
        return csv.InferRest(known);
    }

    /// <summary>An ISO 8601 date or date-time of <see cref="IsoDateFormats"/>, as UTC (no offset means UTC).</summary>
    internal static bool TryParseIsoDate(ReadOnlySpan<char> s, out DateTime utc) =>
        DateTime.TryParseExact(s, IsoDateFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out utc);

    /// <summary>Whether a cell reads as a number column's value: the test <see cref="ParseDouble"/> applies.</summary>
    internal static bool IsNumber(ReadOnlySpan<char> s, out double value) =>
        double.TryParse(s, NumberStyle, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    private static void RequireHeader(CsvOptions? options)
    {
        if (options is { HasHeader: false })
            throw new ArgumentException("Column types are inferred for files with a header line; for a file without one, declare every column in a TableSchema and use CsvReader.ReadTable(path, schema).", nameof(options));
    }

    private InferredSchema InferRest(TableSchema? known)
    {
        CheckHeaderNames();
        var names = _header!;
        if (known is not null)
        {
            var absent = known.Columns.Where(c => Array.IndexOf(names, c.Name) < 0).Select(c => c.Name).ToArray();
            if (absent.Length > 0)
                throw new ArgumentException($"{SourceName}: the header has no column {Table.Quote(absent)}, which the known columns declare; the header's columns are {Table.Quote(names)}.", nameof(known));
        }
        var columns = new ColumnEvidence[names.Length];
        for (int j = 0; j < columns.Length; j++) columns[j] = new ColumnEvidence(known?.Find(names[j]));
        string reference = string.Create(CultureInfo.InvariantCulture, $"the header (line {_headerLine}) has {names.Length}");
        int rows = 0;
        while (ReadRecord())
        {
            if (_fieldCount != names.Length) throw FieldCountError(names.Length, reference, names);
            for (int j = 0; j < columns.Length; j++) columns[j].Add(GetField(j), rows, _fieldLines[j]);
            rows++;
        }
        var inferred = new InferredColumn[names.Length];
        for (int j = 0; j < inferred.Length; j++) inferred[j] = columns[j].Conclude(names[j]);
        return new InferredSchema(SourceName, rows, inferred);
    }

    /// <summary>What one column's cells show, gathered in one pass: which types every cell so far fits, and what is missing.</summary>
    private sealed class ColumnEvidence(ColumnSpec? declared)
    {
        private const int ShownMissing = 5, CountedLevels = 1000;
        private bool _allNumbers = true, _allDates = true;
        private int _values, _numbers, _missing;
        private double _min = double.PositiveInfinity, _max = double.NegativeInfinity;
        private DateTime _firstDate = DateTime.MaxValue, _lastDate = DateTime.MinValue;
        private string? _notNumber, _notDate;
        private long _notNumberLine, _notDateLine;
        private readonly List<int> _missingRows = [];
        private readonly List<long> _missingLines = [];
        private readonly List<string> _levels = [];
        private readonly HashSet<string> _levelSet = new(StringComparer.Ordinal);

        public void Add(ReadOnlySpan<char> cell, int row, long line)
        {
            if (IsMissingText(cell))
            {
                _missing++;
                if (_missingRows.Count < ShownMissing)
                {
                    _missingRows.Add(row);
                    _missingLines.Add(line);
                }
                return;
            }
            _values++;
            if (_levelSet.Count < CountedLevels)
            {
                var lookup = _levelSet.GetAlternateLookup<ReadOnlySpan<char>>();
                if (!lookup.Contains(cell))
                {
                    string level = cell.ToString();
                    _levelSet.Add(level);
                    _levels.Add(level);
                }
            }
            if (IsNumber(cell, out double number))
            {
                _numbers++;
                _min = Math.Min(_min, number);
                _max = Math.Max(_max, number);
            }
            else if (_allNumbers)
            {
                _allNumbers = false;
                _notNumber = cell.ToString();
                _notNumberLine = line;
            }
            if (!_allDates) return;
            if (TryParseIsoDate(cell, out var date))
            {
                if (date < _firstDate) _firstDate = date;
                if (date > _lastDate) _lastDate = date;
            }
            else
            {
                _allDates = false;
                _notDate = cell.ToString();
                _notDateLine = line;
            }
        }

        public InferredColumn Conclude(string name)
        {
            var c = CultureInfo.InvariantCulture;
            ColumnSpec spec;
            string note;
            if (declared is not null)
            {
                spec = declared;
                note = "declared";
            }
            else if (_values == 0)
            {
                spec = new ColumnSpec(name, ColumnType.Number);
                note = "no values; read as numbers";
            }
            else if (_allNumbers)
            {
                spec = new ColumnSpec(name, ColumnType.Number);
                note = _min == _max ? "constant " + _min.ToString("R", c) : _min.ToString("R", c) + " … " + _max.ToString("R", c);
            }
            else if (_allDates)
            {
                spec = new ColumnSpec(name, ColumnType.Date);
                note = TableColumn.FormatDate(TableColumn.ToUnixSeconds(_firstDate)) + " … " + TableColumn.FormatDate(TableColumn.ToUnixSeconds(_lastDate));
            }
            else
            {
                spec = new ColumnSpec(name, ColumnType.Category);
                string levels = _levelSet.Count >= CountedLevels
                    ? string.Create(c, $"{CountedLevels} levels or more")
                    : string.Create(c, $"{_levels.Count} level{(_levels.Count == 1 ? "" : "s")}: ") + ShowLevels();
                note = _numbers > 0
                    ? string.Create(c, $"mixed: {_numbers} of {_values} values are numbers, but not {CsvFormatException.Describe(_notNumber)} (line {_notNumberLine}); {levels}")
                    : levels;
            }
            if (declared is null) spec = spec with { MissingValues = MissingValues.NaN };
            return new InferredColumn(spec, declared is not null, _values, _missing, _missingRows.ToArray(), _missingLines.ToArray(), note);
        }

        /// <summary>The first levels, quoted with line breaks shown as \n so that the report keeps one line per column.</summary>
        private string ShowLevels()
        {
            const int Shown = 12;
            string shown = string.Join(", ", _levels.Take(Shown).Select(l => CsvFormatException.Describe(l)));
            return _levels.Count <= Shown ? shown : shown + string.Create(CultureInfo.InvariantCulture, $" and {_levels.Count - Shown} more");
        }
    }
}

/// <summary>
/// One column as <see cref="CsvReader.InferSchema(string, CsvOptions?, TableSchema?)"/> found it: the spec it is read
/// with, and its missing cells.
/// </summary>
/// <param name="Spec">How the column is read: name, inferred (or declared) type, role and missing-value policy.</param>
/// <param name="Declared">Whether the spec was declared rather than inferred.</param>
/// <param name="Values">Cells with a value.</param>
/// <param name="Missing">Missing cells: empty, <c>NA</c> or <c>NaN</c>.</param>
/// <param name="FirstMissingRows">The first (up to 5) missing cells' rows, 0-based data rows as the rows' provenance numbers them.</param>
/// <param name="FirstMissingLines">The 1-based file lines of the same cells.</param>
/// <param name="Note">What the report says about the values: the range of numbers or dates, a category's levels, or why a column that looks numeric is not.</param>
public sealed record InferredColumn(ColumnSpec Spec, bool Declared, int Values, int Missing, IReadOnlyList<int> FirstMissingRows,
                                    IReadOnlyList<long> FirstMissingLines, string Note)
{
    /// <summary>The column's name.</summary>
    public string Name => Spec.Name;

    /// <summary>The column's type.</summary>
    public ColumnType Type => Spec.Type;
}

/// <summary>
/// What <see cref="CsvReader.InferSchema(string, CsvOptions?, TableSchema?)"/> found in a headed CSV file: each column's
/// type and missing cells. <see cref="ToString"/> is the printed report; <see cref="Schema"/> reads the file.
/// </summary>
public sealed class InferredSchema
{
    private readonly InferredColumn[] _columns;

    internal InferredSchema(string sourceName, int rows, InferredColumn[] columns)
    {
        SourceName = sourceName;
        Rows = rows;
        _columns = columns;
        Schema = new TableSchema(columns.Select(c => c.Spec).ToArray()) { OtherColumns = null };
    }

    /// <summary>The file path as given, or <c>&lt;stream&gt;</c>.</summary>
    public string SourceName { get; }

    /// <summary>Data rows (lines after the header; a line break inside quotes does not start a row).</summary>
    public int Rows { get; }

    /// <summary>The columns, in file order.</summary>
    public IReadOnlyList<InferredColumn> Columns => _columns;

    /// <summary>The schema that reads the file as inferred: pass it to <see cref="CsvReader.ReadTable(string, TableSchema, CsvOptions?, string?)"/>.</summary>
    public TableSchema Schema { get; }

    /// <summary>The column named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No column has that name.</exception>
    public InferredColumn this[string name] =>
        _columns.FirstOrDefault(c => c.Name == name)
        ?? throw new ArgumentException($"{SourceName} has no column '{name}'; its columns are {Table.Quote(_columns.Select(c => c.Name).ToArray())}.", nameof(name));

    /// <summary>
    /// The report: a line per column with its type, the number of missing cells and where the first ones are (data rows as
    /// the provenance numbers them, and file lines), and the values' range or levels.
    /// </summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        int missingTotal = _columns.Sum(col => col.Missing);
        string[][] cells =
        [
            ["column", "type", "missing", "first missing", "values"],
            .. _columns.Select(col => new[]
            {
                col.Name,
                col.Type.ToString().ToLowerInvariant() + (col.Declared ? " (declared)" : ""),
                col.Missing.ToString(c),
                col.Missing == 0 ? "" : Where(col),
                col.Note,
            }),
        ];
        var widths = Enumerable.Range(0, 4).Select(j => cells.Max(line => line[j].Length)).ToArray();
        var sb = new System.Text.StringBuilder();
        sb.Append(c, $"{SourceName}: {Rows} row{(Rows == 1 ? "" : "s")}, {_columns.Length} column{(_columns.Length == 1 ? "" : "s")}, ")
          .Append(missingTotal == 0 ? "no missing cells" : string.Create(c, $"{missingTotal} missing cell{(missingTotal == 1 ? "" : "s")}"))
          .AppendLine(" (missing = empty, NA or NaN)");
        foreach (var line in cells)
        {
            for (int j = 0; j < 4; j++) sb.Append(j == 2 ? line[j].PadLeft(widths[j]) : line[j].PadRight(widths[j])).Append("  ");
            sb.Append(line[4]);
            // Trailing blanks of an empty last cell would make the report awkward to compare and to read in a diff.
            while (sb.Length > 0 && sb[^1] == ' ') sb.Length--;
            sb.AppendLine();
        }
        return sb.ToString();
    }

    private static string Where(InferredColumn col)
    {
        var c = CultureInfo.InvariantCulture;
        string rows = string.Join(", ", col.FirstMissingRows.Select(r => r.ToString(c)));
        string lines = string.Join(", ", col.FirstMissingLines.Select(l => l.ToString(c)));
        string more = col.Missing > col.FirstMissingRows.Count ? ", …" : "";
        return (col.FirstMissingRows.Count == 1 ? "row " : "rows ") + rows + more + (col.FirstMissingLines.Count == 1 ? " (line " : " (lines ") + lines + more + ")";
    }
}
