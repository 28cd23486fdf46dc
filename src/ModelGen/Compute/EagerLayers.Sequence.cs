using System;
using ModelGen.Cpu;

namespace ModelGen.Compute;

public static unsafe partial class EagerLayers
{
    /// <summary>Looks up each id of a [batch, sequence] tensor in the table [vocabulary, dimension] at <paramref name="tableOffset"/>: → [batch, sequence, dimension].</summary>
    /// <exception cref="ArgumentException">The input is not [batch, sequence], or an id is not an integer in 0 … vocabulary − 1.</exception>
    public static Tensor Embedding(Tensor ids, ReadOnlySpan<float> parameters, int tableOffset, int vocabulary, int dimension, string layer)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Shape.Length != 2)
            throw new ArgumentException($"Layer '{layer}' takes ids [batch, sequence] but got {ids.ShapeText}.", nameof(ids));
        var output = Tensor.Zeros(ids.Shape[0], ids.Shape[1], dimension);
        fixed (float* p = parameters)
        fixed (float* x = ids.Data)
        fixed (float* y = output.Data)
        {
            EmbeddingKernels.Forward(x, p + tableOffset, y, ids.Data.Length, vocabulary, dimension);
        }
        return output;
    }

    /// <summary>Adds the first rows of the position table [maxLength, features] at <paramref name="tableOffset"/> to a [batch, sequence, features] tensor.</summary>
    /// <exception cref="ArgumentException">The input is not [batch, sequence ≤ maxLength, features].</exception>
    public static Tensor PositionalEmbedding(Tensor input, ReadOnlySpan<float> parameters, int tableOffset, int maxLength, int features, string layer)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Shape.Length != 3 || input.Shape[1] > maxLength || input.Shape[2] != features)
            throw new ArgumentException($"Layer '{layer}' takes [batch, sequence ≤ {maxLength}, {features}] but got {input.ShapeText}.", nameof(input));
        var output = Tensor.Zeros(input.Shape);
        fixed (float* p = parameters)
        fixed (float* x = input.Data)
        fixed (float* y = output.Data)
        {
            EmbeddingKernels.AddPositions(x, p + tableOffset, y, input.Shape[0], input.Shape[1], features);
        }
        return output;
    }

    /// <summary>Multi-head self-attention over a [batch, sequence, features] tensor, parameters at the given offsets (a bias offset of −1: no bias).</summary>
    /// <exception cref="ArgumentException">The input is not [batch, sequence, features].</exception>
    public static Tensor MultiHeadAttention(Tensor input, ReadOnlySpan<float> parameters, int qkvWeightOffset, int outWeightOffset,
        int qkvBiasOffset, int outBiasOffset, int features, int heads, bool causal, string layer)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Shape.Length != 3 || input.Shape[2] != features)
            throw new ArgumentException($"Layer '{layer}' takes [batch, sequence, {features}] but got {input.ShapeText}.", nameof(input));
        int batch = input.Shape[0], sequence = input.Shape[1];
        var output = Tensor.Zeros(input.Shape);
        var saved = new float[AttentionKernels.SavedSize(batch, sequence, features, heads)];
        var workspace = new float[AttentionKernels.WorkspaceSize(batch, sequence, features, heads)];
        fixed (float* p = parameters)
        fixed (float* x = input.Data)
        fixed (float* y = output.Data)
        fixed (float* s = saved)
        fixed (float* w = workspace)
        {
            AttentionKernels.Forward(x, p + qkvWeightOffset, qkvBiasOffset < 0 ? null : p + qkvBiasOffset, p + outWeightOffset, outBiasOffset < 0 ? null : p + outBiasOffset,
                y, s, w, batch, sequence, features, heads, causal);
        }
        return output;
    }

    /// <summary>
    /// Multi-head cross-attention: a [batch, queries, features] tensor attends to a [batch, keys, features] memory,
    /// parameters at the given offsets (a bias offset of −1: no bias).
    /// </summary>
    /// <exception cref="ArgumentException">The query or memory is not [batch, sequence, features], or their batches differ.</exception>
    public static Tensor CrossAttention(Tensor query, Tensor memory, ReadOnlySpan<float> parameters, int qkvWeightOffset, int outWeightOffset,
        int qkvBiasOffset, int outBiasOffset, int features, int heads, string layer)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(memory);
        if (query.Shape.Length != 3 || query.Shape[2] != features)
            throw new ArgumentException($"Layer '{layer}' takes queries [batch, sequence, {features}] but got {query.ShapeText}.", nameof(query));
        if (memory.Shape.Length != 3 || memory.Shape[2] != features || memory.Shape[0] != query.Shape[0])
            throw new ArgumentException($"Layer '{layer}' takes a memory [{query.Shape[0]}, sequence, {features}] but got {memory.ShapeText}.", nameof(memory));
        int batch = query.Shape[0], queries = query.Shape[1], keys = memory.Shape[1];
        var output = Tensor.Zeros(query.Shape);
        var saved = new float[CrossAttentionKernels.SavedSize(batch, queries, keys, features, heads)];
        var workspace = new float[CrossAttentionKernels.WorkspaceSize(batch, queries, keys, features, heads)];
        fixed (float* p = parameters)
        fixed (float* x = query.Data)
        fixed (float* m = memory.Data)
        fixed (float* y = output.Data)
        fixed (float* s = saved)
        fixed (float* w = workspace)
        {
            CrossAttentionKernels.Forward(x, m, p + qkvWeightOffset, qkvBiasOffset < 0 ? null : p + qkvBiasOffset, p + outWeightOffset, outBiasOffset < 0 ? null : p + outBiasOffset,
                y, s, w, batch, queries, keys, features, heads);
        }
        return output;
    }
}
