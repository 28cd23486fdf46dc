using System;
using System.Numerics;

namespace ModelGen.Cpu;

/// <summary>
/// Geometry of a transposed 2-D convolution (PyTorch's <c>ConvTranspose2d</c>): NCHW input
/// <c>[Batch, InChannels, InHeight, InWidth]</c>, weights <c>[InChannels, OutChannels / Groups, KernelHeight, KernelWidth]</c>
/// (PyTorch's layout), bias <c>[OutChannels]</c>, output <c>[Batch, OutChannels, OutHeight, OutWidth]</c> with
/// <c>OutHeight = (InHeight − 1)·strideHeight − 2·padHeight + dilationHeight·(kernelHeight − 1) + outputPaddingHeight + 1</c>
/// (and the same for the width).
/// </summary>
/// <remarks>
/// Input pixel (i, j) with kernel tap (p, q) lands on output pixel (i·sh − ph + p·dh, j·sw − pw + q·dw); taps that land
/// outside the output are dropped. Everything is validated once here, so the kernels taking the shape do not check again.
/// </remarks>
public readonly struct ConvTranspose2dShape
{
    /// <summary>Creates and validates the geometry of a transposed 2-D convolution.</summary>
    /// <param name="batch">Samples in the batch (N).</param>
    /// <param name="inChannels">Input channels; divisible by <paramref name="groups"/>.</param>
    /// <param name="inHeight">Input height.</param>
    /// <param name="inWidth">Input width.</param>
    /// <param name="outChannels">Output channels; divisible by <paramref name="groups"/>.</param>
    /// <param name="kernelHeight">Kernel height.</param>
    /// <param name="kernelWidth">Kernel width.</param>
    /// <param name="strideHeight">Vertical spacing of the input pixels in the output.</param>
    /// <param name="strideWidth">Horizontal spacing of the input pixels in the output.</param>
    /// <param name="padHeight">Rows removed above and below the full output.</param>
    /// <param name="padWidth">Columns removed left and right of the full output.</param>
    /// <param name="outputPaddingHeight">Rows added below; smaller than the vertical stride or dilation.</param>
    /// <param name="outputPaddingWidth">Columns added on the right; smaller than the horizontal stride or dilation.</param>
    /// <param name="dilationHeight">Vertical spacing of kernel taps.</param>
    /// <param name="dilationWidth">Horizontal spacing of kernel taps.</param>
    /// <param name="groups">Channel groups: group g maps input channels g·C/G … (g+1)·C/G − 1 to output channels g·OC/G … (g+1)·OC/G − 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// A size, stride or dilation is not positive, a padding is negative, an output padding is not smaller than its stride
    /// or its dilation, the groups do not divide the channels, the output would be empty, or a GEMM dimension would
    /// exceed 2³¹ − 1.
    /// </exception>
    public ConvTranspose2dShape(int batch, int inChannels, int inHeight, int inWidth, int outChannels, int kernelHeight, int kernelWidth,
        int strideHeight = 1, int strideWidth = 1, int padHeight = 0, int padWidth = 0, int outputPaddingHeight = 0, int outputPaddingWidth = 0,
        int dilationHeight = 1, int dilationWidth = 1, int groups = 1)
    {
        Conv2dShape.Positive(batch, nameof(batch));
        Conv2dShape.Positive(inChannels, nameof(inChannels));
        Conv2dShape.Positive(inHeight, nameof(inHeight));
        Conv2dShape.Positive(inWidth, nameof(inWidth));
        Conv2dShape.Positive(outChannels, nameof(outChannels));
        Conv2dShape.Positive(kernelHeight, nameof(kernelHeight));
        Conv2dShape.Positive(kernelWidth, nameof(kernelWidth));
        Conv2dShape.Positive(strideHeight, nameof(strideHeight));
        Conv2dShape.Positive(strideWidth, nameof(strideWidth));
        Conv2dShape.Positive(dilationHeight, nameof(dilationHeight));
        Conv2dShape.Positive(dilationWidth, nameof(dilationWidth));
        Conv2dShape.Positive(groups, nameof(groups));
        Conv2dShape.NonNegative(padHeight, nameof(padHeight));
        Conv2dShape.NonNegative(padWidth, nameof(padWidth));
        Conv2dShape.NonNegative(outputPaddingHeight, nameof(outputPaddingHeight));
        Conv2dShape.NonNegative(outputPaddingWidth, nameof(outputPaddingWidth));
        if (outputPaddingHeight >= strideHeight && outputPaddingHeight >= dilationHeight)
            throw new ArgumentOutOfRangeException(nameof(outputPaddingHeight), outputPaddingHeight, $"The output padding {outputPaddingHeight} must be smaller than the stride {strideHeight} or the dilation {dilationHeight}.");
        if (outputPaddingWidth >= strideWidth && outputPaddingWidth >= dilationWidth)
            throw new ArgumentOutOfRangeException(nameof(outputPaddingWidth), outputPaddingWidth, $"The output padding {outputPaddingWidth} must be smaller than the stride {strideWidth} or the dilation {dilationWidth}.");
        if (inChannels % groups != 0)
            throw new ArgumentOutOfRangeException(nameof(groups), groups, $"The {groups} groups do not divide the {inChannels} input channels.");
        if (outChannels % groups != 0)
            throw new ArgumentOutOfRangeException(nameof(groups), groups, $"The {groups} groups do not divide the {outChannels} output channels.");
        long outHeight = OutputSize(inHeight, kernelHeight, strideHeight, padHeight, outputPaddingHeight, dilationHeight);
        long outWidth = OutputSize(inWidth, kernelWidth, strideWidth, padWidth, outputPaddingWidth, dilationWidth);
        if (outHeight < 1 || outWidth < 1)
            throw new ArgumentOutOfRangeException(nameof(padHeight), $"The padding removes the whole {outHeight + 2L * padHeight}×{outWidth + 2L * padWidth} output: it would be {outHeight}×{outWidth}.");
        long columns = (long)batch * inHeight * inWidth;
        long rows = (long)(outChannels / groups) * kernelHeight * kernelWidth;
        if (columns > int.MaxValue || rows > int.MaxValue || outHeight * outWidth > int.MaxValue || rows * columns > long.MaxValue / 4)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, "The transposed convolution is too large: batch × input pixels, the unfolded kernel size and the output plane must each fit in an int.");
        Batch = batch; InChannels = inChannels; InHeight = inHeight; InWidth = inWidth; OutChannels = outChannels;
        KernelHeight = kernelHeight; KernelWidth = kernelWidth; StrideHeight = strideHeight; StrideWidth = strideWidth;
        PadHeight = padHeight; PadWidth = padWidth; OutputPaddingHeight = outputPaddingHeight; OutputPaddingWidth = outputPaddingWidth;
        DilationHeight = dilationHeight; DilationWidth = dilationWidth; Groups = groups;
        OutHeight = (int)outHeight;
        OutWidth = (int)outWidth;
    }

    /// <summary>Samples in the batch (N).</summary>
    public int Batch { get; }
    /// <summary>Input channels.</summary>
    public int InChannels { get; }
    /// <summary>Input height.</summary>
    public int InHeight { get; }
    /// <summary>Input width.</summary>
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
    /// <summary>Rows removed above and below the full output.</summary>
    public int PadHeight { get; }
    /// <summary>Columns removed left and right of the full output.</summary>
    public int PadWidth { get; }
    /// <summary>Rows added below the output.</summary>
    public int OutputPaddingHeight { get; }
    /// <summary>Columns added right of the output.</summary>
    public int OutputPaddingWidth { get; }
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

    /// <summary>Input channels per group.</summary>
    public int InChannelsPerGroup => InChannels / Groups;
    /// <summary>Output channels per group.</summary>
    public int OutChannelsPerGroup => OutChannels / Groups;
    /// <summary>Elements of the weights, <c>InChannels·(OutChannels/Groups)·KernelHeight·KernelWidth</c>; the bias adds OutChannels more.</summary>
    public long WeightCount => (long)InChannels * OutChannelsPerGroup * KernelHeight * KernelWidth;

    /// <summary><c>(input − 1)·stride − 2·padding + dilation·(kernel − 1) + outputPadding + 1</c>: the output length along one axis (0 or less when the padding removes it all).</summary>
    public static long OutputSize(int input, int kernel, int stride, int padding, int outputPadding, int dilation)
        => (long)(input - 1) * stride - 2L * padding + (long)dilation * (kernel - 1) + outputPadding + 1;
}

