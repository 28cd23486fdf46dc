using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Digits;
using ModelGen;
using ModelGen.Data;
using ModelGen.Metrics;
using ModelGen.Plots;

// Trains the digits MLP on the UCI handwritten digits (8×8 images, 10 classes): the first 1437
// rows train, the last 360 rows test, pixels scaled from 0..16 to 0..1.
//   dotnet run -c Release --project samples/Digits [-- path/to/digits.csv.gz]
// First the recipe is watched on a validation split of the training rows (its curves are written as
// a PNG), then the model is trained on all 1437 training rows and tested once.

var total = Stopwatch.StartNew();
string path = args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "data", "digits.csv.gz");
string[] classNames = Enumerable.Range(0, 10).Select(d => d.ToString()).ToArray();
var digits = Datasets.LoadLabeledTable(path, classNames: classNames);   // this file has no header line
// The rows come in blocks by writer, so the published split keeps their order: a shuffled one would test on writers seen in training.
var (trainRows, testRows) = Split.TrainTest(digits, testFraction: 360.0 / digits.RowCount, SplitKind.InOrder, seed: 0);
var (train, test) = (Pixels(trainRows), Pixels(testRows));
Console.WriteLine($"digits: {train.Count} training rows, {test.Count} test rows, {train.FeatureCount} features");

Console.WriteLine(new DigitsMlp(seed: 42).Summary());
Console.WriteLine();

// Live progress in a terminal (one line rewritten during each epoch), one plain line per epoch when redirected.
var progress = ConsoleProgress.Default;
TrainingHistory Train(DigitsMlp model, Dataset rows, Dataset? validation) =>
    model.Fit(rows, validation, epochs: 30, batchSize: 64, optimizer: new Adam(1e-3f), seed: 42, progress: progress);

// 1. The recipe watched: the last 144 training rows (other writers than most of the rest) validate; the test rows stay unseen.
var (fitRows, validationRows) = Split.TrainValidation(trainRows, validationFraction: 144.0 / trainRows.RowCount, SplitKind.InOrder, seed: 0);
var (fit, validation) = (Pixels(fitRows), Pixels(validationRows));
Console.WriteLine($"== Watching the recipe: {fit.Count} rows train, {validation.Count} training rows validate ==");
var watched = Train(new DigitsMlp(seed: 42), fit, validation);
string output = Path.Combine(AppContext.BaseDirectory, "output");
Directory.CreateDirectory(output);
string curves = Path.Combine(output, "digits-curves.png");
watched.SaveCurves(curves);
watched.ToCsv(Path.Combine(output, "digits-history.csv"));
var best = watched.MaxBy(e => e.ValidationAccuracy)!;
Console.WriteLine($"curves: {curves}");
Console.WriteLine($"best validation accuracy {best.ValidationAccuracy:F4} at epoch {best.Epoch}; last epoch: training accuracy {watched[^1].TrainAccuracy:F4}, validation {watched[^1].ValidationAccuracy:F4}");
Console.WriteLine();

// 2. The same recipe on all training rows.
Console.WriteLine($"== Final model: all {train.Count} training rows ==");
var model = new DigitsMlp(seed: 42);
var clock = Stopwatch.StartNew();
Train(model, train, null);
Console.WriteLine($"trained in {clock.Elapsed.TotalSeconds:F2} s");

// The test rows are used once, here, after training.
var evaluation = model.Evaluate(test);
// The class names came with the file's rows; the report prints them in its tables and confusion matrix.
var report = ClassifierReport.Compute(test, model.PredictProbabilities(test), topK: 3);
Console.WriteLine();
Console.WriteLine(report);
Console.WriteLine($"test loss {evaluation.Loss:F4}");
Console.WriteLine($"test accuracy {evaluation.Accuracy:F4}");
Console.WriteLine($"sample ran in {total.Elapsed.TotalSeconds:F1} s");

// The model's rows: pixels scaled by the fixed range of the images, 0..16 → 0..1 (the same for every row, so nothing is learned from the data).
static Dataset Pixels(Table rows) => rows.ToDataset(TargetKind.ClassIndex).MapFeatures(pixel => pixel / 16f);
