using System;
using System.Threading;

namespace ModelGen.Cuda;

/// <summary>
/// How <see cref="Model.Fit"/> reaches a GPU: what the CUDA probe found, and a <see cref="CudaGraph"/> for a plan,
/// a micro-batch size and a device ordinal. The tests substitute the host emulation of the kernels
/// (<see cref="Use"/>), so Fit's GPU path and Device.Auto's choice run on machines without a GPU.
/// </summary>
/// <param name="Availability">Whether CUDA can run, as <see cref="Device.CudaAvailability"/> reports it.</param>
/// <param name="CreateGraph">A graph for (plan, maxBatch, the resolved CUDA device with its ordinal and GEMM precision).</param>
/// <param name="Report">Receives Device.Auto's CPU-fallback message; null: standard error, once per reason.</param>
internal sealed record FitGpu(Func<CudaAvailability> Availability, Func<CudaModelPlan, int, Device, CudaGraph> CreateGraph, Action<string>? Report = null)
{
    private static readonly AsyncLocal<FitGpu?> Substitute = new();

    /// <summary>The CUDA driver and NVRTC of this machine.</summary>
    public static FitGpu Driver { get; } = new(() => Device.CudaAvailability, (plan, maxBatch, device) => new CudaGraph(plan, maxBatch, device.Ordinal, new CudaCompileOptions(device.MatMul)));

    /// <summary>The substitute in effect on this flow of execution, else <see cref="Driver"/>.</summary>
    public static FitGpu Current => Substitute.Value ?? Driver;

    /// <summary>Makes <paramref name="gpu"/> the one Fit uses on this flow of execution until the result is disposed.</summary>
    public static IDisposable Use(FitGpu gpu)
    {
        var previous = Substitute.Value;
        Substitute.Value = gpu;
        return new Restore(previous);
    }

    private sealed class Restore(FitGpu? previous) : IDisposable
    {
        public void Dispose() => Substitute.Value = previous;
    }
}
