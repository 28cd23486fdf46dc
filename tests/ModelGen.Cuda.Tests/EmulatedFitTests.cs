using System;
using System.Collections.Generic;
using System.Linq;
using ModelGen.Compute;
using ModelGen.Cuda.Tests.Emulation;
using ModelGen.Tests.Models;
using Xunit;
using static ModelGen.Cuda.Tests.CpuComparison;

namespace ModelGen.Cuda.Tests;

/// <summary>
/// <see cref="Model.Fit"/> with a CUDA device, its steps run by the generated kernels on the host emulation
/// (<see cref="HostEmulator"/> standing in for the GPU through <see cref="FitGpu"/>), against the same Fit on the CPU:
/// per-epoch losses, final parameters and BatchNorm statistics within float32 tolerances
/// (|gpu − cpu| ≤ atol + rtol·|cpu|), validation and early stopping, and what the GPU path refuses.
/// </summary>
[Collection(EmulatorCollection.Name)]
public class EmulatedFitTests
{
    // GpuCheck's float32 tolerances; they hold over a dozen updates too.
    private static readonly (double Atol, double Rtol) Losses = Float32.Outputs, Parameters = Float32.Parameters;

    private static FitGpu Emulated(List<string>? messages = null) => new(
        () => new CudaAvailability(true, "host emulation of the CUDA kernels", 1),
        (plan, maxBatch, device) => new CudaGraph(plan, maxBatch, () => HostEmulator.Create(plan, new CudaCompileOptions(device.MatMul))),
        messages is null ? null : messages.Add);

    [EmulatorFact]
    public void BatchNormModel_SgdWithMomentum_TrainsLikeTheCpu()
    {
        // 40 rows in batches of 16: 16, 16 and a last batch of 8, three epochs.
        var data = Gaussian(rows: 40, features: 50, classes: 3, seed: 4);
        var cpu = new BatchNormNet(seed: 2);
        var gpu = new BatchNormNet(seed: 2);
        Assert.True(BatchNormNet.CudaPlan.IsSupported, BatchNormNet.CudaPlan.UnsupportedReason);
        var cpuSgd = new Sgd(0.05f, momentum: 0.9f);
        var gpuSgd = new Sgd(0.05f, momentum: 0.9f);
        var cpuHistory = cpu.Fit(data, epochs: 3, batchSize: 16, optimizer: cpuSgd, seed: 7);
        TrainingHistory gpuHistory;
        using (FitGpu.Use(Emulated()))
            gpuHistory = gpu.Fit(data, epochs: 3, batchSize: 16, optimizer: gpuSgd, seed: 7, device: Device.Cuda());

        Assert.Equal(9, gpuSgd.StepCount);
        AssertClose("per-epoch training loss", cpuHistory.Select(e => e.TrainLoss).ToArray(), gpuHistory.Select(e => e.TrainLoss).ToArray(), Losses);
        Assert.True(cpuHistory[2].TrainLoss < cpuHistory[0].TrainLoss, "the CPU run should learn something for the comparison to mean anything");
        AssertClose("parameters after 3 epochs", cpu.Parameters.ToArray(), gpu.Parameters.ToArray(), Parameters);
        AssertClose("BatchNorm running statistics", cpu.State.ToArray(), gpu.State.ToArray(), Losses);
        // The model can go on training on either device from the same optimizer: the GPU's velocity came back with it.
        AssertClose("SGD velocity", cpuSgd.Moments.First!, gpuSgd.Moments.First!, Parameters);
    }

