using System;
using System.IO;

namespace ModelGen.Serialization;

/// <summary>
/// Replaces a file so that anyone opening it sees either the old or the new content in full, even if the writing
/// process is killed: the content goes to a temporary file in the same folder, is flushed to disk, and is then
/// renamed over the target.
/// </summary>
/// <remarks>
/// The temporary is named <c>.{file name}.{16 hex digits}.tmp</c> and is removed if writing fails. A process killed
/// while writing leaves its temporary behind; the next <see cref="Write"/> to the same target removes such leftovers,
/// skipping any that another writer still holds open. Concurrent writes to one target each complete; the last rename
/// wins. The rename is atomic on one file system; that the rename itself survives a power cut depends on the file
/// system (the folder is not flushed).
/// </remarks>
public static class AtomicFile
{
    private const string TemporarySuffix = ".tmp";
    private const int RandomDigits = 16;

    /// <summary>Writes <paramref name="path"/> atomically with the content <paramref name="write"/> produces.</summary>
    /// <param name="path">The target; created or replaced. Its folder must exist.</param>
    /// <param name="write">Writes the whole content to the stream it is given (do not dispose the stream).</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> names a folder rather than a file.</exception>
    /// <exception cref="IOException">The temporary could not be written or renamed; the target is unchanged.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string fullPath = Path.GetFullPath(path);
        string fileName = Path.GetFileName(fullPath);
        if (fileName.Length == 0) throw new ArgumentException($"'{path}' names a folder, not a file.", nameof(path));
        string folder = Path.GetDirectoryName(fullPath)!;

        RemoveLeftoverTemporaries(folder, fileName);
        string temporary = Path.Combine(folder, TemporaryPrefix(fileName) + Convert.ToHexString(BitConverter.GetBytes(Random.Shared.NextInt64())) + TemporarySuffix);
        try
        {
            // The handle stays open through the rename, so a concurrent cleanup (which needs exclusive access) cannot
            // remove the temporary first. Windows renames an open file only if it was opened with FileShare.Delete;
            // on Unix FileShare.None takes the exclusive advisory lock that cleanups test.
            FileShare share = OperatingSystem.IsWindows() ? FileShare.Delete : FileShare.None;
            using var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, share, bufferSize: 1 << 16);
            write(stream);
            stream.Flush(flushToDisk: true);
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>The temporaries <see cref="Write"/> may have left next to <paramref name="path"/> (for tests and tools).</summary>
    public static string[] FindTemporaries(string path)
    {
        string fullPath = Path.GetFullPath(path);
        string fileName = Path.GetFileName(fullPath);
        string folder = Path.GetDirectoryName(fullPath)!;
        if (!Directory.Exists(folder)) return [];
        var found = new System.Collections.Generic.List<string>();
        foreach (string candidate in Directory.EnumerateFiles(folder, TemporaryPrefix(fileName) + "*" + TemporarySuffix))
            if (IsTemporaryOf(Path.GetFileName(candidate), fileName)) found.Add(candidate);
        return found.ToArray();
    }

    private static string TemporaryPrefix(string fileName) => "." + fileName + ".";

    private static bool IsTemporaryOf(string candidate, string fileName)
    {
        string prefix = TemporaryPrefix(fileName);
        if (candidate.Length != prefix.Length + RandomDigits + TemporarySuffix.Length) return false;
        if (!candidate.StartsWith(prefix, StringComparison.Ordinal) || !candidate.EndsWith(TemporarySuffix, StringComparison.Ordinal)) return false;
        foreach (char c in candidate.AsSpan(prefix.Length, RandomDigits))
            if (!char.IsAsciiHexDigitUpper(c)) return false;
        return true;
    }

    /// <summary>
    /// Deletes temporaries of earlier writes that were killed. One still being written is held open by its writer, so
    /// opening it exclusively fails (a sharing violation on Windows, the advisory lock .NET takes on Unix) and it stays.
    /// </summary>
    private static void RemoveLeftoverTemporaries(string folder, string fileName)
    {
        foreach (string leftover in FindTemporaries(Path.Combine(folder, fileName)))
        {
            try
            {
                using var _ = new FileStream(leftover, FileMode.Open, FileAccess.ReadWrite, FileShare.None, bufferSize: 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) { }               // in use by a live writer, or already gone
            catch (UnauthorizedAccessException) { } // not ours to delete
        }
    }

    private static void TryDelete(string file)
    {
        try { File.Delete(file); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
