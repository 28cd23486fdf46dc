using System;
using System.Numerics;

namespace ModelGen.Cpu;

/// <summary>
/// Geometry of an LSTM or GRU layer over batch-first input <c>[Batch, Sequence, InputSize]</c>,
/// optionally bidirectional, returning every step's hidden state or only the last one.
/// </summary>
/// <remarks>
/// Output: with <see cref="ReturnSequence"/>, <c>[Batch, Sequence, Directions·HiddenSize]</c>, the
/// forward direction's h_t in columns 0…h−1 and the reverse direction's in h…2h−1 (PyTorch's
/// <c>output</c>); without, <c>[Batch, Directions·HiddenSize]</c>: the forward direction's state after
/// the last step (t = S − 1) followed by the reverse direction's state after its last step (t = 0),
/// i.e. PyTorch's <c>h_n</c> of the layer, directions concatenated. Initial states are zero.
/// <para>Variable-length (right-padded) samples: given per-sample <c>lengths</c>, sample b runs only
/// the steps t &lt; lengths[b], as PyTorch's <c>pack_padded_sequence</c>: the forward direction runs
/// t = 0 … len − 1 and its final state is the one after step len − 1; the reverse direction starts
/// at t = len − 1. Outputs at steps ≥ len are 0 (both directions' columns) and gradients arriving
/// there are ignored; a sample of length 0 outputs 0 and its final state is the zero initial state.</para>
/// </remarks>
public readonly struct RecurrentShape
{
    /// <summary>Creates and validates the geometry.</summary>
    /// <param name="batch">Samples (B).</param>
    /// <param name="sequence">Time steps (S).</param>
    /// <param name="inputSize">Features per step.</param>
    /// <param name="hiddenSize">Hidden size (h).</param>
    /// <param name="bidirectional">Also run a second, independent cell from the last step to the first.</param>
    /// <param name="returnSequence">Output every step (true) or only the final state(s) (false).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or a buffer would exceed 2³¹ − 1 rows or columns.</exception>
    public RecurrentShape(int batch, int sequence, int inputSize, int hiddenSize, bool bidirectional = false, bool returnSequence = true)
    {
        Conv2dShape.Positive(batch, nameof(batch));
        Conv2dShape.Positive(sequence, nameof(sequence));
        Conv2dShape.Positive(inputSize, nameof(inputSize));
        Conv2dShape.Positive(hiddenSize, nameof(hiddenSize));
        if ((long)batch * sequence > int.MaxValue || 4L * hiddenSize > int.MaxValue || (long)batch * sequence * Math.Max(inputSize, 4L * hiddenSize) > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, "The recurrent layer is too large: every buffer must have fewer than 2³¹ elements.");
        Batch = batch; Sequence = sequence; InputSize = inputSize; HiddenSize = hiddenSize;
        Bidirectional = bidirectional; ReturnSequence = returnSequence;
    }

    /// <summary>Samples (B).</summary>
    public int Batch { get; }
    /// <summary>Time steps (S).</summary>
    public int Sequence { get; }
    /// <summary>Features per step of the input.</summary>
    public int InputSize { get; }
    /// <summary>Hidden size (h).</summary>
    public int HiddenSize { get; }
    /// <summary>Whether a reverse-direction cell runs too.</summary>
    public bool Bidirectional { get; }
    /// <summary>Whether every step is output, not only the final state.</summary>
    public bool ReturnSequence { get; }
    /// <summary>1, or 2 when bidirectional.</summary>
    public int Directions => Bidirectional ? 2 : 1;
    /// <summary>Elements of the input, <c>B·S·InputSize</c>.</summary>
    public long InputElements => (long)Batch * Sequence * InputSize;
    /// <summary>Elements of the output: <c>B·S·Directions·h</c>, or <c>B·Directions·h</c> for the final state only.</summary>
    public long OutputElements => (long)Batch * (ReturnSequence ? Sequence : 1) * Directions * HiddenSize;
}

