using System;
using System.Numerics;

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
        for (long r = 0; r < rows; r++)
            new ReadOnlySpan<T>(part + r * partWidth, partWidth).CopyTo(new Span<T>(wide + r * wideWidth + offset, partWidth));
    }

    /// <summary>Copies a part's columns out of the wide rows (unpacking inputs or targets).</summary>
    public static void Take<T>(T* wide, int wideWidth, int offset, T* part, int partWidth, long rows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(partWidth, wideWidth, offset);
        for (long r = 0; r < rows; r++)
            new ReadOnlySpan<T>(wide + r * wideWidth + offset, partWidth).CopyTo(new Span<T>(part + r * partWidth, partWidth));
    }

    /// <summary>Adds a part's columns of the wide rows into the part (concat backward: the gradient of each part).</summary>
    public static void TakeAdd<T>(T* wide, int wideWidth, int offset, T* part, int partWidth, long rows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Check(partWidth, wideWidth, offset);
        for (long r = 0; r < rows; r++)
            ElementwiseKernels.AddInto(wide + r * wideWidth + offset, part + r * partWidth, partWidth);
    }

    private static void Check(int partWidth, int wideWidth, int offset)
    {
        if (partWidth < 0 || offset < 0 || offset + partWidth > wideWidth)
            throw new ArgumentOutOfRangeException(nameof(offset), $"Columns {offset}…{offset + partWidth - 1} are outside rows of {wideWidth}.");
    }
}
