using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ModelGen.Cpu;
using ModelGen.Cuda;

namespace ModelGen;

/// <summary>
/// Updates a model's flat parameter buffer from its flat gradient buffer, in one fused pass.
/// Optimizer state (moments, velocity) is allocated on the first step and sized to the buffer.
/// </summary>
/// <remarks>
/// Each optimizer holds its update rule in one place: <see cref="Update"/> runs it on the CPU, and the CUDA
/// path launches the generated kernel with the same per-step scalars (bias corrections, decayed rates).
/// The learning rate of a step is an argument of the update: <see cref="Model.Fit"/> passes each step's
/// scheduled rate and never writes <see cref="LearningRate"/>.
/// </remarks>
public abstract class Optimizer
{
    /// <summary>
    /// The base learning rate: the rate of <see cref="Step(Span{float}, ReadOnlySpan{float})"/>, and the rate a
    /// <see cref="LearningRateSchedule"/> scales in <see cref="Model.Fit"/> (which hands each step its scheduled
    /// rate and leaves this property as it is).
    /// </summary>
    public float LearningRate { get; set; }

    /// <summary>
    /// Number of steps taken so far: the t of Adam's bias correction and Adagrad's decay. Settable inside the
    /// library, so that a checkpoint can put it back together with the optimizer's state buffers.
    /// </summary>
    public long StepCount { get; internal set; }

