using System;
using System.Numerics;

namespace ModelGen.Cpu;

/// <summary>
/// General matrix multiply on row-major buffers: <c>C (+)= op(A) · op(B)</c>, where op(A) is m×k and
/// op(B) is k×n. The one GEMM of the runtime; every layer's forward and backward composes it.
/// </summary>
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
    public static void Multiply<T>(bool transA, bool transB, int m, int n, int k, T* a, T* b, T* c, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
        {
            T* cRow = c + (long)i * n;
            if (!accumulate) new Span<T>(cRow, n).Clear();
            for (int p = 0; p < k; p++)
            {
                T av = transA ? a[(long)p * m + i] : a[(long)i * k + p];
                if (transB)
                {
                    for (int j = 0; j < n; j++) cRow[j] += av * b[(long)j * k + p];
                }
                else
                {
                    T* bRow = b + (long)p * n;
                    for (int j = 0; j < n; j++) cRow[j] += av * bRow[j];
                }
            }
        }
    }
}
