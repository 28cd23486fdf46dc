using System;
using System.IO;
using System.Linq;
using BreastCancer;
using ModelGen;
using ModelGen.Data;
using ModelGen.Metrics;
using ModelGen.Plots;

// Logistic regression on the Wisconsin breast cancer data (569 tumours, 30 measurements, malignant / benign), done the
// leakage-safe way: split first; preprocessing fitted inside each cross-validation fold; the test rows used once.
//   dotnet run -c Release --project samples/BreastCancer [-- path/to/breast_cancer_headed.csv]

string path = args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "data", "breast_cancer_headed.csv");

// An ordinary CSV with a header line: the column types are inferred (number, category or date) and reported with the
// missing cells; the label is marked afterwards. Every row knows its source line.
var inferred = CsvReader.InferSchema(path);
Console.WriteLine(inferred);
Table<Unsplit> tumours = CsvReader.ReadTable(path, inferred.Schema, sourceName: "breast_cancer_headed.csv").WithRole("diagnosis", ColumnRole.Label);
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

// 4. Watching the recipe learn: fold 1's pipeline and model, with its validation rows scored after every epoch (they choose
// nothing). Live progress in a terminal, one line per epoch when redirected; the curves go to a PNG.
Console.WriteLine("== Learning curves: fold 1, its validation rows scored after every epoch ==");
var (foldFitted, foldTrain) = recipe.FitTransform(folds[0].Train);
var foldValidation = foldFitted.Transform(folds[0].Validation);
var watched = new TumourClassifier(seed: 0).Fit(foldTrain.ToDataset(foldTrain.FeatureColumns, Target), foldValidation.ToDataset(foldValidation.FeatureColumns, Target),
    epochs: 60, batchSize: 32, optimizer: new Adam(0.01f), seed: 1, progress: ConsoleProgress.Default,
    metrics: [new EpochMetric("f1", BenignF1) { OnTrainingSet = true }]);
string output = Path.Combine(AppContext.BaseDirectory, "output");
Directory.CreateDirectory(output);
string curves = Path.Combine(output, "breast-cancer-curves.png");
watched.SaveCurves(curves);
Console.WriteLine($"curves: {curves}");
Console.WriteLine();

// 5. The chosen recipe, fitted on all training rows; the test rows are used once, here.
Console.WriteLine("== Final model: pipeline and model fitted on the 455 training rows, evaluated once on the 114 test rows ==");
var (fitted, trainRows) = recipe.FitTransform(train);
var testRows = fitted.Transform(test);
var model = new TumourClassifier(seed: 7);
model.Fit(trainRows.ToDataset(trainRows.FeatureColumns, Target), epochs: 60, batchSize: 32, optimizer: new Adam(0.01f), seed: 1, progress: ConsoleProgress.Default);
var testData = testRows.ToDataset(testRows.FeatureColumns, Target);
var scores = ModelScores.Evaluate(model, testData);
Console.WriteLine($"test:   {Line(scores)}  log-loss {scores.LogLoss:F4}");
// The table's label levels travel with the rows, so the report and its confusion matrix say malignant and benign.
Console.WriteLine(ClassifierReport.Compute(testData, model.PredictProbabilities(testData), calibrationBins: 5));
Console.WriteLine();
Console.WriteLine(LeakageAudit.Check(trainRows, testRows));
Console.WriteLine(LeakageAudit.Check(fitted, test));

static double Share(Table t) => t["diagnosis"].Values.ToArray().Average();

// F1 of class 1 (benign) from the model's logits (> 0: benign), as scikit-learn's f1_score.
static float BenignF1(float[] logits, float[] targets)
{
    int truePositive = 0, falsePositive = 0, falseNegative = 0;
    for (int i = 0; i < logits.Length; i++)
    {
        bool predicted = logits[i] > 0, actual = targets[i] > 0.5f;
        if (predicted && actual) truePositive++;
        else if (predicted) falsePositive++;
        else if (actual) falseNegative++;
    }
    return truePositive == 0 ? 0f : 2f * truePositive / (2 * truePositive + falsePositive + falseNegative);
}
