using System;
using System.Numerics;

namespace ModelGen.Cpu;

/// <summary>
/// Batch normalisation over <c>[batch, channels, spatial]</c> buffers: NCHW images have
/// spatial = H·W, 2-D <c>[batch, features]</c> input has spatial = 1. Each channel is normalised
/// over its batch·spatial values; the affine weight γ and bias β are per channel (<c>[channels]</c>).
/// </summary>
/// <remarks>
/// PyTorch semantics: training normalises with the batch mean and the biased variance, and moves
/// the running statistics by <c>running = (1 − momentum)·running + momentum·batch</c> using the
/// unbiased variance (× M/(M − 1), M = batch·spatial); evaluation normalises with the running
/// statistics. <c>y = γ·(x − μ)/√(σ² + ε) + β</c>. Forward overwrites its outputs; backward adds
/// into dx, dγ and dβ. Statistics are summed one contiguous run of <c>spatial</c> values at a time,
/// then the runs in batch order, so float32 sums over large batches stay accurate and results do
/// not depend on threads.
/// </remarks>
public static unsafe class BatchNormKernels
{
    /// <summary>
    /// Training forward: normalises with the batch statistics, saves them for backward, and updates
    /// the running statistics.
    /// </summary>
    /// <param name="x">Input <c>[batch, channels, spatial]</c>.</param>
    /// <param name="gamma">Scale γ <c>[channels]</c>, or null for none (γ = 1).</param>
    /// <param name="beta">Shift β <c>[channels]</c>, or null for none (β = 0).</param>
    /// <param name="runningMean">Running mean <c>[channels]</c>, updated in place; null when not tracked.</param>
    /// <param name="runningVar">Running (unbiased) variance <c>[channels]</c>, updated in place; null when not tracked.</param>
    /// <param name="y">Output, same layout as x (may alias x only when no backward follows: backward reads the original x).</param>
    /// <param name="saveMean">Receives the batch mean per channel <c>[channels]</c>, needed by <see cref="BackwardTrain{T}"/>.</param>
    /// <param name="saveInvStd">Receives <c>1/√(σ²_biased + ε)</c> per channel <c>[channels]</c>, needed by <see cref="BackwardTrain{T}"/>.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="channels">Channels (features for 2-D input).</param>
    /// <param name="spatial">Values per channel per sample (H·W; 1 for 2-D input).</param>
    /// <param name="momentum">Running-statistics momentum (PyTorch's default 0.1).</param>
    /// <param name="epsilon">Added to the variance (PyTorch's default 1e-5).</param>
    /// <exception cref="ArgumentException">batch·spatial is 1: the batch variance is undefined.</exception>
    public static void ForwardTrain<T>(T* x, T* gamma, T* beta, T* runningMean, T* runningVar, T* y, T* saveMean, T* saveInvStd,
        int batch, int channels, int spatial, T momentum, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long m = (long)batch * spatial;
        if (m < 2) throw new ArgumentException($"Batch normalisation in training mode needs more than one value per channel, but batch × spatial is {m}.");
        T count = T.CreateTruncating(m);
        T unbiased = count / T.CreateTruncating(m - 1);
        long stride = (long)channels * spatial;
        for (int c = 0; c < channels; c++)
        {
            T* first = x + (long)c * spatial;
            T sum = T.Zero;
            for (int n = 0; n < batch; n++) sum += Sum(first + n * stride, spatial);
            T mean = sum / count;
            T squares = T.Zero;
            for (int n = 0; n < batch; n++) squares += SquaredDeviations(first + n * stride, spatial, mean);
            T variance = squares / count;
            T invStd = T.One / T.Sqrt(variance + epsilon);
            saveMean[c] = mean;
            saveInvStd[c] = invStd;
            if (runningMean != null) runningMean[c] = (T.One - momentum) * runningMean[c] + momentum * mean;
            if (runningVar != null) runningVar[c] = (T.One - momentum) * runningVar[c] + momentum * variance * unbiased;
            Normalize(first, y + (long)c * spatial, batch, spatial, stride, mean, invStd, gamma == null ? T.One : gamma[c], beta == null ? T.Zero : beta[c]);
        }
    }

