using Microsoft.CodeAnalysis;

namespace ModelGen.FrontEnd;

/// <summary>MG0019–MG0031: data-leakage mistakes on the typed data API, found by the leakage analyzer.</summary>
internal static partial class Diagnostics
{
    public const string LeakageCategory = "ModelGen.Leakage";

    public static readonly DiagnosticDescriptor FitOnTestRows = Rule("MG0019",
        "Preprocessing is fitted on rows that include test rows",
        "'{0}' is fitted on {1}, which include the rows that '{2}' holds out for testing; fit it on the training part of the split",
        LeakageCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor StatisticBeforeSplit = Rule("MG0020",
        "A statistic of all rows is computed before the split",
        "'{0}' adds a column computed from {1} over {2}, which '{3}' then splits, so the held-out rows shape a feature of the training rows; compute the statistic on the training part after the split, or use a Transformer fitted on it",
        LeakageCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor OversampleBeforeSplit = Rule("MG0021",
        "Rows are oversampled before the split",
        "'{0}' resamples rows that '{1}' then splits, so copies of held-out rows land in training; resample only training rows after the split, e.g. a Sampler in the Pipeline given to CrossValidation.Run",
        LeakageCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor TrainOnTestRows = Rule("MG0022",
        "The model is trained on test rows",
        "'{0}' trains on {1}; train on the training part of the split and keep the test rows for the final evaluation",
        LeakageCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor TestForEarlyStopping = Rule("MG0023",
        "Test data steers training",
        "'{0}' {1}, so the test rows steer training (early stopping, tuning); validate on rows split off the training part (Split.TrainValidation) and keep the test rows for the one final evaluation",
        LeakageCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor TestEvaluatedTwice = Rule("MG0024",
        "The test set is evaluated more than once",
        "'{0}' is {1}; choosing between models, settings or epochs by test score makes that score optimistic. Compare on validation rows or by cross-validation, and evaluate the chosen model on the test rows once",
        LeakageCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor PreprocessingOutsideFolds = Rule("MG0025",
        "Preprocessing is fitted outside the validation folds",
        "'{0}' {1} '{2}', fitted on {3}, which include the validation rows of '{4}'; give the unfitted transformer to CrossValidation.Run (or fit it on each fold's training part) so that preprocessing learns from training rows only",
        LeakageCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor ShuffledTimeSplit = Rule("MG0026",
        "Time-ordered rows are split at random",
        "'{0}' splits rows with the timestamp column '{1}' by SplitKind.{2}, so the model trains on rows later than those it is scored on; use SplitKind.TimeOrdered",
        LeakageCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor GroupsAcrossSplit = Rule("MG0027",
        "Groups are split across training and held-out rows",
        "'{0}' splits rows with the group key '{1}' by SplitKind.{2}, so rows of one group land on both sides; use SplitKind.Group",
        LeakageCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor KnownAfterOutcomeInput = Rule("MG0028",
        "A column known only after the outcome is a model input",
        "'{0}' uses {1} as model input with allowKnownAfterOutcome: true, but {2} known only after the outcome (ColumnRole.KnownAfterOutcome); leave it out of the features unless the model really runs after the outcome",
        LeakageCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor LabelAsInput = Rule("MG0029",
        "A model input is the label or computed from it",
        "'{0}' {1}, so the model is given the answer as an input, which it will not have when it predicts; compute features from inputs known before the outcome only",
        LeakageCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor ShuffledBeforeOrderedCut = Rule("MG0030",
        "Time-ordered rows are shuffled before a split by position",
        "'{0}' puts the rows with the timestamp column '{1}' in a random order, which '{2}' then cuts by position, so the model trains on rows later than those it is scored on; keep the time order (or split with SplitKind.TimeOrdered)",
        LeakageCategory, DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor TrainOnValidationRows = Rule("MG0031",
        "The model is trained on its validation rows",
        "'{0}' trains on {1}, which include the validation rows {2}{3}; the validation figures (early stopping, model choice) then measure memory, not generalisation. Train on the training part only",
        LeakageCategory, DiagnosticSeverity.Warning);

    /// <summary>The rules of the leakage analyzer, MG0019 onwards.</summary>
    public static readonly DiagnosticDescriptor[] Leakage =
    {
        FitOnTestRows, StatisticBeforeSplit, OversampleBeforeSplit, TrainOnTestRows, TestForEarlyStopping,
        TestEvaluatedTwice, PreprocessingOutsideFolds, ShuffledTimeSplit, GroupsAcrossSplit, KnownAfterOutcomeInput,
        LabelAsInput, ShuffledBeforeOrderedCut, TrainOnValidationRows,
    };
}
