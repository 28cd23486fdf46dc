using System;
using System.Collections.Generic;
using System.Numerics;

namespace ModelGen.Compute;

/// <summary>
/// The compiled computation of one model for one element type and a maximum batch: forward,
/// loss, and the fused training step (forward + loss + backward). Generated per model as the
/// nested <c>Graph&lt;T&gt;</c> class; <see cref="Model"/> runs it in float32, gradient checks in float64.
/// Parameters and gradients are passed in (one flat buffer each), so a graph owns only its workspace.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public abstract unsafe partial class ModelGraph<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private const long DropoutStream = 0xD209;
    private readonly List<Array> _workspace = new();
    private T[] _state = Array.Empty<T>();
    private Rng _dropoutRng = new(0, DropoutStream);
    private bool[] _frozen = Array.Empty<bool>();

    /// <summary>Creates a graph whose workspace holds <paramref name="maxBatch"/> samples.</summary>
    protected ModelGraph(int maxBatch)
    {
        if (maxBatch < 1) throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, "The maximum batch must be at least 1.");
        MaxBatch = maxBatch;
    }

    /// <summary>Largest batch this graph's workspace holds.</summary>
    public int MaxBatch { get; }

    /// <summary>Elements of one input sample.</summary>
    public abstract int InputSize { get; }

    /// <summary>Elements of one output sample.</summary>
    public abstract int OutputSize { get; }

    /// <summary>Elements of one sample's target: 1 (a class index) for softmax cross-entropy, else <see cref="OutputSize"/>.</summary>
    public abstract int TargetSize { get; }

    /// <summary>Length of the flat parameter (and gradient) buffer.</summary>
    public abstract int ParameterCount { get; }

    /// <summary>
    /// Model state that is not trained but learned from the data in training mode (BatchNorm's running
    /// mean and variance): saved with the model, never touched by the optimizer. Empty for most models.
    /// </summary>
    public Span<T> State => _state;

    /// <summary>
    /// Number of layers with parameters, in the order of <see cref="Model.ParameterLayers"/>: the indices
    /// <see cref="SetFrozenLayers"/> takes.
    /// </summary>
    public virtual int ParameterLayerCount => 0;

    /// <summary>
    /// Freezes the layers whose entry in <paramref name="frozen"/> is true (indexed as <see cref="Model.ParameterLayers"/>):
    /// <see cref="TrainStep"/> then computes no weight gradient for them (their gradient elements stay exactly 0), and a
    /// gradient flows back through a value only when a layer that trains lies before it. All layers train by default.
    /// <see cref="Model.Freeze"/> sets this on the model's graph; gradient checks call it directly.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="frozen"/> does not have <see cref="ParameterLayerCount"/> entries.</exception>
    public void SetFrozenLayers(ReadOnlySpan<bool> frozen)
    {
        if (frozen.Length != ParameterLayerCount)
            throw new ArgumentException($"The model has {ParameterLayerCount} layers with parameters; {frozen.Length} flags were given.", nameof(frozen));
        if (_frozen.Length != frozen.Length) _frozen = new bool[frozen.Length];
        frozen.CopyTo(_frozen);
    }

    /// <summary>
    /// Whether layer <paramref name="layer"/> (an index of <see cref="Model.ParameterLayers"/>) is frozen, or every layer is for the
    /// backward pass under way (<see cref="Backward"/> without parameter gradients); the generated backward pass asks.
    /// </summary>
    protected bool IsFrozen(int layer) => _skipParameterGradients || ((uint)layer < (uint)_frozen.Length && _frozen[layer]);

    /// <summary>Allocates the pinned state buffer (once, from the generated constructor).</summary>
    protected T* AllocateState(int count)
    {
        _state = GC.AllocateArray<T>(count, pinned: true);
        fixed (T* p = _state) return p;
    }

    /// <summary>Runs the forward pass; the result (batch × <see cref="OutputSize"/>) is valid until the next call.</summary>
    public ReadOnlySpan<T> Forward(ReadOnlySpan<T> parameters, ReadOnlySpan<T> input, int batch)
    {
        Check(parameters, input, default, batch, needTargets: false);
        fixed (T* p = parameters)
        fixed (T* x = input)
        {
            return new ReadOnlySpan<T>(ForwardCore(p, x, batch), batch * OutputSize);
        }
    }

    /// <summary>Runs the forward pass and returns the mean loss over the batch, computing no gradient.</summary>
    public T Loss(ReadOnlySpan<T> parameters, ReadOnlySpan<T> input, ReadOnlySpan<T> targets, int batch)
    {
        Check(parameters, input, targets, batch, needTargets: true);
        fixed (T* p = parameters)
        fixed (T* x = input)
        fixed (T* y = targets)
        {
            return LossCore(p, x, y, batch);
        }
    }

    /// <summary>
    /// The forward pass in training mode (dropout active) plus the loss, computing no gradient: the
    /// loss that <see cref="TrainStep"/> differentiates. Equals <see cref="Loss"/> for models without dropout.
    /// </summary>
    public T TrainingLoss(ReadOnlySpan<T> parameters, ReadOnlySpan<T> input, ReadOnlySpan<T> targets, int batch)
    {
        Check(parameters, input, targets, batch, needTargets: true);
        fixed (T* p = parameters)
        fixed (T* x = input)
        fixed (T* y = targets)
        {
            return TrainingLossCore(p, x, y, batch);
        }
    }

    /// <summary>
    /// Restarts the random stream of training-mode layers (dropout masks) from <paramref name="seed"/>;
    /// <see cref="Model.Fit"/> calls it with its seed, so training is reproducible. A new graph starts from seed 0.
    /// </summary>
    public void SetRandomSeed(long seed) => _dropoutRng = new Rng(seed, DropoutStream);

    /// <summary>
    /// Where the dropout stream stands: <see cref="Model"/> hands it on when it replaces this graph by a larger one,
    /// and a checkpoint saves it, so the masks continue rather than restart.
    /// </summary>
    internal Rng RandomState
    {
        get => _dropoutRng;
        set => _dropoutRng = value;
    }

    /// <summary>The random stream the generated dropout layers draw their masks from.</summary>
    protected ref Rng DropoutRng => ref _dropoutRng;

    /// <summary>Generated training-mode forward pass plus loss; by default the same as <see cref="LossCore"/>.</summary>
    protected virtual T TrainingLossCore(T* parameters, T* input, T* targets, int batch) => LossCore(parameters, input, targets, batch);

    /// <summary>
    /// One fused training step: forward, mean loss over the batch, and backward. Overwrites
    /// <paramref name="gradients"/> with d(loss)/d(parameters) and returns the loss.
    /// </summary>
    public T TrainStep(ReadOnlySpan<T> parameters, Span<T> gradients, ReadOnlySpan<T> input, ReadOnlySpan<T> targets, int batch)
    {
        Check(parameters, input, targets, batch, needTargets: true);
        if (gradients.Length != ParameterCount)
            throw new ArgumentException($"The gradient buffer has {gradients.Length} elements; this model has {ParameterCount} parameters.", nameof(gradients));
        fixed (T* p = parameters)
        fixed (T* g = gradients)
        fixed (T* x = input)
        fixed (T* y = targets)
        {
            return TrainStepCore(p, g, x, y, batch);
        }
    }

    /// <summary>
    /// The outputs (batch × <see cref="OutputSize"/>) of the last <see cref="Forward"/>, <see cref="Loss"/>
    /// or <see cref="TrainStep"/> call, valid until the next call.
    /// </summary>
    public ReadOnlySpan<T> LastOutput(int batch)
    {
        if (batch < 1 || batch > MaxBatch) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"The batch must be between 1 and {MaxBatch}.");
        return new ReadOnlySpan<T>(OutputBuffer, batch * OutputSize);
    }

    /// <summary>The workspace buffer that receives the model's outputs.</summary>
    protected abstract T* OutputBuffer { get; }

    /// <summary>Generated forward pass; returns the output buffer.</summary>
    protected abstract T* ForwardCore(T* parameters, T* input, int batch);

    /// <summary>Generated forward pass plus loss.</summary>
    protected abstract T LossCore(T* parameters, T* input, T* targets, int batch);

    /// <summary>Generated forward, loss and backward; writes every gradient element.</summary>
    protected abstract T TrainStepCore(T* parameters, T* gradients, T* input, T* targets, int batch);

    /// <summary>
    /// Where every workspace buffer starts: a multiple of 128 bytes (a pair of cache lines). A product split across threads
    /// by column strips writes each strip's tiles and then its epilogue (bias, activation) row by row; when a buffer starts
    /// off a line boundary, the strips of two threads share a line at every strip edge of every row. Measured: a two-thread
    /// dense forward ran up to 2.8× slower than on 128-byte boundaries. A pinned array alone starts at any multiple of 8.
    /// </summary>
    internal const int BufferAlignment = 128;

    /// <summary>Allocates a pinned workspace buffer of <paramref name="count"/> elements, starting on a 128-byte boundary, that lives as long as the graph.</summary>
    protected T* Allocate(int count)
    {
        var buffer = GC.AllocateArray<T>(Math.Max(count, 1) + BufferAlignment / sizeof(T), pinned: true);
        _workspace.Add(buffer);
        return (T*)Cpu.Workspace.AlignedStart(buffer, BufferAlignment);
    }

    /// <summary>Allocates a pinned index buffer (e.g. max-pooling winners) that lives as long as the graph.</summary>
    protected int* AllocateIndices(int count)
    {
        var buffer = GC.AllocateArray<int>(Math.Max(count, 1), pinned: true);
        _workspace.Add(buffer);
        fixed (int* p = buffer) return p;
    }

    private void Check(ReadOnlySpan<T> parameters, ReadOnlySpan<T> input, ReadOnlySpan<T> targets, int batch, bool needTargets)
    {
        if (batch < 1 || batch > MaxBatch)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"The batch must be between 1 and {MaxBatch} (this graph's maximum batch).");
        if (parameters.Length != ParameterCount)
            throw new ArgumentException($"The parameter buffer has {parameters.Length} elements; this model has {ParameterCount}.", nameof(parameters));
        if (input.Length < batch * InputSize)
            throw new ArgumentException($"The input has {input.Length} elements; a batch of {batch} needs {batch} × {InputSize} = {batch * InputSize}.", nameof(input));
        if (needTargets && targets.Length < batch * TargetSize)
            throw new ArgumentException($"The targets have {targets.Length} elements; a batch of {batch} needs {batch} × {TargetSize} = {batch * TargetSize}.", nameof(targets));
    }
}
