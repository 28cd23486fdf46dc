using System;
using System.Diagnostics;
using System.Globalization;
using Bench;
using ModelGen;
using ModelGen.Distributed;

// Training samples/s of Fit for the MODELS.md networks, alone or data-parallel under MPI, one JSON line per model (rank 0 prints).
// The global batch is MODELS.md's on any number of processes: each rank computes its share of every step.
//   dotnet samples/DistributedBench/bin/Release/net10.0/DistributedBench.dll --threads 2                       (1 process × 2 threads)
//   mpirun --oversubscribe -np 2 dotnet samples/DistributedBench/bin/Release/net10.0/DistributedBench.dll --threads 1   (2 × 1)
// samples/DistributedBench/run.sh runs both (and 1 × 1) and keeps the output under results/.

var options = BenchOptions.ParseOrExit(args, new BenchOptions(new[] { "mnist-mlp", "lenet5" }, 1, 30, 5));
ModelGen.Cpu.CpuParallel.ThreadCount = options.Threads;
using var mpi = Mpi.FromEnvironment();
int processes = mpi?.Size ?? 1;

foreach (string id in options.Models)
{
    var (model, batch, classes) = BenchmarkModels.Create(id);
    var (inputs, labels) = BenchmarkModels.SyntheticBatch(model, batch, classes);
    // One epoch of `steps` full global batches: the same batch repeated (content does not change speed).
    var features = new float[options.Steps * inputs.Length];
    var targets = new int[options.Steps * batch];
    for (int s = 0; s < options.Steps; s++)
    {
        inputs.CopyTo(features, s * inputs.Length);
        for (int i = 0; i < batch; i++) targets[s * batch + i] = (int)labels[i];
    }
    var data = Dataset.ForClassification(features, model.InputSize, targets, classes);
    var warmup = Dataset.ForClassification(features.AsSpan(0, 3 * inputs.Length).ToArray(), model.InputSize, targets.AsSpan(0, 3 * batch).ToArray(), classes);
    var optimizer = new Adam(1e-3f, 0.9f, 0.999f, 1e-8f);
    model.Fit(warmup, epochs: 1, batchSize: batch, optimizer: optimizer, distributed: mpi);
    var rates = new double[options.Repeats];
    for (int r = 0; r < options.Repeats; r++)
    {
        mpi?.Barrier();
        long start = Stopwatch.GetTimestamp();
        model.Fit(data, epochs: 1, batchSize: batch, optimizer: optimizer, seed: r, distributed: mpi);
        mpi?.Barrier();
        rates[r] = options.Steps * batch / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
    Array.Sort(rates);
    if (mpi is null || mpi.IsRoot)
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"model\": \"{id}\", \"mode\": \"train\", \"batch\": {batch}, \"threads\": {options.Threads}, \"processes\": {processes}, \"device\": \"cpu\", \"samples_per_s\": {rates[rates.Length / 2]:F1}, \"steps\": {options.Steps}, \"peer\": \"modelgen-fit\"}}"));
}
