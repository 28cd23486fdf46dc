using System;
using System.Globalization;
using System.IO;
using System.Text;

namespace ModelGen;

/// <summary>
/// Where <see cref="Model.Fit"/> stands, for a progress display or log: sent during an epoch (at most ten times a second and
/// after its last step) and once more when the epoch is complete, with <see cref="Completed"/> set.
/// </summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="Epochs">Epochs requested (the most, with early stopping or a callback that stops).</param>
/// <param name="Step">Optimizer steps done in this epoch.</param>
/// <param name="Steps">Optimizer steps in this epoch.</param>
/// <param name="RunningLoss">Mean training loss over this epoch's steps so far (weighted by rows).</param>
/// <param name="SamplesPerSecond">Training rows per second in this epoch so far.</param>
/// <param name="Remaining">Estimated time left in this epoch's training steps (validation not included).</param>
/// <param name="Completed">The epoch's figures once it is complete (validation and metrics included); null during the epoch.</param>
public sealed record TrainingProgressReport(int Epoch, int Epochs, int Step, int Steps, float RunningLoss, double SamplesPerSecond,
    TimeSpan Remaining, EpochResult? Completed)
{
    /// <summary>Training accuracy over this epoch's steps so far (see <see cref="EpochResult.TrainAccuracy"/>); NaN for models without one.</summary>
    public float RunningAccuracy { get; init; } = float.NaN;
}

/// <summary>
/// Shows <see cref="Model.Fit"/>'s progress as text. Fit writes nothing unless one is passed as its <c>progress</c> argument.
/// Live, one line is rewritten with '\r' during the epoch and ends with the epoch's figures; otherwise (output redirected to a
/// file or pipe) only one plain line per epoch is written.
/// </summary>
public sealed class ConsoleProgress : IProgress<TrainingProgressReport>
{
    private readonly TextWriter _writer;
    private int _lastLineLength;

    /// <summary>Writes to <paramref name="writer"/>; <paramref name="live"/> rewrites a line during the epoch (for a terminal).</summary>
    public ConsoleProgress(TextWriter writer, bool live)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = writer;
        Live = live;
    }

    /// <summary>The console's standard output: live on a terminal, one line per epoch when output is redirected.</summary>
    public static ConsoleProgress Default => new(Console.Out, live: !Console.IsOutputRedirected);

    /// <summary>Whether a line is rewritten during the epoch.</summary>
    public bool Live { get; }

    /// <inheritdoc/>
    public void Report(TrainingProgressReport value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Completed is { } epoch)
        {
            string line = EpochLine(value, epoch);
            if (Live) Overwrite(line);
            else _writer.Write(line);
            _writer.Write('\n');
            _lastLineLength = 0;
        }
        else if (Live) Overwrite(float.IsNaN(value.RunningAccuracy)
            ? string.Create(CultureInfo.InvariantCulture,
                $"epoch {value.Epoch}/{value.Epochs}  step {value.Step}/{value.Steps}  loss {value.RunningLoss:F4}  {value.SamplesPerSecond:F0} samples/s  ETA {value.Remaining.TotalSeconds:F1}s")
            : string.Create(CultureInfo.InvariantCulture,
                $"epoch {value.Epoch}/{value.Epochs}  step {value.Step}/{value.Steps}  loss {value.RunningLoss:F4}  acc {value.RunningAccuracy:F4}  {value.SamplesPerSecond:F0} samples/s  ETA {value.Remaining.TotalSeconds:F1}s"));
        _writer.Flush();
    }

    private void Overwrite(string line)
    {
        _writer.Write('\r');
        _writer.Write(line);
        // Blanks over what is left of a longer previous line.
        if (line.Length < _lastLineLength) _writer.Write(new string(' ', _lastLineLength - line.Length));
        _lastLineLength = line.Length;
    }

    /// <summary>The line written when an epoch is complete.</summary>
    public static string EpochLine(TrainingProgressReport report, EpochResult epoch)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(epoch);
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(c, $"epoch {epoch.Epoch}/{report.Epochs}  loss {epoch.TrainLoss:F4}");
        foreach (var (name, value) in epoch.LossTerms) sb.Append(c, $"  {name} {value:F4}");
        if (!float.IsNaN(epoch.TrainAccuracy)) sb.Append(c, $"  acc {epoch.TrainAccuracy:F4}");
        foreach (var (name, value) in epoch.TrainMetrics) sb.Append(c, $"  train_{name} {value:F4}");
        if (epoch.ValidationLoss is float vl) sb.Append(c, $"  val_loss {vl:F4}");
        if (epoch.ValidationAccuracy is float va && !float.IsNaN(va)) sb.Append(c, $"  val_acc {va:F4}");
        foreach (var (name, value) in epoch.Metrics) sb.Append(c, $"  {name} {value:F4}");
        sb.Append(c, $"  {report.SamplesPerSecond:F0} samples/s  {epoch.Duration.TotalSeconds:F1}s");
        return sb.ToString();
    }
}
