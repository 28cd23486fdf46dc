using System;
using System.Numerics;

namespace ModelGen.Cpu;

/// <summary>
/// Multi-head self-attention over <c>[batch, sequence, dimension]</c> (batch-first), as PyTorch's
/// <c>MultiheadAttention</c> with a fused input projection:
/// <c>[Q | K | V] = X·Wqkv + bqkv</c>, per head h (dimension / heads columns each)
/// <c>O_h = softmax(Q_h·K_hᵀ / √(dimension/heads) + mask)·V_h</c>, heads concatenated in order,
/// then <c>Y = O·Wo + bo</c>.
/// </summary>
/// <remarks>
/// <para>Parameters (weights stored in×out like <see cref="DenseKernels"/>): Wqkv <c>[d, 3d]</c>,
/// whose columns 0…d−1 give Q, d…2d−1 K and 2d…3d−1 V, head h using columns h·d/H … (h+1)·d/H − 1
/// of each; bqkv <c>[3d]</c>; Wo <c>[d, d]</c>; bo <c>[d]</c>. The causal mask lets position i attend to
/// positions 0…i only.</para>
/// <para>Variable-length (right-padded) samples: with per-sample <c>lengths</c>, sample b's keys at
/// positions ≥ lengths[b] are masked too (probability exactly 0). Queries at padded positions
/// still attend to the valid keys like any query (backward is the exact gradient of that); a
/// sample of length 0 has no keys, so its head outputs are 0.</para>
/// <para>Two caller buffers: <c>saved</c> (<see cref="SavedSize"/> elements) is written by forward and
/// read by backward, so it belongs to one layer and must be left alone in between; <c>workspace</c>
/// (<see cref="WorkspaceSize"/>) is scratch whose contents never matter between calls and can be
/// shared by every attention layer. Saved layout, in order: the input projection's rows
/// <c>[batch·sequence, 3d]</c> (Q | K | V, which the heads read in place), the attention probabilities
/// <c>[batch, heads, sequence, sequence]</c> (masked entries exactly 0), and the concatenated head
/// outputs <c>[batch·sequence, d]</c>.</para>
/// <para>Heads run in parallel on <see cref="CpuParallel"/>'s threads, each (sample, head) computed
/// by one thread in a fixed order, so results are bit-identical for any thread count. No call
/// allocates once each thread has run one.</para>
/// </remarks>
public static unsafe class AttentionKernels
{
    /// <summary>Elements of the per-layer buffer forward fills for backward: <c>4·B·S·d + B·H·S²</c>.</summary>
    /// <exception cref="ArgumentException">The heads do not divide the dimension, or a size is not positive.</exception>
    public static long SavedSize(int batch, int sequence, int dimension, int heads)
    {
        Check(batch, sequence, dimension, heads);
        return 4L * batch * sequence * dimension + (long)batch * heads * sequence * sequence;
    }

    /// <summary>Elements of the shareable scratch buffer: <c>5·B·S·d + B·H·S²</c>.</summary>
    /// <exception cref="ArgumentException">The heads do not divide the dimension, or a size is not positive.</exception>
    public static long WorkspaceSize(int batch, int sequence, int dimension, int heads)
    {
        Check(batch, sequence, dimension, heads);
        return 5L * batch * sequence * dimension + (long)batch * heads * sequence * sequence;
    }

