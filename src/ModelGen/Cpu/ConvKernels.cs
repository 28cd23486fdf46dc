using System;
using System.Numerics;

namespace ModelGen.Cpu;

/// <summary>
/// Geometry of a 2-D convolution (or of a 1-D one, as a 2-D one of height 1): batch-first NCHW
/// input <c>[Batch, InChannels, InHeight, InWidth]</c>, weights
/// <c>[OutChannels, InChannels / Groups, KernelHeight, KernelWidth]</c> (PyTorch's layout), bias
/// <c>[OutChannels]</c>, output <c>[Batch, OutChannels, OutHeight, OutWidth]</c>.
/// </summary>
/// <remarks>
/// Padding is explicit per side (zeros); a 'same' convolution gets its padding from
/// <see cref="SamePadding"/>. Output sizes are
/// <c>⌊(in + padBefore + padAfter − dilation·(kernel − 1) − 1) / stride⌋ + 1</c>. Everything is
/// validated once here, so the kernels taking the shape do not check again.
/// </remarks>
public readonly struct Conv2dShape
{
    /// <summary>Creates and validates the geometry of a 2-D convolution.</summary>
    /// <param name="batch">Samples in the batch (N).</param>
    /// <param name="inChannels">Input channels (C); divisible by <paramref name="groups"/>.</param>
    /// <param name="inHeight">Input height (H).</param>
    /// <param name="inWidth">Input width (W).</param>
    /// <param name="outChannels">Output channels; divisible by <paramref name="groups"/>.</param>
    /// <param name="kernelHeight">Kernel height.</param>
    /// <param name="kernelWidth">Kernel width.</param>
    /// <param name="strideHeight">Vertical stride.</param>
    /// <param name="strideWidth">Horizontal stride.</param>
    /// <param name="padTop">Zero rows added above the input.</param>
    /// <param name="padBottom">Zero rows added below the input.</param>
    /// <param name="padLeft">Zero columns added left of the input.</param>
    /// <param name="padRight">Zero columns added right of the input.</param>
    /// <param name="dilationHeight">Vertical spacing of kernel taps.</param>
    /// <param name="dilationWidth">Horizontal spacing of kernel taps.</param>
    /// <param name="groups">Channel groups: group g maps input channels g·C/G … (g+1)·C/G − 1 to output channels g·OC/G … (g+1)·OC/G − 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size, stride or dilation is not positive, a padding is negative, the groups do not divide the channels, the output would be empty, or a buffer would exceed 2³¹ − 1 elements per GEMM dimension.</exception>
    public Conv2dShape(int batch, int inChannels, int inHeight, int inWidth, int outChannels, int kernelHeight, int kernelWidth,
        int strideHeight = 1, int strideWidth = 1, int padTop = 0, int padBottom = 0, int padLeft = 0, int padRight = 0,
        int dilationHeight = 1, int dilationWidth = 1, int groups = 1)
    {
        Positive(batch, nameof(batch));
        Positive(inChannels, nameof(inChannels));
        Positive(inHeight, nameof(inHeight));
        Positive(inWidth, nameof(inWidth));
        Positive(outChannels, nameof(outChannels));
        Positive(kernelHeight, nameof(kernelHeight));
        Positive(kernelWidth, nameof(kernelWidth));
        Positive(strideHeight, nameof(strideHeight));
        Positive(strideWidth, nameof(strideWidth));
        Positive(dilationHeight, nameof(dilationHeight));
        Positive(dilationWidth, nameof(dilationWidth));
        Positive(groups, nameof(groups));
        NonNegative(padTop, nameof(padTop));
        NonNegative(padBottom, nameof(padBottom));
        NonNegative(padLeft, nameof(padLeft));
        NonNegative(padRight, nameof(padRight));
        if (inChannels % groups != 0)
            throw new ArgumentOutOfRangeException(nameof(groups), groups, $"The {groups} groups do not divide the {inChannels} input channels.");
        if (outChannels % groups != 0)
            throw new ArgumentOutOfRangeException(nameof(groups), groups, $"The {groups} groups do not divide the {outChannels} output channels.");
        Batch = batch; InChannels = inChannels; InHeight = inHeight; InWidth = inWidth; OutChannels = outChannels;
        KernelHeight = kernelHeight; KernelWidth = kernelWidth; StrideHeight = strideHeight; StrideWidth = strideWidth;
        PadTop = padTop; PadBottom = padBottom; PadLeft = padLeft; PadRight = padRight;
        DilationHeight = dilationHeight; DilationWidth = dilationWidth; Groups = groups;
        OutHeight = OutputSize(inHeight, kernelHeight, strideHeight, padTop, padBottom, dilationHeight);
        OutWidth = OutputSize(inWidth, kernelWidth, strideWidth, padLeft, padRight, dilationWidth);
        if (OutHeight < 1 || OutWidth < 1)
            throw new ArgumentOutOfRangeException(nameof(kernelHeight), $"The dilated {kernelHeight}×{kernelWidth} kernel does not fit the padded {inHeight}×{inWidth} input: the output would be {OutHeight}×{OutWidth}.");
        // The GEMMs see the whole batch's output pixels as one dimension, and int is their index type.
        long columns = (long)batch * OutHeight * OutWidth;
        long rows = (long)(inChannels / groups) * kernelHeight * kernelWidth;
        if (columns > int.MaxValue || rows > int.MaxValue || rows * columns > long.MaxValue / 4)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, "The convolution is too large: batch × output pixels and the unfolded kernel size must each fit in an int.");
    }

    /// <summary>Samples in the batch (N).</summary>
    public int Batch { get; }
    /// <summary>Input channels (C).</summary>
    public int InChannels { get; }
    /// <summary>Input height (H).</summary>
    public int InHeight { get; }
    /// <summary>Input width (W).</summary>
    public int InWidth { get; }
    /// <summary>Output channels.</summary>
    public int OutChannels { get; }
    /// <summary>Kernel height.</summary>
    public int KernelHeight { get; }
    /// <summary>Kernel width.</summary>
    public int KernelWidth { get; }
    /// <summary>Vertical stride.</summary>
    public int StrideHeight { get; }
    /// <summary>Horizontal stride.</summary>
    public int StrideWidth { get; }
    /// <summary>Zero rows above the input.</summary>
    public int PadTop { get; }
    /// <summary>Zero rows below the input.</summary>
    public int PadBottom { get; }
    /// <summary>Zero columns left of the input.</summary>
    public int PadLeft { get; }
    /// <summary>Zero columns right of the input.</summary>
    public int PadRight { get; }
    /// <summary>Vertical spacing of kernel taps.</summary>
    public int DilationHeight { get; }
    /// <summary>Horizontal spacing of kernel taps.</summary>
    public int DilationWidth { get; }
    /// <summary>Channel groups.</summary>
    public int Groups { get; }
    /// <summary>Output height.</summary>
    public int OutHeight { get; }
    /// <summary>Output width.</summary>
    public int OutWidth { get; }

    /// <summary>Input channels per group (C / Groups).</summary>
    public int InChannelsPerGroup => InChannels / Groups;
    /// <summary>Output channels per group (OutChannels / Groups).</summary>
    public int OutChannelsPerGroup => OutChannels / Groups;
    /// <summary>Elements of the input, <c>N·C·H·W</c>.</summary>
    public long InputElements => (long)Batch * InChannels * InHeight * InWidth;
    /// <summary>Elements of the output, <c>N·OutChannels·OutHeight·OutWidth</c>.</summary>
    public long OutputElements => (long)Batch * OutChannels * OutHeight * OutWidth;
    /// <summary>Elements of the weights, <c>OutChannels·(C/Groups)·KernelHeight·KernelWidth</c>; the bias adds OutChannels more.</summary>
    public long WeightCount => (long)OutChannels * InChannelsPerGroup * KernelHeight * KernelWidth;

    /// <summary>
    /// The geometry of a 1-D convolution over <c>[batch, inChannels, length]</c> with weights
    /// <c>[outChannels, inChannels / groups, kernel]</c>: a 2-D one of height 1, whose buffers have
    /// exactly the 1-D layouts, so <see cref="ConvKernels"/> runs it unchanged.
    /// </summary>
    public static Conv2dShape Conv1d(int batch, int inChannels, int length, int outChannels, int kernel,
        int stride = 1, int padLeft = 0, int padRight = 0, int dilation = 1, int groups = 1)
        => new(batch, inChannels, 1, length, outChannels, 1, kernel, 1, stride, 0, 0, padLeft, padRight, 1, dilation, groups);

    /// <summary>
    /// <c>⌊(input + padBefore + padAfter − dilation·(kernel − 1) − 1) / stride⌋ + 1</c>, the output
    /// length along one axis of a convolution or pooling window; 0 or less when the window does not fit.
    /// </summary>
    public static int OutputSize(int input, int kernel, int stride, int padBefore, int padAfter, int dilation)
    {
        long span = (long)input + padBefore + padAfter - (long)dilation * (kernel - 1) - 1;
        // Floor division: C# truncates toward zero, which would turn a slightly negative span into output 1.
        return span < 0 ? 0 : (int)(span / stride + 1);
    }

    /// <summary>
    /// Padding for a 'same' convolution along one axis: the output has ⌈input / stride⌉ elements,
    /// and the total padding is split with the odd element after (<paramref name="after"/> ≥
    /// <paramref name="before"/>). With stride 1 this is PyTorch's <c>padding="same"</c>.
    /// </summary>
    public static void SamePadding(int input, int kernel, int stride, int dilation, out int before, out int after)
    {
        int output = (input + stride - 1) / stride;
        int total = Math.Max(0, (output - 1) * stride + dilation * (kernel - 1) + 1 - input);
        before = total / 2;
        after = total - before;
    }

    internal static void Positive(int value, string name)
    {
        if (value < 1) throw new ArgumentOutOfRangeException(name, value, $"'{name}' must be positive.");
    }

    internal static void NonNegative(int value, string name)
    {
        if (value < 0) throw new ArgumentOutOfRangeException(name, value, $"'{name}' must not be negative.");
    }
}

