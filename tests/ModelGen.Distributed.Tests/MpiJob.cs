using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;

namespace ModelGen.Distributed.Tests;

/// <summary>Runs the worker under <c>mpirun --oversubscribe -np N</c> on loopback only, or alone, and collects what it wrote.</summary>
internal static class MpiJob
{
    /// <summary>The worker's entry assembly, from its own build output next to this project's.</summary>
    public static string WorkerPath
    {
        get
        {
            // bin/<Configuration>/<tfm>/ of this project → the worker's same folder.
            var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            string tfm = here.Name, configuration = here.Parent!.Name;
            string path = Path.GetFullPath(Path.Combine(here.FullName, "..", "..", "..", "..", "ModelGen.Distributed.Worker", "bin", configuration, tfm, "ModelGen.Distributed.Worker.dll"));
            if (!File.Exists(path)) throw new FileNotFoundException($"The MPI test worker was not built at {path}; build tests/ModelGen.Distributed.Tests (it builds the worker).", path);
            return path;
        }
    }

    /// <summary>The mpirun on PATH; fails with what to install when there is none (these tests never skip).</summary>
    public static string MpiRun
    {
        get
        {
            foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                string candidate = Path.Combine(dir, "mpirun");
                if (File.Exists(candidate)) return candidate;
            }
            throw new InvalidOperationException(
                "mpirun was not found on PATH: the distributed-training tests need Open MPI (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev; " +
                ".ci/run installs it).");
        }
    }

    private static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>This test process's folder of job files (deleted when the tests end).</summary>
    public static string Root { get; } = Path.Combine(Path.GetTempPath(), "modelgen-mpi-tests", Environment.ProcessId.ToString());

    /// <summary>A fresh, empty folder for one job's files.</summary>
    public static string NewFolder(string name)
    {
        string path = Path.Combine(Root, $"{name}-{Guid.NewGuid():N}"[..24]);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Starts <paramref name="ranks"/> workers under mpirun with <paramref name="arguments"/>.</summary>
    public static Job Start(int ranks, string arguments)
    {
        var info = new ProcessStartInfo(MpiRun)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Loopback TCP only (no shared-memory transport, no other interface): what a container allows.
        foreach (string a in new[] { "--oversubscribe", "-np", ranks.ToString(), "--mca", "btl", "self,tcp", "--mca", "btl_tcp_if_include", "lo",
                     "--mca", "oob_tcp_if_include", "lo", Dotnet, WorkerPath })
            info.ArgumentList.Add(a);
        foreach (string a in arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)) info.ArgumentList.Add(a);
        if (Environment.UserName == "root")
        {
            info.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
            info.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        }
        return new Job(Process.Start(info)!);
    }

    /// <summary>Runs a job to its end (at most <paramref name="timeoutSeconds"/>) and requires success.</summary>
    public static void Run(int ranks, string arguments, int timeoutSeconds = 120)
    {
        using var job = Start(ranks, arguments);
        int code = job.Wait(timeoutSeconds);
        if (code != 0) throw new InvalidOperationException($"mpirun -np {ranks} worker {arguments} exited with {code}:\n{job.Output}");
    }

    /// <summary>Runs the worker in this machine's one process, without MPI.</summary>
    public static void RunAlone(string arguments, int timeoutSeconds = 120)
    {
        var info = new ProcessStartInfo(Dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(WorkerPath);
        info.ArgumentList.Add("--alone");
        foreach (string a in arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)) info.ArgumentList.Add(a);
        using var job = new Job(Process.Start(info)!);
        int code = job.Wait(timeoutSeconds);
        if (code != 0) throw new InvalidOperationException($"worker --alone {arguments} exited with {code}:\n{job.Output}");
    }

    /// <summary>One launched process (mpirun or a worker) with its output collected as it comes.</summary>
    public sealed class Job : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        public Job(Process process)
        {
            _process = process;
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        /// <summary>Standard output and error so far, interleaved.</summary>
        public string Output { get { lock (_output) return _output.ToString(); } }

        public bool HasExited => _process.HasExited;

        /// <summary>Waits for the exit code; after <paramref name="timeoutSeconds"/> kills the whole tree and fails: a hang.</summary>
        public int Wait(int timeoutSeconds)
        {
            if (!_process.WaitForExit(TimeSpan.FromSeconds(timeoutSeconds)))
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
                throw new TimeoutException($"The job did not end within {timeoutSeconds} s (a hang); it was killed. Output:\n{Output}");
            }
            _process.WaitForExit();   // drains the output readers
            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.Dispose();
        }
    }
}

/// <summary>What one rank of the worker wrote.</summary>
internal sealed record RankFiles(string[] Hashes, int[][] Shards, float[] Parameters, string[] History)
{
    public static RankFiles Read(string folder, int rank)
    {
        string File(string kind) => Path.Combine(folder, $"rank{rank}.{kind}");
        var shards = System.IO.File.ReadAllLines(File("shards")).Select(line => line.Length == 0 ? Array.Empty<int>() : line.Split(',').Select(int.Parse).ToArray()).ToArray();
        var bytes = System.IO.File.ReadAllBytes(File("params"));
        var parameters = new float[bytes.Length / sizeof(float)];
        Buffer.BlockCopy(bytes, 0, parameters, 0, bytes.Length);
        return new RankFiles(System.IO.File.ReadAllLines(File("hashes")), shards, parameters, System.IO.File.ReadAllLines(File("history")));
    }

    public int Epochs => int.Parse(History[0].Split(' ')[1]);

    public float[] TrainLosses => History.Skip(2).Select(s => float.Parse(s.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    /// <summary>Each epoch's training accuracy (the ranks' counts summed).</summary>
    public float[] TrainAccuracies => History.Skip(2).Select(s => float.Parse(s.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
}