    /// <summary>Computes Y from X and fills <paramref name="saved"/> for backward.</summary>
    /// <param name="x">Input <c>[batch, sequence, dimension]</c>.</param>
    /// <param name="qkvWeights">Wqkv <c>[dimension, 3·dimension]</c>.</param>
    /// <param name="qkvBias">bqkv <c>[3·dimension]</c>, or null.</param>
    /// <param name="outWeights">Wo <c>[dimension, dimension]</c>.</param>
    /// <param name="outBias">bo <c>[dimension]</c>, or null.</param>
    /// <param name="y">Output <c>[batch, sequence, dimension]</c> (must not alias x).</param>
    /// <param name="saved">The layer's saved buffer, <see cref="SavedSize"/> elements.</param>
    /// <param name="workspace">Scratch, <see cref="WorkspaceSize"/> elements.</param>
    /// <param name="batch">Samples (B).</param>
    /// <param name="sequence">Positions per sample (S).</param>
    /// <param name="dimension">Model width (d).</param>
    /// <param name="heads">Heads (H), dividing d.</param>
    /// <param name="causal">Mask attention to later positions.</param>
    /// <param name="lengths">Valid positions per sample <c>[batch]</c>, each 0 … sequence (keys beyond are masked); null when every sample has the full length.</param>
    /// <exception cref="ArgumentException">The heads do not divide the dimension, a size is not positive, or a length is outside 0 … sequence.</exception>
    public static void Forward<T>(T* x, T* qkvWeights, T* qkvBias, T* outWeights, T* outBias, T* y, T* saved, T* workspace,
        int batch, int sequence, int dimension, int heads, bool causal, int* lengths = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(batch, sequence, dimension, heads);
        SequenceLengths.Validate(lengths, batch, sequence);
        int rows = batch * sequence;
        var job = HeadJob<T>.ForThisThread();
        job.Set(saved, workspace, batch, sequence, dimension, heads, causal, lengths, backward: false);
        DenseKernels.Forward(x, qkvWeights, qkvBias, job.Projected, job.Projected, rows, dimension, 3 * dimension, Activation.None, T.Zero);
        CpuParallel.Run(job, job.Parts);
        DenseKernels.Forward(job.Context, outWeights, outBias, y, y, rows, dimension, dimension, Activation.None, T.Zero);
        job.Clear();
    }

    /// <summary>
    /// Back-propagates <paramref name="dy"/> through the layer using what forward saved: adds to
    /// <paramref name="dx"/> (if not null) and to every parameter gradient (bias gradients may be
    /// null when the layer has no biases). Nothing is overwritten; <paramref name="saved"/> is only read.
    /// </summary>
    /// <param name="x">The forward input <c>[batch, sequence, dimension]</c>.</param>
    /// <param name="qkvWeights">Wqkv.</param>
    /// <param name="outWeights">Wo.</param>
    /// <param name="dy">Output gradient <c>[batch, sequence, dimension]</c>.</param>
    /// <param name="dx">Input gradient, added to; null when not needed.</param>
    /// <param name="dQkvWeights">Wqkv gradient <c>[dimension, 3·dimension]</c>, added to; null when not needed (a frozen layer).</param>
    /// <param name="dQkvBias">bqkv gradient <c>[3·dimension]</c>, added to; or null.</param>
    /// <param name="dOutWeights">Wo gradient <c>[dimension, dimension]</c>, added to; null when not needed (a frozen layer).</param>
    /// <param name="dOutBias">bo gradient <c>[dimension]</c>, added to; or null.</param>
    /// <param name="saved">The buffer forward filled.</param>
    /// <param name="workspace">Scratch, <see cref="WorkspaceSize"/> elements.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="sequence">Positions per sample.</param>
    /// <param name="dimension">Model width.</param>
    /// <param name="heads">Heads.</param>
    /// <param name="causal">The mask forward used.</param>
    /// <param name="lengths">The lengths forward used, or null. The masks live in the saved probabilities
    /// (masked entries are 0, so they pass no gradient); the lengths are checked here as in forward.</param>
    /// <exception cref="ArgumentException">The heads do not divide the dimension, a size is not positive, or a length is outside 0 … sequence.</exception>
    public static void Backward<T>(T* x, T* qkvWeights, T* outWeights, T* dy, T* dx, T* dQkvWeights, T* dQkvBias, T* dOutWeights, T* dOutBias,
        T* saved, T* workspace, int batch, int sequence, int dimension, int heads, bool causal, int* lengths = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(batch, sequence, dimension, heads);
        SequenceLengths.Validate(lengths, batch, sequence);
        int rows = batch * sequence;
        var job = HeadJob<T>.ForThisThread();
        job.Set(saved, workspace, batch, sequence, dimension, heads, causal, lengths, backward: true);
        DenseKernels.Backward(job.Context, outWeights, dy, null, dOutWeights, dOutBias, rows, dimension, dimension);
        // The gradient of the concatenated head outputs, as [B·S, d] rows the heads read in place.
        Gemm.Multiply(false, true, rows, dimension, dimension, dy, outWeights, job.ContextGrads, accumulate: false);
        CpuParallel.Run(job, job.Parts);
        // The heads wrote dQ, dK, dV straight into their columns of [B·S, 3d] rows, as the input projection's backward reads them.
        DenseKernels.Backward(x, qkvWeights, job.HeadGrads, dx, dQkvWeights, dQkvBias, rows, dimension, 3 * dimension);
        job.Clear();
    }

