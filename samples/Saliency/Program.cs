using System;
using System.IO;
using System.Linq;
using ModelGen;
using ModelGen.Data;
using ModelGen.Plots;
using Saliency;

// Saliency maps of a digits CNN: for each test image, |d score/d pixel| of the class the network predicts (the logit,
// before softmax), from the generated backward pass (Model.InputGradientFromOutputs). Bright pixels are the ones whose
// change would move that class's score most. Writes saliency.png: rows of digits, each followed by a row of their maps.
//   dotnet run -c Release --project samples/Saliency [-- path/to/digits.csv.gz] [--epochs N] [--seed S] [--out folder]

string path = Path.Combine(AppContext.BaseDirectory, "data", "digits.csv.gz");
int epochs = 30, seed = 42;
string outFolder = Path.Combine(AppContext.BaseDirectory, "output");   // beside the binary, as the other samples; --out picks another
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--epochs" && i + 1 < args.Length) epochs = int.Parse(args[++i]);
    else if (args[i] == "--seed" && i + 1 < args.Length) seed = int.Parse(args[++i]);
    else if (args[i] == "--out" && i + 1 < args.Length) outFolder = args[++i];
    else path = args[i];
}
string[] classNames = Enumerable.Range(0, 10).Select(d => d.ToString()).ToArray();
var digits = Datasets.LoadLabeledTable(path, classNames: classNames);
// DigitsCnn's split: the last 360 rows (other writers) test; pixels 0..16 → 0..1.
var (trainRows, testRows) = Split.TrainTest(digits, testFraction: 360.0 / digits.RowCount, SplitKind.InOrder, seed: 0);
var train = trainRows.ToDataset(TargetKind.ClassIndex).MapFeatures(p => p / 16f);
var test = testRows.ToDataset(TargetKind.ClassIndex).MapFeatures(p => p / 16f);

var model = new DigitsSaliencyCnn(seed);
var shifts = new ImageAugmentation(channels: 1, height: 8, width: 8) { MaxShift = 1 };
model.Fit(train, epochs: epochs, batchSize: 64, optimizer: new Adam(1e-3f), seed: seed, augment: shifts,
    onEpoch: e => { if (e.Epoch % 10 == 0 || e.Epoch == 1) Console.WriteLine(e); });
var evaluation = model.Evaluate(test);
Console.WriteLine($"test loss {evaluation.Loss:F4}, accuracy {evaluation.Accuracy:F4}");

// Four test images of each class, the first ones in file order.
const int perClass = 4;
var rows = Enumerable.Range(0, 10).SelectMany(c => Enumerable.Range(0, test.Count).Where(r => test.Label(r) == c).Take(perClass)).ToArray();
int batch = rows.Length, pixels = model.InputSize;
var images = new float[batch * pixels];
for (int i = 0; i < batch; i++) test.Features.AsSpan(rows[i] * pixels, pixels).CopyTo(images.AsSpan(i * pixels));

// d(score of the predicted class)/d(pixels), one image per row: the output gradient is 1 at that class and 0 elsewhere.
var logits = new float[batch * 10];
model.Predict(images, batch, logits);
var predicted = Enumerable.Range(0, batch).Select(i => { var row = logits.AsSpan(i * 10, 10); return row.IndexOf(row.ToArray().Max()); }).ToArray();
var oneHot = new float[batch * 10];
for (int i = 0; i < batch; i++) oneHot[i * 10 + predicted[i]] = 1f;
var gradient = new float[batch * pixels];
model.InputGradientFromOutputs(images, oneHot, batch, gradient);
var saliency = gradient.Select(Math.Abs).ToArray();
Console.WriteLine($"{predicted.Zip(rows).Count(p => p.First == test.Label(p.Second))} of {batch} shown images classified correctly");

// The grid: 10 columns; each row of digits (gray values drawn through the same colormap) is followed by their maps.
const int columns = 10;
var grid = new float[2 * batch * pixels];
int at = 0;
for (int start = 0; start < batch; start += columns)
{
    for (int i = start; i < start + columns; i++) Normalised(images.AsSpan(i * pixels, pixels)).CopyTo(grid.AsSpan(at++ * pixels));
    for (int i = start; i < start + columns; i++) Normalised(saliency.AsSpan(i * pixels, pixels)).CopyTo(grid.AsSpan(at++ * pixels));
}
Directory.CreateDirectory(outFolder);
string png = Path.Combine(outFolder, "saliency.png");
var (width, height) = ImageGrid.SavePng(png, grid, 2 * batch, 8, 8, new ImageGridOptions { Columns = columns, Scale = 8, Colormap = ImageColormap.Heat, Min = 0, Max = 1 });
Console.WriteLine($"wrote {png} ({width}×{height}): rows of digits, each followed by |d score/d pixel| of the predicted class, each map scaled to its own maximum");

// Each image scaled to 0..1 by its own maximum, so the maps of confident and unsure predictions are equally visible.
static float[] Normalised(ReadOnlySpan<float> image)
{
    float max = 0;
    foreach (float v in image) max = Math.Max(max, v);
    var result = image.ToArray();
    if (max > 0) for (int i = 0; i < result.Length; i++) result[i] /= max;
    return result;
}
