using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;

namespace ModelGen.Deployment.Tests;

/// <summary>Runs programs for the tests: the dotnet host, built samples, published binaries.</summary>
internal static class Processes
{
    /// <summary>The dotnet host that runs these tests (the SDK's <c>dotnet</c>).</summary>
    public static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>The repository root: the folder above the tests holding ModelGen.sln.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "ModelGen.sln"))) return folder.FullName;
        throw new InvalidOperationException($"No ModelGen.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>The configuration these tests were built in, which the samples beside them were built in too.</summary>
    public static string Configuration =>
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    /// <summary>Runs a program to its end (killing it after <paramref name="timeout"/>) and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string program, string arguments, TimeSpan timeout, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepositoryRoot,
        };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new System.Threading.CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{program} {arguments}' did not finish in {timeout.TotalSeconds:F0} s; output so far: {await output}{await error}");
        }
        return (process.ExitCode, await output, await error);
    }
}
