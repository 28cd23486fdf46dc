using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using ModelGen.Compute;
using ModelGen.Cuda.Tests.Emulation;
using GpuCheck;
using Xunit;
using static ModelGen.Cuda.Tests.CpuComparison;

namespace ModelGen.Cuda.Tests;

/// <summary>
/// The generated CUDA of each model, run through <see cref="CudaGraph"/> on the host emulation of the
/// kernels (<see cref="HostEmulator"/>), against the CPU path: inference outputs, training losses,
/// every gradient, BatchNorm running statistics, parameters after SGD-with-momentum and Adam steps.
/// |emulated − cpu| ≤ atol + rtol·|cpu| with the float32 tolerances GpuCheck uses on a GPU.
/// </summary>
[Collection(EmulatorCollection.Name)]
public class EmulatedGraphTests
{
    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public EmulatedGraphTests(Xunit.Abstractions.ITestOutputHelper output) => _output = output;

    private static readonly (double Atol, double Rtol) Outputs = Float32.Outputs, Gradients = Float32.Gradients, Parameters = Float32.Parameters;

    public static IEnumerable<object[]> Models() => GeneratedModels.All
        .Where(m => m.Name.StartsWith("ModelGen.Tests.", StringComparison.Ordinal) && m.Plan.IsSupported && m.Plan.InputSize <= 200)
        .Select(m => new object[] { m.Name })
        .Append(new object[] { "Bench.DigitsMlp" })
        .Append(new object[] { "Bench.LeNet5" })
        .Append(new object[] { "Bench.WideDeep" });   // tiny-transformer is too large for the emulation; its layers run in ModelGen.Tests.Models.TransformerBlockNet

    [EmulatorTheory]
    [MemberData(nameof(Models))]
    public void EmulatedKernels_MatchTheCpu(string name)
    {
        const int batch = 5;   // odd, smaller than a tile and a warp multiple: every edge path
        var plan = GeneratedModels.Plan(name);
        var cpu = GeneratedModels.Create(name, seed: 3);
        var onDevice = GeneratedModels.Create(name, seed: 3);
        using var gpu = new CudaGraph(plan, batch, () => HostEmulator.Create(plan));
        gpu.UploadParameters(onDevice.Parameters);
        if (plan.StateCount > 0) gpu.UploadState(onDevice.State);
        var (inputs, targets) = Data(cpu, batch, seed: 1);

        var expected = new float[batch * cpu.OutputSize];
        var actual = new float[expected.Length];
        cpu.Predict(inputs, batch, expected);
        gpu.Forward(inputs, batch, actual);
        AssertClose($"{name} inference outputs", expected, actual, Outputs);

        if (plan.Buffers.Any(b => b.Name.EndsWith("Mask", StringComparison.Ordinal)))
        {
            // Dropout masks come from different generators on the two devices: only their shape of effect is comparable.
            float loss = gpu.TrainStep(inputs, targets, batch);
            var g = new float[cpu.ParameterCount];
            gpu.DownloadGradients(g);
            Assert.True(float.IsFinite(loss) && g.All(float.IsFinite) && g.Any(v => v != 0), $"{name}: a training step with dropout gave loss {loss}");
            return;
        }

        var cpuSgd = new Sgd(0.05f, momentum: 0.9f);
        var gpuSgd = new Sgd(0.05f, momentum: 0.9f);
        for (int step = 1; step <= 3; step++)
        {
            var (x, y) = step == 1 ? (inputs, targets) : Data(cpu, batch, seed: step);
            float cpuLoss = cpu.TrainStep(x, y, batch, cpuSgd);
            float gpuLoss = gpu.TrainStep(x, y, batch);
            // Frozen layers as Fit treats them on the GPU: their weight gradients are dropped and the update skips them.
            if (cpu.HasFrozenLayers) gpu.ClearGradients(cpu.FrozenRanges);
            AssertClose($"{name} training loss, step {step}", new[] { cpuLoss }, new[] { gpuLoss }, Outputs);
            var gradients = new float[cpu.ParameterCount];
            gpu.DownloadGradients(gradients);
            AssertClose($"{name} gradients, step {step}", cpu.Gradients.ToArray(), gradients, Gradients);
            gpu.StepAt(gpuSgd, gpuSgd.LearningRate, clipGradientNorm: 0f, l1: 0f, l2: 0f, cpu.TrainableRanges);
        }
        Assert.Equal(3, gpuSgd.StepCount);
        var parameters = new float[cpu.ParameterCount];
        gpu.DownloadParameters(parameters);
        AssertClose($"{name} parameters after 3 SGD steps", cpu.Parameters.ToArray(), parameters, Parameters);
        if (plan.StateCount > 0)
        {
            var state = new float[plan.StateCount];
            gpu.DownloadState(state);
            AssertClose($"{name} running statistics", cpu.State.ToArray(), state, Outputs);
        }

        // Adam divides by √v: elements whose gradient is float32 noise around 0 may step either way, so they are left out.
        var cpuAdam = new Adam(1e-3f, weightDecay: 0.01f);
        var gpuAdam = new Adam(1e-3f, weightDecay: 0.01f);
        cpu.TrainStep(inputs, targets, batch, cpuAdam);
        gpu.TrainStep(inputs, targets, batch);
        gpu.Step(gpuAdam);
        gpu.DownloadParameters(parameters);
        float largest = cpu.Gradients.ToArray().Max(MathF.Abs);
        var keep = Enumerable.Range(0, parameters.Length).Where(i => MathF.Abs(cpu.Gradients[i]) > 1e-3f * largest).ToArray();
        Assert.True(keep.Length > parameters.Length / 20, $"{name}: only {keep.Length} of {parameters.Length} gradients are large enough to compare");
        AssertClose($"{name} parameters after an Adam step", keep.Select(i => cpu.Parameters[i]).ToArray(), keep.Select(i => parameters[i]).ToArray(), Parameters);
    }

