using System;
using System.Numerics;
using ModelGen.Compute;

namespace ModelGen.Cpu;

/// <summary>
/// One decoder position at a time, for key/value-cached generation: the attention layers of a decoder step read the
/// keys and values of earlier positions (causal self-attention) or of the encoder's memory (cross-attention) from
/// caches instead of recomputing them, so a step costs O(position · d + d²), not a forward pass over every position.
/// Parameters are laid out as in <see cref="AttentionKernels"/> and <see cref="CrossAttentionKernels"/>: Wqkv
/// <c>[d, 3d]</c> (Q, K, V column blocks), bqkv <c>[3d]</c>, Wo <c>[d, d]</c>, bo <c>[d]</c>.
/// </summary>
/// <remarks>
/// A cache holds one row of width d per position; head h owns its columns h·d/H … (h + 1)·d/H − 1, as the
/// concatenated heads of the full forward. Results match the full forward's at that position up to the order of
/// floating-point sums.
/// </remarks>
public static unsafe class DecodingKernels
{
    /// <summary>Scratch elements a step needs: <see cref="SelfAttentionStep{T}"/> or <see cref="CrossAttentionStep{T}"/>.</summary>
    /// <param name="positions">The longest cache (decoder positions or memory keys).</param>
    /// <param name="dimension">Model width.</param>
    public static int StepWorkspaceSize(int positions, int dimension) => checked(4 * dimension + positions);

    /// <summary>
    /// Causal self-attention of the decoder row at <paramref name="position"/>: projects it to Q, K and V, stores K and V
    /// in row <paramref name="position"/> of the caches, and attends over rows 0 … position.
    /// </summary>
    /// <param name="x">The row <c>[d]</c>.</param>
    /// <param name="qkvWeights">Wqkv.</param>
    /// <param name="qkvBias">bqkv, or null.</param>
    /// <param name="outWeights">Wo.</param>
    /// <param name="outBias">bo, or null.</param>
    /// <param name="y">Output row <c>[d]</c>.</param>
    /// <param name="keys">Key cache <c>[positions, d]</c>; rows before <paramref name="position"/> filled by earlier steps.</param>
    /// <param name="values">Value cache, as <paramref name="keys"/>.</param>
    /// <param name="position">This row's position, 0 … positions − 1.</param>
    /// <param name="dimension">d.</param>
    /// <param name="heads">Heads, dividing d.</param>
    /// <param name="workspace">Scratch, <see cref="StepWorkspaceSize"/> elements.</param>
    public static void SelfAttentionStep<T>(T* x, T* qkvWeights, T* qkvBias, T* outWeights, T* outBias, T* y,
        T* keys, T* values, int position, int dimension, int heads, T* workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* query = workspace, context = workspace + dimension;
        RowTimesColumns(x, qkvWeights, 3 * dimension, 0, dimension, qkvBias, query, dimension);
        RowTimesColumns(x, qkvWeights, 3 * dimension, dimension, dimension, qkvBias, keys + (long)position * dimension, dimension);
        RowTimesColumns(x, qkvWeights, 3 * dimension, 2 * dimension, dimension, qkvBias, values + (long)position * dimension, dimension);
        Attend(query, keys, values, position + 1, dimension, heads, context, workspace + 2 * dimension);
        RowTimesColumns(context, outWeights, dimension, 0, dimension, outBias, y, dimension);
    }

