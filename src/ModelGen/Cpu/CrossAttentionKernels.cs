using System;
using System.Numerics;

namespace ModelGen.Cpu;

/// <summary>
/// Multi-head cross-attention (batch-first): queries <c>[batch, queries, dimension]</c> attend to a memory
/// <c>[batch, keys, dimension]</c>, as PyTorch's <c>MultiheadAttention(query, memory, memory)</c>:
/// <c>Q = X·Wq + bq</c>, <c>[K | V] = M·Wkv + bkv</c>, per head h <c>O_h = softmax(Q_h·K_hᵀ / √(d/H) + mask)·V_h</c>,
/// heads concatenated, then <c>Y = O·Wo + bo</c>.
/// </summary>
/// <remarks>
/// <para>Parameters as <see cref="AttentionKernels"/> (and PyTorch's <c>in_proj_weight</c>, transposed): Wqkv
/// <c>[d, 3d]</c>, whose columns 0…d−1 are Wq, d…2d−1 Wk and 2d…3d−1 Wv; bqkv <c>[3d]</c>; Wo <c>[d, d]</c>;
/// bo <c>[d]</c>. So a self-attention layer's parameters load into a cross-attention layer unchanged.</para>
/// <para>A right-padded memory: with per-sample <c>memoryLengths</c>, sample b's keys at positions ≥
/// memoryLengths[b] get probability exactly 0; a memory of length 0 gives head outputs 0. No causal mask:
/// every query sees the whole (valid) memory.</para>
/// <para>Buffers as <see cref="AttentionKernels"/>: <c>saved</c> (<see cref="SavedSize"/>) belongs to one call site
/// between its forward and backward; <c>workspace</c> (<see cref="WorkspaceSize"/>) is scratch. Saved layout: Q
/// <c>[batch, heads, queries, d/H]</c>, K and V <c>[batch, heads, keys, d/H]</c>, the probabilities
/// <c>[batch, heads, queries, keys]</c>, the concatenated head outputs <c>[batch·queries, d]</c>.</para>
/// <para>(sample, head) pairs run one after another in a fixed order, so results do not depend on threads.</para>
/// </remarks>
public static unsafe class CrossAttentionKernels
{
    /// <summary>Elements of the per-call-site buffer forward fills: <c>2·B·Sq·d + 2·B·Sk·d + B·H·Sq·Sk</c>.</summary>
    /// <exception cref="ArgumentException">The heads do not divide the dimension, or a size is not positive.</exception>
    public static long SavedSize(int batch, int queries, int keys, int dimension, int heads)
    {
        Check(batch, queries, keys, dimension, heads);
        return 2L * batch * queries * dimension + 2L * batch * keys * dimension + (long)batch * heads * queries * keys;
    }

    /// <summary>Elements of the shareable scratch buffer: <c>6·d² + 2·B·Sq·d + 2·B·Sk·d + Sq·Sk + (Sq + 2·Sk)·d/H</c>.</summary>
    /// <exception cref="ArgumentException">The heads do not divide the dimension, or a size is not positive.</exception>
    public static long WorkspaceSize(int batch, int queries, int keys, int dimension, int heads)
    {
        Check(batch, queries, keys, dimension, heads);
        return 6L * dimension * dimension + 2L * batch * queries * dimension + 2L * batch * keys * dimension
            + (long)queries * keys + (long)(queries + 2 * keys) * (dimension / heads);
    }