    /// <summary>Evaluation forward: normalises with the running statistics (which are not changed).</summary>
    /// <param name="x">Input <c>[batch, channels, spatial]</c>.</param>
    /// <param name="gamma">Scale γ <c>[channels]</c>, or null.</param>
    /// <param name="beta">Shift β <c>[channels]</c>, or null.</param>
    /// <param name="runningMean">Running mean <c>[channels]</c>.</param>
    /// <param name="runningVar">Running variance <c>[channels]</c>.</param>
    /// <param name="y">Output, same layout as x (may alias x only when no backward follows).</param>
    /// <param name="batch">Samples.</param>
    /// <param name="channels">Channels.</param>
    /// <param name="spatial">Values per channel per sample.</param>
    /// <param name="epsilon">Added to the variance.</param>
    public static void ForwardEval<T>(T* x, T* gamma, T* beta, T* runningMean, T* runningVar, T* y, int batch, int channels, int spatial, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long stride = (long)channels * spatial;
        for (int c = 0; c < channels; c++)
        {
            T invStd = T.One / T.Sqrt(runningVar[c] + epsilon);
            Normalize(x + (long)c * spatial, y + (long)c * spatial, batch, spatial, stride, runningMean[c], invStd,
                gamma == null ? T.One : gamma[c], beta == null ? T.Zero : beta[c]);
        }
    }