    private static void Check(int batch, int sequence, int dimension, int heads)
    {
        if (batch < 1 || sequence < 1 || dimension < 1 || heads < 1)
            throw new ArgumentException($"Attention sizes must be positive (batch {batch}, sequence {sequence}, dimension {dimension}, heads {heads}).");
        if (dimension % heads != 0)
            throw new ArgumentException($"The {heads} attention heads do not divide the model dimension {dimension}.", nameof(heads));
        if ((long)batch * sequence * 3 * dimension > int.MaxValue)
            throw new ArgumentException("Attention buffers over 2³¹ − 1 elements are not supported.", nameof(batch));
    }

    /// <summary>A contiguous range of (sample, head) pairs of forward or backward per part; each calling thread owns one, filled per call.</summary>
    private sealed class HeadJob<T> : CpuParallel.Work where T : unmanaged, IFloatingPointIeee754<T>
    {
        [ThreadStatic] private static HeadJob<T>? t_job;

        public static HeadJob<T> ForThisThread() => t_job ??= new HeadJob<T>();

        private int _batch, _sequence, _dimension, _heads, _dh;
        private bool _causal, _backward;
        private T _scale;
        private T* _probs;
        private T* _transposed, _dScores;   // a head's Kᵀ (forward) or Vᵀ (backward), [d/H, S] per head; dScores per head
        private int* _lengths;

        /// <summary>Saved: the input projection's [B·S, 3d] rows, Q | K | V, each head's columns read in place.</summary>
        public T* Projected;
        /// <summary>Workspace: the gradient of the concatenated head outputs, [B·S, d] rows (backward).</summary>
        public T* ContextGrads;
        /// <summary>Saved: concatenated head outputs [B·S, d].</summary>
        public T* Context;
        /// <summary>Workspace: dQ, dK, dV as [B·S, 3d] rows (backward).</summary>
        public T* HeadGrads;

        public void Set(T* saved, T* workspace, int batch, int sequence, int dimension, int heads, bool causal, int* lengths, bool backward)
        {
            _batch = batch; _sequence = sequence; _dimension = dimension; _heads = heads; _dh = dimension / heads;
            _causal = causal; _lengths = lengths; _backward = backward;
            Parts = Math.Min(batch * heads, CpuParallel.ThreadCount);
            _scale = T.One / T.Sqrt(T.CreateTruncating(_dh));
            long bsd = (long)batch * sequence * dimension;
            Projected = saved;
            _probs = saved + 3 * bsd;
            Context = _probs + (long)batch * heads * sequence * sequence;
            ContextGrads = workspace;
            _transposed = workspace + bsd;
            HeadGrads = _transposed + bsd;
            _dScores = HeadGrads + 3 * bsd;
        }

        /// <summary>Drops the pointers so a stale job cannot touch a buffer the caller freed.</summary>
        public void Clear()
        {
            _probs = _transposed = _dScores = null;
            _lengths = null;
            Projected = ContextGrads = Context = HeadGrads = null;
        }

        /// <summary>
        /// One contiguous range of (sample, head) pairs per thread: a thread then reads the projection rows of the samples
        /// it projected, when the projection was split by rows too. Each pair is still computed whole by one thread.
        /// </summary>
        public int Parts { get; private set; }