    /// <summary>Sets the learning rate.</summary>
    protected Optimizer(float learningRate)
    {
        if (!(learningRate > 0) || float.IsInfinity(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be a positive finite number.");
        LearningRate = learningRate;
    }

    /// <summary>Applies one update at <see cref="LearningRate"/> to <paramref name="parameters"/> from <paramref name="gradients"/> (same length).</summary>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients) => Step(parameters, gradients, LearningRate);

    /// <summary>
    /// Applies one update at <paramref name="learningRate"/> (e.g. a schedule's rate for this step) to
    /// <paramref name="parameters"/> from <paramref name="gradients"/> (same length); <see cref="LearningRate"/> is not changed.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="learningRate"/> is negative, infinite or NaN.</exception>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate)
    {
        if (parameters.Length != gradients.Length)
            throw new ArgumentException($"The parameter buffer has {parameters.Length} elements but the gradient buffer has {gradients.Length}.", nameof(gradients));
        if (IsBuiltIn)
        {
            Step(parameters, gradients, learningRate, [new ParameterRange(0, parameters.Length)]);
            return;
        }
        CheckStepRate(learningRate, nameof(learningRate));
        StepCount++;
        Update(parameters, gradients, learningRate, StepCount);
    }

    /// <summary>
    /// One update that changes only the elements in <paramref name="ranges"/> (the trainable layers; the parameters and
    /// optimizer state of the others stay exactly as they are). Counts one step, as <see cref="Step(Span{float}, ReadOnlySpan{float}, float)"/>.
    /// Allocates nothing once the state exists.
    /// </summary>
    /// <exception cref="NotSupportedException">The ranges leave parameters out and the optimizer is not one of ModelGen's (<see cref="IsBuiltIn"/>).</exception>
    internal void Step(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate, ReadOnlySpan<ParameterRange> ranges)
    {
        if (parameters.Length != gradients.Length)
            throw new ArgumentException($"The parameter buffer has {parameters.Length} elements but the gradient buffer has {gradients.Length}.", nameof(gradients));
        CheckStepRate(learningRate, nameof(learningRate));
        bool whole = ranges.Length == 1 && ranges[0].Start == 0 && ranges[0].Count == parameters.Length;
        if (!whole && !IsBuiltIn)
            throw new NotSupportedException($"{GetType().Name} updates the whole parameter buffer and cannot leave frozen layers out; use Sgd, Adam, AdamW, RmsProp or Adagrad.");
        StepCount++;
        if (whole && !IsBuiltIn)
        {
            Update(parameters, gradients, learningRate, StepCount);
            return;
        }
        foreach (var range in ranges)
        {
            if ((uint)range.Start > (uint)parameters.Length || (uint)range.Count > (uint)(parameters.Length - range.Start))
                throw new ArgumentOutOfRangeException(nameof(ranges), $"The range [{range.Start}, {range.Start + range.Count}) lies outside the {parameters.Length} parameters.");
        }
        // The state buffers are sized (allocated) by the first update at a length; only later ones may run on several threads.
        bool split = _sizedFor == parameters.Length && CpuParallel.ThreadCount > 1;
        foreach (var range in ranges)
        {
            if (split && range.Count >= (ParallelThresholdOverride > 0 ? ParallelThresholdOverride : ParallelThreshold))
                UpdateInParallel(parameters, gradients, learningRate, StepCount, range.Start, range.Count);
            else
                UpdateRange(parameters, gradients, learningRate, StepCount, range.Start, range.Count);
        }
        _sizedFor = parameters.Length;
    }

    /// <summary>
    /// Parameters per update above which a built-in optimizer splits its pass across <see cref="CpuParallel"/>'s threads. The
    /// pass is bound by memory traffic (parameters, gradients and state buffers stream through once), which two cores move
    /// faster than one. Each element's update is independent of the others, so the split never changes a bit.
    /// </summary>
    internal const int ParallelThreshold = 1 << 16;

    /// <summary>Replaces <see cref="ParallelThreshold"/> for updates started on this thread (0: use it); tests split small buffers.</summary>
    [ThreadStatic] internal static int ParallelThresholdOverride;

    /// <summary>Elements per part of a split update are a multiple of this, so every part but the last is whole vectors and the last ends where the range ends.</summary>
    private const int PartAlignment = 64;

    /// <summary>The parameter count of the last update: its state buffers exist at that size, so parts can run at once without allocating.</summary>
    private int _sizedFor = -1;

    private UpdateJob? _updateJob;

    /// <summary><see cref="UpdateRange"/> on [start, start + count), in parts spread over <see cref="CpuParallel"/>'s threads.</summary>
    private unsafe void UpdateInParallel(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate, long step, int start, int count)
    {
        int parts = Math.Min(CpuParallel.ThreadCount * 2, (count + PartAlignment - 1) / PartAlignment);
        var job = _updateJob ??= new UpdateJob(this);
        fixed (float* p = parameters)
        fixed (float* g = gradients)
        {
            job.Set(p, g, parameters.Length, learningRate, step, start, count, parts);
            CpuParallel.Run(job, parts);
            job.Set(null, null, 0, 0f, 0, 0, 0, 0);
        }
    }

    /// <summary>One split update; preallocated per optimizer so that a step allocates nothing.</summary>
    private sealed unsafe class UpdateJob(Optimizer owner) : CpuParallel.Work
    {
        private float* _parameters, _gradients;
        private int _length, _start, _count, _parts;
        private float _learningRate;
        private long _step;

        public void Set(float* parameters, float* gradients, int length, float learningRate, long step, int start, int count, int parts)
        {
            _parameters = parameters; _gradients = gradients; _length = length;
            _learningRate = learningRate; _step = step; _start = start; _count = count; _parts = parts;
        }

        private int Boundary(int part) =>
            part == _parts ? _count : (int)((long)_count * part / _parts / PartAlignment * PartAlignment);

        public override void Execute(int part)
        {
            int first = Boundary(part), end = Boundary(part + 1);
            if (end > first)
                owner.UpdateRange(new Span<float>(_parameters, _length), new ReadOnlySpan<float>(_gradients, _length), _learningRate, _step, _start + first, end - first);
        }
    }

    /// <summary>
    /// Whether this is one of ModelGen's optimizers, whose updates can leave frozen layers out (<see cref="UpdateRange"/>) and
    /// whose whole state a checkpoint can hold (<see cref="StateBuffers"/>); a subclass from another library may keep more.
    /// </summary>
    internal bool IsBuiltIn => GetType().Assembly == typeof(Optimizer).Assembly;

    /// <summary>
    /// The fused update of elements [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) at
    /// <paramref name="learningRate"/>: the state buffers are sized to the whole parameter buffer, and the other elements
    /// (and their state) are not touched. <paramref name="step"/> counts from 1.
    /// </summary>
    internal virtual void UpdateRange(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate, long step, int start, int count) =>
        throw new NotSupportedException($"{GetType().Name} updates the whole parameter buffer only.");

    /// <summary>Counts a step that runs elsewhere (the fused CUDA update) and returns its number, from 1.</summary>
    internal long AdvanceStepCount() => ++StepCount;

    /// <summary>The fused update at <paramref name="learningRate"/>; <paramref name="step"/> counts from 1.</summary>
    protected abstract void Update(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate, long step);

    /// <summary>
    /// Every per-parameter state buffer of this optimizer for <paramref name="parameterCount"/> parameters, named as in
    /// PyTorch's optimizer state (momentum_buffer, exp_avg, exp_avg_sq, square_avg, grad_avg, sum); buffers the optimizer
    /// has not used yet are allocated at their starting value. With <see cref="StepCount"/> this is all an optimizer
    /// needs to continue exactly: a checkpoint writes these arrays, and restores by writing into them. Empty for plain SGD.
    /// </summary>
    internal virtual IReadOnlyList<OptimizerBuffer> StateBuffers(int parameterCount) => Array.Empty<OptimizerBuffer>();

    /// <summary>
    /// Per-parameter state in the layout of the CUDA update kernels: the first moment (SGD's velocity, Adam's m)
    /// and the second (Adam's v); null where the optimizer keeps none or has not stepped yet.
    /// </summary>
    internal virtual (float[]? First, float[]? Second) Moments => (null, null);

    /// <summary>Why the CUDA update cannot run this optimizer, or null when it can.</summary>
    internal virtual string? CudaUnsupportedReason => $"{GetType().Name} has no CUDA kernel; use Sgd, Adam, AdamW, RmsProp or Adagrad on the GPU";

    /// <summary>
    /// The generated CUDA update kernel of this rule with its arguments for step <paramref name="step"/> at
    /// <paramref name="learningRate"/>: the scalars <see cref="Update"/> uses, in the kernel's parameter order.
    /// </summary>
    internal virtual KernelCall CudaUpdate(float learningRate, long step) => throw new NotSupportedException(CudaUnsupportedReason + ".");

    /// <summary>The launch that puts the GPU's moments at a starting value other than zero (Adagrad's initial accumulator), else null.</summary>
    internal virtual KernelCall? CudaMomentStart => null;

    /// <summary>
    /// The hyperparameters that decide this optimizer's updates, named as the constructor's parameters, as invariant text:
    /// a checkpoint records them and a resumed Fit must match them. Subclasses add theirs to the learning rate.
    /// </summary>
    internal virtual IEnumerable<(string Name, string Value)> Settings() => [("learningRate", Text(LearningRate))];

    /// <summary>A float as its shortest round-trip invariant text.</summary>
    internal static string Text(float value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A flag as in C#: true or false.</summary>
    internal static string Text(bool value) => value ? "true" : "false";

    /// <summary>Returns <paramref name="state"/>, allocated (zeroed) to <paramref name="length"/> on first use.</summary>
    protected static float[] State(ref float[]? state, int length)
    {
        if (state is null || state.Length != length) state = new float[length];
        return state;
    }

    internal static void CheckNonNegative(float value, string name)
    {
        if (!(value >= 0) || float.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, $"'{name}' must be a finite number ≥ 0.");
    }

    /// <summary>A step's rate may be 0 (the end of a cosine decay) but must be finite and not negative.</summary>
    internal static void CheckStepRate(float learningRate, string name)
    {
        if (!(learningRate >= 0) || float.IsInfinity(learningRate))
            throw new ArgumentOutOfRangeException(name, learningRate, $"The learning rate of a step must be a finite number ≥ 0, not {learningRate}.");
    }

    internal static void CheckBeta(float value, string name)
    {
        if (!(value >= 0 && value < 1))
            throw new ArgumentOutOfRangeException(name, value, $"'{name}' must be in [0, 1).");
    }
}

/// <summary>One named per-parameter state buffer of an <see cref="Optimizer"/>, laid out as the parameters.</summary>
/// <param name="Name">PyTorch's name for the state (e.g. <c>exp_avg</c>).</param>
/// <param name="Values">The live buffer: reading it saves the state, writing it restores the state.</param>
internal readonly record struct OptimizerBuffer(string Name, float[] Values);

/// <summary>Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay (PyTorch semantics).</summary>
public sealed class Sgd : Optimizer
{
    private float[]? _velocity;

    /// <summary>Creates SGD.</summary>
    /// <param name="learningRate">Step size.</param>
    /// <param name="momentum">Momentum factor (0 = plain SGD).</param>
    /// <param name="nesterov">Use Nesterov momentum (needs momentum &gt; 0).</param>
    /// <param name="weightDecay">L2 penalty added to the gradient.</param>
    public Sgd(float learningRate = 0.01f, float momentum = 0f, bool nesterov = false, float weightDecay = 0f) : base(learningRate)
    {
        CheckBeta(momentum, nameof(momentum));
        CheckNonNegative(weightDecay, nameof(weightDecay));
        if (nesterov && momentum == 0f) throw new ArgumentException("Nesterov momentum needs a momentum greater than 0.", nameof(nesterov));
        Momentum = momentum;
        Nesterov = nesterov;
        WeightDecay = weightDecay;
    }

    /// <summary>Momentum factor.</summary>
    public float Momentum { get; }
    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; }
    /// <summary>L2 penalty coefficient.</summary>
    public float WeightDecay { get; }

    internal override IReadOnlyList<OptimizerBuffer> StateBuffers(int parameterCount) =>
        Momentum == 0f ? Array.Empty<OptimizerBuffer>() : [new("momentum_buffer", State(ref _velocity, parameterCount))];

    internal override IEnumerable<(string Name, string Value)> Settings() =>
        [.. base.Settings(), ("momentum", Text(Momentum)), ("nesterov", Text(Nesterov)), ("weightDecay", Text(WeightDecay))];

    internal override (float[]? First, float[]? Second) Moments => (_velocity, null);

    internal override string? CudaUnsupportedReason => null;

    internal override KernelCall CudaUpdate(float learningRate, long step) =>
        new("modelgen_sgd", learningRate, Momentum, Nesterov ? 1 : 0, WeightDecay);

    /// <inheritdoc/>
    protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate, long step) =>
        UpdateRange(parameters, gradients, learningRate, step, 0, parameters.Length);

    internal override unsafe void UpdateRange(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate, long step, int start, int count)
    {
        float lr = learningRate, mu = Momentum, wd = WeightDecay;
        int n = count, i = 0;
        bool vectors = Vector.IsHardwareAccelerated;
        int w = Vector<float>.Count;
        if (mu == 0f)
        {
            fixed (float* parameterBase = parameters)
            fixed (float* gradientBase = gradients)
            {
                float* p = parameterBase + start, g = gradientBase + start;
                if (vectors)
                {
                    for (; i <= n - w; i += w)
                    {
                        var pv = Vector.Load(p + i);
                        Vector.Store(pv - lr * (Vector.Load(g + i) + wd * pv), p + i);
                    }
                }
                for (; i < n; i++) p[i] -= lr * (g[i] + wd * p[i]);
            }
            return;
        }
        var velocity = State(ref _velocity, parameters.Length);
        bool nesterov = Nesterov;
        fixed (float* parameterBase = parameters)
        fixed (float* gradientBase = gradients)
        fixed (float* velocityBase = velocity)
        {
            float* p = parameterBase + start, g = gradientBase + start, v = velocityBase + start;
            if (vectors)
            {
                for (; i <= n - w; i += w)
                {
                    var pv = Vector.Load(p + i);
                    var gv = Vector.Load(g + i) + wd * pv;
                    var vi = mu * Vector.Load(v + i) + gv;
                    Vector.Store(vi, v + i);
                    Vector.Store(pv - lr * (nesterov ? gv + mu * vi : vi), p + i);
                }
            }
            for (; i < n; i++)
            {
                float gi = g[i] + wd * p[i];
                float vi = mu * v[i] + gi;
                v[i] = vi;
                p[i] -= lr * (nesterov ? gi + mu * vi : vi);
            }
        }
    }
}

/// <summary>Adam (Kingma &amp; Ba) with optional L2 weight decay coupled into the gradient (PyTorch's <c>Adam</c>).</summary>
public class Adam : Optimizer
{
    private float[]? _m, _v;