    [EmulatorFact]
    public void Mlp_AdamWithASchedule_TrainsLikeTheCpu_AndContinuesAcrossFits()
    {
        // 56 rows in batches of 16: 16, 16, 16 and 8; cosine decay over the 8 steps of two epochs.
        var data = Gaussian(rows: 56, features: 5, classes: 3, seed: 1);
        var cpu = new Blobs(seed: 3);
        var gpu = new Blobs(seed: 3);
        var cpuAdam = new Adam(1e-2f);
        var gpuAdam = new Adam(1e-2f);
        var cpuHistory = cpu.Fit(data, epochs: 2, batchSize: 16, optimizer: cpuAdam, seed: 5, schedule: new CosineDecay(8, minRate: 1e-3f));
        TrainingHistory gpuHistory;
        using (FitGpu.Use(Emulated()))
            gpuHistory = gpu.Fit(data, epochs: 2, batchSize: 16, optimizer: gpuAdam, seed: 5, schedule: new CosineDecay(8, minRate: 1e-3f), device: Device.Cuda());

        AssertClose("per-epoch training loss", cpuHistory.Select(e => e.TrainLoss).ToArray(), gpuHistory.Select(e => e.TrainLoss).ToArray(), Losses);
        Assert.Equal(cpuHistory.Select(e => e.LearningRate), gpuHistory.Select(e => e.LearningRate));
        Assert.Equal(1e-2f, gpuAdam.LearningRate);   // Fit hands each step its rate and leaves the base rate
        AssertClose("parameters after 2 epochs", cpu.Parameters.ToArray(), gpu.Parameters.ToArray(), Parameters);

        // A second Fit with the same optimizer continues its moments and step count on both devices.
        cpuHistory = cpu.Fit(data, epochs: 1, batchSize: 16, optimizer: cpuAdam, seed: 6);
        using (FitGpu.Use(Emulated()))
            gpuHistory = gpu.Fit(data, epochs: 1, batchSize: 16, optimizer: gpuAdam, seed: 6, device: Device.Cuda());
        Assert.Equal(12, gpuAdam.StepCount);
        AssertClose("training loss of the second Fit", new[] { cpuHistory[0].TrainLoss }, new[] { gpuHistory[0].TrainLoss }, Losses);
        AssertClose("parameters after the second Fit", cpu.Parameters.ToArray(), gpu.Parameters.ToArray(), Parameters);
    }

    [EmulatorFact]
    public void TrainingAccuracy_OnTheGpu_JudgesTheStepsOutputs_AsTheCpuDoes()
    {
        // One step per epoch: epoch e's accuracy is that of the parameters after epoch e − 1. The loss kernel writes its
        // gradient over the logits, so outputs read after the step (not between forward and loss) would be judged wrongly.
        var data = Gaussian(rows: 48, features: 5, classes: 3, seed: 6);
        var cpu = new Blobs(seed: 5);
        var gpu = new Blobs(seed: 5);
        var cpuHistory = cpu.Fit(data, epochs: 4, batchSize: 48, optimizer: new Sgd(0.5f), seed: 2);
        var before = new List<float> { gpu.Evaluate(data).Accuracy };
        TrainingHistory gpuHistory;
        using (FitGpu.Use(Emulated()))
            gpuHistory = gpu.Fit(data, epochs: 4, batchSize: 48, optimizer: new Sgd(0.5f), seed: 2, device: Device.Cuda(),
                onEpoch: _ => before.Add(gpu.Evaluate(data).Accuracy));

        for (int e = 0; e < 4; e++) Assert.Equal(before[e], gpuHistory[e].TrainAccuracy, 6);
        Assert.Equal(cpuHistory.Select(e => e.TrainAccuracy), gpuHistory.Select(e => e.TrainAccuracy));
        Assert.Contains(Enumerable.Range(0, 4), e => before[e] != before[e + 1]);
    }

