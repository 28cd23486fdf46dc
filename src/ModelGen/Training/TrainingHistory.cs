using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace ModelGen;

/// <summary>Figures of one training epoch.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="TrainLoss">Mean training loss over the epoch's steps (weighted by batch size).</param>
/// <param name="ValidationLoss">Mean validation loss after the epoch, if a validation set was given.</param>
/// <param name="ValidationAccuracy">Validation accuracy after the epoch (NaN for regression), if a validation set was given.</param>
/// <param name="Duration">Wall time of the epoch, validation included.</param>
public sealed record EpochResult(int Epoch, float TrainLoss, float? ValidationLoss, float? ValidationAccuracy, TimeSpan Duration)
{
    /// <summary>
    /// Training accuracy of the epoch, as Keras reports it: the share of right labels in the outputs of the epoch's own training
    /// steps (training mode, so with dropout, and with parameters that change during the epoch; augmented rows as augmented),
    /// counted as each step runs, with no extra forward pass. Labels are judged as <see cref="Model.Evaluate"/> judges them.
    /// NaN for models without one accuracy (regression, contrastive pairs, several heads).
    /// </summary>
    public float TrainAccuracy { get; init; } = float.NaN;

    /// <summary>Learning rate of the epoch's last optimizer step (after any schedule); NaN when unknown.</summary>
    public float LearningRate { get; init; } = float.NaN;

    /// <summary>The <see cref="EpochMetric"/> values on the validation set after this epoch, by name in the order given to Fit (empty without metrics).</summary>
    public IReadOnlyDictionary<string, float> Metrics { get; init; } = EmptyMetrics;

    /// <summary>
    /// The values of the <see cref="EpochMetric"/>s with <see cref="EpochMetric.OnTrainingSet"/> on the training rows after
    /// this epoch, by name (empty when none asks for it). Unlike <see cref="TrainAccuracy"/>, they come from one inference-mode
    /// pass over the unaugmented training rows with the epoch's final parameters.
    /// </summary>
    public IReadOnlyDictionary<string, float> TrainMetrics { get; init; } = EmptyMetrics;

    /// <summary>
    /// Each loss term of the model's <c>[Forward]</c> method (<see cref="Model.AddLoss"/>), unweighted: its mean over the epoch's
    /// training rows, as the training steps computed it (training mode), by name in the order written (empty without terms).
    /// <see cref="TrainLoss"/> includes them, weighted.
    /// </summary>
    public IReadOnlyDictionary<string, float> LossTerms { get; init; } = EmptyMetrics;

    private static readonly IReadOnlyDictionary<string, float> EmptyMetrics = new Dictionary<string, float>();

    /// <inheritdoc/>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(c, $"epoch {Epoch,3}  loss {TrainLoss:F4}");
        foreach (var (name, value) in LossTerms) sb.Append(c, $"  {name} {value:F4}");
        if (!float.IsNaN(TrainAccuracy)) sb.Append(c, $"  acc {TrainAccuracy:F4}");
        foreach (var (name, value) in TrainMetrics) sb.Append(c, $"  train_{name} {value:F4}");
        if (ValidationLoss is float vl) sb.Append(c, $"  val_loss {vl:F4}");
        if (ValidationAccuracy is float va && !float.IsNaN(va)) sb.Append(c, $"  val_acc {va:F4}");
        foreach (var (name, value) in Metrics) sb.Append(c, $"  {name} {value:F4}");
        sb.Append(c, $"  ({Duration.TotalMilliseconds:F0} ms)");
        return sb.ToString();
    }
}

/// <summary>
/// A figure of the user's own, computed after every epoch on the validation set and recorded under <see cref="Name"/> in
/// <see cref="EpochResult.Metrics"/>.
/// </summary>
public sealed class EpochMetric
{
    /// <summary>A metric named <paramref name="name"/> computed by <paramref name="compute"/>.</summary>
    /// <param name="name">Its name in the history and its exports: letters, digits, '_' or '-'.</param>
    /// <param name="compute">
    /// Takes the model's raw outputs on the validation set (count × <see cref="Model.OutputSize"/>, as <see cref="Model.Predict(Dataset)"/>)
    /// and the validation set's <see cref="Dataset.Targets"/> (count × its target width); returns the figure.
    /// </param>
    public EpochMetric(string name, Func<float[], float[], float> compute)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(compute);
        if (name.Length == 0 || !name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '_' or '-'))
            throw new ArgumentException($"A metric's name must be non-empty letters, digits, '_' or '-' (it names a CSV column); got \"{name}\".", nameof(name));
        Name = name;
        Compute = compute;
    }

    /// <summary>The metric's name.</summary>
    public string Name { get; }

    /// <summary>(outputs, targets) → value.</summary>
    public Func<float[], float[], float> Compute { get; }

    /// <summary>
    /// Also compute the metric on the training set after every epoch, recorded in <see cref="EpochResult.TrainMetrics"/>
    /// (CSV column <c>train_</c>name). It costs one inference pass over the training rows per epoch: their raw outputs with the
    /// epoch's final parameters (no dropout, no augmentation) and <c>train.Targets</c> are what <see cref="Compute"/> receives.
    /// With every metric on the training set, Fit needs no validation set.
    /// </summary>
    public bool OnTrainingSet { get; init; }

    /// <summary>Also compute the metric on the validation set (the default); false with <see cref="OnTrainingSet"/> computes it on the training set only.</summary>
    public bool OnValidationSet { get; init; } = true;
}