    /// <summary>
    /// The memory's keys and values of a cross-attention, once per source: <c>[K | V] = memory·Wkv + bkv</c>, each
    /// <c>[keys, d]</c>.
    /// </summary>
    /// <param name="memory">The encoder's output <c>[keys, d]</c> (one sample).</param>
    /// <param name="qkvWeights">Wqkv (its K and V column blocks are used).</param>
    /// <param name="qkvBias">bqkv, or null.</param>
    /// <param name="keys">Key cache <c>[keys, d]</c>, written.</param>
    /// <param name="values">Value cache <c>[keys, d]</c>, written.</param>
    /// <param name="count">Memory positions.</param>
    /// <param name="dimension">d.</param>
    public static void ProjectMemory<T>(T* memory, T* qkvWeights, T* qkvBias, T* keys, T* values, int count, int dimension)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j = 0; j < count; j++)
        {
            T* row = memory + (long)j * dimension;
            RowTimesColumns(row, qkvWeights, 3 * dimension, dimension, dimension, qkvBias, keys + (long)j * dimension, dimension);
            RowTimesColumns(row, qkvWeights, 3 * dimension, 2 * dimension, dimension, qkvBias, values + (long)j * dimension, dimension);
        }
    }

    /// <summary>Cross-attention of one decoder row to the memory's cached keys and values, the first <paramref name="validKeys"/> of them.</summary>
    /// <param name="x">The query row <c>[d]</c>.</param>
    /// <param name="qkvWeights">Wqkv (its Q column block is used).</param>
    /// <param name="qkvBias">bqkv, or null.</param>
    /// <param name="outWeights">Wo.</param>
    /// <param name="outBias">bo, or null.</param>
    /// <param name="y">Output row <c>[d]</c>.</param>
    /// <param name="keys">The memory's keys (<see cref="ProjectMemory{T}"/>).</param>
    /// <param name="values">The memory's values.</param>
    /// <param name="validKeys">Keys attended to (a padded source's length); 0 gives head outputs 0, as the full forward.</param>
    /// <param name="dimension">d.</param>
    /// <param name="heads">Heads, dividing d.</param>
    /// <param name="workspace">Scratch, <see cref="StepWorkspaceSize"/> elements.</param>
    public static void CrossAttentionStep<T>(T* x, T* qkvWeights, T* qkvBias, T* outWeights, T* outBias, T* y,
        T* keys, T* values, int validKeys, int dimension, int heads, T* workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* query = workspace, context = workspace + dimension;
        RowTimesColumns(x, qkvWeights, 3 * dimension, 0, dimension, qkvBias, query, dimension);
        Attend(query, keys, values, validKeys, dimension, heads, context, workspace + 2 * dimension);
        RowTimesColumns(context, outWeights, dimension, 0, dimension, outBias, y, dimension);
    }

    /// <summary>
    /// The next token from a row of logits: the arg-max (lowest id among equals) when <paramref name="temperature"/> is 0,
    /// else a draw from <c>softmax(logits / temperature)</c>.
    /// </summary>
    /// <param name="logits">The step's logits.</param>
    /// <param name="vocabulary">Their count.</param>
    /// <param name="temperature">0 for greedy, else positive.</param>
    /// <param name="rng">The sampling generator, advanced by one draw when sampling.</param>
    /// <exception cref="ArgumentException">A logit is NaN or infinite (the message says where to look).</exception>
    public static int ChooseToken<T>(T* logits, int vocabulary, float temperature, ref Rng rng)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int best = 0;
        for (int c = 0; c < vocabulary; c++)
        {
            if (!T.IsFinite(logits[c]))
                throw new ArgumentException($"The decoder's logit for id {c} is {logits[c]}; check the parameters for NaN or infinity (e.g. a diverged training run).", nameof(logits));
            if (logits[c] > logits[best]) best = c;
        }
        if (temperature == 0f) return best;
        // Inverse-CDF draw over exp((logit − max) / temperature): the largest term is 1, so the sum is at least 1.
        double max = double.CreateTruncating(logits[best]), sum = 0;
        for (int c = 0; c < vocabulary; c++) sum += Math.Exp((double.CreateTruncating(logits[c]) - max) / temperature);
        double u = rng.NextDouble() * sum, cumulative = 0;
        for (int c = 0; c < vocabulary; c++)
        {
            cumulative += Math.Exp((double.CreateTruncating(logits[c]) - max) / temperature);
            if (u < cumulative) return c;
        }
        return best;   // u within rounding of the total
    }

    /// <summary>Checks a number of decoder positions against the positions the target input declares.</summary>
    /// <param name="requested">Positions asked for (a maxLength, a buffer's length, or one past the position to decode).</param>
    /// <param name="positions">The target input's declared length.</param>
    /// <param name="targetName">The target input's name, for the message.</param>
    /// <param name="parameterName">The caller's parameter.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="requested"/> is outside 1 … <paramref name="positions"/>.</exception>
    public static void CheckLength(int requested, int positions, string targetName, string parameterName)
    {
        if (requested < 1)
            throw new ArgumentOutOfRangeException(parameterName, requested, $"{parameterName} must be at least 1 (ids to generate).");
        if (requested > positions)
            throw new ArgumentOutOfRangeException(parameterName, requested,
                $"{parameterName} = {requested} is beyond the decoder's {positions} positions: the input '{targetName}' is declared with length {positions} ([Input(\"{targetName}\", {positions})]), which sizes its position table and attention; declare a longer input to generate more.");
    }

    /// <summary>Checks an id the decoder reads.</summary>
    /// <param name="token">The id.</param>
    /// <param name="vocabulary">Rows of the decoder's embedding.</param>
    /// <param name="parameterName">The caller's parameter.</param>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside 0 … vocabulary − 1.</exception>
    public static void CheckToken(int token, int vocabulary, string parameterName)
    {
        if ((uint)token >= (uint)vocabulary)
            throw new ArgumentOutOfRangeException(parameterName, token, $"{parameterName} = {token} is not an id of the decoder's embedding (0 … {vocabulary - 1}).");
    }

    /// <summary>
    /// Writes the source ids into the encoder's input row: checked against the vocabulary, shorter sources padded with
    /// <paramref name="paddingIndex"/> (a masked source) or refused.
    /// </summary>
    /// <param name="source">The ids.</param>
    /// <param name="row">The source's columns of the input row.</param>
    /// <param name="vocabulary">Rows of the source's embedding.</param>
    /// <param name="paddingIndex">The padding id of a masked source, else −1 (the source must fill the row).</param>
    /// <param name="sourceName">The source input's name, for messages.</param>
    /// <exception cref="ArgumentException">The length is wrong or an id is outside the vocabulary.</exception>
    public static void WriteSource<T>(ReadOnlySpan<int> source, Span<T> row, int vocabulary, int paddingIndex, string sourceName)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (source.Length > row.Length || (paddingIndex < 0 && source.Length != row.Length))
            throw new ArgumentException(paddingIndex < 0
                ? $"The source has {source.Length} ids, but the input '{sourceName}' is declared with {row.Length} (pad it, or mask its padding with MaskPadding = true to pass shorter ones)."
                : $"The source has {source.Length} ids, but the input '{sourceName}' is declared with at most {row.Length}.", nameof(source));
        for (int i = 0; i < source.Length; i++)
        {
            if ((uint)source[i] >= (uint)vocabulary)
                throw new ArgumentException($"Source id {source[i]} at position {i} is not an id of the embedding of '{sourceName}' (0 … {vocabulary - 1}).", nameof(source));
            row[i] = T.CreateTruncating(source[i]);
        }
        row.Slice(source.Length).Fill(T.CreateTruncating(Math.Max(paddingIndex, 0)));
    }

    /// <summary>Per head: softmax(q_h·K_hᵀ/√(d/H)) over the first <paramref name="count"/> rows, times V_h, into the head's columns of <paramref name="context"/>.</summary>
    private static void Attend<T>(T* query, T* keys, T* values, int count, int dimension, int heads, T* context, T* scores)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int dh = dimension / heads;
        T scale = T.One / T.Sqrt(T.CreateTruncating(dh));
        new Span<T>(context, dimension).Clear();
        if (count == 0) return;
        for (int h = 0; h < heads; h++)
        {
            int column = h * dh;
            T max = T.NegativeInfinity;
            for (int j = 0; j < count; j++)
            {
                T* key = keys + (long)j * dimension + column;
                T dot = T.Zero;
                for (int i = 0; i < dh; i++) dot += query[column + i] * key[i];
                scores[j] = dot * scale;
                if (scores[j] > max) max = scores[j];
            }
            T sum = T.Zero;
            for (int j = 0; j < count; j++)
            {
                scores[j] = T.Exp(scores[j] - max);
                sum += scores[j];
            }
            for (int j = 0; j < count; j++)
            {
                T weight = scores[j] / sum;
                T* value = values + (long)j * dimension + column;
                for (int i = 0; i < dh; i++) context[column + i] += weight * value[i];
            }
        }
    }

    /// <summary><c>y = x·W[:, first … first + columns − 1] + b[first …]</c> for one row x <c>[rows]</c> of a row-major W with <paramref name="stride"/> columns.</summary>
    private static void RowTimesColumns<T>(T* x, T* weights, int stride, int first, int columns, T* bias, T* y, int rows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j = 0; j < columns; j++) y[j] = bias == null ? T.Zero : bias[first + j];
        for (int i = 0; i < rows; i++)
        {
            T xi = x[i];
            T* w = weights + (long)i * stride + first;
            for (int j = 0; j < columns; j++) y[j] += xi * w[j];
        }
    }
}
