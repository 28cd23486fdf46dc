using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace ModelGen.Data;

/// <summary>
/// The project's CSV reader: streams RFC 4180 records (quoted fields, <c>""</c> escapes, line breaks inside quotes,
/// CRLF or LF line ends, a byte-order mark, trailing blank lines) from a file — gzip-compressed files are decompressed
/// on the fly — or from a <see cref="TextReader"/>. Every problem is a <see cref="CsvFormatException"/> that names the
/// source, line and column; no row is ever skipped.
/// </summary>
/// <remarks>
/// Use <see cref="ReadNumeric(string, CsvOptions?)"/> for a table of numbers, or an instance to walk records one at a
/// time: <see cref="ReadRecord"/>, then <see cref="FieldCount"/>, <see cref="GetField"/> and <see cref="GetSingle"/>.
/// A blank line before the last record is a record with one empty field (so a numeric table reports it rather than
/// dropping it); blank lines after the last record are ignored. Numbers use the invariant culture ('.' decimal point).
/// </remarks>
public sealed partial class CsvReader : IDisposable
{
    /// <summary>The source name used for a <see cref="TextReader"/> when none is given.</summary>
    public const string StreamSourceName = "<stream>";

    private const int BufferSize = 1 << 16;
    private const NumberStyles NumberStyle = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;

    private readonly TextReader _reader;
    private readonly bool _leaveOpen;
    private readonly CsvOptions _options;
    private readonly SearchValues<char> _unquotedStops;
    private readonly SearchValues<char> _quotedStops = SearchValues.Create("\"\r\n");
    private readonly char[] _buffer = new char[BufferSize];
    private int _pos, _end;
    private bool _eof, _started, _disposed;
    private long _nextLine = 1;
    private int _pendingBlankLines;

    // The current record: all field texts back to back in _text, located by _starts/_lengths.
    private char[] _text = new char[1024];
    private int _textLength;
    private int[] _starts = new int[64], _lengths = new int[64];
    private long[] _fieldLines = new long[64];
    private int _fieldCount;
    private readonly string[]? _header;
    private readonly long _headerLine;

    /// <summary>Reads CSV from <paramref name="reader"/>; when the options say so, the header is read at once.</summary>
    /// <param name="reader">The text to read; a leading byte-order mark is skipped.</param>
    /// <param name="options">Delimiter, header, trimming and missing-value policy; <see cref="CsvOptions.Default"/> when null.</param>
    /// <param name="sourceName">The name errors give for this text; <c>&lt;stream&gt;</c> when null.</param>
    /// <param name="leaveOpen">Whether <see cref="Dispose"/> leaves <paramref name="reader"/> open.</param>
    /// <exception cref="CsvFormatException">The header is missing or malformed.</exception>
    public CsvReader(TextReader reader, CsvOptions? options = null, string? sourceName = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(reader);
        _options = options ?? CsvOptions.Default;
        _options.Validate();
        _reader = reader;
        _leaveOpen = leaveOpen;
        SourceName = sourceName ?? StreamSourceName;
        _unquotedStops = SearchValues.Create(new[] { _options.Delimiter, '"', '\r', '\n' });
        if (_options.HasHeader)
        {
            if (!ReadRecord())
                throw new CsvFormatException(CsvFormatException.Locate(SourceName, 1, 0, null) + ": expected a header line, found the end of the file",
                                             SourceName, 1, 0, null, null);
            _headerLine = LineNumber;
            _header = new string[_fieldCount];
            for (int i = 0; i < _fieldCount; i++) _header[i] = GetString(i);
        }
    }

    /// <summary>Opens the file at <paramref name="path"/>, decompressing it if it is gzip data (as <c>.gz</c> files are).</summary>
    /// <param name="path">The file; errors name it as given here.</param>
    /// <param name="options">Delimiter, header, trimming and missing-value policy; <see cref="CsvOptions.Default"/> when null.</param>
    /// <exception cref="CsvFormatException">The header is missing or malformed.</exception>
    public static CsvReader Open(string path, CsvOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var text = OpenText(path);
        try { return new CsvReader(text, options, path); }
        catch { text.Dispose(); throw; }
    }

    /// <summary>The name errors give for this source: the path as given, or <c>&lt;stream&gt;</c>.</summary>
    public string SourceName { get; }