    [EmulatorFact]
    public void ValidationAndEarlyStopping_RestoreTheBestEpoch_OnTheGpu()
    {
        // Labels unrelated to the features: the validation loss gets worse once the model memorises the training rows.
        var train = Gaussian(rows: 48, features: 5, classes: 3, seed: 2, signal: 0);
        var validation = Gaussian(rows: 32, features: 5, classes: 3, seed: 3, signal: 0);
        TrainingHistory Train(Model model, Device device)
        {
            using (FitGpu.Use(Emulated()))
                return model.Fit(train, validation, epochs: 8, batchSize: 16, optimizer: new Adam(0.05f), seed: 1,
                    earlyStopping: new EarlyStopping(patience: 2), device: device);
        }
        var cpu = new Blobs(seed: 4);
        var gpu = new Blobs(seed: 4);
        var cpuHistory = Train(cpu, Device.Cpu);
        var gpuHistory = Train(gpu, Device.Cuda());

        Assert.True(cpuHistory.StoppedEarly && cpuHistory.BestEpoch < cpuHistory.Count, "the CPU run should stop early after its best epoch");
        Assert.Equal(cpuHistory.Count, gpuHistory.Count);
        Assert.Equal(cpuHistory.BestEpoch, gpuHistory.BestEpoch);
        Assert.Equal(cpuHistory.StoppedEpoch, gpuHistory.StoppedEpoch);
        Assert.True(gpuHistory.RestoredBestWeights);
        AssertClose("validation losses", cpuHistory.Select(e => e.ValidationLoss!.Value).ToArray(), gpuHistory.Select(e => e.ValidationLoss!.Value).ToArray(), Losses);
        // The model holds the best epoch's parameters: its validation loss is that epoch's.
        Assert.Equal(gpuHistory[gpuHistory.BestEpoch!.Value - 1].ValidationLoss!.Value, gpu.Evaluate(validation).Loss);
        AssertClose("restored parameters", cpu.Parameters.ToArray(), gpu.Parameters.ToArray(), Parameters);
    }

    [EmulatorFact]
    public void ANonFiniteLoss_StopsLikeTheCpu_AndTheModelHoldsTheFailedStep()
    {
        // One row with a NaN feature, let in on purpose: the step whose batch holds it gives a NaN loss on both devices, mid-epoch.
        var rng = new Rng(8);
        var x = new float[40 * 3];
        var y = new float[40];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        for (int i = 0; i < y.Length; i++) y[i] = (float)rng.NextGaussian();
        x[17 * 3 + 1] = float.NaN;
        Assert.Throws<ArgumentException>(() => Dataset.ForRegression(x, 3, y));
        var data = Dataset.ForRegression(x, 3, y, allowNonFinite: true);
        var cpu = new Linear(seed: 1);
        var gpu = new Linear(seed: 1);
        var cpuSgd = new Sgd(0.05f);
        var gpuSgd = new Sgd(0.05f);
        var cpuError = Assert.Throws<InvalidOperationException>(() => cpu.Fit(data, epochs: 2, batchSize: 16, optimizer: cpuSgd, seed: 2));
        InvalidOperationException gpuError;
        using (FitGpu.Use(Emulated()))
            gpuError = Assert.Throws<InvalidOperationException>(() => gpu.Fit(data, epochs: 2, batchSize: 16, optimizer: gpuSgd, seed: 2, device: Device.Cuda()));

        Assert.Equal(cpuError.Message, gpuError.Message);
        Assert.Contains("became NaN in epoch 1", gpuError.Message);
        Assert.Contains("allowNonFinite: true and holds non-finite values (feature row 17, column 1 is NaN)", gpuError.Message);
        Assert.Equal(cpuSgd.StepCount, gpuSgd.StepCount);
        // The failed step's update reached the model, as on the CPU (not only the last finished epoch's parameters).
        Assert.Equal(cpu.Parameters.ToArray().Select(float.IsNaN), gpu.Parameters.ToArray().Select(float.IsNaN));
        Assert.Contains(gpu.Parameters.ToArray(), float.IsNaN);
    }