    /// <summary>Computes Y from the queries and the memory, and fills <paramref name="saved"/> for backward.</summary>
    /// <param name="query">Queries <c>[batch, queries, dimension]</c>.</param>
    /// <param name="memory">Memory <c>[batch, keys, dimension]</c>.</param>
    /// <param name="qkvWeights">Wqkv <c>[dimension, 3·dimension]</c>.</param>
    /// <param name="qkvBias">bqkv <c>[3·dimension]</c>, or null.</param>
    /// <param name="outWeights">Wo <c>[dimension, dimension]</c>.</param>
    /// <param name="outBias">bo <c>[dimension]</c>, or null.</param>
    /// <param name="y">Output <c>[batch, queries, dimension]</c> (must alias neither input).</param>
    /// <param name="saved">The call site's saved buffer, <see cref="SavedSize"/> elements.</param>
    /// <param name="workspace">Scratch, <see cref="WorkspaceSize"/> elements.</param>
    /// <param name="batch">Samples (B).</param>
    /// <param name="queries">Query positions per sample (Sq).</param>
    /// <param name="keys">Memory positions per sample (Sk).</param>
    /// <param name="dimension">Model width (d) of both.</param>
    /// <param name="heads">Heads (H), dividing d.</param>
    /// <param name="memoryLengths">Valid memory positions per sample <c>[batch]</c>, each 0 … keys; null when every memory has the full length.</param>
    /// <exception cref="ArgumentException">The heads do not divide the dimension, a size is not positive, or a length is outside 0 … keys.</exception>
    public static void Forward<T>(T* query, T* memory, T* qkvWeights, T* qkvBias, T* outWeights, T* outBias, T* y, T* saved, T* workspace,
        int batch, int queries, int keys, int dimension, int heads, int* memoryLengths = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(batch, queries, keys, dimension, heads);
        SequenceLengths.Validate(memoryLengths, batch, keys);
        var at = new Layout<T>(saved, workspace, batch, queries, keys, dimension, heads);
        SplitWeights(qkvWeights, at.Wq, at.Wkv, dimension);
        DenseKernels.Forward(query, at.Wq, qkvBias, at.QueryRows, at.QueryRows, batch * queries, dimension, dimension, Activation.None, T.Zero);
        DenseKernels.Forward(memory, at.Wkv, qkvBias == null ? null : qkvBias + dimension, at.MemoryRows, at.MemoryRows, batch * keys, dimension, 2 * dimension, Activation.None, T.Zero);
        int dh = dimension / heads;
        T scale = T.One / T.Sqrt(T.CreateTruncating(dh));
        for (int b = 0; b < batch; b++)
        for (int h = 0; h < heads; h++)
        {
            long pair = (long)b * heads + h;
            T* q = at.Q + pair * queries * dh, k = at.K + pair * keys * dh, v = at.V + pair * keys * dh;
            T* p = at.Probabilities + pair * queries * keys;
            for (int i = 0; i < queries; i++) Copy(at.QueryRows + ((long)b * queries + i) * dimension + h * dh, q + (long)i * dh, dh);
            for (int j = 0; j < keys; j++)
            {
                T* row = at.MemoryRows + ((long)b * keys + j) * 2 * dimension + h * dh;
                Copy(row, k + (long)j * dh, dh);
                Copy(row + dimension, v + (long)j * dh, dh);
            }
            Gemm.Multiply(false, true, queries, keys, dh, q, k, p, accumulate: false);
            int valid = SequenceLengths.Get(memoryLengths, b, keys);
            for (int i = 0; i < queries; i++) Softmax(p + (long)i * keys, valid, keys, scale);
            Gemm.Multiply(false, false, queries, dh, keys, p, v, at.HeadOut, accumulate: false);
            for (int i = 0; i < queries; i++) Copy(at.HeadOut + (long)i * dh, at.Context + ((long)b * queries + i) * dimension + h * dh, dh);
        }
        DenseKernels.Forward(at.Context, outWeights, outBias, y, y, batch * queries, dimension, dimension, Activation.None, T.Zero);
    }

