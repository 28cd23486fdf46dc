using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ModelGen.Compute;
using ModelGen.Serialization;

namespace ModelGen;

/// <summary>
/// One exact-resume checkpoint (<see cref="Checkpoint"/> describes the file): written by <see cref="Write"/> after an epoch,
/// read and checked by <see cref="Read"/>, compared with the Fit that resumes from it by <see cref="Verify"/>, and put back
/// into the model, optimizer and training device by <see cref="Restore"/>.
/// </summary>
internal sealed class CheckpointFile
{
    /// <summary>The metadata key of the JSON document, and the document's "format".</summary>
    public const string MetadataKey = "modelgen.checkpoint";

    /// <summary>The version this library writes and the newest it reads.</summary>
    public const int FormatVersion = 1;

    private const string ParametersTensor = "parameters", StateTensor = "state", OptimizerPrefix = "optimizer.";
    private const string BestParametersTensor = "early_stopping.best_parameters", BestStateTensor = "early_stopping.best_state";

    private CheckpointFile(string source) => Source = source;

    /// <summary>The file read.</summary>
    public string Source { get; }

    /// <summary>What the run was: model, data, optimizer and settings, as (key, text) in a fixed order.</summary>
    public IReadOnlyList<(string Key, string Value)> Run { get; private set; } = [];

    /// <summary>Epochs completed.</summary>
    public int Epoch { get; private set; }

    /// <summary>Optimizer steps of the Fit so far: the schedule's position.</summary>
    public long Step { get; private set; }

    /// <summary>The optimizer's <see cref="Optimizer.StepCount"/>.</summary>
    public long OptimizerSteps { get; private set; }

    /// <summary>Names of the frozen layers.</summary>
    public string[] FrozenLayers { get; private set; } = [];

    /// <summary>The CPU graph's dropout stream.</summary>
    public (ulong S0, ulong S1, ulong S2, ulong S3) CpuDropout { get; private set; }

    /// <summary>The GPU's dropout seed and launch count, when the run trained on a GPU.</summary>
    public (long Seed, long Launches)? GpuDropout { get; private set; }

    /// <summary>Early stopping's best value and wait, with early stopping.</summary>
    public (float Best, int Wait)? Stopping { get; private set; }

    /// <summary>The epochs so far.</summary>
    public TrainingHistory History { get; private set; } = new();

    private SafetensorsFile _tensors = null!;

    // ---- What the run was ------------------------------------------------------------------------------------------

    /// <summary>
    /// What a resumed Fit must match, as (key, text): the model (type and sizes), the data (rows, widths and a checksum
    /// of every value), and every setting that decides the steps. The epoch count and the device are not among them.
    /// </summary>
    public static List<(string Key, string Value)> Describe(Model model, FitSettings s, Optimizer optimizer)
    {
        string I(long v) => v.ToString(CultureInfo.InvariantCulture);
        var run = new List<(string, string)>
        {
            ("model", model.GetType().FullName ?? model.GetType().Name),
            ("model.parameters", I(model.ParameterCount)),
            ("model.state", I(model.State.Length)),
        };
        void Data(string name, Dataset? data)
        {
            if (data is null)
            {
                run.Add((name, "none"));
                return;
            }
            run.Add((name + ".rows", I(data.Count)));
            run.Add((name + ".features", I(data.FeatureCount)));
            run.Add((name + ".targets", I(data.TargetWidth)));
            run.Add((name + ".checksum", Checksum(data)));
        }
        Data("train", s.Train);
        Data("validation", s.Validation);
        run.Add(("batchSize", I(s.BatchSize)));
        run.Add(("accumulationSteps", I(s.AccumulationSteps)));
        run.Add(("seed", I(s.Seed)));
        run.Add(("clipGradientNorm", Optimizer.Text(s.ClipGradientNorm)));
        run.Add(("l1", Optimizer.Text(s.L1)));
        run.Add(("l2", Optimizer.Text(s.L2)));
        if (s.Augment is { } augment) run.Add(("augment", augment.Describe()));
        if (s.Sampling is { } sampling) run.Add(("sampling", sampling.Describe()));
        if (s.ClassWeights is { } classWeights) run.Add(("classWeights", string.Join(",", Array.ConvertAll(classWeights, Optimizer.Text))));
        run.Add(("optimizer", optimizer.GetType().Name));
        foreach (var (name, value) in optimizer.Settings()) run.Add(("optimizer." + name, value));
        run.Add(("schedule", s.Schedule?.Describe() ?? "none"));
        run.Add(("earlyStopping", s.EarlyStopping?.Describe() ?? "none"));
        return run;
    }