/// <summary>
/// Transposed 2-D convolution by GEMM and col2im (layouts in <see cref="ConvTranspose2dShape"/>): forward multiplies the
/// transposed weights by the input and scatters the columns into the output; backward unfolds the output gradient and
/// multiplies. Forward overwrites its output; backward adds into every gradient, like <see cref="ConvKernels"/>.
/// </summary>
/// <remarks>
/// Each group is one GEMM over the whole batch (input pixels of all samples side by side as the columns), so results are
/// bit-identical for any thread count. The scratch buffer of <see cref="WorkspaceSize"/> elements is passed in by the
/// caller and need not survive from forward to backward. No call allocates.
/// </remarks>
public static unsafe class ConvTransposeKernels
{
    /// <summary>
    /// Elements of the scratch buffer that <see cref="Forward{T}"/> and <see cref="Backward{T}"/> need: one group's
    /// columns, <c>(OC/G)·KH·KW × N·H·W</c>, plus one group's input channels over the batch, <c>C/G × N·H·W</c>.
    /// </summary>
    public static long WorkspaceSize(in ConvTranspose2dShape shape)
        => ((long)shape.OutChannelsPerGroup * shape.KernelHeight * shape.KernelWidth + shape.InChannelsPerGroup)
           * shape.Batch * shape.InHeight * shape.InWidth;