/// <summary>
/// LSTM layer kernels (PyTorch's <c>nn.LSTM</c>, one layer, batch_first, bias): with gates in
/// PyTorch's order i, f, g, o,
/// <c>[i f g o] = x_t·W_ih + b_ih + h_{t−1}·W_hh + b_hh</c>, i, f, o = σ(…), g = tanh(…),
/// <c>c_t = f⊙c_{t−1} + i⊙g</c>, <c>h_t = o⊙tanh(c_t)</c>.
/// </summary>
/// <remarks>
/// <para>Parameters, per direction (forward first, then reverse when bidirectional), one block of
/// <c>(InputSize + h + 2)·4h</c> elements: W_ih <c>[InputSize, 4h]</c>, W_hh <c>[h, 4h]</c>, b_ih <c>[4h]</c>,
/// b_hh <c>[4h]</c>. Weights are stored in×out like <see cref="DenseKernels"/> (the transpose of
/// PyTorch's <c>weight_ih_l0</c>), columns k·h … (k+1)·h − 1 belonging to gate k of i, f, g, o.</para>
/// <para><c>saved</c> (<see cref="SavedSize"/>) is written by forward for backward and belongs to
/// the layer: per direction, time-major, the activated gates <c>[S, B, 4h]</c>, the cell states
/// <c>[S, B, h]</c> and the hidden states <c>[S, B, h]</c>. <c>workspace</c>
/// (<see cref="WorkspaceSize"/>) is scratch that can be shared with other layers. Backward adds
/// into every gradient. The input and recurrent products are <see cref="Gemm"/> calls, so results
/// are bit-identical for any thread count.</para>
/// </remarks>
public static unsafe class LstmKernels
{
    private const int GateCount = 4;

    /// <summary>Parameter elements of the layer (all directions): <c>Directions·(InputSize + h + 2)·4h</c>.</summary>
    public static long ParameterCount(in RecurrentShape shape) => shape.Directions * Recurrent.BlockSize(shape, GateCount);

    /// <summary>Elements of the per-layer saved buffer: <c>Directions·S·B·6h</c>.</summary>
    public static long SavedSize(in RecurrentShape shape) => shape.Directions * (long)shape.Sequence * shape.Batch * 6 * shape.HiddenSize;

    /// <summary>Elements of the shareable scratch buffer: <c>2·S·B·InputSize + S·B·4h + 2·B·h</c>.</summary>
    public static long WorkspaceSize(in RecurrentShape shape)
    {
        long steps = (long)shape.Sequence * shape.Batch;
        return 2 * steps * shape.InputSize + steps * GateCount * shape.HiddenSize + 2L * shape.Batch * shape.HiddenSize;
    }

