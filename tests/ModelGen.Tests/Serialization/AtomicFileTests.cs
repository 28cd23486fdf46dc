using System;
using System.IO;
using System.Linq;
using ModelGen.Serialization;
using Xunit;

namespace ModelGen.Tests.Serialization;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("modelgen-atomic-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Target => Path.Combine(_folder, "model.safetensors");

    [Fact]
    public void WritesAndReplacesWithoutLeavingTemporaries()
    {
        AtomicFile.Write(Target, s => s.Write([1, 2, 3]));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(Target));
        AtomicFile.Write(Target, s => s.Write([4, 5]));
        Assert.Equal([4, 5], File.ReadAllBytes(Target));
        Assert.Equal(["model.safetensors"], Directory.GetFiles(_folder).Select(Path.GetFileName));
    }

    [Fact]
    public void AFailedWriteKeepsTheOldFileAndRemovesItsTemporary()
    {
        AtomicFile.Write(Target, s => s.Write([1, 2, 3]));
        string? seenTemporary = null;
        var error = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(Target, s =>
        {
            s.Write([9, 9, 9, 9]);
            s.Flush();
            seenTemporary = AtomicFile.FindTemporaries(Target).Single();
            throw new InvalidOperationException("writer failed");
        }));
        Assert.Equal("writer failed", error.Message);
        Assert.NotNull(seenTemporary);
        Assert.StartsWith(".model.safetensors.", Path.GetFileName(seenTemporary));
        Assert.False(File.Exists(seenTemporary));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(Target));
        Assert.Empty(AtomicFile.FindTemporaries(Target));
    }

    [Fact]
    public void LeftoversOfKilledWritesAreRemovedByTheNextWrite()
    {
        string leftover = Path.Combine(_folder, ".model.safetensors.0123456789ABCDEF.tmp");
        File.WriteAllBytes(leftover, [7]);
        // Files that merely look similar are not ours and stay.
        string[] unrelated =
        [
            Path.Combine(_folder, ".model.safetensors.backup.tmp"),
            Path.Combine(_folder, ".other.safetensors.0123456789ABCDEF.tmp"),
            Path.Combine(_folder, ".model.safetensors.0123456789ABCDEF.tmp.keep"),
        ];
        foreach (string file in unrelated) File.WriteAllBytes(file, [8]);
        Assert.Equal([leftover], AtomicFile.FindTemporaries(Target));

        AtomicFile.Write(Target, s => s.Write([1]));

        Assert.False(File.Exists(leftover));
        Assert.All(unrelated, file => Assert.True(File.Exists(file), file));
    }

    [Fact]
    public void ATemporaryStillHeldOpenByAWriterIsNotRemoved()
    {
        // Stands in for another process's save in progress: it holds its temporary open exclusively.
        string inFlight = Path.Combine(_folder, ".model.safetensors.FEDCBA9876543210.tmp");
        using (var held = new FileStream(inFlight, FileMode.CreateNew, FileAccess.Write, OperatingSystem.IsWindows() ? FileShare.Delete : FileShare.None))
        {
            held.Write([5]);
            AtomicFile.Write(Target, s => s.Write([1]));
            Assert.True(File.Exists(inFlight));
        }
        AtomicFile.Write(Target, s => s.Write([2]));
        Assert.False(File.Exists(inFlight));
    }

    [Fact]
    public void RefusesAFolderAsTarget()
    {
        Assert.Throws<ArgumentException>(() => AtomicFile.Write(_folder + Path.DirectorySeparatorChar, _ => { }));
        Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.Write(Path.Combine(_folder, "missing", "m.safetensors"), _ => { }));
    }
}