    /// <summary>
    /// <c>y[n, o, i·sh − ph + p·dh, j·sw − pw + q·dw] += weights[c, o − g·OC/G, p, q] · x[n, c, i, j]</c> over the
    /// input channels c of o's group g, starting from the bias. Overwrites <paramref name="y"/>.
    /// </summary>
    /// <param name="shape">The geometry.</param>
    /// <param name="x">Input <c>[N, C, H, W]</c>.</param>
    /// <param name="weights">Weights <c>[C, OC/G, KH, KW]</c>.</param>
    /// <param name="bias">Bias <c>[OC]</c>, or null for none.</param>
    /// <param name="y">Output <c>[N, OC, OH, OW]</c> (must not alias x).</param>
    /// <param name="workspace">Scratch of <see cref="WorkspaceSize"/> elements.</param>
    public static void Forward<T>(in ConvTranspose2dShape shape, T* x, T* weights, T* bias, T* y, T* workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int columns = shape.Batch * shape.InHeight * shape.InWidth;
        int rows = shape.OutChannelsPerGroup * shape.KernelHeight * shape.KernelWidth;
        int groupIn = shape.InChannelsPerGroup;
        T* col = workspace;
        T* stage = workspace + (long)rows * columns;
        long plane = (long)shape.OutHeight * shape.OutWidth;
        for (int n = 0; n < shape.Batch; n++)
        for (int o = 0; o < shape.OutChannels; o++)
        {
            var channel = new Span<T>(y + ((long)n * shape.OutChannels + o) * plane, (int)plane);
            if (bias == null) channel.Clear();
            else channel.Fill(bias[o]);
        }
        for (int g = 0; g < shape.Groups; g++)
        {
            Gather(in shape, x, g, stage);
            // Weights of the group are [C/G, (OC/G)·KH·KW]: their transpose times the input gives one column per input pixel.
            Gemm.Multiply(true, false, rows, columns, groupIn, weights + (long)g * groupIn * rows, stage, col, accumulate: false);
            FoldAdd(in shape, col, columns, g, y);
        }
    }