/// <summary>
/// 2-D (and 1-D) convolution by im2col and <see cref="Gemm.Multiply{T}"/>. Layouts and sizes are
/// those of <see cref="Conv2dShape"/>; backward adds into every gradient, like
/// <see cref="DenseKernels.Backward{T}"/>.
/// </summary>
/// <remarks>
/// Samples are independent, so the batch is split across <see cref="CpuParallel"/>'s threads by
/// sample: each sample is unfolded into its own block of the workspace and multiplied by the
/// weights straight into its NCHW output (a sample's <c>[OC, OH·OW]</c> block is exactly the
/// product's layout), so unfolding, folding and the products all run in parallel and nothing is
/// restaged. The weight gradient is summed per sample into the workspace and those partial sums
/// are added to it in sample order, so results are bit-identical for any thread count. The
/// scratch buffer of <see cref="WorkspaceSize"/> elements is passed in by the caller; its contents
/// need not survive from forward to backward (backward unfolds the input again), so one buffer
/// can serve every convolution of a model. No call allocates once each thread has run one.
/// </remarks>
public static unsafe class ConvKernels
{
    /// <summary>
    /// Elements of the scratch buffer that <see cref="Forward{T}"/> and <see cref="Backward{T}"/>
    /// need: every sample's unfolded input for one group, <c>N·(C/G)·KH·KW·OH·OW</c>, plus every
    /// sample's share of the weight gradient, <c>N·OC·(C/G)·KH·KW</c>.
    /// </summary>
    public static long WorkspaceSize(in Conv2dShape shape)
        => (long)shape.Batch * shape.InChannelsPerGroup * shape.KernelHeight * shape.KernelWidth
           * ((long)shape.OutHeight * shape.OutWidth + shape.OutChannels);