    /// <summary>Runs the layer over the whole sequence (both directions when bidirectional); overwrites <paramref name="y"/> and <paramref name="saved"/>.</summary>
    /// <param name="shape">The geometry.</param>
    /// <param name="x">Input <c>[B, S, InputSize]</c>.</param>
    /// <param name="parameters">Parameter blocks, <see cref="ParameterCount"/> elements.</param>
    /// <param name="y">Output, layout in <see cref="RecurrentShape"/>.</param>
    /// <param name="saved">The layer's saved buffer, <see cref="SavedSize"/> elements.</param>
    /// <param name="workspace">Scratch, <see cref="WorkspaceSize"/> elements.</param>
    /// <param name="lengths">Steps per sample <c>[B]</c>, each 0 … S (see <see cref="RecurrentShape"/>); null when every sample has the full length.</param>
    /// <exception cref="ArgumentException">A length is outside 0 … S.</exception>
    public static void Forward<T>(in RecurrentShape shape, T* x, T* parameters, T* y, T* saved, T* workspace, int* lengths = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int b = shape.Batch, s = shape.Sequence, h = shape.HiddenSize, g = GateCount * h, inputs = shape.InputSize;
        long steps = (long)s * b;
        SequenceLengths.Validate(lengths, b, s);
        T* xt = workspace;
        Recurrent.ToTimeMajor(x, xt, b, s, inputs);
        for (int dir = 0; dir < shape.Directions; dir++)
        {
            Recurrent.Parameters(parameters, shape, GateCount, dir, out T* wih, out T* whh, out T* bih, out T* bhh);
            T* gates = saved + dir * steps * 6 * h;
            T* cells = gates + steps * g;
            T* hidden = cells + steps * h;
            DenseKernels.Forward(xt, wih, bih, gates, gates, (int)steps, inputs, g, Activation.None, T.Zero);
            for (int k = 0; k < s; k++)
            {
                int t = dir == 0 ? k : s - 1 - k, tp = dir == 0 ? t - 1 : t + 1;
                T* gt = gates + (long)t * b * g;
                if (k > 0) Gemm.Multiply(false, false, b, g, h, hidden + (long)tp * b * h, whh, gt, accumulate: true);
                for (int n = 0; n < b; n++)
                {
                    T* row = gt + (long)n * g;
                    T* c = cells + ((long)t * b + n) * h;
                    T* hOut = hidden + ((long)t * b + n) * h;
                    int length = lengths == null ? s : lengths[n];
                    if (t >= length)
                    {
                        // A padded step: its zero state is the output there and the reverse direction's initial state.
                        Recurrent.ClearPaddedStep(row, g, c, hOut, h);
                        continue;
                    }
                    T* cPrev = Recurrent.IsFirstStep(dir, t, length) ? null : cells + ((long)tp * b + n) * h;
                    for (int j = 0; j < h; j++)
                    {
                        T i = ActivationKernels.Sigmoid(row[j] + bhh[j]);
                        T f = ActivationKernels.Sigmoid(row[h + j] + bhh[h + j]);
                        T gg = T.Tanh(row[2 * h + j] + bhh[2 * h + j]);
                        T o = ActivationKernels.Sigmoid(row[3 * h + j] + bhh[3 * h + j]);
                        row[j] = i; row[h + j] = f; row[2 * h + j] = gg; row[3 * h + j] = o;
                        T cell = i * gg;
                        if (cPrev != null) cell = f * cPrev[j] + cell;
                        c[j] = cell;
                        hOut[j] = o * T.Tanh(cell);
                    }
                }
            }
            Recurrent.WriteOutput(shape, hidden, y, dir, lengths);
        }
    }

