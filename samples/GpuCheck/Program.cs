using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using Bench;
using ModelGen;
using ModelGen.Compute;
using ModelGen.Cuda;
using GpuCheck;

// Runs each benchmark model of MODELS.md on the GPU and on the CPU and compares them, then prints
// MODELS.md JSON lines with "device": "cuda", and checks Model.Fit(device: Device.Cuda()) against Fit on the CPU. Exit code 0 when every comparison passes, 1 when one
// fails, 2 when this machine has no usable CUDA (driver, GPU or NVRTC).
//   dotnet run -c Release --project samples/GpuCheck -- [--models digits-mlp,mnist-mlp,lenet5,tiny-transformer,wide-deep] [--steps 30] [--repeats 5] [--threads 2] [--precision fp32|tf32|bf16] [--no-bench]
// On a CUDA machine without .NET: tools/gpu/pack.sh samples/GpuCheck/GpuCheck.csproj here, then bash .gpu/run.sh GpuCheck.dll there.

var options = Options.Parse(args);
var availability = Device.CudaAvailability;
if (!availability.IsAvailable)
{
    Console.Error.WriteLine($"GpuCheck needs a CUDA GPU, and this machine has none usable: {availability.Message}");
    return 2;
}
Console.Error.WriteLine($"CUDA: {availability.Message}");
ModelGen.Cpu.CpuParallel.ThreadCount = options.Threads;

var tolerance = Tolerance.For(options.Precision);
Console.Error.WriteLine($"Tolerances ({options.Precision} GEMM): {tolerance}");

var compile = new CudaCompileOptions(options.Precision);
bool allPassed = true;
foreach (string id in options.Models)
{
    // The models, batches and synthetic data of samples/Bench (token ids, categorical ids, one label per position where needed).
    var (_, batch, classes) = BenchmarkModels.Create(id);
    Func<Model> create = () => BenchmarkModels.Create(id).Model;
    allPassed &= Check(id, create, batch, classes, tolerance, compile);
    if (!options.NoBench)
        foreach (var line in Measure(id, create(), batch, classes, options, compile)) Console.WriteLine(line);
}
allPassed &= CheckFit(options.Models[0], options.Precision, tolerance);
Console.Error.WriteLine(allPassed ? "GpuCheck: every comparison passed." : "GpuCheck: some comparisons FAILED (see above).");
return allPassed ? 0 : 1;

static (float[] Inputs, float[] Labels) Data(Model model, int batch, int classes, int seed) => BenchmarkModels.SyntheticBatch(model, batch, classes, seed);

static bool Check(string id, Func<Model> create, int batch, int classes, Tolerance tolerance, CudaCompileOptions compile)
{
    var cpu = create();
    var (inputs, labels) = Data(cpu, batch, classes, seed: 1);
    using var gpu = CudaGraph.For(create(), batch, options: compile);
    Console.Error.WriteLine($"{id}: {gpu.DeviceName}, {gpu.Kernels?.Kind} for sm_{gpu.Kernels?.Architecture}{(gpu.Kernels?.FromCache == true ? " (cached)" : "")}");
    bool ok = true;

    // 1. Inference outputs.
    var expected = new float[batch * cpu.OutputSize];
    var actual = new float[expected.Length];
    cpu.Predict(inputs, batch, expected);
    gpu.Forward(inputs, batch, actual);
    ok &= Report(id, "forward outputs", expected, actual, tolerance.Outputs);

    // 2. One training step: loss and every gradient (before any update).
    var sgd = new Sgd(0.01f, momentum: 0.9f);
    float cpuLoss = cpu.TrainStep(inputs, labels, batch, sgd);
    float gpuLoss = gpu.TrainStep(inputs, labels, batch);
    ok &= Report(id, "training loss (step 1)", new[] { cpuLoss }, new[] { gpuLoss }, tolerance.Outputs);
    var gradients = new float[cpu.ParameterCount];
    gpu.DownloadGradients(gradients);
    ok &= tolerance.GradientNorm is double relative
        ? ReportNorm(id, "gradients (step 1)", cpu.Gradients.ToArray(), gradients, relative)
        : Report(id, "gradients (step 1)", cpu.Gradients.ToArray(), gradients, tolerance.Gradients);

    // 3. Four more SGD-with-momentum steps (linear in the gradients, so errors do not get amplified): losses and parameters
    //    (in the tensor-core modes: the parameters' displacement as a whole, like the gradients).
    var initial = cpu.Parameters.ToArray();
    var gpuSgd = new Sgd(0.01f, momentum: 0.9f);
    gpu.Step(gpuSgd);
    for (int step = 2; step <= 5; step++)
    {
        var (x, y) = Data(cpu, batch, classes, seed: step);
        cpuLoss = cpu.TrainStep(x, y, batch, sgd);
        gpuLoss = gpu.TrainStep(x, y, batch);
        gpu.Step(gpuSgd);
        ok &= Report(id, $"training loss (step {step})", new[] { cpuLoss }, new[] { gpuLoss }, tolerance.Outputs);
    }
    var parameters = new float[cpu.ParameterCount];
    gpu.DownloadParameters(parameters);
    ok &= tolerance.GradientNorm is double relativeUpdate
        ? ReportNorm(id, "parameter updates over 5 SGD steps", Minus(cpu.Parameters.ToArray(), initial), Minus(parameters, initial), relativeUpdate)
        : Report(id, "parameters after 5 SGD steps", cpu.Parameters.ToArray(), parameters, tolerance.Parameters);

    // 4. One Adam step from the same parameters; Adam divides by √v, so elements with a gradient near 0
    //    (whose sign float32 noise can flip) are left out of the comparison.
    var adamCpu = new Adam(1e-3f);
    var adamGpu = new Adam(1e-3f);
    var cpuBefore = cpu.Parameters.ToArray();
    var gpuBefore = parameters.ToArray();
    cpu.TrainStep(inputs, labels, batch, adamCpu);
    gpu.TrainStep(inputs, labels, batch);
    gpu.Step(adamGpu);
    gpu.DownloadParameters(parameters);
    if (tolerance.GradientNorm is double relativeAdam)
        return ok & ReportNorm(id, "parameter update of an Adam step", Minus(cpu.Parameters.ToArray(), cpuBefore), Minus(parameters, gpuBefore), relativeAdam);
    float largest = cpu.Gradients.ToArray().Max(MathF.Abs);
    var keep = Enumerable.Range(0, parameters.Length).Where(i => MathF.Abs(cpu.Gradients[i]) > 1e-3f * largest).ToArray();
    ok &= Report(id, $"parameters after an Adam step ({keep.Length} of {parameters.Length} with |g| > 1e-3·max)",
        keep.Select(i => cpu.Parameters[i]).ToArray(), keep.Select(i => parameters[i]).ToArray(), tolerance.Parameters);
    return ok;
}

