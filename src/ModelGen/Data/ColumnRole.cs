using System;

namespace ModelGen.Data;

/// <summary>
/// What a column of a <see cref="Table"/> is to a model. Each column has exactly one role; the role decides whether the
/// column may become a model input (<see cref="Table.ToDataset(TargetKind)"/>), which column splits stratify on, keep
/// together or order by, and what <see cref="LeakageAudit"/> checks.
/// </summary>
public enum ColumnRole
{
    /// <summary>An input known before the outcome: preprocessing and <see cref="Table.ToDataset(TargetKind)"/> use it by default.</summary>
    Feature = 0,

    /// <summary>The outcome the model learns to predict (at most one per table). Never a feature.</summary>
    Label,

    /// <summary>When the row was observed (at most one per table). <see cref="SplitKind.TimeOrdered"/> orders by it. Never a feature.</summary>
    Timestamp,

    /// <summary>The entity the row belongs to, e.g. a patient or customer (at most one per table). <see cref="SplitKind.Group"/> keeps each group on one side. Never a feature.</summary>
    GroupKey,

    /// <summary>
    /// A value recorded only after the outcome (e.g. "days in hospital" when predicting admission). Refused as a model
    /// input unless explicitly allowed; columns derived from it (one-hot levels, crosses) keep this role.
    /// </summary>
    KnownAfterOutcome,
}

/// <summary>How a column's values are read and stored. Every column stores one <see cref="double"/> per row; NaN means missing.</summary>
public enum ColumnType
{
    /// <summary>A real number, parsed with the invariant culture.</summary>
    Number = 0,

    /// <summary>A text level (a category), stored as the 0-based index of the level in <see cref="TableColumn.Levels"/>.</summary>
    Category,

    /// <summary>A date or date-time (ISO 8601, e.g. <c>2024-03-15</c> or <c>2024-03-15T08:30:00Z</c>), stored as seconds since 1970-01-01 UTC.</summary>
    Date,
}

/// <summary>How <see cref="Table.ToDataset(TargetKind)"/> turns the label column into the targets of a <see cref="Dataset"/>.</summary>
public enum TargetKind
{
    /// <summary>One class index per row (<see cref="Dataset.ForClassification"/>), for softmax cross-entropy: a category's level index, or a whole number ≥ 0.</summary>
    ClassIndex = 0,

    /// <summary>One real target per row (<see cref="Dataset.ForRegression"/>), for mean squared error or binary cross-entropy (0/1; a two-level category gives its level index).</summary>
    Value,
}

/// <summary>
/// Marks the property or field of a row type that holds the label (<see cref="ColumnRole.Label"/>). The attribute is
/// read at build time (by the ModelGen generator and analyzers), never through reflection at run time; at run time the
/// role comes from the <see cref="TableSchema"/> the row type supplies through <see cref="IRowSchema"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
public sealed class LabelAttribute : Attribute
{
}

/// <summary>Marks the property or field of a row type that holds the row's time (<see cref="ColumnRole.Timestamp"/>); read at build time only, see <see cref="LabelAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
public sealed class TimestampAttribute : Attribute
{
}

/// <summary>Marks the property or field of a row type that names the row's group, e.g. a patient id (<see cref="ColumnRole.GroupKey"/>); read at build time only, see <see cref="LabelAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
public sealed class GroupKeyAttribute : Attribute
{
}

/// <summary>
/// Marks a property or field of a row type whose value is only known after the outcome (<see cref="ColumnRole.KnownAfterOutcome"/>):
/// using it as a model input is a leak; read at build time only, see <see cref="LabelAttribute"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
public sealed class KnownAfterOutcomeAttribute : Attribute
{
}

/// <summary>
/// A row type that describes its own columns, so that <see cref="CsvReader.ReadTable{TRow}(string, CsvOptions?, string?)"/>
/// needs no reflection (it works under NativeAOT and trimming). Write <see cref="Schema"/> by hand, or let a source
/// generator derive it from the row type's members and their <see cref="LabelAttribute"/>, <see cref="TimestampAttribute"/>,
/// <see cref="GroupKeyAttribute"/> and <see cref="KnownAfterOutcomeAttribute"/>.
/// </summary>
public interface IRowSchema
{
    /// <summary>The columns of the row type: names, types and roles.</summary>
    static abstract TableSchema Schema { get; }
}
