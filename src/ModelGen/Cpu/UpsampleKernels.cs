using System;
using System.Numerics;

namespace ModelGen.Cpu;

/// <summary>
/// Upsampling of <c>planes</c> channel planes (batch × channels) of <c>inHeight × inWidth</c> by whole factors, to
/// <c>inHeight·scaleHeight × inWidth·scaleWidth</c>, with PyTorch's coordinate rules (<c>nn.Upsample</c> with
/// <c>scale_factor</c>). Forward overwrites its output; backward adds into the input gradient (and does nothing when it is null).
/// </summary>
public static unsafe class UpsampleKernels
{
    /// <summary>Nearest: output pixel (i, j) copies input pixel (⌊i / scaleHeight⌋, ⌊j / scaleWidth⌋).</summary>
    public static void NearestForward<T>(T* x, T* y, long planes, int inHeight, int inWidth, int scaleHeight, int scaleWidth)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outWidth = inWidth * scaleWidth;
        long inPlane = (long)inHeight * inWidth, outPlane = inPlane * scaleHeight * scaleWidth;
        for (long plane = 0; plane < planes; plane++)
        {
            T* src = x + plane * inPlane;
            T* dst = y + plane * outPlane;
            for (int i = 0; i < inHeight; i++)
            {
                T* row = dst + (long)i * scaleHeight * outWidth;
                for (int j = 0; j < inWidth; j++)
                {
                    T value = src[(long)i * inWidth + j];
                    for (int b = 0; b < scaleWidth; b++) row[(long)j * scaleWidth + b] = value;
                }
                // The other rows of the block repeat the first.
                for (int a = 1; a < scaleHeight; a++)
                    new ReadOnlySpan<T>(row, outWidth).CopyTo(new Span<T>(row + (long)a * outWidth, outWidth));
            }
        }
    }

    /// <summary>Back through <see cref="NearestForward{T}"/>: each input pixel gathers the gradient of its scaleHeight × scaleWidth block.</summary>
    public static void NearestBackward<T>(T* dy, T* dx, long planes, int inHeight, int inWidth, int scaleHeight, int scaleWidth)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (dx == null) return;
        int outWidth = inWidth * scaleWidth;
        long inPlane = (long)inHeight * inWidth, outPlane = inPlane * scaleHeight * scaleWidth;
        for (long plane = 0; plane < planes; plane++)
        {
            T* src = dy + plane * outPlane;
            T* dst = dx + plane * inPlane;
            for (int i = 0; i < inHeight; i++)
            for (int j = 0; j < inWidth; j++)
            {
                T sum = T.Zero;
                for (int a = 0; a < scaleHeight; a++)
                {
                    T* block = src + ((long)i * scaleHeight + a) * outWidth + (long)j * scaleWidth;
                    for (int b = 0; b < scaleWidth; b++) sum += block[b];
                }
                dst[(long)i * inWidth + j] += sum;
            }
        }
    }

    /// <summary>
    /// Bilinear: output pixel (i, j) interpolates the four input pixels around its source point. With
    /// <paramref name="alignCorners"/> the source of row i is <c>i·(H − 1)/(H·s − 1)</c> (corners coincide); without, it is
    /// <c>max(0, (i + ½)/s − ½)</c> (pixel centres scale), the last row and column repeating at the edge.
    /// </summary>
    public static void BilinearForward<T>(T* x, T* y, long planes, int inHeight, int inWidth, int scaleHeight, int scaleWidth, bool alignCorners)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outHeight = inHeight * scaleHeight, outWidth = inWidth * scaleWidth;
        long inPlane = (long)inHeight * inWidth, outPlane = (long)outHeight * outWidth;
        for (long plane = 0; plane < planes; plane++)
        {
            T* src = x + plane * inPlane;
            T* dst = y + plane * outPlane;
            for (int i = 0; i < outHeight; i++)
            {
                Source(i, inHeight, outHeight, scaleHeight, alignCorners, out int r0, out int r1, out double rowWeight);
                T wr1 = T.CreateTruncating(rowWeight), wr0 = T.One - wr1;
                for (int j = 0; j < outWidth; j++)
                {
                    Source(j, inWidth, outWidth, scaleWidth, alignCorners, out int c0, out int c1, out double colWeight);
                    T wc1 = T.CreateTruncating(colWeight), wc0 = T.One - wc1;
                    T* top = src + (long)r0 * inWidth;
                    T* bottom = src + (long)r1 * inWidth;
                    dst[(long)i * outWidth + j] = wr0 * (wc0 * top[c0] + wc1 * top[c1]) + wr1 * (wc0 * bottom[c0] + wc1 * bottom[c1]);
                }
            }
        }
    }

    /// <summary>Back through <see cref="BilinearForward{T}"/>: each output gradient goes to its four input pixels with the same weights.</summary>
    public static void BilinearBackward<T>(T* dy, T* dx, long planes, int inHeight, int inWidth, int scaleHeight, int scaleWidth, bool alignCorners)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (dx == null) return;
        int outHeight = inHeight * scaleHeight, outWidth = inWidth * scaleWidth;
        long inPlane = (long)inHeight * inWidth, outPlane = (long)outHeight * outWidth;
        for (long plane = 0; plane < planes; plane++)
        {
            T* src = dy + plane * outPlane;
            T* dst = dx + plane * inPlane;
            for (int i = 0; i < outHeight; i++)
            {
                Source(i, inHeight, outHeight, scaleHeight, alignCorners, out int r0, out int r1, out double rowWeight);
                T wr1 = T.CreateTruncating(rowWeight), wr0 = T.One - wr1;
                for (int j = 0; j < outWidth; j++)
                {
                    Source(j, inWidth, outWidth, scaleWidth, alignCorners, out int c0, out int c1, out double colWeight);
                    T wc1 = T.CreateTruncating(colWeight), wc0 = T.One - wc1;
                    T g = src[(long)i * outWidth + j];
                    T* top = dst + (long)r0 * inWidth;
                    T* bottom = dst + (long)r1 * inWidth;
                    top[c0] += wr0 * wc0 * g;
                    top[c1] += wr0 * wc1 * g;
                    bottom[c0] += wr1 * wc0 * g;
                    bottom[c1] += wr1 * wc1 * g;
                }
            }
        }
    }

    /// <summary>The two input indices around output index <paramref name="index"/> and the weight of the second.</summary>
    private static void Source(int index, int inSize, int outSize, int scale, bool alignCorners, out int first, out int second, out double weight)
    {
        double position = alignCorners
            ? (outSize > 1 ? index * (double)(inSize - 1) / (outSize - 1) : 0)
            : Math.Max(0, (index + 0.5) / scale - 0.5);
        first = Math.Min((int)position, inSize - 1);
        second = Math.Min(first + 1, inSize - 1);
        weight = position - first;
    }
}
