using System;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Threading;

namespace ModelGen;

/// <summary>Where a model runs: the CPU (always available), a CUDA GPU, or <see cref="Auto"/>.</summary>
public enum DeviceKind
{
    /// <summary>The CPU kernels (the default; always works).</summary>
    Cpu,
    /// <summary>An NVIDIA GPU through the CUDA driver API and NVRTC.</summary>
    Cuda,
    /// <summary>CUDA when a driver, a GPU and NVRTC are present; otherwise the CPU.</summary>
    Auto,
}

/// <summary>
/// A device choice. <see cref="Cpu"/> and <see cref="Cuda(int, Cuda.MatMulPrecision)"/> are explicit; <see cref="Auto"/>
/// becomes CUDA device 0 when the probe finds a driver, a GPU and NVRTC, else the CPU with one
/// message that says what was missing. Probing never throws, so a machine without CUDA loses nothing.
/// </summary>
/// <param name="Kind">CPU, CUDA or Auto.</param>
/// <param name="Ordinal">The GPU's ordinal (CUDA).</param>
/// <param name="MatMul">How GEMM products are computed on a GPU (float32, or TF32/BF16 tensor cores); ignored on the CPU.</param>
/// <example><code>
/// model.Fit(train, epochs: 10, device: Device.Cuda(matMul: MatMulPrecision.BF16));
/// model.Fit(train, epochs: 10, device: Device.Auto with { MatMul = MatMulPrecision.TF32 });
/// </code></example>
public sealed record Device(DeviceKind Kind, int Ordinal = 0, Cuda.MatMulPrecision MatMul = Cuda.MatMulPrecision.Float32)
{
    private static readonly Lazy<CudaAvailability> Probe = new(CudaAvailability.Detect, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly ConcurrentDictionary<string, byte> Reported = new();

    /// <summary>The CPU.</summary>
    public static Device Cpu { get; } = new(DeviceKind.Cpu);

    /// <summary>CUDA when available, otherwise the CPU (see <see cref="Resolve(Action{string})"/>).</summary>
    public static Device Auto { get; } = new(DeviceKind.Auto);

    /// <summary>The CUDA GPU with the given ordinal, computing GEMM products in <paramref name="matMul"/>.</summary>
    public static Device Cuda(int ordinal = 0, Cuda.MatMulPrecision matMul = ModelGen.Cuda.MatMulPrecision.Float32)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ordinal);
        return new Device(DeviceKind.Cuda, ordinal, matMul);
    }

    /// <summary>What the CUDA probe found on this machine (run once per process, never throws).</summary>
    public static CudaAvailability CudaAvailability => Probe.Value;

    /// <summary>
    /// The concrete device: <see cref="Auto"/> becomes <see cref="Cuda(int, Cuda.MatMulPrecision)"/> 0 (with its precision) or <see cref="Cpu"/>.
    /// When Auto falls back to the CPU, the reason is reported once: to <paramref name="report"/> when
    /// given (once per call), else to standard error once per process. Explicit devices are returned
    /// as they are (an unavailable CUDA device fails later, when used, with the same reason).
    /// </summary>
    public Device Resolve(Action<string>? report = null) => Resolve(CudaAvailability, report);

    /// <summary><see cref="Resolve(Action{string})"/> against <paramref name="availability"/> (the probe's, or the tests' emulated GPU).</summary>
    internal Device Resolve(CudaAvailability availability, Action<string>? report)
    {
        if (Kind != DeviceKind.Auto) return this;
        if (availability.IsAvailable) return Cuda(0, MatMul);
        ReportCpuFallback(availability.Message, report);
        return Cpu;
    }

    /// <summary>
    /// Says why <see cref="Auto"/> is using the CPU: to <paramref name="report"/> when given, else to standard
    /// error, once per process for each reason (a training loop calling Fit repeatedly prints it once).
    /// </summary>
    internal static void ReportCpuFallback(string reason, Action<string>? report)
    {
        string message = "ModelGen: Device.Auto is using the CPU: " + reason;
        if (report is not null) report(message);
        else if (Reported.TryAdd(message, 0)) Console.Error.WriteLine(message);
    }

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        DeviceKind.Cuda => MatMul == ModelGen.Cuda.MatMulPrecision.Float32 ? $"cuda:{Ordinal}" : $"cuda:{Ordinal} ({MatMul})",
        DeviceKind.Auto => "auto",
        _ => "cpu",
    };
}

/// <summary>The result of probing for CUDA: whether it can run, and a one-line description or reason.</summary>
/// <param name="IsAvailable">A driver with at least one GPU and NVRTC were found.</param>
/// <param name="Message">The GPU and versions found, or what is missing.</param>
/// <param name="DeviceCount">GPUs the driver reports (0 without a driver).</param>
public sealed record CudaAvailability(bool IsAvailable, string Message, int DeviceCount)
{
    /// <summary>Probes the driver, its devices and NVRTC; every failure becomes a message.</summary>
    public static unsafe CudaAvailability Detect()
    {
        try
        {
            int init = Cuda.CudaNative.Init(0);
            if (init != 0)
            {
                var (name, description) = Cuda.CudaNative.Describe(init);
                return new(false, $"the CUDA driver is installed but cuInit failed: {name}{(description.Length > 0 ? $" ({description})" : "")}.", 0);
            }
            Cuda.CudaNative.Check(Cuda.CudaNative.DeviceGetCount(out int count), "cuDeviceGetCount");
            if (count == 0) return new(false, "the CUDA driver reports no GPU.", 0);
            Cuda.CudaNative.Check(Cuda.CudaNative.DriverGetVersion(out int driver), "cuDriverGetVersion");
            if (!Cuda.NvrtcCompiler.IsAvailable(out string nvrtc)) return new(false, nvrtc, count);
            var gpu = Cuda.CudaContext.DescribeDevice(0);
            return new(true, $"{gpu}, driver API {driver / 1000}.{driver % 1000 / 10}, {nvrtc}", count);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return new(false, Cuda.NativeLibraries.NotFoundMessage(Cuda.NativeLibraries.Driver), 0);
        }
        catch (Cuda.CudaException e)
        {
            return new(false, e.Message, 0);
        }
    }
}
