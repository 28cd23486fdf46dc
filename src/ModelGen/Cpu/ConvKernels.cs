using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
/// 2-D (and 1-D) convolution by im2col and <see cref="Gemm.Multiply{T}"/>, or, at stride 1 with few output
/// channels, directly on zero-padded planes (<see cref="DirectConv"/>; the forward pass gives the same bits). Layouts and sizes are
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

        private int _directWidth;
        private bool _gradientOnAnyPlane;

        public void Set(in Conv2dShape shape, T* x, T* weights, T* bias, T* y, T* dy, T* dx, T* dWeights, T* workspace, bool backward)
        {
            _shape = shape;
            _x = x; _weights = weights; _bias = bias; _y = y; _dy = dy; _dx = dx; _dWeights = dWeights; _workspace = workspace;
            _backward = backward;
            // Read on the calling thread: the switches are per thread, and the parts run on workers too.
            _directWidth = DirectConv.Width<T>(in shape, backward);
            _gradientOnAnyPlane = DirectConv.GradientOnAnyPlane;
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
                if (_directWidth != 0)
                {
                    T* groupBias = _bias == null ? null : _bias + g * groupOut;
                    T* groupPartials = _dWeights == null ? null : partials + (long)g * groupOut * rows;
                    if (_directWidth == 512) ExecuteDirect<Vector512<T>, Lanes512<T>>(in s, image, groupWeights, groupBias, outBlock, groupPartials, col);
                    else ExecuteDirect<Vector256<T>, Lanes256<T>>(in s, image, groupWeights, groupBias, outBlock, groupPartials, col);
                    continue;
                }
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

        /// <summary>
        /// One sample's group by <see cref="DirectConv"/>: the forward output, or the weight gradient directly and the
        /// input gradient through the columns (<paramref name="col"/>, the sample's block of the workspace) and col2im.
        /// </summary>
        private void ExecuteDirect<TVector, TLanes>(in Conv2dShape s, long image, T* groupWeights, T* groupBias, long outBlock, T* groupPartials, T* col)
            where TVector : unmanaged
            where TLanes : ILanes<T, TVector>
        {
            var planes = DirectConv.Planes.Of(in s, TLanes.Count);
            T* scratch = DirectConv.Scratch<T>(planes.ScratchElements(s.OutChannelsPerGroup, s.InChannelsPerGroup * s.KernelHeight * s.KernelWidth));
            T* padded = scratch;
            T* rowsBuffer = padded + planes.PaddedElements;
            int* offsets = (int*)(rowsBuffer + planes.RowsElements(s.OutChannelsPerGroup));
            planes.Pad(_x + image, padded);
            planes.TapOffsets(offsets);
            if (!_backward)
            {
                DirectConv.Forward<T, TVector, TLanes>(in planes, padded, offsets, groupWeights, s.OutChannelsPerGroup, rowsBuffer);
                planes.Crop(rowsBuffer, s.OutChannelsPerGroup, groupBias, _y + outBlock);
                return;
            }
            if (groupPartials != null && (planes.LongEnoughForPositions || _gradientOnAnyPlane))
            {
                planes.Extend(_dy + outBlock, s.OutChannelsPerGroup, rowsBuffer);
                DirectConv.WeightGradient<T, TVector, TLanes>(in planes, padded, offsets, rowsBuffer, s.OutChannelsPerGroup, groupPartials);
            }
            else if (groupPartials != null)
            {
                planes.Transpose(_dy + outBlock, s.OutChannelsPerGroup, rowsBuffer);
                DirectConv.WeightGradientByChannel<T, TVector, TLanes>(in planes, padded, offsets, rowsBuffer, s.OutChannelsPerGroup, groupPartials);
            }
            if (_dx != null)
            {
                int pixels = s.OutHeight * s.OutWidth;
                int rows = s.InChannelsPerGroup * s.KernelHeight * s.KernelWidth;
                Gemm.Multiply(true, false, rows, pixels, s.OutChannelsPerGroup, groupWeights, _dy + outBlock, col, accumulate: false);
                Unfolding.Of(in s).FoldAdd(col, pixels, _dx + image);
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

/// <summary>
/// Direct convolution at stride 1, for the small channel counts where im2col's columns cost more than the
/// arithmetic (LeNet's 1 → 6 and 6 → 16). A sample's channels are copied into zero-padded planes of
/// <c>Hp × Wp</c>; output (i, j) then reads tap (c, p, q) at <c>c·Hp·Wp + (i + p·dh)·Wp + j + q·dw</c>, so with
/// the output laid out on rows of the padded width (position <c>t = i·Wp + j</c>, the columns j ≥ OW computed
/// and dropped) every tap is one contiguous run of the planes, read with plain vector loads.
/// </summary>
/// <remarks>
/// The forward pass computes each output as the GEMM does (<see cref="Gemm"/>): one multiply-add chain over the
/// taps in (c, p, q) order, restarted every <see cref="GemmCore.KBlock"/> taps and added up, the bias added last;
/// its results are the im2col path's bits. The weight gradient is a dot product over t per (output channel, tap),
/// summed in vector lanes and then across them; its order depends on the vector width, never on the thread count.
/// </remarks>
internal static unsafe class DirectConv
{
    /// <summary>Sends convolutions started on this thread through im2col and the GEMM; tests compare the two paths.</summary>
    [ThreadStatic] internal static bool Disabled;

    /// <summary>Output channels per group above which im2col and the GEMM's larger tiles win.</summary>
    private const int MaxOutChannels = 64;

    /// <summary>Largest scratch (elements) a sample may need; larger planes go through im2col.</summary>
    private const long MaxScratch = 1L << 22;

    /// <summary>Vectors of output positions per register tile.</summary>
    private const int TileVectors = 3;

    [ThreadStatic] private static byte[]? t_scratch;

    /// <summary>
    /// Vectors of output positions below which the weight gradient goes through im2col and the GEMM: each of its
    /// dot products ends in a horizontal sum, which a short plane (LeNet's 10×10) does not repay.
    /// </summary>
    private const int MinGradientVectors = 24;

    /// <summary>Takes the direct weight gradient whatever the plane's length, for backward passes started on this thread; tests use it on small planes.</summary>
    [ThreadStatic] internal static bool GradientOnAnyPlane;

    /// <summary>The vector width in bits for a convolution's forward or backward pass started on this thread, or 0 when it takes im2col and the GEMM.</summary>
    public static int Width<T>(in Conv2dShape s, bool backward) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Disabled || s.StrideHeight != 1 || s.StrideWidth != 1 || s.OutChannelsPerGroup > MaxOutChannels) return 0;
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double)) return 0;
        int forced = GemmCore.ForcedWidth;
        int width = (forced == 0 || forced == 512) && Vector512.IsHardwareAccelerated ? 512
            : (forced == 0 || forced == 512 || forced == 256) && Vector256.IsHardwareAccelerated ? 256 : 0;
        if (width == 0) return 0;
        var planes = Planes.Of(in s, width / 8 / sizeof(T));
        if (backward && !GradientOnAnyPlane && !planes.LongEnoughForPositions && s.OutChannelsPerGroup % planes.Lanes != 0) return 0;
        return planes.ScratchElements(s.OutChannelsPerGroup, s.InChannelsPerGroup * s.KernelHeight * s.KernelWidth) <= MaxScratch ? width : 0;
    }

    /// <summary>This thread's scratch of at least <paramref name="elements"/> elements, 64-byte aligned; grown once, then reused.</summary>
    public static T* Scratch<T>(long elements) where T : unmanaged
    {
        long bytes = elements * sizeof(T) + 64;
        byte[]? buffer = t_scratch;
        if (buffer is null || buffer.Length < bytes)
        {
            buffer = GC.AllocateUninitializedArray<byte>(checked((int)bytes), pinned: true);
            t_scratch = buffer;
        }
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        return (T*)((address + 63) & ~(nint)63);
    }

    /// <summary>One sample's group of input channels as zero-padded planes, and the output on rows of the padded width.</summary>
    internal readonly struct Planes
    {
        public int Channels { get; init; }
        public int Height { get; init; }
        public int Width { get; init; }
        public int PadTop { get; init; }
        public int PadLeft { get; init; }
        public int PaddedWidth { get; init; }
        public int PlaneStride { get; init; }
        public int KernelHeight { get; init; }
        public int KernelWidth { get; init; }
        public int DilationHeight { get; init; }
        public int DilationWidth { get; init; }
        public int OutHeight { get; init; }
        public int OutWidth { get; init; }
        /// <summary>Output positions on padded-width rows, the last row cut at OW: <c>(OH − 1)·Wp + OW</c>.</summary>
        public int Length { get; init; }
        /// <summary>Elements per output row buffer: <see cref="Length"/> rounded up to whole register tiles.</summary>
        public int RowLength { get; init; }
        /// <summary>Lanes per vector.</summary>
        public int Lanes { get; init; }

        public int Taps => Channels * KernelHeight * KernelWidth;

        /// <summary>Whether the weight gradient's dot products over positions are long enough to repay their horizontal sums.</summary>
        public bool LongEnoughForPositions => Length >= MinGradientVectors * Lanes;

        /// <summary>Padded planes plus the slack that the last tile reads past them (its results are dropped).</summary>
        public long PaddedElements => (long)Channels * PlaneStride + RowLength - Length + Lanes;

        public long RowsElements(int outChannels) => (long)outChannels * RowLength;

        /// <summary>Padded planes, output rows and the taps' offsets (ints, counted as elements).</summary>
        public long ScratchElements(int outChannels, int taps) => PaddedElements + RowsElements(outChannels) + taps;

        public static Planes Of(in Conv2dShape s, int lanes)
        {
            int paddedWidth = s.InWidth + s.PadLeft + s.PadRight;
            int paddedHeight = s.InHeight + s.PadTop + s.PadBottom;
            int length = (s.OutHeight - 1) * paddedWidth + s.OutWidth;
            int tile = TileVectors * lanes;
            return new Planes
            {
                Channels = s.InChannelsPerGroup, Height = s.InHeight, Width = s.InWidth, PadTop = s.PadTop, PadLeft = s.PadLeft,
                PaddedWidth = paddedWidth, PlaneStride = paddedHeight * paddedWidth,
                KernelHeight = s.KernelHeight, KernelWidth = s.KernelWidth, DilationHeight = s.DilationHeight, DilationWidth = s.DilationWidth,
                OutHeight = s.OutHeight, OutWidth = s.OutWidth, Length = length, RowLength = (length + tile - 1) / tile * tile, Lanes = lanes,
            };
        }

        /// <summary>Copies the channels of <paramref name="image"/> into zeroed padded planes.</summary>
        public void Pad<T>(T* image, T* padded) where T : unmanaged
        {
            new Span<T>(padded, checked((int)PaddedElements)).Clear();
            for (int c = 0; c < Channels; c++)
            {
                T* src = image + (long)c * Height * Width;
                T* dst = padded + (long)c * PlaneStride + (long)PadTop * PaddedWidth + PadLeft;
                for (int r = 0; r < Height; r++)
                    new ReadOnlySpan<T>(src + (long)r * Width, Width).CopyTo(new Span<T>(dst + (long)r * PaddedWidth, Width));
            }
        }

        /// <summary>Tap (c, p, q)'s offset into the padded planes, in (c, p, q) order.</summary>
        public void TapOffsets(int* offsets)
        {
            int k = 0;
            for (int c = 0; c < Channels; c++)
            for (int p = 0; p < KernelHeight; p++)
            for (int q = 0; q < KernelWidth; q++)
                offsets[k++] = c * PlaneStride + p * DilationHeight * PaddedWidth + q * DilationWidth;
        }

        /// <summary>Output channels' rows to NCHW, dropping the padding columns; adds the bias if there is one.</summary>
        public void Crop<T>(T* rows, int outChannels, T* bias, T* y) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int o = 0; o < outChannels; o++)
            {
                T add = bias == null ? T.Zero : bias[o];
                for (int i = 0; i < OutHeight; i++)
                {
                    T* src = rows + (long)o * RowLength + (long)i * PaddedWidth;
                    T* dst = y + ((long)o * OutHeight + i) * OutWidth;
                    if (bias == null) new ReadOnlySpan<T>(src, OutWidth).CopyTo(new Span<T>(dst, OutWidth));
                    else AddConstant(src, add, dst, OutWidth);
                }
            }
        }

        /// <summary>NCHW output gradient <c>[OC, OH·OW]</c> to <c>[OH·OW, OC]</c>: one vector of channels per position.</summary>
        public void Transpose<T>(T* dy, int outChannels, T* transposed) where T : unmanaged
        {
            int pixels = OutHeight * OutWidth;
            for (int o = 0; o < outChannels; o++)
            {
                T* src = dy + (long)o * pixels;
                for (int t = 0; t < pixels; t++) transposed[(long)t * outChannels + o] = src[t];
            }
        }

        /// <summary>NCHW output gradient to rows of the padded width, zero in the padding columns and past the last row.</summary>
        public void Extend<T>(T* dy, int outChannels, T* rows) where T : unmanaged
        {
            new Span<T>(rows, checked((int)RowsElements(outChannels))).Clear();
            for (int o = 0; o < outChannels; o++)
            for (int i = 0; i < OutHeight; i++)
                new ReadOnlySpan<T>(dy + ((long)o * OutHeight + i) * OutWidth, OutWidth)
                    .CopyTo(new Span<T>(rows + (long)o * RowLength + (long)i * PaddedWidth, OutWidth));
        }

        private static void AddConstant<T>(T* source, T value, T* destination, int count) where T : unmanaged, IFloatingPointIeee754<T>
        {
            int j = 0;
            if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
            {
                var v = new Vector<T>(value);
                for (; j <= count - Vector<T>.Count; j += Vector<T>.Count) Vector.Store(Vector.Load(source + j) + v, destination + j);
            }
            for (; j < count; j++) destination[j] = source[j] + value;
        }
    }

    /// <summary>
    /// <c>rows[o][t] = Σ_k weights[o, k] · padded[offsets[k] + t]</c> for every output channel of the group, as
    /// chains over k restarted every <see cref="GemmCore.KBlock"/> taps. Tiles of four channels by three vectors;
    /// a last partial tile computes its last channel again and drops the copies.
    /// </summary>
    public static void Forward<T, TVector, TLanes>(in Planes planes, T* padded, int* offsets, T* weights, int outChannels, T* rows)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : unmanaged
        where TLanes : ILanes<T, TVector>
    {
        int taps = planes.Taps, rowLength = planes.RowLength, v = TLanes.Count;
        for (int o = 0; o < outChannels; o += 4)
        {
            int o1 = Math.Min(o + 1, outChannels - 1), o2 = Math.Min(o + 2, outChannels - 1), o3 = Math.Min(o + 3, outChannels - 1);
            T* w0 = weights + (long)o * taps, w1 = weights + (long)o1 * taps, w2 = weights + (long)o2 * taps, w3 = weights + (long)o3 * taps;
            T* r0 = rows + (long)o * rowLength, r1 = rows + (long)o1 * rowLength, r2 = rows + (long)o2 * rowLength, r3 = rows + (long)o3 * rowLength;
            for (int t = 0; t < rowLength; t += TileVectors * v)
            {
                for (int k0 = 0; k0 < taps; k0 += GemmCore.KBlock)
                {
                    int k1 = Math.Min(taps, k0 + GemmCore.KBlock);
                    TVector zero = TLanes.Broadcast(T.Zero);
                    TVector a00 = zero, a01 = zero, a02 = zero, a10 = zero, a11 = zero, a12 = zero;
                    TVector a20 = zero, a21 = zero, a22 = zero, a30 = zero, a31 = zero, a32 = zero;
                    for (int k = k0; k < k1; k++)
                    {
                        T* src = padded + offsets[k] + t;
                        TVector x0 = TLanes.Load(src), x1 = TLanes.Load(src + v), x2 = TLanes.Load(src + 2 * v);
                        TVector b = TLanes.Broadcast(w0[k]);
                        a00 = TLanes.MulAdd(x0, b, a00); a01 = TLanes.MulAdd(x1, b, a01); a02 = TLanes.MulAdd(x2, b, a02);
                        b = TLanes.Broadcast(w1[k]);
                        a10 = TLanes.MulAdd(x0, b, a10); a11 = TLanes.MulAdd(x1, b, a11); a12 = TLanes.MulAdd(x2, b, a12);
                        b = TLanes.Broadcast(w2[k]);
                        a20 = TLanes.MulAdd(x0, b, a20); a21 = TLanes.MulAdd(x1, b, a21); a22 = TLanes.MulAdd(x2, b, a22);
                        b = TLanes.Broadcast(w3[k]);
                        a30 = TLanes.MulAdd(x0, b, a30); a31 = TLanes.MulAdd(x1, b, a31); a32 = TLanes.MulAdd(x2, b, a32);
                    }
                    // A repeated channel is stored once: after the first block of taps the rows accumulate.
                    bool first = k0 == 0;
                    Put(r0 + t, v, first, a00, a01, a02);
                    if (o + 1 < outChannels) Put(r1 + t, v, first, a10, a11, a12);
                    if (o + 2 < outChannels) Put(r2 + t, v, first, a20, a21, a22);
                    if (o + 3 < outChannels) Put(r3 + t, v, first, a30, a31, a32);
                }
            }
        }

        static void Put(T* destination, int v, bool first, TVector s0, TVector s1, TVector s2)
        {
            if (!first)
            {
                s0 = TLanes.Add(TLanes.Load(destination), s0);
                s1 = TLanes.Add(TLanes.Load(destination + v), s1);
                s2 = TLanes.Add(TLanes.Load(destination + 2 * v), s2);
            }
            TLanes.Store(s0, destination);
            TLanes.Store(s1, destination + v);
            TLanes.Store(s2, destination + 2 * v);
        }
    }

    /// <summary>
    /// <c>partials[o, k] = Σ_t rows[o][t] · padded[offsets[k] + t]</c>, overwriting: the weight gradient of one
    /// sample's group, from its output gradient on padded-width rows (zero in the dropped columns). Tiles of four
    /// channels by three taps; a partial tile repeats its last channel or tap, rewriting the same values.
    /// </summary>
    public static void WeightGradient<T, TVector, TLanes>(in Planes planes, T* padded, int* offsets, T* rows, int outChannels, T* partials)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : unmanaged
        where TLanes : ILanes<T, TVector>
    {
        int taps = planes.Taps, rowLength = planes.RowLength, v = TLanes.Count;
        // Past Length the rows are zero: whole vectors up to it suffice.
        int end = (planes.Length + v - 1) / v * v;
        for (int o = 0; o < outChannels; o += 4)
        {
            int o1 = Math.Min(o + 1, outChannels - 1), o2 = Math.Min(o + 2, outChannels - 1), o3 = Math.Min(o + 3, outChannels - 1);
            T* d0 = rows + (long)o * rowLength, d1 = rows + (long)o1 * rowLength, d2 = rows + (long)o2 * rowLength, d3 = rows + (long)o3 * rowLength;
            for (int k = 0; k < taps; k += 3)
            {
                int k1 = Math.Min(k + 1, taps - 1), k2 = Math.Min(k + 2, taps - 1);
                T* s0 = padded + offsets[k], s1 = padded + offsets[k1], s2 = padded + offsets[k2];
                TVector zero = TLanes.Broadcast(T.Zero);
                TVector a00 = zero, a01 = zero, a02 = zero, a10 = zero, a11 = zero, a12 = zero;
                TVector a20 = zero, a21 = zero, a22 = zero, a30 = zero, a31 = zero, a32 = zero;
                for (int t = 0; t < end; t += v)
                {
                    TVector x0 = TLanes.Load(s0 + t), x1 = TLanes.Load(s1 + t), x2 = TLanes.Load(s2 + t);
                    TVector g = TLanes.Load(d0 + t);
                    a00 = TLanes.MulAdd(g, x0, a00); a01 = TLanes.MulAdd(g, x1, a01); a02 = TLanes.MulAdd(g, x2, a02);
                    g = TLanes.Load(d1 + t);
                    a10 = TLanes.MulAdd(g, x0, a10); a11 = TLanes.MulAdd(g, x1, a11); a12 = TLanes.MulAdd(g, x2, a12);
                    g = TLanes.Load(d2 + t);
                    a20 = TLanes.MulAdd(g, x0, a20); a21 = TLanes.MulAdd(g, x1, a21); a22 = TLanes.MulAdd(g, x2, a22);
                    g = TLanes.Load(d3 + t);
                    a30 = TLanes.MulAdd(g, x0, a30); a31 = TLanes.MulAdd(g, x1, a31); a32 = TLanes.MulAdd(g, x2, a32);
                }
                T* p0 = partials + (long)o * taps, p1 = partials + (long)o1 * taps, p2 = partials + (long)o2 * taps, p3 = partials + (long)o3 * taps;
                p0[k] = TLanes.Sum(a00); p0[k1] = TLanes.Sum(a01); p0[k2] = TLanes.Sum(a02);
                p1[k] = TLanes.Sum(a10); p1[k1] = TLanes.Sum(a11); p1[k2] = TLanes.Sum(a12);
                p2[k] = TLanes.Sum(a20); p2[k1] = TLanes.Sum(a21); p2[k2] = TLanes.Sum(a22);
                p3[k] = TLanes.Sum(a30); p3[k1] = TLanes.Sum(a31); p3[k2] = TLanes.Sum(a32);
            }
        }
    }

    /// <summary>
    /// The weight gradient of <see cref="WeightGradient"/> with the output channels in the vector lanes, for planes
    /// too short for dot products over positions (LeNet's 10×10) and channel counts that fill whole vectors:
    /// <c>partials[o, k] = Σ_(i, j) dy[o, i, j] · padded[offsets[k] + i·Wp + j]</c>, one multiply-add chain per
    /// (o, k) over the positions in order. <paramref name="transposed"/> holds the output gradient as
    /// <c>[OH·OW, OC]</c>. Tiles of one vector of channels by eight taps; a partial tile repeats its last tap.
    /// </summary>
    public static void WeightGradientByChannel<T, TVector, TLanes>(in Planes planes, T* padded, int* offsets, T* transposed, int outChannels, T* partials)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVector : unmanaged
        where TLanes : ILanes<T, TVector>
    {
        int taps = planes.Taps, v = TLanes.Count, oh = planes.OutHeight, ow = planes.OutWidth, wp = planes.PaddedWidth;
        T* lanes = stackalloc T[TLanes.Count];
        for (int o = 0; o < outChannels; o += v)
        {
            for (int k = 0; k < taps; k += 8)
            {
                T* s0 = padded + offsets[k], s1 = padded + offsets[Math.Min(k + 1, taps - 1)], s2 = padded + offsets[Math.Min(k + 2, taps - 1)];
                T* s3 = padded + offsets[Math.Min(k + 3, taps - 1)], s4 = padded + offsets[Math.Min(k + 4, taps - 1)];
                T* s5 = padded + offsets[Math.Min(k + 5, taps - 1)], s6 = padded + offsets[Math.Min(k + 6, taps - 1)];
                T* s7 = padded + offsets[Math.Min(k + 7, taps - 1)];
                TVector zero = TLanes.Broadcast(T.Zero);
                TVector a0 = zero, a1 = zero, a2 = zero, a3 = zero, a4 = zero, a5 = zero, a6 = zero, a7 = zero;
                T* g = transposed + o;
                for (int i = 0; i < oh; i++)
                {
                    int row = i * wp;
                    for (int j = 0; j < ow; j++, g += outChannels)
                    {
                        int t = row + j;
                        TVector d = TLanes.Load(g);
                        a0 = TLanes.MulAdd(d, TLanes.Broadcast(s0[t]), a0);
                        a1 = TLanes.MulAdd(d, TLanes.Broadcast(s1[t]), a1);
                        a2 = TLanes.MulAdd(d, TLanes.Broadcast(s2[t]), a2);
                        a3 = TLanes.MulAdd(d, TLanes.Broadcast(s3[t]), a3);
                        a4 = TLanes.MulAdd(d, TLanes.Broadcast(s4[t]), a4);
                        a5 = TLanes.MulAdd(d, TLanes.Broadcast(s5[t]), a5);
                        a6 = TLanes.MulAdd(d, TLanes.Broadcast(s6[t]), a6);
                        a7 = TLanes.MulAdd(d, TLanes.Broadcast(s7[t]), a7);
                    }
                }
                int count = Math.Min(8, taps - k);
                Scatter(a0, lanes, partials, o, k, taps, v);
                if (count > 1) Scatter(a1, lanes, partials, o, k + 1, taps, v);
                if (count > 2) Scatter(a2, lanes, partials, o, k + 2, taps, v);
                if (count > 3) Scatter(a3, lanes, partials, o, k + 3, taps, v);
                if (count > 4) Scatter(a4, lanes, partials, o, k + 4, taps, v);
                if (count > 5) Scatter(a5, lanes, partials, o, k + 5, taps, v);
                if (count > 6) Scatter(a6, lanes, partials, o, k + 6, taps, v);
                if (count > 7) Scatter(a7, lanes, partials, o, k + 7, taps, v);
            }
        }

        static void Scatter(TVector sums, T* lanes, T* partials, int o, int k, int taps, int v)
        {
            TLanes.Store(sums, lanes);
            for (int l = 0; l < v; l++) partials[(long)(o + l) * taps + k] = lanes[l];
        }
    }
}