    /// <summary>The column names from the header line, or <see langword="null"/> when <see cref="CsvOptions.HasHeader"/> is false.</summary>
    public IReadOnlyList<string>? Header => _header;

    /// <summary>1-based line on which the current record starts.</summary>
    public long LineNumber { get; private set; }

    /// <summary>Number of fields in the current record.</summary>
    public int FieldCount => _fieldCount;

    /// <summary>Reads a whole CSV file of numbers into a table.</summary>
    /// <param name="path">The file (gzip data is decompressed); errors name it as given here.</param>
    /// <param name="options">Delimiter, header, trimming and missing-value policy; <see cref="CsvOptions.Default"/> when null.</param>
    /// <exception cref="CsvFormatException">A field is not a number (or is missing, under <see cref="MissingValues.Error"/>), or a row's field count differs from the header's (or the first row's).</exception>
    public static NumericTable ReadNumeric(string path, CsvOptions? options = null)
    {
        using var csv = Open(path, options);
        return csv.ReadNumericRest();
    }

    /// <summary>Reads CSV text of numbers into a table.</summary>
    /// <param name="reader">The text; it is left open.</param>
    /// <param name="options">Delimiter, header, trimming and missing-value policy; <see cref="CsvOptions.Default"/> when null.</param>
    /// <param name="sourceName">The name errors give for this text; <c>&lt;stream&gt;</c> when null.</param>
    /// <exception cref="CsvFormatException">A field is not a number (or is missing, under <see cref="MissingValues.Error"/>), or a row's field count differs from the header's (or the first row's).</exception>
    public static NumericTable ReadNumeric(TextReader reader, CsvOptions? options = null, string? sourceName = null)
    {
        using var csv = new CsvReader(reader, options, sourceName, leaveOpen: true);
        return csv.ReadNumericRest();
    }

