using System;
using ModelGen.Cpu;
using Xunit;

namespace ModelGen.Tests.Cpu;

/// <summary>
/// The vector row copies of concatenation and embedding lookups against element-by-element definitions: widths below,
/// at and past one vector and not a multiple of it, strided rows, float and double.
/// </summary>
public unsafe class RowCopyKernelTests
{
    public static TheoryData<int> Widths() => new() { 1, 3, 7, 8, 9, 16, 17, 19, 33, 64, 65 };

    [Theory]
    [MemberData(nameof(Widths))]
    public void PlaceAndTake_CopyExactlyTheirColumns(int width)
    {
        Check<float>(width);
        Check<double>(width);
    }

    private static void Check<T>(int width) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        const int rows = 7, offset = 5, spare = 3;
        int wide = offset + width + spare;
        T[] part = TestData.Random<T>(rows * width, seed: width);
        T[] target = TestData.Random<T>(rows * wide, seed: 100 + width);
        T[] expected = (T[])target.Clone();
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < width; j++) expected[r * wide + offset + j] = part[r * width + j];
        fixed (T* pp = part, pt = target) ConcatKernels.Place(pp, width, pt, wide, offset, rows);
        TestData.AssertBitwiseEqual(expected, target, $"Place, width {width}");

        var back = new T[rows * width];
        fixed (T* pb = back, pt = target) ConcatKernels.Take(pt, wide, offset, pb, width, rows);
        TestData.AssertBitwiseEqual(part, back, $"Take, width {width}");
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void EmbeddingForward_StridedRows_CopyTheTableRows(int dimension)
    {
        const int vocabulary = 11, count = 9, fields = 3, yStride = 2 * 64 + 70;
        float[] table = TestData.Random<float>(vocabulary * dimension, seed: dimension);
        var ids = new float[count * fields];
        for (int i = 0; i < ids.Length; i++) ids[i] = (i * 7) % vocabulary;
        float[] y = TestData.Random<float>(count * yStride, seed: 50);
        float[] expected = (float[])y.Clone();
        const int field = 1, column = 4;
        for (int i = 0; i < count; i++)
            for (int j = 0; j < dimension; j++) expected[i * yStride + column + j] = table[(int)ids[i * fields + field] * dimension + j];
        fixed (float* pi = ids, pt = table, py = y)
            EmbeddingKernels.Forward(pi + field, fields, pt, py + column, yStride, count, vocabulary, dimension);
        TestData.AssertBitwiseEqual(expected, y, $"embedding rows of {dimension}");
    }

    [Fact]
    public void CopyRows_OverlappingRanges_MoveLikeABlockCopy()
    {
        // Never made by the generated code, but a copy must still be a copy: rows shifted within one buffer.
        float[] buffer = TestData.Random<float>(200, seed: 9);
        float[] expected = (float[])buffer.Clone();
        for (int r = 0; r < 4; r++) Array.Copy(buffer, r * 20, expected, r * 20 + 3, 17);
        fixed (float* p = buffer) ConcatKernels.CopyRows(p, 20, p + 3, 20, 17, 4);
        TestData.AssertBitwiseEqual(expected, buffer, "overlapping rows");
    }
}