    [EmulatorFact]
    public void ADivergingFit_SaysSoOnTheGpu_AsOnTheCpu()
    {
        // Finite data and a rate far too high: both devices stop at the same step with the same message.
        var rng = new Rng(3);
        var x = new float[64 * 3];
        var y = new float[64];
        for (int i = 0; i < x.Length; i++) x[i] = 100f * (float)rng.NextGaussian();
        for (int i = 0; i < y.Length; i++) y[i] = 1000f * (float)rng.NextGaussian();
        var data = Dataset.ForRegression(x, 3, y);
        var cpuError = Assert.Throws<InvalidOperationException>(() => new Linear(seed: 1).Fit(data, epochs: 50, batchSize: 16, optimizer: new Sgd(10f), seed: 1));
        InvalidOperationException gpuError;
        using (FitGpu.Use(Emulated()))
            gpuError = Assert.Throws<InvalidOperationException>(() => new Linear(seed: 1).Fit(data, epochs: 50, batchSize: 16, optimizer: new Sgd(10f), seed: 1, device: Device.Cuda()));
        Assert.Equal(cpuError.Message, gpuError.Message);
        Assert.Contains("the data is finite (checked before training), so the training diverged", gpuError.Message);
    }

    [EmulatorFact]
    public void NonFiniteData_IsRefusedBeforeTheGpuIsOpened()
    {
        var x = new float[8 * 3];
        var y = new float[8];
        var data = Dataset.ForRegression(x, 3, y);
        x[5] = float.NaN;
        var messages = new List<string>();
        ArgumentException error;
        using (FitGpu.Use(Emulated(messages)))
            error = Assert.Throws<ArgumentException>(() => new Linear(seed: 1).Fit(data, epochs: 1, device: Device.Cuda()));
        Assert.StartsWith("Feature row 1, column 2 of 'train' is NaN", error.Message);
        Assert.Empty(messages);
    }

    [EmulatorFact]
    public void TheDevicesGemmPrecision_ReachesTheKernels()
    {
        // BF16 tensor cores (emulated): the same training within reduced-precision tolerances, and not float32's numbers.
        var data = Gaussian(rows: 40, features: 5, classes: 3, seed: 2);
        var cpu = new Blobs(seed: 5);
        var fp32 = new Blobs(seed: 5);
        var bf16 = new Blobs(seed: 5);
        var cpuHistory = cpu.Fit(data, epochs: 2, batchSize: 16, optimizer: new Sgd(0.1f), seed: 1);
        TrainingHistory fp32History, bf16History;
        using (FitGpu.Use(Emulated()))
        {
            fp32History = fp32.Fit(data, epochs: 2, batchSize: 16, optimizer: new Sgd(0.1f), seed: 1, device: Device.Cuda());
            bf16History = bf16.Fit(data, epochs: 2, batchSize: 16, optimizer: new Sgd(0.1f), seed: 1, device: Device.Cuda(matMul: MatMulPrecision.BF16));
        }
        AssertClose("float32 per-epoch loss", cpuHistory.Select(e => e.TrainLoss).ToArray(), fp32History.Select(e => e.TrainLoss).ToArray(), Losses);
        AssertClose("BF16 per-epoch loss", cpuHistory.Select(e => e.TrainLoss).ToArray(), bf16History.Select(e => e.TrainLoss).ToArray(), GpuCheck.Tolerance.For(MatMulPrecision.BF16).Outputs);
        double fp32Gap = fp32.Parameters.ToArray().Zip(cpu.Parameters.ToArray(), (a, b) => Math.Abs(a - b)).Max();
        double bf16Gap = bf16.Parameters.ToArray().Zip(cpu.Parameters.ToArray(), (a, b) => Math.Abs(a - b)).Max();
        Assert.True(bf16Gap > 10 * fp32Gap, $"BF16 parameters should be further from the CPU's than float32's ({bf16Gap:G3} vs {fp32Gap:G3})");
        Assert.Equal("cuda:0 (BF16)", Device.Cuda(matMul: MatMulPrecision.BF16).ToString());
    }

    public static TheoryData<string> RulesWithPenaltiesAndClipping() => new() { "rmsprop", "adagrad" };

