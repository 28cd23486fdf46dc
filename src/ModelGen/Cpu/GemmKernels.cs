using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace ModelGen.Cpu;

/// <summary>
/// A register-blocked micro-kernel: an MR×NR tile of C from an MR-row panel of A (read through
/// strides) and a packed k-major panel of B (kc × NR). Each element is one multiply-add chain in
/// ascending k, and every implementation rounds identically, so the kernel choice never shows in
/// the results.
/// </summary>
internal unsafe interface IGemmKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Rows of the tile.</summary>
    static abstract int MR { get; }

    /// <summary>Columns of the tile (the packed panel width of B).</summary>
    static abstract int NR { get; }

    /// <summary>
    /// <c>tile = Σₚ A[r·rs + p·ps] · b[p·NR + j]</c> over p &lt; kc, stored to c (row stride ldc),
    /// or added to c unless <paramref name="overwrite"/>.
    /// </summary>
    static abstract void Run(int kc, T* a, nint rs, nint ps, T* b, T* c, nint ldc, bool overwrite);
}

/// <summary>Multiply-add helpers that are fused exactly when the hardware fuses, so vector and scalar code agree bit for bit.</summary>
internal static class MulAdd
{
    /// <summary>Whether a single-rounding multiply-add instruction exists (otherwise emulating it would be far slower than mul + add).</summary>
    public static bool Fused
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Fma.IsSupported || AdvSimd.IsSupported;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Scalar<T>(T a, T b, T c) where T : unmanaged, IFloatingPointIeee754<T>
        => Fused ? T.FusedMultiplyAdd(a, b, c) : a * b + c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Of<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c) where T : unmanaged
    {
        // Tested inline rather than through Fused: the importer folds it at once, so each inlined call keeps a single
        // return and the JIT accumulates in place (vfmadd231) instead of through a temporary and a register move.
        if (Fma.IsSupported || AdvSimd.IsSupported)
        {
            if (typeof(T) == typeof(float)) return Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
            if (typeof(T) == typeof(double)) return Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        }
        return a * b + c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Of<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c) where T : unmanaged
    {
        if (Fma.IsSupported || AdvSimd.IsSupported)
        {
            if (typeof(T) == typeof(float)) return Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
            if (typeof(T) == typeof(double)) return Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        }
        return a * b + c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Of<T>(Vector128<T> a, Vector128<T> b, Vector128<T> c) where T : unmanaged
    {
        if (Fma.IsSupported || AdvSimd.IsSupported)
        {
            if (typeof(T) == typeof(float)) return Vector128.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
            if (typeof(T) == typeof(double)) return Vector128.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        }
        return a * b + c;
    }
}