    /// <summary>
    /// Back-propagation through time from <paramref name="dy"/> (layout of the output): adds to
    /// <paramref name="dx"/> (if not null) and to <paramref name="dParameters"/> (same layout as the
    /// parameters). <paramref name="saved"/> is only read.
    /// </summary>
    /// <param name="shape">The geometry.</param>
    /// <param name="x">The forward input <c>[B, S, InputSize]</c>.</param>
    /// <param name="parameters">The parameters.</param>
    /// <param name="dy">Output gradient.</param>
    /// <param name="dx">Input gradient <c>[B, S, InputSize]</c>, added to; null when not needed.</param>
    /// <param name="dParameters">Parameter gradients, added to; null when not needed (a frozen layer).</param>
    /// <param name="saved">The buffer forward filled.</param>
    /// <param name="workspace">Scratch, <see cref="WorkspaceSize"/> elements.</param>
    /// <param name="lengths">The lengths forward used, or null.</param>
    /// <exception cref="ArgumentException">A length is outside 0 … S.</exception>
    public static void Backward<T>(in RecurrentShape shape, T* x, T* parameters, T* dy, T* dx, T* dParameters, T* saved, T* workspace, int* lengths = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int b = shape.Batch, s = shape.Sequence, h = shape.HiddenSize, g = GateCount * h, inputs = shape.InputSize;
        long steps = (long)s * b;
        SequenceLengths.Validate(lengths, b, s);
        T* xt = workspace;
        T* dxt = xt + steps * inputs;
        T* dGates = dxt + steps * inputs;
        T* dhNext = dGates + steps * g;
        T* dcNext = dhNext + (long)b * h;
        Recurrent.ToTimeMajor(x, xt, b, s, inputs);
        for (int dir = 0; dir < shape.Directions; dir++)
        {
            Recurrent.Parameters(parameters, shape, GateCount, dir, out T* wih, out T* whh, out _, out _);
            Recurrent.Parameters(dParameters, shape, GateCount, dir, out T* dWih, out T* dWhh, out T* dBih, out T* dBhh);
            T* gates = saved + dir * steps * 6 * h;
            T* cells = gates + steps * g;
            T* hidden = cells + steps * h;
            ElementwiseKernels.Clear(dhNext, 2L * b * h);
            for (int k = s - 1; k >= 0; k--)
            {
                int t = dir == 0 ? k : s - 1 - k, tp = dir == 0 ? t - 1 : t + 1;
                for (int n = 0; n < b; n++)
                {
                    T* row = gates + ((long)t * b + n) * g;
                    T* dRow = dGates + ((long)t * b + n) * g;
                    T* dhRow = dhNext + (long)n * h, dcRow = dcNext + (long)n * h;
                    int length = lengths == null ? s : lengths[n];
                    if (t >= length)
                    {
                        // A padded step passes no gradient, neither to the parameters nor to the steps before it.
                        Recurrent.ClearPaddedStep(dRow, g, dhRow, dcRow, h);
                        continue;
                    }
                    T* c = cells + ((long)t * b + n) * h;
                    T* cPrev = Recurrent.IsFirstStep(dir, t, length) ? null : cells + ((long)tp * b + n) * h;
                    T* dyRow = Recurrent.OutputGradient(shape, dy, dir, t, n, length);
                    for (int j = 0; j < h; j++)
                    {
                        T dh = dyRow == null ? dhRow[j] : dhRow[j] + dyRow[j];
                        T i = row[j], f = row[h + j], gg = row[2 * h + j], o = row[3 * h + j];
                        T tc = T.Tanh(c[j]);
                        T dc = dcRow[j] + dh * o * (T.One - tc * tc);
                        T dO = dh * tc;
                        dRow[j] = dc * gg * i * (T.One - i);
                        dRow[h + j] = cPrev == null ? T.Zero : dc * cPrev[j] * f * (T.One - f);
                        dRow[2 * h + j] = dc * i * (T.One - gg * gg);
                        dRow[3 * h + j] = dO * o * (T.One - o);
                        dcRow[j] = dc * f;
                    }
                }
                if (k > 0) Gemm.Multiply(false, true, b, h, g, dGates + (long)t * b * g, whh, dhNext, accumulate: false);
            }
            Recurrent.ParameterGradients(shape, xt, hidden, dGates, dGates, wih, dWih, dWhh, dBih, dBhh, dxt, dx != null, dir, g);
        }
        if (dx != null) Recurrent.AddFromTimeMajor(dxt, dx, b, s, inputs);
    }
}

/// <summary>
/// GRU layer kernels (PyTorch's <c>nn.GRU</c>, one layer, batch_first, bias): with gates in
/// PyTorch's order r, z, n,
/// <c>r = σ(x·W_ir + b_ir + h·W_hr + b_hr)</c>, <c>z = σ(x·W_iz + b_iz + h·W_hz + b_hz)</c>,
/// <c>n = tanh(x·W_in + b_in + r⊙(h·W_hn + b_hn))</c>, <c>h' = (1 − z)⊙n + z⊙h</c>.
/// </summary>
/// <remarks>
/// <para>Parameters, per direction (forward first, then reverse), one block of
/// <c>(InputSize + h + 2)·3h</c> elements: W_ih <c>[InputSize, 3h]</c>, W_hh <c>[h, 3h]</c>, b_ih <c>[3h]</c>,
/// b_hh <c>[3h]</c>, stored in×out (the transpose of PyTorch's), columns grouped by gate r, z, n.</para>
/// <para><c>saved</c> (<see cref="SavedSize"/>) belongs to the layer: per direction, time-major,
/// the gates r, z, n <c>[S, B, 3h]</c>, <c>h·W_hn + b_hn</c> <c>[S, B, h]</c> (needed for r's
/// gradient) and the hidden states <c>[S, B, h]</c>. <c>workspace</c> (<see cref="WorkspaceSize"/>)
/// is shareable scratch. Backward adds into every gradient.</para>
/// </remarks>
public static unsafe class GruKernels
{
    private const int GateCount = 3;