    /// <summary>Creates Adam.</summary>
    public Adam(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0f) : base(learningRate)
    {
        CheckBeta(beta1, nameof(beta1));
        CheckBeta(beta2, nameof(beta2));
        if (!(epsilon > 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "'epsilon' must be positive.");
        CheckNonNegative(weightDecay, nameof(weightDecay));
        Beta1 = beta1; Beta2 = beta2; Epsilon = epsilon; WeightDecay = weightDecay;
    }

    /// <summary>Decay of the first moment.</summary>
    public float Beta1 { get; }
    /// <summary>Decay of the second moment.</summary>
    public float Beta2 { get; }
    /// <summary>Added to the root of the second moment.</summary>
    public float Epsilon { get; }
    /// <summary>Weight-decay coefficient (coupled L2 for Adam, decoupled for AdamW).</summary>
    public float WeightDecay { get; }

    /// <summary>True when weight decay is applied to the parameters directly (AdamW) instead of through the gradient.</summary>
    protected virtual bool DecoupledWeightDecay => false;

    internal override IReadOnlyList<OptimizerBuffer> StateBuffers(int parameterCount) =>
        [new("exp_avg", State(ref _m, parameterCount)), new("exp_avg_sq", State(ref _v, parameterCount))];

    internal override IEnumerable<(string Name, string Value)> Settings() =>
        [.. base.Settings(), ("beta1", Text(Beta1)), ("beta2", Text(Beta2)), ("epsilon", Text(Epsilon)), ("weightDecay", Text(WeightDecay))];

    internal override (float[]? First, float[]? Second) Moments => (_m, _v);

    internal override string? CudaUnsupportedReason => null;

    internal override KernelCall CudaUpdate(float learningRate, long step)
    {
        var (c1, c2, coupled, decay) = StepScalars(learningRate, step);
        return new("modelgen_adam", learningRate, Beta1, Beta2, Epsilon, coupled, decay, c1, c2);
    }

    /// <summary>
    /// The scalars of step <paramref name="step"/>: the bias corrections 1/(1 − β₁ᵗ) and 1/(1 − β₂ᵗ), the L2 factor
    /// coupled into the gradient (Adam) and the factor that decays the parameters directly (AdamW: 1 − lr·λ).
    /// </summary>
    private (float C1, float C2, float Coupled, float Decay) StepScalars(float learningRate, long step) => (
        1f / (1f - MathF.Pow(Beta1, step)),
        1f / (1f - MathF.Pow(Beta2, step)),
        DecoupledWeightDecay ? 0f : WeightDecay,
        DecoupledWeightDecay ? 1f - learningRate * WeightDecay : 1f);

    /// <inheritdoc/>
    protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate, long step) =>
        UpdateRange(parameters, gradients, learningRate, step, 0, parameters.Length);