    /// <summary>
    /// Back-propagates <paramref name="dy"/> using what forward saved: adds to <paramref name="dQuery"/>,
    /// <paramref name="dMemory"/> and every parameter gradient that is not null. Nothing is overwritten.
    /// </summary>
    /// <param name="query">The forward queries.</param>
    /// <param name="memory">The forward memory.</param>
    /// <param name="qkvWeights">Wqkv.</param>
    /// <param name="outWeights">Wo.</param>
    /// <param name="dy">Output gradient <c>[batch, queries, dimension]</c>.</param>
    /// <param name="dQuery">Query gradient, added to; or null.</param>
    /// <param name="dMemory">Memory gradient, added to; or null.</param>
    /// <param name="dQkvWeights">Wqkv gradient, added to; or null (a frozen layer).</param>
    /// <param name="dQkvBias">bqkv gradient, added to; or null.</param>
    /// <param name="dOutWeights">Wo gradient, added to; or null (a frozen layer).</param>
    /// <param name="dOutBias">bo gradient, added to; or null.</param>
    /// <param name="saved">The buffer forward filled.</param>
    /// <param name="workspace">Scratch, <see cref="WorkspaceSize"/> elements.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="queries">Query positions per sample.</param>
    /// <param name="keys">Memory positions per sample.</param>
    /// <param name="dimension">Model width.</param>
    /// <param name="heads">Heads.</param>
    /// <param name="memoryLengths">The lengths forward used, or null (masked probabilities are 0 and pass no gradient; checked as in forward).</param>
    /// <exception cref="ArgumentException">The heads do not divide the dimension, a size is not positive, or a length is outside 0 … keys.</exception>
    public static void Backward<T>(T* query, T* memory, T* qkvWeights, T* outWeights, T* dy, T* dQuery, T* dMemory,
        T* dQkvWeights, T* dQkvBias, T* dOutWeights, T* dOutBias, T* saved, T* workspace,
        int batch, int queries, int keys, int dimension, int heads, int* memoryLengths = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(batch, queries, keys, dimension, heads);
        SequenceLengths.Validate(memoryLengths, batch, keys);
        var at = new Layout<T>(saved, workspace, batch, queries, keys, dimension, heads);
        SplitWeights(qkvWeights, at.Wq, at.Wkv, dimension);
        DenseKernels.Backward(at.Context, outWeights, dy, null, dOutWeights, dOutBias, batch * queries, dimension, dimension);
        // dContext = dY·Woᵀ, kept in the rows the query projection used in forward (its values are not needed again).
        T* dContext = at.QueryRows;
        Gemm.Multiply(false, true, batch * queries, dimension, dimension, dy, outWeights, dContext, accumulate: false);
        int dh = dimension / heads;
        T scale = T.One / T.Sqrt(T.CreateTruncating(dh));
        T* dQueryRows = at.DQueryRows, dMemoryRows = at.MemoryRows;
        for (int b = 0; b < batch; b++)
        for (int h = 0; h < heads; h++)
        {
            long pair = (long)b * heads + h;
            T* q = at.Q + pair * queries * dh, k = at.K + pair * keys * dh, v = at.V + pair * keys * dh;
            T* p = at.Probabilities + pair * queries * keys;
            T* dO = at.HeadOut, dK = at.HeadKeyGrad, dV = at.HeadKeyGrad + (long)keys * dh, dS = at.Scores;
            for (int i = 0; i < queries; i++) Copy(dContext + ((long)b * queries + i) * dimension + h * dh, dO + (long)i * dh, dh);
            Gemm.Multiply(true, false, keys, dh, queries, p, dO, dV, accumulate: false);
            Gemm.Multiply(false, true, queries, keys, dh, dO, v, dS, accumulate: false);
            // Softmax backward with the 1/√dh folded in: dScore = scale·P⊙(dP − Σ P⊙dP); masked keys have P = 0.
            for (int i = 0; i < queries; i++)
            {
                T* pr = p + (long)i * keys, gr = dS + (long)i * keys;
                T dot = T.Zero;
                for (int j = 0; j < keys; j++) dot += pr[j] * gr[j];
                for (int j = 0; j < keys; j++) gr[j] = scale * (pr[j] * (gr[j] - dot));
            }
            // dQ straight into its rows; dK and dV into the memory projection's rows (forward's K|V values are saved head-major).
            Gemm.Multiply(false, false, queries, dh, keys, dS, k, dO, accumulate: false);
            for (int i = 0; i < queries; i++) Copy(dO + (long)i * dh, dQueryRows + ((long)b * queries + i) * dimension + h * dh, dh);
            Gemm.Multiply(true, false, keys, dh, queries, dS, q, dK, accumulate: false);
            for (int j = 0; j < keys; j++)
            {
                T* row = dMemoryRows + ((long)b * keys + j) * 2 * dimension + h * dh;
                Copy(dK + (long)j * dh, row, dh);
                Copy(dV + (long)j * dh, row + dimension, dh);
            }
        }
        T* dWq = dQkvWeights == null ? null : at.WeightGrads, dWkv = dQkvWeights == null ? null : at.WeightGrads + (long)dimension * dimension;
        if (dWq != null) new Span<T>(at.WeightGrads, 3 * dimension * dimension).Clear();
        DenseKernels.Backward(query, at.Wq, dQueryRows, dQuery, dWq, dQkvBias, batch * queries, dimension, dimension);
        DenseKernels.Backward(memory, at.Wkv, dMemoryRows, dMemory, dWkv, dQkvBias == null ? null : dQkvBias + dimension, batch * keys, dimension, 2 * dimension);
        if (dQkvWeights != null)
            for (int r = 0; r < dimension; r++)
            {
                Add(dWq + (long)r * dimension, dQkvWeights + (long)r * 3 * dimension, dimension);
                Add(dWkv + (long)r * 2 * dimension, dQkvWeights + (long)r * 3 * dimension + dimension, 2 * dimension);
            }
    }

