using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelGen.Cpu;

/// <summary>Which keys a query reaches: the first <see cref="Keys"/> positions, and with a causal mask none after the query itself.</summary>
internal readonly struct KeyRange
{
    public KeyRange(int keys, bool causal, bool transposed)
    {
        Keys = keys;
        Causal = causal;
        Transposed = transposed;
    }

    /// <summary>Valid key positions of the sample (its length, or the whole sequence).</summary>
    public int Keys { get; }
    /// <summary>Query i reaches keys 0 … i only.</summary>
    public bool Causal { get; }
    /// <summary>The rows being computed are keys (a product with Pᵀ) rather than queries.</summary>
    public bool Transposed { get; }

    /// <summary>
    /// The summed index range t0 ≤ t &lt; t1 for output rows r0 … r1 − 1: for query rows the keys the last of them
    /// reaches; for key rows the queries that can reach the first of them. Entries outside a row's own range are 0.
    /// </summary>
    public void Span(int r0, int r1, int sequence, out int t0, out int t1)
    {
        if (!Transposed)
        {
            t0 = 0;
            t1 = Causal ? Math.Min(r1, Keys) : Keys;
            return;
        }
        t0 = Causal ? r0 : 0;
        t1 = r0 < Keys ? sequence : t0;
    }
}

/// <summary>
/// The per-head products of attention on one thread, vectorised over the wide dimension of each: scores
/// <c>A·Bᵀ</c> over a transposed copy of B, and row mixes <c>W·M</c> (or <c>Wᵀ·M</c>) that sum only the keys a
/// query can reach. Each output element is summed in a fixed order, so results do not depend on the thread count.
/// </summary>
internal static unsafe class AttentionHeadKernels
{
    /// <summary>Keys query <paramref name="query"/> attends to: the first <c>min(query + 1, keys)</c> with a causal mask, else <paramref name="keys"/>.</summary>
    public static int ValidKeys(int query, int keys, bool causal) => causal ? Math.Min(query + 1, keys) : keys;

    /// <summary>The <see cref="ModelGen.Cpu.KeyRange"/> of a head's products.</summary>
    public static KeyRange Range(int keys, bool causal, bool transposed) => new(keys, causal, transposed);

