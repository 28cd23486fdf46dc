using System;
using System.Runtime.Intrinsics;
using System.Numerics;

namespace ModelGen.Cpu;

/// <summary>
/// Embedding lookup and learned positional embeddings. A table is <c>[vocabulary, dimension]</c>
/// row-major; ids are T values holding integers 0 … vocabulary − 1 (as class labels are in
/// <see cref="LossKernels"/>). Forward overwrites its output; backward adds into gradients.
/// </summary>
public static unsafe class EmbeddingKernels
{
    /// <summary><c>y[i, :] = table[ids[i], :]</c> for <paramref name="count"/> contiguous ids (e.g. a <c>[batch, seq]</c> id tensor gives <c>[batch, seq, dimension]</c>).</summary>
    /// <param name="ids">Ids <c>[count]</c>.</param>
    /// <param name="table">Table <c>[vocabulary, dimension]</c>.</param>
    /// <param name="y">Output <c>[count, dimension]</c>.</param>
    /// <param name="count">Ids to look up.</param>
    /// <param name="vocabulary">Rows of the table.</param>
    /// <param name="dimension">Columns of the table.</param>
    /// <exception cref="ArgumentException">An id is not an integer in 0 … vocabulary − 1; the message names its row.</exception>
    public static void Forward<T>(T* ids, T* table, T* y, int count, int vocabulary, int dimension)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Forward(ids, 1, table, y, dimension, count, vocabulary, dimension);