    public static TheoryData<string> UpdateRules() => new()
    {
        "sgd+l1+l2+clip", "adam+clip", "rmsprop", "rmsprop-centered", "rmsprop-momentum", "adagrad",
    };

    private static Optimizer UpdateRule(string name) => name switch
    {
        "sgd+l1+l2+clip" => new Sgd(0.05f, momentum: 0.9f),
        "adam+clip" => new Adam(1e-3f),
        "rmsprop" => new RmsProp(1e-3f, weightDecay: 1e-3f),
        "rmsprop-centered" => new RmsProp(1e-3f, centered: true),
        "rmsprop-momentum" => new RmsProp(1e-3f, momentum: 0.9f),
        _ => new Adagrad(0.01f, learningRateDecay: 0.1f, weightDecay: 1e-3f, initialAccumulatorValue: 0.1f),
    };

    /// <summary>
    /// The GPU's update step beyond plain SGD/Adam (penalties, clipping, RMSProp, Adagrad) against Model.TrainStep:
    /// three steps, then the loss with its penalty and the parameters. Rules that divide by a running √(g²) amplify
    /// float32 noise in gradients near 0, so, as for Adam above, only elements with a clear gradient are compared.
    /// </summary>
    [EmulatorTheory]
    [MemberData(nameof(UpdateRules))]
    public void UpdateRules_MatchTheCpu(string rule)
    {
        const int batch = 5, steps = 3;
        const string name = "Bench.DigitsMlp";
        var plan = GeneratedModels.Plan(name);
        var cpu = GeneratedModels.Create(name, seed: 3);
        using var gpu = new CudaGraph(plan, batch, () => HostEmulator.Create(plan));
        gpu.UploadParameters(cpu.Parameters);
        Optimizer cpuRule = UpdateRule(rule), gpuRule = UpdateRule(rule);
        float clip = rule.Contains("clip") ? 0.05f : 0f;   // far below these gradients' norm: clipping acts on every step
        float l1 = rule.Contains("l1") ? 1e-3f : 0f, l2 = rule.Contains("l2") ? 1e-2f : 0f;
        var smallest = Enumerable.Repeat(float.PositiveInfinity, cpu.ParameterCount).ToArray();
        for (int step = 1; step <= steps; step++)
        {
            var (x, y) = Data(cpu, batch, seed: step);
            float cpuLoss = cpu.TrainStep(x, y, batch, cpuRule, clip, l1, l2);
            float gpuLoss = gpu.TrainStep(x, y, batch);
            gpuLoss += gpu.Step(gpuRule, clip, l1, l2);
            AssertClose($"{rule}: loss with penalty, step {step}", new[] { cpuLoss }, new[] { gpuLoss }, Outputs);
            var applied = cpu.Gradients.ToArray();   // after penalty and clipping
            if (clip > 0) Assert.InRange(Math.Sqrt(applied.Sum(g => (double)g * g)), clip * 0.999, clip * 1.001);
            float largest = applied.Max(MathF.Abs);
            for (int i = 0; i < smallest.Length; i++) smallest[i] = Math.Min(smallest[i], MathF.Abs(applied[i]) / largest);
        }
        Assert.Equal(steps, gpuRule.StepCount);
        var parameters = new float[cpu.ParameterCount];
        gpu.DownloadParameters(parameters);
        bool normalised = cpuRule is not Sgd;
        var keep = Enumerable.Range(0, parameters.Length).Where(i => !normalised || smallest[i] > 1e-3f).ToArray();
        Assert.True(keep.Length > parameters.Length / 20, $"{rule}: only {keep.Length} of {parameters.Length} gradients are large enough to compare");
        AssertClose($"{rule}: parameters after {steps} steps", keep.Select(i => cpu.Parameters[i]).ToArray(), keep.Select(i => parameters[i]).ToArray(), Parameters);
    }

