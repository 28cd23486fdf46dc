using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace ModelGen.Data;

/// <summary>A classification <see cref="Dataset"/> together with the names of its classes.</summary>
public sealed class LabeledDataset
{
    /// <summary>Pairs <paramref name="data"/> with one name per class.</summary>
    /// <exception cref="ArgumentException">The name count differs from <see cref="Dataset.ClassCount"/>.</exception>
    public LabeledDataset(Dataset data, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(classNames);
        if (classNames.Count != data.ClassCount)
            throw new ArgumentException($"{classNames.Count} class names were given for a set of {data.ClassCount} classes.", nameof(classNames));
        Data = data;
        ClassNames = Array.AsReadOnly(classNames.ToArray());
    }

    /// <summary>The samples: features and one class index per row.</summary>
    public Dataset Data { get; }

    /// <summary>The name of each class, indexed by label.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Lets a caller write <c>var (data, classNames) = Datasets.LoadLabeledCsv(path);</c>.</summary>
    public void Deconstruct(out Dataset data, out IReadOnlyList<string> classNames)
    {
        data = Data;
        classNames = ClassNames;
    }
}

/// <summary>Loaders for the labelled CSV files shipped with the samples (<c>samples/data</c>).</summary>
public static class Datasets
{
    private const string LabelColumn = "label";
    private const string NoHeaderHint = "; if the file has no header line, pass the class names: Datasets.LoadLabeledCsv(path, classNames)";

    /// <summary>
    /// Loads a labelled CSV file whose first line is <c>rows,features,class name,class name,…</c> (e.g.
    /// <c>150,4,setosa,versicolor,virginica</c>) and whose other lines are the features followed by an integer label.
    /// Gzip data is decompressed.
    /// </summary>
    /// <param name="path">The file; errors name it as given here.</param>
    /// <exception cref="CsvFormatException">
    /// The header is malformed; a line does not have the header's feature count plus the label; a feature is not a finite
    /// number; a label is not a class index below the number of class names; or the number of rows differs from the header's.
    /// </exception>
    public static LabeledDataset LoadLabeledCsv(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var csv = CsvReader.Open(path, new CsvOptions { HasHeader = false });
        var header = ReadCountedHeader(csv);
        var data = ReadRows(csv, header.Features, header.FieldsSource, header.ClassNames, header.Rows);
        CheckRowCount(csv, header, data.Count);
        return new LabeledDataset(data, header.ClassNames);
    }

