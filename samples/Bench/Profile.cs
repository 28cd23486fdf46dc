using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using ModelGen;
using ModelGen.Cpu;

namespace Bench;

/// <summary>
/// Where a step of a dense model spends its time: the whole call through the public API next to its parts run
/// alone (each Dense kernel at the model's sizes, the loss, the optimizer pass), in microseconds per call,
/// median of several runs. The gap between the whole and the sum of the parts is the glue around the kernels.
/// </summary>
public static unsafe class Profile
{
    /// <summary>Dense layers (inputs, outputs, activation) of the dense benchmark models, in order.</summary>
    private static readonly Dictionary<string, (int In, int Out, Activation Activation)[]> s_layers = new()
    {
        ["digits-mlp"] = new[] { (64, 128, Activation.ReLU), (128, 64, Activation.ReLU), (64, 10, Activation.None) },
        ["mnist-mlp"] = new[] { (784, 1024, Activation.ReLU), (1024, 1024, Activation.ReLU), (1024, 10, Activation.None) },
        ["wide-deep"] = new[] { (144, 256, Activation.ReLU), (256, 128, Activation.ReLU), (128, 1, Activation.None), (16, 1, Activation.None) },
    };

    /// <summary>The models this breakdown knows.</summary>
    public static IEnumerable<string> Models => s_layers.Keys;

    /// <summary>
    /// Floating-point operations (a multiply-add counts two) of one sample's training step for a model that is a plain stack
    /// of Dense layers on its input: the forward product, the weight gradient, and the input gradient of every layer but the
    /// first (nothing needs the input's). Null for the other models (wide-deep's embeddings take the first layer's input gradient).
    /// </summary>
    public static double? TrainingFlopPerSample(string id)
    {
        if (id is not ("digits-mlp" or "mnist-mlp")) return null;
        double flop = 0;
        var layers = s_layers[id];
        for (int i = 0; i < layers.Length; i++) flop += 2.0 * layers[i].In * layers[i].Out * (i == 0 ? 2 : 3);
        return flop;
    }

    /// <summary>One JSON line per (model, part) for batch 1 inference and for a training step at the benchmark batch.</summary>
    public static IEnumerable<string> Run(string id, int threads)
    {
        var (model, batch, classes) = BenchmarkModels.Create(id);
        var (inputs, labels) = BenchmarkModels.SyntheticBatch(model, batch, classes);
        var outputs = new float[batch * model.OutputSize];
        var adam = new Adam(1e-3f, 0.9f, 0.999f, 1e-8f);
        var layers = s_layers[id];

        var one = inputs.AsMemory(0, model.InputSize);
        yield return Line(id, 1, threads, "predict", Micros(() => model.Predict(one.Span, 1, outputs)));
        yield return Line(id, 1, threads, "predict-unchecked", Micros(() => model.Predict(one.Span, 1, outputs, allowNonFinite: true)));
        yield return Line(id, 1, threads, "dense-forward-sum", DenseForward(layers, 1));
        double forwardFlop = 0;
        foreach (var layer in layers) forwardFlop += 2.0 * batch * layer.In * layer.Out;
        yield return Line(id, batch, threads, "train-step", Micros(() => model.TrainStep(inputs, labels, batch, adam)), batch * (TrainingFlopPerSample(id) ?? 0));
        yield return Line(id, batch, threads, "predict", Micros(() => model.Predict(inputs, batch, outputs)), forwardFlop);
        yield return Line(id, batch, threads, "dense-forward-sum", DenseForward(layers, batch), forwardFlop);
        yield return Line(id, batch, threads, "dense-backward-sum", DenseBackward(layers, batch));
        // Each layer alone, with its rate: which products run near the peak and which are too small to.
        for (int i = 0; i < layers.Length; i++)
        {
            var layer = new[] { layers[i] };
            double flop = 2.0 * batch * layers[i].In * layers[i].Out;
            string shape = $"{batch}x{layers[i].In}x{layers[i].Out}";
            yield return Line(id, batch, threads, $"dense-forward {shape}", DenseForward(layer, batch), flop);
            yield return Line(id, batch, threads, $"dense-backward {shape}", DenseBackward(layer, batch), 2 * flop);
            yield return Line(id, batch, threads, $"weight-gradient xT.dz {shape}", Product(true, false, layers[i].In, layers[i].Out, batch), flop);
            yield return Line(id, batch, threads, $"input-gradient dz.WT {shape}", Product(false, true, batch, layers[i].In, layers[i].Out), flop);
        }
        var parameters = new float[model.ParameterCount];
        var gradients = new float[model.ParameterCount];
        gradients.AsSpan().Fill(1e-3f);
        yield return Line(id, batch, threads, "adam", Micros(() => adam.Step(parameters, gradients)));
        // The glue a generated backward pass runs besides the products: clearing the gradient buffer and the hidden
        // layers' gradients before they accumulate, and each hidden activation's backward.
        yield return Line(id, batch, threads, "clear-gradients", Micros(() => gradients.AsSpan().Clear()));
        yield return Line(id, batch, threads, "clear-and-activation-backward-hidden", HiddenGlue(layers, batch));
        if (classes > 2) yield return Line(id, batch, threads, "loss", SoftmaxLoss(labels, batch, classes));
    }

