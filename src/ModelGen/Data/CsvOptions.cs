using System;

namespace ModelGen.Data;

/// <summary>What the numeric readers do with a field that holds no value.</summary>
public enum MissingValues
{
    /// <summary>An empty field, <c>NA</c> or <c>NaN</c> is a <see cref="CsvFormatException"/> naming the line and column.</summary>
    Error = 0,

    /// <summary>An empty field, <c>NA</c> or <c>NaN</c> (any letter case) is read as <see cref="float.NaN"/>.</summary>
    NaN = 1,
}

/// <summary>How <see cref="CsvReader"/> splits and interprets a file. The defaults read RFC 4180 comma-separated files with a header line.</summary>
public sealed record CsvOptions
{
    /// <summary>The defaults: comma-separated, a header line, trimmed fields, missing values are errors.</summary>
    public static CsvOptions Default { get; } = new();

    /// <summary>The character between fields; <c>','</c> unless set. It cannot be a double quote or a line break.</summary>
    public char Delimiter { get; init; } = ',';

    /// <summary>Whether the first record holds the column names rather than data; <see langword="true"/> unless set.</summary>
    public bool HasHeader { get; init; } = true;

    /// <summary>
    /// Whether spaces and tabs around a field (outside its quotes, if quoted) are dropped; <see langword="true"/> unless set.
    /// When <see langword="false"/>, a number with surrounding blanks is an error rather than a number.
    /// </summary>
    public bool Trim { get; init; } = true;

    /// <summary>What numeric reading does with an empty field, <c>NA</c> or <c>NaN</c>; <see cref="MissingValues.Error"/> unless set.</summary>
    public MissingValues MissingValues { get; init; } = MissingValues.Error;

    internal void Validate()
    {
        if (Delimiter is '"' or '\r' or '\n')
            throw new ArgumentException($"The delimiter cannot be {(Delimiter == '"' ? "a double quote" : "a line break")}; it would be ambiguous with CSV quoting and records.", nameof(Delimiter));
        if (!Enum.IsDefined(MissingValues))
            throw new ArgumentOutOfRangeException(nameof(MissingValues), MissingValues, "Unknown missing-values policy.");
    }
}
