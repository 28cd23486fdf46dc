using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ModelGen.Cpu;

/// <summary>
/// Block copies between row-strided buffers: the forward and backward passes of <c>Tensor.Concat</c>, and
/// the packing of several named inputs (or outputs, or targets) side by side in one row per sample.
/// A part is <c>rows × partWidth</c>; a wide buffer is <c>rows × wideWidth</c>, the part occupying columns
/// <c>offset … offset + partWidth − 1</c> of every row.
/// </summary>
public static unsafe class ConcatKernels
{
    /// <summary>Copies a part into its columns of the wide rows (concat forward).</summary>
    public static void Place<T>(T* part, int partWidth, T* wide, int wideWidth, int offset, long rows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(partWidth, wideWidth, offset);
        CopyRows(part, partWidth, wide + offset, wideWidth, partWidth, rows);
    }

    /// <summary>Copies a part's columns out of the wide rows (unpacking inputs or targets).</summary>
    public static void Take<T>(T* wide, int wideWidth, int offset, T* part, int partWidth, long rows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(partWidth, wideWidth, offset);
        CopyRows(wide + offset, wideWidth, part, partWidth, partWidth, rows);
    }

    /// <summary>Adds a part's columns of the wide rows into the part (concat backward: the gradient of each part).</summary>
    public static void TakeAdd<T>(T* wide, int wideWidth, int offset, T* part, int partWidth, long rows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(partWidth, wideWidth, offset);
        for (long r = 0; r < rows; r++)
            ElementwiseKernels.AddInto(wide + r * wideWidth + offset, part + r * partWidth, partWidth);
    }

    /// <summary>
    /// Copies <paramref name="rows"/> rows of <paramref name="width"/> elements between strided buffers. The rows of a
    /// concatenation are short (an embedding of 16, one id), where a general block copy per row costs more than the
    /// copy itself: rows of at least one vector move as whole vectors, the last one overlapping its predecessor.
    /// </summary>
    internal static void CopyRows<T>(T* source, long sourceStride, T* destination, long destinationStride, int width, long rows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (rows <= 0 || width <= 0) return;
        // Overlapping ranges (never made by the generated code) keep the block copy, which handles them.
        T* sourceEnd = source + (rows - 1) * sourceStride + width, destinationEnd = destination + (rows - 1) * destinationStride + width;
        bool overlap = source < destinationEnd && destination < sourceEnd;
        if (width == 1 && !overlap)
        {
            for (long r = 0; r < rows; r++) destination[r * destinationStride] = source[r * sourceStride];
            return;
        }
        if (overlap || !Vector256.IsHardwareAccelerated || !Vector256<T>.IsSupported || width < Vector256<T>.Count)
        {
            for (long r = 0; r < rows; r++)
                new ReadOnlySpan<T>(source + r * sourceStride, width).CopyTo(new Span<T>(destination + r * destinationStride, width));
            return;
        }
        for (long r = 0; r < rows; r++) CopyRow(source + r * sourceStride, destination + r * destinationStride, width);
    }

    /// <summary>One row of at least one 256-bit vector, source and destination apart: whole vectors, the last overlapping.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void CopyRow<T>(T* source, T* destination, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            int w512 = Vector512<T>.Count;
            for (; j + w512 <= width; j += w512) Vector512.Store(Vector512.Load(source + j), destination + j);
        }
        int w = Vector256<T>.Count;
        for (; j + w <= width; j += w) Vector256.Store(Vector256.Load(source + j), destination + j);
        if (j < width) Vector256.Store(Vector256.Load(source + width - w), destination + width - w);
    }

    private static void Check(int partWidth, int wideWidth, int offset)
    {
        if (partWidth < 0 || offset < 0 || offset + partWidth > wideWidth)
            throw new ArgumentOutOfRangeException(nameof(offset), $"Columns {offset}…{offset + partWidth - 1} are outside rows of {wideWidth}.");
    }
}
