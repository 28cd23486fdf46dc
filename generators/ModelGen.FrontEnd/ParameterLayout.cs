namespace ModelGen.FrontEnd;

/// <summary>What one slice of a layer's parameters (or of its state) holds.</summary>
internal enum SliceRole
{
    /// <summary>Dense weights [in, out]; Conv2d weights [out, in/groups, k, k]; Conv1d weights [out, in/groups, k]; ConvTranspose2d weights [in, out/groups, k, k].</summary>
    Weight,
    /// <summary>Dense and convolution bias [out].</summary>
    Bias,
    /// <summary>LayerNorm, BatchNorm and GroupNorm scale γ [features or channels].</summary>
    Gamma,
    /// <summary>LayerNorm, BatchNorm and GroupNorm shift β [features or channels].</summary>
    Beta,
    /// <summary>Embedding table [vocabulary, dimension]; PositionalEmbedding table [maxLength, width].</summary>
    Table,
    /// <summary>MultiHeadAttention input projection [d, 3d]: the Q, K and V column blocks side by side.</summary>
    QkvWeight,
    /// <summary>MultiHeadAttention output projection [d, d].</summary>
    OutWeight,
    /// <summary>MultiHeadAttention input projection bias [3d].</summary>
    QkvBias,
    /// <summary>MultiHeadAttention output projection bias [d].</summary>
    OutBias,
    /// <summary>LSTM/GRU input-to-gates weights W_ih [in, gates·hidden], one per direction.</summary>
    InputWeight,
    /// <summary>LSTM/GRU hidden-to-gates weights W_hh [hidden, gates·hidden], one per direction.</summary>
    RecurrentWeight,
    /// <summary>LSTM/GRU input-side gate bias b_ih [gates·hidden], one per direction.</summary>
    InputBias,
    /// <summary>LSTM/GRU hidden-side gate bias b_hh [gates·hidden], one per direction.</summary>
    RecurrentBias,
    /// <summary>BatchNorm running mean [channels], in the state buffer.</summary>
    RunningMean,
    /// <summary>BatchNorm running variance [channels], in the state buffer.</summary>
    RunningVar,
}

/// <summary>
/// One named block of a layer in the flat parameter buffer (or, for state roles, in the state buffer):
/// <see cref="Offset"/> and <see cref="Count"/> in elements, <see cref="Shape"/> as stored (row-major).
/// <see cref="Direction"/> is 1 for the reverse direction of a bidirectional recurrent layer, else 0.
/// </summary>
internal sealed record BufferSlice(SliceRole Role, int Direction, int Offset, int Count, EquatableArray<int> Shape);

/// <summary>
/// The one definition of how each layer kind lays out its parameters and state: which slices, in which order,
/// of which shape. The shape engine sums them into parameter counts and offsets; the emitters and anything that
/// names weights (saving, loading, freezing) read the resulting <see cref="BufferSlice"/> table.
/// </summary>
internal static class ParameterLayout
{
    /// <summary>A slice before it has an offset: its role, direction and stored shape (sizes may be 0 for a layer in error).</summary>
    internal readonly struct Part
    {
        public Part(SliceRole role, int direction, params long[] shape)
        {
            Role = role;
            Direction = direction;
            Shape = shape;
        }

        public SliceRole Role { get; }
        public int Direction { get; }
        public long[] Shape { get; }

        public long Count
        {
            get
            {
                long count = 1;
                foreach (long d in Shape) count *= d;
                return count;
            }
        }
    }

    /// <summary>A layer's layout before placement: its parameter slices, its state slices, and its output features.</summary>
    /// <remarks>Arrays, not lists: a List of this struct would be compiled at run time in every compiler process (see <see cref="Sizes"/>).</remarks>
    internal sealed class Layout
    {
        private static readonly Part[] NoParts = new Part[0];

        public Layout(int outFeatures, params Part[] parameters)
            : this(outFeatures, parameters, NoParts)
        {
        }

