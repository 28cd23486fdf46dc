using System;

namespace ModelGen;

/// <summary>
/// Multi-head cross-attention: queries from one <c>[sequence, features]</c> value, keys and values from another (the
/// memory, e.g. an encoder's output), as PyTorch's <c>nn.MultiheadAttention(query, memory, memory)</c>. The method takes
/// two tensors, <c>Tensor Name(Tensor query, Tensor memory)</c>, and returns the queries' shape. Projections:
/// <c>Q = query·Wq + bq</c>, <c>[K | V] = memory·Wkv + bkv</c> (Wq, Wkv the column blocks of one <c>[d, 3d]</c> matrix,
/// as PyTorch's <c>in_proj_weight</c>), per head <c>softmax(Q·Kᵀ/√(d/heads))·V</c>, heads concatenated, then
/// <c>·Wo + bo</c>. Both values must have the same width d, divisible by <see cref="Heads"/>; their lengths may differ.
/// A memory after a <c>MaskPadding</c> embedding has each sample's own length: no query attends to its padding.
/// </summary>
/// <example><code>
/// [CrossAttention(4)] private partial Tensor Cross(Tensor query, Tensor memory);
/// [Forward] private Tensor Forward(Tensor source, Tensor target) { var memory = Encode(source); return Logits(Cross(Decode(target), memory)); }
/// </code></example>
[AttributeUsage(AttributeTargets.Method, Inherited = false, AllowMultiple = false)]
public sealed class CrossAttentionAttribute : Attribute
{
    /// <summary>Creates cross-attention with <paramref name="heads"/> heads.</summary>
    public CrossAttentionAttribute(int heads) => Heads = heads;

    /// <summary>Number of heads; each attends over features / heads columns.</summary>
    public int Heads { get; }

    /// <summary>Whether the input and output projections have biases (default true, as PyTorch).</summary>
    public bool Bias { get; set; } = true;

    /// <summary>
    /// Whether the layer's parameters train (default true). False starts every new model with the layer frozen
    /// (<see cref="Model.Freeze"/>); <see cref="Model.Unfreeze"/> lets them train again.
    /// </summary>
    public bool Trainable { get; set; } = true;
}
