using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ModelGen.Data;

namespace ModelGen.Serialization;

/// <summary>
/// Everything a second process needs to turn raw rows into exactly the inputs a model was trained on: the fitted
/// preprocessing (a transformer or <see cref="Pipeline"/> of them, restored bit for bit), the raw columns it reads
/// (names, types, roles), the label and its class names, and the model's feature columns in order. It is one JSON
/// document (format and versioning in docs/serialization.md), stored in a model file's metadata under
/// <see cref="MetadataKey"/> or on its own with <see cref="Save"/> and <see cref="Load"/>.
/// </summary>
/// <example><code>
/// var (fitted, trainRows) = recipe.FitTransform(train);
/// var document = PreprocessingDocument.Create(train, fitted, trainRows.FeatureColumns);
/// document.Save("recipe.json");
/// // later, elsewhere:
/// var restored = PreprocessingDocument.Load("recipe.json");
/// var raw = CsvReader.ReadTable("new_rows.csv", restored.Schema());
/// float[] inputs = restored.ToFeatureMatrix(raw);          // the same floats the first process fed the model
/// </code></example>
public sealed class PreprocessingDocument
{
    /// <summary>The metadata key under which a model file stores this document's JSON.</summary>
    public const string MetadataKey = "modelgen.preprocessing";

    /// <summary>The format version this library writes and the newest it reads.</summary>
    public const int FormatVersion = 1;

    private readonly ColumnSpec[] _inputs;
    private readonly string[] _features;

    private PreprocessingDocument(ColumnSpec[] inputs, ColumnSpec? label, string[] features, bool allowKnownAfterOutcome, FittedTransformer? preprocessing)
    {
        _inputs = inputs;
        Label = label;
        _features = features;
        AllowKnownAfterOutcome = allowKnownAfterOutcome;
        Preprocessing = preprocessing;
    }