    /// <summary>
    /// Training backward, through the batch statistics: with x̂ = (x − μ)·invStd and M = batch·spatial,
    /// <c>dx += γ·invStd·(dy − mean(dy) − x̂·mean(dy·x̂))</c>, <c>dγ += Σ dy·x̂</c>, <c>dβ += Σ dy</c>.
    /// </summary>
    /// <param name="x">The forward input.</param>
    /// <param name="gamma">γ, or null if forward had none.</param>
    /// <param name="saveMean">The batch mean forward saved.</param>
    /// <param name="saveInvStd">The inverse standard deviation forward saved.</param>
    /// <param name="dy">Output gradient, layout of x.</param>
    /// <param name="dx">Input gradient, added to; null when not needed.</param>
    /// <param name="dGamma">γ gradient <c>[channels]</c>, added to; null without γ.</param>
    /// <param name="dBeta">β gradient <c>[channels]</c>, added to; null without β.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="channels">Channels.</param>
    /// <param name="spatial">Values per channel per sample.</param>
    public static void BackwardTrain<T>(T* x, T* gamma, T* saveMean, T* saveInvStd, T* dy, T* dx, T* dGamma, T* dBeta, int batch, int channels, int spatial)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long stride = (long)channels * spatial;
        T count = T.CreateTruncating((long)batch * spatial);
        for (int c = 0; c < channels; c++)
        {
            long offset = (long)c * spatial;
            T mean = saveMean[c], invStd = saveInvStd[c];
            T sumDy = T.Zero, sumDyXhat = T.Zero;
            for (int n = 0; n < batch; n++)
            {
                T* xs = x + offset + n * stride;
                T* gs = dy + offset + n * stride;
                T s1 = T.Zero, s2 = T.Zero;
                for (int k = 0; k < spatial; k++)
                {
                    s1 += gs[k];
                    s2 += gs[k] * ((xs[k] - mean) * invStd);
                }
                sumDy += s1;
                sumDyXhat += s2;
            }
            if (dBeta != null) dBeta[c] += sumDy;
            if (dGamma != null) dGamma[c] += sumDyXhat;
            if (dx == null) continue;
            T scale = (gamma == null ? T.One : gamma[c]) * invStd;
            T meanDy = sumDy / count, meanDyXhat = sumDyXhat / count;
            for (int n = 0; n < batch; n++)
            {
                T* xs = x + offset + n * stride;
                T* gs = dy + offset + n * stride;
                T* ds = dx + offset + n * stride;
                for (int k = 0; k < spatial; k++)
                    ds[k] += scale * (gs[k] - meanDy - (xs[k] - mean) * invStd * meanDyXhat);
            }
        }
    }

    /// <summary>
    /// Evaluation-mode backward (running statistics are constants, e.g. a frozen layer being
    /// fine-tuned through): <c>dx += γ·dy/√(runningVar + ε)</c>, <c>dγ += Σ dy·x̂</c>, <c>dβ += Σ dy</c>.
    /// </summary>
    /// <param name="x">The forward input.</param>
    /// <param name="gamma">γ, or null.</param>
    /// <param name="runningMean">Running mean used by forward.</param>
    /// <param name="runningVar">Running variance used by forward.</param>
    /// <param name="dy">Output gradient.</param>
    /// <param name="dx">Input gradient, added to; null when not needed.</param>
    /// <param name="dGamma">γ gradient, added to; null without γ.</param>
    /// <param name="dBeta">β gradient, added to; null without β.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="channels">Channels.</param>
    /// <param name="spatial">Values per channel per sample.</param>
    /// <param name="epsilon">The ε forward used.</param>
    public static void BackwardEval<T>(T* x, T* gamma, T* runningMean, T* runningVar, T* dy, T* dx, T* dGamma, T* dBeta,
        int batch, int channels, int spatial, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long stride = (long)channels * spatial;
        for (int c = 0; c < channels; c++)
        {
            long offset = (long)c * spatial;
            T mean = runningMean[c], invStd = T.One / T.Sqrt(runningVar[c] + epsilon);
            T scale = (gamma == null ? T.One : gamma[c]) * invStd;
            T sumDy = T.Zero, sumDyXhat = T.Zero;
            for (int n = 0; n < batch; n++)
            {
                T* xs = x + offset + n * stride;
                T* gs = dy + offset + n * stride;
                T s1 = T.Zero, s2 = T.Zero;
                for (int k = 0; k < spatial; k++)
                {
                    s1 += gs[k];
                    s2 += gs[k] * ((xs[k] - mean) * invStd);
                    if (dx != null) dx[offset + n * stride + k] += scale * gs[k];
                }
                sumDy += s1;
                sumDyXhat += s2;
            }
            if (dBeta != null) dBeta[c] += sumDy;
            if (dGamma != null) dGamma[c] += sumDyXhat;
        }
    }

    private static void Normalize<T>(T* x, T* y, int batch, int spatial, long stride, T mean, T invStd, T gamma, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int n = 0; n < batch; n++)
        {
            T* xs = x + n * stride;
            T* ys = y + n * stride;
            for (int k = 0; k < spatial; k++) ys[k] = gamma * ((xs[k] - mean) * invStd) + beta;
        }
    }

    internal static T Sum<T>(T* values, long count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        for (long k = 0; k < count; k++) sum += values[k];
        return sum;
    }

    internal static T SquaredDeviations<T>(T* values, long count, T mean) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        for (long k = 0; k < count; k++)
        {
            T d = values[k] - mean;
            sum += d * d;
        }
        return sum;
    }
}