    internal override unsafe void UpdateRange(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate, long step, int start, int count)
    {
        var m = State(ref _m, parameters.Length);
        var v = State(ref _v, parameters.Length);
        float b1 = Beta1, b2 = Beta2, eps = Epsilon, lr = learningRate;
        var (c1, c2, coupled, decay) = StepScalars(learningRate, step);
        float ob1 = 1f - b1, ob2 = 1f - b2;
        int n = count, i = 0;
        fixed (float* parameterBase = parameters)
        fixed (float* gradientBase = gradients)
        fixed (float* mBase = m)
        fixed (float* vBase = v)
        {
            float* pp = parameterBase + start, gp = gradientBase + start, mp = mBase + start, vp = vBase + start;
            if (Vector512.IsHardwareAccelerated)
            {
                // Vector<float> stays 256 bits wide on a machine with AVX-512. Half as many divisions and square roots took
                // mnist-mlp's training step (1.86 million parameters) 2% less: 9.07–9.19 against 9.24–9.36 ms, fastest of
                // about 40 ten-step runs, four rounds of alternating processes. The same operations as the loops below.
                var epsilon512 = Vector512.Create(eps);
                for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                {
                    var p = Vector512.Load(pp + i);
                    var g = Vector512.Load(gp + i) + coupled * p;
                    var mi = b1 * Vector512.Load(mp + i) + ob1 * g;
                    var vi = b2 * Vector512.Load(vp + i) + ob2 * g * g;
                    Vector512.Store(mi, mp + i);
                    Vector512.Store(vi, vp + i);
                    Vector512.Store(p * decay - lr * (mi * c1) / (Vector512.Sqrt(vi * c2) + epsilon512), pp + i);
                }
            }
            if (Vector.IsHardwareAccelerated)
            {
                // The same operations in the same order as the scalar loop (no fused multiply-add),
                // so every element gets the same bits as it would in the tail.
                int w = Vector<float>.Count;
                for (; i <= n - w; i += w)
                {
                    var p = Vector.Load(pp + i);
                    var g = Vector.Load(gp + i) + coupled * p;
                    var mi = b1 * Vector.Load(mp + i) + ob1 * g;
                    var vi = b2 * Vector.Load(vp + i) + ob2 * g * g;
                    Vector.Store(mi, mp + i);
                    Vector.Store(vi, vp + i);
                    Vector.Store(p * decay - lr * (mi * c1) / (Vector.SquareRoot(vi * c2) + new Vector<float>(eps)), pp + i);
                }
            }
            for (; i < n; i++)
            {
                float p = pp[i];
                float g = gp[i] + coupled * p;
                float mi = b1 * mp[i] + ob1 * g;
                float vi = b2 * vp[i] + ob2 * g * g;
                mp[i] = mi;
                vp[i] = vi;
                pp[i] = p * decay - lr * (mi * c1) / (MathF.Sqrt(vi * c2) + eps);
            }
        }
    }
}

/// <summary>AdamW (Loshchilov &amp; Hutter): Adam with weight decay applied to the parameters, decoupled from the gradient.</summary>
public sealed class AdamW : Adam
{
    /// <summary>Creates AdamW (PyTorch's defaults: weight decay 0.01).</summary>
    public AdamW(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0.01f)
        : base(learningRate, beta1, beta2, epsilon, weightDecay)
    {
    }

