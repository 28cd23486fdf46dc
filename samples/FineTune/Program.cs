using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using FineTune;
using ModelGen.Serialization;
using ModelGen;
using ModelGen.Data;

// Fine-tuning with frozen layers on the UCI digits (8×8 images): a CNN learns the digits 0–4; a second model for the
// digits 5–9 starts from its convolutions, frozen, and trains only a new head on a few examples per digit. For
// comparison the same second model is trained from scratch (convolutions unfrozen) with the same epochs and rows.
// The first 1437 rows train, the last 360 test (other writers), pixels scaled to 0..1.
//   dotnet run -c Release --project samples/FineTune [-- path/to/digits.csv.gz] [--per-digit N] [--epochs N]

string path = Path.Combine(AppContext.BaseDirectory, "data", "digits.csv.gz");
int perDigit = 20, epochs = 30;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--per-digit" && i + 1 < args.Length) perDigit = int.Parse(args[++i]);
    else if (args[i] == "--epochs" && i + 1 < args.Length) epochs = int.Parse(args[++i]);
    else path = args[i];
}
string[] classNames = Enumerable.Range(0, 10).Select(d => d.ToString()).ToArray();
var digits = Datasets.LoadLabeledCsv(path, classNames);
var (train, test) = digits.Data.MapFeatures(pixel => pixel / 16f).Split(1437);
var clock = Stopwatch.StartNew();

// 1. The digits 0–4, all their training rows.
var lowTrain = Digits(train, from: 0, perDigit: int.MaxValue);
var low = new LowDigits(seed: 1);
low.Fit(lowTrain, epochs: 15, batchSize: 32, optimizer: new Adam(2e-3f), seed: 1);
Console.WriteLine($"0–4: trained on {lowTrain.Count} rows, test accuracy {low.Evaluate(Digits(test, from: 0, perDigit: int.MaxValue)).Accuracy:F4}");
string lowFile = Path.Combine(Path.GetTempPath(), "modelgen-finetune-low-digits.safetensors");
low.Save(lowFile);

// 2. The digits 5–9 from a few rows per digit, on the convolutions learnt for 0–4 (loaded from the saved file,
//    declared Trainable = false).
var highTrain = Digits(train, from: 5, perDigit: perDigit);
var highTest = Digits(test, from: 5, perDigit: int.MaxValue);
var transferred = new HighDigits(seed: 2);
transferred.LoadLayers(lowFile, "C1", "C2");
Console.WriteLine();
Console.WriteLine(transferred.Summary());
transferred.Fit(highTrain, epochs: epochs, batchSize: 16, optimizer: new Adam(3e-3f), seed: 2);
float fineTuned = transferred.Evaluate(highTest).Accuracy;

// 3. The same model and rows from scratch: the convolutions train too.
var scratch = new HighDigits(seed: 2);
scratch.Unfreeze("C1", "C2");
scratch.Fit(highTrain, epochs: epochs, batchSize: 16, optimizer: new Adam(3e-3f), seed: 2);
float fromScratch = scratch.Evaluate(highTest).Accuracy;

Console.WriteLine($"5–9 from {highTrain.Count} rows ({perDigit} per digit), {epochs} epochs, {highTest.Count} test rows:");
Console.WriteLine($"  frozen convolutions from 0–4 + new head: test accuracy {fineTuned:F4} ({transferred.TrainableParameterCount:N0} of {transferred.ParameterCount:N0} parameters trained)");
Console.WriteLine($"  from scratch:                            test accuracy {fromScratch:F4} ({scratch.TrainableParameterCount:N0} parameters trained)");
Console.WriteLine($"({clock.Elapsed.TotalSeconds:F1} s)");

// The rows of the digits from..from+4, at most perDigit of each (in file order), labelled 0–4.
static Dataset Digits(Dataset data, int from, int perDigit)
{
    var taken = new int[5];
    var rows = Enumerable.Range(0, data.Count)
        .Where(r => data.Label(r) - from is >= 0 and < 5 && taken[data.Label(r) - from]++ < perDigit)
        .ToArray();
    var features = rows.SelectMany(r => data.Features.AsSpan(r * data.FeatureCount, data.FeatureCount).ToArray()).ToArray();
    return Dataset.ForClassification(features, data.FeatureCount, rows.Select(r => data.Label(r) - from).ToArray(), 5);
}