    /// <summary>Softmax of the first <paramref name="valid"/> scaled scores of a row; the rest become 0 (a row with none: all 0).</summary>
    private static void Softmax<T>(T* row, int valid, int count, T scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = T.NegativeInfinity;
        for (int j = 0; j < valid; j++)
        {
            row[j] *= scale;
            if (row[j] > max) max = row[j];
        }
        T sum = T.Zero;
        for (int j = 0; j < valid; j++)
        {
            T e = T.Exp(row[j] - max);
            row[j] = e;
            sum += e;
        }
        for (int j = 0; j < valid; j++) row[j] /= sum;
        for (int j = valid; j < count; j++) row[j] = T.Zero;
    }

    /// <summary>Wqkv's Q column block into <paramref name="wq"/> [d, d] and its K|V blocks into <paramref name="wkv"/> [d, 2d], so each projection is one GEMM.</summary>
    private static void SplitWeights<T>(T* qkv, T* wq, T* wkv, int d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < d; r++)
        {
            Copy(qkv + (long)r * 3 * d, wq + (long)r * d, d);
            Copy(qkv + (long)r * 3 * d + d, wkv + (long)r * 2 * d, 2 * d);
        }
    }

    private static void Check(int batch, int queries, int keys, int dimension, int heads)
    {
        if (batch < 1 || queries < 1 || keys < 1 || dimension < 1 || heads < 1)
            throw new ArgumentException($"Cross-attention sizes must be positive (batch {batch}, queries {queries}, keys {keys}, dimension {dimension}, heads {heads}).");
        if (dimension % heads != 0)
            throw new ArgumentException($"The {heads} attention heads do not divide the model dimension {dimension}.", nameof(heads));
        if ((long)batch * Math.Max(queries, keys) * 3 * dimension > int.MaxValue || (long)batch * heads * queries * keys > int.MaxValue)
            throw new ArgumentException("Cross-attention buffers over 2³¹ − 1 elements are not supported.", nameof(batch));
    }

    private static void Copy<T>(T* source, T* destination, int count) where T : unmanaged
        => new ReadOnlySpan<T>(source, count).CopyTo(new Span<T>(destination, count));

    private static void Add<T>(T* source, T* destination, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < count; i++) destination[i] += source[i];
    }

    /// <summary>Where each part lives in the saved buffer and the workspace.</summary>
    private readonly struct Layout<T> where T : unmanaged
    {
        public readonly T* Q, K, V, Probabilities, Context;
        public readonly T* Wq, Wkv, WeightGrads, QueryRows, DQueryRows, MemoryRows, Scores, HeadOut, HeadKeyGrad;

        public Layout(T* saved, T* workspace, int batch, int queries, int keys, int dimension, int heads)
        {
            long bq = (long)batch * queries * dimension, bk = (long)batch * keys * dimension;
            int dh = dimension / heads;
            Q = saved;
            K = Q + bq;
            V = K + bk;
            Probabilities = V + bk;
            Context = Probabilities + (long)batch * heads * queries * keys;
            Wq = workspace;
            Wkv = Wq + (long)dimension * dimension;
            WeightGrads = Wkv + 2L * dimension * dimension;
            QueryRows = WeightGrads + 3L * dimension * dimension;   // Q rows in forward, dContext in backward
            DQueryRows = QueryRows + bq;                            // dQ rows in backward
            MemoryRows = DQueryRows + bq;                           // K|V rows in forward, dK|dV rows in backward: 2·B·Sk·d
            Scores = MemoryRows + 2 * bk;
            HeadOut = Scores + (long)queries * keys;
            HeadKeyGrad = HeadOut + (long)queries * dh;
        }
    }
}