/// <summary>What an <see cref="EpochCallback"/> asks of <see cref="Model.Fit"/> after an epoch.</summary>
public enum EpochDecision
{
    /// <summary>Go on with the next epoch (if any).</summary>
    Continue,

    /// <summary>End training after this epoch; the history records <see cref="TrainingHistory.StoppedByCallback"/> and the epoch.</summary>
    Stop,
}

/// <summary>
/// Called by <see cref="Model.Fit"/> after every epoch, once the epoch is in <paramref name="history"/> and early stopping has
/// seen it (and before that epoch's checkpoint is written). Returning <see cref="EpochDecision.Stop"/> ends training there.
/// </summary>
/// <param name="result">The epoch just finished (the last entry of <paramref name="history"/>).</param>
/// <param name="history">Every epoch so far, a resumed Fit's earlier ones included; read it, do not change it.</param>
/// <returns>Whether to go on.</returns>
public delegate EpochDecision EpochCallback(EpochResult result, TrainingHistory history);

/// <summary>Per-epoch results of <see cref="Model.Fit"/>.</summary>
public sealed class TrainingHistory : List<EpochResult>
{
    /// <summary>Whether <see cref="EarlyStopping"/> ended training before the requested number of epochs.</summary>
    public bool StoppedEarly { get; internal set; }

    /// <summary>Whether an <see cref="EpochCallback"/> returned <see cref="EpochDecision.Stop"/> before the requested number of epochs.</summary>
    public bool StoppedByCallback { get; internal set; }

    /// <summary>The epoch after which <see cref="EarlyStopping"/> or an <see cref="EpochCallback"/> ended training, or <c>null</c> when neither did.</summary>
    public int? StoppedEpoch { get; internal set; }

    /// <summary>With <see cref="EarlyStopping"/>: the epoch with the best monitored value (the first one on ties), or <c>null</c>.</summary>
    public int? BestEpoch { get; internal set; }

    /// <summary>With <see cref="EarlyStopping"/>: the best monitored value, or <c>null</c>.</summary>
    public float? BestValue { get; internal set; }

    /// <summary>Whether the parameters of <see cref="BestEpoch"/> were copied back when training ended.</summary>
    public bool RestoredBestWeights { get; internal set; }

    /// <inheritdoc/>
    public override string ToString() => string.Join(Environment.NewLine, this);

    /// <summary>
    /// Writes the history to <paramref name="path"/> as CSV (see <see cref="WriteCsv(TextWriter)"/>), replacing the file.
    /// </summary>
    public void ToCsv(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        WriteCsv(writer);
    }

    /// <summary>
    /// Writes one header line and one line per epoch, '\n'-separated, numbers in the invariant culture (shortest round-trip form):
    /// <c>epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,duration_s</c>, then one column per user metric
    /// name on the validation set (in the order first seen), then <c>train_</c>name for those on the training set, then
    /// <c>loss_</c>name for each loss term of the model (<see cref="EpochResult.LossTerms"/>). A figure an
    /// epoch lacks (no validation set, no accuracy, unknown rate) is an empty cell.
    /// </summary>
    public void WriteCsv(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var metrics = MetricNames(e => e.Metrics);
        var trainMetrics = MetricNames(e => e.TrainMetrics);
        var lossTerms = MetricNames(e => e.LossTerms);
        writer.Write("epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,duration_s");
        foreach (var name in metrics) { writer.Write(','); writer.Write(name); }
        foreach (var name in trainMetrics) { writer.Write(",train_"); writer.Write(name); }
        foreach (var name in lossTerms) { writer.Write(",loss_"); writer.Write(name); }
        writer.Write('\n');
        foreach (var e in this)
        {
            writer.Write(e.Epoch.ToString(CultureInfo.InvariantCulture));
            Cell(writer, e.TrainLoss);
            Cell(writer, e.TrainAccuracy);
            Cell(writer, e.ValidationLoss);
            Cell(writer, e.ValidationAccuracy);
            Cell(writer, e.LearningRate);
            writer.Write(',');
            writer.Write(e.Duration.TotalSeconds.ToString(CultureInfo.InvariantCulture));
            foreach (var name in metrics) Cell(writer, e.Metrics.TryGetValue(name, out float value) ? value : null);
            foreach (var name in trainMetrics) Cell(writer, e.TrainMetrics.TryGetValue(name, out float value) ? value : null);
            foreach (var name in lossTerms) Cell(writer, e.LossTerms.TryGetValue(name, out float value) ? value : null);
            writer.Write('\n');
        }
    }

