using System;
using System.Collections.Generic;
using System.Linq;

namespace ModelGen.Data;

/// <summary>One column as a <see cref="TableSchema"/> declares it: its name, how it is read, and its role.</summary>
/// <param name="Name">The column's name: matched exactly against the header, or given to the column of a file without one.</param>
/// <param name="Type">How the text is read; <see cref="ColumnType.Number"/> unless set.</param>
/// <param name="Role">What the column is to a model; <see cref="ColumnRole.Feature"/> unless set.</param>
public sealed record ColumnSpec(string Name, ColumnType Type = ColumnType.Number, ColumnRole Role = ColumnRole.Feature)
{
    /// <summary>The missing-value policy of this column, overriding <see cref="CsvOptions.MissingValues"/> when set.</summary>
    public MissingValues? MissingValues { get; init; }

    /// <summary>
    /// For a <see cref="ColumnType.Category"/> column, the only levels allowed, in the order their indices follow; any other
    /// text is an error naming the line and column. When null, the levels are those met in the file, in order of appearance.
    /// </summary>
    public IReadOnlyList<string>? Levels { get; init; }
}

/// <summary>
/// The columns <see cref="CsvReader.ReadTable(string, TableSchema, CsvOptions?, string?)"/> reads: their names, types and
/// roles (<see cref="ColumnRole.Label"/>, <see cref="ColumnRole.Timestamp"/>, <see cref="ColumnRole.GroupKey"/>,
/// <see cref="ColumnRole.KnownAfterOutcome"/>).
/// </summary>
/// <remarks>
/// With a header line, <see cref="Columns"/> are matched by name and may list only some of the file's columns; the
/// others are read as <see cref="OtherColumns"/> (numeric features unless set) or, when that is null, are an error.
/// Without a header line, <see cref="Columns"/> name every column of the file, in order.
/// </remarks>
/// <example><code>
/// var schema = new TableSchema(
///     new ColumnSpec("patient", ColumnType.Category, ColumnRole.GroupKey),
///     new ColumnSpec("visit", ColumnType.Date, ColumnRole.Timestamp),
///     new ColumnSpec("length_of_stay", Role: ColumnRole.KnownAfterOutcome),
///     new ColumnSpec("readmitted", ColumnType.Category, ColumnRole.Label));
/// </code></example>
public sealed record TableSchema
{
    /// <summary>Declares the given columns; the file's other columns are numeric features.</summary>
    /// <exception cref="ArgumentException">Two columns have the same name, or more than one column has the role Label, Timestamp or GroupKey.</exception>
    public TableSchema(params IReadOnlyList<ColumnSpec> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var copy = columns.ToArray();
        for (int i = 0; i < copy.Length; i++)
        {
            if (copy[i] is null) throw new ArgumentException($"Column {i} of the schema is null.", nameof(columns));
            ArgumentException.ThrowIfNullOrEmpty(copy[i].Name, nameof(columns));
            if (copy[i].Levels is not null && copy[i].Type != ColumnType.Category)
                throw new ArgumentException($"Column '{copy[i].Name}' lists levels but is of type {copy[i].Type}; only {ColumnType.Category} columns have levels.", nameof(columns));
            for (int j = 0; j < i; j++)
                if (copy[j].Name == copy[i].Name)
                    throw new ArgumentException($"The schema declares column '{copy[i].Name}' twice (entries {j} and {i}).", nameof(columns));
        }
        TableColumn.CheckSingleRoles(copy.Select(c => (c.Name, c.Role)), nameof(columns));
        Columns = copy;
    }

    /// <summary>The declared columns.</summary>
    public IReadOnlyList<ColumnSpec> Columns { get; }

    /// <summary>
    /// The type of a header column the schema does not list: such columns are read as features of this type.
    /// <see cref="ColumnType.Number"/> unless set; null makes an unlisted column an error.
    /// </summary>
    public ColumnType? OtherColumns { get; init; } = ColumnType.Number;

    /// <summary>The spec named <paramref name="name"/>, or null.</summary>
    public ColumnSpec? Find(string name)
    {
        foreach (var c in Columns) if (c.Name == name) return c;
        return null;
    }
}