    /// <summary>Where sample <paramref name="sample"/>'s share of the weight gradient (<c>[OC, C/G, KH, KW]</c>) lies in the workspace.</summary>
    private static T* PartialSums<T>(in Conv2dShape s, T* workspace, int sample) where T : unmanaged
    {
        long unfolded = (long)s.Batch * s.InChannelsPerGroup * s.KernelHeight * s.KernelWidth * s.OutHeight * s.OutWidth;
        return workspace + unfolded + (long)sample * s.WeightCount;
    }

    /// <summary>
    /// <c>y[n, o, i, j] = bias[o] + Σ weights[o, c, p, q] · xpad[n, g·C/G + c, i·sh + p·dh, j·sw + q·dw]</c>
    /// with g the group of o and xpad the zero-padded input. Overwrites <paramref name="y"/>.
    /// </summary>
    /// <param name="shape">The geometry.</param>
    /// <param name="x">Input <c>[N, C, H, W]</c>.</param>
    /// <param name="weights">Weights <c>[OC, C/G, KH, KW]</c>.</param>
    /// <param name="bias">Bias <c>[OC]</c>, or null for none.</param>
    /// <param name="y">Output <c>[N, OC, OH, OW]</c> (must not alias x).</param>
    /// <param name="workspace">Scratch of <see cref="WorkspaceSize"/> elements.</param>
    public static void Forward<T>(in Conv2dShape shape, T* x, T* weights, T* bias, T* y, T* workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = ConvJob<T>.ForThisThread();
        job.Set(in shape, x, weights, bias, y, null, null, null, workspace, backward: false);
        CpuParallel.Run(job, shape.Batch);
        job.Clear();
    }