        public Layout(int outFeatures, Part[] parameters, Part[] state)
        {
            OutFeatures = outFeatures;
            Parameters = parameters;
            State = state;
        }

        /// <summary>A layer that learns nothing (an empty params array would be Array.Empty of this struct, compiled at run time).</summary>
        public static Layout WithoutParameters(int outFeatures) => new(outFeatures, NoParts, NoParts);

        public Part[] Parameters { get; }

        public Part[] State { get; }

        /// <summary>Units, filters, the hidden size, an embedding's dimension, or the input width for the layers that keep it.</summary>
        public int OutFeatures { get; }
    }

    /// <summary>
    /// The slices of <paramref name="layer"/> for <paramref name="inFeatures"/> inputs (features, channels or features per
    /// step), in buffer order. Sizes below 1 are the parser's MG0004 and channels the groups do not divide MG0105/MG0304:
    /// such a layer is laid out all the same (its counts may be 0 or negative) so the messages can state its size.
    /// </summary>
    public static Layout Of(LayerSpec layer, int inFeatures) => layer.Kind switch
    {
        LayerKind.Dense => Dense((DenseLayer)layer, inFeatures),
        LayerKind.Conv2d or LayerKind.Conv1d => Convolution((ConvLayer)layer, inFeatures),
        LayerKind.LayerNorm or LayerKind.GroupNorm => new Layout(inFeatures, new Part(SliceRole.Gamma, 0, inFeatures), new Part(SliceRole.Beta, 0, inFeatures)),
        LayerKind.BatchNorm => BatchNorm(inFeatures),
        LayerKind.LSTM or LayerKind.GRU => Recurrent((RecurrentLayer)layer, inFeatures),
        LayerKind.Embedding => Embedding((EmbeddingLayer)layer),
        LayerKind.PositionalEmbedding => new Layout(inFeatures, new Part(SliceRole.Table, 0, System.Math.Max(((PositionalEmbeddingLayer)layer).MaxLength, 0), inFeatures)),
        LayerKind.MultiHeadAttention => Attention(((AttentionLayer)layer).Bias, inFeatures),
        LayerKind.CrossAttention => Attention(((CrossAttentionLayer)layer).Bias, inFeatures),
        LayerKind.ConvTranspose2d => TransposedConvolution((ConvTransposeLayer)layer, inFeatures),
        LayerKind.Flatten or LayerKind.Reshape or LayerKind.MaxPool2d or LayerKind.AvgPool2d or LayerKind.GlobalAvgPool or LayerKind.Dropout => Layout.WithoutParameters(inFeatures),
        LayerKind.Upsample => Layout.WithoutParameters(inFeatures),
    };

    /// <summary>Weights [in, out] then bias [out].</summary>
    private static Layout Dense(DenseLayer dense, int inFeatures) => dense.Bias
        ? new Layout(dense.Units, new Part(SliceRole.Weight, 0, inFeatures, dense.Units), new Part(SliceRole.Bias, 0, dense.Units))
        : new Layout(dense.Units, new Part(SliceRole.Weight, 0, inFeatures, dense.Units));

    /// <summary>Weights [out, in/groups, k, k] (Conv2d) or [out, in/groups, k] (Conv1d), then bias [out].</summary>
    private static Layout Convolution(ConvLayer conv, int inFeatures)
    {
        var s = conv.Window;
        long perGroup = s.Groups > 0 && inFeatures % s.Groups == 0 ? inFeatures / s.Groups : 0;
        var weights = conv.Kind == LayerKind.Conv2d
            ? new Part(SliceRole.Weight, 0, conv.Filters, perGroup, s.Kernel, s.Kernel)
            : new Part(SliceRole.Weight, 0, conv.Filters, perGroup, s.Kernel);
        return conv.Bias ? new Layout(conv.Filters, weights, new Part(SliceRole.Bias, 0, conv.Filters)) : new Layout(conv.Filters, weights);
    }

