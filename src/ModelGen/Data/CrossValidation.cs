using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using ModelGen.Metrics;

namespace ModelGen.Data;

/// <summary>The outcome of one cross-validation fold.</summary>
/// <param name="Fold">0-based fold number.</param>
/// <param name="TrainRows">Rows the model trained on (after the pipeline's samplers).</param>
/// <param name="ValidationRows">Rows scored.</param>
/// <param name="Scores">The model's scores on the fold's validation rows.</param>
/// <param name="Preprocessing">The preprocessing as fitted in this fold; its <see cref="FittedTransformer.FittedOn"/> lists the fold's training rows only.</param>
public sealed record FoldResult(int Fold, int TrainRows, int ValidationRows, ModelScores Scores, FittedTransformer? Preprocessing);

/// <summary>Per-fold scores of a cross-validation, with their mean and standard deviation.</summary>
public sealed class CrossValidationResult
{
    internal CrossValidationResult(FoldResult[] folds)
    {
        Folds = folds;
        Mean = ModelScores.Mean(folds.Select(f => f.Scores).ToArray());
        StandardDeviation = ModelScores.StandardDeviation(folds.Select(f => f.Scores).ToArray());
    }

    /// <summary>Each fold's result, in fold order.</summary>
    public IReadOnlyList<FoldResult> Folds { get; }

    /// <summary>The mean of each score over the folds.</summary>
    public ModelScores Mean { get; }

    /// <summary>The standard deviation (n − 1) of each score over the folds.</summary>
    public ModelScores StandardDeviation { get; }

    /// <summary>One line per fold, then the mean and standard deviation.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var f in Folds)
            sb.Append(CultureInfo.InvariantCulture, $"fold {f.Fold + 1}: train {f.TrainRows,5}  validation {f.ValidationRows,4}  {f.Scores}\n");
        sb.Append("mean:   ").Append(Mean).Append('\n');
        sb.Append("sd:     ").Append(StandardDeviation);
        return sb.ToString();
    }
}

/// <summary>
/// Cross-validation that keeps preprocessing inside the folds: for every fold the (unfitted) pipeline is fitted on that
/// fold's training rows only, the validation rows are transformed with it, and a fresh model is trained and scored.
/// </summary>
public static class CrossValidation
{
    /// <summary>Fits <paramref name="preprocessing"/> and a new model inside each fold and scores the model on the fold's validation rows.</summary>
    /// <typeparam name="TModel">The model type.</typeparam>
    /// <param name="folds">The folds, from <see cref="Split.KFold"/>.</param>
    /// <param name="preprocessing">The recipe fitted in each fold (a <see cref="Pipeline"/> or a single step); null for none.</param>
    /// <param name="createModel">Makes a fresh, untrained model for fold i.</param>
    /// <param name="train">Trains the model on the fold's preprocessed training rows, e.g. <c>(m, d) =&gt; m.Fit(d, epochs: 50)</c>.</param>
    /// <param name="target">How the label becomes the model's targets.</param>
    /// <param name="features">The feature columns after preprocessing; every numeric feature column of the preprocessed training rows when null.</param>
    /// <exception cref="ArgumentException">No fold is given, or a fold's tables do not convert to the model's data.</exception>
    public static CrossValidationResult Run<TModel>(IReadOnlyList<Fold> folds, Transformer? preprocessing, Func<int, TModel> createModel,
        Action<TModel, Dataset> train, TargetKind target, IReadOnlyList<string>? features = null) where TModel : Model
    {
        ArgumentNullException.ThrowIfNull(folds);
        ArgumentNullException.ThrowIfNull(createModel);
        ArgumentNullException.ThrowIfNull(train);
        if (folds.Count == 0) throw new ArgumentException("Cross-validation needs at least one fold.", nameof(folds));
        var results = new FoldResult[folds.Count];
        for (int i = 0; i < folds.Count; i++)
        {
            var fold = folds[i] ?? throw new ArgumentException($"Fold {i} is null.", nameof(folds));
            FittedTransformer? fitted = null;
            Table<Train> trainRows = fold.Train;
            Table<Validation> validationRows = fold.Validation;
            if (preprocessing is not null)
            {
                (fitted, trainRows) = preprocessing.FitTransform(fold.Train);
                validationRows = fitted.Transform(fold.Validation);
            }
            var columns = features ?? trainRows.FeatureColumns;
            var trainData = trainRows.ToDataset(columns, target);
            var validationData = validationRows.ToDataset(columns, target);
            var model = createModel(fold.Index) ?? throw new InvalidOperationException($"createModel returned null for fold {fold.Index}.");
            train(model, trainData);
            results[i] = new FoldResult(fold.Index, trainRows.RowCount, validationRows.RowCount, ModelScores.Evaluate(model, validationData), fitted);
        }
        return new CrossValidationResult(results);
    }
}
