using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Security.Cryptography;
using ModelGen;
using ModelGen.Distributed;

// One rank of a data-parallel Fit, launched by ModelGen.Distributed.Tests under `mpirun -np N` (or alone with --alone).
// It trains a small classifier and writes what the tests compare into --out, one file per rank:
//   rank{r}.hashes   SHA-256 of the parameters before every step (as the schedule sees them) and after Fit
//   rank{r}.shards   the rows this rank trained on, one step per line
//   rank{r}.params   the final parameters, little-endian float32
//   rank{r}.history  epoch count, stop flags and each epoch's training loss and training accuracy
//   rank{r}.evaluate the validation set's evaluation shared over the ranks, then this rank's evaluation of all of it alone
//   rank{r}.pid      this process's id, written before training (the kill test reads it)
//   rank{r}.alloc    (mode alloc) bytes this thread allocated between consecutive steps of an epoch, epochs 2 on
// Modes: train (default); stop (rank 0's onEpochEnd stops after epoch 2); throw (rank 1's schedule throws at step 5);
// alloc (the schedule records allocations instead of hashes); batchnorm (a model with BatchNorm and dropout, whose
// final BatchNorm state's hash is appended to rank{r}.hashes).

var options = WorkerOptions.Parse(args);
using var mpi = options.Alone ? null : Mpi.FromEnvironment();
if (!options.Alone && mpi is null) throw new InvalidOperationException("Not launched by mpirun; pass --alone to train in one process.");
if (mpi is not null && options.RankOrder) mpi.Reduction = GradientReduction.RankOrder;
int rank = mpi?.Rank ?? 0;
Directory.CreateDirectory(options.Out);
string File(string kind) => Path.Combine(options.Out, $"rank{rank}.{kind}");
System.IO.File.WriteAllText(File("pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));

var (train, validation) = ParityData.Create();
Model model = options.Mode == "batchnorm" ? new NormalisedMlp(seed: 3) : new ParityMlp(seed: 3);
var hashes = new List<string>();
var shards = new List<string>();
if (mpi is not null) mpi.ObserveShard = rows => shards.Add(string.Join(',', rows.ToArray()));
var allocations = options.Mode == "alloc" ? new long[options.Epochs * 7] : null;
var schedule = new ObservingSchedule(model, hashes, options.Mode == "throw" && rank == 1 ? 5 : -1, allocations, options.Mode == "batchnorm");
if (allocations is not null) mpi!.ObserveShard = null;   // the test hook's strings would count as the step's allocations

var history = model.Fit(train, validation, epochs: options.Epochs, batchSize: options.Weighted ? 16 : 32, optimizer: new Adam(1e-2f), seed: 11,
    clipGradientNorm: 0.5f, schedule: schedule,
    accumulationSteps: options.Weighted ? 2 : 1, classWeights: options.Weighted ? new[] { 1f, 2f, 0.5f } : null,
    checkpoints: options.Checkpoints is null ? null : new CheckpointOptions(options.Checkpoints),
    resumeFrom: options.Resume is null ? null : Checkpoint.Latest(options.Resume),
    onEpochEnd: options.Mode == "stop" ? (result, _) => result.Epoch >= 2 ? EpochDecision.Stop : EpochDecision.Continue : null,
    distributed: mpi);

hashes.Add(ObservingSchedule.Hash(model.Parameters));
if (options.Mode == "batchnorm") hashes.Add("state " + ObservingSchedule.Hash(model.State));
System.IO.File.WriteAllLines(File("hashes"), hashes);
System.IO.File.WriteAllLines(File("shards"), shards);
var bytes = new byte[model.ParameterCount * sizeof(float)];
System.Runtime.InteropServices.MemoryMarshal.AsBytes(model.Parameters).CopyTo(bytes);
System.IO.File.WriteAllBytes(File("params"), bytes);
var lines = new List<string> { $"epochs {history.Count}", $"stoppedByCallback {history.StoppedByCallback}" };
foreach (var epoch in history) lines.Add(string.Create(CultureInfo.InvariantCulture, $"{epoch.TrainLoss:R} {epoch.TrainAccuracy:R}"));
System.IO.File.WriteAllLines(File("history"), lines);
if (options.Mode == "train")
{
    string Line(Evaluation e) => string.Create(CultureInfo.InvariantCulture, $"{e.Loss:R} {e.Accuracy:R} {e.Count}");
    System.IO.File.WriteAllLines(File("evaluate"), new[] { Line(model.Evaluate(validation, batchSize: 16, distributed: mpi)), Line(model.Evaluate(validation, batchSize: 16)) });
}
if (allocations is not null)
{
    // Step s's figure is what was allocated since step s − 1 began: one whole step. The first step of an epoch also carries the
    // previous epoch's end (history, validation), and epoch 1 builds the graph and the optimizer state.
    var steps = new List<string>();
    for (int step = 8; step < allocations.Length; step++)
        if (step % 7 != 0) steps.Add(allocations[step].ToString(CultureInfo.InvariantCulture));
    System.IO.File.WriteAllLines(File("alloc"), steps);
}

/// <summary>A constant learning rate that records a hash of the parameters before every step, and can fail on purpose.</summary>
sealed class ObservingSchedule(Model model, List<string> hashes, long failAt, long[]? allocations, bool epochState) : LearningRateSchedule
{
    private long _allocatedBefore;

    public override float Rate(long step, float baseRate)
    {
        if (step == failAt) throw new InvalidOperationException($"injected failure at step {step}");
        if (allocations is not null)
        {
            long now = GC.GetAllocatedBytesForCurrentThread();
            allocations[step] = now - _allocatedBefore;
            _allocatedBefore = now;
        }
        else hashes.Add(Hash(model.Parameters));
        // At an epoch's first step the BatchNorm state is the previous epoch's end (within an epoch each rank's own rows move it).
        if (epochState && step > 0 && step % 7 == 0) hashes.Add("epoch state " + Hash(model.State));
        return baseRate;
    }

    public static string Hash(ReadOnlySpan<float> values) =>
        Convert.ToHexString(SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values)));
}