    /// <summary>Weights [in, out/groups, k, k] as PyTorch's ConvTranspose2d stores them, then bias [out].</summary>
    private static Layout TransposedConvolution(ConvTransposeLayer conv, int inFeatures)
    {
        var s = conv.Window;
        long perGroup = s.Groups > 0 && conv.Filters % s.Groups == 0 ? conv.Filters / s.Groups : 0;
        var weights = new Part(SliceRole.Weight, 0, inFeatures, perGroup, s.Kernel, s.Kernel);
        return conv.Bias ? new Layout(conv.Filters, weights, new Part(SliceRole.Bias, 0, conv.Filters)) : new Layout(conv.Filters, weights);
    }

    /// <summary>γ and β per channel; the running mean and variance in the state buffer.</summary>
    private static Layout BatchNorm(int channels) => new(channels,
        new[] { new Part(SliceRole.Gamma, 0, channels), new Part(SliceRole.Beta, 0, channels) },
        new[] { new Part(SliceRole.RunningMean, 0, channels), new Part(SliceRole.RunningVar, 0, channels) });

    /// <summary>Per direction, forward first: W_ih [in, G], W_hh [H, G], b_ih [G], b_hh [G] with G = gates·H (PyTorch's weight_ih_l0ᵀ, weight_hh_l0ᵀ, bias_ih_l0, bias_hh_l0).</summary>
    private static Layout Recurrent(RecurrentLayer recurrent, int inFeatures)
    {
        long hidden = recurrent.HiddenSize, gates = recurrent.Gates * hidden;
        var parts = new Part[4 * recurrent.Directions];
        for (int direction = 0; direction < recurrent.Directions; direction++)
        {
            parts[4 * direction] = new Part(SliceRole.InputWeight, direction, inFeatures, gates);
            parts[4 * direction + 1] = new Part(SliceRole.RecurrentWeight, direction, hidden, gates);
            parts[4 * direction + 2] = new Part(SliceRole.InputBias, direction, gates);
            parts[4 * direction + 3] = new Part(SliceRole.RecurrentBias, direction, gates);
        }
        return new Layout(recurrent.HiddenSize, parts);
    }

    /// <summary>The table [vocabulary, dimension] (sizes below 1 count as 0, so no offset goes negative).</summary>
    private static Layout Embedding(EmbeddingLayer embedding)
    {
        int dimension = System.Math.Max(embedding.Dimension, 0);
        return new Layout(dimension, new Part(SliceRole.Table, 0, System.Math.Max(embedding.Vocabulary, 0), dimension));
    }

    /// <summary>Wqkv [d, 3d], Wo [d, d], then bqkv [3d] and bo [d]; CrossAttention applies Wqkv's Q block to the queries, its K and V blocks to the memory.</summary>
    private static Layout Attention(bool bias, int d) => bias
        ? new Layout(d, new Part(SliceRole.QkvWeight, 0, d, 3L * d), new Part(SliceRole.OutWeight, 0, d, d), new Part(SliceRole.QkvBias, 0, 3L * d), new Part(SliceRole.OutBias, 0, d))
        : new Layout(d, new Part(SliceRole.QkvWeight, 0, d, 3L * d), new Part(SliceRole.OutWeight, 0, d, d));

    /// <summary>Places <paramref name="parts"/> one after another from <paramref name="offset"/>.</summary>
    public static EquatableArray<BufferSlice> Place(Part[] parts, long offset)
    {
        if (parts.Length == 0) return EquatableArray<BufferSlice>.Empty;
        var slices = new BufferSlice[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            var shape = new int[part.Shape.Length];
            for (int d = 0; d < shape.Length; d++) shape[d] = (int)part.Shape[d];
            slices[i] = new BufferSlice(part.Role, part.Direction, (int)offset, (int)part.Count, new EquatableArray<int>(shape));
            offset += part.Count;
        }
        return new EquatableArray<BufferSlice>(slices);
    }

    /// <summary>The sum of the parts' element counts.</summary>
    public static long Total(Part[] parts)
    {
        long total = 0;
        foreach (var part in parts) total += part.Count;
        return total;
    }
}
