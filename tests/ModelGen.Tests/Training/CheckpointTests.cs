using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ModelGen.Compute;
using ModelGen.Serialization;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests.Training;

/// <summary>
/// Exact-resume checkpoints: Fit for k epochs with checkpoints, then a fresh model and optimizer resumed from the file to E
/// epochs, against one uninterrupted Fit of E epochs: parameters, state, gradients, optimizer state and step count, and every
/// history figure agree bit for bit. Then what a checkpoint refuses, and how the folder is kept.
/// </summary>
public sealed class CheckpointTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "modelgen-checkpoints-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    private string Folder(string name) => Path.Combine(_folder, name);

    /// <summary>One Fit configuration; every factory makes fresh objects.</summary>
    public sealed record Scenario(
        Func<int, Model> Create, Func<Dataset> Train, Func<Dataset?> Validation, int Epochs, int Resume, int BatchSize, Func<Optimizer> Optimizer,
        int Seed = 0, float Clip = 0f, Func<LearningRateSchedule?>? Schedule = null, int Accumulation = 1,
        Func<EarlyStopping?>? EarlyStopping = null, float L1 = 0f, float L2 = 0f, Action<Model>? Prepare = null);

    private static Dataset Blobs(int rows, int seed, double noise = 0.7) => FitFeatureTests.MakeBlobs(rows, seed, noise);

    /// <summary>BatchNormNet's 2×5×5 images with labels from a fixed linear rule.</summary>
    private static Dataset Images(int rows, int seed) => FitReproducibilityTests.Images(rows, features: 50, seed);

    public static readonly Dictionary<string, Scenario> Scenarios = new()
    {
        // Validation larger than the batch: Fit builds a larger graph mid-epoch, and the dropout stream must go on through it.
        ["adam-cosine-dropout-batchnorm"] = new(seed => new DropoutBatchNormBlobs(seed), () => Blobs(60, 1), () => Blobs(40, 2), 6, 3, 8,
            () => new Adam(1e-2f), Seed: 3, Schedule: () => new CosineDecay(40, 1e-4f)),
        ["sgd-nesterov-penalties-clip"] = new(seed => new Blobs(seed), () => Blobs(50, 3), () => Blobs(20, 4), 5, 2, 8,
            () => new Sgd(0.1f, momentum: 0.9f, nesterov: true, weightDecay: 0.01f), Seed: 4, Clip: 0.5f, L1: 1e-3f, L2: 1e-2f),
        ["adamw-warmup-accumulation"] = new(seed => new Blobs(seed), () => Blobs(45, 5), () => null, 4, 1, 4,
            () => new AdamW(1e-2f, weightDecay: 0.05f), Seed: 5, Accumulation: 3, Schedule: () => new LinearWarmup(3, new StepDecay(2, 0.5f))),
        ["rmsprop-centered-momentum"] = new(seed => new DropoutBatchNormBlobs(seed), () => Blobs(40, 6), () => Blobs(12, 7), 4, 2, 8,
            () => new RmsProp(1e-2f, momentum: 0.5f, centered: true), Seed: 6),
        ["adagrad"] = new(seed => new Blobs(seed), () => Blobs(40, 8), () => null, 4, 3, 8,
            () => new Adagrad(0.05f, learningRateDecay: 0.01f, initialAccumulatorValue: 0.1f), Seed: 7),
        // Noisy validation: early stopping ends the run; the resume point lies before the stop, so the wait crosses it.
        ["early-stop-restore"] = new(seed => new Blobs(seed), () => Blobs(30, 9), () => Blobs(30, 10, noise: 3.0), 25, 2, 5,
            () => new Adam(5e-2f), Seed: 8, EarlyStopping: () => new EarlyStopping(patience: 2)),
        ["batchnorm-early-stop-accuracy"] = new(seed => new BatchNormNet(seed), () => Images(36, 11), () => Images(20, 12), 12, 1, 6,
            () => new Adam(3e-2f), Seed: 9, EarlyStopping: () => new EarlyStopping(EarlyStopMetric.ValidationAccuracy, patience: 1)),
        ["frozen-layer"] = new(seed => new FrozenBaseNet(seed), () => Blobs(40, 13), () => Blobs(20, 14), 4, 2, 8,
            () => new Adam(1e-2f, weightDecay: 0.01f), Seed: 10, Prepare: m => m.Freeze("Middle")),
    };

    public static TheoryData<string> ScenarioNames() => new(Scenarios.Keys);

    private static TrainingHistory Fit(Model model, Scenario s, Optimizer optimizer, int epochs, CheckpointOptions? checkpoints = null, string? resumeFrom = null,
        Action<EpochResult>? onEpoch = null) =>
        model.Fit(s.Train(), s.Validation(), epochs, s.BatchSize, optimizer, s.Seed, s.Clip, onEpoch, s.Schedule?.Invoke(), s.Accumulation,
            s.EarlyStopping?.Invoke(), s.L1, s.L2, checkpoints: checkpoints, resumeFrom: resumeFrom);

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void FitThenResume_EqualsOneUninterruptedFit_BitForBit(string name)
    {
        var s = Scenarios[name];
        var whole = s.Create(1);
        s.Prepare?.Invoke(whole);
        var wholeOptimizer = s.Optimizer();
        var wholeHistory = Fit(whole, s, wholeOptimizer, s.Epochs);

        var first = s.Create(1);
        s.Prepare?.Invoke(first);
        string folder = Folder(name);
        Fit(first, s, s.Optimizer(), s.Resume, new CheckpointOptions(folder, everyEpochs: 1, keepLast: 0));
        // A model of another seed and a new optimizer: everything that matters must come from the file.
        var resumed = s.Create(99);
        var resumedOptimizer = s.Optimizer();
        var seen = new List<int>();
        var resumedHistory = Fit(resumed, s, resumedOptimizer, s.Epochs, resumeFrom: Path.Combine(folder, Checkpoint.FileName(s.Resume)), onEpoch: e => seen.Add(e.Epoch));

        Assert.Equal(Outline(wholeHistory, wholeOptimizer, whole), Outline(resumedHistory, resumedOptimizer, resumed));
        Assert.Equal(Bits(Numbers(wholeHistory, wholeOptimizer, whole)), Bits(Numbers(resumedHistory, resumedOptimizer, resumed)));
        Assert.Equal(Enumerable.Range(s.Resume + 1, wholeHistory.Count - s.Resume), seen);
    }

    [Fact]
    public void ScenariosExerciseWhatTheyClaim()
    {
        // Early stopping stops after the resume point and restores; the dropout model builds a larger graph (validation > batch).
        var s = Scenarios["early-stop-restore"];
        var history = Fit(s.Create(1), s, s.Optimizer(), s.Epochs);
        Assert.True(history.StoppedEarly && history.StoppedEpoch > s.Resume && history.RestoredBestWeights, history.ToString());
        Assert.NotEqual(history.BestEpoch, history.Count);
        var bn = Scenarios["batchnorm-early-stop-accuracy"];
        var bnHistory = Fit(bn.Create(1), bn, bn.Optimizer(), bn.Epochs);
        Assert.True(bnHistory.StoppedEarly && bnHistory.StoppedEpoch > bn.Resume, bnHistory.ToString());
        var dropout = Scenarios["adam-cosine-dropout-batchnorm"];
        Assert.True(dropout.Validation()!.Count > dropout.BatchSize);
    }

    [Fact]
    public void ACheckpointAtTheLastEpochOfAShorterFit_StopsWhereTheLongerFitWould()
    {
        // The shorter Fit reaches the patience in its last epoch, where early stopping does not stop; resumed with more epochs
        // to go, it must stop right there, as the longer Fit did.
        var s = Scenarios["early-stop-restore"];
        var whole = s.Create(1);
        var wholeOptimizer = s.Optimizer();
        var wholeHistory = Fit(whole, s, wholeOptimizer, s.Epochs);
        int stop = wholeHistory.StoppedEpoch!.Value;
        string folder = Folder("stop");
        var shorter = Fit(s.Create(1), s, s.Optimizer(), stop, new CheckpointOptions(folder));
        Assert.False(shorter.StoppedEarly);
        var resumed = s.Create(2);
        var resumedOptimizer = s.Optimizer();
        var resumedHistory = Fit(resumed, s, resumedOptimizer, s.Epochs, resumeFrom: Checkpoint.Latest(folder));
        Assert.Equal(Outline(wholeHistory, wholeOptimizer, whole), Outline(resumedHistory, resumedOptimizer, resumed));
        // The resumed Fit takes no step, so its model has no gradient of a last step to compare.
        Assert.Equal(Bits(Numbers(wholeHistory, wholeOptimizer, whole, gradients: false)), Bits(Numbers(resumedHistory, resumedOptimizer, resumed, gradients: false)));
    }

    [Fact]
    public void ARunKilledMidway_ResumesFromTheLatestCheckpoint_AndEndsAsIfUninterrupted()
    {
        var s = Scenarios["adam-cosine-dropout-batchnorm"];
        var whole = s.Create(1);
        var wholeOptimizer = s.Optimizer();
        var wholeHistory = Fit(whole, s, wholeOptimizer, s.Epochs);

        // The same script twice: the first run dies in epoch 4's callback (before that epoch's checkpoint), the second resumes.
        string folder = Folder("killed");
        var options = new CheckpointOptions(folder, keepLast: 2);
        Assert.Null(Checkpoint.Latest(folder));
        Assert.Throws<TimeoutException>(() => Fit(s.Create(1), s, s.Optimizer(), s.Epochs, options, Checkpoint.Latest(folder),
            e => { if (e.Epoch == 4) throw new TimeoutException("the machine went away"); }));
        Assert.EndsWith(Checkpoint.FileName(3), Checkpoint.Latest(folder));
        var model = s.Create(1);
        var optimizer = s.Optimizer();
        var history = Fit(model, s, optimizer, s.Epochs, options, Checkpoint.Latest(folder));
        Assert.Equal(Bits(Numbers(wholeHistory, wholeOptimizer, whole)), Bits(Numbers(history, optimizer, model)));
        Assert.Equal([Checkpoint.FileName(5), Checkpoint.FileName(6)], Directory.GetFiles(folder).Select(Path.GetFileName).Order());

        // Once more: the run is complete, so it trains nothing and returns the whole history.
        var again = Fit(s.Create(3), s, s.Optimizer(), s.Epochs, options, Checkpoint.Latest(folder));
        Assert.Equal(Outline(wholeHistory), Outline(again));
    }

    [Fact]
    public void TheFile_IsSafetensorsWithTheOptimizerStateUnderItsNames()
    {
        var model = new Blobs(seed: 1);
        var adam = new Adam(1e-2f);
        string folder = Folder("file");
        model.Fit(Blobs(30, 1), epochs: 2, batchSize: 8, optimizer: adam, checkpoints: new CheckpointOptions(folder));
        var file = SafetensorsFile.Read(Path.Combine(folder, Checkpoint.FileName(2)));
        Assert.Equal(["parameters", "optimizer.exp_avg", "optimizer.exp_avg_sq"], file.Tensors.Select(t => t.Name));
        Assert.Equal(model.Parameters.ToArray(), file["parameters"].ToFloat32());
        Assert.Equal(adam.Moments.First, file["optimizer.exp_avg"].ToFloat32());
        Assert.Equal(adam.Moments.Second, file["optimizer.exp_avg_sq"].ToFloat32());
        string json = file.Metadata["modelgen.checkpoint"];
        Assert.Contains("\"format\":\"modelgen.checkpoint\",\"version\":1", json);
        Assert.Contains("\"epoch\":2,", json);
        Assert.Contains("\"optimizer.learningRate\":\"0.01\"", json);
        Assert.Contains("\"optimizerSteps\":8,", json);
    }

    [Fact]
    public void EveryEpochsAndKeepLast_DecideWhichFilesStay()
    {
        string every2 = Folder("every2");
        new Blobs(seed: 1).Fit(Blobs(16, 1), epochs: 5, batchSize: 8, checkpoints: new CheckpointOptions(every2, everyEpochs: 2, keepLast: 0));
        Assert.Equal(new[] { 2, 4, 5 }.Select(Checkpoint.FileName), Directory.GetFiles(every2).Select(Path.GetFileName).Order());
        string last2 = Folder("last2");
        new Blobs(seed: 1).Fit(Blobs(16, 1), epochs: 5, batchSize: 8, checkpoints: new CheckpointOptions(last2, keepLast: 2));
        Assert.Equal(new[] { 4, 5 }.Select(Checkpoint.FileName), Directory.GetFiles(last2).Select(Path.GetFileName).Order());
        Assert.Equal(Path.Combine(last2, Checkpoint.FileName(5)), Checkpoint.Latest(last2));
        Assert.Null(Checkpoint.Latest(Folder("missing")));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CheckpointOptions(last2, everyEpochs: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CheckpointOptions(last2, keepLast: -1));
    }

    /// <summary>A checkpoint after 2 epochs of Blobs with Adam(1e-2), batch 8, seed 1 on Blobs(30, 1).</summary>
    private string WriteCheckpoint(string name)
    {
        string folder = Folder(name);
        new Blobs(seed: 1).Fit(Blobs(30, 1), epochs: 2, batchSize: 8, optimizer: new Adam(1e-2f), seed: 1, checkpoints: new CheckpointOptions(folder));
        return Path.Combine(folder, Checkpoint.FileName(2));
    }

    [Fact]
    public void ResumingAnotherRun_NamesEveryDifference_AndChangesNothing()
    {
        string path = WriteCheckpoint("other-run");
        var model = new Blobs(seed: 5);
        var before = model.Parameters.ToArray();

        var error = Assert.Throws<ArgumentException>(() => model.Fit(Blobs(31, 1), epochs: 4, batchSize: 8, optimizer: new Adam(2e-2f, beta2: 0.99f), seed: 1, resumeFrom: path));
        Assert.Equal("resumeFrom", error.ParamName);
        Assert.Contains("train.rows: the checkpoint has 30, this Fit 31", error.Message);
        Assert.Contains("optimizer.learningRate: the checkpoint has 0.01, this Fit 0.02", error.Message);
        Assert.Contains("optimizer.beta2: the checkpoint has 0.999, this Fit 0.99", error.Message);

        error = Assert.Throws<ArgumentException>(() => model.Fit(Blobs(30, 1), epochs: 4, batchSize: 8, optimizer: new Sgd(1e-2f), seed: 1, resumeFrom: path));
        Assert.Contains("optimizer: the checkpoint has Adam, this Fit Sgd", error.Message);
        error = Assert.Throws<ArgumentException>(() => model.Fit(Blobs(30, 2), epochs: 4, batchSize: 16, optimizer: new Adam(1e-2f), seed: 1, resumeFrom: path,
            schedule: new CosineDecay(10)));
        Assert.Contains("train.checksum", error.Message);
        Assert.Contains("batchSize: the checkpoint has 8, this Fit 16", error.Message);
        Assert.Contains("schedule: the checkpoint has none, this Fit CosineDecay(totalSteps: 10, minRate: 0)", error.Message);

        var other = new FrozenBaseNet(seed: 1);
        var fileError = Assert.Throws<ModelFileException>(() => other.Fit(Blobs(30, 1), epochs: 4, batchSize: 8, optimizer: new Adam(1e-2f), seed: 1, resumeFrom: path));
        Assert.Contains("another model", fileError.Message);
        Assert.Contains($"model: the checkpoint has {typeof(Blobs).FullName}, this Fit {typeof(FrozenBaseNet).FullName}", fileError.Message);

        var epochsError = Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit(Blobs(30, 1), epochs: 1, batchSize: 8, optimizer: new Adam(1e-2f), seed: 1, resumeFrom: path));
        Assert.Contains("at least 2", epochsError.Message);
        Assert.Equal(before, model.Parameters.ToArray());
    }

    [Fact]
    public void BrokenOrForeignFiles_AreModelFileExceptions()
    {
        string path = WriteCheckpoint("broken");
        var file = SafetensorsFile.Read(path);
        var model = new Blobs(seed: 5);
        TrainingHistory Resume(string from) => model.Fit(Blobs(30, 1), epochs: 3, batchSize: 8, optimizer: new Adam(1e-2f), seed: 1, resumeFrom: from);

        string weights = Path.Combine(_folder, "weights.safetensors");
        SafetensorsFile.Write(weights, file.Tensors);
        Assert.Contains("not a ModelGen checkpoint", Assert.Throws<ModelFileException>(() => Resume(weights)).Message);

        string json = file.Metadata[CheckpointFile.MetadataKey];
        string Edited(string name, string from, string to, IEnumerable<SafetensorsTensor>? tensors = null)
        {
            Assert.Contains(from, json);
            string edited = Path.Combine(_folder, name);
            SafetensorsFile.Write(edited, tensors ?? file.Tensors, [new(CheckpointFile.MetadataKey, json.Replace(from, to))]);
            return edited;
        }
        Assert.Contains("newer ModelGen", Assert.Throws<ModelFileException>(() => Resume(Edited("v9.ckpt", "\"version\":1", "\"version\":9"))).Message);
        Assert.Contains("modelgen.checkpoint.epoch: expected the epochs completed",
            Assert.Throws<ModelFileException>(() => Resume(Edited("epoch.ckpt", "\"epoch\":2", "\"epoch\":\"two\""))).Message);
        Assert.Contains("one entry per epoch (3)", Assert.Throws<ModelFileException>(() => Resume(Edited("history.ckpt", "\"epoch\":2,\"step\"", "\"epoch\":3,\"step\""))).Message);
        Assert.Contains("there is no tensor \"optimizer.exp_avg_sq\"", Assert.Throws<ModelFileException>(() =>
            Resume(Edited("tensor.ckpt", "\"version\":1", "\"version\":1", file.Tensors.Where(t => t.Name != "optimizer.exp_avg_sq")))).Message);
        Assert.Contains("frozenLayers names 'Nope'", Assert.Throws<ModelFileException>(() =>
            Resume(Edited("frozen.ckpt", "\"frozenLayers\":[]", "\"frozenLayers\":[\"Nope\"]"))).Message);
    }

    [Fact]
    public void AFolderOfAnotherRun_IsRefused()
    {
        string path = WriteCheckpoint("folder");
        string folder = Path.GetDirectoryName(path)!;
        var fresh = Assert.Throws<ArgumentException>(() => new Blobs(seed: 1).Fit(Blobs(30, 1), epochs: 2, batchSize: 8, checkpoints: new CheckpointOptions(folder)));
        Assert.Equal("checkpoints", fresh.ParamName);
        Assert.Contains("already holds checkpoints", fresh.Message);

        // Resuming from epoch 1 while epoch 2 of the run that went on is there would mix the two runs.
        string first = Path.Combine(folder, Checkpoint.FileName(1));
        Assert.True(File.Exists(first));
        var later = Assert.Throws<ArgumentException>(() => new Blobs(seed: 1).Fit(Blobs(30, 1), epochs: 3, batchSize: 8, optimizer: new Adam(1e-2f), seed: 1,
            checkpoints: new CheckpointOptions(folder), resumeFrom: first));
        Assert.Contains(Checkpoint.FileName(2), later.Message);
    }

    [Fact]
    public void OptimizersOfAnotherLibrary_AreRefused()
    {
        var error = Assert.Throws<NotSupportedException>(() => new Blobs(seed: 1).Fit(Blobs(16, 1), epochs: 1, optimizer: new PlainDescent(), checkpoints: new CheckpointOptions(Folder("custom"))));
        Assert.Contains("PlainDescent may keep state", error.Message);
    }

    private sealed class PlainDescent() : Optimizer(0.1f)
    {
        protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate, long step)
        {
            for (int i = 0; i < parameters.Length; i++) parameters[i] -= learningRate * gradients[i];
        }
    }

    /// <summary>The discrete facts of a run.</summary>
    private static string Outline(TrainingHistory history, Optimizer? optimizer = null, Model? model = null) =>
        $"epochs {string.Join(",", history.Select(e => e.Epoch))} stopped {history.StoppedEarly} at {history.StoppedEpoch} best {history.BestEpoch} " +
        $"restored {history.RestoredBestWeights} steps {optimizer?.StepCount} frozen {string.Join(",", model?.FrozenLayers ?? [])}";

    /// <summary>Every float of a run: parameters, state, gradients, optimizer state, history figures.</summary>
    private static float[] Numbers(TrainingHistory history, Optimizer optimizer, Model model, bool gradients = true)
    {
        var numbers = new List<float>();
        numbers.AddRange(model.Parameters.ToArray());
        numbers.AddRange(model.State.ToArray());
        if (gradients) numbers.AddRange(model.Gradients.ToArray());
        foreach (var buffer in optimizer.StateBuffers(model.ParameterCount)) numbers.AddRange(buffer.Values);
        numbers.Add(history.BestValue ?? -1f);
        foreach (var e in history) numbers.AddRange([e.TrainLoss, e.ValidationLoss ?? -1f, e.ValidationAccuracy ?? -1f, e.LearningRate]);
        return numbers.ToArray();
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
