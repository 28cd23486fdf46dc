using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelGen.Cpu;

/// <summary>
/// The vector operations the small-row product needs, for one vector width, so that one body of code
/// serves 512-bit and 256-bit machines (the struct type arguments make the JIT specialise it per width).
/// </summary>
internal unsafe interface ILanes<T, TVector> where T : unmanaged, IFloatingPointIeee754<T> where TVector : unmanaged
{
    static abstract int Count { get; }
    static abstract TVector Load(T* source);
    static abstract void Store(TVector value, T* destination);
    static abstract TVector Broadcast(T value);
    static abstract TVector MulAdd(TVector a, TVector b, TVector c);
    static abstract TVector Add(TVector a, TVector b);
}

internal readonly unsafe struct Lanes512<T> : ILanes<T, Vector512<T>> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector512<T>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Load(T* source) => Vector512.Load(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<T> value, T* destination) => Vector512.Store(value, destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Broadcast(T value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> MulAdd(Vector512<T> a, Vector512<T> b, Vector512<T> c) => ModelGen.Cpu.MulAdd.Of(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Add(Vector512<T> a, Vector512<T> b) => a + b;
}

internal readonly unsafe struct Lanes256<T> : ILanes<T, Vector256<T>> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector256<T>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Load(T* source) => Vector256.Load(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<T> value, T* destination) => Vector256.Store(value, destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Broadcast(T value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> MulAdd(Vector256<T> a, Vector256<T> b, Vector256<T> c) => ModelGen.Cpu.MulAdd.Of(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Add(Vector256<T> a, Vector256<T> b) => a + b;
}

/// <summary>
/// <c>C (+)= A·B</c> for a few rows of A (a single request, a small batch), reading B where it lies: no packing,
/// no worker threads. With one row, packing B would copy the whole weight matrix to read it once; here every
/// element of B is read once per group of four rows, straight from the layer's weights.
/// </summary>
/// <remarks>
/// Each element of C is the same multiply-add chain as in the blocked driver (<see cref="GemmCore"/>): ascending k,
/// restarted every <see cref="GemmCore.KBlock"/> values and added to C at each restart, fused exactly when the
/// driver's kernels fuse. The results are therefore bit-identical to the packed path, and the epilogue runs on the
/// same column chunks as the driver's tiles.
/// </remarks>
internal static unsafe class GemmSmallRows
{
    /// <summary>Products with at most this many rows take this path (row-major A and B, k &gt; 0).</summary>
    public const int RowLimit = 8;

    /// <summary>
    /// Computes C for <paramref name="m"/> ≤ <see cref="RowLimit"/> rows; A is m×k and B k×n, both row-major.
    /// <paramref name="epilogueColumns"/> is the tile width of the kernel the driver would use, so the bias and
    /// activation see the same column chunks.
    /// </summary>
    public static void Run<T, TVector, TLanes>(int m, int n, int k, T* a, T* b, T* c, bool accumulate, in GemmEpilogue<T> epilogue, int epilogueColumns)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : unmanaged
        where TLanes : ILanes<T, TVector>
    {
        for (int pc = 0; pc < k; pc += GemmCore.KBlock)
        {
            int kc = System.Math.Min(GemmCore.KBlock, k - pc);
            bool overwrite = pc == 0 && !accumulate;
            int i = 0;
            for (; i + 4 <= m; i += 4)
                FourRows<T, TVector, TLanes>(n, k, kc, a + (nint)i * k + pc, b + (nint)pc * n, c + (nint)i * n, overwrite);
            for (; i < m; i++)
                OneRow<T, TVector, TLanes>(n, kc, a + (nint)i * k + pc, b + (nint)pc * n, c + (nint)i * n, overwrite);
        }
        if (!epilogue.IsActive) return;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j += epilogueColumns)
            {
                int cols = System.Math.Min(epilogueColumns, n - j);
                T* bias = epilogue.Bias == null ? null : epilogue.Bias + j;
                ActivationKernels.BiasForward(epilogue.Activation, c + (nint)i * n + j, epilogue.Y + (nint)i * n + j, bias, cols, epilogue.NegativeSlope);
            }
        }
    }

    /// <summary>One row of C over one block of k: eight vectors of columns at a time, eight independent chains in flight.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OneRow<T, TVector, TLanes>(int n, int kc, T* a, T* b, T* c, bool overwrite)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : unmanaged
        where TLanes : ILanes<T, TVector>
    {
        int w = TLanes.Count, j = 0;
        for (; j + 8 * w <= n; j += 8 * w)
        {
            TVector s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            T* bp = b + j;
            for (int p = 0; p < kc; p++, bp += n)
            {
                TVector x = TLanes.Broadcast(a[p]);
                s0 = TLanes.MulAdd(x, TLanes.Load(bp), s0);
                s1 = TLanes.MulAdd(x, TLanes.Load(bp + w), s1);
                s2 = TLanes.MulAdd(x, TLanes.Load(bp + 2 * w), s2);
                s3 = TLanes.MulAdd(x, TLanes.Load(bp + 3 * w), s3);
                s4 = TLanes.MulAdd(x, TLanes.Load(bp + 4 * w), s4);
                s5 = TLanes.MulAdd(x, TLanes.Load(bp + 5 * w), s5);
                s6 = TLanes.MulAdd(x, TLanes.Load(bp + 6 * w), s6);
                s7 = TLanes.MulAdd(x, TLanes.Load(bp + 7 * w), s7);
            }
            T* cj = c + j;
            Put<T, TVector, TLanes>(cj, s0, overwrite); Put<T, TVector, TLanes>(cj + w, s1, overwrite);
            Put<T, TVector, TLanes>(cj + 2 * w, s2, overwrite); Put<T, TVector, TLanes>(cj + 3 * w, s3, overwrite);
            Put<T, TVector, TLanes>(cj + 4 * w, s4, overwrite); Put<T, TVector, TLanes>(cj + 5 * w, s5, overwrite);
            Put<T, TVector, TLanes>(cj + 6 * w, s6, overwrite); Put<T, TVector, TLanes>(cj + 7 * w, s7, overwrite);
        }
        for (; j + w <= n; j += w)
        {
            TVector s0 = default;
            T* bp = b + j;
            for (int p = 0; p < kc; p++, bp += n) s0 = TLanes.MulAdd(TLanes.Broadcast(a[p]), TLanes.Load(bp), s0);
            Put<T, TVector, TLanes>(c + j, s0, overwrite);
        }
        for (; j < n; j++) c[j] = Tail(kc, a, 1, b + j, n, overwrite ? T.Zero : c[j], overwrite);
    }

    /// <summary>Four rows of C over one block of k: two vectors of columns at a time, so eight accumulators fit even AVX2's registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FourRows<T, TVector, TLanes>(int n, int lda, int kc, T* a, T* b, T* c, bool overwrite)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : unmanaged
        where TLanes : ILanes<T, TVector>
    {
        int w = TLanes.Count, j = 0;
        T* a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (; j + 2 * w <= n; j += 2 * w)
        {
            TVector s00 = default, s01 = default, s10 = default, s11 = default;
            TVector s20 = default, s21 = default, s30 = default, s31 = default;
            T* bp = b + j;
            for (int p = 0; p < kc; p++, bp += n)
            {
                TVector b0 = TLanes.Load(bp), b1 = TLanes.Load(bp + w);
                TVector x = TLanes.Broadcast(a[p]);
                s00 = TLanes.MulAdd(x, b0, s00); s01 = TLanes.MulAdd(x, b1, s01);
                x = TLanes.Broadcast(a1[p]);
                s10 = TLanes.MulAdd(x, b0, s10); s11 = TLanes.MulAdd(x, b1, s11);
                x = TLanes.Broadcast(a2[p]);
                s20 = TLanes.MulAdd(x, b0, s20); s21 = TLanes.MulAdd(x, b1, s21);
                x = TLanes.Broadcast(a3[p]);
                s30 = TLanes.MulAdd(x, b0, s30); s31 = TLanes.MulAdd(x, b1, s31);
            }
            T* cj = c + j;
            Put<T, TVector, TLanes>(cj, s00, overwrite); Put<T, TVector, TLanes>(cj + w, s01, overwrite); cj += n;
            Put<T, TVector, TLanes>(cj, s10, overwrite); Put<T, TVector, TLanes>(cj + w, s11, overwrite); cj += n;
            Put<T, TVector, TLanes>(cj, s20, overwrite); Put<T, TVector, TLanes>(cj + w, s21, overwrite); cj += n;
            Put<T, TVector, TLanes>(cj, s30, overwrite); Put<T, TVector, TLanes>(cj + w, s31, overwrite);
        }
        for (; j + w <= n; j += w)
        {
            TVector s0 = default, s1 = default, s2 = default, s3 = default;
            T* bp = b + j;
            for (int p = 0; p < kc; p++, bp += n)
            {
                TVector b0 = TLanes.Load(bp);
                s0 = TLanes.MulAdd(TLanes.Broadcast(a[p]), b0, s0);
                s1 = TLanes.MulAdd(TLanes.Broadcast(a1[p]), b0, s1);
                s2 = TLanes.MulAdd(TLanes.Broadcast(a2[p]), b0, s2);
                s3 = TLanes.MulAdd(TLanes.Broadcast(a3[p]), b0, s3);
            }
            T* cj = c + j;
            Put<T, TVector, TLanes>(cj, s0, overwrite); cj += n;
            Put<T, TVector, TLanes>(cj, s1, overwrite); cj += n;
            Put<T, TVector, TLanes>(cj, s2, overwrite); cj += n;
            Put<T, TVector, TLanes>(cj, s3, overwrite);
        }
        for (; j < n; j++)
        {
            T* cj = c + j;
            for (int r = 0; r < 4; r++, cj += n)
                *cj = Tail(kc, a + r * (nint)lda, 1, b + j, n, overwrite ? T.Zero : *cj, overwrite);
        }
    }

    /// <summary>Stores a block's sums, or adds them to what C holds (the driver's single rounding per block).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<T, TVector, TLanes>(T* c, TVector sums, bool overwrite)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : unmanaged
        where TLanes : ILanes<T, TVector>
        => TLanes.Store(overwrite ? sums : TLanes.Add(sums, TLanes.Load(c)), c);

    /// <summary>A column past the last whole vector: the same chain in scalar arithmetic, then the same single store or add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Tail<T>(int kc, T* a, nint aStride, T* b, nint bStride, T c, bool overwrite)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T s = T.Zero;
        for (int p = 0; p < kc; p++) s = ModelGen.Cpu.MulAdd.Scalar(a[p * aStride], b[p * bStride], s);
        return overwrite ? s : c + s;
    }
}