    /// <summary>
    /// Loads a labelled CSV file into a typed table: one numeric feature column per feature and a label column of type
    /// <see cref="ColumnType.Category"/> with the role <see cref="ColumnRole.Label"/>, whose levels are the class names (so
    /// level index = the file's class index). The file is of the format of <see cref="LoadLabeledCsv(string)"/> (first line
    /// <c>rows,features,class name,…</c>) or, when <paramref name="classNames"/> is given, of
    /// <see cref="LoadLabeledCsv(string, IReadOnlyList{string})"/> (no header line; the first line sets the feature count),
    /// as the digits images are. Row <c>i</c> has the provenance <c>source[i]</c>, so splits, transformers and the leakage
    /// checks apply as to any table; <see cref="Table.ToDataset(TargetKind)"/> gives the model's rows with the class names.
    /// </summary>
    /// <param name="path">The file; errors name it as given here.</param>
    /// <param name="featureNames">A name per feature column; <c>f0</c>, <c>f1</c>, … when null.</param>
    /// <param name="labelName">The name of the label column.</param>
    /// <param name="sourceName">The source name of the rows' provenance; <paramref name="path"/> when null.</param>
    /// <param name="classNames">For a file without a header line, one name per class; null when the file's first line is the counted header.</param>
    /// <exception cref="CsvFormatException">As for <see cref="LoadLabeledCsv(string)"/> or <see cref="LoadLabeledCsv(string, IReadOnlyList{string})"/>.</exception>
    /// <exception cref="ArgumentException">The number of feature names differs from the file's feature count, a name repeats or equals the label's, or <paramref name="classNames"/> is empty.</exception>
    public static Table<Unsplit> LoadLabeledTable(string path, IReadOnlyList<string>? featureNames = null, string labelName = LabelColumn, string? sourceName = null,
                                                  IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentException.ThrowIfNullOrEmpty(labelName);
        if (classNames is { Count: 0 }) throw new ArgumentException("At least one class name is needed.", nameof(classNames));
        using var csv = CsvReader.Open(path, new CsvOptions { HasHeader = false });
        CountedHeader? header = null;
        int features;
        string fieldsSource;
        string[] names;
        if (classNames is null)
        {
            header = ReadCountedHeader(csv);
            (features, fieldsSource, names) = (header.Features, header.FieldsSource, header.ClassNames);
        }
        else
        {
            csv.MissingValueHint = "";
            if (!csv.ReadRecord())
                throw csv.LineError("line 1: expected features and a label, found the end of the file", 1);
            if (csv.FieldCount < 2)
                throw csv.LineError(string.Create(CultureInfo.InvariantCulture,
                    $"line {csv.LineNumber}: expected one feature or more and the label, found {Fields(csv.FieldCount)}"), csv.LineNumber);
            (features, fieldsSource, names) = (csv.FieldCount - 1, string.Create(CultureInfo.InvariantCulture, $"the first line (line {csv.LineNumber}) has {csv.FieldCount}"), classNames.ToArray());
        }
        string[] columnNames = featureNames?.ToArray()
                               ?? Enumerable.Range(0, features).Select(i => "f" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        if (columnNames.Length != features)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{columnNames.Length} feature names were given, but {path} has {Count(features, "feature")} ({(header is null ? "its first line" : $"line {header.Line}")})."), nameof(featureNames));
        var columns = new List<double>[features];
        for (int j = 0; j < columns.Length; j++) columns[j] = new List<double>(header?.Rows ?? 256);
        var labels = ReadLabeledRows(csv, features, fieldsSource, names, firstRowRead: header is null, row =>
        {
            for (int j = 0; j < columns.Length; j++) columns[j].Add(row.ParseDouble(j, null, MissingValues.Error, ""));
        });
        if (header is not null) CheckRowCount(csv, header, labels.Count);
        var table = new TableColumn[features + 1];
        for (int j = 0; j < columns.Length; j++) table[j] = TableColumn.FromStorage(columnNames[j], ColumnType.Number, ColumnRole.Feature, columns[j].ToArray());
        table[^1] = TableColumn.FromStorage(labelName, ColumnType.Category, ColumnRole.Label, labels.Select(l => (double)l).ToArray(), names);
        return new Table<Unsplit>(table, Table.OriginalRows(sourceName ?? path, labels.Count));
    }

    private sealed record CountedHeader(int Rows, int Features, string[] ClassNames, long Line, string FieldsSource);

    private static CountedHeader ReadCountedHeader(CsvReader csv)
    {
        csv.MissingValueHint = "";
        if (!csv.ReadRecord())
            throw csv.LineError("line 1: expected the header 'rows,features,class names…', found the end of the file", 1);
        if (csv.FieldCount < 3)
            throw csv.LineError(string.Create(CultureInfo.InvariantCulture,
                $"line {csv.LineNumber}: expected the header 'rows,features,class names…' (3 fields or more), found {Fields(csv.FieldCount)}{NoHeaderHint}"), csv.LineNumber);
        long headerLine = csv.LineNumber;
        int rows = HeaderCount(csv, 0, "rows", "the row count (a whole number)", 0);
        int features = HeaderCount(csv, 1, "features", "the feature count (a whole number, 1 or more)", 1);
        var classNames = new string[csv.FieldCount - 2];
        for (int i = 0; i < classNames.Length; i++)
        {
            classNames[i] = csv.GetString(i + 2);
            if (classNames[i].Length == 0) throw csv.FieldError(i + 2, null, "a class name");
            int same = Array.IndexOf(classNames, classNames[i], 0, i);
            if (same >= 0) throw csv.FieldError(i + 2, null, $"a class name other than those before it (column {same + 3} has the same)");
        }
        string fieldsSource = string.Create(CultureInfo.InvariantCulture,
            $"the header (line {headerLine}) says {Count(features, "feature")} plus the label, {features + 1} fields");
        return new CountedHeader(rows, features, classNames, headerLine, fieldsSource);
    }

    private static void CheckRowCount(CsvReader csv, CountedHeader header, int count)
    {
        if (count == header.Rows) return;
        string found = count == 0
            ? "no data lines"
            : string.Create(CultureInfo.InvariantCulture, $"{count} (lines {header.Line + 1}–{csv.LineNumber})");
        throw new CsvFormatException(
            CsvFormatException.Locate(csv.SourceName, header.Line, 1, "rows")
            + string.Create(CultureInfo.InvariantCulture, $": the header says {Count(header.Rows, "row")}, but the file has {found}"),
            csv.SourceName, header.Line, 1, "rows", header.Rows.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Loads a labelled CSV file without a header line: every line is the features followed by an integer label, and
    /// the feature count is that of the first line. Gzip data is decompressed.
    /// </summary>
    /// <param name="path">The file; errors name it as given here.</param>
    /// <param name="classNames">One name per class; labels must be below their count.</param>
    /// <exception cref="CsvFormatException">
    /// The file is empty; a line's field count differs from the first line's; a feature is not a finite number; or a
    /// label is not a class index below the number of class names.
    /// </exception>
    public static LabeledDataset LoadLabeledCsv(string path, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(classNames);
        if (classNames.Count == 0) throw new ArgumentException("At least one class name is needed.", nameof(classNames));
        var names = classNames.ToArray();
        using var csv = CsvReader.Open(path, new CsvOptions { HasHeader = false });
        csv.MissingValueHint = "";
        if (!csv.ReadRecord())
            throw csv.LineError("line 1: expected features and a label, found the end of the file", 1);
        if (csv.FieldCount < 2)
            throw csv.LineError(string.Create(CultureInfo.InvariantCulture,
                $"line {csv.LineNumber}: expected one feature or more and the label, found {Fields(csv.FieldCount)}"), csv.LineNumber);
        string fieldsSource = string.Create(CultureInfo.InvariantCulture, $"the first line (line {csv.LineNumber}) has {csv.FieldCount}");
        return new LabeledDataset(ReadRows(csv, csv.FieldCount - 1, fieldsSource, names, expectedRows: 0, firstRowRead: true), names);
    }

    private static Dataset ReadRows(CsvReader csv, int features, string fieldsSource, string[] classNames, int expectedRows, bool firstRowRead = false)
    {
        // Trust the header's row count only as a capacity hint, and only up to a size a wrong header cannot make harmful.
        long capacity = Math.Max(features, Math.Min((long)expectedRows * features, 1 << 24));
        var x = new float[capacity];
        int count = 0;
        var labels = ReadLabeledRows(csv, features, fieldsSource, classNames, firstRowRead, row =>
        {
            int offset = count * features;
            if (offset + features > x.Length) Array.Resize(ref x, (int)Math.Min((long)x.Length * 2, Array.MaxLength));
            for (int j = 0; j < features; j++) x[offset + j] = row.ParseSingle(j, null);
            count++;
        });
        Array.Resize(ref x, labels.Count * features);
        return Dataset.ForClassification(x, features, labels.ToArray(), classNames.Length).WithClassNames(classNames);
    }

    /// <summary>Walks the data lines: checks each line's field count and label, hands the features to <paramref name="readFeatures"/>, and returns the labels.</summary>
    private static List<int> ReadLabeledRows(CsvReader csv, int features, string fieldsSource, string[] classNames, bool firstRowRead, Action<CsvReader> readFeatures)
    {
        int width = features + 1;
        var labels = new List<int>(256);
        string lastLabel = string.Create(CultureInfo.InvariantCulture, $"a class index from 0 to {classNames.Length - 1}");
        while (firstRowRead || csv.ReadRecord())
        {
            firstRowRead = false;
            if (csv.FieldCount != width)
                throw csv.LineError(string.Create(CultureInfo.InvariantCulture,
                    $"line {csv.LineNumber} has {Fields(csv.FieldCount)}; {fieldsSource}"), csv.LineNumber);
            readFeatures(csv);
            var text = csv.GetField(features);
            if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int label) || label < 0 || label >= classNames.Length)
                throw csv.FieldError(features, LabelColumn, lastLabel);
            labels.Add(label);
        }
        return labels;
    }

    private static int HeaderCount(CsvReader csv, int index, string name, string expected, int minimum)
    {
        if (!int.TryParse(csv.GetField(index), NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < minimum)
            throw csv.FieldError(index, name, expected, NoHeaderHint);
        return value;
    }

    private static string Fields(int count) => Count(count, "field");

    private static string Count(int count, string noun) => count.ToString(CultureInfo.InvariantCulture) + " " + noun + (count == 1 ? "" : "s");
}
