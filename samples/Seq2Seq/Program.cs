using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using ModelGen;
using Seq2Seq;

// An encoder–decoder transformer that sorts 8 random digits. It trains teacher-forced on (source, sorted) pairs: the decoder
// reads the start id and the sorted digits shifted by one and learns the next id at every position. Then it sorts 1,000
// held-out sources that are not in the training set, decoding greedily: one forward pass per output position, each feeding
// back the arg-max. Prints the exact-match accuracy (all 8 digits and the end id right), the accuracy per position and a
// few examples; writes the history and every held-out prediction as CSV.
//   dotnet run -c Release --project samples/Seq2Seq [-- --train N] [--held-out N] [--epochs N] [--batch N] [--lr R] [--seed S] [--model base|small] [--out folder]

int trainCount = 20_000, heldOutCount = 1_000, epochs = 5, batch = 64, seed = 42;
float learningRate = 1e-3f;
string size = "base";
string outFolder = Path.Combine(AppContext.BaseDirectory, "output");   // beside the binary, as the other samples; --out picks another
Dataset train, heldOut;
try
{
    for (int i = 0; i < args.Length; i++)
    {
        string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"'{args[i]}' needs a value.");
        switch (args[i])
        {
            case "--train": trainCount = Count(args[i], value); break;
            case "--held-out": heldOutCount = Count(args[i], value); break;
            case "--epochs": epochs = Count(args[i], value); break;
            case "--batch": batch = Count(args[i], value); break;
            case "--lr": learningRate = float.TryParse(value, CultureInfo.InvariantCulture, out float r) && r > 0 && float.IsFinite(r) ? r : throw new ArgumentException($"--lr takes a positive number, not '{value}'."); break;
            case "--seed": seed = int.TryParse(value, CultureInfo.InvariantCulture, out int s) ? s : throw new ArgumentException($"--seed takes an integer, not '{value}'."); break;
            case "--model": size = value is "base" or "small" ? value : throw new ArgumentException($"--model is 'base' or 'small', not '{value}'."); break;
            case "--out": outFolder = value; break;
            default: throw new ArgumentException($"Unknown option '{args[i]}'; see the comment at the top of Program.cs.");
        }
        i++;
    }

    (train, heldOut) = DigitSorting.Draw(trainCount, heldOutCount, seed);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
Console.WriteLine($"sorting {DigitSorting.Length} digits: {train.Count} training pairs, {heldOut.Count} held-out pairs (sources not in the training set), seed {seed}");
Model model = size == "small" ? new SmallDigitSorter(seed) : new DigitSorter(seed);
Console.WriteLine(model.Summary());
Console.WriteLine();

var clock = Stopwatch.StartNew();
var history = DigitSorting.Train(model, train, epochs, batch, learningRate, seed, ConsoleProgress.Default);
clock.Stop();
Console.WriteLine($"training: {clock.Elapsed.TotalSeconds:F1} s ({epochs} epoch{(epochs == 1 ? "" : "s")} of {train.Count} pairs, batch {batch}, lr {learningRate.ToString(CultureInfo.InvariantCulture)})");

var teacherForced = model.Evaluate(heldOut);
Console.WriteLine($"held-out, teacher-forced: loss {teacherForced.Loss:F4}, token accuracy {teacherForced.Accuracy:P2}");

clock.Restart();
var decoded = DigitSorting.DecodeGreedily(model, heldOut);
clock.Stop();
var cachedTime = clock.Elapsed;
clock.Restart();
var rerun = DigitSorting.DecodeByRerunning(model, heldOut);
clock.Stop();
int disagreeing = Enumerable.Range(0, decoded.Length).Count(i => decoded[i] != rerun[i]);
Console.WriteLine($"greedy decoding of {heldOut.Count} sources: Generate (key/value cache, one source at a time) {cachedTime.TotalMilliseconds:F0} ms; "
    + $"re-running the model once per position (all sources batched) {clock.Elapsed.TotalMilliseconds:F0} ms; "
    + (disagreeing == 0 ? "same ids" : $"{disagreeing} ids differ"));
var labels = heldOut.Targets.Select(t => (int)t).ToArray();   // class indices held as floats
var (exact, rightAt) = DigitSorting.Score(decoded, labels);
Console.WriteLine($"held-out, greedy decoding: {exact} of {heldOut.Count} sorted exactly ({(double)exact / heldOut.Count:P2})");
Console.WriteLine($"accuracy per output position ({DigitSorting.Length} digits, then the end id '$'): "
    + string.Join("  ", rightAt.Select((r, p) => $"{p + 1}:{(double)r / heldOut.Count:P1}")));

const int width = DigitSorting.TargetLength;
string Source(int i) => DigitSorting.Format(heldOut.Features.AsSpan(i * DigitSorting.RowWidth, DigitSorting.Length)
    .ToArray().Select(id => (int)id).ToArray());
Console.WriteLine();
Console.WriteLine("source     prediction  truth");
var wrong = Enumerable.Range(0, heldOut.Count).Where(i => !decoded.AsSpan(i * width, width).SequenceEqual(labels.AsSpan(i * width, width))).ToArray();
Console.WriteLine(wrong.Length == 0 ? "(the first five; every held-out source was sorted exactly)" : $"(the first five, then up to five more of the {wrong.Length} wrong ones)");
foreach (int i in Enumerable.Range(0, Math.Min(5, heldOut.Count)).Concat(wrong.Where(w => w >= 5).Take(5)))
    Console.WriteLine($"{Source(i)}   {DigitSorting.Format(decoded.AsSpan(i * width, width))}   {DigitSorting.Format(labels.AsSpan(i * width, width))}"
        + (wrong.Contains(i) ? "   wrong" : ""));

Directory.CreateDirectory(outFolder);
string historyPath = Path.Combine(outFolder, "seq2seq-history.csv");
history.ToCsv(historyPath);
string predictionsPath = Path.Combine(outFolder, "seq2seq-held-out.csv");
var csv = new StringBuilder("source,prediction,truth,exact\n");
for (int i = 0; i < heldOut.Count; i++)
{
    string predicted = DigitSorting.Format(decoded.AsSpan(i * width, width)), truth = DigitSorting.Format(labels.AsSpan(i * width, width));
    csv.Append(Source(i)).Append(',').Append(predicted).Append(',').Append(truth).Append(',').Append(predicted == truth ? 1 : 0).Append('\n');
}
File.WriteAllText(predictionsPath, csv.ToString());
Console.WriteLine();
Console.WriteLine($"history: {historyPath}");
Console.WriteLine($"held-out predictions: {predictionsPath}");
return 0;

static int Count(string option, string value) =>
    int.TryParse(value, CultureInfo.InvariantCulture, out int n) && n >= 1 ? n : throw new ArgumentException($"{option} takes a whole number ≥ 1, not '{value}'.");
