using System;
using System.IO;
using System.Linq;
using ModelGen;
using ModelGen.Data;
using ModelGen.Plots;
using Vae;

// Trains a variational autoencoder on the UCI handwritten digits (8×8 images, pixels 0..16 scaled to 0..1):
// the first 1437 rows train, the last 360 rows are reconstructed after training. Prints the reconstruction loss
// and the KL term per epoch, writes the test digits next to their reconstructions and a grid of new digits
// decoded from codes drawn from the prior N(0, I) with a fixed seed, as PNG.
//   dotnet run -c Release --project samples/Vae [-- path/to/digits.csv.gz]

string path = args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "data", "digits.csv.gz");
var digits = Datasets.LoadLabeledTable(path, classNames: Enumerable.Range(0, 10).Select(d => d.ToString()).ToArray());
var (trainRows, testRows) = Split.TrainTest(digits, testFraction: 360.0 / digits.RowCount, SplitKind.InOrder, seed: 0);
var (train, test) = (Images(trainRows), Images(testRows));
Console.WriteLine($"digits: {train.Count} training images, {test.Count} test images, {train.FeatureCount} pixels each");

var model = new DigitsVae(seed: 42);
Console.WriteLine(model.Summary());
Console.WriteLine();

// The history's loss is the total; each epoch also records the KL term (unweighted), so reconstruction = total − KL/64.
var history = model.Fit(train, test, epochs: 60, batchSize: 64, optimizer: new Adam(2e-3f), seed: 7,
    onEpoch: e =>
    {
        float kl = e.LossTerms["kl"];
        if (e.Epoch % 5 == 0 || e.Epoch == 1)
            Console.WriteLine($"epoch {e.Epoch,3}  loss {e.TrainLoss:F4}  reconstruction (BCE per pixel) {e.TrainLoss - kl / 64:F4}  KL {kl:F3}  val_loss {e.ValidationLoss:F4}");
    });

string output = Path.Combine(AppContext.BaseDirectory, "output");
Directory.CreateDirectory(output);
history.ToCsv(Path.Combine(output, "vae-history.csv"));

// Reconstructions of the first 32 test digits (from μ: inference takes the noise's mean), each below its original.
const int shown = 32;
var logits = new float[shown * 64];
model.Predict(test.Features.AsSpan(0, shown * 64), shown, logits);
var grid = new float[2 * shown * 64];
for (int row = 0; row < shown / 8; row++)
    for (int column = 0; column < 8; column++)
    {
        int image = row * 8 + column;
        test.Features.AsSpan(image * 64, 64).CopyTo(grid.AsSpan(((2 * row) * 8 + column) * 64, 64));
        for (int p = 0; p < 64; p++) grid[((2 * row + 1) * 8 + column) * 64 + p] = 1f / (1f + MathF.Exp(-logits[image * 64 + p]));
    }
string reconstructions = Path.Combine(output, "vae-reconstructions.png");
ImageGrid.SavePng(reconstructions, grid, 2 * shown, 8, 8, new ImageGridOptions { Columns = 8, Min = 0, Max = 1, Scale = 6 });

double bce = 0;
for (int image = 0; image < shown; image++)
    for (int p = 0; p < 64; p++)
    {
        double x = test.Features[image * 64 + p], y = Math.Clamp(grid[((2 * (image / 8) + 1) * 8 + image % 8) * 64 + p], 1e-7, 1 - 1e-7);
        bce -= x * Math.Log(y) + (1 - x) * Math.Log(1 - y);
    }
Console.WriteLine($"test reconstruction BCE per pixel (first {shown} images, from μ): {bce / (shown * 64):F4}");

// New digits: 64 codes from N(0, I), seed 2024, through the trained decoder.
var codes = Tensor.RandomNormal(like: Tensor.Zeros(64, DigitsVae.LatentSize), seed: 2024);
var samples = model.Decode(codes);
string sampleGrid = Path.Combine(output, "vae-samples.png");
ImageGrid.SavePng(sampleGrid, samples.Data, 64, 8, 8, new ImageGridOptions { Columns = 8, Min = 0, Max = 1, Scale = 6 });
Console.WriteLine($"reconstructions (odd rows) under their originals: {reconstructions}");
Console.WriteLine($"samples from the prior: {sampleGrid}");

// Pixels 0..16 → 0..1; the target of each image is the image itself.
static Dataset Images(Table rows)
{
    var features = rows.ToDataset(TargetKind.ClassIndex).MapFeatures(pixel => pixel / 16f).Features;
    return Dataset.ForRegression(features, 64, features, 64);
}