    [EmulatorTheory]
    [MemberData(nameof(RulesWithPenaltiesAndClipping))]
    public void PenaltiesClippingAndOtherRules_TrainLikeTheCpu(string rule)
    {
        // RMSProp with momentum, L1 and clipping; Adagrad with a decaying rate, a starting accumulator and L2.
        var data = Gaussian(rows: 40, features: 5, classes: 3, seed: 5);
        var cpu = new Blobs(seed: 4);
        var gpu = new Blobs(seed: 4);
        Optimizer Create() => rule == "rmsprop" ? new RmsProp(1e-2f, momentum: 0.5f) : new Adagrad(0.1f, learningRateDecay: 0.05f, initialAccumulatorValue: 0.1f);
        float clip = rule == "rmsprop" ? 0.5f : 0f, l1 = rule == "rmsprop" ? 1e-3f : 0f, l2 = rule == "adagrad" ? 1e-2f : 0f;
        Optimizer cpuRule = Create(), gpuRule = Create();
        var cpuHistory = cpu.Fit(data, epochs: 2, batchSize: 16, optimizer: cpuRule, seed: 6, clipGradientNorm: clip, l1: l1, l2: l2);
        TrainingHistory gpuHistory;
        using (FitGpu.Use(Emulated()))
            gpuHistory = gpu.Fit(data, epochs: 2, batchSize: 16, optimizer: gpuRule, seed: 6, clipGradientNorm: clip, l1: l1, l2: l2, device: Device.Cuda());

        Assert.Equal(6, gpuRule.StepCount);
        AssertClose("per-epoch training loss with the penalty", cpuHistory.Select(e => e.TrainLoss).ToArray(), gpuHistory.Select(e => e.TrainLoss).ToArray(), Losses);
        AssertClose("parameters after 2 epochs", cpu.Parameters.ToArray(), gpu.Parameters.ToArray(), Parameters);
        AssertClose("the optimizer's squared-gradient state", cpuRule.Moments.Second!, gpuRule.Moments.Second!, Parameters);
    }

    public static IEnumerable<object[]> UnsupportedOptions() => new[]
    {
        new object[] { "accumulationSteps", new FitOptions(AccumulationSteps: 2) },
        new object[] { "RmsProp", new FitOptions(Optimizer: () => new RmsProp(1e-2f, centered: true, momentum: 0.9f)) },
    };

    [EmulatorTheory]
    [MemberData(nameof(UnsupportedOptions))]
    public void CudaDevice_WithAnOptionTheGpuLacks_ThrowsBeforeTraining(string named, FitOptions options)
    {
        var data = Gaussian(rows: 40, features: 5, classes: 3, seed: 1);
        var model = new Blobs(seed: 3);
        var before = model.Parameters.ToArray();
        var optimizer = options.CreateOptimizer();
        NotSupportedException error;
        using (FitGpu.Use(Emulated()))
            error = Assert.Throws<NotSupportedException>(() => options.Fit(model, data, optimizer, Device.Cuda()));
        Assert.StartsWith("Blobs.Fit cannot train on cuda:0: ", error.Message);
        Assert.Contains(named, error.Message);
        Assert.Contains("Device.Cpu", error.Message);
        Assert.Equal(before, model.Parameters.ToArray());
        Assert.Equal(0, optimizer.StepCount);
    }

    [EmulatorTheory]
    [MemberData(nameof(UnsupportedOptions))]
    public void AutoDevice_WithAnOptionTheGpuLacks_TrainsOnTheCpu_AndSaysWhyOnce(string named, FitOptions options)
    {
        var data = Gaussian(rows: 40, features: 5, classes: 3, seed: 1);
        var onCpu = new Blobs(seed: 3);
        var auto = new Blobs(seed: 3);
        var expected = options.Fit(onCpu, data, options.CreateOptimizer(), device: null);
        var messages = new List<string>();
        TrainingHistory actual;
        using (FitGpu.Use(Emulated(messages)))
            actual = options.Fit(auto, data, options.CreateOptimizer(), Device.Auto);

        var message = Assert.Single(messages);
        Assert.StartsWith("ModelGen: Device.Auto is using the CPU: Blobs.Fit ", message);
        Assert.Contains(named, message);
        Assert.Equal(expected.Select(e => e.TrainLoss), actual.Select(e => e.TrainLoss));
        Assert.Equal(onCpu.Parameters.ToArray(), auto.Parameters.ToArray());
    }

