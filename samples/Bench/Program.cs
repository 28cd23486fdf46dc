using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using Bench;
using ModelGen;
using ModelGen.Compute;

// Prints one JSON line per (model, mode, batch) in the format of MODELS.md, so a run of this
// program and of the PyTorch peer on the same machine can be compared as ratios.
//   dotnet run -c Release --project samples/Bench -- [--models digits-mlp,mnist-mlp,lenet5,tiny-transformer,wide-deep,gemm] [--threads 2] [--steps 30] [--repeats 5]
// "gemm" is not a model: it prints the GEMM's rate at 1024³ on one thread next to this machine's register-only FMA peak.
// "gemm-steadiness" (asked for by name only) prints that product's spread for several placements of its matrices in memory;
// "gemm-shapes" the one-thread rate of the models' products and of one thread's share of them;
// "gemm-threads" the models' larger products alternating between one and two threads, with the pool's counters per round.
// "model-threads" each model's training step, batch prediction and single prediction alternating between one and two threads,
// the same way; "model-threads:lenet5:wide-deep" only the models named.
// "core-latency" the round trip of one cache line between two threads (the cost of every hand-off between them).
//   dotnet run -c Release --project samples/Bench -- --profile [--models digits-mlp] [--threads 2]   (a dense model's step, whole and in parts)
//   dotnet run -c Release --project samples/Bench -- --generate [--threads 2] [--steps 5] [--repeats 5]   (cached Generate against the naive re-run decode, per id)
//   dotnet run -c Release --project samples/Bench -- --profile --models tiny-transformer,lenet5   (the same for the attention and convolution models)
//   dotnet run -c Release --project samples/Bench -- --data-check   (the NaN/±∞ check of a Dataset, against copying the same bytes)

if (args.Length > 0 && args[0] == "--profile")
{
    var profileOptions = BenchOptions.ParseOrExit(args[1..], new BenchOptions(Profile.Models.Concat(ProfileLayers.Models).ToArray(), 2, 30, 5));
    ModelGen.Cpu.CpuParallel.ThreadCount = profileOptions.Threads;
    foreach (string id in profileOptions.Models)
        foreach (var line in ProfileLayers.Models.Contains(id) ? ProfileLayers.Run(id, profileOptions.Threads) : Profile.Run(id, profileOptions.Threads))
            Console.WriteLine(line);
    return;
}

if (args.Length > 0 && args[0] == "--generate")
{
    var generateOptions = BenchOptions.ParseOrExit(args[1..], new BenchOptions(new[] { "seq2seq-generate" }, 2, 5, 5));
    ModelGen.Cpu.CpuParallel.ThreadCount = generateOptions.Threads;
    foreach (var line in GenerateBench.Run(generateOptions)) Console.WriteLine(line);
    return;
}

if (args is ["--data-check"])
{
    Console.WriteLine(DataCheck());
    return;
}

var options = BenchOptions.ParseOrExit(args, new BenchOptions(new[] { "digits-mlp", "mnist-mlp", "lenet5", "tiny-transformer", "wide-deep", "gemm" }, 2, 30, 5));
ModelGen.Cpu.CpuParallel.ThreadCount = options.Threads;

// Every name is checked before anything runs, so a misspelt one ends the run with one line, not a stack trace halfway through.
string[] modes = { "gemm", "gemm-shapes", "gemm-threads", "gemm-steadiness", "model-threads", "core-latency" };
foreach (string id in options.Models)
{
    string[] named = id.StartsWith("model-threads:", StringComparison.Ordinal) ? id.Split(':')[1..]
        : Array.IndexOf(modes, id) >= 0 ? Array.Empty<string>() : new[] { id };
    foreach (string name in named)
    {
        if (Array.IndexOf(BenchmarkModels.Ids, name) >= 0) continue;
        Console.Error.WriteLine($"error: --models: '{name}' is neither a model ({string.Join(", ", BenchmarkModels.Ids)}) nor a mode ({string.Join(", ", modes)}, model-threads:<model>:…).");
        Environment.Exit(2);
    }
}

foreach (string id in options.Models)
{
    if (id == "gemm-shapes")
    {
        foreach (var line in Peak.Shapes(rounds: 10 * options.Repeats)) Console.WriteLine(line);
        continue;
    }
    if (id == "gemm-threads")
    {
        foreach (var line in ThreadScaling.Run(rounds: 2 * options.Repeats)) Console.WriteLine(line);
        continue;
    }
    if (id == "model-threads" || id.StartsWith("model-threads:", StringComparison.Ordinal))
    {
        foreach (var line in ThreadScaling.Models(rounds: 2 * options.Repeats, only: id.Split(':')[1..])) Console.WriteLine(line);
        continue;
    }
    if (id == "core-latency")
    {
        foreach (var line in CoreLatency.Run(rounds: options.Repeats)) Console.WriteLine(line);
        continue;
    }
    if (id == "gemm-steadiness")
    {
        foreach (var line in Peak.Steadiness(rounds: 4 * options.Repeats)) Console.WriteLine(line);
        continue;
    }
    if (id == "gemm")
    {
        Console.WriteLine(Peak.Line());
        continue;
    }
    var (model, batch, classes) = BenchmarkModels.Create(id);
    foreach (var line in Measure(id, model, batch, classes, options)) Console.WriteLine(line);
}