    private static (double, double) SoftmaxLoss(float[] labels, int batch, int classes)
    {
        var logits = Filled(batch * classes);
        var dLogits = Filled(batch * classes);
        var pinnedLabels = GC.AllocateArray<float>(batch, pinned: true);
        labels.AsSpan(0, batch).CopyTo(pinnedLabels);
        return Micros(() =>
        {
            fixed (float* l = logits, t = pinnedLabels, d = dLogits) LossKernels.SoftmaxCrossEntropy(l, t, d, batch, classes);
        });
    }

    internal static (double, double) DenseForward((int In, int Out, Activation Activation)[] layers, int rows)
    {
        (double Min, double Median) sum = (0, 0);
        foreach (var (inputs, outputs, activation) in layers)
        {
            var x = Filled(rows * inputs); var w = Filled(inputs * outputs); var b = Filled(outputs);
            var z = Filled(rows * outputs); var y = Filled(rows * outputs);
            var part = Micros(() =>
            {
                fixed (float* px = x, pw = w, pb = b, pz = z, py = y)
                    DenseKernels.Forward(px, pw, pb, pz, activation == Activation.None ? pz : py, rows, inputs, outputs, activation, 0f);
            });
            sum = (sum.Min + part.Min, sum.Median + part.Median);
        }
        return sum;
    }

    private static (double, double) HiddenGlue((int In, int Out, Activation Activation)[] layers, int rows)
    {
        (double Min, double Median) sum = (0, 0);
        foreach (var (_, outputs, activation) in layers[..^1])
        {
            var z = Filled(rows * outputs); var y = Filled(rows * outputs); var dy = Filled(rows * outputs);
            var part = Micros(() =>
            {
                fixed (float* pz = z, py = y, pdy = dy)
                {
                    ElementwiseKernels.Clear(pdy, (long)rows * outputs);
                    ActivationKernels.Backward(activation, pz, py, pdy, pdy, (long)rows * outputs, 0f);
                }
            });
            sum = (sum.Min + part.Min, sum.Median + part.Median);
        }
        return sum;
    }

    internal static (double, double) DenseBackward((int In, int Out, Activation Activation)[] layers, int rows)
    {
        (double Min, double Median) sum = (0, 0);
        foreach (var (inputs, outputs, _) in layers)
        {
            var x = Filled(rows * inputs); var w = Filled(inputs * outputs); var dz = Filled(rows * outputs);
            var dx = Filled(rows * inputs); var dw = Filled(inputs * outputs); var db = Filled(outputs);
            var part = Micros(() =>
            {
                fixed (float* px = x, pw = w, pdz = dz, pdx = dx, pdw = dw, pdb = db)
                    DenseKernels.Backward(px, pw, pdz, pdx, pdw, pdb, rows, inputs, outputs);
            });
            sum = (sum.Min + part.Min, sum.Median + part.Median);
        }
        return sum;
    }

    /// <summary>One accumulating product C += op(A)·op(B) of m×n×k alone, as the backward pass runs it.</summary>
    private static (double, double) Product(bool transA, bool transB, int m, int n, int k)
    {
        var a = Filled(m * k); var b = Filled(k * n); var c = Filled(m * n);
        return Micros(() =>
        {
            fixed (float* pa = a, pb = b, pc = c) Gemm.Multiply(transA, transB, m, n, k, pa, pb, pc, accumulate: true);
        });
    }

    internal static float[] Filled(int count)
    {
        var array = GC.AllocateArray<float>(count, pinned: true);
        for (int i = 0; i < count; i++) array[i] = (i % 17 - 8) * 0.01f;
        return array;
    }

    /// <summary>
    /// Microseconds per call over 15 runs of enough calls to last about 2 ms each, after a warm-up (until the JIT has
    /// settled, see <see cref="WarmUp"/>): the fastest run
    /// and the median. On a busy machine the fastest run is the better estimate of the cost itself.
    /// </summary>
    internal static (double Min, double Median) Micros(Action action)
    {
        WarmUp.Run(action, 3);
        long warm = Stopwatch.GetTimestamp();
        int calls = 0;
        while (Stopwatch.GetTimestamp() - warm < Stopwatch.Frequency / 50) { action(); calls++; }
        int perRun = Math.Max(1, calls / 10);
        var runs = new double[15];
        for (int r = 0; r < runs.Length; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < perRun; i++) action();
            runs[r] = (Stopwatch.GetTimestamp() - start) * 1e6 / Stopwatch.Frequency / perRun;
        }
        Array.Sort(runs);
        return (runs[0], runs[runs.Length / 2]);
    }

    /// <summary>One part's line; with <paramref name="flop"/>, also its rate at the fastest run.</summary>
    internal static string Line(string id, int batch, int threads, string part, (double Min, double Median) micros, double flop = 0) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{{\"model\": \"{id}\", \"batch\": {batch}, \"threads\": {threads}, \"part\": \"{part}\", \"us_min\": {micros.Min:F2}, \"us_median\": {micros.Median:F2}")
        + (flop > 0 ? string.Create(CultureInfo.InvariantCulture, $", \"gflop_per_s\": {flop / micros.Min / 1e3:F1}}}") : "}");
}
