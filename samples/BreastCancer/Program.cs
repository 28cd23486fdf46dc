using System;
using System.IO;
using System.Linq;
using BreastCancer;
using ModelGen;
using ModelGen.Data;
using ModelGen.Metrics;

// Logistic regression on the Wisconsin breast cancer data (569 tumours, 30 measurements, malignant / benign), done the
// leakage-safe way: split first; preprocessing fitted inside each cross-validation fold; the test rows used once.
//   dotnet run -c Release --project samples/BreastCancer [-- path/to/breast_cancer.csv]

string path = args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "data", "breast_cancer.csv");
string[] measurements = ["radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity", "concave points", "symmetry", "fractal dimension"];
string[] features = [.. measurements.Select(m => "mean " + m), .. measurements.Select(m => m + " error"), .. measurements.Select(m => "worst " + m)];

// A typed table: 30 numeric features and the label 'diagnosis', a category (malignant, benign); every row knows its source line.
Table<Unsplit> tumours = Datasets.LoadLabeledTable(path, features, labelName: "diagnosis", sourceName: "breast_cancer.csv");
Console.WriteLine(tumours);

// Training target: 1 = benign (the level index of the two-level label); F1 below is that of class 1, as scikit-learn's default.
const TargetKind Target = TargetKind.Value;
void Train(TumourClassifier model, Dataset data) => model.Fit(data, epochs: 60, batchSize: 32, optimizer: new Adam(0.01f), seed: 1);
static string Line(ModelScores s) => $"accuracy {s.Accuracy:F4}  ROC-AUC {s.RocAuc:F4}  F1 {s.F1:F4}";

// 1. Split once, stratified by the label; the test part is typed Table<Test> and cannot be fitted on.
var (train, test) = Split.TrainTest(tumours, testFraction: 0.2, SplitKind.Stratified, seed: 42);
Console.WriteLine($"{train}\n{test}  (benign share: train {Share(train):P1}, test {Share(test):P1})");
Console.WriteLine();

// 2. What leakage looks like, and what the run-time audit says about it.
Console.WriteLine("== Leaky: a scaler fitted on every row before the split, and training rows that include the test rows ==");
// Deliberately leaky, so building this sample shows the build-time check at work:
//   warning MG0019: 'StandardScaler.Fit' is fitted on …, which include the rows that 'Split.TrainTest' holds out for testing
var scalerOnAllRows = new StandardScaler().Fit(tumours.AsTrain());
Console.WriteLine(LeakageAudit.Check(scalerOnAllRows, test));
Console.WriteLine(LeakageAudit.Check(tumours.AsTrain(), test));
Console.WriteLine();

// 3. The corrected, leakage-safe recipe: 5-fold stratified cross-validation on the training rows, the scaler inside the pipeline.
Console.WriteLine("== Leakage-safe: 5-fold stratified cross-validation, StandardScaler fitted inside each fold ==");
var recipe = new Pipeline(new StandardScaler());
var folds = Split.KFold(train, k: 5, SplitKind.Stratified, seed: 42);
var cv = CrossValidation.Run(folds, recipe, fold => new TumourClassifier(seed: fold), Train, Target);
foreach (var f in cv.Folds)
{
    // Each fold's scaler saw that fold's training rows and none of its validation rows.
    bool sawValidation = f.Preprocessing!.FittedOn.Select(p => p.Id).Intersect(folds[f.Fold].Validation.Provenance.Select(p => p.Id)).Any();
    Console.WriteLine($"fold {f.Fold + 1}: train {f.TrainRows} rows, validation {f.ValidationRows} rows  {Line(f.Scores)}  scaler saw validation rows: {(sawValidation ? "yes" : "no")}");
}
Console.WriteLine($"mean:   {Line(cv.Mean)}");
Console.WriteLine($"sd:     {Line(cv.StandardDeviation)}");
foreach (var fold in folds)
{
    var audit = LeakageAudit.Check(fold);
    if (!audit.IsClean) Console.WriteLine(audit);
}
Console.WriteLine("fold audits: " + (folds.All(f => LeakageAudit.Check(f).IsClean) ? "all clean" : "findings above"));
Console.WriteLine();

// 4. The chosen recipe, fitted on all training rows; the test rows are used once, here.
Console.WriteLine("== Final model: pipeline and model fitted on the 455 training rows, evaluated once on the 114 test rows ==");
var (fitted, trainRows) = recipe.FitTransform(train);
var testRows = fitted.Transform(test);
var model = new TumourClassifier(seed: 7);
Train(model, trainRows.ToDataset(trainRows.FeatureColumns, Target));
var testData = testRows.ToDataset(testRows.FeatureColumns, Target);
var scores = ModelScores.Evaluate(model, testData);
Console.WriteLine($"test:   {Line(scores)}  log-loss {scores.LogLoss:F4}");
// The table's label levels travel with the rows, so the report and its confusion matrix say malignant and benign.
Console.WriteLine(ClassifierReport.Compute(testData, model.PredictProbabilities(testData), calibrationBins: 5));
Console.WriteLine();
Console.WriteLine(LeakageAudit.Check(trainRows, testRows));
Console.WriteLine(LeakageAudit.Check(fitted, test));

static double Share(Table t) => t["diagnosis"].Values.ToArray().Average();
