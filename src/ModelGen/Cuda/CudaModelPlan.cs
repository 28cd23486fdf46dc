using System;
using System.Collections.Generic;

namespace ModelGen.Cuda;

/// <summary>Element type of a device buffer (both are 4 bytes).</summary>
public enum CudaBufferType
{
    /// <summary>float32.</summary>
    Float,
    /// <summary>int32 (e.g. max-pooling winners).</summary>
    Int,
}

/// <summary>
/// One device buffer of a model: <c>PerSample·maxBatch + Fixed</c> elements. Its index in
/// <see cref="CudaModelPlan.Buffers"/> is its slot in the translation unit's <c>modelgen_buffers</c> table.
/// </summary>
/// <param name="Name">Name in the translation unit (e.g. kHidden1Grad) without the k.</param>
/// <param name="PerSample">Elements per sample of the batch.</param>
/// <param name="Fixed">Elements independent of the batch (parameters, per-channel statistics).</param>
/// <param name="Type">Float or Int.</param>
public sealed record CudaBuffer(string Name, long PerSample, long Fixed, CudaBufferType Type = CudaBufferType.Float)
{
    /// <summary>Elements for <paramref name="maxBatch"/> samples (at least 1).</summary>
    public long Elements(int maxBatch) => Math.Max(1, PerSample * maxBatch + Fixed);
}

/// <summary>
/// One kernel launch: every generated kernel takes <c>(int batch, int training, unsigned long long seed)</c>,
/// runs <c>mg::kThreads</c> (256) threads per block and walks its work with grid-stride loops; the grid is
/// <c>⌈(PerSample·batch + Fixed) / ItemsPerBlock⌉</c> blocks (at least 1, at most <see cref="CudaModelPlan.MaxBlocks"/>).
/// </summary>
/// <param name="Kernel">The extern "C" kernel name.</param>
/// <param name="PerSample">Work items per sample.</param>
/// <param name="Fixed">Work items independent of the batch.</param>
/// <param name="ItemsPerBlock">Work items one block covers per grid-stride step.</param>
public sealed record CudaLaunch(string Kernel, long PerSample, long Fixed, int ItemsPerBlock)
{
    /// <summary>The grid size for <paramref name="batch"/> samples.</summary>
    public uint Blocks(int batch)
    {
        long work = PerSample * batch + Fixed;
        long blocks = (work + ItemsPerBlock - 1) / ItemsPerBlock;
        return (uint)Math.Clamp(blocks, 1, CudaModelPlan.MaxBlocks);
    }
}

/// <summary>
/// Everything the runtime needs to run one model on a GPU, generated at build time beside the CPU
/// code: the CUDA translation unit and the launch sequences of inference, training forward, loss,
/// backward and the fused optimizer. A model the CUDA emitter cannot translate gets a plan with
/// <see cref="UnsupportedReason"/> set (and no source), never a build error.
/// </summary>
public sealed class CudaModelPlan
{
    /// <summary>Largest grid any launch uses (grid-stride loops cover the rest).</summary>
    public const long MaxBlocks = 1 << 20;

    /// <summary>Threads per block of every ModelGen kernel (mg::kThreads).</summary>
    public const int ThreadsPerBlock = 256;

    /// <summary>Slots of the buffers every model has, in this order, before its own.</summary>
    public const int InputSlot = 0, TargetsSlot = 1, ParametersSlot = 2, GradientsSlot = 3, StateSlot = 4, LossRowsSlot = 5, LossSlot = 6, Moment1Slot = 7, Moment2Slot = 8, ReductionSlot = 9;

    /// <summary>Blocks of the penalty and gradient-norm kernels, one partial sum each in the reduction slot (mg::kReductionBlocks).</summary>
    public const int ReductionBlocks = 256;