/// <summary>Three classes from the signs of sums of eight standard-normal features: 200 training rows, 60 validation rows.</summary>
static class ParityData
{
    public static (Dataset Train, Dataset Validation) Create()
    {
        var random = new Random(7);
        (float[], int[]) Rows(int count)
        {
            var x = new float[count * 8];
            var y = new int[count];
            for (int i = 0; i < count; i++)
            {
                float a = 0, b = 0;
                for (int j = 0; j < 8; j++)
                {
                    float v = (float)(random.NextDouble() * 2 - 1);
                    x[i * 8 + j] = v;
                    if (j < 4) a += v; else b += v;
                }
                y[i] = a > 0.3f ? 0 : b > 0 ? 1 : 2;
            }
            return (x, y);
        }
        var (tx, ty) = Rows(200);
        var (vx, vy) = Rows(60);
        return (Dataset.ForClassification(tx, 8, ty, 3), Dataset.ForClassification(vx, 8, vy, 3));
    }
}

[Model(Input = new[] { 8 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class ParityMlp
{
    [Dense(32, Activation.Tanh)] private partial Tensor Hidden(Tensor x);
    [Dense(3)] private partial Tensor Logits(Tensor x);
}

[Model(Input = new[] { 8 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class NormalisedMlp
{
    [Dense(32)] private partial Tensor Hidden(Tensor x);
    [BatchNorm] private partial Tensor Norm(Tensor x);
    [Dropout(0.2f)] private partial Tensor Drop(Tensor x);
    [Dense(3)] private partial Tensor Logits(Tensor x);
}

sealed record WorkerOptions(string Out, string Mode, int Epochs, string? Checkpoints, string? Resume, bool Alone, bool RankOrder, bool Weighted = false)
{
    public static WorkerOptions Parse(string[] args)
    {
        var o = new WorkerOptions("out", "train", 4, null, null, false, false);
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"'{args[i]}' needs a value.");
            o = args[i] switch
            {
                "--out" => o with { Out = Value() },
                "--mode" => o with { Mode = Value() },
                "--epochs" => o with { Epochs = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--checkpoints" => o with { Checkpoints = Value() },
                "--resume" => o with { Resume = Value() },
                "--alone" => o with { Alone = true },
                "--rank-order" => o with { RankOrder = true },
                // Class weights, and steps of 32 rows as two accumulated micro-batches of 16.
                "--weighted-accumulated" => o with { Weighted = true },
                _ => throw new ArgumentException($"Unknown option '{args[i]}'."),
            };
        }
        return o;
    }
}