    private static void Cell(TextWriter writer, float? value)
    {
        writer.Write(',');
        if (value is float v && !float.IsNaN(v)) writer.Write(v.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Writes the history to <paramref name="path"/> as JSON (see <see cref="ToJson()"/>), replacing the file.</summary>
    public void ToJson(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.Create(path);
        WriteJson(stream);
    }

    /// <summary>
    /// The history as an indented JSON object: <c>stoppedEarly</c>, <c>stoppedByCallback</c>, <c>stoppedEpoch</c>,
    /// <c>bestEpoch</c>, <c>bestValue</c>, <c>restoredBestWeights</c> and <c>epochs</c>, an array of objects with
    /// <c>epoch</c>, <c>trainLoss</c>, <c>trainAccuracy</c>, <c>validationLoss</c>, <c>validationAccuracy</c>, <c>learningRate</c>,
    /// <c>durationSeconds</c>, <c>metrics</c>, <c>trainMetrics</c> and <c>lossTerms</c> (name → value). A figure an epoch lacks, or NaN/∞, is <c>null</c>.
    /// </summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        WriteJson(stream);
        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    private void WriteJson(Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteBoolean("stoppedEarly", StoppedEarly);
        w.WriteBoolean("stoppedByCallback", StoppedByCallback);
        Number(w, "stoppedEpoch", StoppedEpoch);
        Number(w, "bestEpoch", BestEpoch);
        Number(w, "bestValue", BestValue);
        w.WriteBoolean("restoredBestWeights", RestoredBestWeights);
        w.WriteStartArray("epochs");
        foreach (var e in this)
        {
            w.WriteStartObject();
            w.WriteNumber("epoch", e.Epoch);
            Number(w, "trainLoss", e.TrainLoss);
            Number(w, "trainAccuracy", e.TrainAccuracy);
            Number(w, "validationLoss", e.ValidationLoss);
            Number(w, "validationAccuracy", e.ValidationAccuracy);
            Number(w, "learningRate", e.LearningRate);
            w.WriteNumber("durationSeconds", e.Duration.TotalSeconds);
            w.WriteStartObject("metrics");
            foreach (var (name, value) in e.Metrics) Number(w, name, value);
            w.WriteEndObject();
            w.WriteStartObject("trainMetrics");
            foreach (var (name, value) in e.TrainMetrics) Number(w, name, value);
            w.WriteEndObject();
            w.WriteStartObject("lossTerms");
            foreach (var (name, value) in e.LossTerms) Number(w, name, value);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter w, string name, float? value)
    {
        if (value is float v && float.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }

    private static void Number(Utf8JsonWriter w, string name, int? value)
    {
        if (value is int v) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }

    /// <summary>The user metric names of all epochs, in the order first seen.</summary>
    private List<string> MetricNames(Func<EpochResult, IReadOnlyDictionary<string, float>> metrics)
    {
        var names = new List<string>();
        foreach (var e in this)
            foreach (var name in metrics(e).Keys)
                if (!names.Contains(name)) names.Add(name);
        return names;
    }
}

/// <summary>Result of <see cref="Model.Evaluate"/>.</summary>
/// <param name="Loss">Mean loss.</param>
/// <param name="Accuracy">Fraction of correct predictions (NaN for regression).</param>
/// <param name="Count">Samples evaluated.</param>
public sealed record Evaluation(float Loss, float Accuracy, int Count)
{
    /// <summary>Each head's own figures, for a model with several outputs (empty otherwise; <see cref="Loss"/> is then the weighted total).</summary>
    public IReadOnlyList<HeadEvaluation> Heads { get; init; } = Array.Empty<HeadEvaluation>();

    /// <inheritdoc/>
    public override string ToString()
    {
        string total = float.IsNaN(Accuracy)
            ? string.Create(CultureInfo.InvariantCulture, $"loss {Loss:F4} on {Count} samples")
            : string.Create(CultureInfo.InvariantCulture, $"loss {Loss:F4}, accuracy {Accuracy:F4} on {Count} samples");
        return Heads.Count == 0 ? total : total + "; " + string.Join("; ", Heads);
    }
}

/// <summary>One head's figures in an <see cref="Evaluation"/>.</summary>
/// <param name="Name">The head's name.</param>
/// <param name="Loss">The head's loss function.</param>
/// <param name="MeanLoss">The head's unweighted mean loss.</param>
/// <param name="Accuracy">Fraction of correct predictions (NaN for regression and contrastive heads).</param>
public sealed record HeadEvaluation(string Name, Loss Loss, float MeanLoss, float Accuracy)
{
    /// <inheritdoc/>
    public override string ToString() => float.IsNaN(Accuracy)
        ? string.Create(CultureInfo.InvariantCulture, $"{Name}: loss {MeanLoss:F4}")
        : string.Create(CultureInfo.InvariantCulture, $"{Name}: loss {MeanLoss:F4}, accuracy {Accuracy:F4}");
}