    private CudaModelPlan(string modelName, string source, string? unsupportedReason, int inputSize, int outputSize, int targetSize, int parameterCount, int stateCount,
        IReadOnlyList<CudaBuffer> buffers, int outputSlot, IReadOnlyList<CudaLaunch> inference, IReadOnlyList<CudaLaunch> training,
        IReadOnlyList<CudaLaunch> loss, IReadOnlyList<int> clearBeforeBackward, IReadOnlyList<CudaLaunch> backward)
    {
        ModelName = modelName;
        Source = source;
        UnsupportedReason = unsupportedReason;
        InputSize = inputSize;
        OutputSize = outputSize;
        TargetSize = targetSize;
        ParameterCount = parameterCount;
        StateCount = stateCount;
        Buffers = buffers;
        OutputSlot = outputSlot;
        Inference = inference;
        TrainingForward = training;
        Loss = loss;
        ClearBeforeBackward = clearBeforeBackward;
        Backward = backward;
    }

    /// <summary>A plan the runtime can execute.</summary>
    public static CudaModelPlan Create(string modelName, string source, int inputSize, int outputSize, int targetSize, int parameterCount, int stateCount,
        CudaBuffer[] buffers, int outputSlot, CudaLaunch[] inference, CudaLaunch[] training, CudaLaunch[] loss, int[] clearBeforeBackward, CudaLaunch[] backward)
        => new(modelName, source, null, inputSize, outputSize, targetSize, parameterCount, stateCount, buffers, outputSlot, inference, training, loss, clearBeforeBackward, backward);

    /// <summary>The plan of a model the CUDA emitter does not translate; <paramref name="reason"/> names the layer.</summary>
    public static CudaModelPlan Unsupported(string modelName, string reason)
        => new(modelName, "", reason, 0, 0, 0, 0, 0, Array.Empty<CudaBuffer>(), -1, Array.Empty<CudaLaunch>(), Array.Empty<CudaLaunch>(),
            Array.Empty<CudaLaunch>(), Array.Empty<int>(), Array.Empty<CudaLaunch>());

    /// <summary>The model's type name.</summary>
    public string ModelName { get; }

    /// <summary>The generated CUDA translation unit (includes <c>modelgen.cuh</c>); empty when unsupported.</summary>
    public string Source { get; }

    /// <summary>Null when the model runs on CUDA; otherwise why not, e.g. "not supported on CUDA: layer 'name' (Kind)" for a layer kind without kernels.</summary>
    public string? UnsupportedReason { get; }

    /// <summary>Whether the model can run on CUDA.</summary>
    public bool IsSupported => UnsupportedReason is null;

    /// <summary>Elements of one input sample.</summary>
    public int InputSize { get; }
    /// <summary>Elements of one output sample.</summary>
    public int OutputSize { get; }
    /// <summary>Elements of one target sample.</summary>
    public int TargetSize { get; }
    /// <summary>Length of the flat parameter buffer.</summary>
    public int ParameterCount { get; }
    /// <summary>Length of the state buffer (BatchNorm running statistics).</summary>
    public int StateCount { get; }

    /// <summary>Every device buffer, by slot.</summary>
    public IReadOnlyList<CudaBuffer> Buffers { get; }

    /// <summary>The slot holding the model's outputs.</summary>
    public int OutputSlot { get; }

    /// <summary>Forward pass in evaluation mode.</summary>
    public IReadOnlyList<CudaLaunch> Inference { get; }

    /// <summary>Forward pass in training mode (dropout masks, batch statistics).</summary>
    public IReadOnlyList<CudaLaunch> TrainingForward { get; }

    /// <summary>The loss (per-row values, then their mean into the loss slot) and, when training, d(loss)/d(outputs).</summary>
    public IReadOnlyList<CudaLaunch> Loss { get; }

    /// <summary>Slots zeroed before backward (every gradient accumulates).</summary>
    public IReadOnlyList<int> ClearBeforeBackward { get; }

    /// <summary>Backward pass, writing the parameter gradients.</summary>
    public IReadOnlyList<CudaLaunch> Backward { get; }
}
