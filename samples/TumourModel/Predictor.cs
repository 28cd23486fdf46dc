using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ModelGen;
using ModelGen.Data;
using ModelGen.Serialization;

namespace TumourModel;

/// <summary>Why a model file and its preprocessing cannot be served; the message names the file and what is wrong with it.</summary>
public sealed class PredictorLoadException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Classes and probabilities of a batch of rows.</summary>
/// <param name="ClassNames">The class names, in class-index order.</param>
/// <param name="Classes">The most probable class of each row (the first of equal ones).</param>
/// <param name="Probabilities">rows × classes, row-major; each row sums to 1 within float rounding.</param>
public sealed record PredictionBatch(IReadOnlyList<string> ClassNames, int[] Classes, float[] Probabilities)
{
    /// <summary>Number of rows.</summary>
    public int Count => Classes.Length;

    /// <summary>The probabilities of row <paramref name="row"/>, one per class.</summary>
    public ReadOnlySpan<float> Row(int row) => Probabilities.AsSpan(row * ClassNames.Count, ClassNames.Count);
}

/// <summary>
/// A classifier loaded from a model file with its preprocessing: raw rows in, classes and probabilities out. One
/// instance is not safe to use from several threads at once (the model predicts in buffers of its own); <see cref="Clone"/>
/// gives another instance with the same weights for another thread.
/// </summary>
public sealed class Predictor
{
    private readonly Func<Model> _create;
    private readonly bool _binaryLogit;

    private Predictor(Model model, Func<Model> create, PreprocessingDocument preprocessing, string[] classNames)
    {
        Model = model;
        _create = create;
        Preprocessing = preprocessing;
        ClassNames = classNames;
        _binaryLogit = model.Loss == Loss.BinaryCrossEntropy;
    }

    /// <summary>The model (its weights are those of the file).</summary>
    public Model Model { get; }

    /// <summary>The preprocessing: raw input columns, fitted transformers, feature order and class names.</summary>
    public PreprocessingDocument Preprocessing { get; }

    /// <summary>The class names in class-index order: the training label's levels, else "0", "1", ….</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The raw columns a row must have, in order.</summary>
    public IReadOnlyList<ColumnSpec> Inputs => Preprocessing.Inputs;

    /// <summary>
    /// Loads <paramref name="modelPath"/> into a model made by <paramref name="create"/>, with the preprocessing saved in the
    /// file or, when given, the document at <paramref name="preprocessingPath"/>, and checks that they fit together.
    /// </summary>
    /// <param name="modelPath">A file written by <see cref="Model.Save"/>.</param>
    /// <param name="create">Makes an untrained model of the file's architecture.</param>
    /// <param name="preprocessingPath">A document written by <see cref="PreprocessingDocument.Save"/>, or null to use the one in the model file.</param>
    /// <exception cref="PredictorLoadException">
    /// A file is missing, unreadable or not valid; the model is of another architecture; it is not a classifier with one
    /// head; there is no preprocessing document; or the document's features or classes do not match the model.
    /// </exception>
    public static Predictor Load(string modelPath, Func<Model> create, string? preprocessingPath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        ArgumentNullException.ThrowIfNull(create);
        var model = create();
        LoadReport report;
        try
        {
            report = model.Load(modelPath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new PredictorLoadException($"model file '{modelPath}' does not exist (write one with model.Save(path, preprocessing: document); samples/Predict has a 'train' verb that does).");
        }
        catch (Exception e) when (e is ModelFileException or IOException or UnauthorizedAccessException)
        {
            // ModelFileException's message already names the file and the field at fault.
            throw new PredictorLoadException(e is ModelFileException ? e.Message : $"model file '{modelPath}' cannot be read: {e.Message}", e);
        }
        PreprocessingDocument? document;
        if (preprocessingPath is null)
        {
            document = report.Preprocessing
                ?? throw new PredictorLoadException($"model file '{modelPath}' holds no preprocessing document; save the model with model.Save(path, preprocessing: document) or give the document's file as well.");
        }
        else
        {
            try
            {
                document = PreprocessingDocument.Load(preprocessingPath);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new PredictorLoadException($"preprocessing file '{preprocessingPath}' does not exist.");
            }
            catch (Exception e) when (e is ModelFileException or IOException or UnauthorizedAccessException)
            {
                throw new PredictorLoadException(e is ModelFileException ? e.Message : $"preprocessing file '{preprocessingPath}' cannot be read: {e.Message}", e);
            }
        }
        string documentName = preprocessingPath ?? $"the preprocessing document in '{modelPath}'";
        if (document.Features.Count != model.InputSize)
            throw new PredictorLoadException($"{documentName} makes {document.Features.Count} features, but {model.GetType().Name} takes {model.InputSize} inputs.");
        if (model.Heads.Count != 1 || model.LabelsPerSample != 1 || !(model.Loss == Loss.SoftmaxCrossEntropy || model.Loss == Loss.BinaryCrossEntropy && model.OutputSize == 1))
            throw new PredictorLoadException($"{model.GetType().Name} is not a one-head classifier (softmax cross-entropy, or binary cross-entropy with one logit); this predictor serves classes and probabilities only.");
        int classes = model.Loss == Loss.BinaryCrossEntropy ? 2 : model.OutputSize;
        string[] names = document.ClassNames.Count > 0 ? [.. document.ClassNames] : [.. Enumerable.Range(0, classes).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        if (names.Length != classes)
            throw new PredictorLoadException($"{documentName} names {names.Length} classes ({string.Join(", ", names)}), but {model.GetType().Name} scores {classes}.");
        return new Predictor(model, create, document, names);
    }

    /// <summary>Another predictor with a model of its own holding the same weights and state, and the same (immutable) preprocessing.</summary>
    public Predictor Clone()
    {
        var model = _create();
        Model.Parameters.CopyTo(model.Parameters);
        Model.State.CopyTo(model.State);
        return new Predictor(model, _create, Preprocessing, [.. ClassNames]);
    }

    /// <summary>Classes and probabilities of raw rows.</summary>
    /// <param name="rawRows">Rows with the <see cref="Inputs"/> columns (other columns are ignored).</param>
    /// <exception cref="ArgumentException">A column is absent or of another type, or a value is missing where the preprocessing cannot fill it (the message names the column and row).</exception>
    public PredictionBatch Predict(Table rawRows)
    {
        ArgumentNullException.ThrowIfNull(rawRows);
        float[] features = Preprocessing.ToFeatureMatrix(rawRows);
        int count = rawRows.RowCount, width = ClassNames.Count;
        var probabilities = new float[count * width];
        var classes = new int[count];
        if (count == 0) return new PredictionBatch(ClassNames, classes, probabilities);
        if (_binaryLogit)
        {
            // One logit: the sigmoid is P(class 1); both classes are reported.
            var positive = new float[count];
            Model.PredictProbabilities(features, count, positive);
            for (int r = 0; r < count; r++)
            {
                probabilities[2 * r] = 1f - positive[r];
                probabilities[2 * r + 1] = positive[r];
            }
        }
        else
        {
            Model.PredictProbabilities(features, count, probabilities);
        }
        for (int r = 0; r < count; r++)
        {
            var row = probabilities.AsSpan(r * width, width);
            int best = 0;
            for (int j = 1; j < width; j++) if (row[j] > row[best]) best = j;
            classes[r] = best;
        }
        return new PredictionBatch(ClassNames, classes, probabilities);
    }
}