    /// <summary>Parameter elements of the layer (all directions): <c>Directions·(InputSize + h + 2)·3h</c>.</summary>
    public static long ParameterCount(in RecurrentShape shape) => shape.Directions * Recurrent.BlockSize(shape, GateCount);

    /// <summary>Elements of the per-layer saved buffer: <c>Directions·S·B·5h</c>.</summary>
    public static long SavedSize(in RecurrentShape shape) => shape.Directions * (long)shape.Sequence * shape.Batch * 5 * shape.HiddenSize;

    /// <summary>Elements of the shareable scratch buffer: <c>2·S·B·InputSize + 2·S·B·3h + B·3h + B·h</c>.</summary>
    public static long WorkspaceSize(in RecurrentShape shape)
    {
        long steps = (long)shape.Sequence * shape.Batch;
        int g = GateCount * shape.HiddenSize;
        return 2 * steps * shape.InputSize + 2 * steps * g + (long)shape.Batch * g + (long)shape.Batch * shape.HiddenSize;
    }

    /// <summary>Runs the layer over the whole sequence (both directions when bidirectional); overwrites <paramref name="y"/> and <paramref name="saved"/>.</summary>
    /// <param name="shape">The geometry.</param>
    /// <param name="x">Input <c>[B, S, InputSize]</c>.</param>
    /// <param name="parameters">Parameter blocks, <see cref="ParameterCount"/> elements.</param>
    /// <param name="y">Output, layout in <see cref="RecurrentShape"/>.</param>
    /// <param name="saved">The layer's saved buffer, <see cref="SavedSize"/> elements.</param>
    /// <param name="workspace">Scratch, <see cref="WorkspaceSize"/> elements.</param>
    /// <param name="lengths">Steps per sample <c>[B]</c>, each 0 … S (see <see cref="RecurrentShape"/>); null when every sample has the full length.</param>
    /// <exception cref="ArgumentException">A length is outside 0 … S.</exception>
    public static void Forward<T>(in RecurrentShape shape, T* x, T* parameters, T* y, T* saved, T* workspace, int* lengths = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int b = shape.Batch, s = shape.Sequence, h = shape.HiddenSize, g = GateCount * h, inputs = shape.InputSize;
        long steps = (long)s * b;
        SequenceLengths.Validate(lengths, b, s);
        T* xt = workspace;
        // Laid out as in backward's workspace, after dXt, dGi and dGh.
        T* hproj = xt + 2 * steps * inputs + 2 * steps * g;
        Recurrent.ToTimeMajor(x, xt, b, s, inputs);
        for (int dir = 0; dir < shape.Directions; dir++)
        {
            Recurrent.Parameters(parameters, shape, GateCount, dir, out T* wih, out T* whh, out T* bih, out T* bhh);
            T* gates = saved + dir * steps * 5 * h;
            T* hn = gates + steps * g;
            T* hidden = hn + steps * h;
            DenseKernels.Forward(xt, wih, bih, gates, gates, (int)steps, inputs, g, Activation.None, T.Zero);
            for (int k = 0; k < s; k++)
            {
                int t = dir == 0 ? k : s - 1 - k, tp = dir == 0 ? t - 1 : t + 1;
                // The recurrent product stays separate from the input one: n needs r⊙(h·W_hn + b_hn).
                if (k > 0) DenseKernels.Forward(hidden + (long)tp * b * h, whh, bhh, hproj, hproj, b, h, g, Activation.None, T.Zero);
                else for (int n = 0; n < b; n++) new ReadOnlySpan<T>(bhh, g).CopyTo(new Span<T>(hproj + (long)n * g, g));
                for (int n = 0; n < b; n++)
                {
                    T* row = gates + ((long)t * b + n) * g;
                    T* hp = hproj + (long)n * g;
                    T* hnRow = hn + ((long)t * b + n) * h;
                    T* hOut = hidden + ((long)t * b + n) * h;
                    int length = lengths == null ? s : lengths[n];
                    if (t >= length)
                    {
                        // A padded step: its zero state is the output there and the reverse direction's initial state.
                        Recurrent.ClearPaddedStep(row, g, hnRow, hOut, h);
                        continue;
                    }
                    T* hPrev = Recurrent.IsFirstStep(dir, t, length) ? null : hidden + ((long)tp * b + n) * h;
                    for (int j = 0; j < h; j++)
                    {
                        T r = ActivationKernels.Sigmoid(row[j] + hp[j]);
                        T z = ActivationKernels.Sigmoid(row[h + j] + hp[h + j]);
                        T nn = T.Tanh(row[2 * h + j] + r * hp[2 * h + j]);
                        row[j] = r; row[h + j] = z; row[2 * h + j] = nn;
                        hnRow[j] = hp[2 * h + j];
                        T next = (T.One - z) * nn;
                        if (hPrev != null) next += z * hPrev[j];
                        hOut[j] = next;
                    }
                }
            }
            Recurrent.WriteOutput(shape, hidden, y, dir, lengths);
        }
    }