/// <summary>
/// Layer normalisation over the last dimension(s): the input is seen as <c>[rows, features]</c>,
/// where features is the product of the normalised trailing dimensions (e.g. d for
/// <c>[batch, seq, d]</c>, with rows = batch·seq), and each row is normalised on its own with the
/// biased variance: <c>y = γ·(x − μ)/√(σ² + ε) + β</c>, γ and β <c>[features]</c> (PyTorch's
/// <c>LayerNorm(normalized_shape)</c> with elementwise affine).
/// </summary>
/// <remarks>
/// Forward splits large calls across <see cref="CpuParallel"/>'s threads by row, each row computed whole by one
/// thread; backward runs on the calling thread, since its γ and β gradients sum over the rows in order. Results are
/// bit-identical for any thread count.
/// </remarks>
public static unsafe class LayerNormKernels
{
    /// <summary>Normalises each row; overwrites <paramref name="y"/> and the saved statistics.</summary>
    /// <param name="x">Input <c>[rows, features]</c>.</param>
    /// <param name="gamma">Scale γ <c>[features]</c>, or null (γ = 1).</param>
    /// <param name="beta">Shift β <c>[features]</c>, or null (β = 0).</param>
    /// <param name="y">Output <c>[rows, features]</c> (may alias x only when no backward follows: backward reads the original x).</param>
    /// <param name="saveMean">Receives each row's mean <c>[rows]</c> for backward; null at inference.</param>
    /// <param name="saveInvStd">Receives each row's <c>1/√(σ² + ε)</c> <c>[rows]</c> for backward; null at inference.</param>
    /// <param name="rows">Rows (product of the leading dimensions).</param>
    /// <param name="features">Values per row (product of the normalised dimensions).</param>
    /// <param name="epsilon">Added to the variance (PyTorch's default 1e-5).</param>
    public static void Forward<T>(T* x, T* gamma, T* beta, T* y, T* saveMean, T* saveInvStd, int rows, int features, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Rows are independent: a large call splits them across the threads, each row computed whole by one, in one
        // contiguous share per thread, as a product split by rows shares them, so a thread mostly reads rows it wrote.
        const long ParallelElements = 1L << 15;
        int threads = CpuParallel.ThreadCount;
        if (threads == 1 || (long)rows * features < ParallelElements)
        {
            ForwardRows(x, gamma, beta, y, saveMean, saveInvStd, 0, rows, features, epsilon);
            return;
        }
        var job = ForwardJob<T>.ForThisThread();
        job.Set(x, gamma, beta, y, saveMean, saveInvStd, rows, features, epsilon, Math.Min(rows, threads));
        CpuParallel.Run(job, job.Parts);
        job.Clear();
    }

    private static void ForwardRows<T>(T* x, T* gamma, T* beta, T* y, T* saveMean, T* saveInvStd, int first, int end, int features, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateTruncating(features);
        bool vectors = Vector.IsHardwareAccelerated && Vector<T>.IsSupported;
        int w = Vector<T>.Count;
        for (int r = first; r < end; r++)
        {
            T* xs = x + (long)r * features;
            T* ys = y + (long)r * features;
            T mean = ElementwiseKernels.Sum(xs, features) / count;
            T invStd = T.One / T.Sqrt(RowSquaredDeviations(xs, features, mean) / count + epsilon);
            if (saveMean != null) saveMean[r] = mean;
            if (saveInvStd != null) saveInvStd[r] = invStd;
            int j = 0;
            if (vectors)
            {
                Vector<T> m = new(mean), s = new(invStd);
                for (; j + w <= features; j += w)
                {
                    var v = (Vector.Load(xs + j) - m) * s;
                    if (gamma != null) v *= Vector.Load(gamma + j);
                    if (beta != null) v += Vector.Load(beta + j);
                    Vector.Store(v, ys + j);
                }
            }
            for (; j < features; j++)
            {
                T v = (xs[j] - mean) * invStd;
                if (gamma != null) v *= gamma[j];
                if (beta != null) v += beta[j];
                ys[j] = v;
            }
        }
    }