    /// <summary>
    /// Describes how <paramref name="preprocessing"/>, fitted on a table shaped like <paramref name="training"/>, makes the
    /// model inputs <paramref name="features"/>. The columns of <paramref name="training"/> (not its rows) give the
    /// inputs: those the features cannot be made without, and the label.
    /// </summary>
    /// <param name="training">A table with the raw columns the preprocessing was fitted on, typically the training table given to <see cref="Transformer.Fit"/>; its rows are not saved.</param>
    /// <param name="preprocessing">The fitted preprocessing, or null when the features are raw columns.</param>
    /// <param name="features">The model's input columns after preprocessing, in the order given to <see cref="Table.ToDataset(IReadOnlyList{string}, TargetKind, bool)"/>.</param>
    /// <param name="allowKnownAfterOutcome">Whether the features may include columns known only after the outcome, as <see cref="Table.ToFeatureMatrix"/> allows.</param>
    /// <exception cref="ArgumentException">A transformer has no saved form (a type outside ModelGen.Data), or the features cannot be made from <paramref name="training"/>'s columns (the message says why).</exception>
    public static PreprocessingDocument Create(Table training, FittedTransformer? preprocessing, IReadOnlyList<string> features, bool allowKnownAfterOutcome = false)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(features);
        if (preprocessing is not null && PreprocessingJsonWriter.Unsupported(preprocessing) is { } type)
            throw new ArgumentException($"{type} has no saved form; only the transformers and samplers of ModelGen.Data can be saved.", nameof(preprocessing));
        var names = features.ToArray();
        var empty = training.Gather<Unsplit>([]);
        try
        {
            MakeFeatures(empty, preprocessing, names, allowKnownAfterOutcome);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException("The features cannot be made from the training table's columns: " + e.Message, nameof(features), e);
        }
        // The inputs are the columns without which the features cannot be made; the others need not be there at prediction.
        var inputs = new List<ColumnSpec>();
        foreach (var c in training.Columns)
        {
            if (c.Role == ColumnRole.Label) continue;
            try
            {
                MakeFeatures(empty.WithoutColumns(c.Name), preprocessing, names, allowKnownAfterOutcome);
            }
            catch (ArgumentException)
            {
                inputs.Add(new ColumnSpec(c.Name, c.Type, c.Role) { MissingValues = MissingValues.NaN });
            }
        }
        var label = training.Label is { } l
            ? new ColumnSpec(l.Name, l.Type, ColumnRole.Label) { Levels = l.Type == ColumnType.Category ? l.Levels.ToArray() : null, MissingValues = MissingValues.NaN }
            : null;
        return new PreprocessingDocument(inputs.ToArray(), label, names, allowKnownAfterOutcome, preprocessing);
    }

    /// <summary>A document read from JSON, checked to make its features from its inputs.</summary>
    internal static PreprocessingDocument Restore(ColumnSpec[] inputs, ColumnSpec? label, string[] features, bool allowKnownAfterOutcome, FittedTransformer? preprocessing, string source)
    {
        Table<Unsplit> empty;
        try
        {
            var columns = inputs.Append(label).OfType<ColumnSpec>()
                .Select(c => TableColumn.FromStorage(c.Name, c.Type, c.Role, [], c.Levels?.ToArray())).ToArray();
            empty = new Table<Unsplit>(columns, []);
        }
        catch (ArgumentException e)
        {
            throw new ModelFileException(source, "inputs: the columns do not make a table: " + e.Message, e);
        }
        try
        {
            MakeFeatures(empty, preprocessing, features, allowKnownAfterOutcome);
        }
        catch (ArgumentException e)
        {
            throw new ModelFileException(source, $"{(preprocessing is null ? "features" : "preprocessing")}: the saved preprocessing does not make the saved features from the saved inputs: {e.Message}", e);
        }
        return new PreprocessingDocument(inputs, label, features, allowKnownAfterOutcome, preprocessing);
    }

    private static void MakeFeatures(Table<Unsplit> table, FittedTransformer? preprocessing, string[] features, bool allowKnownAfterOutcome) =>
        (preprocessing is null ? table : preprocessing.Transform(table)).ToFeatureMatrix(features, allowKnownAfterOutcome);

    /// <summary>The fitted preprocessing, or null when the features are raw columns. Restored transformers report <see cref="FittedTransformer.IsRestored"/>.</summary>
    public FittedTransformer? Preprocessing { get; }

    /// <summary>
    /// The raw columns a table must have for <see cref="ToFeatureMatrix"/>: name, type and role, in the training table's
    /// order. Columns the preprocessing and features do not need (e.g. a group key) are not listed; the label is <see cref="Label"/>.
    /// </summary>
    public IReadOnlyList<ColumnSpec> Inputs => _inputs;

    /// <summary>The training table's label column (for a category label, <see cref="ColumnSpec.Levels"/> are the class names in class-index order), or null.</summary>
    public ColumnSpec? Label { get; }

    /// <summary>The class names in class-index order: the levels of a category label; empty for another label or none.</summary>
    public IReadOnlyList<string> ClassNames => Label?.Levels ?? [];

    /// <summary>The model's input columns after preprocessing, in order.</summary>
    public IReadOnlyList<string> Features => _features;

    /// <summary>Whether the features may include columns known only after the outcome.</summary>
    public bool AllowKnownAfterOutcome { get; }

    /// <summary>
    /// The schema to read raw rows from CSV with <see cref="CsvReader.ReadTable(string, TableSchema, CsvOptions?, string?)"/>:
    /// the <see cref="Inputs"/> with their types and roles (missing values read as NaN, for an <see cref="Imputer"/> to
    /// fill or <see cref="ToFeatureMatrix"/> to report), and with <paramref name="includeLabel"/> the label, whose
    /// category levels are the class names so that class indices are those of training. Other columns of the file are
    /// read as categories and ignored.
    /// </summary>
    /// <param name="includeLabel">Declare the label too (for rows to evaluate on); the file must then have it.</param>
    public TableSchema Schema(bool includeLabel = false)
    {
        var columns = includeLabel && Label is not null ? _inputs.Append(Label) : _inputs;
        return new TableSchema(columns.ToArray()) { OtherColumns = ColumnType.Category };
    }

    /// <summary>Applies the preprocessing to raw rows; the table is returned as it is when there is none.</summary>
    /// <param name="table">Raw rows with the <see cref="Inputs"/> columns.</param>
    /// <exception cref="ArgumentException">A column the preprocessing reads is absent or of another type.</exception>
    public Table<TRole> Transform<TRole>(Table<TRole> table) where TRole : ITableRole
    {
        ArgumentNullException.ThrowIfNull(table);
        return Preprocessing is null ? table : Preprocessing.Transform(table);
    }

    /// <summary>The model inputs of raw rows: preprocessed, then the <see cref="Features"/> as a row-major matrix (rows × features), for <c>Model.Predict</c>.</summary>
    /// <param name="table">Raw rows with the <see cref="Inputs"/> columns, of any role.</param>
    /// <exception cref="ArgumentException">A column is absent or of another type, or a feature value is missing after preprocessing (the message names the column and row).</exception>
    public float[] ToFeatureMatrix(Table table)
    {
        ArgumentNullException.ThrowIfNull(table);
        return Transform(table.As<Unsplit>()).ToFeatureMatrix(_features, AllowKnownAfterOutcome);
    }

    /// <summary>
    /// The model-facing samples of raw labelled rows: preprocessed, the <see cref="Features"/> as inputs and the label as
    /// targets. A category label is matched to the training classes by name, so class indices are those of training
    /// even when the table's levels came in another order.
    /// </summary>
    /// <param name="table">Raw rows with the <see cref="Inputs"/> columns and the label.</param>
    /// <param name="target">Class indices or values, as in training.</param>
    /// <exception cref="ArgumentException">As for <see cref="ToFeatureMatrix"/>; or a label is missing, of another type than in training, or a class unknown to training.</exception>
    /// <exception cref="InvalidOperationException">The table has no label column.</exception>
    public Dataset ToDataset(Table table, TargetKind target)
    {
        ArgumentNullException.ThrowIfNull(table);
        var transformed = Transform(table.As<Unsplit>());
        if (Label is { Type: ColumnType.Category, Levels: { } classes } && transformed.Label is { } label)
            transformed = transformed.WithColumn(ToTrainingClasses(label, classes, transformed));
        return transformed.ToDataset(_features, target, AllowKnownAfterOutcome);
    }

    private static TableColumn ToTrainingClasses(TableColumn label, IReadOnlyList<string> classes, Table table)
    {
        if (label.Type != ColumnType.Category)
            throw new ArgumentException($"Label '{label.Name}' is of type {label.Type}; the model was trained on the classes {Table.Quote(classes)} of a category label.", nameof(table));
        if (label.Levels.SequenceEqual(classes, StringComparer.Ordinal)) return label;
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < classes.Count; i++) index.Add(classes[i], i);
        var codes = new double[label.Count];
        for (int r = 0; r < codes.Length; r++)
        {
            string? level = label.Level(r);
            if (level is null) codes[r] = double.NaN;
            else if (index.TryGetValue(level, out int code)) codes[r] = code;
            else
                throw new ArgumentException($"Label '{label.Name}' is '{level}' in row {table.Provenance[r]}, a class the model was not trained on; its classes are {Table.Quote(classes)}.", nameof(table));
        }
        return TableColumn.FromStorage(label.Name, ColumnType.Category, ColumnRole.Label, codes, classes.ToArray());
    }

    /// <summary>The document as indented UTF-8 JSON text (the shape is in docs/serialization.md). Doubles are written so that reading gives the same bits.</summary>
    public string ToJson() => Encoding.UTF8.GetString(ToUtf8Json());

    private byte[] ToUtf8Json()
    {
        var buffer = new ArrayBufferWriter<byte>();
        // Relaxed escaping keeps non-ASCII column and level names readable; the text is never embedded in HTML.
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            PreprocessingJsonWriter.Write(writer, this);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a document written by <see cref="ToJson"/> (e.g. from a model file's metadata).</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">What errors call the source, e.g. the model file's path.</param>
    /// <exception cref="ModelFileException">
    /// The text is not JSON, is of a newer format version, lacks a field, has a field of the wrong type or range, lengths
    /// that disagree (e.g. 3 means and 4 scales), an unknown transformer kind, or preprocessing that does not make the
    /// features from the inputs. The message names the field's path (e.g. <c>preprocessing.steps[2].scales</c>) and
    /// what was expected and found.
    /// </exception>
    public static PreprocessingDocument FromJson(string json, string source = "preprocessing document")
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(source);
        return PreprocessingJsonReader.Read(Encoding.UTF8.GetBytes(json), source);
    }

    /// <summary>
    /// Writes the document to <paramref name="path"/> atomically: into a temporary file in the same folder, flushed to
    /// disk, then renamed over <paramref name="path"/>, so a reader never sees half a file and a failed save leaves the old one.
    /// </summary>
    /// <param name="path">The file to write, conventionally <c>*.json</c>.</param>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] json = ToUtf8Json();
        AtomicFile.Write(path, stream => stream.Write(json));
    }

    /// <summary>Reads a document written by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="ModelFileException">The file's content is not a valid document; see <see cref="FromJson"/>.</exception>
    /// <exception cref="IOException">The file cannot be read (e.g. <see cref="FileNotFoundException"/>).</exception>
    public static PreprocessingDocument Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return PreprocessingJsonReader.Read(File.ReadAllBytes(path), path);
    }
}