    [EmulatorFact]
    public void ATrainingStep_AllocatesNothing()
    {
        // The host side of a GPU step (uploads, launches, loss read-back, the update with penalty and clipping) is allocation-free.
        const int batch = 5;
        var plan = GeneratedModels.Plan("Bench.DigitsMlp");
        var model = GeneratedModels.Create("Bench.DigitsMlp", seed: 3);
        using var gpu = new CudaGraph(plan, batch, () => HostEmulator.Create(plan));
        gpu.UploadParameters(model.Parameters);
        var (x, y) = Data(model, batch, seed: 1);
        var adam = new Adam(1e-3f);
        void Step() { gpu.TrainStep(x, y, batch); gpu.Step(adam, clipGradientNorm: 1f, l2: 1e-4f); }
        Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 3; i++) Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void UnsupportedUpdateRules_SayWhy()
    {
        Assert.Null(CudaGraph.UnsupportedReason(new AdamW(1e-3f)));
        Assert.Contains("three state buffers", CudaGraph.UnsupportedReason(new RmsProp(centered: true, momentum: 0.9f)));
    }

    // GpuCheck's tensor-core tolerances (Tolerance.For): outputs and losses per element; gradients as a whole,
    // ‖gpu − cpu‖₂ ≤ GradientNorm·‖cpu‖₂, since a pre-activation within rounding of a ReLU's kink can change sides
    // and move a few gradient elements by their own size (measured here at batch 5: TF32 1.3e-4–1.2e-3,
    // BF16 2.2e-3–4.3e-3, wide-deep 3.3e-2 with 79 of 198,162 elements moved).
    public static IEnumerable<object[]> BenchmarkModelsInReducedPrecision() =>
        from name in new[] { "Bench.DigitsMlp", "Bench.LeNet5", "Bench.WideDeep", "ModelGen.Tests.Models.TransformerBlockNet", "ModelGen.Tests.Models.ConvLstmNet" }
        from precision in new[] { MatMulPrecision.TF32, MatMulPrecision.BF16 }
        select new object[] { name, precision };

    [EmulatorTheory]
    [MemberData(nameof(BenchmarkModelsInReducedPrecision))]
    public void TensorCoreModes_StayWithinTheirTolerances(string name, MatMulPrecision precision)
    {
        const int batch = 5;
        var plan = GeneratedModels.Plan(name);
        var cpu = GeneratedModels.Create(name, seed: 3);
        var options = new CudaCompileOptions(precision);
        using var gpu = new CudaGraph(plan, batch, () => HostEmulator.Create(plan, options));
        gpu.UploadParameters(cpu.Parameters);
        if (plan.StateCount > 0) gpu.UploadState(cpu.State);
        var (inputs, targets) = Data(cpu, batch, seed: 1);

        var expected = new float[batch * cpu.OutputSize];
        var actual = new float[expected.Length];
        cpu.Predict(inputs, batch, expected);
        gpu.Forward(inputs, batch, actual);
        AssertClose($"{name} {precision} inference outputs", expected, actual, Tolerance.For(precision).Outputs);
        // The mode must really be in use: float32 would agree to ~1e-6.
        Assert.True(Enumerable.Range(0, expected.Length).Max(i => Math.Abs(expected[i] - actual[i])) > 1e-5, $"{name} {precision}: the outputs equal float32's");

        if (plan.Buffers.Any(b => b.Name.EndsWith("Mask", StringComparison.Ordinal))) return;   // dropout masks differ by device
        float cpuLoss = cpu.AccumulateGradients(inputs, targets, batch);   // forward in training mode and backward; parameters unchanged
        float gpuLoss = gpu.TrainStep(inputs, targets, batch);
        AssertClose($"{name} {precision} training loss", new[] { cpuLoss }, new[] { gpuLoss }, Tolerance.For(precision).Outputs);
        var gradients = new float[cpu.ParameterCount];
        gpu.DownloadGradients(gradients);
        var reference = cpu.Gradients.ToArray();
        double norm = Math.Sqrt(reference.Sum(v => (double)v * v));
        double error = Math.Sqrt(reference.Select((v, i) => ((double)gradients[i] - v) * (gradients[i] - v)).Sum());
        _output.WriteLine($"{name} {precision}: loss {cpuLoss:G6} (cpu) vs {gpuLoss:G6}; ‖Δgradient‖/‖gradient‖ = {error / norm:G3}");
        Assert.True(error <= Tolerance.For(precision).GradientNorm!.Value * norm,
            $"{name} {precision} gradients: ‖gpu − cpu‖ = {error:G3} > {Tolerance.For(precision).GradientNorm!.Value:G}·‖cpu‖ = {Tolerance.For(precision).GradientNorm!.Value * norm:G3}");
    }

