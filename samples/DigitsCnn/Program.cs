using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using DigitsCnn;
using ModelGen;
using ModelGen.Data;
using ModelGen.Metrics;

// Trains a LeNet-style CNN on the UCI digits as 1×8×8 images: the first 1437 rows train, the last
// 360 rows test, pixels scaled to 0..1. The last rows come from writers absent from the first, so the
// recipe aims at new handwriting: every training image is shifted by up to one pixel each way, drawn
// afresh for every row and epoch (Fit's seeded augmentation; the test rows are never shifted), the
// network has BatchNorm and dropout, and three members trained from different seeds vote by summing
// their logits.
//   dotnet run -c Release --project samples/DigitsCnn [-- path/to/digits.csv.gz] [--epochs N] [--seed S] [--members M]
//   ... [--validate]: instead of testing, 5-fold cross-validation over contiguous blocks of the training
//   rows (so each fold's writers are mostly unseen, as the test writers are); the recipe was chosen this way.

string path = Path.Combine(AppContext.BaseDirectory, "data", "digits.csv.gz");
int epochs = 135, seed = 42, members = 3;
bool validate = false;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--epochs" && i + 1 < args.Length) epochs = int.Parse(args[++i]);
    else if (args[i] == "--seed" && i + 1 < args.Length) seed = int.Parse(args[++i]);
    else if (args[i] == "--members" && i + 1 < args.Length) members = int.Parse(args[++i]);
    else if (args[i] == "--validate") validate = true;
    else path = args[i];
}
string[] classNames = Enumerable.Range(0, 10).Select(d => d.ToString()).ToArray();
var digits = Datasets.LoadLabeledTable(path, classNames: classNames);
// The rows come in blocks by writer, so the published split keeps their order: a shuffled one would test on writers seen in training.
var (trainRows, testRows) = Split.TrainTest(digits, testFraction: 360.0 / digits.RowCount, SplitKind.InOrder, seed: 0);
// 64 pixels per row, which the model reads as one 8×8 channel; scaled by the images' fixed range, 0..16 → 0..1.
var (train, test) = (Pixels(trainRows), Pixels(testRows));
Console.WriteLine(new DigitsLeNet(seed).Summary());
Console.WriteLine();
var clock = Stopwatch.StartNew();

if (validate)
{
    const int folds = 5;
    double singleSum = 0, ensembleSum = 0;
    for (int fold = 0; fold < folds; fold++)
    {
        int start = fold * train.Count / folds, end = (fold + 1) * train.Count / folds;
        var held = train.Slice(start, end - start);
        var rest = Concat(train.Slice(0, start), train.Slice(end, train.Count - end));
        var (single, ensemble) = Accuracies(TrainEnsemble(rest, quiet: true), held);
        singleSum += single;
        ensembleSum += ensemble;
        Console.WriteLine($"fold {fold + 1} (rows {start}..{end - 1}): first member {single:F4}, ensemble of {members} {ensemble:F4}");
    }
    Console.WriteLine($"cross-validation accuracy: first member {singleSum / folds:F4}, ensemble of {members} {ensembleSum / folds:F4} ({clock.Elapsed.TotalSeconds:F1} s)");
    return;
}

var models = TrainEnsemble(train, quiet: false);
Console.WriteLine($"trained {members} member(s) in {clock.Elapsed.TotalSeconds:F1} s");
var labels = test.Targets.Select(t => (int)t).ToArray();
var predicted = VotedClasses(models, test);
for (int m = 0; m < models.Length; m++)
{
    var evaluation = models[m].Evaluate(test);
    Console.WriteLine($"member {m + 1}: test loss {evaluation.Loss:F4}, accuracy {evaluation.Accuracy:F4}");
}
Console.WriteLine();
Console.WriteLine(ClassificationMetrics.Compute(labels, predicted, 10, classNames));
Console.WriteLine($"test accuracy {predicted.Zip(labels).Count(p => p.First == p.Second) / (double)labels.Length:F4}");

// Each member: its own seed for initialisation, shuffling and dropout; Adam with cosine decay over all steps.
DigitsLeNet[] TrainEnsemble(Dataset rows, bool quiet)
{
    // A random shift of up to one pixel per row and epoch: over 135 epochs each row is seen about 15 times at each of the 9 offsets.
    var shifts = new ImageAugmentation(channels: 1, height: 8, width: 8) { MaxShift = 1 };
    if (!quiet) Console.WriteLine($"{rows.Count} training rows, each shifted by up to one pixel in every epoch");
    const int batchSize = 64;
    long steps = epochs * (long)Math.Ceiling(rows.Count / (double)batchSize);
    var trained = new DigitsLeNet[members];
    for (int m = 0; m < members; m++)
    {
        int memberSeed = seed + 1000 * m;
        trained[m] = new DigitsLeNet(memberSeed);
        trained[m].Fit(rows, epochs: epochs, batchSize: batchSize, optimizer: new Adam(1e-3f), schedule: new CosineDecay(steps),
            seed: memberSeed, augment: shifts, onEpoch: e => { if (!quiet && (e.Epoch % 45 == 0 || e.Epoch == 1)) Console.WriteLine($"member {m + 1} {e}"); });
    }
    return trained;
}

// The class with the largest summed logit over the members.
static int[] VotedClasses(DigitsLeNet[] models, Dataset rows)
{
    var summed = new float[rows.Count * 10];
    foreach (var model in models)
    {
        var logits = model.Predict(rows);
        for (int i = 0; i < summed.Length; i++) summed[i] += logits[i];
    }
    return Enumerable.Range(0, rows.Count).Select(r =>
    {
        var row = summed.AsSpan(r * 10, 10);
        return row.IndexOf(MaxOf(row));
    }).ToArray();
}

static float MaxOf(ReadOnlySpan<float> values)
{
    float max = float.NegativeInfinity;
    foreach (float v in values) max = Math.Max(max, v);
    return max;
}

static (double First, double Ensemble) Accuracies(DigitsLeNet[] models, Dataset rows)
{
    var labels = Enumerable.Range(0, rows.Count).Select(rows.Label).ToArray();
    double Share(int[] classes) => classes.Zip(labels).Count(p => p.First == p.Second) / (double)rows.Count;
    return (Share(models[0].PredictClasses(rows)), Share(VotedClasses(models, rows)));
}

static Dataset Concat(Dataset a, Dataset b) => Dataset.ForClassification(
    a.Features.Concat(b.Features).ToArray(), a.FeatureCount,
    Enumerable.Range(0, a.Count).Select(a.Label).Concat(Enumerable.Range(0, b.Count).Select(b.Label)).ToArray(), a.ClassCount);

static Dataset Pixels(Table rows) => rows.ToDataset(TargetKind.ClassIndex).MapFeatures(pixel => pixel / 16f);