    /// <summary>
    /// <c>destination[c, r] = source[r·sourceStride + c]</c> for <paramref name="rows"/> rows of <paramref name="columns"/>
    /// values, <paramref name="sourceStride"/> apart (a head's columns read in place from the projection's rows).
    /// </summary>
    public static void Transpose<T>(T* source, int sourceStride, T* destination, int rows, int columns) where T : unmanaged
    {
        int r = 0, c0 = 0;
        if (typeof(T) == typeof(float) && Avx.IsSupported)
        {
            // 8×8 blocks through registers: a scalar scatter writes each value to a different line.
            for (; r + 8 <= rows; r += 8)
                for (int c = 0; c + 8 <= columns; c += 8)
                    Transpose8x8((float*)source + (long)r * sourceStride + c, sourceStride, (float*)destination + (long)c * rows + r, rows);
            c0 = columns & ~7;
        }
        // What the blocks left: the last columns of the block rows, then the last rows whole.
        for (int i = 0; i < r; i++)
        {
            T* row = source + (long)i * sourceStride;
            for (int c = c0; c < columns; c++) destination[(long)c * rows + i] = row[c];
        }
        for (int i = r; i < rows; i++)
        {
            T* row = source + (long)i * sourceStride;
            for (int c = 0; c < columns; c++) destination[(long)c * rows + i] = row[c];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* source, int sourceStride, float* destination, int destinationStride)
    {
        var r0 = Avx.LoadVector256(source);
        var r1 = Avx.LoadVector256(source + sourceStride);
        var r2 = Avx.LoadVector256(source + 2L * sourceStride);
        var r3 = Avx.LoadVector256(source + 3L * sourceStride);
        var r4 = Avx.LoadVector256(source + 4L * sourceStride);
        var r5 = Avx.LoadVector256(source + 5L * sourceStride);
        var r6 = Avx.LoadVector256(source + 6L * sourceStride);
        var r7 = Avx.LoadVector256(source + 7L * sourceStride);
        // Pairs of rows interleaved, then quadruples, then the 128-bit halves swapped into place.
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(destination, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(destination + destinationStride, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(destination + 2L * destinationStride, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(destination + 3L * destinationStride, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(destination + 4L * destinationStride, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(destination + 5L * destinationStride, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(destination + 6L * destinationStride, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(destination + 7L * destinationStride, Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>
    /// <c>scores[i, j] = scale·Σ_c a[i·lda + c]·bT[c·sequence + j]</c> for every query i and at least its valid keys j
    /// (<see cref="ValidKeys"/>); entries past them may be written too and are the caller's to overwrite.
    /// </summary>
    public static void Scores<T>(T* a, int lda, T* bT, T* scores, int sequence, int depth, int keys, bool causal, T scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated)
        {
            ScoresFloat<Lanes512<float>, Vector512<float>>((float*)a, lda, (float*)bT, (float*)scores, sequence, depth, keys, causal, float.CreateTruncating(scale));
            return;
        }
        if (typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated)
        {
            ScoresFloat<Lanes256<float>, Vector256<float>>((float*)a, lda, (float*)bT, (float*)scores, sequence, depth, keys, causal, float.CreateTruncating(scale));
            return;
        }
        ScoresVector(a, lda, bT, scores, sequence, depth, keys, causal);
        if (scale == T.One) return;
        for (int i = 0; i < sequence; i++)
        {
            T* row = scores + (long)i * sequence;
            int n = ValidKeys(i, keys, causal);
            for (int j = 0; j < n; j++) row[j] *= scale;
        }
    }

    private static void ScoresVector<T>(T* a, int lda, T* bT, T* scores, int sequence, int depth, int keys, bool causal)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector<T>.Count;
        bool vectors = Vector.IsHardwareAccelerated && Vector<T>.IsSupported;
        int i = 0;
        for (; i + 4 <= sequence; i += 4)
        {
            int n = ValidKeys(i + 3, keys, causal);
            T* a0 = a + (long)i * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
            T* c0 = scores + (long)i * sequence, c1 = c0 + sequence, c2 = c1 + sequence, c3 = c2 + sequence;
            int j = 0;
            if (vectors)
            {
                // Whole vectors up to the last reachable key, running past it while the row has room.
                for (; j < n && j + w <= sequence; j += w)
                {
                    Vector<T> s0 = Vector<T>.Zero, s1 = Vector<T>.Zero, s2 = Vector<T>.Zero, s3 = Vector<T>.Zero;
                    T* b = bT + j;
                    for (int c = 0; c < depth; c++, b += sequence)
                    {
                        var v = Vector.Load(b);
                        s0 = new Vector<T>(a0[c]) * v + s0;
                        s1 = new Vector<T>(a1[c]) * v + s1;
                        s2 = new Vector<T>(a2[c]) * v + s2;
                        s3 = new Vector<T>(a3[c]) * v + s3;
                    }
                    Vector.Store(s0, c0 + j);
                    Vector.Store(s1, c1 + j);
                    Vector.Store(s2, c2 + j);
                    Vector.Store(s3, c3 + j);
                }
            }
            for (; j < n; j++)
            {
                c0[j] = Dot(a0, bT + j, sequence, depth);
                c1[j] = Dot(a1, bT + j, sequence, depth);
                c2[j] = Dot(a2, bT + j, sequence, depth);
                c3[j] = Dot(a3, bT + j, sequence, depth);
            }
        }
        for (; i < sequence; i++)
        {
            int n = ValidKeys(i, keys, causal);
            T* a0 = a + (long)i * lda, c0 = scores + (long)i * sequence;
            int j = 0;
            if (vectors)
            {
                for (; j < n && j + w <= sequence; j += w)
                {
                    Vector<T> s0 = Vector<T>.Zero;
                    T* b = bT + j;
                    for (int c = 0; c < depth; c++, b += sequence) s0 = new Vector<T>(a0[c]) * Vector.Load(b) + s0;
                    Vector.Store(s0, c0 + j);
                }
            }
            for (; j < n; j++) c0[j] = Dot(a0, bT + j, sequence, depth);
        }
    }

    /// <summary>Σ_c a[c]·b[c·stride], multiplying then adding as the vector lanes do, so a key gets the same bits in a vector or in the tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Dot<T>(T* a, T* b, int stride, int depth) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        for (int c = 0; c < depth; c++) sum = a[c] * b[(long)c * stride] + sum;
        return sum;
    }

    /// <summary>
    /// <c>c[r·ldc + k] = Σ_t w[r·rowStride + t·columnStride]·m[t·ldm + k]</c> for r &lt; rows, k &lt; columns, t over
    /// <paramref name="range"/>'s span for r's block of four rows (weights outside a row's own keys must be 0).
    /// Overwrites c. With (rowStride, columnStride) = (sequence, 1) this is W·M; with (1, sequence) it is Wᵀ·M.
    /// </summary>
    public static void Mix<T>(T* weights, int rowStride, int columnStride, T* m, int ldm, T* c, int ldc, int rows, int columns, KeyRange range)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated)
        {
            MixFloat<Lanes512<float>, Vector512<float>>((float*)weights, rowStride, columnStride, (float*)m, ldm, (float*)c, ldc, rows, columns, range);
            return;
        }
        if (typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated)
        {
            MixFloat<Lanes256<float>, Vector256<float>>((float*)weights, rowStride, columnStride, (float*)m, ldm, (float*)c, ldc, rows, columns, range);
            return;
        }
        int w = Vector<T>.Count;
        bool vectors = Vector.IsHardwareAccelerated && Vector<T>.IsSupported;
        for (int r0 = 0; r0 < rows; r0 += 4)
        {
            int block = Math.Min(4, rows - r0);
            range.Span(r0, r0 + block, rows, out int t0, out int t1);
            // Rows past the end of a short last block reuse its last row: computed twice, stored once.
            T* w0 = weights + (long)r0 * rowStride;
            T* w1 = weights + (long)(r0 + Math.Min(1, block - 1)) * rowStride;
            T* w2 = weights + (long)(r0 + Math.Min(2, block - 1)) * rowStride;
            T* w3 = weights + (long)(r0 + Math.Min(3, block - 1)) * rowStride;
            T* out0 = c + (long)r0 * ldc;
            int k = 0;
            if (vectors)
            {
                for (; k + w <= columns; k += w)
                {
                    Vector<T> s0 = Vector<T>.Zero, s1 = Vector<T>.Zero, s2 = Vector<T>.Zero, s3 = Vector<T>.Zero;
                    for (int t = t0; t < t1; t++)
                    {
                        var v = Vector.Load(m + (long)t * ldm + k);
                        long at = (long)t * columnStride;
                        s0 = new Vector<T>(w0[at]) * v + s0;
                        s1 = new Vector<T>(w1[at]) * v + s1;
                        s2 = new Vector<T>(w2[at]) * v + s2;
                        s3 = new Vector<T>(w3[at]) * v + s3;
                    }
                    Vector.Store(s0, out0 + k);
                    if (block > 1) Vector.Store(s1, out0 + ldc + k);
                    if (block > 2) Vector.Store(s2, out0 + 2L * ldc + k);
                    if (block > 3) Vector.Store(s3, out0 + 3L * ldc + k);
                }
            }
            for (; k < columns; k++)
            {
                T s0 = T.Zero, s1 = T.Zero, s2 = T.Zero, s3 = T.Zero;
                for (int t = t0; t < t1; t++)
                {
                    T v = m[(long)t * ldm + k];
                    long at = (long)t * columnStride;
                    s0 = w0[at] * v + s0;
                    s1 = w1[at] * v + s1;
                    s2 = w2[at] * v + s2;
                    s3 = w3[at] * v + s3;
                }
                out0[k] = s0;
                if (block > 1) out0[ldc + k] = s1;
                if (block > 2) out0[2L * ldc + k] = s2;
                if (block > 3) out0[3L * ldc + k] = s3;
            }
        }
    }

    // float: multiply-adds (fused where the hardware fuses, as in the GEMM) on the widest hardware vector, blocks of 4 rows × 2 vectors (8 accumulators keep both
    // FMA pipes busy). Every element is summed over the same index order with one rounding per step whichever loop (or
    // the scalar tail, through the same MulAdd rule) computes it, so its bits do not depend on where it falls.

    private static void ScoresFloat<TL, TV>(float* a, int lda, float* bT, float* scores, int sequence, int depth, int keys, bool causal, float scale)
        where TL : struct, ILanes<float, TV> where TV : unmanaged
    {
        int w = TL.Count;
        var factor = TL.Broadcast(scale);
        for (int i = 0; i < sequence; i += 4)
        {
            int block = Math.Min(4, sequence - i);
            int n = ValidKeys(i + block - 1, keys, causal);
            // Rows past the end of a short last block reuse its last row: computed twice, stored once.
            float* a0 = a + (long)i * lda;
            float* a1 = a + (long)(i + Math.Min(1, block - 1)) * lda;
            float* a2 = a + (long)(i + Math.Min(2, block - 1)) * lda;
            float* a3 = a + (long)(i + Math.Min(3, block - 1)) * lda;
            float* c0 = scores + (long)i * sequence;
            int j = 0;
            for (; j + w < n && j + 2 * w <= sequence; j += 2 * w)
            {
                TV s00 = TL.Broadcast(0f), s01 = TL.Broadcast(0f), s10 = TL.Broadcast(0f), s11 = TL.Broadcast(0f), s20 = TL.Broadcast(0f), s21 = TL.Broadcast(0f), s30 = TL.Broadcast(0f), s31 = TL.Broadcast(0f);
                float* b = bT + j;
                for (int c = 0; c < depth; c++, b += sequence)
                {
                    TV v0 = TL.Load(b), v1 = TL.Load(b + w);
                    TV x0 = TL.Broadcast(a0[c]), x1 = TL.Broadcast(a1[c]), x2 = TL.Broadcast(a2[c]), x3 = TL.Broadcast(a3[c]);
                    s00 = TL.MulAdd(x0, v0, s00); s01 = TL.MulAdd(x0, v1, s01);
                    s10 = TL.MulAdd(x1, v0, s10); s11 = TL.MulAdd(x1, v1, s11);
                    s20 = TL.MulAdd(x2, v0, s20); s21 = TL.MulAdd(x2, v1, s21);
                    s30 = TL.MulAdd(x3, v0, s30); s31 = TL.MulAdd(x3, v1, s31);
                }
                StoreScaled<TL, TV>(s00, s01, factor, c0 + j, w);
                if (block > 1) StoreScaled<TL, TV>(s10, s11, factor, c0 + sequence + j, w);
                if (block > 2) StoreScaled<TL, TV>(s20, s21, factor, c0 + 2L * sequence + j, w);
                if (block > 3) StoreScaled<TL, TV>(s30, s31, factor, c0 + 3L * sequence + j, w);
            }
            for (; j < n && j + w <= sequence; j += w)
            {
                TV s0 = TL.Broadcast(0f), s1 = TL.Broadcast(0f), s2 = TL.Broadcast(0f), s3 = TL.Broadcast(0f);
                float* b = bT + j;
                for (int c = 0; c < depth; c++, b += sequence)
                {
                    TV v = TL.Load(b);
                    s0 = TL.MulAdd(TL.Broadcast(a0[c]), v, s0);
                    s1 = TL.MulAdd(TL.Broadcast(a1[c]), v, s1);
                    s2 = TL.MulAdd(TL.Broadcast(a2[c]), v, s2);
                    s3 = TL.MulAdd(TL.Broadcast(a3[c]), v, s3);
                }
                TL.Store(Multiply<TV>(s0, factor), c0 + j);
                if (block > 1) TL.Store(Multiply<TV>(s1, factor), c0 + sequence + j);
                if (block > 2) TL.Store(Multiply<TV>(s2, factor), c0 + 2L * sequence + j);
                if (block > 3) TL.Store(Multiply<TV>(s3, factor), c0 + 3L * sequence + j);
            }
            for (; j < n; j++)
            {
                float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (int c = 0; c < depth; c++)
                {
                    float v = bT[(long)c * sequence + j];
                    s0 = MulAdd.Scalar(a0[c], v, s0);
                    s1 = MulAdd.Scalar(a1[c], v, s1);
                    s2 = MulAdd.Scalar(a2[c], v, s2);
                    s3 = MulAdd.Scalar(a3[c], v, s3);
                }
                c0[j] = s0 * scale;
                if (block > 1) c0[sequence + j] = s1 * scale;
                if (block > 2) c0[2L * sequence + j] = s2 * scale;
                if (block > 3) c0[3L * sequence + j] = s3 * scale;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Multiply<TV>(TV a, TV b) where TV : unmanaged
    {
        if (typeof(TV) == typeof(Vector512<float>)) return (TV)(object)((Vector512<float>)(object)a * (Vector512<float>)(object)b);
        return (TV)(object)((Vector256<float>)(object)a * (Vector256<float>)(object)b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreScaled<TL, TV>(TV low, TV high, TV factor, float* destination, int w)
        where TL : struct, ILanes<float, TV> where TV : unmanaged
    {
        TL.Store(Multiply(low, factor), destination);
        TL.Store(Multiply(high, factor), destination + w);
    }

    private static void MixFloat<TL, TV>(float* weights, int rowStride, int columnStride, float* m, int ldm, float* c, int ldc, int rows, int columns, KeyRange range)
        where TL : struct, ILanes<float, TV> where TV : unmanaged
    {
        int w = TL.Count;
        for (int r0 = 0; r0 < rows; r0 += 4)
        {
            int block = Math.Min(4, rows - r0);
            range.Span(r0, r0 + block, rows, out int t0, out int t1);
            float* w0 = weights + (long)r0 * rowStride;
            float* w1 = weights + (long)(r0 + Math.Min(1, block - 1)) * rowStride;
            float* w2 = weights + (long)(r0 + Math.Min(2, block - 1)) * rowStride;
            float* w3 = weights + (long)(r0 + Math.Min(3, block - 1)) * rowStride;
            float* out0 = c + (long)r0 * ldc;
            int k = 0;
            for (; k + 2 * w <= columns; k += 2 * w)
            {
                TV s00 = TL.Broadcast(0f), s01 = TL.Broadcast(0f), s10 = TL.Broadcast(0f), s11 = TL.Broadcast(0f), s20 = TL.Broadcast(0f), s21 = TL.Broadcast(0f), s30 = TL.Broadcast(0f), s31 = TL.Broadcast(0f);
                for (int t = t0; t < t1; t++)
                {
                    float* row = m + (long)t * ldm + k;
                    TV v0 = TL.Load(row), v1 = TL.Load(row + w);
                    long at = (long)t * columnStride;
                    TV x0 = TL.Broadcast(w0[at]), x1 = TL.Broadcast(w1[at]), x2 = TL.Broadcast(w2[at]), x3 = TL.Broadcast(w3[at]);
                    s00 = TL.MulAdd(x0, v0, s00); s01 = TL.MulAdd(x0, v1, s01);
                    s10 = TL.MulAdd(x1, v0, s10); s11 = TL.MulAdd(x1, v1, s11);
                    s20 = TL.MulAdd(x2, v0, s20); s21 = TL.MulAdd(x2, v1, s21);
                    s30 = TL.MulAdd(x3, v0, s30); s31 = TL.MulAdd(x3, v1, s31);
                }
                TL.Store(s00, out0 + k); TL.Store(s01, out0 + k + w);
                if (block > 1) { TL.Store(s10, out0 + ldc + k); TL.Store(s11, out0 + ldc + k + w); }
                if (block > 2) { TL.Store(s20, out0 + 2L * ldc + k); TL.Store(s21, out0 + 2L * ldc + k + w); }
                if (block > 3) { TL.Store(s30, out0 + 3L * ldc + k); TL.Store(s31, out0 + 3L * ldc + k + w); }
            }
            for (; k + w <= columns; k += w)
            {
                TV s0 = TL.Broadcast(0f), s1 = TL.Broadcast(0f), s2 = TL.Broadcast(0f), s3 = TL.Broadcast(0f);
                for (int t = t0; t < t1; t++)
                {
                    TV v = TL.Load(m + (long)t * ldm + k);
                    long at = (long)t * columnStride;
                    s0 = TL.MulAdd(TL.Broadcast(w0[at]), v, s0);
                    s1 = TL.MulAdd(TL.Broadcast(w1[at]), v, s1);
                    s2 = TL.MulAdd(TL.Broadcast(w2[at]), v, s2);
                    s3 = TL.MulAdd(TL.Broadcast(w3[at]), v, s3);
                }
                TL.Store(s0, out0 + k);
                if (block > 1) TL.Store(s1, out0 + ldc + k);
                if (block > 2) TL.Store(s2, out0 + 2L * ldc + k);
                if (block > 3) TL.Store(s3, out0 + 3L * ldc + k);
            }
            for (; k < columns; k++)
            {
                float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (int t = t0; t < t1; t++)
                {
                    float v = m[(long)t * ldm + k];
                    long at = (long)t * columnStride;
                    s0 = MulAdd.Scalar(w0[at], v, s0);
                    s1 = MulAdd.Scalar(w1[at], v, s1);
                    s2 = MulAdd.Scalar(w2[at], v, s2);
                    s3 = MulAdd.Scalar(w3[at], v, s3);
                }
                out0[k] = s0;
                if (block > 1) out0[ldc + k] = s1;
                if (block > 2) out0[2L * ldc + k] = s2;
                if (block > 3) out0[3L * ldc + k] = s3;
            }
        }
    }

    /// <summary>
    /// Softmax over the first <paramref name="valid"/> entries of a row of <paramref name="sequence"/>, in place; the
    /// entries after them become 0 (all of them when none is valid, so a query with no key gets output 0, not NaN).
    /// </summary>
    public static void Softmax<T>(T* row, int valid, int sequence) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated)
        {
            SoftmaxFloat512((float*)row, valid, sequence);
            return;
        }
        if (typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated)
        {
            SoftmaxFloat((float*)row, valid, sequence);
            return;
        }
        T max = T.NegativeInfinity;
        for (int j = 0; j < valid; j++)
            if (row[j] > max) max = row[j];
        T sum = VectorExp.ExpShiftedInPlace(row, valid, max);
        Divide(row, valid, sum);
        for (int j = valid; j < sequence; j++) row[j] = T.Zero;
    }

    /// <summary>
    /// The float softmax row on 512-bit vectors, as <see cref="SoftmaxFloat"/> does it on 256-bit ones: the vector that
    /// holds the last valid entry is computed whole with the entries past it at −∞, in place when the row has room for
    /// it, else through a padded copy; the sum runs lane-wise then across the lanes, a fixed order for a given valid count.
    /// </summary>
    private static void SoftmaxFloat512(float* row, int valid, int sequence)
    {
        if (valid == 0)
        {
            new Span<float>(row, sequence).Clear();
            return;
        }
        var negativeInfinity = Vector512.Create(float.NegativeInfinity);
        int whole = valid & ~15, rest = valid - whole;
        float* last = row + whole;
        float* pad = stackalloc float[16];
        if (rest > 0 && whole + 16 > sequence)
        {
            for (int l = 0; l < 16; l++) pad[l] = l < rest ? last[l] : float.NegativeInfinity;
            last = pad;
        }
        var keep = Vector512.LessThan(Vector512.CreateSequence(0f, 1f), Vector512.Create((float)rest));
        var tail = rest > 0 ? Vector512.ConditionalSelect(keep, Vector512.Load(last), negativeInfinity) : negativeInfinity;

        // A NaN entry may be dropped from the maximum; its own exponential is NaN, so the row is NaN all the same.
        var maxes = tail;
        for (int j = 0; j < whole; j += 16) maxes = Vector512.MaxNative(maxes, Vector512.Load(row + j));
        var quarters = Vector256.MaxNative(maxes.GetLower(), maxes.GetUpper());
        var halves = Vector128.MaxNative(quarters.GetLower(), quarters.GetUpper());
        halves = Vector128.MaxNative(halves, Vector128.Shuffle(halves, Vector128.Create(2, 3, 0, 1)));
        halves = Vector128.MaxNative(halves, Vector128.Shuffle(halves, Vector128.Create(1, 0, 3, 2)));
        var shift = Vector512.Create(halves.ToScalar());

        var sums = Vector512<float>.Zero;
        for (int j = 0; j < whole; j += 16)
        {
            var e = VectorExp.Exp(Vector512.Load(row + j) - shift);
            Vector512.Store(e, row + j);
            sums += e;
        }
        var tailExp = VectorExp.Exp(tail - shift);
        sums += tailExp;
        var total = Vector512.Create(Vector512.Sum(sums));
        for (int j = 0; j < whole; j += 16) Vector512.Store(Vector512.Load(row + j) / total, row + j);
        int written = whole;
        if (rest > 0)
        {
            var probabilities = tailExp / total;
            if (last == pad)
            {
                Vector512.Store(probabilities, pad);
                for (int l = 0; l < rest; l++) row[whole + l] = pad[l];
                written = valid;
            }
            else
            {
                Vector512.Store(probabilities, last);   // the lanes past the valid entries hold exp(−∞)/total = 0
                written = whole + 16;
            }
        }
        if (written < sequence) new Span<float>(row + written, sequence - written).Clear();
    }

    /// <summary>
    /// The float softmax row on 256-bit vectors (machines without 512-bit ones). The vector that holds the last valid
    /// entry is computed whole with the entries past it set to −∞ (exponential 0), when it fits in the row; otherwise
    /// through a padded copy. The sum runs lane-wise then across the lanes: a fixed order for a given valid count.
    /// </summary>
    private static void SoftmaxFloat(float* row, int valid, int sequence)
    {
        if (valid == 0)
        {
            new Span<float>(row, sequence).Clear();
            return;
        }
        var negativeInfinity = Vector256.Create(float.NegativeInfinity);
        int whole = valid & ~7, rest = valid - whole;
        // The last, partial vector: in place when the row has room for all of it, else in a padded copy.
        float* last = row + whole;
        float* pad = stackalloc float[8];
        if (rest > 0 && whole + 8 > sequence)
        {
            for (int l = 0; l < 8; l++) pad[l] = l < rest ? last[l] : float.NegativeInfinity;
            last = pad;
        }
        var keep = Vector256.LessThan(Vector256.Create(0f, 1, 2, 3, 4, 5, 6, 7), Vector256.Create((float)rest));
        var tail = rest > 0 ? Vector256.ConditionalSelect(keep, Vector256.Load(last), negativeInfinity) : negativeInfinity;

        // A NaN entry may be dropped from the maximum; its own exponential is NaN, so the row is NaN all the same.
        var maxes = tail;
        for (int j = 0; j < whole; j += 8) maxes = Vector256.MaxNative(maxes, Vector256.Load(row + j));
        var halves = Vector128.MaxNative(maxes.GetLower(), maxes.GetUpper());
        halves = Vector128.MaxNative(halves, Vector128.Shuffle(halves, Vector128.Create(2, 3, 0, 1)));
        halves = Vector128.MaxNative(halves, Vector128.Shuffle(halves, Vector128.Create(1, 0, 3, 2)));
        float max = halves.ToScalar();

        var shift = Vector256.Create(max);
        var sums = Vector256<float>.Zero;
        for (int j = 0; j < whole; j += 8)
        {
            var e = VectorExp.Exp(Vector256.Load(row + j) - shift);
            Vector256.Store(e, row + j);
            sums += e;
        }
        var tailExp = VectorExp.Exp(tail - shift);
        sums += tailExp;
        var total = Vector256.Create(Vector256.Sum(sums));
        for (int j = 0; j < whole; j += 8) Vector256.Store(Vector256.Load(row + j) / total, row + j);
        int written = whole;
        if (rest > 0)
        {
            var probabilities = tailExp / total;
            if (last == pad)
            {
                Vector256.Store(probabilities, pad);
                for (int l = 0; l < rest; l++) row[whole + l] = pad[l];
                written = valid;
            }
            else
            {
                Vector256.Store(probabilities, last);   // the lanes past the valid entries hold exp(−∞)/total = 0
                written = whole + 8;
            }
        }
        if (written < sequence) new Span<float>(row + written, sequence - written).Clear();
    }

    /// <summary><c>row[j] /= divisor</c> for j &lt; count (a division, as the scalar formula, not a multiplication by the reciprocal).</summary>
    public static void Divide<T>(T* row, int count, T divisor) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var d = new Vector<T>(divisor);
            for (; j + Vector<T>.Count <= count; j += Vector<T>.Count) Vector.Store(Vector.Load(row + j) / d, row + j);
        }
        for (; j < count; j++) row[j] /= divisor;
    }

    /// <summary>Softmax backward on one row of <paramref name="count"/> entries: <c>g[j] = scale·p[j]·(g[j] − Σ p⊙g)</c>.</summary>
    public static void SoftmaxBackward<T>(T* p, T* g, int count, T scale) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        T dot = T.Zero;
        bool vectors = Vector.IsHardwareAccelerated && Vector<T>.IsSupported;
        int w = Vector<T>.Count;
        if (vectors)
        {
            var sum = Vector<T>.Zero;
            for (; j + w <= count; j += w) sum = Vector.Load(p + j) * Vector.Load(g + j) + sum;
            dot = Vector.Sum(sum);
        }
        for (; j < count; j++) dot += p[j] * g[j];
        j = 0;
        if (vectors)
        {
            var d = new Vector<T>(dot);
            var s = new Vector<T>(scale);
            for (; j + w <= count; j += w) Vector.Store(s * (Vector.Load(p + j) * (Vector.Load(g + j) - d)), g + j);
        }
        for (; j < count; j++) g[j] = scale * (p[j] * (g[j] - dot));
    }
}