        public override void Execute(int part)
        {
            int pairs = _batch * _heads;
            int first = (int)((long)pairs * part / Parts), end = (int)((long)pairs * (part + 1) / Parts);
            for (int pair = first; pair < end; pair++)
            {
                if (_backward) Backward(pair);
                else Forward(pair);
            }
        }

        private void Forward(int pair)
        {
            int b = pair / _heads, h = pair % _heads, s = _sequence, dh = _dh, d = _dimension, ld = 3 * d;
            // This head's Q, K and V: its columns of the projection's rows, 3d apart.
            T* q = Projected + (long)b * s * ld + h * dh, k = q + d, v = q + 2 * d;
            T* kT = _transposed + (long)pair * s * dh;
            T* p = _probs + (long)pair * s * s;
            int keys = _lengths == null ? s : _lengths[b];
            AttentionHeadKernels.Transpose(k, ld, kT, s, dh);
            AttentionHeadKernels.Scores(q, ld, kT, p, s, dh, keys, _causal, _scale);
            for (int i = 0; i < s; i++)
            {
                T* row = p + (long)i * s;
                // No valid key (a sample of length 0) leaves the row all 0, so its output is 0, not NaN.
                AttentionHeadKernels.Softmax(row, AttentionHeadKernels.ValidKeys(i, keys, _causal), s);
            }
            // O = P·V straight into this head's columns of the concatenated outputs.
            AttentionHeadKernels.Mix(p, s, 1, v, ld, Context + (long)b * s * d + h * dh, d, s, dh, AttentionHeadKernels.Range(keys, _causal, transposed: false));
        }

        private void Backward(int pair)
        {
            int b = pair / _heads, h = pair % _heads, s = _sequence, dh = _dh, d = _dimension, ld = 3 * d;
            // This head's Q, K, V and dQ, dK, dV: its columns of the [B·S, 3d] rows, 3d apart.
            T* q = Projected + (long)b * s * ld + h * dh, k = q + d, v = q + 2 * d;
            T* dQ = HeadGrads + (long)b * s * ld + h * dh, dK = dQ + d, dV = dQ + 2 * d;
            T* vT = _transposed + (long)pair * s * dh;
            T* p = _probs + (long)pair * s * s, dS = _dScores + (long)pair * s * s;
            // This head's dO, read in place from the [B·S, d] rows of dCtx, d apart.
            T* dO = ContextGrads + (long)b * s * d + h * dh;
            int keys = _lengths == null ? s : _lengths[b];
            // dV = Pᵀ·dO: masked entries of P are 0, so only the rows of P that can reach key j are summed.
            AttentionHeadKernels.Mix(p, 1, s, dO, d, dV, ld, s, dh, AttentionHeadKernels.Range(keys, _causal, transposed: true));
            AttentionHeadKernels.Transpose(v, ld, vT, s, dh);
            AttentionHeadKernels.Scores(dO, d, vT, dS, s, dh, keys, _causal, T.One);
            // Softmax backward, with the 1/√dh of the scores folded in: dScore = scale·P⊙(dP − Σ P⊙dP).
            // Masked entries have P = 0, so they get exactly 0.
            for (int i = 0; i < s; i++)
            {
                int valid = AttentionHeadKernels.ValidKeys(i, keys, _causal);
                AttentionHeadKernels.SoftmaxBackward(p + (long)i * s, dS + (long)i * s, valid, _scale);
                for (int j = valid; j < s; j++) dS[(long)i * s + j] = T.Zero;
            }
            AttentionHeadKernels.Mix(dS, s, 1, k, ld, dQ, ld, s, dh, AttentionHeadKernels.Range(keys, _causal, transposed: false));
            AttentionHeadKernels.Mix(dS, 1, s, q, ld, dK, ld, s, dh, AttentionHeadKernels.Range(keys, _causal, transposed: true));
        }
    }
}