    /// <summary>
    /// Back-propagates <paramref name="dy"/> <c>[N, OC, OH, OW]</c>: adds to
    /// <paramref name="dWeights"/> <c>[OC, C/G, KH, KW]</c>, to <paramref name="dBias"/> <c>[OC]</c>
    /// (if not null) and to <paramref name="dx"/> <c>[N, C, H, W]</c> (if not null). Every gradient
    /// accumulates; none is overwritten.
    /// </summary>
    /// <param name="shape">The geometry.</param>
    /// <param name="x">The forward input <c>[N, C, H, W]</c>.</param>
    /// <param name="weights">Weights <c>[OC, C/G, KH, KW]</c>.</param>
    /// <param name="dy">Gradient of the output.</param>
    /// <param name="dx">Gradient of the input, or null when the input needs none (e.g. the first layer).</param>
    /// <param name="dWeights">Gradient of the weights, or null when it is not needed (a frozen layer).</param>
    /// <param name="dBias">Gradient of the bias, or null when there is no bias (or the layer is frozen).</param>
    /// <param name="workspace">Scratch of <see cref="WorkspaceSize"/> elements (contents from forward not needed).</param>
    public static void Backward<T>(in Conv2dShape shape, T* x, T* weights, T* dy, T* dx, T* dWeights, T* dBias, T* workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int pixels = shape.OutHeight * shape.OutWidth;
        if (dBias != null)
        {
            for (int o = 0; o < shape.OutChannels; o++)
            {
                T sum = T.Zero;
                for (int n = 0; n < shape.Batch; n++) sum += ElementwiseKernels.Sum(dy + ((long)n * shape.OutChannels + o) * pixels, pixels);
                dBias[o] += sum;
            }
        }
        if (dWeights == null && dx == null) return;

        var job = ConvJob<T>.ForThisThread();
        job.Set(in shape, x, weights, null, null, dy, dx, dWeights, workspace, backward: true);
        CpuParallel.Run(job, shape.Batch);
        job.Clear();
        // The samples' shares are added in sample order, whichever thread computed each.
        if (dWeights != null)
            for (int n = 0; n < shape.Batch; n++) ElementwiseKernels.AddInto(PartialSums(in shape, workspace, n), dWeights, shape.WeightCount);
    }

    /// <summary>One sample of a convolution's forward or backward per part, every group in turn; each calling thread owns one, filled per call.</summary>
    private sealed class ConvJob<T> : CpuParallel.Work where T : unmanaged, IFloatingPointIeee754<T>
    {
        [ThreadStatic] private static ConvJob<T>? t_job;

        public static ConvJob<T> ForThisThread() => t_job ??= new ConvJob<T>();

        private Conv2dShape _shape;
        private T* _x, _weights, _bias, _y, _dy, _dx, _dWeights, _workspace;
        private bool _backward;

        public void Set(in Conv2dShape shape, T* x, T* weights, T* bias, T* y, T* dy, T* dx, T* dWeights, T* workspace, bool backward)
        {
            _shape = shape;
            _x = x; _weights = weights; _bias = bias; _y = y; _dy = dy; _dx = dx; _dWeights = dWeights; _workspace = workspace;
            _backward = backward;
        }

