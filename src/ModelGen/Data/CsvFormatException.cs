using System;
using System.Globalization;
using System.Text;

namespace ModelGen.Data;

/// <summary>
/// A CSV file does not have the form the reader expects. The message names the file (or <c>&lt;stream&gt;</c>),
/// the 1-based line and column, the column name when the header gives one, what was expected and the text found,
/// e.g. <c>digits.csv, line 17, column 65 ('label'): expected a number, found 'x7'</c>.
/// </summary>
public sealed class CsvFormatException : FormatException
{
    private const int MaxShownLength = 40;

    /// <summary>Creates the error for one field: "<c>source, line L, column C ('name'): expected …, found '…'</c>".</summary>
    /// <param name="sourceName">The file path, or <c>&lt;stream&gt;</c>.</param>
    /// <param name="lineNumber">1-based line on which the field starts.</param>
    /// <param name="columnNumber">1-based field index within the record.</param>
    /// <param name="columnName">The column's header name, or <see langword="null"/> when there is none.</param>
    /// <param name="expected">What should have been there, e.g. "a number".</param>
    /// <param name="found">The field's text as read (after unquoting and trimming).</param>
    public CsvFormatException(string sourceName, long lineNumber, int columnNumber, string? columnName, string expected, string found)
        : this(Locate(sourceName, lineNumber, columnNumber, columnName) + ": expected " + expected + ", found " + Describe(found),
               sourceName, lineNumber, columnNumber, columnName, found)
    {
    }

    internal CsvFormatException(string message, string sourceName, long lineNumber, int columnNumber, string? columnName, string? found)
        : base(message)
    {
        SourceName = sourceName;
        LineNumber = lineNumber;
        ColumnNumber = columnNumber;
        ColumnName = columnName;
        Found = found;
    }

    /// <summary>The file path as given to the reader, or <c>&lt;stream&gt;</c> for a <see cref="System.IO.TextReader"/>.</summary>
    public string SourceName { get; }

    /// <summary>1-based line of the problem.</summary>
    public long LineNumber { get; }

    /// <summary>1-based column (field index) of the problem; 0 when it concerns the whole line, such as a wrong field count.</summary>
    public int ColumnNumber { get; }

    /// <summary>The column's name from the header, when known.</summary>
    public string? ColumnName { get; }

    /// <summary>The offending text, when the problem is one field's content.</summary>
    public string? Found { get; }

    /// <summary>"<c>source, line L, column C ('name')</c>", the prefix every field-level message starts with.</summary>
    internal static string Locate(string sourceName, long lineNumber, int columnNumber, string? columnName)
    {
        var c = CultureInfo.InvariantCulture;
        string at = columnNumber > 0
            ? string.Create(c, $"{sourceName}, line {lineNumber}, column {columnNumber}")
            : string.Create(c, $"{sourceName}, line {lineNumber}");
        return columnName is null ? at : at + " ('" + columnName + "')";
    }

    /// <summary>Shows found text so that an empty field, blanks and line breaks inside quotes are visible and a huge field stays readable.</summary>
    internal static string Describe(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty) return "an empty field";
        var sb = new StringBuilder(Math.Min(text.Length, MaxShownLength) + 8).Append('\'');
        foreach (char ch in text.Length > MaxShownLength ? text[..MaxShownLength] : text)
        {
            switch (ch)
            {
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default: sb.Append(ch); break;
            }
        }
        if (text.Length > MaxShownLength) sb.Append('…');
        return sb.Append('\'').ToString();
    }
}