    /// <summary>A 64-bit checksum of every feature and target value (their bits), as hex: resuming on other data is refused.</summary>
    private static string Checksum(Dataset data)
    {
        ulong hash = 0xCBF29CE484222325UL;
        void Mix(ReadOnlySpan<float> values)
        {
            // FNV-1a over 32-bit words, with the high half folded in so that every bit reaches the low ones.
            foreach (uint bits in MemoryMarshal.Cast<float, uint>(values))
            {
                hash = unchecked((hash ^ bits) * 0x100000001B3UL);
                hash ^= hash >> 32;
            }
        }
        Mix(data.Features);
        Mix(data.Targets);
        return hash.ToString("X16", CultureInfo.InvariantCulture);
    }

    // ---- Writing -----------------------------------------------------------------------------------------------------

    /// <summary>Writes the checkpoint of <paramref name="progress"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, Model model, Optimizer optimizer, IReadOnlyList<(string Key, string Value)> run,
        TrainingProgress progress, (long Seed, long Launches)? gpuDropout)
    {
        int count = model.ParameterCount;
        var tensors = new List<SafetensorsTensor> { SafetensorsTensor.FromFloat32(ParametersTensor, [count], model.Parameters) };
        var state = model.State;
        if (state.Length > 0) tensors.Add(SafetensorsTensor.FromFloat32(StateTensor, [state.Length], state));
        foreach (var buffer in optimizer.StateBuffers(count))
            tensors.Add(SafetensorsTensor.FromFloat32(OptimizerPrefix + buffer.Name, [count], buffer.Values));
        if (progress.Stopping?.BestParameters is { } bestParameters)
            tensors.Add(SafetensorsTensor.FromFloat32(BestParametersTensor, [bestParameters.Length], bestParameters));
        if (progress.Stopping?.BestState is { Length: > 0 } bestState)
            tensors.Add(SafetensorsTensor.FromFloat32(BestStateTensor, [bestState.Length], bestState));
        string json = Document(model, optimizer, run, progress, gpuDropout);
        SafetensorsFile.Write(path, tensors, [new(MetadataKey, json)]);
    }

    private static string Document(Model model, Optimizer optimizer, IReadOnlyList<(string Key, string Value)> run, TrainingProgress progress, (long Seed, long Launches)? gpuDropout)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("format", MetadataKey);
            w.WriteNumber("version", FormatVersion);
            w.WriteStartObject("run");
            foreach (var (key, value) in run) w.WriteString(key, value);
            w.WriteEndObject();
            w.WriteNumber("epoch", progress.Epoch);
            w.WriteNumber("step", progress.Step);
            w.WriteNumber("optimizerSteps", optimizer.StepCount);
            w.WriteStartArray("frozenLayers");
            foreach (string layer in model.FrozenLayers) w.WriteStringValue(layer);
            w.WriteEndArray();
            w.WriteStartObject("dropout");
            var (s0, s1, s2, s3) = model.DropoutState.State;
            w.WriteStartArray("cpu");
            foreach (ulong word in (ReadOnlySpan<ulong>)[s0, s1, s2, s3]) w.WriteStringValue(word.ToString("X16", CultureInfo.InvariantCulture));
            w.WriteEndArray();
            if (gpuDropout is { } gpu)
            {
                w.WriteStartObject("gpu");
                w.WriteNumber("seed", gpu.Seed);
                w.WriteNumber("launches", gpu.Launches);
                w.WriteEndObject();
            }
            else w.WriteNull("gpu");
            w.WriteEndObject();
            if (progress.Stopping is { } stopping)
            {
                w.WriteStartObject("earlyStopping");
                WriteFloat(w, "best", stopping.Best);
                w.WriteNumber("wait", stopping.Wait);
                w.WriteEndObject();
            }
            else w.WriteNull("earlyStopping");
            WriteHistory(w, progress.History);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteHistory(Utf8JsonWriter w, TrainingHistory history)
    {
        w.WriteStartObject("history");
        w.WriteBoolean("stoppedEarly", history.StoppedEarly);
        // A callback's stop ends one Fit, not the run: a resumed Fit goes on.
        WriteOptional(w, "stoppedEpoch", history.StoppedEarly ? history.StoppedEpoch : null);
        WriteOptional(w, "bestEpoch", history.BestEpoch);
        if (history.BestValue is float best) WriteFloat(w, "bestValue", best);
        else w.WriteNull("bestValue");
        w.WriteBoolean("restoredBestWeights", history.RestoredBestWeights);
        w.WriteStartArray("epochs");
        foreach (var e in history)
        {
            w.WriteStartObject();
            w.WriteNumber("epoch", e.Epoch);
            WriteFloat(w, "trainLoss", e.TrainLoss);
            WriteFloat(w, "trainAccuracy", e.TrainAccuracy);
            if (e.ValidationLoss is float loss) WriteFloat(w, "validationLoss", loss);
            else w.WriteNull("validationLoss");
            if (e.ValidationAccuracy is float accuracy) WriteFloat(w, "validationAccuracy", accuracy);
            else w.WriteNull("validationAccuracy");
            WriteFloat(w, "learningRate", e.LearningRate);
            w.WriteNumber("durationTicks", e.Duration.Ticks);
            if (e.Metrics.Count > 0)
            {
                w.WriteStartObject("metrics");
                foreach (var (name, value) in e.Metrics) WriteFloat(w, name, value);
                w.WriteEndObject();
            }
            if (e.TrainMetrics.Count > 0)
            {
                w.WriteStartObject("trainMetrics");
                foreach (var (name, value) in e.TrainMetrics) WriteFloat(w, name, value);
                w.WriteEndObject();
            }
            if (e.LossTerms.Count > 0)
            {
                w.WriteStartObject("lossTerms");
                foreach (var (name, value) in e.LossTerms) WriteFloat(w, name, value);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, int? value)
    {
        if (value is int v) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }

    /// <summary>A float as its shortest round-trip number; NaN and ±∞, which JSON numbers cannot hold, as the strings "NaN", "Infinity", "-Infinity".</summary>
    private static void WriteFloat(Utf8JsonWriter w, string name, float value)
    {
        if (float.IsFinite(value)) w.WriteNumber(name, value);
        else w.WriteString(name, float.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
    }

    // ---- Reading -----------------------------------------------------------------------------------------------------

    /// <summary>Reads and checks the checkpoint at <paramref name="path"/>; every problem is a <see cref="ModelFileException"/> naming the field.</summary>
    public static CheckpointFile Read(string path)
    {
        var file = SafetensorsFile.Read(path);
        if (!file.Metadata.TryGetValue(MetadataKey, out string? json))
            throw new ModelFileException(path, $"the file has no \"{MetadataKey}\" metadata entry; it is a safetensors file but not a ModelGen checkpoint");
        var root = PreprocessingJsonTree.Parse(Encoding.UTF8.GetBytes(json), path);
        var checkpoint = new CheckpointFile(path) { _tensors = file };
        checkpoint.ReadDocument(root);
        return checkpoint;
    }

    private ModelFileException Error(PreprocessingJsonTree node, string expected) =>
        new(Source, $"{MetadataKey}{(node.Path.Length == 0 ? "" : "." + node.Path)}: expected {expected}, found {node.Describe()}");

    private PreprocessingJsonTree Field(PreprocessingJsonTree obj, string name, string expected)
    {
        if (obj.Kind != JsonTokenType.StartObject) throw Error(obj, "an object");
        foreach (var (key, value) in obj.Fields) if (key == name) return value;
        throw new ModelFileException(Source, $"{MetadataKey}.{PreprocessingJsonTree.FieldPath(obj.Path, name)}: the field is missing; expected {expected}");
    }

    private long Long(PreprocessingJsonTree node, long min, string expected)
    {
        if (node.Kind != JsonTokenType.Number || !long.TryParse(node.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value) || value < min)
            throw Error(node, expected);
        return value;
    }

    private int Int(PreprocessingJsonTree node, int min, string expected)
    {
        long value = Long(node, min, expected);
        return value <= int.MaxValue ? (int)value : throw Error(node, expected);
    }

    private int? OptionalInt(PreprocessingJsonTree node, int min, string expected) => node.Kind == JsonTokenType.Null ? null : Int(node, min, expected + " or null");

    /// <summary>A float field that checkpoints of older versions lack: NaN when absent.</summary>
    private float OptionalFloat(PreprocessingJsonTree obj, string name)
    {
        foreach (var (key, value) in obj.Fields) if (key == name) return Float(value, "a number or \"NaN\"");
        return float.NaN;
    }

    private float Float(PreprocessingJsonTree node, string expected)
    {
        if (node.Kind == JsonTokenType.String)
            return node.Text switch
            {
                "NaN" => float.NaN,
                "Infinity" => float.PositiveInfinity,
                "-Infinity" => float.NegativeInfinity,
                _ => throw Error(node, expected),
            };
        if (node.Kind != JsonTokenType.Number || !float.TryParse(node.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value))
            throw Error(node, expected);
        return value;
    }

    private bool Bool(PreprocessingJsonTree node) => node.Kind switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw Error(node, "true or false"),
    };

    private string Text(PreprocessingJsonTree node, string expected) =>
        node.Kind == JsonTokenType.String ? node.Text! : throw Error(node, expected);

    private void ReadDocument(PreprocessingJsonTree root)
    {
        // The version comes first: a newer file may differ in any other field.
        var version = Field(root, "version", "the format version (a whole number)");
        long v = Long(version, long.MinValue, "the format version (a whole number)");
        if (v > FormatVersion)
            throw new ModelFileException(Source, $"{MetadataKey}.version: the checkpoint has format version {v}, written by a newer ModelGen; this library reads version {FormatVersion}. Update ModelGen to resume from it.");
        if (v < 1) throw Error(version, $"format version {FormatVersion}");
        var format = Field(root, "format", $"\"{MetadataKey}\"");
        if (format.Kind != JsonTokenType.String || format.Text != MetadataKey) throw Error(format, $"the string \"{MetadataKey}\"");

        var run = Field(root, "run", "an object describing the run");
        if (run.Kind != JsonTokenType.StartObject) throw Error(run, "an object describing the run");
        Run = run.Fields.Select(f => (f.Key, Text(f.Value, "a string"))).ToList();

        Epoch = Int(Field(root, "epoch", "the epochs completed"), 1, "the epochs completed (a whole number ≥ 1)");
        Step = Long(Field(root, "step", "the optimizer steps of the Fit"), 0, "the optimizer steps of the Fit (a whole number ≥ 0)");
        OptimizerSteps = Long(Field(root, "optimizerSteps", "the optimizer's step count"), 0, "the optimizer's step count (a whole number ≥ 0)");

        var frozen = Field(root, "frozenLayers", "the names of the frozen layers (an array)");
        if (frozen.Kind != JsonTokenType.StartArray) throw Error(frozen, "the names of the frozen layers (an array of strings)");
        FrozenLayers = frozen.Items.Select(i => Text(i, "a layer name")).ToArray();

        var dropout = Field(root, "dropout", "the dropout streams (an object)");
        var cpu = Field(dropout, "cpu", "the CPU stream's four state words");
        if (cpu.Kind != JsonTokenType.StartArray || cpu.Items.Count != 4) throw Error(cpu, "an array of four 16-digit hex words");
        var words = new ulong[4];
        for (int i = 0; i < 4; i++)
        {
            string text = Text(cpu.Items[i], "a 16-digit hex word");
            if (text.Length != 16 || !ulong.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out words[i]))
                throw Error(cpu.Items[i], "a 16-digit hex word");
        }
        if ((words[0] | words[1] | words[2] | words[3]) == 0) throw Error(cpu, "a generator state (four words, not all zero)");
        CpuDropout = (words[0], words[1], words[2], words[3]);
        var gpu = Field(dropout, "gpu", "the GPU's dropout seed and launch count, or null");
        GpuDropout = gpu.Kind == JsonTokenType.Null ? null
            : (Long(Field(gpu, "seed", "the seed"), long.MinValue, "the seed (a whole number)"), Long(Field(gpu, "launches", "the launch count"), 0, "the launch count (a whole number ≥ 0)"));

        var stopping = Field(root, "earlyStopping", "early stopping's best value and wait, or null");
        Stopping = stopping.Kind == JsonTokenType.Null ? null
            : (Float(Field(stopping, "best", "the best value"), "the best monitored value (a number or \"NaN\")"), Int(Field(stopping, "wait", "the wait"), 0, "the epochs since the best (a whole number ≥ 0)"));

        History = ReadHistory(Field(root, "history", "the history (an object)"));
        if (History.Count != Epoch)
            throw new ModelFileException(Source, $"{MetadataKey}.history.epochs: expected one entry per epoch ({Epoch}), found {History.Count}");
    }

    /// <summary>
    /// An epoch's user metrics or loss-term means (<paramref name="field"/>: "metrics", "trainMetrics" or "lossTerms"); the
    /// field is absent when the run had none.
    /// </summary>
    private Dictionary<string, float> ReadMetrics(PreprocessingJsonTree epoch, string field = "metrics")
    {
        var values = new Dictionary<string, float>();
        foreach (var (key, node) in epoch.Fields)
        {
            if (key != field) continue;
            if (node.Kind != JsonTokenType.StartObject) throw Error(node, "the metrics (an object of numbers)");
            foreach (var (name, value) in node.Fields)
                if (!values.TryAdd(name, Float(value, "a number or \"NaN\""))) throw Error(value, $"one value per metric name (\"{name}\" repeats)");
        }
        return values;
    }

    private TrainingHistory ReadHistory(PreprocessingJsonTree node)
    {
        var history = new TrainingHistory
        {
            StoppedEarly = Bool(Field(node, "stoppedEarly", "true or false")),
            StoppedEpoch = OptionalInt(Field(node, "stoppedEpoch", "an epoch or null"), 1, "an epoch"),
            BestEpoch = OptionalInt(Field(node, "bestEpoch", "an epoch or null"), 1, "an epoch"),
            RestoredBestWeights = Bool(Field(node, "restoredBestWeights", "true or false")),
        };
        var best = Field(node, "bestValue", "a number or null");
        history.BestValue = best.Kind == JsonTokenType.Null ? null : Float(best, "a number or null");
        var epochs = Field(node, "epochs", "the epochs (an array)");
        if (epochs.Kind != JsonTokenType.StartArray) throw Error(epochs, "the epochs (an array)");
        foreach (var e in epochs.Items)
        {
            int epoch = Int(Field(e, "epoch", "the epoch number"), 1, "the epoch number (a whole number ≥ 1)");
            if (epoch != history.Count + 1) throw Error(e, $"epoch {history.Count + 1} (the epochs in order)");
            float? Optional(string name)
            {
                var field = Field(e, name, "a number or null");
                return field.Kind == JsonTokenType.Null ? null : Float(field, "a number, \"NaN\" or null");
            }
            history.Add(new EpochResult(epoch, Float(Field(e, "trainLoss", "the training loss"), "the training loss (a number)"),
                Optional("validationLoss"), Optional("validationAccuracy"),
                TimeSpan.FromTicks(Long(Field(e, "durationTicks", "the duration"), 0, "the duration in ticks (a whole number ≥ 0)")))
            {
                LearningRate = Float(Field(e, "learningRate", "the learning rate"), "the learning rate (a number or \"NaN\")"),
                Metrics = ReadMetrics(e),
                TrainMetrics = ReadMetrics(e, "trainMetrics"),
                LossTerms = ReadMetrics(e, "lossTerms"),
                TrainAccuracy = OptionalFloat(e, "trainAccuracy"),
            });
        }
        return history;
    }

    /// <summary>A tensor of the file as float32, checked to have <paramref name="count"/> elements.</summary>
    private float[] Tensor(string name, int count, bool required = true)
    {
        if (!_tensors.TryGetTensor(name, out var tensor))
        {
            if (!required) return [];
            throw new ModelFileException(Source, $"there is no tensor \"{name}\"; the checkpoint expects one of {count} values");
        }
        if (tensor.DType != SafetensorsDType.Float32 || tensor.Shape.Count != 1 || tensor.ElementCount != count)
            throw new ModelFileException(Source, $"tensor \"{name}\" is {tensor.DType.HeaderName()} {tensor.ShapeText}; expected F32 [{count}]");
        return tensor.ToFloat32();
    }

    // ---- Resuming ----------------------------------------------------------------------------------------------------

    /// <summary>
    /// Refuses to resume a different run: a different model (<see cref="ModelFileException"/>, the file does not fit it), or
    /// different data, optimizer or settings (<see cref="ArgumentException"/> on resumeFrom). Every difference is named.
    /// Also checks that the tensors the resume needs are there. Changes nothing.
    /// </summary>
    public void Verify(Model model, Optimizer optimizer, IReadOnlyList<(string Key, string Value)> now, FitSettings settings)
    {
        int epochs = settings.Epochs;
        var saved = Run.ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal);
        var differences = new List<string>();
        var modelDifferences = new List<string>();
        foreach (var (key, value) in now)
        {
            string line = saved.TryGetValue(key, out string? old)
                ? old == value ? "" : $"{key}: the checkpoint has {old}, this Fit {value}"
                : $"{key}: the checkpoint does not record it, this Fit has {value}";
            if (line.Length == 0) continue;
            (key.StartsWith("model", StringComparison.Ordinal) ? modelDifferences : differences).Add(line);
        }
        var known = now.Select(n => n.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var (key, value) in Run)
            if (!known.Contains(key)) differences.Add($"{key}: the checkpoint has {value}, this Fit has none");
        if (modelDifferences.Count > 0)
            throw new ModelFileException(Source, $"the checkpoint is of another model ({string.Join("; ", modelDifferences)})");
        if (differences.Count > 0)
            throw new ArgumentException($"'{Source}' was written by a different run, so resuming from it would not continue it: {string.Join("; ", differences)}. " +
                "Resume with the data, optimizer and settings of the run that wrote it, or start a new Fit without resumeFrom.", "resumeFrom");
        if (epochs < Epoch)
            throw new ArgumentOutOfRangeException("epochs", epochs, $"'{Source}' is the checkpoint after epoch {Epoch}; a resumed Fit's 'epochs' is the total to reach (as Keras's), so it must be at least {Epoch}.");

        foreach (string layer in FrozenLayers)
            if (!model.ParameterLayers.Any(l => l.Name == layer))
                throw new ModelFileException(Source, $"frozenLayers names '{layer}', which is not a layer with parameters of {model.GetType().Name}");
        int count = model.ParameterCount;
        Tensor(ParametersTensor, count);
        if (model.State.Length > 0) Tensor(StateTensor, model.State.Length);
        var expected = optimizer.StateBuffers(count).Select(b => OptimizerPrefix + b.Name).ToHashSet(StringComparer.Ordinal);
        foreach (string name in expected) Tensor(name, count);
        foreach (var tensor in _tensors.Tensors)
            if (tensor.Name.StartsWith(OptimizerPrefix, StringComparison.Ordinal) && !expected.Contains(tensor.Name))
                throw new ModelFileException(Source, $"tensor \"{tensor.Name}\" is optimizer state that {optimizer.GetType().Name} does not keep");
        if (settings.EarlyStopping is { } stopping)
        {
            if (Stopping is null)
                throw new ModelFileException(Source, $"{MetadataKey}.earlyStopping: expected early stopping's best value and wait, found null");
            if (stopping.RestoreBestWeights)
            {
                Tensor(BestParametersTensor, count);
                if (model.State.Length > 0) Tensor(BestStateTensor, model.State.Length);
            }
        }
    }

    /// <summary>
    /// Puts the checkpoint back: the model's parameters, state, frozen layers and dropout stream, the optimizer's buffers and
    /// step count, the device's copies (and its dropout stream); returns where the Fit stands. Call after <see cref="Verify"/>.
    /// </summary>
    public TrainingProgress Restore(Model model, Optimizer optimizer, TrainingDevice device, FitSettings settings)
    {
        int count = model.ParameterCount;
        Tensor(ParametersTensor, count).CopyTo(model.Parameters);
        if (model.State.Length > 0) Tensor(StateTensor, model.State.Length).CopyTo(model.State);
        var layers = model.ParameterLayers;
        var frozen = new bool[layers.Count];
        for (int l = 0; l < frozen.Length; l++) frozen[l] = FrozenLayers.Contains(layers[l].Name);
        model.SetFrozenFlags(frozen);
        foreach (var buffer in optimizer.StateBuffers(count)) Tensor(OptimizerPrefix + buffer.Name, count).CopyTo(buffer.Values, 0);
        optimizer.StepCount = OptimizerSteps;
        model.DropoutState = Rng.FromState(CpuDropout);
        device.Reload();
        if (device.GpuDropout is not null)
        {
            // A checkpoint written on the CPU has no GPU stream: the GPU's starts from the seed (not an exact resume).
            if (GpuDropout is { } gpu) device.GpuDropout = gpu;
            else device.SetRandomSeed(settings.Seed);
        }

        EarlyStoppingProgress? stopping = null;
        if (settings.EarlyStopping is { } options)
        {
            stopping = new EarlyStoppingProgress(options, model);
            var (best, wait) = Stopping ?? throw new ModelFileException(Source, $"{MetadataKey}.earlyStopping: expected early stopping's best value and wait, found null");
            float[] bestParameters = Tensor(BestParametersTensor, count, required: options.RestoreBestWeights);
            float[] bestState = Tensor(BestStateTensor, model.State.Length, required: options.RestoreBestWeights && model.State.Length > 0);
            stopping.Restore(best, wait, bestParameters, bestState, Epoch, settings.Epochs, History);
        }
        return new TrainingProgress(settings.Train.Count, settings.Seed, stopping, Epoch, Step, History);
    }
}