// Model.Fit(device: Device.Cuda()) against the same Fit on the CPU: a few epochs of Adam with a cosine schedule over
// synthetic rows that leave a smaller last batch. Fit compiles without TF32 whatever --tf32 says. Per-epoch losses
// must agree within atol 1e-3 + rtol 1e-2: looser than one step's tolerances, as rounding differences compound over
// dozens of updates (on the host emulation of the kernels they stay within 1e-4 + 1e-3·|cpu|).
static bool CheckFit(string id, MatMulPrecision precision, Tolerance tolerance)
{
    const int epochs = 3;
    var (cpu, batch, classes) = BenchmarkModels.Create(id);
    var onGpu = BenchmarkModels.Create(id).Model;
    int rows = 4 * batch + batch / 2;
    var (inputs, labels) = Data(cpu, rows, classes, seed: 11);
    var data = Dataset.ForSequenceClassification(inputs, cpu.InputSize, Array.ConvertAll(labels, l => (int)l), cpu.TargetSize, classes);
    TrainingHistory Train(Model model, Device device) =>
        model.Fit(data, epochs: epochs, batchSize: batch, optimizer: new Adam(1e-3f), seed: 3, schedule: new CosineDecay(epochs * 5), device: device);
    var expected = Train(cpu, Device.Cpu).Select(e => e.TrainLoss).ToArray();
    var clock = Stopwatch.StartNew();
    var actual = Train(onGpu, Device.Cuda(matMul: precision)).Select(e => e.TrainLoss).ToArray();
    Console.Error.WriteLine($"{id}: Fit on the GPU, {epochs} epochs of {rows} rows in batches of {batch}: {clock.Elapsed.TotalSeconds:F2} s " +
        $"(losses cpu {string.Join(", ", expected.Select(l => l.ToString("G6", CultureInfo.InvariantCulture)))}; gpu {string.Join(", ", actual.Select(l => l.ToString("G6", CultureInfo.InvariantCulture)))})");
    // Epoch losses average many steps: float32 agrees to 1e-3 + 1e-2·|cpu|; the tensor-core modes as their outputs do.
    var allowed = precision == MatMulPrecision.Float32 ? (1e-3, 1e-2) : tolerance.Outputs;
    return Report(id, $"Fit(device: {Device.Cuda(matMul: precision)}) per-epoch losses ({epochs} epochs)", expected, actual, allowed);
}

static bool Report(string id, string what, float[] expected, float[] actual, (double Atol, double Rtol) tolerance)
{
    int worst = -1, failures = 0;
    double worstExcess = double.NegativeInfinity;
    for (int i = 0; i < expected.Length; i++)
    {
        double error = Math.Abs((double)actual[i] - expected[i]);
        double allowed = tolerance.Atol + tolerance.Rtol * Math.Abs(expected[i]);
        if (!(error <= allowed)) failures++;
        double excess = double.IsNaN(error) ? double.PositiveInfinity : error - allowed;
        if (excess > worstExcess) { worstExcess = excess; worst = i; }
    }
    string detail = worst < 0 ? "" : $"worst [{worst}]: cpu {expected[worst]:G6}, gpu {actual[worst]:G6}";
    Console.Error.WriteLine($"  {(failures == 0 ? "ok  " : "FAIL")} {id} {what}: {failures} of {expected.Length} outside atol {tolerance.Atol:G} + rtol {tolerance.Rtol:G}·|cpu|; {detail}");
    return failures == 0;
}