    private static T RowSquaredDeviations<T>(T* values, int count, T mean) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        T sum = T.Zero;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported && count >= Vector<T>.Count)
        {
            var lanes = Vector<T>.Zero;
            var m = new Vector<T>(mean);
            for (; j + Vector<T>.Count <= count; j += Vector<T>.Count)
            {
                var d = Vector.Load(values + j) - m;
                lanes += d * d;
            }
            sum = Vector.Sum(lanes);
        }
        for (; j < count; j++)
        {
            T d = values[j] - mean;
            sum += d * d;
        }
        return sum;
    }

    /// <summary>A share of the rows of one forward call per part; each calling thread owns one, filled per call.</summary>
    private sealed class ForwardJob<T> : CpuParallel.Work where T : unmanaged, IFloatingPointIeee754<T>
    {
        [ThreadStatic] private static ForwardJob<T>? t_job;

        public static ForwardJob<T> ForThisThread() => t_job ??= new ForwardJob<T>();

        private T* _x, _gamma, _beta, _y, _mean, _invStd;
        private int _rows, _features;
        private T _epsilon;

        public int Parts { get; private set; }

        public void Set(T* x, T* gamma, T* beta, T* y, T* mean, T* invStd, int rows, int features, T epsilon, int parts)
        {
            _x = x; _gamma = gamma; _beta = beta; _y = y; _mean = mean; _invStd = invStd;
            _rows = rows; _features = features; _epsilon = epsilon; Parts = parts;
        }

        /// <summary>Drops the pointers so a stale job cannot touch a buffer the caller freed.</summary>
        public void Clear() => _x = _gamma = _beta = _y = _mean = _invStd = null;

        public override void Execute(int part)
        {
            int first = (int)((long)_rows * part / Parts), end = (int)((long)_rows * (part + 1) / Parts);
            ForwardRows(_x, _gamma, _beta, _y, _mean, _invStd, first, end, _features, _epsilon);
        }
    }

    /// <summary>
    /// Back-propagates: with g = dy·γ and x̂ the normalised input,
    /// <c>dx += invStd·(g − mean(g) − x̂·mean(g·x̂))</c> per row, <c>dγ += Σ_rows dy·x̂</c>,
    /// <c>dβ += Σ_rows dy</c>.
    /// </summary>
    /// <param name="x">The forward input <c>[rows, features]</c>.</param>
    /// <param name="gamma">γ, or null if forward had none.</param>
    /// <param name="saveMean">Row means forward saved.</param>
    /// <param name="saveInvStd">Row inverse standard deviations forward saved.</param>
    /// <param name="dy">Output gradient <c>[rows, features]</c>.</param>
    /// <param name="dx">Input gradient, added to; null when not needed.</param>
    /// <param name="dGamma">γ gradient <c>[features]</c>, added to; null without γ.</param>
    /// <param name="dBeta">β gradient <c>[features]</c>, added to; null without β.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="features">Values per row.</param>
    public static void Backward<T>(T* x, T* gamma, T* saveMean, T* saveInvStd, T* dy, T* dx, T* dGamma, T* dBeta, int rows, int features)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateTruncating(features);
        bool vectors = Vector.IsHardwareAccelerated && Vector<T>.IsSupported;
        int w = Vector<T>.Count;
        for (int r = 0; r < rows; r++)
        {
            T* xs = x + (long)r * features;
            T* gs = dy + (long)r * features;
            T mean = saveMean[r], invStd = saveInvStd[r];
            T sumG = T.Zero, sumGXhat = T.Zero;
            int j = 0;
            // dγ and dβ gather each column over the rows in row order, as the scalar loop does.
            if (vectors && features >= w)
            {
                Vector<T> m = new(mean), s = new(invStd), lanesG = Vector<T>.Zero, lanesGXhat = Vector<T>.Zero;
                for (; j + w <= features; j += w)
                {
                    var xhat = (Vector.Load(xs + j) - m) * s;
                    var dyj = Vector.Load(gs + j);
                    var g = gamma == null ? dyj : dyj * Vector.Load(gamma + j);
                    lanesG += g;
                    lanesGXhat += g * xhat;
                    if (dGamma != null) Vector.Store(Vector.Load(dGamma + j) + dyj * xhat, dGamma + j);
                    if (dBeta != null) Vector.Store(Vector.Load(dBeta + j) + dyj, dBeta + j);
                }
                sumG = Vector.Sum(lanesG);
                sumGXhat = Vector.Sum(lanesGXhat);
            }
            for (; j < features; j++)
            {
                T xhat = (xs[j] - mean) * invStd;
                T g = gamma == null ? gs[j] : gs[j] * gamma[j];
                sumG += g;
                sumGXhat += g * xhat;
                if (dGamma != null) dGamma[j] += gs[j] * xhat;
                if (dBeta != null) dBeta[j] += gs[j];
            }
            if (dx == null) continue;
            T* ds = dx + (long)r * features;
            T meanG = sumG / count, meanGXhat = sumGXhat / count;
            j = 0;
            if (vectors)
            {
                Vector<T> m = new(mean), s = new(invStd), mg = new(meanG), mgx = new(meanGXhat);
                for (; j + w <= features; j += w)
                {
                    var xhat = (Vector.Load(xs + j) - m) * s;
                    var g = gamma == null ? Vector.Load(gs + j) : Vector.Load(gs + j) * Vector.Load(gamma + j);
                    Vector.Store(Vector.Load(ds + j) + s * (g - mg - xhat * mgx), ds + j);
                }
            }
            for (; j < features; j++)
            {
                T xhat = (xs[j] - mean) * invStd;
                T g = gamma == null ? gs[j] : gs[j] * gamma[j];
                ds[j] += invStd * (g - meanG - xhat * meanGXhat);
            }
        }
    }
}