    /// <summary>
    /// Back-propagation through time from <paramref name="dy"/> (layout of the output): adds to
    /// <paramref name="dx"/> (if not null) and to <paramref name="dParameters"/>. <paramref name="saved"/> is only read.
    /// </summary>
    /// <param name="shape">The geometry.</param>
    /// <param name="x">The forward input <c>[B, S, InputSize]</c>.</param>
    /// <param name="parameters">The parameters.</param>
    /// <param name="dy">Output gradient.</param>
    /// <param name="dx">Input gradient, added to; null when not needed.</param>
    /// <param name="dParameters">Parameter gradients, added to; null when not needed (a frozen layer).</param>
    /// <param name="saved">The buffer forward filled.</param>
    /// <param name="workspace">Scratch, <see cref="WorkspaceSize"/> elements.</param>
    /// <param name="lengths">The lengths forward used, or null.</param>
    /// <exception cref="ArgumentException">A length is outside 0 … S.</exception>
    public static void Backward<T>(in RecurrentShape shape, T* x, T* parameters, T* dy, T* dx, T* dParameters, T* saved, T* workspace, int* lengths = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int b = shape.Batch, s = shape.Sequence, h = shape.HiddenSize, g = GateCount * h, inputs = shape.InputSize;
        long steps = (long)s * b;
        SequenceLengths.Validate(lengths, b, s);
        T* xt = workspace;
        T* dxt = xt + steps * inputs;
        T* dGi = dxt + steps * inputs;
        T* dGh = dGi + steps * g;
        T* dhNext = dGh + steps * g + (long)b * g;
        Recurrent.ToTimeMajor(x, xt, b, s, inputs);
        for (int dir = 0; dir < shape.Directions; dir++)
        {
            Recurrent.Parameters(parameters, shape, GateCount, dir, out T* wih, out T* whh, out _, out _);
            Recurrent.Parameters(dParameters, shape, GateCount, dir, out T* dWih, out T* dWhh, out T* dBih, out T* dBhh);
            T* gates = saved + dir * steps * 5 * h;
            T* hn = gates + steps * g;
            T* hidden = hn + steps * h;
            ElementwiseKernels.Clear(dhNext, (long)b * h);
            for (int k = s - 1; k >= 0; k--)
            {
                int t = dir == 0 ? k : s - 1 - k, tp = dir == 0 ? t - 1 : t + 1;
                for (int n = 0; n < b; n++)
                {
                    long at = (long)t * b + n;
                    T* row = gates + at * g;
                    T* gi = dGi + at * g, gh = dGh + at * g;
                    T* dhRow = dhNext + (long)n * h;
                    int length = lengths == null ? s : lengths[n];
                    if (t >= length)
                    {
                        // A padded step passes no gradient, neither to the parameters nor to the steps before it.
                        Recurrent.Clear(gi, g);
                        Recurrent.Clear(gh, g);
                        Recurrent.Clear(dhRow, h);
                        continue;
                    }
                    T* hnRow = hn + at * h;
                    T* hPrev = Recurrent.IsFirstStep(dir, t, length) ? null : hidden + ((long)tp * b + n) * h;
                    T* dyRow = Recurrent.OutputGradient(shape, dy, dir, t, n, length);
                    for (int j = 0; j < h; j++)
                    {
                        T dh = dyRow == null ? dhRow[j] : dhRow[j] + dyRow[j];
                        T r = row[j], z = row[h + j], nn = row[2 * h + j];
                        T prev = hPrev == null ? T.Zero : hPrev[j];
                        T dnPre = dh * (T.One - z) * (T.One - nn * nn);
                        T drPre = dnPre * hnRow[j] * r * (T.One - r);
                        T dzPre = dh * (prev - nn) * z * (T.One - z);
                        gi[j] = drPre; gi[h + j] = dzPre; gi[2 * h + j] = dnPre;
                        gh[j] = drPre; gh[h + j] = dzPre; gh[2 * h + j] = dnPre * r;
                        dhRow[j] = dh * z;
                    }
                }
                if (k > 0) Gemm.Multiply(false, true, b, h, g, dGh + (long)t * b * g, whh, dhNext, accumulate: true);
            }
            Recurrent.ParameterGradients(shape, xt, hidden, dGi, dGh, wih, dWih, dWhh, dBih, dBhh, dxt, dx != null, dir, g);
        }
        if (dx != null) Recurrent.AddFromTimeMajor(dxt, dx, b, s, inputs);
    }
}