    /// <inheritdoc/>
    protected override bool DecoupledWeightDecay => true;
}

/// <summary>
/// RMSProp (PyTorch's <c>RMSprop</c>): <c>v = α·v + (1 − α)·g²</c>, with centering
/// <c>ḡ = α·ḡ + (1 − α)·g</c> and denominator <c>√(v − ḡ²) + ε</c> (else <c>√v + ε</c>); with momentum
/// <c>b = μ·b + g/denominator</c>, <c>p −= lr·b</c>, else <c>p −= lr·g/denominator</c>. L2 weight decay
/// is added to the gradient first.
/// </summary>
public sealed class RmsProp : Optimizer
{
    private float[]? _square, _mean, _buffer;

    /// <summary>Creates RMSProp with PyTorch's defaults.</summary>
    /// <param name="learningRate">Step size.</param>
    /// <param name="alpha">Smoothing constant of the squared-gradient average, in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient.</param>
    /// <param name="momentum">Momentum factor (0 = none).</param>
    /// <param name="centered">Normalise by the estimated variance of the gradient instead of its second moment.</param>
    public RmsProp(float learningRate = 0.01f, float alpha = 0.99f, float epsilon = 1e-8f, float weightDecay = 0f, float momentum = 0f, bool centered = false)
        : base(learningRate)
    {
        CheckBeta(alpha, nameof(alpha));
        if (!(epsilon > 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "'epsilon' must be positive.");
        CheckNonNegative(weightDecay, nameof(weightDecay));
        CheckBeta(momentum, nameof(momentum));
        Alpha = alpha; Epsilon = epsilon; WeightDecay = weightDecay; Momentum = momentum; Centered = centered;
    }

    /// <summary>Smoothing constant.</summary>
    public float Alpha { get; }
    /// <summary>Added to the denominator.</summary>
    public float Epsilon { get; }
    /// <summary>L2 penalty coefficient.</summary>
    public float WeightDecay { get; }
    /// <summary>Momentum factor.</summary>
    public float Momentum { get; }
    /// <summary>Whether the gradient mean is subtracted from the second moment.</summary>
    public bool Centered { get; }

    // The CUDA kernel's layout: squares in the second moment, the mean (centered) or the momentum buffer in the first.
    internal override (float[]? First, float[]? Second) Moments => (Centered ? _mean : Momentum > 0 ? _buffer : null, _square);

    internal override IReadOnlyList<OptimizerBuffer> StateBuffers(int parameterCount)
    {
        var buffers = new List<OptimizerBuffer>(3) { new("square_avg", State(ref _square, parameterCount)) };
        if (Centered) buffers.Add(new("grad_avg", State(ref _mean, parameterCount)));
        if (Momentum > 0) buffers.Add(new("momentum_buffer", State(ref _buffer, parameterCount)));
        return buffers;
    }

    internal override IEnumerable<(string Name, string Value)> Settings() =>
        [.. base.Settings(), ("alpha", Text(Alpha)), ("epsilon", Text(Epsilon)), ("weightDecay", Text(WeightDecay)), ("momentum", Text(Momentum)), ("centered", Text(Centered))];

    internal override string? CudaUnsupportedReason => Centered && Momentum > 0f
        ? "RmsProp with both Centered and Momentum needs three state buffers and the GPU keeps two; drop one of them or train on the CPU"
        : null;

    internal override KernelCall CudaUpdate(float learningRate, long step) =>
        new("modelgen_rmsprop", learningRate, Alpha, Epsilon, WeightDecay, Momentum, Centered ? 1 : 0);

    /// <inheritdoc/>
    protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate, long step) =>
        UpdateRange(parameters, gradients, learningRate, step, 0, parameters.Length);

