using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Digits;
using ModelGen;
using ModelGen.Data;
using ModelGen.Metrics;

// Trains the digits MLP on the UCI handwritten digits (8×8 images, 10 classes): the first 1437
// rows train, the last 360 rows test, pixels scaled from 0..16 to 0..1.
//   dotnet run -c Release --project samples/Digits [-- path/to/digits.csv.gz]

string path = args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "data", "digits.csv.gz");
string[] classNames = Enumerable.Range(0, 10).Select(d => d.ToString()).ToArray();
var digits = Datasets.LoadLabeledCsv(path, classNames);   // this file has no header line
var (train, test) = digits.Data.MapFeatures(pixel => pixel / 16f).Split(1437);
Console.WriteLine($"digits: {train.Count} training rows, {test.Count} test rows, {train.FeatureCount} features");

var model = new DigitsMlp(seed: 42);
Console.WriteLine(model.Summary());
Console.WriteLine();

var clock = Stopwatch.StartNew();
model.Fit(train, epochs: 30, batchSize: 64, optimizer: new Adam(1e-3f), seed: 42,
    onEpoch: epoch => Console.WriteLine(epoch));
Console.WriteLine($"trained in {clock.Elapsed.TotalSeconds:F2} s");

// The test rows are used once, here, after training.
var evaluation = model.Evaluate(test);
// The class names came with the file's rows; the report prints them in its tables and confusion matrix.
var report = ClassifierReport.Compute(test, model.PredictProbabilities(test), topK: 3);
Console.WriteLine();
Console.WriteLine(report);
Console.WriteLine($"test loss {evaluation.Loss:F4}");
Console.WriteLine($"test accuracy {evaluation.Accuracy:F4}");
