using System;
using ModelGen.Cuda;
using Xunit;

namespace ModelGen.Cuda.Tests;

/// <summary>
/// Whether the NVRTC tests run: always when NVRTC loads; when it does not, they are skipped with the
/// reason, except under CI (CI=true), where a missing NVRTC is a failure (CI installs it).
/// </summary>
internal static class Nvrtc
{
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static string? SkipReason => NvrtcCompiler.IsAvailable(out string message) || InCi ? null : "NVRTC is not installed: " + message;
}

/// <summary>A fact that needs NVRTC (see <see cref="Nvrtc"/>).</summary>
public sealed class NvrtcFactAttribute : FactAttribute
{
    public NvrtcFactAttribute() => Skip = Nvrtc.SkipReason;
}

/// <summary>A theory that needs NVRTC (see <see cref="Nvrtc"/>).</summary>
public sealed class NvrtcTheoryAttribute : TheoryAttribute
{
    public NvrtcTheoryAttribute() => Skip = Nvrtc.SkipReason;
}