    internal override unsafe void UpdateRange(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate, long step, int start, int count)
    {
        int n = count, i = 0, length = parameters.Length;
        var square = State(ref _square, length);
        // Unused states point at the squares so the fixed statements below need no branches.
        var mean = Centered ? State(ref _mean, length) : square;
        var buffer = Momentum > 0 ? State(ref _buffer, length) : square;
        float lr = learningRate, a = Alpha, oa = 1f - Alpha, eps = Epsilon, wd = WeightDecay, mu = Momentum;
        bool centered = Centered, momentum = Momentum > 0;
        fixed (float* parameterBase = parameters)
        fixed (float* gradientBase = gradients)
        fixed (float* squareBase = square)
        fixed (float* meanBase = mean)
        fixed (float* bufferBase = buffer)
        {
            float* pp = parameterBase + start, gp = gradientBase + start, sp = squareBase + start, mp = meanBase + start, bp = bufferBase + start;
            if (Vector.IsHardwareAccelerated)
            {
                // The scalar loop's operations in its order (no fused multiply-add): the same bits in body and tail.
                int w = Vector<float>.Count;
                var epsV = new Vector<float>(eps);
                for (; i <= n - w; i += w)
                {
                    var p = Vector.Load(pp + i);
                    var g = Vector.Load(gp + i) + wd * p;
                    var v = a * Vector.Load(sp + i) + oa * g * g;
                    Vector.Store(v, sp + i);
                    Vector<float> denominator;
                    if (centered)
                    {
                        var m = a * Vector.Load(mp + i) + oa * g;
                        Vector.Store(m, mp + i);
                        denominator = Vector.SquareRoot(v - m * m) + epsV;
                    }
                    else denominator = Vector.SquareRoot(v) + epsV;
                    if (momentum)
                    {
                        var b = mu * Vector.Load(bp + i) + g / denominator;
                        Vector.Store(b, bp + i);
                        Vector.Store(p - lr * b, pp + i);
                    }
                    else Vector.Store(p - lr * (g / denominator), pp + i);
                }
            }
            for (; i < n; i++)
            {
                float p = pp[i];
                float g = gp[i] + wd * p;
                float v = a * sp[i] + oa * g * g;
                sp[i] = v;
                float denominator;
                if (centered)
                {
                    float m = a * mp[i] + oa * g;
                    mp[i] = m;
                    denominator = MathF.Sqrt(v - m * m) + eps;
                }
                else denominator = MathF.Sqrt(v) + eps;
                if (momentum)
                {
                    float b = mu * bp[i] + g / denominator;
                    bp[i] = b;
                    pp[i] = p - lr * b;
                }
                else pp[i] = p - lr * (g / denominator);
            }
        }
    }
}

/// <summary>
/// Adagrad (PyTorch's <c>Adagrad</c>): <c>s += g²</c>, <c>p −= lr_t·g/(√s + ε)</c> with
/// <c>lr_t = lr/(1 + (t − 1)·lrDecay)</c> at step t; the sums start at
/// <c>initialAccumulatorValue</c>; L2 weight decay is added to the gradient first.
/// </summary>
public sealed class Adagrad : Optimizer
{
    private float[]? _sum;

