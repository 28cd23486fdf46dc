using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using ModelGen.SaveKiller;
using ModelGen.Serialization;
using Xunit;
using Xunit.Abstractions;

namespace ModelGen.Tests.Serialization;

/// <summary>
/// Runs a process that saves versions 1, 2, 3, … of one file and kills it (SIGKILL on Unix) at seeded random moments
/// after its first completed save.
/// After every kill the file must load and hold exactly the last version reported saved, or the one after it (renamed
/// just before the kill), and at most one temporary may be left behind.
/// </summary>
public class AtomicSaveKillTests(ITestOutputHelper output)
{
    private const int Kills = 30;

    [Fact]
    public void KilledSavesLeaveEitherTheOldOrTheNewVersion()
    {
        string folder = Directory.CreateTempSubdirectory("modelgen-kill-").FullName;
        string path = Path.Combine(folder, "model.safetensors");
        var rng = new Random(424242);
        var total = Stopwatch.StartNew();
        long fileVersion = 0; // 0: no file yet
        int killedMidSave = 0, leftoversSeen = 0, savesCompleted = 0;
        try
        {
            for (int kill = 0; kill < Kills; kill++)
            {
                var lines = new ConcurrentQueue<string>();
                using var warm = new ManualResetEventSlim();
                using Process child = StartSaveLoop(path, fileVersion + 1);
                child.OutputDataReceived += (_, e) =>
                {
                    if (e.Data == null) return;
                    lines.Enqueue(e.Data);
                    if (e.Data.StartsWith("saved ", StringComparison.Ordinal)) warm.Set();
                };
                child.BeginOutputReadLine();
                try
                {
                    // Kill only after one save has completed (start-up and JIT are behind it), at a random moment
                    // a few saves later, so that kills land at every stage of a save.
                    Assert.True(warm.Wait(TimeSpan.FromSeconds(60)), "the save loop completed no save within 60 s");
                    Thread.Sleep(rng.Next(0, 60));
                }
                finally
                {
                    child.Kill();
                    child.WaitForExit(); // also drains the redirected output
                }

                long lastSaved = fileVersion;
                bool inSave = false;
                foreach (string line in lines)
                {
                    if (line.StartsWith("saving ", StringComparison.Ordinal)) inSave = true;
                    if (line.StartsWith("saved ", StringComparison.Ordinal))
                    {
                        inSave = false;
                        lastSaved = long.Parse(line["saved ".Length..], CultureInfo.InvariantCulture);
                        savesCompleted++;
                    }
                }
                if (inSave) killedMidSave++;

                if (!File.Exists(path))
                {
                    Assert.Equal(0, lastSaved);
                    continue;
                }
                var file = SafetensorsFile.Read(path); // throws if torn
                long version = file["version"].ToInt64()[0];
                Assert.InRange(version, lastSaved, lastSaved + 1);
                AssertHoldsVersion(file, version);
                fileVersion = version;

                int leftovers = AtomicFile.FindTemporaries(path).Length;
                Assert.InRange(leftovers, 0, 1);
                leftoversSeen += leftovers;
            }

            // The next save removes what the last kill left.
            SafetensorsFile.Write(path, SavedVersion.Tensors(fileVersion + 1), SavedVersion.Metadata(fileVersion + 1));
            Assert.Empty(AtomicFile.FindTemporaries(path));
            AssertHoldsVersion(SafetensorsFile.Read(path), fileVersion + 1);

            output.WriteLine($"{Kills} kills in {total.Elapsed.TotalSeconds:F1} s: {savesCompleted} saves completed, {killedMidSave} kills landed inside a save, " +
                $"{leftoversSeen} left a temporary behind (each removed by the next save); last version {fileVersion}");
            Assert.True(killedMidSave > 0, "no kill landed inside a save, so the test proved nothing");
            Assert.True(fileVersion > 0, "no save ever completed");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void AssertHoldsVersion(SafetensorsFile file, long version)
    {
        var expected = SavedVersion.Tensors(version);
        Assert.Equal(expected.Select(t => t.Name), file.Tensors.Select(t => t.Name));
        foreach (var tensor in expected)
        {
            var read = file[tensor.Name];
            Assert.Equal(tensor.DType, read.DType);
            Assert.Equal(tensor.Shape, read.Shape);
            Assert.True(tensor.Bytes.Span.SequenceEqual(read.Bytes.Span), $"tensor '{tensor.Name}' of version {version} differs");
        }
        Assert.Equal(SavedVersion.Metadata(version), file.Metadata.ToArray());
    }

    private static Process StartSaveLoop(string path, long firstVersion)
    {
        // The running runtime's folder is <dotnet root>/shared/Microsoft.NETCore.App/<version>/.
        string dotnetRoot = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        string dotnet = Path.Combine(dotnetRoot, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        var start = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(SavedVersion).Assembly.Location);
        start.ArgumentList.Add(path);
        start.ArgumentList.Add(firstVersion.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add("60"); // the loop stops by itself if this test dies before killing it
        return Process.Start(start)!;
    }
}
