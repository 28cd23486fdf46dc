using System;
using System.IO;
using System.Linq;
using ModelGen;
using ModelGen.Data;
using ModelGen.Metrics;
using WideDeep;

// A wide & deep model (two inputs joined by Tensor.Concat) on the Wisconsin breast cancer data, done the leakage-safe
// way: split first (stratified, seeded), the scaler fitted on the training rows only, the test rows evaluated once.
//   dotnet run -c Release --project samples/WideDeep [-- path/to/breast_cancer.csv]

string path = args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "data", "breast_cancer.csv");
string[] measurements = ["radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity", "concave points", "symmetry", "fractal dimension"];
string[] wide = [.. measurements.Select(m => "worst " + m)];
string[] deep = [.. measurements.Select(m => "mean " + m), .. measurements.Select(m => m + " error")];

Table<Unsplit> tumours = Datasets.LoadLabeledTable(path, [.. wide, .. deep], labelName: "diagnosis", sourceName: "breast_cancer.csv");
var (train, test) = Split.TrainTest(tumours, testFraction: 0.2, SplitKind.Stratified, seed: 42);
Console.WriteLine($"{train}\n{test}");

// Standardisation learned from the training rows only, then applied to both parts.
var (scaler, trainRows) = new Pipeline(new StandardScaler()).FitTransform(train);
var testRows = scaler.Transform(test);

// Each row holds the wide block (10 values) and then the deep block (20), named as the model's [Input]s.
Dataset Samples(Table rows) => rows.ToDataset([.. wide, .. deep], TargetKind.Value).WithInputs(("wide", wide.Length), ("deep", deep.Length));
var trainData = Samples(trainRows);
var testData = Samples(testRows);

var model = new TumourWideDeep(seed: 7);
Console.WriteLine(model.Summary());
var history = model.Fit(trainData, epochs: 40, batchSize: 32, optimizer: new Adam(0.003f), seed: 1, l2: 1e-3f);
Console.WriteLine($"training loss: epoch 1 {history[0].TrainLoss:F4}, epoch {history.Count} {history[^1].TrainLoss:F4}");

var scores = ModelScores.Evaluate(model, testData);
Console.WriteLine($"test ({testData.Count} rows): accuracy {scores.Accuracy:F4}  ROC-AUC {scores.RocAuc:F4}  F1 {scores.F1:F4}");
Console.WriteLine(LeakageAudit.Check(trainRows, testRows));