/// <summary>Layout helpers shared by the LSTM and GRU kernels.</summary>
internal static unsafe class Recurrent
{
    public static long BlockSize(in RecurrentShape shape, int gates)
        => ((long)shape.InputSize + shape.HiddenSize + 2) * gates * shape.HiddenSize;

    public static void Parameters<T>(T* parameters, in RecurrentShape shape, int gates, int direction, out T* wih, out T* whh, out T* bih, out T* bhh)
        where T : unmanaged
    {
        if (parameters == null)
        {
            // No parameter gradient wanted (a frozen layer): every block pointer is null too.
            wih = whh = bih = bhh = null;
            return;
        }
        long g = (long)gates * shape.HiddenSize;
        wih = parameters + direction * BlockSize(shape, gates);
        whh = wih + shape.InputSize * g;
        bih = whh + shape.HiddenSize * g;
        bhh = bih + g;
    }

    /// <summary><c>xt[t, b, :] = x[b, t, :]</c>: time-major rows make each step's batch one contiguous GEMM operand.</summary>
    public static void ToTimeMajor<T>(T* x, T* xt, int batch, int sequence, int features) where T : unmanaged
    {
        for (int t = 0; t < sequence; t++)
        for (int b = 0; b < batch; b++)
            new ReadOnlySpan<T>(x + ((long)b * sequence + t) * features, features).CopyTo(new Span<T>(xt + ((long)t * batch + b) * features, features));
    }

