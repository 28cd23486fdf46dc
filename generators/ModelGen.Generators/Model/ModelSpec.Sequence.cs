namespace ModelGen.Generators.Model;

/// <summary>
/// Options of the sequence layers: Embedding (<see cref="Vocabulary"/>, <see cref="PaddingIndex"/>; the
/// dimension is the layer's Units), PositionalEmbedding (<see cref="MaxLength"/>) and MultiHeadAttention
/// (<see cref="Heads"/>, <see cref="Causal"/>; biases are the layer's Bias). <see cref="MaskPadding"/>: the
/// embedding's output has a variable length (each sample's own, padding masked downstream).
/// </summary>
internal sealed record SequenceSpec(int Vocabulary = 0, int PaddingIndex = -1, int MaxLength = 0, int Heads = 0, bool Causal = false, bool MaskPadding = false);