    /// <summary>Creates Adagrad with PyTorch's defaults.</summary>
    /// <param name="learningRate">Step size.</param>
    /// <param name="learningRateDecay">Decay of the step size per step.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient.</param>
    /// <param name="initialAccumulatorValue">Starting value of the squared-gradient sums.</param>
    /// <param name="epsilon">Added to the denominator.</param>
    public Adagrad(float learningRate = 0.01f, float learningRateDecay = 0f, float weightDecay = 0f, float initialAccumulatorValue = 0f, float epsilon = 1e-10f)
        : base(learningRate)
    {
        CheckNonNegative(learningRateDecay, nameof(learningRateDecay));
        CheckNonNegative(weightDecay, nameof(weightDecay));
        CheckNonNegative(initialAccumulatorValue, nameof(initialAccumulatorValue));
        if (!(epsilon > 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "'epsilon' must be positive.");
        LearningRateDecay = learningRateDecay; WeightDecay = weightDecay; InitialAccumulatorValue = initialAccumulatorValue; Epsilon = epsilon;
    }

    /// <summary>Decay of the step size per step.</summary>
    public float LearningRateDecay { get; }
    /// <summary>L2 penalty coefficient.</summary>
    public float WeightDecay { get; }
    /// <summary>Starting value of the squared-gradient sums.</summary>
    public float InitialAccumulatorValue { get; }
    /// <summary>Added to the denominator.</summary>
    public float Epsilon { get; }

    // The CUDA kernel's layout: the squared-gradient sums in the second moment.
    internal override (float[]? First, float[]? Second) Moments => (null, _sum);

    internal override IReadOnlyList<OptimizerBuffer> StateBuffers(int parameterCount) => [new("sum", Sums(parameterCount))];

    internal override IEnumerable<(string Name, string Value)> Settings() =>
        [.. base.Settings(), ("learningRateDecay", Text(LearningRateDecay)), ("weightDecay", Text(WeightDecay)),
         ("initialAccumulatorValue", Text(InitialAccumulatorValue)), ("epsilon", Text(Epsilon))];

    internal override string? CudaUnsupportedReason => null;

    internal override KernelCall CudaUpdate(float learningRate, long step) =>
        new("modelgen_adagrad", DecayedRate(learningRate, step), Epsilon, WeightDecay);

    internal override KernelCall? CudaMomentStart => InitialAccumulatorValue == 0f ? null : new("modelgen_adagrad_start", InitialAccumulatorValue);

    /// <summary>The rate of step <paramref name="step"/>: lr/(1 + (t − 1)·lrDecay).</summary>
    private float DecayedRate(float learningRate, long step) => learningRate / (1f + (step - 1) * LearningRateDecay);

    /// <summary>The squared-gradient sums, starting at the initial accumulator value.</summary>
    private float[] Sums(int length)
    {
        if (_sum is null || _sum.Length != length)
        {
            _sum = new float[length];
            Array.Fill(_sum, InitialAccumulatorValue);
        }
        return _sum;
    }

    /// <inheritdoc/>
    protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate, long step) =>
        UpdateRange(parameters, gradients, learningRate, step, 0, parameters.Length);

