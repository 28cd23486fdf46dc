using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.Json;
using ModelGen.Data;

namespace Serving;

/// <summary>Why a request body was refused: <see cref="Exception.Message"/> names the field (row index and column) and what was expected.</summary>
public sealed class BadRequestException(string message) : Exception(message);

/// <summary>
/// Reads the body of <c>POST /predict</c> into a table of raw rows. The body is <c>{"rows": [row, …]}</c>; a row is
/// an array of values in the order of the input columns, or an object mapping each input column's name to its value.
/// A number column takes a finite JSON number, a category column a string, a date column an ISO 8601 string; null is
/// a missing value (which the model's imputer fills). Written on <see cref="Utf8JsonReader"/>: no reflection.
/// </summary>
public static class PredictionRequest
{
    /// <summary>The body's shape, as error messages show it.</summary>
    public const string Shape = "{\"rows\": [[value, …], …]} or {\"rows\": [{\"column\": value, …}, …]}";

    /// <summary>Reads <paramref name="body"/> into a table with one column per input, in order.</summary>
    /// <param name="body">The request body, UTF-8 JSON.</param>
    /// <param name="inputs">The raw columns every row must have.</param>
    /// <param name="maxRows">The most rows one request may hold.</param>
    /// <exception cref="BadRequestException">The body is empty, not JSON, not of the shape above, has too many rows, or a row has the wrong number of values or a value of the wrong type.</exception>
    public static Table<Unsplit> Read(ReadOnlySpan<byte> body, IReadOnlyList<ColumnSpec> inputs, int maxRows)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (body.Trim(" \t\r\n"u8).IsEmpty) throw new BadRequestException($"body: the request body is empty; expected {Shape}.");
        var rows = new Rows(inputs);
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 8 });
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject) throw new BadRequestException($"body: expected {Shape}, found {Describe(ref reader)}.");
            bool sawRows = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = reader.GetString()!;
                reader.Read();
                if (name != "rows") throw new BadRequestException($"body: unknown field '{Cut(name)}'; the body has one field, \"rows\".");
                if (sawRows) throw new BadRequestException("rows: the field appears twice.");
                sawRows = true;
                ReadRows(ref reader, rows, maxRows);
            }
            if (!sawRows) throw new BadRequestException($"rows: no such field; expected {Shape}.");
            if (reader.Read()) throw new BadRequestException("body: more text after the JSON object.");
        }
        catch (JsonException e)
        {
            throw new BadRequestException("body: not well-formed JSON: " + e.Message);
        }
        return rows.ToTable();
    }

    private static void ReadRows(ref Utf8JsonReader reader, Rows rows, int maxRows)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw new BadRequestException($"rows: expected an array of rows, found {Describe(ref reader)}.");
        int row = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (row == maxRows) throw new BadRequestException($"rows: more than {maxRows} rows; send at most {maxRows} per request.");
            if (reader.TokenType == JsonTokenType.StartArray) ReadArrayRow(ref reader, rows, row);
            else if (reader.TokenType == JsonTokenType.StartObject) ReadObjectRow(ref reader, rows, row);
            else throw new BadRequestException($"rows[{row}]: expected an array of {rows.Width} values or an object of named values, found {Describe(ref reader)}.");
            row++;
        }
        if (row == 0) throw new BadRequestException($"rows: the array is empty; send at least one row of {rows.Width} values.");
    }

    private static void ReadArrayRow(ref Utf8JsonReader reader, Rows rows, int row)
    {
        rows.AddRow();
        int count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (count < rows.Width) rows.Set(count, ref reader, $"rows[{row}][{count}] ('{Cut(rows.Inputs[count].Name)}')");
            else reader.Skip();
            count++;
        }
        if (count != rows.Width)
            throw new BadRequestException($"rows[{row}]: expected {rows.Width} values (one per input column, in the order GET /health lists), found {count}.");
    }

    private static void ReadObjectRow(ref Utf8JsonReader reader, Rows rows, int row)
    {
        rows.AddRow();
        var seen = new bool[rows.Width];
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name = reader.GetString()!;
            reader.Read();
            int column = rows.IndexOf(name);
            if (column < 0) throw new BadRequestException($"rows[{row}]['{Cut(name)}']: not an input column; the inputs are {rows.ListInputs()}.");
            if (seen[column]) throw new BadRequestException($"rows[{row}]['{Cut(name)}']: the column appears twice.");
            seen[column] = true;
            rows.Set(column, ref reader, $"rows[{row}]['{Cut(name)}']");
        }
        int missing = Array.IndexOf(seen, false);
        if (missing >= 0)
        {
            int count = seen.Count(s => !s);
            throw new BadRequestException($"rows[{row}]: no value for '{Cut(rows.Inputs[missing].Name)}'{(count > 1 ? $" and {count - 1} other input column(s)" : "")}; every input column needs a value (null for missing).");
        }
    }

    private static string Describe(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => $"the string \"{Cut(reader.GetString()!)}\"",
        JsonTokenType.Number => "the number " + Cut(Encoding.UTF8.GetString(reader.ValueSpan)),
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        _ => reader.TokenType.ToString(),
    };

    /// <summary>Echoed text is cut so that a huge value cannot make a huge error message.</summary>
    private static string Cut(string text) => text.Length <= 60 ? text : text[..60] + "…";

    /// <summary>The values of the rows read so far, one list per input column.</summary>
    private sealed class Rows
    {
        private readonly List<double>[] _numbers;
        private readonly List<string?>[] _levels;
        private readonly List<DateTime?>[] _dates;
        private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

        public Rows(IReadOnlyList<ColumnSpec> inputs)
        {
            Inputs = inputs;
            _numbers = new List<double>[inputs.Count];
            _levels = new List<string?>[inputs.Count];
            _dates = new List<DateTime?>[inputs.Count];
            for (int c = 0; c < inputs.Count; c++)
            {
                _index[inputs[c].Name] = c;
                switch (inputs[c].Type)
                {
                    case ColumnType.Category: _levels[c] = new(); break;
                    case ColumnType.Date: _dates[c] = new(); break;
                    default: _numbers[c] = new(); break;
                }
            }
        }

        public IReadOnlyList<ColumnSpec> Inputs { get; }

        public int Width => Inputs.Count;

        public int IndexOf(string name) => _index.TryGetValue(name, out int c) ? c : -1;

        public string ListInputs()
        {
            var names = Inputs.Take(5).Select(i => $"'{i.Name}'");
            return string.Join(", ", names) + (Inputs.Count > 5 ? $", … ({Inputs.Count} in all; GET /health lists them)" : "");
        }

        /// <summary>Starts a row with every value missing; <see cref="Set"/> fills it.</summary>
        public void AddRow()
        {
            for (int c = 0; c < Width; c++)
            {
                _numbers[c]?.Add(double.NaN);
                _levels[c]?.Add(null);
                _dates[c]?.Add(null);
            }
        }

        public void Set(int column, ref Utf8JsonReader reader, string field)
        {
            if (reader.TokenType == JsonTokenType.Null) return;   // missing
            var type = Inputs[column].Type;
            if (type == ColumnType.Number)
            {
                if (reader.TokenType != JsonTokenType.Number)
                    throw new BadRequestException($"{field}: expected a number, found {Describe(ref reader)}.");
                // An out-of-range literal such as 1e400 is not a value the model can take.
                if (!reader.TryGetDouble(out double value) || !double.IsFinite(value))
                    throw new BadRequestException($"{field}: expected a finite number, found {Describe(ref reader)}.");
                _numbers[column][^1] = value;
            }
            else if (reader.TokenType != JsonTokenType.String)
            {
                string expected = type == ColumnType.Category ? "a category (a string)" : "a date (an ISO 8601 string)";
                throw new BadRequestException($"{field}: expected {expected}, found {Describe(ref reader)}.");
            }
            else if (type == ColumnType.Category)
            {
                _levels[column][^1] = reader.GetString();
            }
            else
            {
                string text = reader.GetString()!;
                if (!DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var date))
                    throw new BadRequestException($"{field}: expected a date (an ISO 8601 string), found the string \"{Cut(text)}\".");
                _dates[column][^1] = date;
            }
        }

        public Table<Unsplit> ToTable()
        {
            var columns = new TableColumn[Width];
            for (int c = 0; c < Width; c++)
            {
                var spec = Inputs[c];
                columns[c] = spec.Type switch
                {
                    ColumnType.Category => TableColumn.Categories(spec.Name, _levels[c], spec.Role),
                    ColumnType.Date => TableColumn.Dates(spec.Name, _dates[c], spec.Role),
                    _ => TableColumn.Numbers(spec.Name, _numbers[c].ToArray(), spec.Role),
                };
            }
            return Table.Create("rows", columns);   // so that the preprocessing's messages name a row as rows[i], as the request does
        }
    }
}