    [EmulatorFact]
    public void AutoDevice_WithEverythingSupported_TrainsOnTheGpu_Silently()
    {
        var data = Gaussian(rows: 40, features: 5, classes: 3, seed: 1);
        var onCpu = new Blobs(seed: 3);
        var auto = new Blobs(seed: 3);
        onCpu.Fit(data, epochs: 1, batchSize: 16, optimizer: new Sgd(0.1f), seed: 2);
        var messages = new List<string>();
        using (FitGpu.Use(Emulated(messages)))
            auto.Fit(data, epochs: 1, batchSize: 16, optimizer: new Sgd(0.1f), seed: 2, device: Device.Auto);
        Assert.Empty(messages);
        AssertClose("parameters", onCpu.Parameters.ToArray(), auto.Parameters.ToArray(), Parameters);
        // The emulation sums in another order than the CPU: equal bits would mean the CPU ran.
        Assert.NotEqual(onCpu.Parameters.ToArray(), auto.Parameters.ToArray());
    }

    /// <summary>Fit options the GPU path does not take, with one epoch of batches of 16 otherwise.</summary>
    public sealed record FitOptions(float ClipGradientNorm = 0f, float L2 = 0f, int AccumulationSteps = 1, Func<Optimizer>? Optimizer = null)
    {
        public Optimizer CreateOptimizer() => Optimizer?.Invoke() ?? new Adam(1e-2f);

        public TrainingHistory Fit(Model model, Dataset data, Optimizer optimizer, Device? device) =>
            model.Fit(data, epochs: 2, batchSize: 16, optimizer: optimizer, seed: 3, clipGradientNorm: ClipGradientNorm,
                accumulationSteps: AccumulationSteps, l2: L2, device: device);
    }