    /// <summary>
    /// Strided lookup: <c>y[i·yStride + j] = table[ids[i·idStride], j]</c>. Reads one field of a
    /// <c>[batch, fields]</c> id tensor (ids + field, idStride = fields) and writes its embedding
    /// straight into its columns of a concatenated <c>[batch, yStride]</c> output.
    /// </summary>
    /// <param name="ids">First id.</param>
    /// <param name="idStride">Elements between consecutive ids.</param>
    /// <param name="table">Table <c>[vocabulary, dimension]</c>.</param>
    /// <param name="y">First output row.</param>
    /// <param name="yStride">Elements between consecutive output rows (≥ dimension).</param>
    /// <param name="count">Ids to look up.</param>
    /// <param name="vocabulary">Rows of the table.</param>
    /// <param name="dimension">Columns of the table.</param>
    /// <exception cref="ArgumentException">An id is not an integer in 0 … vocabulary − 1; the message names its row.</exception>
    public static void Forward<T>(T* ids, int idStride, T* table, T* y, int yStride, int count, int vocabulary, int dimension)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Rows of an embedding are short (16 values in wide-deep): whole-vector copies beat a block copy per row.
        bool vectors = Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && dimension >= Vector256<T>.Count;
        for (int i = 0; i < count; i++)
        {
            int id = Row(ids[(long)i * idStride], vocabulary, i);
            if (vectors) ConcatKernels.CopyRow(table + (long)id * dimension, y + (long)i * yStride, dimension);
            else new ReadOnlySpan<T>(table + (long)id * dimension, dimension).CopyTo(new Span<T>(y + (long)i * yStride, dimension));
        }
    }

    /// <summary>
    /// <c>dTable[ids[i], :] += dy[i, :]</c> in id order, skipping ids equal to
    /// <paramref name="paddingIndex"/> (that row gets no gradient, as PyTorch's <c>padding_idx</c>).
    /// </summary>
    /// <param name="ids">Ids <c>[count]</c>.</param>
    /// <param name="dy">Output gradient <c>[count, dimension]</c>.</param>
    /// <param name="dTable">Table gradient <c>[vocabulary, dimension]</c>, added to.</param>
    /// <param name="count">Ids.</param>
    /// <param name="vocabulary">Rows of the table.</param>
    /// <param name="dimension">Columns of the table.</param>
    /// <param name="paddingIndex">Id whose row is never updated, or −1 for none.</param>
    /// <exception cref="ArgumentException">An id is not an integer in 0 … vocabulary − 1.</exception>
    public static void Backward<T>(T* ids, T* dy, T* dTable, int count, int vocabulary, int dimension, int paddingIndex)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Backward(ids, 1, dy, dimension, dTable, count, vocabulary, dimension, paddingIndex);

    /// <summary>The strided form of <see cref="Backward{T}(T*, T*, T*, int, int, int, int)"/>, matching the strided forward.</summary>
    /// <param name="ids">First id.</param>
    /// <param name="idStride">Elements between consecutive ids.</param>
    /// <param name="dy">First output-gradient row.</param>
    /// <param name="dyStride">Elements between consecutive output-gradient rows.</param>
    /// <param name="dTable">Table gradient <c>[vocabulary, dimension]</c>, added to.</param>
    /// <param name="count">Ids.</param>
    /// <param name="vocabulary">Rows of the table.</param>
    /// <param name="dimension">Columns of the table.</param>
    /// <param name="paddingIndex">Id whose row is never updated, or −1 for none.</param>
    /// <exception cref="ArgumentException">An id is not an integer in 0 … vocabulary − 1.</exception>
    public static void Backward<T>(T* ids, int idStride, T* dy, int dyStride, T* dTable, int count, int vocabulary, int dimension, int paddingIndex)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < count; i++)
        {
            int id = Row(ids[(long)i * idStride], vocabulary, i);
            if (id == paddingIndex) continue;
            ElementwiseKernels.AddInto(dy + (long)i * dyStride, dTable + (long)id * dimension, dimension);
        }
    }

    /// <summary>
    /// Each sample's sequence length for right-padded ids (Keras <c>mask_zero</c>): one past its last
    /// id that is not <paramref name="paddingIndex"/>, 0 when every id is padding. A padding id before
    /// the last real id is an ordinary token and does not shorten the sample.
    /// </summary>
    /// <param name="ids">Ids <c>[batch, sequence]</c>.</param>
    /// <param name="lengths">Receives the lengths <c>[batch]</c>, each 0 … sequence.</param>
    /// <param name="batch">Samples.</param>
    /// <param name="sequence">Ids per sample.</param>
    /// <param name="paddingIndex">The padding id.</param>
    public static void Lengths<T>(T* ids, int* lengths, int batch, int sequence, int paddingIndex)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int b = 0; b < batch; b++) lengths[b] = Length(new ReadOnlySpan<T>(ids + (long)b * sequence, sequence), paddingIndex);
    }

    /// <summary>The length of one sample's ids as <see cref="Lengths{T}"/> defines it: one past the last id that is not <paramref name="paddingIndex"/>, or 0.</summary>
    /// <param name="ids">One sample's ids.</param>
    /// <param name="paddingIndex">The padding id.</param>
    public static int Length<T>(ReadOnlySpan<T> ids, int paddingIndex)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T padding = T.CreateTruncating(paddingIndex);
        int length = ids.Length;
        while (length > 0 && ids[length - 1] == padding) length--;
        return length;
    }

    /// <summary>Learned positional embedding: <c>y[b, s, :] = x[b, s, :] + positions[s, :]</c>.</summary>
    /// <param name="x">Input <c>[batch, sequence, dimension]</c>.</param>
    /// <param name="positions">Position table <c>[sequence, dimension]</c> (its first <paramref name="sequence"/> rows when the table is longer).</param>
    /// <param name="y">Output <c>[batch, sequence, dimension]</c> (may alias x).</param>
    /// <param name="batch">Samples.</param>
    /// <param name="sequence">Positions per sample.</param>
    /// <param name="dimension">Features per position.</param>
    public static void AddPositions<T>(T* x, T* positions, T* y, int batch, int sequence, int dimension)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long block = (long)sequence * dimension;
        for (int b = 0; b < batch; b++) ElementwiseKernels.Add(x + b * block, positions, y + b * block, block);
    }

    /// <summary>
    /// Back-propagates <see cref="AddPositions{T}"/>: <c>dx += dy</c> (if not null) and
    /// <c>dPositions[s, :] += Σ_b dy[b, s, :]</c>, samples added in order.
    /// </summary>
    /// <param name="dy">Output gradient <c>[batch, sequence, dimension]</c>.</param>
    /// <param name="dx">Input gradient, added to; null when not needed.</param>
    /// <param name="dPositions">Position-table gradient <c>[sequence, dimension]</c>, added to; null when not needed (a frozen table).</param>
    /// <param name="batch">Samples.</param>
    /// <param name="sequence">Positions per sample.</param>
    /// <param name="dimension">Features per position.</param>
    public static void AddPositionsBackward<T>(T* dy, T* dx, T* dPositions, int batch, int sequence, int dimension)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long block = (long)sequence * dimension;
        if (dx != null) ElementwiseKernels.AddInto(dy, dx, block * batch);
        if (dPositions == null) return;
        for (int b = 0; b < batch; b++) ElementwiseKernels.AddInto(dy + b * block, dPositions, block);
    }

    private static int Row<T>(T id, int vocabulary, int row) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int index = int.CreateSaturating(id);
        if (T.CreateTruncating(index) != id || index < 0 || index >= vocabulary)
            throw new ArgumentException($"Row {row} of the ids holds {id}, but the embedding table has {vocabulary} rows (ids must be integers 0…{vocabulary - 1}).");
        return index;
    }
}