/// <summary>8 rows × 2 vectors of 512 bits: 16 accumulators, half of AVX-512's 32 registers, enough to hide FMA latency on two pipes.</summary>
internal readonly unsafe struct Kernel512<T> : IGemmKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int MR => 8;
    public static int NR => 2 * Vector512<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, T* a, nint rs, nint ps, T* b, T* c, nint ldc, bool overwrite)
    {
        int w = Vector512<T>.Count;
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<T> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<T> c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<T> c60 = default, c61 = default, c70 = default, c71 = default;
        nint rs2 = rs + rs, rs3 = rs2 + rs;
        T* a4 = a + 4 * rs;
        for (int p = 0; p < kc; p++)
        {
            Vector512<T> b0 = Vector512.Load(b), b1 = Vector512.Load(b + w);
            Vector512<T> x = Vector512.Create(*a);
            c00 = MulAdd.Of(x, b0, c00); c01 = MulAdd.Of(x, b1, c01);
            x = Vector512.Create(*(a + rs));
            c10 = MulAdd.Of(x, b0, c10); c11 = MulAdd.Of(x, b1, c11);
            x = Vector512.Create(*(a + rs2));
            c20 = MulAdd.Of(x, b0, c20); c21 = MulAdd.Of(x, b1, c21);
            x = Vector512.Create(*(a + rs3));
            c30 = MulAdd.Of(x, b0, c30); c31 = MulAdd.Of(x, b1, c31);
            x = Vector512.Create(*a4);
            c40 = MulAdd.Of(x, b0, c40); c41 = MulAdd.Of(x, b1, c41);
            x = Vector512.Create(*(a4 + rs));
            c50 = MulAdd.Of(x, b0, c50); c51 = MulAdd.Of(x, b1, c51);
            x = Vector512.Create(*(a4 + rs2));
            c60 = MulAdd.Of(x, b0, c60); c61 = MulAdd.Of(x, b1, c61);
            x = Vector512.Create(*(a4 + rs3));
            c70 = MulAdd.Of(x, b0, c70); c71 = MulAdd.Of(x, b1, c71);
            a += ps;
            a4 += ps;
            b += 2 * w;
        }
        Store(c, w, c00, c01, overwrite); c += ldc;
        Store(c, w, c10, c11, overwrite); c += ldc;
        Store(c, w, c20, c21, overwrite); c += ldc;
        Store(c, w, c30, c31, overwrite); c += ldc;
        Store(c, w, c40, c41, overwrite); c += ldc;
        Store(c, w, c50, c51, overwrite); c += ldc;
        Store(c, w, c60, c61, overwrite); c += ldc;
        Store(c, w, c70, c71, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(T* c, int w, Vector512<T> v0, Vector512<T> v1, bool overwrite)
    {
        if (!overwrite)
        {
            v0 += Vector512.Load(c);
            v1 += Vector512.Load(c + w);
        }
        Vector512.Store(v0, c);
        Vector512.Store(v1, c + w);
    }
}

/// <summary>
/// 12 rows × 1 vector of 512 bits, for C at most one vector wide (a classifier's 10 outputs):
/// the 2-vector kernel would spend most of its multiply-adds on padding.
/// </summary>
internal readonly unsafe struct Kernel512Narrow<T> : IGemmKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int MR => 12;
    public static int NR => Vector512<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, T* a, nint rs, nint ps, T* b, T* c, nint ldc, bool overwrite)
    {
        Vector512<T> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector512<T> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        nint rs2 = rs + rs, rs3 = rs2 + rs;
        T* a4 = a + 4 * rs, a8 = a4 + 4 * rs;
        for (int p = 0; p < kc; p++)
        {
            Vector512<T> b0 = Vector512.Load(b);
            c0 = MulAdd.Of(Vector512.Create(*a), b0, c0);
            c1 = MulAdd.Of(Vector512.Create(*(a + rs)), b0, c1);
            c2 = MulAdd.Of(Vector512.Create(*(a + rs2)), b0, c2);
            c3 = MulAdd.Of(Vector512.Create(*(a + rs3)), b0, c3);
            c4 = MulAdd.Of(Vector512.Create(*a4), b0, c4);
            c5 = MulAdd.Of(Vector512.Create(*(a4 + rs)), b0, c5);
            c6 = MulAdd.Of(Vector512.Create(*(a4 + rs2)), b0, c6);
            c7 = MulAdd.Of(Vector512.Create(*(a4 + rs3)), b0, c7);
            c8 = MulAdd.Of(Vector512.Create(*a8), b0, c8);
            c9 = MulAdd.Of(Vector512.Create(*(a8 + rs)), b0, c9);
            c10 = MulAdd.Of(Vector512.Create(*(a8 + rs2)), b0, c10);
            c11 = MulAdd.Of(Vector512.Create(*(a8 + rs3)), b0, c11);
            a += ps;
            a4 += ps;
            a8 += ps;
            b += Vector512<T>.Count;
        }
        Store(c, c0, overwrite); c += ldc;
        Store(c, c1, overwrite); c += ldc;
        Store(c, c2, overwrite); c += ldc;
        Store(c, c3, overwrite); c += ldc;
        Store(c, c4, overwrite); c += ldc;
        Store(c, c5, overwrite); c += ldc;
        Store(c, c6, overwrite); c += ldc;
        Store(c, c7, overwrite); c += ldc;
        Store(c, c8, overwrite); c += ldc;
        Store(c, c9, overwrite); c += ldc;
        Store(c, c10, overwrite); c += ldc;
        Store(c, c11, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(T* c, Vector512<T> v, bool overwrite)
    {
        if (!overwrite) v += Vector512.Load(c);
        Vector512.Store(v, c);
    }
}

/// <summary>6 rows × 2 vectors of 256 bits: 12 accumulators plus operands fit AVX2's 16 registers.</summary>
internal readonly unsafe struct Kernel256<T> : IGemmKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int MR => 6;
    public static int NR => 2 * Vector256<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, T* a, nint rs, nint ps, T* b, T* c, nint ldc, bool overwrite)
    {
        int w = Vector256<T>.Count;
        Vector256<T> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<T> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector256<T> c40 = default, c41 = default, c50 = default, c51 = default;
        nint rs2 = rs + rs;
        T* a3 = a + 3 * rs;
        for (int p = 0; p < kc; p++)
        {
            Vector256<T> b0 = Vector256.Load(b), b1 = Vector256.Load(b + w);
            Vector256<T> x = Vector256.Create(*a);
            c00 = MulAdd.Of(x, b0, c00); c01 = MulAdd.Of(x, b1, c01);
            x = Vector256.Create(*(a + rs));
            c10 = MulAdd.Of(x, b0, c10); c11 = MulAdd.Of(x, b1, c11);
            x = Vector256.Create(*(a + rs2));
            c20 = MulAdd.Of(x, b0, c20); c21 = MulAdd.Of(x, b1, c21);
            x = Vector256.Create(*a3);
            c30 = MulAdd.Of(x, b0, c30); c31 = MulAdd.Of(x, b1, c31);
            x = Vector256.Create(*(a3 + rs));
            c40 = MulAdd.Of(x, b0, c40); c41 = MulAdd.Of(x, b1, c41);
            x = Vector256.Create(*(a3 + rs2));
            c50 = MulAdd.Of(x, b0, c50); c51 = MulAdd.Of(x, b1, c51);
            a += ps;
            a3 += ps;
            b += 2 * w;
        }
        Store(c, w, c00, c01, overwrite); c += ldc;
        Store(c, w, c10, c11, overwrite); c += ldc;
        Store(c, w, c20, c21, overwrite); c += ldc;
        Store(c, w, c30, c31, overwrite); c += ldc;
        Store(c, w, c40, c41, overwrite); c += ldc;
        Store(c, w, c50, c51, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(T* c, int w, Vector256<T> v0, Vector256<T> v1, bool overwrite)
    {
        if (!overwrite)
        {
            v0 += Vector256.Load(c);
            v1 += Vector256.Load(c + w);
        }
        Vector256.Store(v0, c);
        Vector256.Store(v1, c + w);
    }
}

/// <summary>4 rows × 2 vectors of 128 bits (SSE / Arm AdvSimd).</summary>
internal readonly unsafe struct Kernel128<T> : IGemmKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int MR => 4;
    public static int NR => 2 * Vector128<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, T* a, nint rs, nint ps, T* b, T* c, nint ldc, bool overwrite)
    {
        int w = Vector128<T>.Count;
        Vector128<T> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector128<T> c20 = default, c21 = default, c30 = default, c31 = default;
        nint rs2 = rs + rs, rs3 = rs2 + rs;
        for (int p = 0; p < kc; p++)
        {
            Vector128<T> b0 = Vector128.Load(b), b1 = Vector128.Load(b + w);
            Vector128<T> x = Vector128.Create(*a);
            c00 = MulAdd.Of(x, b0, c00); c01 = MulAdd.Of(x, b1, c01);
            x = Vector128.Create(*(a + rs));
            c10 = MulAdd.Of(x, b0, c10); c11 = MulAdd.Of(x, b1, c11);
            x = Vector128.Create(*(a + rs2));
            c20 = MulAdd.Of(x, b0, c20); c21 = MulAdd.Of(x, b1, c21);
            x = Vector128.Create(*(a + rs3));
            c30 = MulAdd.Of(x, b0, c30); c31 = MulAdd.Of(x, b1, c31);
            a += ps;
            b += 2 * w;
        }
        Store(c, w, c00, c01, overwrite); c += ldc;
        Store(c, w, c10, c11, overwrite); c += ldc;
        Store(c, w, c20, c21, overwrite); c += ldc;
        Store(c, w, c30, c31, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(T* c, int w, Vector128<T> v0, Vector128<T> v1, bool overwrite)
    {
        if (!overwrite)
        {
            v0 += Vector128.Load(c);
            v1 += Vector128.Load(c + w);
        }
        Vector128.Store(v0, c);
        Vector128.Store(v1, c + w);
    }
}

/// <summary>4×4 scalar tile, for element types or machines without vector support.</summary>
internal readonly unsafe struct KernelScalar<T> : IGemmKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int MR => 4;
    public static int NR => 4;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, T* a, nint rs, nint ps, T* b, T* c, nint ldc, bool overwrite)
    {
        // Rows one at a time: sixteen scalar accumulators would spill anyway on 16-register machines.
        for (int r = 0; r < 4; r++, c += ldc)
        {
            T s0 = T.Zero, s1 = T.Zero, s2 = T.Zero, s3 = T.Zero;
            T* ar = a + r * rs;
            T* bp = b;
            for (int p = 0; p < kc; p++, ar += ps, bp += 4)
            {
                T x = *ar;
                s0 = MulAdd.Scalar(x, bp[0], s0);
                s1 = MulAdd.Scalar(x, bp[1], s1);
                s2 = MulAdd.Scalar(x, bp[2], s2);
                s3 = MulAdd.Scalar(x, bp[3], s3);
            }
            if (overwrite)
            {
                c[0] = s0; c[1] = s1; c[2] = s2; c[3] = s3;
            }
            else
            {
                c[0] += s0; c[1] += s1; c[2] += s2; c[3] += s3;
            }
        }
    }
}