    /// <summary><c>dx[b, t, :] += dxt[t, b, :]</c>.</summary>
    public static void AddFromTimeMajor<T>(T* dxt, T* dx, int batch, int sequence, int features) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int t = 0; t < sequence; t++)
        for (int b = 0; b < batch; b++)
            ElementwiseKernels.AddInto(dxt + ((long)t * batch + b) * features, dx + ((long)b * sequence + t) * features, features);
    }

    public static long OutputRowStride(in RecurrentShape shape) => shape.ReturnSequence
        ? (long)shape.Sequence * shape.Directions * shape.HiddenSize
        : (long)shape.Directions * shape.HiddenSize;

    /// <summary>
    /// Copies one direction's hidden states <c>[S, B, h]</c> into its columns of the output. Padded
    /// steps hold zero states, so a sequence output is 0 there; a final-state output takes the state
    /// after the sample's last step (zero for a sample of length 0).
    /// </summary>
    public static void WriteOutput<T>(in RecurrentShape shape, T* hidden, T* y, int direction, int* lengths) where T : unmanaged
    {
        int b = shape.Batch, s = shape.Sequence, h = shape.HiddenSize, width = shape.Directions * h;
        if (shape.ReturnSequence)
        {
            for (int t = 0; t < s; t++)
            for (int n = 0; n < b; n++)
                new ReadOnlySpan<T>(hidden + ((long)t * b + n) * h, h).CopyTo(new Span<T>(y + ((long)n * s + t) * width + direction * h, h));
        }
        else
        {
            for (int n = 0; n < b; n++)
            {
                int length = lengths == null ? s : lengths[n];
                var output = new Span<T>(y + (long)n * width + direction * h, h);
                if (length == 0) output.Clear();
                else new ReadOnlySpan<T>(hidden + ((long)LastStep(direction, length) * b + n) * h, h).CopyTo(output);
            }
        }
    }

    /// <summary>Whether step t is the first a direction runs for a sample of this length (its previous state is the zero initial state).</summary>
    public static bool IsFirstStep(int direction, int t, int length) => t == (direction == 0 ? 0 : length - 1);

    /// <summary>The step after which a direction's final state is taken, for a sample of positive length.</summary>
    public static int LastStep(int direction, int length) => direction == 0 ? length - 1 : 0;

    /// <summary>
    /// Where sample n's output gradient for step t (valid, t &lt; length) of a direction starts; null
    /// when the output does not contain that step (a final-state output holds only the last step).
    /// </summary>
    public static T* OutputGradient<T>(in RecurrentShape shape, T* dy, int direction, int t, int n, int length) where T : unmanaged
    {
        T* row = dy + OutputRowStride(shape) * n + direction * shape.HiddenSize;
        if (shape.ReturnSequence) return row + (long)t * shape.Directions * shape.HiddenSize;
        return t == LastStep(direction, length) ? row : null;
    }

    /// <summary>Zeroes one padded step's row of a gate buffer (width g) and two rows of width h.</summary>
    public static void ClearPaddedStep<T>(T* gates, int g, T* first, T* second, int h) where T : unmanaged
    {
        Clear(gates, g);
        Clear(first, h);
        Clear(second, h);
    }

    public static void Clear<T>(T* buffer, int count) where T : unmanaged => new Span<T>(buffer, count).Clear();

    /// <summary>
    /// The parameter and input gradients of one direction from its time-major gate gradients:
    /// <c>dW_ih += Xᵀ·dGi</c>, <c>db_ih += Σ dGi</c>, <c>dW_hh += H_prevᵀ·dGh</c> (steps after the
    /// first, whose previous state is the zero initial state), <c>db_hh += Σ dGh</c>, and
    /// <c>dXt (= or +=) dGi·W_ihᵀ</c> (overwritten by the first direction, added by the second).
    /// Padded steps of variable-length samples hold zero states and zero gate gradients, so they add
    /// nothing here (and a reverse direction's first step reads a zero previous state).
    /// </summary>
    public static void ParameterGradients<T>(in RecurrentShape shape, T* xt, T* hidden, T* dGi, T* dGh, T* wih,
        T* dWih, T* dWhh, T* dBih, T* dBhh, T* dxt, bool inputGradient, int direction, int g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int b = shape.Batch, s = shape.Sequence, h = shape.HiddenSize;
        int steps = s * b;
        if (inputGradient) Gemm.Multiply(false, true, steps, shape.InputSize, g, dGi, wih, dxt, accumulate: direction > 0);
        if (dWih == null) return;   // a frozen layer: the input gradient only
        if (s > 1)
        {
            // Forward direction: step t's previous state is H[t − 1]; reverse: H[t + 1]. Either way one product over all steps.
            long shift = (long)b;
            T* prev = direction == 0 ? hidden : hidden + shift * h;
            T* grads = direction == 0 ? dGh + shift * g : dGh;
            Gemm.Multiply(true, false, h, g, (s - 1) * b, prev, grads, dWhh, accumulate: true);
        }
        DenseKernels.AddColumnSums(dGh, dBhh, steps, g);
        DenseKernels.AddColumnSums(dGi, dBih, steps, g);
        Gemm.Multiply(true, false, shape.InputSize, g, steps, xt, dGi, dWih, accumulate: true);
    }
}