    private static (float[] Inputs, float[] Targets) Data(Model model, int batch, int seed)
    {
        var rng = new Rng(seed);
        var inputs = new float[batch * model.InputSize];
        // A model with an embedding reads ids (below every table's vocabulary): in all of its input when it has one input,
        // else in its named inputs of width 1 (the categorical fields of the wide-deep models; the wider ones are dense floats).
        int vocabulary = model.GetType().GetMethods(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
            .Select(m => m.GetCustomAttribute<EmbeddingAttribute>()?.Vocabulary ?? int.MaxValue).DefaultIfEmpty(int.MaxValue).Min();
        var ids = new bool[model.InputSize];
        if (vocabulary != int.MaxValue)
            for (int c = 0; c < ids.Length; c++) ids[c] = model.Inputs.Count == 1 || model.Inputs.Any(b => b.Width == 1 && b.Offset == c);
        for (int i = 0; i < inputs.Length; i++) inputs[i] = ids[i % model.InputSize] ? rng.NextInt(vocabulary) : (float)rng.NextGaussian();
        if (model.MaskPaddingIndex >= 0) PadSequences(inputs, batch, model.InputSize, model.MaskPaddingIndex, vocabulary, rng, seed);
        // Each head's targets in its columns of the target rows: class indices, 0/1 labels (also the contrastive pairs' similarity), or values.
        var targets = new float[batch * model.TargetSize];
        for (int r = 0; r < batch; r++)
            foreach (var head in model.Heads)
                for (int j = 0; j < head.TargetSize; j++)
                    targets[r * model.TargetSize + head.TargetOffset + j] = head.Loss switch
                    {
                        Loss.SoftmaxCrossEntropy => rng.NextInt(head.OutputSize / head.TargetSize),
                        Loss.BinaryCrossEntropy or Loss.Contrastive => rng.NextInt(2),
                        _ => (float)rng.NextGaussian(),
                    };
        return (inputs, targets);
    }

    /// <summary>
    /// Variable-length sequences (MaskPadding): real ids (small ones, never the padding id) for each sample's length, the
    /// padding id after. Lengths cycle through full, 1, 0, about half and one short of full, shifted by the seed, so every
    /// batch of 5 masks a sample entirely, a short one, and none of a full one.
    /// </summary>
    private static void PadSequences(float[] inputs, int batch, int positions, int padding, int vocabulary, Rng rng, int seed)
    {
        int[] pattern = { positions, 1, 0, positions / 2, positions - 1 };
        int real = Math.Min(vocabulary, 7) - 1;   // ids 0…6 but the padding id
        for (int r = 0; r < batch; r++)
        {
            int length = pattern[(r + seed) % pattern.Length];
            for (int t = 0; t < positions; t++)
            {
                int id = rng.NextInt(real);
                inputs[r * positions + t] = t >= length ? padding : id >= padding ? id + 1 : id;
            }
        }
    }
}

/// <summary>A theory that needs g++ for the host emulation; skipped with the reason where there is none.</summary>
public sealed class EmulatorTheoryAttribute : TheoryAttribute
{
    public EmulatorTheoryAttribute() => Skip = HostEmulator.Unavailable;
}