/// <summary>
/// Group normalisation over <c>[batch, channels, spatial]</c> (spatial = H·W for images, 1 for
/// <c>[batch, channels]</c>): the channels of each sample are split into <c>groups</c> consecutive
/// groups, each normalised over its (channels/groups)·spatial values with the biased variance; γ and
/// β are per channel (<c>[channels]</c>), as PyTorch's <c>GroupNorm</c>.
/// </summary>
public static unsafe class GroupNormKernels
{
    /// <summary>Normalises each (sample, group); overwrites <paramref name="y"/> and the saved statistics.</summary>
    /// <param name="x">Input <c>[batch, channels, spatial]</c>.</param>
    /// <param name="gamma">Scale γ <c>[channels]</c>, or null.</param>
    /// <param name="beta">Shift β <c>[channels]</c>, or null.</param>
    /// <param name="y">Output, layout of x (may alias x only when no backward follows: backward reads the original x).</param>
    /// <param name="saveMean">Receives the mean of each (sample, group) <c>[batch, groups]</c>; null at inference.</param>
    /// <param name="saveInvStd">Receives <c>1/√(σ² + ε)</c> of each (sample, group) <c>[batch, groups]</c>; null at inference.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="channels">Channels, divisible by <paramref name="groups"/>.</param>
    /// <param name="spatial">Values per channel per sample.</param>
    /// <param name="groups">Groups.</param>
    /// <param name="epsilon">Added to the variance (PyTorch's default 1e-5).</param>
    /// <exception cref="ArgumentException"><paramref name="groups"/> does not divide <paramref name="channels"/>.</exception>
    public static void Forward<T>(T* x, T* gamma, T* beta, T* y, T* saveMean, T* saveInvStd, int batch, int channels, int spatial, int groups, T epsilon)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckGroups(channels, groups);
        int perGroup = channels / groups;
        long size = (long)perGroup * spatial;
        T count = T.CreateTruncating(size);
        for (int n = 0; n < batch; n++)
        for (int g = 0; g < groups; g++)
        {
            long offset = ((long)n * channels + (long)g * perGroup) * spatial;
            T* xs = x + offset;
            T sum = T.Zero;
            for (int c = 0; c < perGroup; c++) sum += BatchNormKernels.Sum(xs + (long)c * spatial, spatial);
            T mean = sum / count;
            T squares = T.Zero;
            for (int c = 0; c < perGroup; c++) squares += BatchNormKernels.SquaredDeviations(xs + (long)c * spatial, spatial, mean);
            T invStd = T.One / T.Sqrt(squares / count + epsilon);
            if (saveMean != null) saveMean[n * groups + g] = mean;
            if (saveInvStd != null) saveInvStd[n * groups + g] = invStd;
            for (int c = 0; c < perGroup; c++)
            {
                int channel = g * perGroup + c;
                T scale = gamma == null ? T.One : gamma[channel], shift = beta == null ? T.Zero : beta[channel];
                T* xc = xs + (long)c * spatial;
                T* yc = y + offset + (long)c * spatial;
                for (int k = 0; k < spatial; k++) yc[k] = scale * ((xc[k] - mean) * invStd) + shift;
            }
        }
    }

    /// <summary>
    /// Back-propagates: per (sample, group), with g = dy·γ[channel] and M = (channels/groups)·spatial,
    /// <c>dx += invStd·(g − mean(g) − x̂·mean(g·x̂))</c>; <c>dγ[c] += Σ dy·x̂</c>, <c>dβ[c] += Σ dy</c>
    /// over samples and spatial positions.
    /// </summary>
    /// <param name="x">The forward input.</param>
    /// <param name="gamma">γ, or null if forward had none.</param>
    /// <param name="saveMean">Means forward saved <c>[batch, groups]</c>.</param>
    /// <param name="saveInvStd">Inverse standard deviations forward saved <c>[batch, groups]</c>.</param>
    /// <param name="dy">Output gradient.</param>
    /// <param name="dx">Input gradient, added to; null when not needed.</param>
    /// <param name="dGamma">γ gradient <c>[channels]</c>, added to; null without γ.</param>
    /// <param name="dBeta">β gradient <c>[channels]</c>, added to; null without β.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="channels">Channels.</param>
    /// <param name="spatial">Values per channel per sample.</param>
    /// <param name="groups">Groups.</param>
    /// <exception cref="ArgumentException"><paramref name="groups"/> does not divide <paramref name="channels"/>.</exception>
    public static void Backward<T>(T* x, T* gamma, T* saveMean, T* saveInvStd, T* dy, T* dx, T* dGamma, T* dBeta, int batch, int channels, int spatial, int groups)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckGroups(channels, groups);
        int perGroup = channels / groups;
        T count = T.CreateTruncating((long)perGroup * spatial);
        for (int n = 0; n < batch; n++)
        for (int g = 0; g < groups; g++)
        {
            long offset = ((long)n * channels + (long)g * perGroup) * spatial;
            T mean = saveMean[n * groups + g], invStd = saveInvStd[n * groups + g];
            T sumG = T.Zero, sumGXhat = T.Zero;
            for (int c = 0; c < perGroup; c++)
            {
                int channel = g * perGroup + c;
                T scale = gamma == null ? T.One : gamma[channel];
                T* xc = x + offset + (long)c * spatial;
                T* gc = dy + offset + (long)c * spatial;
                T s1 = T.Zero, s2 = T.Zero;
                for (int k = 0; k < spatial; k++)
                {
                    s1 += gc[k];
                    s2 += gc[k] * ((xc[k] - mean) * invStd);
                }
                if (dBeta != null) dBeta[channel] += s1;
                if (dGamma != null) dGamma[channel] += s2;
                sumG += scale * s1;
                sumGXhat += scale * s2;
            }
            if (dx == null) continue;
            T meanG = sumG / count, meanGXhat = sumGXhat / count;
            for (int c = 0; c < perGroup; c++)
            {
                T scale = gamma == null ? T.One : gamma[g * perGroup + c];
                T* xc = x + offset + (long)c * spatial;
                T* gc = dy + offset + (long)c * spatial;
                T* dc = dx + offset + (long)c * spatial;
                for (int k = 0; k < spatial; k++)
                    dc[k] += invStd * (scale * gc[k] - meanG - (xc[k] - mean) * invStd * meanGXhat);
            }
        }
    }

    private static void CheckGroups(int channels, int groups)
    {
        if (groups < 1 || channels % groups != 0)
            throw new ArgumentException($"Group normalisation needs the {groups} groups to divide the {channels} channels.", nameof(groups));
    }
}
