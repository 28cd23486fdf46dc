using System;
using System.IO;
using System.Linq;
using Gan;
using ModelGen;
using ModelGen.Compute;
using ModelGen.Data;
using ModelGen.Plots;

// A GAN on the 8×8 digits with a composite model. DigitGan is Discriminator(Generator(z)): its two sub-models share their
// parameters with it. Each step trains the discriminator D on its own, on real images (target 1) and the generator G's
// images (target 0), then trains G through the composite with D's layers frozen: the composite's loss against target 1 is
// G's loss, and its backward pass goes through D into G. Nothing is copied between the models. Writes gan-samples.png (a
// fixed set of 64 latent vectors).
//   dotnet run -c Release --project samples/Gan [-- path/to/digits.csv.gz] [--steps N] [--seed S] [--out folder]

string path = Path.Combine(AppContext.BaseDirectory, "data", "digits.csv.gz");
int steps = 6000, seed = 7;
string outFolder = Path.Combine(AppContext.BaseDirectory, "output");   // beside the binary, as the other samples; --out picks another
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--steps" && i + 1 < args.Length) steps = int.Parse(args[++i]);
    else if (args[i] == "--seed" && i + 1 < args.Length) seed = int.Parse(args[++i]);
    else if (args[i] == "--out" && i + 1 < args.Length) outFolder = args[++i];
    else path = args[i];
}
var digits = Datasets.LoadLabeledTable(path, classNames: Enumerable.Range(0, 10).Select(d => d.ToString()).ToArray());
var real = digits.ToDataset(TargetKind.ClassIndex).MapFeatures(p => p / 16f).Features;   // every row, pixels 0..1
int rows = real.Length / 64;
Console.WriteLine($"{rows} real images");

var generator = new DigitGenerator(seed);
var discriminator = new DigitDiscriminator(seed + 1);
var gan = new DigitGan(generator, discriminator);   // D(G(z)), sharing both models' parameters
gan.Freeze("Judge");                                // the composite's steps train the generator only
var optimizerG = new Adam(2e-4f, beta1: 0.5f);
var optimizerD = new Adam(2e-4f, beta1: 0.5f);
const int batch = 64, latent = 16;
var rng = new Rng(seed, stream: 3);

// Buffers made once: nothing below allocates per step.
var z = new float[batch * latent];
var both = new float[2 * batch * 64];                                     // D's batch: real rows, then generated ones
var bothTargets = Enumerable.Range(0, 2 * batch).Select(r => r < batch ? 1f : 0f).ToArray();
var ones = Enumerable.Repeat(1f, batch).ToArray();
var order = Enumerable.Range(0, rows).ToArray();
int next = rows;

for (int step = 1; step <= steps; step++)
{
    // D on its own: one batch of real rows (reshuffled every pass) and one of G's images.
    for (int r = 0; r < batch; r++)
    {
        if (next == rows) { Shuffle(order, ref rng); next = 0; }
        real.AsSpan(order[next++] * 64, 64).CopyTo(both.AsSpan(r * 64));
    }
    Latent(z, ref rng);
    generator.ForwardTraining(z, batch).CopyTo(both.AsSpan(batch * 64));
    float lossD = discriminator.TrainStep(both, bothTargets, 2 * batch, optimizerD);

    // G through the composite: new latent vectors, judged by the frozen D against target 1.
    Latent(z, ref rng);
    float lossG = gan.TrainStep(z, ones, batch, optimizerG);

    if (step % 500 == 0 || step == 1)
        Console.WriteLine($"step {step,5}: D loss {lossD:F4} (real and generated, mean), G loss {lossG:F4}");
}

// A fixed grid: the same 64 latent vectors for every run with this seed.
var sampleRng = new Rng(seed, stream: 9);
var fixedZ = new float[batch * latent];
Latent(fixedZ, ref sampleRng);
var samples = new float[batch * 64];
generator.Predict(fixedZ, batch, samples);
Directory.CreateDirectory(outFolder);
string png = Path.Combine(outFolder, "gan-samples.png");
var (width, height) = ImageGrid.SavePng(png, samples, batch, 8, 8, new ImageGridOptions { Columns = 8, Scale = 8, Min = 0, Max = 1 });
Console.WriteLine($"wrote {png} ({width}×{height}): 64 generated digits");

var realGrid = new float[batch * 64];
for (int r = 0; r < batch; r++) real.AsSpan(r * 64, 64).CopyTo(realGrid.AsSpan(r * 64));
string realPng = Path.Combine(outFolder, "gan-real.png");
ImageGrid.SavePng(realPng, realGrid, batch, 8, 8, new ImageGridOptions { Columns = 8, Scale = 8, Min = 0, Max = 1 });
Console.WriteLine($"wrote {realPng}: the first 64 real digits, for comparison");

static void Latent(Span<float> z, ref Rng rng)
{
    for (int i = 0; i < z.Length; i++) z[i] = (float)rng.NextGaussian();
}

static void Shuffle(int[] order, ref Rng rng)
{
    for (int i = order.Length - 1; i > 0; i--)
    {
        int j = rng.NextInt(i + 1);
        (order[i], order[j]) = (order[j], order[i]);
    }
}
