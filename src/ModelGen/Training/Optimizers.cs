using System;
using System.Numerics;
using System.Runtime.InteropServices;

namespace ModelGen;

/// <summary>
/// Updates a model's flat parameter buffer from its flat gradient buffer, in one fused pass.
/// Optimizer state (moments, velocity) is allocated on the first step and sized to the buffer.
/// </summary>
public abstract class Optimizer
{
    /// <summary>Learning rate used by the next step (a schedule may change it between steps).</summary>
    public float LearningRate { get; set; }

    /// <summary>Number of steps taken so far.</summary>
    public long StepCount { get; private set; }

    /// <summary>Sets the learning rate.</summary>
    protected Optimizer(float learningRate)
    {
        if (!(learningRate > 0) || float.IsInfinity(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be a positive finite number.");
        LearningRate = learningRate;
    }

    /// <summary>Applies one update to <paramref name="parameters"/> from <paramref name="gradients"/> (same length).</summary>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        if (parameters.Length != gradients.Length)
            throw new ArgumentException($"The parameter buffer has {parameters.Length} elements but the gradient buffer has {gradients.Length}.", nameof(gradients));
        StepCount++;
        Update(parameters, gradients, StepCount);
    }

    /// <summary>The fused update; <paramref name="step"/> counts from 1.</summary>
    protected abstract void Update(Span<float> parameters, ReadOnlySpan<float> gradients, long step);

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

    internal static void CheckBeta(float value, string name)
    {
        if (!(value >= 0 && value < 1))
            throw new ArgumentOutOfRangeException(name, value, $"'{name}' must be in [0, 1).");
    }
}

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

    /// <inheritdoc/>
    protected override unsafe void Update(Span<float> parameters, ReadOnlySpan<float> gradients, long step)
    {
        float lr = LearningRate, mu = Momentum, wd = WeightDecay;
        int n = parameters.Length, i = 0;
        bool vectors = Vector.IsHardwareAccelerated;
        int w = Vector<float>.Count;
        if (mu == 0f)
        {
            fixed (float* p = parameters)
            fixed (float* g = gradients)
            {
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
        var velocity = State(ref _velocity, n);
        bool nesterov = Nesterov;
        fixed (float* p = parameters)
        fixed (float* g = gradients)
        fixed (float* v = velocity)
        {
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

    /// <inheritdoc/>
    protected override unsafe void Update(Span<float> parameters, ReadOnlySpan<float> gradients, long step)
    {
        var m = State(ref _m, parameters.Length);
        var v = State(ref _v, parameters.Length);
        float b1 = Beta1, b2 = Beta2, eps = Epsilon, lr = LearningRate;
        float c1 = 1f / (1f - MathF.Pow(b1, step));
        float c2 = 1f / (1f - MathF.Pow(b2, step));
        float coupled = DecoupledWeightDecay ? 0f : WeightDecay;
        float decay = DecoupledWeightDecay ? 1f - lr * WeightDecay : 1f;
        float ob1 = 1f - b1, ob2 = 1f - b2;
        int n = parameters.Length, i = 0;
        fixed (float* pp = parameters)
        fixed (float* gp = gradients)
        fixed (float* mp = m)
        fixed (float* vp = v)
        {
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
        if (norm > maxNorm)
        {
            float scale = maxNorm / (norm + 1e-6f);
            int i = 0;
            if (Vector.IsHardwareAccelerated)
            {
                Span<Vector<float>> vectors = MemoryMarshal.Cast<float, Vector<float>>(gradients);
                for (int v = 0; v < vectors.Length; v++) vectors[v] *= scale;
                i = vectors.Length * Vector<float>.Count;
            }
            for (; i < gradients.Length; i++) gradients[i] *= scale;
        }
        return norm;
    }
}
