using Microsoft.CodeAnalysis;

namespace ModelGen.FrontEnd;

/// <summary>MG06xx: data handed to Fit, Evaluate or Predict that cannot fit the model it is handed to.</summary>
internal static partial class Diagnostics
{
    public static readonly DiagnosticDescriptor DataFeatureMismatch = Rule("MG0601",
        "Data rows have a different width than the model input",
        "'{0}' takes {1} features per sample (input {2}), but {3} has {4} per row ({5})",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor DataTargetMismatch = Rule("MG0602",
        "Targets per row do not fit the model's loss",
        "'{0}' uses {1} and needs {2} per row, but {3} has {4} target(s) per row ({5})",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor DataClassCountMismatch = Rule("MG0603",
        "Labels name more classes than the model has outputs",
        "{0} has class labels up to {1} ({2}), but '{3}' has {4} outputs (classes 0…{5})",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor BatchNormSingleRowBatch = Rule("MG0604",
        "BatchNorm would train on a batch of one row",
        "'{0}' has BatchNorm layer '{1}', which needs at least 2 rows per training batch, but {2}; Fit refuses it",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor TokenIdOutsideVocabulary = Rule("MG0605",
        "Token id is outside the embedding's vocabulary",
        "'{0}' looks its input up in Embedding '{1}' of {2} rows (ids 0…{3}), but {4} holds the id {5} ({6})",
        ShapesCategory, DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor LabelOutsideClassRange = Rule("MG0606",
        "Class label is not a class index",
        "Label {0} ({1}) is not a class index: {2}",
        ShapesCategory, DiagnosticSeverity.Error);

    /// <summary>The rules of the data-fit analyzer, MG0601 onwards.</summary>
    public static readonly DiagnosticDescriptor[] DataFit =
    {
        DataFeatureMismatch, DataTargetMismatch, DataClassCountMismatch, BatchNormSingleRowBatch, TokenIdOutsideVocabulary,
        LabelOutsideClassRange,
    };
}