    /// <summary>Advances to the next record.</summary>
    /// <returns><see langword="false"/> at the end of the input (trailing blank lines included).</returns>
    /// <exception cref="CsvFormatException">A quote is misplaced or never closed.</exception>
    public bool ReadRecord()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _fieldCount = 0;
        _textLength = 0;
        if (_pendingBlankLines > 0)
        {
            _pendingBlankLines--;
            return BlankRecord();
        }
        if (!EnsureData()) return false;
        if (_buffer[_pos] is '\r' or '\n')
        {
            // Blank lines only count as records when data follows them: a trailing newline or two must not
            // become an empty row, but a blank line inside the data must not vanish either.
            int blanks = 0;
            while (EnsureData() && _buffer[_pos] is '\r' or '\n') { ConsumeLineBreak(); blanks++; }
            if (_eof) return false;
            // ConsumeLineBreak counted the lines already; the blank records hand them out one by one.
            _nextLine -= blanks;
            _pendingBlankLines = blanks - 1;
            return BlankRecord();
        }
        LineNumber = _nextLine;
        ParseRecord();
        return true;
    }

    /// <summary>The text of field <paramref name="index"/> of the current record, unquoted and (if the options say so) trimmed.</summary>
    public ReadOnlySpan<char> GetField(int index)
    {
        CheckIndex(index);
        return _text.AsSpan(_starts[index], _lengths[index]);
    }

    /// <summary>The text of field <paramref name="index"/> of the current record as a string.</summary>
    public string GetString(int index) => new(GetField(index));

    /// <summary>Field <paramref name="index"/> of the current record as a number, applying the missing-value policy.</summary>
    /// <exception cref="CsvFormatException">The field is not a finite number, or is missing under <see cref="MissingValues.Error"/>.</exception>
    public float GetSingle(int index) => ParseSingle(index, HeaderName(index));

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_leaveOpen) _reader.Dispose();
    }

    /// <param name="index">The field.</param>
    /// <param name="columnName">Its header name, or null.</param>
    /// <param name="wholeFile">The caller reads a whole file as numbers (ReadNumeric): a word suggests a category column and the reader that takes one.</param>
    internal float ParseSingle(int index, string? columnName, bool wholeFile = false)
    {
        var s = GetField(index);
        if (TryParseSmallInteger(s, out float small)) return small;
        bool parsed = float.TryParse(s, NumberStyle, CultureInfo.InvariantCulture, out float value);
        if (parsed && float.IsFinite(value)) return value;
        if (IsMissingText(s) || (parsed && float.IsNaN(value)))
        {
            if (_options.MissingValues == MissingValues.NaN) return float.NaN;
            throw FieldError(index, columnName, "a number", MissingValueHint);
        }
        // Infinity, written out or overflowing single precision, is never a usable feature value.
        if (parsed) throw FieldError(index, columnName, "a finite number (single precision reaches about ±3.4e38)");
        throw FieldError(index, columnName, "a number", wholeFile ? NumbersOnlyHint(columnName, s) : "");
    }

    /// <summary>
    /// A word where ReadNumeric expects a number is usually a category column: say which reader takes one (text with a digit
    /// in it reads as a mistyped number and gets no hint).
    /// </summary>
    private static string NumbersOnlyHint(string? columnName, ReadOnlySpan<char> text)
    {
        // Digits make a mistyped number; "N/A", "null" and the like are missing values, not categories.
        if (text.IndexOfAnyInRange('0', '9') >= 0 || !ContainsLetter(text) || IsMissingWord(text)) return "";
        return columnName is null
            ? "; ReadNumeric reads numbers only. If this column holds categories, read the file with CsvReader.ReadTable, which makes a column of words a category"
            : $"; ReadNumeric reads numbers only. If '{columnName}' holds categories, read the file with CsvReader.ReadTable, which makes a column of words a category, " +
              $"or declare it in a schema: new ColumnSpec(\"{columnName}\", ColumnType.Category)";
    }

    private static bool ContainsLetter(ReadOnlySpan<char> text)
    {
        foreach (char c in text) if (char.IsLetter(c)) return true;
        return false;
    }

    private static bool IsMissingWord(ReadOnlySpan<char> text) =>
        text.Equals("N/A", StringComparison.OrdinalIgnoreCase) || text.Equals("null", StringComparison.OrdinalIgnoreCase)
        || text.Equals("none", StringComparison.OrdinalIgnoreCase) || text.Equals("missing", StringComparison.OrdinalIgnoreCase);

    /// <summary>An empty field, <c>NA</c> or <c>NaN</c> (any letter case): the texts every reader takes for a missing value.</summary>
    internal static bool IsMissingText(ReadOnlySpan<char> s) =>
        s.IsEmpty || s.Equals("NA", StringComparison.OrdinalIgnoreCase) || s.Equals("NaN", StringComparison.OrdinalIgnoreCase);

    /// <summary>Appended to a missing-value error; loaders that take no <see cref="CsvOptions"/> clear it, as the advice would not apply.</summary>
    internal string MissingValueHint { get; set; } = "; set CsvOptions.MissingValues to MissingValues.NaN to read missing values as NaN";

    internal CsvFormatException FieldError(int index, string? columnName, string expected, string hint = "")
    {
        var found = GetField(index);
        string message = CsvFormatException.Locate(SourceName, _fieldLines[index], index + 1, columnName)
                         + ": expected " + expected + ", found " + CsvFormatException.Describe(found) + hint;
        return new CsvFormatException(message, SourceName, _fieldLines[index], index + 1, columnName, found.ToString());
    }

    /// <summary>
    /// A record with <see cref="FieldCount"/> fields where <paramref name="expected"/> were due: the message says how many
    /// and why (<paramref name="reference"/>, e.g. "the header has 4"), and names the first missing column (with its
    /// name from <paramref name="names"/>) or the first extra one (with its text), so a stray delimiter is easy to find.
    /// </summary>
    internal CsvFormatException FieldCountError(int expected, string reference, IReadOnlyList<string>? names)
    {
        var c = CultureInfo.InvariantCulture;
        string counted = string.Create(c, $"{SourceName}, line {LineNumber} has {_fieldCount} field{(_fieldCount == 1 ? "" : "s")}; {reference}");
        if (_fieldCount < expected)
        {
            string? name = names is not null && _fieldCount < names.Count ? names[_fieldCount] : null;
            string column = string.Create(c, $"column {_fieldCount + 1}") + (name is null ? "" : " ('" + name + "')");
            return new CsvFormatException(counted + "; " + column + " is missing", SourceName, LineNumber, _fieldCount + 1, name, null);
        }
        var extra = GetField(expected);
        return new CsvFormatException(counted + string.Create(c, $"; column {expected + 1} is extra (found {CsvFormatException.Describe(extra)})"),
                                      SourceName, _fieldLines[expected], expected + 1, null, extra.ToString());
    }

    internal CsvFormatException LineError(string problem, long line) =>
        new(SourceName + ", " + problem, SourceName, line, 0, null, null);

    internal string? HeaderName(int index) => _header is not null && index < _header.Length ? _header[index] : null;

    internal static TextReader OpenText(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
        try
        {
            // Sniff the gzip magic rather than trust the extension, so a renamed file still reads.
            Span<byte> magic = stackalloc byte[2];
            int got = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            file.Position = 0;
            Stream stream = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b ? new CheckedGzipStream(file) : file;
            return new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, BufferSize);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private NumericTable ReadNumericRest()
    {
        string[] names;
        int columns;
        long firstLine = 1;
        bool haveRow = false;
        if (_header is not null)
        {
            names = _header;
            columns = names.Length;
        }
        else
        {
            haveRow = ReadRecord();
            columns = haveRow ? _fieldCount : 0;
            firstLine = LineNumber;
            names = new string[columns];
            for (int i = 0; i < columns; i++) names[i] = "c" + i.ToString(CultureInfo.InvariantCulture);
        }
        var values = new float[Math.Max(columns, 1) * 256];
        int count = 0;
        while (haveRow || ReadRecord())
        {
            haveRow = false;
            if (_fieldCount != columns)
            {
                string reference = _header is not null
                    ? string.Create(CultureInfo.InvariantCulture, $"the header has {columns}")
                    : string.Create(CultureInfo.InvariantCulture, $"the first row (line {firstLine}) has {columns}");
                throw FieldCountError(columns, reference, _header);
            }
            if (count + columns > values.Length) Array.Resize(ref values, checked(values.Length * 2));
            for (int i = 0; i < columns; i++) values[count + i] = ParseSingle(i, _header?[i], wholeFile: true);
            count += columns;
        }
        return new NumericTable(names, values.AsSpan(0, count).ToArray());
    }

    /// <summary>Integers of up to 7 digits are exact in single precision, and most ML data (pixels, counts, labels) is such; parsing them directly is several times faster than float.TryParse.</summary>
    private static bool TryParseSmallInteger(ReadOnlySpan<char> s, out float value)
    {
        value = 0;
        int i = s.Length > 0 && s[0] == '-' ? 1 : 0;
        if (s.Length == i || s.Length - i > 7) return false;
        int n = 0;
        for (; i < s.Length; i++)
        {
            uint d = (uint)(s[i] - '0');
            if (d > 9) return false;
            n = n * 10 + (int)d;
        }
        value = s[0] == '-' ? -(float)n : n;
        return true;
    }

    private bool BlankRecord()
    {
        LineNumber = _nextLine++;
        AddField(0, LineNumber);
        return true;
    }

    private void ParseRecord()
    {
        char delimiter = _options.Delimiter;
        while (true)
        {
            ParseField();
            if (!EnsureData()) return;
            if (_buffer[_pos] == delimiter)
            {
                _pos++;
                // A delimiter at the very end still opens one last (empty) field.
                continue;
            }
            ConsumeLineBreak();
            return;
        }
    }

    private void ParseField()
    {
        int start = _textLength;
        long line = _nextLine;
        if (_options.Trim) SkipBlanks();
        if (EnsureData() && _buffer[_pos] == '"')
        {
            _pos++;
            ParseQuoted(line);
            if (_options.Trim) SkipBlanks();
            if (EnsureData() && _buffer[_pos] != _options.Delimiter && _buffer[_pos] is not ('\r' or '\n'))
            {
                AddField(start, line);
                string junk = _buffer[_pos].ToString();
                throw TokenError($"the delimiter '{_options.Delimiter}' or the end of the line after the closing quote", CsvFormatException.Describe(junk), junk);
            }
            AddField(start, line);
            return;
        }
        while (EnsureData())
        {
            var span = _buffer.AsSpan(_pos, _end - _pos);
            int stop = span.IndexOfAny(_unquotedStops);
            if (stop < 0)
            {
                Append(span);
                _pos = _end;
                continue;
            }
            Append(span[..stop]);
            _pos += stop;
            if (span[stop] == '"')
            {
                AddField(start, line);
                var before = _text.AsSpan(start, _textLength - start);
                throw TokenError("a double quote only around a whole field (quote the field and double the quotes inside it)",
                                 "'\"' after " + CsvFormatException.Describe(before), before.ToString() + "\"");
            }
            break;
        }
        if (_options.Trim)
            while (_textLength > start && IsBlank(_text[_textLength - 1])) _textLength--;
        AddField(start, line);
    }

    private void ParseQuoted(long openingLine)
    {
        while (true)
        {
            if (!EnsureData())
                throw new CsvFormatException(
                    CsvFormatException.Locate(SourceName, openingLine, _fieldCount + 1, HeaderName(_fieldCount))
                    + ": expected a closing quote for the field that opens here, found the end of the file",
                    SourceName, openingLine, _fieldCount + 1, HeaderName(_fieldCount), null);
            var span = _buffer.AsSpan(_pos, _end - _pos);
            int stop = span.IndexOfAny(_quotedStops);
            if (stop < 0)
            {
                Append(span);
                _pos = _end;
                continue;
            }
            Append(span[..stop]);
            _pos += stop;
            char c = _buffer[_pos];
            if (c == '"')
            {
                _pos++;
                if (EnsureData() && _buffer[_pos] == '"')
                {
                    Append("\"");
                    _pos++;
                    continue;
                }
                return;
            }
            // A line break inside quotes is data; keep it verbatim but count the line.
            _pos++;
            Append(c == '\r' ? "\r" : "\n");
            if (c == '\r' && EnsureData() && _buffer[_pos] == '\n')
            {
                Append("\n");
                _pos++;
            }
            _nextLine++;
        }
    }

    /// <summary>An error in the field just added: the text around a quote, where there is no field value to show yet.</summary>
    private CsvFormatException TokenError(string expected, string foundDescription, string found)
    {
        int column = _fieldCount;
        string? name = HeaderName(column - 1);
        long line = _fieldLines[column - 1];
        string message = CsvFormatException.Locate(SourceName, line, column, name) + ": expected " + expected + ", found " + foundDescription;
        return new CsvFormatException(message, SourceName, line, column, name, found);
    }

    private void SkipBlanks()
    {
        while (EnsureData() && IsBlank(_buffer[_pos])) _pos++;
    }

    private bool IsBlank(char c) => (c == ' ' || c == '\t') && c != _options.Delimiter;

    /// <summary>Consumes one LF, CRLF or lone CR at the current position.</summary>
    private void ConsumeLineBreak()
    {
        char c = _buffer[_pos++];
        if (c == '\r' && EnsureData() && _buffer[_pos] == '\n') _pos++;
        _nextLine++;
    }

    private bool EnsureData()
    {
        if (_pos < _end) return true;
        if (_eof) return false;
        try
        {
            _end = _reader.Read(_buffer, 0, _buffer.Length);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{SourceName}: the gzip data is damaged or truncated: {e.Message}", e);
        }
        _pos = 0;
        if (!_started)
        {
            _started = true;
            // StreamReader drops a BOM itself, but a TextReader over a string or another decoder may not.
            if (_end > 0 && _buffer[0] == '\uFEFF') _pos = 1;
        }
        if (_pos < _end) return true;
        if (_end == 0)
        {
            _eof = true;
            return false;
        }
        return EnsureData();
    }

    private void Append(ReadOnlySpan<char> chars)
    {
        if (_textLength + chars.Length > _text.Length)
            Array.Resize(ref _text, Math.Max(_text.Length * 2, _textLength + chars.Length));
        chars.CopyTo(_text.AsSpan(_textLength));
        _textLength += chars.Length;
    }

    private void AddField(int start, long line)
    {
        if (_fieldCount == _starts.Length)
        {
            Array.Resize(ref _starts, _starts.Length * 2);
            Array.Resize(ref _lengths, _lengths.Length * 2);
            Array.Resize(ref _fieldLines, _fieldLines.Length * 2);
        }
        _starts[_fieldCount] = start;
        _lengths[_fieldCount] = _textLength - start;
        _fieldLines[_fieldCount] = line;
        _fieldCount++;
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)_fieldCount)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The current record (line {LineNumber}) has {_fieldCount} fields.");
    }
}