static float[] Minus(float[] a, float[] b) => a.Select((v, i) => v - b[i]).ToArray();

/// <summary>‖gpu − cpu‖₂ ≤ relative·‖cpu‖₂: the reduced-precision check of a whole gradient.</summary>
static bool ReportNorm(string id, string what, float[] expected, float[] actual, double relative)
{
    double norm = 0, error = 0;
    for (int i = 0; i < expected.Length; i++)
    {
        norm += (double)expected[i] * expected[i];
        error += ((double)actual[i] - expected[i]) * ((double)actual[i] - expected[i]);
    }
    norm = Math.Sqrt(norm);
    error = Math.Sqrt(error);
    bool ok = error <= relative * norm;   // false for NaN
    Console.Error.WriteLine($"  {(ok ? "ok  " : "FAIL")} {id} {what}: ‖gpu − cpu‖ / ‖cpu‖ = {error / norm:G3} (at most {relative:G})");
    return ok;
}

static IEnumerable<string> Measure(string id, Model model, int batch, int classes, Options options, CudaCompileOptions compile)
{
    var (inputs, labels) = Data(model, batch, classes, seed: 0);
    var outputs = new float[batch * model.OutputSize];
    using var gpu = CudaGraph.For(model, batch, options: compile);
    var adam = new Adam(1e-3f, 0.9f, 0.999f, 1e-8f);
    int warmup = Math.Max(3, options.Steps / 5);
    // Each call ends in a device-to-host copy (the loss or the outputs), so the wall clock measures finished GPU work.
    yield return Json(id, "train", batch, options, Rate(() => { gpu.TrainStep(inputs, labels, batch); gpu.Step(adam); }, batch, warmup, options));
    yield return Json(id, "infer", batch, options, Rate(() => gpu.Forward(inputs, batch, outputs), batch, warmup, options));
    yield return Json(id, "infer", 1, options, Rate(() => gpu.Forward(inputs.AsSpan(0, model.InputSize), 1, outputs), 1, warmup, options));
}

static double Rate(Action step, int batch, int warmup, Options options)
{
    for (int i = 0; i < warmup; i++) step();
    var rates = new double[options.Repeats];
    for (int r = 0; r < options.Repeats; r++)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < options.Steps; i++) step();
        rates[r] = options.Steps * batch / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
    Array.Sort(rates);
    return rates[rates.Length / 2];
}

static string Json(string id, string mode, int batch, Options options, double rate) =>
    string.Create(CultureInfo.InvariantCulture,
        $"{{\"model\": \"{id}\", \"mode\": \"{mode}\", \"batch\": {batch}, \"threads\": {options.Threads}, \"device\": \"cuda\", \"samples_per_s\": {rate:F1}, \"steps\": {options.Steps}, \"precision\": \"{Options.Name(options.Precision)}\", \"peer\": \"modelgen\"}}");

sealed record Options(string[] Models, int Threads, int Steps, int Repeats, MatMulPrecision Precision, bool NoBench)
{
    public static string Name(MatMulPrecision precision) => precision switch { MatMulPrecision.TF32 => "tf32", MatMulPrecision.BF16 => "bf16", _ => "fp32" };

    public static Options Parse(string[] args)
    {
        var o = new Options(BenchmarkModels.Ids, 2, 30, 5, MatMulPrecision.Float32, false);
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"'{args[i]}' needs a value.");
            int Int(string name)
            {
                string v = Value();
                return int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : throw new ArgumentException($"{name} must be a positive integer, not '{v}'.");
            }
            MatMulPrecision Precision()
            {
                string v = Value();
                return v switch
                {
                    "fp32" => MatMulPrecision.Float32,
                    "tf32" => MatMulPrecision.TF32,
                    "bf16" => MatMulPrecision.BF16,
                    _ => throw new ArgumentException($"--precision must be fp32, tf32 or bf16, not '{v}'."),
                };
            }
            o = args[i] switch
            {
                "--models" => o with { Models = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "--threads" => o with { Threads = Int("--threads") },
                "--steps" => o with { Steps = Int("--steps") },
                "--repeats" => o with { Repeats = Int("--repeats") },
                "--precision" => o with { Precision = Precision() },
                "--no-bench" => o with { NoBench = true },
                _ => throw new ArgumentException($"Unknown option '{args[i]}'. Options: --models, --threads, --steps, --repeats, --precision, --no-bench."),
            };
        }
        return o;
    }
}