        /// <summary>Drops the pointers so a stale job cannot touch a buffer the caller freed.</summary>
        public void Clear() => _x = _weights = _bias = _y = _dy = _dx = _dWeights = _workspace = null;

        public override void Execute(int part)
        {
            ref readonly Conv2dShape s = ref _shape;
            int pixels = s.OutHeight * s.OutWidth;
            int rows = s.InChannelsPerGroup * s.KernelHeight * s.KernelWidth;
            int groupOut = s.OutChannelsPerGroup;
            T* col = _workspace + (long)part * rows * pixels;
            T* partials = PartialSums(in s, _workspace, part);
            for (int g = 0; g < s.Groups; g++)
            {
                T* groupWeights = _weights + (long)g * groupOut * rows;
                long outBlock = ((long)part * s.OutChannels + g * groupOut) * pixels;
                var unfolding = Unfolding.Of(in s);
                long image = ((long)part * s.InChannels + g * s.InChannelsPerGroup) * s.InHeight * s.InWidth;
                unfolding.Unfold(_x + image, col, pixels);
                if (!_backward)
                {
                    Gemm.Multiply(false, false, groupOut, pixels, rows, groupWeights, col, _y + outBlock, accumulate: false);
                    if (_bias != null)
                        for (int o = 0; o < groupOut; o++) AddConstant(_y + outBlock + (long)o * pixels, _bias[g * groupOut + o], pixels);
                    continue;
                }
                if (_dWeights != null)
                    Gemm.Multiply(false, true, groupOut, rows, pixels, _dy + outBlock, col, partials + (long)g * groupOut * rows, accumulate: false);
                if (_dx != null)
                {
                    // The unfolded input is no longer needed: its block receives the unfolded input gradient.
                    Gemm.Multiply(true, false, rows, pixels, groupOut, groupWeights, _dy + outBlock, col, accumulate: false);
                    unfolding.FoldAdd(col, pixels, _dx + image);
                }
            }
        }

        private static void AddConstant(T* row, T value, int count)
        {
            int j = 0;
            if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
            {
                var v = new Vector<T>(value);
                for (; j <= count - Vector<T>.Count; j += Vector<T>.Count) Vector.Store(Vector.Load(row + j) + v, row + j);
            }
            for (; j < count; j++) row[j] += value;
        }
    }
}

