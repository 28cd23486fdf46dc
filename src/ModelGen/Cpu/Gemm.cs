using System;
using System.Numerics;

namespace ModelGen.Cpu;

/// <summary>
/// General matrix multiply on row-major buffers: <c>C (+)= op(A) · op(B)</c>, where op(A) is m×k and
/// op(B) is k×n. The one GEMM of the runtime; every layer's forward and backward composes it.
/// </summary>
/// <remarks>
/// Every element of C is one multiply-add chain over k in ascending order (fused where the
/// hardware has fused multiply-add), restarted every 256 values of k and added to C at each
/// restart. That order does not depend on the thread count, the vector width or where the element
/// falls in a tile, so results are bit-identical run to run and for any
/// <see cref="CpuParallel.ThreadCount"/>. Large products are split across
/// <see cref="CpuParallel"/>'s threads by blocks of rows or columns of C. After the first call on a
/// thread, a call allocates nothing.
/// </remarks>
public static unsafe class Gemm
{
    /// <summary>Computes <c>C = op(A)·op(B)</c>, or adds it to C when <paramref name="accumulate"/> is true.</summary>
    /// <param name="transA">A is stored k×m and used transposed.</param>
    /// <param name="transB">B is stored n×k and used transposed.</param>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">The shared dimension.</param>
    /// <param name="a">A, row-major, leading dimension its stored column count.</param>
    /// <param name="b">B, row-major, leading dimension its stored column count.</param>
    /// <param name="c">C, m×n row-major.</param>
    /// <param name="accumulate">Add to C instead of overwriting it.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative.</exception>
    public static void Multiply<T>(bool transA, bool transB, int m, int n, int k, T* a, T* b, T* c, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        GemmEpilogue<T> none = default;
        GemmCore.Run(transA, transB, m, n, k, a, b, c, accumulate, in none);
    }
}
