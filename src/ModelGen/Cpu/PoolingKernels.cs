using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ModelGen.Cpu;

/// <summary>
/// Geometry of 2-D max or average pooling over NCHW input <c>[Batch, Channels, InHeight, InWidth]</c>
/// to <c>[Batch, Channels, OutHeight, OutWidth]</c>, each channel pooled on its own.
/// </summary>
/// <remarks>
/// Output sizes are <c>⌊(in + padBefore + padAfter − kernel) / stride⌋ + 1</c> (PyTorch's floor
/// mode). Each padding must be smaller than the kernel along its axis, so every window holds at
/// least one input element. A pooling layer whose stride equals its kernel (PyTorch's default)
/// passes the kernel size as the stride.
/// </remarks>
public readonly struct Pool2dShape
{
    /// <summary>Creates and validates the geometry.</summary>
    /// <param name="batch">Samples (N).</param>
    /// <param name="channels">Channels (C).</param>
    /// <param name="inHeight">Input height.</param>
    /// <param name="inWidth">Input width.</param>
    /// <param name="kernelHeight">Window height.</param>
    /// <param name="kernelWidth">Window width.</param>
    /// <param name="strideHeight">Vertical step between windows.</param>
    /// <param name="strideWidth">Horizontal step between windows.</param>
    /// <param name="padTop">Padding rows above (−∞ for max pooling, 0 for average pooling).</param>
    /// <param name="padBottom">Padding rows below.</param>
    /// <param name="padLeft">Padding columns left.</param>
    /// <param name="padRight">Padding columns right.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or stride is not positive, a padding is negative or not smaller than the kernel, or the output would be empty.</exception>
    public Pool2dShape(int batch, int channels, int inHeight, int inWidth, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int padTop = 0, int padBottom = 0, int padLeft = 0, int padRight = 0)
    {
        Conv2dShape.Positive(batch, nameof(batch));
        Conv2dShape.Positive(channels, nameof(channels));
        Conv2dShape.Positive(inHeight, nameof(inHeight));
        Conv2dShape.Positive(inWidth, nameof(inWidth));
        Conv2dShape.Positive(kernelHeight, nameof(kernelHeight));
        Conv2dShape.Positive(kernelWidth, nameof(kernelWidth));
        Conv2dShape.Positive(strideHeight, nameof(strideHeight));
        Conv2dShape.Positive(strideWidth, nameof(strideWidth));
        CheckPadding(padTop, kernelHeight, nameof(padTop));
        CheckPadding(padBottom, kernelHeight, nameof(padBottom));
        CheckPadding(padLeft, kernelWidth, nameof(padLeft));
        CheckPadding(padRight, kernelWidth, nameof(padRight));
        Batch = batch; Channels = channels; InHeight = inHeight; InWidth = inWidth;
        KernelHeight = kernelHeight; KernelWidth = kernelWidth; StrideHeight = strideHeight; StrideWidth = strideWidth;
        PadTop = padTop; PadBottom = padBottom; PadLeft = padLeft; PadRight = padRight;
        OutHeight = Conv2dShape.OutputSize(inHeight, kernelHeight, strideHeight, padTop, padBottom, 1);
        OutWidth = Conv2dShape.OutputSize(inWidth, kernelWidth, strideWidth, padLeft, padRight, 1);
        if (OutHeight < 1 || OutWidth < 1)
            throw new ArgumentOutOfRangeException(nameof(kernelHeight), $"The {kernelHeight}×{kernelWidth} window does not fit the padded {inHeight}×{inWidth} input.");
        if ((long)inHeight * inWidth > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(inHeight), "An input plane must have fewer than 2³¹ elements (argmax indices are ints).");
    }

    /// <summary>Samples (N).</summary>
    public int Batch { get; }
    /// <summary>Channels (C).</summary>
    public int Channels { get; }
    /// <summary>Input height.</summary>
    public int InHeight { get; }
    /// <summary>Input width.</summary>
    public int InWidth { get; }
    /// <summary>Window height.</summary>
    public int KernelHeight { get; }
    /// <summary>Window width.</summary>
    public int KernelWidth { get; }
    /// <summary>Vertical step.</summary>
    public int StrideHeight { get; }
    /// <summary>Horizontal step.</summary>
    public int StrideWidth { get; }
    /// <summary>Padding rows above.</summary>
    public int PadTop { get; }
    /// <summary>Padding rows below.</summary>
    public int PadBottom { get; }
    /// <summary>Padding columns left.</summary>
    public int PadLeft { get; }
    /// <summary>Padding columns right.</summary>
    public int PadRight { get; }
    /// <summary>Output height.</summary>
    public int OutHeight { get; }
    /// <summary>Output width.</summary>
    public int OutWidth { get; }
    /// <summary>Elements of the input, <c>N·C·InHeight·InWidth</c>.</summary>
    public long InputElements => (long)Batch * Channels * InHeight * InWidth;
    /// <summary>Elements of the output (and of the argmax buffer), <c>N·C·OutHeight·OutWidth</c>.</summary>
    public long OutputElements => (long)Batch * Channels * OutHeight * OutWidth;

    private static void CheckPadding(int pad, int kernel, string name)
    {
        if (pad < 0 || pad >= kernel)
            throw new ArgumentOutOfRangeException(name, pad, $"'{name}' must be in 0…{kernel - 1} (smaller than the window) so that every window covers some input.");
    }
}