/// <summary>
/// The im2col geometry shared by convolution and transposed convolution: <see cref="Channels"/> planes of
/// <see cref="Height"/>×<see cref="Width"/> (contiguous, one after another) seen through a kernel that visits
/// <see cref="OutHeight"/>×<see cref="OutWidth"/> positions. Row (c, p, q) of the columns holds, at position i·OutWidth + j,
/// plane c's element (i·StrideHeight + p·DilationHeight − PadTop, j·StrideWidth + q·DilationWidth − PadLeft), or 0 off the plane.
/// A convolution unfolds its input and folds its input gradient; a transposed convolution folds its output and unfolds
/// its output gradient, being the transpose of the convolution that maps its output back to its input.
/// </summary>
internal readonly struct Unfolding
{
    public int Channels { get; init; }
    public int Height { get; init; }
    public int Width { get; init; }
    public int KernelHeight { get; init; }
    public int KernelWidth { get; init; }
    public int StrideHeight { get; init; }
    public int StrideWidth { get; init; }
    public int PadTop { get; init; }
    public int PadLeft { get; init; }
    public int DilationHeight { get; init; }
    public int DilationWidth { get; init; }
    public int OutHeight { get; init; }
    public int OutWidth { get; init; }

    /// <summary>A convolution's input (one group's channels) unfolded over its output positions.</summary>
    public static Unfolding Of(in Conv2dShape s) => new()
    {
        Channels = s.InChannelsPerGroup, Height = s.InHeight, Width = s.InWidth,
        KernelHeight = s.KernelHeight, KernelWidth = s.KernelWidth, StrideHeight = s.StrideHeight, StrideWidth = s.StrideWidth,
        PadTop = s.PadTop, PadLeft = s.PadLeft, DilationHeight = s.DilationHeight, DilationWidth = s.DilationWidth,
        OutHeight = s.OutHeight, OutWidth = s.OutWidth,
    };

    /// <summary>A transposed convolution's output (one group's channels) unfolded over its input positions.</summary>
    public static Unfolding Of(in ConvTranspose2dShape s) => new()
    {
        Channels = s.OutChannelsPerGroup, Height = s.OutHeight, Width = s.OutWidth,
        KernelHeight = s.KernelHeight, KernelWidth = s.KernelWidth, StrideHeight = s.StrideHeight, StrideWidth = s.StrideWidth,
        PadTop = s.PadHeight, PadLeft = s.PadWidth, DilationHeight = s.DilationHeight, DilationWidth = s.DilationWidth,
        OutHeight = s.InHeight, OutWidth = s.InWidth,
    };

    /// <summary>im2col: writes the <c>Channels·KH·KW</c> rows of <paramref name="image"/>'s columns, row r at <c>col + r·pitch</c>.</summary>
    public unsafe void Unfold<T>(T* image, T* col, long pitch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh = OutHeight, ow = OutWidth, h = Height, w = Width;
        long plane = (long)h * w;
        T* dst = col;
        for (int c = 0; c < Channels; c++)
        {
            T* src = image + c * plane;
            for (int p = 0; p < KernelHeight; p++)
            for (int q = 0; q < KernelWidth; q++, dst += pitch)
            {
                int rowOffset = p * DilationHeight - PadTop;
                int colOffset = q * DilationWidth - PadLeft;
                ValidRange(colOffset, StrideWidth, w, ow, out int j0, out int j1);
                T* d = dst;
                for (int i = 0; i < oh; i++, d += ow)
                {
                    int r = i * StrideHeight + rowOffset;
                    if ((uint)r >= (uint)h || j0 >= j1)
                    {
                        new Span<T>(d, ow).Clear();
                        continue;
                    }
                    for (int j = 0; j < j0; j++) d[j] = T.Zero;
                    T* line = src + (long)r * w + colOffset;
                    if (StrideWidth == 1) new ReadOnlySpan<T>(line + j0, j1 - j0).CopyTo(new Span<T>(d + j0, j1 - j0));
                    else for (int j = j0; j < j1; j++) d[j] = line[(long)j * StrideWidth];
                    for (int j = j1; j < ow; j++) d[j] = T.Zero;
                }
            }
        }
    }

    /// <summary>col2im, adding into <paramref name="image"/>: the transpose of <see cref="Unfold"/>, with taps off the plane dropped.</summary>
    public unsafe void FoldAdd<T>(T* col, long pitch, T* image) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int oh = OutHeight, ow = OutWidth, h = Height, w = Width;
        long plane = (long)h * w;
        T* src = col;
        for (int c = 0; c < Channels; c++)
        {
            T* dst = image + c * plane;
            for (int p = 0; p < KernelHeight; p++)
            for (int q = 0; q < KernelWidth; q++, src += pitch)
            {
                int rowOffset = p * DilationHeight - PadTop;
                int colOffset = q * DilationWidth - PadLeft;
                ValidRange(colOffset, StrideWidth, w, ow, out int j0, out int j1);
                if (j0 >= j1) continue;
                T* d = src;
                for (int i = 0; i < oh; i++, d += ow)
                {
                    int r = i * StrideHeight + rowOffset;
                    if ((uint)r >= (uint)h) continue;
                    T* line = dst + (long)r * w + colOffset;
                    if (StrideWidth == 1) ElementwiseKernels.AddInto(d + j0, line + j0, j1 - j0);
                    else for (int j = j0; j < j1; j++) line[(long)j * StrideWidth] += d[j];
                }
            }
        }
    }

    /// <summary>The kernel positions j0 ≤ j &lt; j1 whose tap j·stride + offset falls inside 0 … size − 1.</summary>
    private static void ValidRange(int offset, int stride, int size, int positions, out int j0, out int j1)
    {
        j0 = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        long last = (long)size - 1 - offset;
        j1 = last < 0 ? 0 : (int)Math.Min(positions, last / stride + 1);
        if (j0 > j1) j0 = j1;
    }
}