static IEnumerable<string> Measure(string id, Model model, int batch, int classes, BenchOptions options)
{
    var (inputs, labels) = BenchmarkModels.SyntheticBatch(model, batch, classes);
    var optimizer = new Adam(1e-3f, 0.9f, 0.999f, 1e-8f);
    var outputs = new float[batch * model.OutputSize];

    int warmup = Math.Max(3, options.Steps / 5);
    var trainCounters = PoolCounters.Read();
    var (trainRate, trainAlloc) = Rate(() => model.TrainStep(inputs, labels, batch, optimizer), batch, warmup, options);
    string train = trainCounters.Append(Json(id, "train", batch, options, trainRate, trainAlloc), options);
    // For a plain stack of Dense layers the multiply-adds per sample follow from the layer sizes: this line also gives
    // the rate in GFLOP/s and its fraction of the two-thread FMA peak, measured now, in the same run and load.
    if (Profile.TrainingFlopPerSample(id) is double flop)
    {
        double gflops = trainRate * flop / 1e9, peak = Peak.FmaPeak(2);
        train = train[..^1] + string.Create(CultureInfo.InvariantCulture,
            $", \"flop_per_sample\": {flop:F0}, \"gflop_per_s\": {gflops:F1}, \"fma_peak_2t_gflop_per_s\": {peak:F1}, \"fraction_of_2t_peak\": {gflops / peak:F3}}}");
    }
    yield return train;
    var counters = PoolCounters.Read();
    var (inferRate, inferAlloc) = Rate(() => model.Predict(inputs, batch, outputs), batch, warmup, options);
    yield return counters.Append(Json(id, "infer", batch, options, inferRate, inferAlloc), options);
    var one = inputs.AsMemory(0, model.InputSize);
    counters = PoolCounters.Read();
    var (singleRate, singleAlloc) = Rate(() => model.Predict(one.Span, 1, outputs), 1, warmup, options);
    yield return counters.Append(Json(id, "infer", 1, options, singleRate, singleAlloc), options);
}

// The finiteness check a Dataset factory makes (the one Fit, Evaluate and Predict repeat), on 64 MiB of features:
// gigabytes per second, median of 9 runs, next to Array.Copy of the same features.
static string DataCheck()
{
    const int rows = 65536, width = 256;
    var features = new float[rows * width];
    var targets = new float[rows];
    var rng = new Rng(1);
    for (int i = 0; i < features.Length; i++) features[i] = (float)rng.NextGaussian();
    var copy = new float[features.Length];
    double Median(Action action)
    {
        action();
        var seconds = new double[9];
        for (int r = 0; r < seconds.Length; r++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            seconds[r] = (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency;
        }
        Array.Sort(seconds);
        return seconds[seconds.Length / 2];
    }
    double check = Median(() => Dataset.ForRegression(features, width, targets));
    double copying = Median(() => Array.Copy(features, copy, features.Length));
    double bytes = (features.Length + targets.Length) * 4.0;
    return string.Create(CultureInfo.InvariantCulture,
        $"{{\"mode\": \"data-check\", \"bytes\": {bytes:F0}, \"check_ms\": {check * 1e3:F2}, \"check_gb_per_s\": {bytes / check / 1e9:F2}, \"copy_ms\": {copying * 1e3:F2}, \"copy_gb_per_s\": {features.Length * 4.0 / copying / 1e9:F2}, \"vector_floats\": {System.Numerics.Vector<float>.Count}}}");
}

// Samples per second: median over repeats of `steps` timed calls after warm-up (at least `warmup` calls, then until the
// JIT has settled: see WarmUp); also the bytes
// allocated per call (all threads) during the timed calls.
static (double Rate, double AllocatedPerStep) Rate(Action step, int batch, int warmup, BenchOptions options)
{
    WarmUp.Run(step, warmup);
    // Nothing here allocates between the two counter reads but the step itself.
    var rates = new double[options.Repeats];
    long allocated = 0;
    for (int r = 0; r < options.Repeats; r++)
    {
        long before = GC.GetTotalAllocatedBytes(precise: true);
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < options.Steps; i++) step();
        long end = Stopwatch.GetTimestamp();
        allocated += GC.GetTotalAllocatedBytes(precise: true) - before;
        rates[r] = options.Steps * batch / ((end - start) / (double)Stopwatch.Frequency);
    }
    Array.Sort(rates);
    return (rates[rates.Length / 2], (double)allocated / (options.Repeats * options.Steps));
}

static string Json(string id, string mode, int batch, BenchOptions options, double rate, double allocatedPerStep) =>
    string.Create(CultureInfo.InvariantCulture,
        $"{{\"model\": \"{id}\", \"mode\": \"{mode}\", \"batch\": {batch}, \"threads\": {options.Threads}, \"device\": \"cpu\", \"samples_per_s\": {rate:F1}, \"steps\": {options.Steps}, \"alloc_bytes_per_step\": {allocatedPerStep:G4}, \"peer\": \"modelgen\"}}");

// How much of a measurement ran on one thread because a worker had been preempted shortly before (another process on the
// cores), and how many of its split jobs there were: a two-thread figure with many such jobs measured the load as much as
// the code.
readonly record struct PoolCounters(long Jobs, long Stalls, long Serial)
{
    public static PoolCounters Read() =>
        new(ModelGen.Cpu.CpuParallel.SplittableJobs, ModelGen.Cpu.CpuParallel.Stalls, ModelGen.Cpu.CpuParallel.SerialJobsAfterStall);

    public string Append(string json, BenchOptions options)
    {
        var now = Read();
        long jobs = now.Jobs - Jobs;
        if (options.Threads <= 1 || jobs == 0) return json;
        return json[..^1] + string.Create(CultureInfo.InvariantCulture,
            $", \"stalls\": {now.Stalls - Stalls}, \"serial_after_stall\": {(double)(now.Serial - Serial) / jobs:F3}}}");
    }
}