/// <summary>
/// Max, average and global average pooling over NCHW buffers (layouts in <see cref="Pool2dShape"/>).
/// Forward overwrites its output; backward adds into the input gradient.
/// </summary>
public static unsafe class PoolingKernels
{
    /// <summary>
    /// Max pooling: each output is the largest input in its window (padding never wins). A NaN in a
    /// window wins, so NaNs propagate; among equal maxima the first in row-major order wins.
    /// </summary>
    /// <param name="shape">The geometry.</param>
    /// <param name="x">Input <c>[N, C, H, W]</c>.</param>
    /// <param name="y">Output <c>[N, C, OH, OW]</c>.</param>
    /// <param name="argmax">
    /// Receives, per output element (<c>[N, C, OH, OW]</c>, ints), the position <c>h·W + w</c> of the
    /// winning input within its own channel plane: what <see cref="MaxBackward{T}"/> needs. Null at
    /// inference.
    /// </param>
    public static void MaxForward<T>(in Pool2dShape shape, T* x, T* y, int* argmax)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long planes = (long)shape.Batch * shape.Channels;
        int parts = Parts(planes, shape.InputElements);
        if (parts == 1)
        {
            MaxForwardPlanes(in shape, x, y, argmax, 0, planes);
            return;
        }
        var job = MaxPoolJob<T>.ForThisThread();
        job.Set(in shape, x, y, argmax, null, backward: false, parts);
        CpuParallel.Run(job, parts);
        job.Clear();
    }

    /// <summary>
    /// How many parts to split <paramref name="planes"/> planes into: a few per thread once the
    /// input is large enough to repay waking the workers, else one. Each plane is computed whole by
    /// one thread, so the split never changes results.
    /// </summary>
    private static int Parts(long planes, long elements)
    {
        const long ParallelElements = 1L << 15;
        int threads = CpuParallel.ThreadCount;
        if (threads == 1 || elements < ParallelElements) return 1;
        return (int)Math.Min(planes, 4L * threads);
    }

    private static void MaxForwardPlanes<T>(in Pool2dShape shape, T* x, T* y, int* argmax, long firstPlane, long endPlane)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (IsPairwise(in shape) && Vector128<T>.IsSupported)
        {
            MaxForwardPairs(in shape, x, y, argmax, firstPlane, endPlane);
            return;
        }
        int h = shape.InHeight, w = shape.InWidth, oh = shape.OutHeight, ow = shape.OutWidth;
        for (long plane = firstPlane; plane < endPlane; plane++)
        {
            T* src = x + plane * h * w;
            long outBase = plane * oh * ow;
            for (int i = 0; i < oh; i++)
            {
                Window(i, shape.StrideHeight, shape.PadTop, shape.KernelHeight, h, out int r0, out int r1);
                for (int j = 0; j < ow; j++)
                {
                    Window(j, shape.StrideWidth, shape.PadLeft, shape.KernelWidth, w, out int c0, out int c1);
                    int best = r0 * w + c0;
                    T max = Vector128<T>.IsSupported ? MaxVector(src, w, r0, r1, c0, c1, ref best) : MaxScalar(src, w, r0, r1, c0, c1, ref best);
                    y[outBase + i * ow + j] = max;
                    if (argmax != null) argmax[outBase + i * ow + j] = best;
                }
            }
        }
    }

    /// <summary>2×2 windows at stride 2 without padding (LeNet's and most CNNs' pooling): every window lies inside the input.</summary>
    private static bool IsPairwise(in Pool2dShape s)
        => s.KernelHeight == 2 && s.KernelWidth == 2 && s.StrideHeight == 2 && s.StrideWidth == 2
           && s.PadTop == 0 && s.PadBottom == 0 && s.PadLeft == 0 && s.PadRight == 0;

    /// <summary>
    /// <see cref="MaxForwardPlanes"/> for <see cref="IsPairwise"/> windows, the four candidates taken in row-major order
    /// with the rule of <see cref="MaxVector"/>, without the general window's bounds and loops.
    /// </summary>
    private static void MaxForwardPairs<T>(in Pool2dShape shape, T* x, T* y, int* argmax, long firstPlane, long endPlane)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && Avx2.IsSupported)
        {
            MaxForwardPairs8(in shape, (float*)x, (float*)y, argmax, firstPlane, endPlane);
            return;
        }
        int h = shape.InHeight, w = shape.InWidth, oh = shape.OutHeight, ow = shape.OutWidth;
        for (long plane = firstPlane; plane < endPlane; plane++)
        {
            T* src = x + plane * h * w;
            long outBase = plane * oh * ow;
            for (int i = 0; i < oh; i++)
            {
                int top = 2 * i * w;
                T* r0 = src + top, r1 = r0 + w;
                T* yRow = y + outBase + (long)i * ow;
                int* aRow = argmax == null ? null : argmax + outBase + (long)i * ow;
                for (int j = 0; j < ow; j++)
                {
                    int k = 2 * j;
                    var max = Vector128.CreateScalarUnsafe(r0[k]);
                    int at = top + k;
                    Take(ref max, ref at, r0[k + 1], top + k + 1);
                    Take(ref max, ref at, r1[k], top + w + k);
                    Take(ref max, ref at, r1[k + 1], top + w + k + 1);
                    yRow[j] = max.ToScalar();
                    if (aRow != null) aRow[j] = at;
                }
            }
        }
    }

    /// <summary>
    /// <see cref="MaxForwardPairs"/> for floats, eight windows of a row at once: two rows of sixteen inputs are split
    /// into their even and odd columns, and the four candidates are taken in the same order with the same rule, so
    /// the maxima and positions are those of the one-window code. A last partial group computes all eight lanes
    /// and stores its own; a group whose loads would pass the end of the input takes the one-window code.
    /// </summary>
    private static void MaxForwardPairs8(in Pool2dShape shape, float* x, float* y, int* argmax, long firstPlane, long endPlane)
    {
        int h = shape.InHeight, w = shape.InWidth, oh = shape.OutHeight, ow = shape.OutWidth;
        float* limit = x + shape.InputElements;
        var evenColumns = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
        float* maxLanes = stackalloc float[8];
        int* atLanes = stackalloc int[8];
        for (long plane = firstPlane; plane < endPlane; plane++)
        {
            float* src = x + plane * h * w;
            long outBase = plane * oh * ow;
            for (int i = 0; i < oh; i++)
            {
                int top = 2 * i * w;
                float* r0 = src + top, r1 = r0 + w;
                float* yRow = y + outBase + (long)i * ow;
                int* aRow = argmax == null ? null : argmax + outBase + (long)i * ow;
                for (int j = 0; j < ow; j += 8)
                {
                    int k = 2 * j;
                    if (r1 + k + 16 > limit)
                    {
                        for (; j < ow; j++, k += 2)
                        {
                            var one = Vector128.CreateScalarUnsafe(r0[k]);
                            int best = top + k;
                            Take(ref one, ref best, r0[k + 1], top + k + 1);
                            Take(ref one, ref best, r1[k], top + w + k);
                            Take(ref one, ref best, r1[k + 1], top + w + k + 1);
                            yRow[j] = one.ToScalar();
                            if (aRow != null) aRow[j] = best;
                        }
                        break;
                    }
                    Split(r0 + k, out var even0, out var odd0);
                    Split(r1 + k, out var even1, out var odd1);
                    var position = Vector256.Create(top + k) + evenColumns;
                    var max = even0;
                    var at = position;
                    Take8(ref max, ref at, odd0, position + Vector256<int>.One);
                    Take8(ref max, ref at, even1, position + Vector256.Create(w));
                    Take8(ref max, ref at, odd1, position + Vector256.Create(w + 1));
                    int count = Math.Min(8, ow - j);
                    if (count == 8)
                    {
                        max.Store(yRow + j);
                        if (aRow != null) at.Store(aRow + j);
                        continue;
                    }
                    max.Store(maxLanes);
                    at.Store(atLanes);
                    for (int l = 0; l < count; l++)
                    {
                        yRow[j + l] = maxLanes[l];
                        if (aRow != null) aRow[j + l] = atLanes[l];
                    }
                }
            }
        }
    }

    /// <summary>Sixteen consecutive floats as their eight even-indexed and eight odd-indexed ones, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Split(float* source, out Vector256<float> even, out Vector256<float> odd)
    {
        var a = Avx.LoadVector256(source);
        var b = Avx.LoadVector256(source + 8);
        // Within 128-bit lanes: a0 a2 b0 b2 | a4 a6 b4 b6; the 64-bit permute restores the order.
        even = Avx2.Permute4x64(Avx.Shuffle(a, b, 0b10_00_10_00).AsDouble(), 0b11_01_10_00).AsSingle();
        odd = Avx2.Permute4x64(Avx.Shuffle(a, b, 0b11_01_11_01).AsDouble(), 0b11_01_10_00).AsSingle();
    }

    /// <summary><see cref="Take{T}"/> on eight windows at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take8(ref Vector256<float> max, ref Vector256<int> at, Vector256<float> value, Vector256<int> position)
    {
        var take = Vector256.GreaterThan(value, max) | (Vector256.Equals(max, max) & ~Vector256.Equals(value, value));
        at = Vector256.ConditionalSelect(take.AsInt32(), position, at);
        max = Vector256.ConditionalSelect(take, value, max);
    }

    /// <summary>One step of <see cref="MaxVector"/>: <paramref name="value"/> at <paramref name="position"/> wins if greater, or NaN while the maximum is not.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take<T>(ref Vector128<T> max, ref int at, T value, int position) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var v = Vector128.CreateScalarUnsafe(value);
        var take = Vector128.GreaterThan(v, max) | (Vector128.Equals(max, max) & ~Vector128.Equals(v, v));
        at ^= (at ^ position) & take.AsInt32().ToScalar();
        max = Vector128.ConditionalSelect(take, v, max);
    }

    /// <summary>
    /// The window's maximum and its first position (<paramref name="best"/> starts at the window's
    /// first element): a later element wins if it is greater, or NaN while the maximum is not.
    /// Written with one-lane vector compares and selects because which element wins depends on the
    /// data, and the branches a scalar comparison compiles to mispredict about once per window,
    /// which costs several times the rest of the loop.
    /// </summary>
    private static T MaxVector<T>(T* src, int w, int r0, int r1, int c0, int c1, ref int best)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var max = Vector128.CreateScalarUnsafe(src[best]);
        int at = best;
        for (int r = r0; r < r1; r++)
        for (int c = c0; c < c1; c++)
        {
            int k = r * w + c;
            var v = Vector128.CreateScalarUnsafe(src[k]);
            var take = Vector128.GreaterThan(v, max) | (Vector128.Equals(max, max) & ~Vector128.Equals(v, v));
            // Lane 0 of the mask is all ones or all zeros, so its low 32 bits select the index.
            at ^= (at ^ k) & take.AsInt32().ToScalar();
            max = Vector128.ConditionalSelect(take, v, max);
        }
        best = at;
        return max.ToScalar();
    }

    /// <summary>The same rule as <see cref="MaxVector"/> for element types without vector support.</summary>
    private static T MaxScalar<T>(T* src, int w, int r0, int r1, int c0, int c1, ref int best)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = src[best];
        for (int r = r0; r < r1; r++)
        for (int c = c0; c < c1; c++)
        {
            T v = src[r * w + c];
            if (v > max || (T.IsNaN(v) && !T.IsNaN(max)))
            {
                max = v;
                best = r * w + c;
            }
        }
        return max;
    }

    /// <summary>
    /// Routes each output gradient to the input that won its window:
    /// <c>dx[n, c, argmax] += dy[n, c, i, j]</c>. Overlapping windows add up.
    /// </summary>
    /// <param name="shape">The geometry.</param>
    /// <param name="dy">Output gradient <c>[N, C, OH, OW]</c>.</param>
    /// <param name="argmax">The indices <see cref="MaxForward{T}"/> stored.</param>
    /// <param name="dx">Input gradient <c>[N, C, H, W]</c>, added to.</param>
    public static void MaxBackward<T>(in Pool2dShape shape, T* dy, int* argmax, T* dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long planes = (long)shape.Batch * shape.Channels;
        int parts = Parts(planes, shape.InputElements);
        if (parts == 1)
        {
            MaxBackwardPlanes(in shape, dy, argmax, dx, 0, planes);
            return;
        }
        var job = MaxPoolJob<T>.ForThisThread();
        job.Set(in shape, dy, null, argmax, dx, backward: true, parts);
        CpuParallel.Run(job, parts);
        job.Clear();
    }

    private static void MaxBackwardPlanes<T>(in Pool2dShape shape, T* dy, int* argmax, T* dx, long firstPlane, long endPlane)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long planeIn = (long)shape.InHeight * shape.InWidth;
        int planeOut = shape.OutHeight * shape.OutWidth;
        for (long plane = firstPlane; plane < endPlane; plane++)
        {
            T* d = dx + plane * planeIn;
            long o = plane * planeOut;
            for (int k = 0; k < planeOut; k++) d[argmax[o + k]] += dy[o + k];
        }
    }

    /// <summary>
    /// Average pooling. With <paramref name="countIncludePad"/> true each window's sum is divided by
    /// KH·KW, the padding counting as zeros (PyTorch's default, <c>count_include_pad=True</c>; with
    /// floor-mode sizes no window reaches past the padding, so the divisor is always KH·KW); with it
    /// false, by the number of real inputs in the window.
    /// </summary>
    /// <param name="shape">The geometry.</param>
    /// <param name="x">Input <c>[N, C, H, W]</c>.</param>
    /// <param name="y">Output <c>[N, C, OH, OW]</c>.</param>
    /// <param name="countIncludePad">Whether padded positions count in the divisor.</param>
    public static void AvgForward<T>(in Pool2dShape shape, T* x, T* y, bool countIncludePad)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = shape.InHeight, w = shape.InWidth, oh = shape.OutHeight, ow = shape.OutWidth;
        long planes = (long)shape.Batch * shape.Channels;
        T full = T.CreateTruncating(shape.KernelHeight * shape.KernelWidth);
        for (long plane = 0; plane < planes; plane++)
        {
            T* src = x + plane * h * w;
            T* dst = y + plane * oh * ow;
            for (int i = 0; i < oh; i++)
            {
                Window(i, shape.StrideHeight, shape.PadTop, shape.KernelHeight, h, out int r0, out int r1);
                for (int j = 0; j < ow; j++)
                {
                    Window(j, shape.StrideWidth, shape.PadLeft, shape.KernelWidth, w, out int c0, out int c1);
                    T sum = T.Zero;
                    for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++)
                        sum += src[r * w + c];
                    dst[i * ow + j] = sum / (countIncludePad ? full : T.CreateTruncating((r1 - r0) * (c1 - c0)));
                }
            }
        }
    }

    /// <summary>
    /// Back-propagates average pooling: every real input of a window gets the window's output
    /// gradient divided by the same divisor as forward. Adds into <paramref name="dx"/>.
    /// </summary>
    /// <param name="shape">The geometry.</param>
    /// <param name="dy">Output gradient <c>[N, C, OH, OW]</c>.</param>
    /// <param name="dx">Input gradient <c>[N, C, H, W]</c>, added to.</param>
    /// <param name="countIncludePad">The same flag forward used.</param>
    public static void AvgBackward<T>(in Pool2dShape shape, T* dy, T* dx, bool countIncludePad)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = shape.InHeight, w = shape.InWidth, oh = shape.OutHeight, ow = shape.OutWidth;
        long planes = (long)shape.Batch * shape.Channels;
        T full = T.CreateTruncating(shape.KernelHeight * shape.KernelWidth);
        for (long plane = 0; plane < planes; plane++)
        {
            T* dst = dx + plane * h * w;
            T* src = dy + plane * oh * ow;
            for (int i = 0; i < oh; i++)
            {
                Window(i, shape.StrideHeight, shape.PadTop, shape.KernelHeight, h, out int r0, out int r1);
                for (int j = 0; j < ow; j++)
                {
                    Window(j, shape.StrideWidth, shape.PadLeft, shape.KernelWidth, w, out int c0, out int c1);
                    T g = src[i * ow + j] / (countIncludePad ? full : T.CreateTruncating((r1 - r0) * (c1 - c0)));
                    for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++)
                        dst[r * w + c] += g;
                }
            }
        }
    }

    /// <summary>Global average pooling: <c>y[n, c] = mean over the <paramref name="spatial"/> elements of x[n, c, …]</c>.</summary>
    /// <param name="x">Input <c>[batch, channels, spatial]</c> (spatial = H·W for images).</param>
    /// <param name="y">Output <c>[batch, channels]</c>.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="channels">Channels.</param>
    /// <param name="spatial">Elements per channel.</param>
    public static void GlobalAvgForward<T>(T* x, T* y, int batch, int channels, int spatial)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long planes = (long)batch * channels;
        T count = T.CreateTruncating(spatial);
        for (long p = 0; p < planes; p++)
        {
            T* src = x + p * spatial;
            T sum = T.Zero;
            for (int k = 0; k < spatial; k++) sum += src[k];
            y[p] = sum / count;
        }
    }

    /// <summary>Back-propagates global average pooling: <c>dx[n, c, k] += dy[n, c] / spatial</c>.</summary>
    /// <param name="dy">Output gradient <c>[batch, channels]</c>.</param>
    /// <param name="dx">Input gradient <c>[batch, channels, spatial]</c>, added to.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="channels">Channels.</param>
    /// <param name="spatial">Elements per channel.</param>
    public static void GlobalAvgBackward<T>(T* dy, T* dx, int batch, int channels, int spatial)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long planes = (long)batch * channels;
        T count = T.CreateTruncating(spatial);
        for (long p = 0; p < planes; p++)
        {
            T g = dy[p] / count;
            T* dst = dx + p * spatial;
            for (int k = 0; k < spatial; k++) dst[k] += g;
        }
    }

    /// <summary>The input rows (or columns) lo ≤ r &lt; hi of window <paramref name="index"/>, clipped to the unpadded input.</summary>
    private static void Window(int index, int stride, int pad, int kernel, int size, out int lo, out int hi)
    {
        int start = index * stride - pad;
        lo = Math.Max(start, 0);
        hi = Math.Min(start + kernel, size);
    }

    /// <summary>A range of planes of max pooling's forward or backward per part; each calling thread owns one, filled per call.</summary>
    private sealed class MaxPoolJob<T> : CpuParallel.Work where T : unmanaged, IFloatingPointIeee754<T>
    {
        [ThreadStatic] private static MaxPoolJob<T>? t_job;

        public static MaxPoolJob<T> ForThisThread() => t_job ??= new MaxPoolJob<T>();

        private Pool2dShape _shape;
        private T* _source, _y, _dx;
        private int* _argmax;
        private bool _backward;
        private int _parts;

        /// <summary>Forward reads <paramref name="source"/> = x and writes y; backward reads source = dy and adds into dx.</summary>
        public void Set(in Pool2dShape shape, T* source, T* y, int* argmax, T* dx, bool backward, int parts)
        {
            _shape = shape;
            _source = source; _y = y; _argmax = argmax; _dx = dx;
            _backward = backward;
            _parts = parts;
        }

        /// <summary>Drops the pointers so a stale job cannot touch a buffer the caller freed.</summary>
        public void Clear()
        {
            _source = _y = _dx = null;
            _argmax = null;
        }

        public override void Execute(int part)
        {
            long planes = (long)_shape.Batch * _shape.Channels;
            long first = planes * part / _parts, end = planes * (part + 1) / _parts;
            if (_backward) MaxBackwardPlanes(in _shape, _source, _argmax, _dx, first, end);
            else MaxForwardPlanes(in _shape, _source, _y, _argmax, first, end);
        }
    }
}
