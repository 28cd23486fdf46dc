using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using ModelGen;
using ModelGen.Data;
using ModelGen.Monitoring;
using ModelGen.Serialization;

namespace TumourModel;

/// <summary>A trained <see cref="TumourNet"/>, the preprocessing that makes its inputs, and the raw rows held out from training.</summary>
/// <param name="Model">The trained model.</param>
/// <param name="Preprocessing">The fitted preprocessing with the raw input columns and class names.</param>
/// <param name="TestRows">The held-out rows, raw (before preprocessing), with their label.</param>
/// <param name="Drift">The training rows' distribution per raw measurement, for watching live inputs (<c>GET /drift</c>).</param>
public sealed record TrainedTumourModel(TumourNet Model, PreprocessingDocument Preprocessing, Table<Test> TestRows, DriftMonitor Drift);

/// <summary>
/// The training recipe behind the deployed model file: a stratified 80/20 split of the Wisconsin breast-cancer data,
/// a median imputer and a standard scaler fitted on the training rows, and 60 epochs of Adam. Everything is seeded,
/// so the same seed gives the same file bit for bit on one machine.
/// </summary>
public static class TumourTraining
{
    /// <summary>The label column of the raw rows: "malignant" or "benign".</summary>
    public const string LabelName = "diagnosis";

    /// <summary>The 30 raw measurements in file order: ten means, ten standard errors, ten "worst" values.</summary>
    public static readonly string[] FeatureNames = MakeFeatureNames();

    /// <summary>The dataset copied next to the program (<c>data/breast_cancer.csv</c>).</summary>
    public static string DefaultDataPath => Path.Combine(AppContext.BaseDirectory, "data", "breast_cancer.csv");

    private static string[] MakeFeatureNames()
    {
        string[] measurements = ["radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity", "concave points", "symmetry", "fractal dimension"];
        return [.. measurements.Select(m => "mean " + m), .. measurements.Select(m => m + " error"), .. measurements.Select(m => "worst " + m)];
    }

    /// <summary>Trains the model on the training part of <paramref name="dataPath"/>.</summary>
    /// <param name="dataPath">breast_cancer.csv in the samples' labelled CSV format.</param>
    /// <param name="seed">Seed of the initialisation and of the shuffling.</param>
    public static TrainedTumourModel Train(string dataPath, int seed = 1)
    {
        var tumours = Datasets.LoadLabeledTable(dataPath, FeatureNames, labelName: LabelName, sourceName: Path.GetFileName(dataPath));
        var (train, test) = Split.TrainTest(tumours, testFraction: 0.2, SplitKind.Stratified, seed: 42);
        // The imputer lets a caller send a measurement as missing (null); the scaler then sees the training median.
        var recipe = new Pipeline(new Imputer(ImputeStrategy.Median), new StandardScaler());
        var (fitted, trainRows) = recipe.FitTransform(train);
        var model = new TumourNet(seed: seed);
        model.Fit(trainRows.ToDataset(trainRows.FeatureColumns, TargetKind.ClassIndex), epochs: 60, batchSize: 32, optimizer: new Adam(0.01f), seed: seed);
        var document = PreprocessingDocument.Create(train, fitted, trainRows.FeatureColumns);
        return new TrainedTumourModel(model, document, test, DriftMonitor.Create(train));
    }

    /// <summary>
    /// Writes raw rows as CSV with a header of column names: numbers in round-trip form, categories as their level, missing
    /// values as empty fields. <see cref="CsvReader.ReadTable(string, TableSchema, CsvOptions?, string?)"/> with the
    /// document's <see cref="PreprocessingDocument.Schema"/> reads it back to the same values.
    /// </summary>
    /// <param name="table">The rows.</param>
    /// <param name="path">The file to write (replaced).</param>
    public static void WriteCsv(Table table, string path)
    {
        ArgumentNullException.ThrowIfNull(table);
        var text = new StringBuilder();
        text.AppendJoin(',', table.Columns.Select(c => Quote(c.Name))).Append('\n');
        for (int r = 0; r < table.RowCount; r++)
        {
            for (int c = 0; c < table.ColumnCount; c++)
            {
                if (c > 0) text.Append(',');
                var column = table.Columns[c];
                if (column.IsMissing(r)) continue;
                text.Append(column.Type == ColumnType.Number ? column[r].ToString("R", CultureInfo.InvariantCulture) : Quote(column.Format(r)));
            }
            text.Append('\n');
        }
        File.WriteAllText(path, text.ToString());
    }

    private static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