    /// <summary>
    /// Back-propagates <paramref name="dy"/> <c>[N, OC, OH, OW]</c>: adds to <paramref name="dWeights"/>
    /// <c>[C, OC/G, KH, KW]</c> and <paramref name="dBias"/> <c>[OC]</c> (each when not null) and to
    /// <paramref name="dx"/> <c>[N, C, H, W]</c> (when not null). Every gradient accumulates; none is overwritten.
    /// </summary>
    /// <param name="shape">The geometry.</param>
    /// <param name="x">The forward input <c>[N, C, H, W]</c>.</param>
    /// <param name="weights">Weights <c>[C, OC/G, KH, KW]</c>.</param>
    /// <param name="dy">Gradient of the output.</param>
    /// <param name="dx">Gradient of the input, or null when the input needs none.</param>
    /// <param name="dWeights">Gradient of the weights, or null when it is not needed (a frozen layer).</param>
    /// <param name="dBias">Gradient of the bias, or null when there is no bias (or the layer is frozen).</param>
    /// <param name="workspace">Scratch of <see cref="WorkspaceSize"/> elements (contents from forward not needed).</param>
    public static void Backward<T>(in ConvTranspose2dShape shape, T* x, T* weights, T* dy, T* dx, T* dWeights, T* dBias, T* workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int columns = shape.Batch * shape.InHeight * shape.InWidth;
        int rows = shape.OutChannelsPerGroup * shape.KernelHeight * shape.KernelWidth;
        int groupIn = shape.InChannelsPerGroup;
        T* col = workspace;
        T* stage = workspace + (long)rows * columns;
        long plane = (long)shape.OutHeight * shape.OutWidth;

        if (dBias != null)
        {
            for (int o = 0; o < shape.OutChannels; o++)
            {
                T sum = T.Zero;
                for (int n = 0; n < shape.Batch; n++) sum += ElementwiseKernels.Sum(dy + ((long)n * shape.OutChannels + o) * plane, plane);
                dBias[o] += sum;
            }
        }
        if (dWeights == null && dx == null) return;

        for (int g = 0; g < shape.Groups; g++)
        {
            var unfolding = Unfolding.Of(in shape);
            for (int n = 0; n < shape.Batch; n++)
                unfolding.Unfold(dy + ((long)n * shape.OutChannels + g * shape.OutChannelsPerGroup) * plane, col + (long)n * shape.InHeight * shape.InWidth, columns);
            T* groupWeights = weights + (long)g * groupIn * rows;
            if (dWeights != null)
            {
                Gather(in shape, x, g, stage);
                Gemm.Multiply(false, true, groupIn, rows, columns, stage, col, dWeights + (long)g * groupIn * rows, accumulate: true);
            }
            if (dx == null) continue;
            Gemm.Multiply(false, false, groupIn, columns, rows, groupWeights, col, stage, accumulate: false);
            ScatterAdd(in shape, stage, g, dx);
        }
    }

    /// <summary>Copies group <paramref name="group"/>'s input channels to <paramref name="stage"/> as <c>[C/G, N·H·W]</c> (channel-major).</summary>
    private static void Gather<T>(in ConvTranspose2dShape s, T* x, int group, T* stage)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int pixels = s.InHeight * s.InWidth;
        long columns = (long)s.Batch * pixels;
        int channels = s.InChannelsPerGroup;
        for (int n = 0; n < s.Batch; n++)
        for (int c = 0; c < channels; c++)
            new ReadOnlySpan<T>(x + ((long)n * s.InChannels + group * channels + c) * pixels, pixels)
                .CopyTo(new Span<T>(stage + c * columns + (long)n * pixels, pixels));
    }

    /// <summary>The transpose of <see cref="Gather"/>, adding: <c>[C/G, N·H·W]</c> into group <paramref name="group"/>'s channels of <paramref name="dx"/>.</summary>
    private static void ScatterAdd<T>(in ConvTranspose2dShape s, T* stage, int group, T* dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int pixels = s.InHeight * s.InWidth;
        long columns = (long)s.Batch * pixels;
        int channels = s.InChannelsPerGroup;
        for (int n = 0; n < s.Batch; n++)
        for (int c = 0; c < channels; c++)
        {
            T* src = stage + c * columns + (long)n * pixels;
            T* dst = dx + ((long)n * s.InChannels + group * channels + c) * pixels;
            for (int p = 0; p < pixels; p++) dst[p] += src[p];
        }
    }

    /// <summary>
    /// col2im, adding: row (o, p, q) of <paramref name="col"/>, column n·H·W + i·W + j, goes to
    /// y[n, g·OC/G + o, i·sh − ph + p·dh, j·sw − pw + q·dw] when that lies inside the output.
    /// </summary>
    private static void FoldAdd<T>(in ConvTranspose2dShape s, T* col, int columns, int group, T* y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var unfolding = Unfolding.Of(in s);
        long plane = (long)s.OutHeight * s.OutWidth;
        for (int n = 0; n < s.Batch; n++)
            unfolding.FoldAdd(col + (long)n * s.InHeight * s.InWidth, columns, y + ((long)n * s.OutChannels + group * s.OutChannelsPerGroup) * plane);
    }
}