    internal override unsafe void UpdateRange(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate, long step, int start, int count)
    {
        int n = count, i = 0;
        var sums = Sums(parameters.Length);
        float lr = DecayedRate(learningRate, step), eps = Epsilon, wd = WeightDecay;
        fixed (float* parameterBase = parameters)
        fixed (float* gradientBase = gradients)
        fixed (float* sumBase = sums)
        {
            float* pp = parameterBase + start, gp = gradientBase + start, sp = sumBase + start;
            if (Vector.IsHardwareAccelerated)
            {
                int w = Vector<float>.Count;
                var epsV = new Vector<float>(eps);
                for (; i <= n - w; i += w)
                {
                    var p = Vector.Load(pp + i);
                    var g = Vector.Load(gp + i) + wd * p;
                    var s = Vector.Load(sp + i) + g * g;
                    Vector.Store(s, sp + i);
                    Vector.Store(p - lr * g / (Vector.SquareRoot(s) + epsV), pp + i);
                }
            }
            for (; i < n; i++)
            {
                float p = pp[i];
                float g = gp[i] + wd * p;
                float s = sp[i] + g * g;
                sp[i] = s;
                pp[i] = p - lr * g / (MathF.Sqrt(s) + eps);
            }
        }
    }
}

/// <summary>Gradient clipping over the whole flat gradient buffer.</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales <paramref name="gradients"/> so their global L2 norm is at most <paramref name="maxNorm"/>;
    /// returns the norm before clipping.
    /// </summary>
    public static float ClipByGlobalNorm(Span<float> gradients, float maxNorm)
    {
        if (!(maxNorm > 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "The maximum norm must be positive.");
        double sum = 0;
        foreach (float g in gradients) sum += (double)g * g;
        float norm = (float)Math.Sqrt(sum);
        if (norm > maxNorm) Scale(gradients, ScaleFactor(norm, maxNorm));
        return norm;
    }

    /// <summary>
    /// <see cref="ClipByGlobalNorm(Span{float}, float)"/> over the elements in <paramref name="ranges"/> only (the trainable
    /// layers): their norm decides, and only they are scaled.
    /// </summary>
    internal static float ClipByGlobalNorm(Span<float> gradients, float maxNorm, ReadOnlySpan<ParameterRange> ranges)
    {
        if (ranges.Length == 1 && ranges[0].Start == 0 && ranges[0].Count == gradients.Length) return ClipByGlobalNorm(gradients, maxNorm);
        if (!(maxNorm > 0)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "The maximum norm must be positive.");
        double sum = 0;
        foreach (var range in ranges)
            foreach (float g in gradients.Slice(range.Start, range.Count)) sum += (double)g * g;
        float norm = (float)Math.Sqrt(sum);
        if (norm > maxNorm)
        {
            float scale = ScaleFactor(norm, maxNorm);
            foreach (var range in ranges) Scale(gradients.Slice(range.Start, range.Count), scale);
        }
        return norm;
    }

    private static void Scale(Span<float> values, float scale)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            Span<Vector<float>> vectors = MemoryMarshal.Cast<float, Vector<float>>(values);
            for (int v = 0; v < vectors.Length; v++) vectors[v] *= scale;
            i = vectors.Length * Vector<float>.Count;
        }
        for (; i < values.Length; i++) values[i] *= scale;
    }

    /// <summary>The factor that brings a gradient of norm <paramref name="norm"/> (&gt; <paramref name="maxNorm"/>) down to <paramref name="maxNorm"/>; the GPU's clipping uses it too.</summary>
    internal static float ScaleFactor(float norm, float maxNorm) => maxNorm / (norm + 1e-6f);
}

/// <summary>The L1/L2 penalty of the CPU step (the GPU's <c>modelgen_penalty</c> kernel computes the same).</summary>
internal static class GradientPenalty
{
    /// <summary>g += λ₁·sign(p) + λ₂·p over the elements in <paramref name="ranges"/> (the trainable ones); returns λ₁·Σ|p| + ½·λ₂·Σp² over them.</summary>
    public static float Add(ReadOnlySpan<float> parameters, Span<float> gradients, float l1, float l2, ReadOnlySpan<ParameterRange> ranges)
    {
        double abs = 0, squares = 0;
        foreach (var range in ranges)
        {
            for (int i = range.Start; i < range.Start + range.Count; i++)
            {
                float p = parameters[i];
                float sign = p > 0f ? 1f : p < 0f ? -1f : 0f;
                gradients[i] += l1 * sign + l2 * p;
                abs += Math.Abs(p);
                squares += (double)p * p;
            }
        }
        return (float)(l1 * abs + 0.5 * l2 * squares);
    }

    /// <summary>Throws unless both coefficients are finite and ≥ 0.</summary>
    public static void Check(float l1, float l2)
    {
        Optimizer.CheckNonNegative(l1, nameof(l1));
        Optimizer.CheckNonNegative(l2, nameof(l2));
    }
}