    /// <summary>Gaussian features shifted by <paramref name="signal"/> in the feature that matches the label (0: labels are noise).</summary>
    [EmulatorFact]
    public void SeveralHeadsAndAContrastivePair_TrainLikeTheCpu()
    {
        // 24 rows in batches of 10 (10, 10, 4), two epochs. MultiHeadNet's target rows hold its heads' targets side by side
        // (a class, two values, a 0/1 flag); ContrastiveNet's one similarity label per pair.
        const int rows = 24;
        var rng = new Rng(8);
        var x = new float[rows * 5];
        var targets = new float[rows * 4];
        var pairs = new float[rows * 8];
        var similar = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < 5; j++) x[5 * r + j] = (float)rng.NextGaussian();
            targets[4 * r] = rng.NextInt(3);
            targets[4 * r + 1] = (float)rng.NextGaussian();
            targets[4 * r + 2] = (float)rng.NextGaussian();
            targets[4 * r + 3] = rng.NextInt(2);
            for (int j = 0; j < 8; j++) pairs[8 * r + j] = (float)rng.NextGaussian();
            similar[r] = rng.NextInt(2);
        }
        var cases = new (Model Cpu, Model Gpu, Dataset Data)[]
        {
            (new MultiHeadNet(seed: 2), new MultiHeadNet(seed: 2), Dataset.ForRegression(x, 5, targets, 4)),
            (new ContrastiveNet(seed: 2), new ContrastiveNet(seed: 2), Dataset.ForRegression(pairs, 8, similar).WithInputs(("left", 4), ("right", 4))),
        };
        foreach (var (cpu, gpu, data) in cases)
        {
            string name = cpu.GetType().Name;
            var initial = cpu.Parameters.ToArray();
            var cpuHistory = cpu.Fit(data, epochs: 2, batchSize: 10, optimizer: new Sgd(0.05f, momentum: 0.9f), seed: 3);
            TrainingHistory gpuHistory;
            using (FitGpu.Use(Emulated()))
                gpuHistory = gpu.Fit(data, epochs: 2, batchSize: 10, optimizer: new Sgd(0.05f, momentum: 0.9f), seed: 3, device: Device.Cuda());

            AssertClose($"{name}: per-epoch training loss", cpuHistory.Select(e => e.TrainLoss).ToArray(), gpuHistory.Select(e => e.TrainLoss).ToArray(), Losses);
            AssertClose($"{name}: parameters after 2 epochs", cpu.Parameters.ToArray(), gpu.Parameters.ToArray(), Parameters);
            Assert.NotEqual(initial, gpu.Parameters.ToArray());
            // Evaluate (per head) runs on the CPU with the parameters the GPU trained.
            var expected = cpu.Evaluate(data);
            var actual = gpu.Evaluate(data);
            AssertClose($"{name}: evaluation loss", new[] { expected.Loss }, new[] { actual.Loss }, Losses);
            if (expected.Heads is { Count: > 1 } heads)
                AssertClose($"{name}: each head's loss", heads.Select(h => h.MeanLoss).ToArray(), actual.Heads!.Select(h => h.MeanLoss).ToArray(), Losses);
        }
    }

    [EmulatorFact]
    public void VariableLengthSequences_TrainLikeTheCpu()
    {
        // MaskPadding: 20 padded sentences of 6 ids (lengths 0…6) tagged per position, batches of 8 (8, 8, 4), two epochs.
        // The loss of each step is the mean over its real positions, on both devices.
        const int rows = 20, positions = 6;
        var rng = new Rng(9);
        var ids = new float[rows * positions];
        var labels = new int[rows * positions];
        for (int r = 0; r < rows; r++)
        {
            int length = r % (positions + 1);
            for (int t = 0; t < length; t++) ids[r * positions + t] = 1 + rng.NextInt(8);
            for (int t = 0; t < positions; t++) labels[r * positions + t] = rng.NextInt(4);
        }
        var data = Dataset.ForSequenceClassification(ids, positions, labels, labelsPerRow: positions, classCount: 4);
        var cpu = new MaskedGruTagger(seed: 2);
        var gpu = new MaskedGruTagger(seed: 2);
        Assert.True(MaskedGruTagger.CudaPlan.IsSupported, MaskedGruTagger.CudaPlan.UnsupportedReason);
        var cpuHistory = cpu.Fit(data, epochs: 2, batchSize: 8, optimizer: new Adam(0.02f), seed: 4);
        TrainingHistory gpuHistory;
        using (FitGpu.Use(Emulated()))
            gpuHistory = gpu.Fit(data, epochs: 2, batchSize: 8, optimizer: new Adam(0.02f), seed: 4, device: Device.Cuda());

        AssertClose("per-epoch training loss", cpuHistory.Select(e => e.TrainLoss).ToArray(), gpuHistory.Select(e => e.TrainLoss).ToArray(), Losses);
        Assert.True(cpuHistory[1].TrainLoss < cpuHistory[0].TrainLoss, "the CPU run should learn something for the comparison to mean anything");
        AssertClose("parameters after 2 epochs", cpu.Parameters.ToArray(), gpu.Parameters.ToArray(), Parameters);
        AssertClose("evaluation loss over the real positions", new[] { cpu.Evaluate(data).Loss }, new[] { gpu.Evaluate(data).Loss }, Losses);
    }

    private static Dataset Gaussian(int rows, int features, int classes, int seed, double signal = 2.0)
    {
        var rng = new Rng(seed);
        var x = new float[rows * features];
        var labels = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            labels[i] = rng.NextInt(classes);
            for (int j = 0; j < features; j++) x[i * features + j] = (float)(rng.NextGaussian() + (j % classes == labels[i] ? signal : 0.0));
        }
        return Dataset.ForClassification(x, features, labels, classes);
    }
}
