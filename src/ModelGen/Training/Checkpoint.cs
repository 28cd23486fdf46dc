using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace ModelGen;

/// <summary>
/// Where and how often <see cref="Model.Fit"/> writes checkpoints (Keras's <c>ModelCheckpoint</c> with
/// <c>BackupAndRestore</c>'s exactness): a file <c>epoch-NNNN.ckpt</c> in <see cref="Directory"/> after every
/// <see cref="EveryEpochs"/>-th epoch and after the last one, of which the newest <see cref="KeepLast"/> are kept. A
/// checkpoint holds everything the next epoch depends on, so that <c>Fit(…, resumeFrom: file)</c> continues exactly
/// (see <see cref="Checkpoint"/>).
/// </summary>
public sealed class CheckpointOptions
{
    /// <summary>Creates the options.</summary>
    /// <param name="directory">Folder of the checkpoint files; created when missing. It must not hold checkpoints of another run (Fit refuses to mix them).</param>
    /// <param name="everyEpochs">Epochs between checkpoints (≥ 1); the last epoch of a Fit is always written.</param>
    /// <param name="keepLast">How many of the newest checkpoints to keep (≥ 1); older ones are deleted. 0 keeps them all.</param>
    public CheckpointOptions(string directory, int everyEpochs = 1, int keepLast = 3)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (everyEpochs < 1) throw new ArgumentOutOfRangeException(nameof(everyEpochs), everyEpochs, "Checkpoints are written every 1 or more epochs.");
        if (keepLast < 0) throw new ArgumentOutOfRangeException(nameof(keepLast), keepLast, "'keepLast' must be ≥ 0 (0 keeps every checkpoint).");
        Directory = directory;
        EveryEpochs = everyEpochs;
        KeepLast = keepLast;
    }

    /// <summary>Folder of the checkpoint files.</summary>
    public string Directory { get; }

    /// <summary>Epochs between checkpoints.</summary>
    public int EveryEpochs { get; }

    /// <summary>How many of the newest checkpoints are kept; 0 keeps all.</summary>
    public int KeepLast { get; }
}

/// <summary>
/// Exact-resume checkpoints of <see cref="Model.Fit"/>. A checkpoint is a safetensors file: the tensors <c>parameters</c>,
/// <c>state</c> (BatchNorm statistics), the optimizer's buffers under PyTorch's names (<c>optimizer.exp_avg</c>, …) and
/// early stopping's best weights (<c>early_stopping.best_parameters</c>, <c>early_stopping.best_state</c>); the rest is
/// JSON in the metadata entry <c>modelgen.checkpoint</c>: the epoch, the optimizer's step count, the schedule's position,
/// the shuffling and dropout streams, early stopping's best value and wait, the frozen layers, the history, and what the
/// run was (model type, data sizes and checksums, optimizer and its hyperparameters, schedule, batch size, seed, …), which
/// a resumed Fit must match. On the CPU, training N epochs and resuming for the rest gives the same parameters and history,
/// bit for bit, as training all epochs at once.
/// </summary>
public static class Checkpoint
{
    /// <summary>The extension of checkpoint files.</summary>
    public const string Extension = ".ckpt";

    private const string Prefix = "epoch-";

    /// <summary>The file name of the checkpoint written after <paramref name="epoch"/>: <c>epoch-0010.ckpt</c>.</summary>
    public static string FileName(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epoch);
        return Prefix + epoch.ToString("D4", CultureInfo.InvariantCulture) + Extension;
    }

    /// <summary>
    /// The newest checkpoint in <paramref name="directory"/> (the highest epoch), or null when the folder is missing or
    /// holds none: <c>Fit(…, resumeFrom: Checkpoint.Latest(dir))</c> starts afresh the first time and resumes afterwards.
    /// </summary>
    public static string? Latest(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var files = InDirectory(directory);
        return files.Count == 0 ? null : files[files.Count - 1].Path;
    }

    /// <summary>The checkpoint files of <paramref name="directory"/> (named as <see cref="FileName"/> makes them), oldest epoch first.</summary>
    internal static IReadOnlyList<(int Epoch, string Path)> InDirectory(string directory)
    {
        if (!System.IO.Directory.Exists(directory)) return [];
        var found = new List<(int Epoch, string Path)>();
        foreach (string path in System.IO.Directory.EnumerateFiles(directory, Prefix + "*" + Extension))
            if (EpochOf(Path.GetFileName(path)) is int epoch) found.Add((epoch, path));
        return found.OrderBy(f => f.Epoch).ToList();
    }

    /// <summary>The epoch of a checkpoint file name, or null for another name.</summary>
    private static int? EpochOf(string fileName)
    {
        if (!fileName.StartsWith(Prefix, StringComparison.Ordinal) || !fileName.EndsWith(Extension, StringComparison.Ordinal)) return null;
        var digits = fileName.AsSpan(Prefix.Length, fileName.Length - Prefix.Length - Extension.Length);
        if (digits.Length == 0) return null;
        foreach (char c in digits) if (!char.IsAsciiDigit(c)) return null;
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int epoch) && epoch > 0 ? epoch : null;
    }

    /// <summary>
    /// Refuses a checkpoint folder that would mix runs: for a fresh Fit it must hold no checkpoints; for a resumed one
    /// none later than the epoch resumed from (they belong to a run that went on differently).
    /// </summary>
    internal static void CheckDirectory(CheckpointOptions options, int resumedEpoch)
    {
        var files = InDirectory(options.Directory);
        if (resumedEpoch == 0 && files.Count > 0)
            throw new ArgumentException(
                $"The checkpoint folder '{options.Directory}' already holds checkpoints of a run ({Path.GetFileName(files[files.Count - 1].Path)} is the newest); " +
                "resume it with resumeFrom: Checkpoint.Latest(folder), or write to an empty folder.", "checkpoints");
        var later = files.Where(f => f.Epoch > resumedEpoch).ToList();
        if (resumedEpoch > 0 && later.Count > 0)
            throw new ArgumentException(
                $"The checkpoint folder '{options.Directory}' holds {string.Join(", ", later.Select(f => Path.GetFileName(f.Path)))}, later than the epoch {resumedEpoch} " +
                "this Fit resumes from; they belong to a run that went on differently. Delete them, or write to another folder.", "checkpoints");
    }

    /// <summary>Deletes all but the newest <see cref="CheckpointOptions.KeepLast"/> checkpoints of the folder.</summary>
    internal static void Prune(CheckpointOptions options)
    {
        if (options.KeepLast == 0) return;
        var files = InDirectory(options.Directory);
        for (int i = 0; i < files.Count - options.KeepLast; i++) File.Delete(files[i].Path);
    }
}
