using ModelGen.FrontEnd;

namespace ModelGen.Generators.Emit;

// Embedding, PositionalEmbedding and MultiHeadAttention (kernels/embedding.cuh, attention.cuh), and variable-length
// sequences (MaskPadding): each sample's length, read by the layers that mix positions and by the loss.
internal sealed partial class CudaEmitter
{
    private string AttentionType(int n) => Pascal(Label(n)) + "Sizes";

    /// <summary>The int buffer of each sample's length (one past its last non-padding id), filled by the masking embedding's kernel.</summary>
    private const string LengthsSlot = "lengths";

    /// <summary>", lengths()" for a template call whose input at node <paramref name="input"/> has a variable length, else "".</summary>
    private string LengthsArgument(int input) => _plan.Nodes[input].Masked ? ", lengths()" : "";

    /// <summary>A masking embedding's call site has the lengths buffer (one int per sample).</summary>
    private void AddLengthsBuffer(int n, string label)
    {
        if (_values.LayerAt(n) is EmbeddingLayer { MaskPadding: true }) AddBuffer(LengthsSlot, 1, 0, isInt: true);
    }

    /// <summary>
    /// Forward keeps Q|K|V, the probabilities and the heads' outputs for backward; backward's scratch (overwritten,
    /// never accumulated) is the layer's own too.
    /// </summary>
    private void AddAttentionBuffers(int n, string label)
    {
        int size = Size(n), positions = _plan.Nodes[n].Shape[0], heads = ((AttentionLayer)_values.LayerAt(n)!).Heads;
        AddBuffer(label + "Qkv", 3 * size, 0);
        AddBuffer(label + "Probabilities", heads * positions * positions, 0);
        AddBuffer(label + "Heads", size, 0);
        if (!_plan.Nodes[n].RequiresGradient) return;
        AddBuffer(label + "HeadsGrad", size, 0);
        AddBuffer(label + "ScoresGrad", heads * positions * positions, 0);
        AddBuffer(label + "QkvGrad", 3 * size, 0);
    }

    private void AddEmbeddingForward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var layer = (EmbeddingLayer)_spec.Layers[node.Layer];
        AddBoth(new Kernel(KernelName(n, "forward"), $"{Label(n)} = Embedding({Literals.Int(layer.Vocabulary)}×{Literals.Int(layer.Dimension)})({Label(node.A)}): ids {Shape(node.A)} → {Shape(n)}",
            new[] { $"mg::embedding_forward<{I(layer.Vocabulary)}, {I(layer.Dimension)}, 1, {I(layer.Dimension)}>({Value(node.A)}, parameters(offset::{Ascii(layer.Name)}Table), {Value(n)}, batch * {I(Size(node.A))}LL);" },
            Size(n), 0, Elements));
        if (layer.MaskPadding) AddLengths(n);
    }

    private void AddPositionalEmbeddingForward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var shape = _plan.Nodes[n].Shape;
        AddBoth(new Kernel(KernelName(n, "forward"), $"{Label(n)} = {Label(node.A)} + the first {I(shape[0])} rows of the position table: {Shape(n)}",
            new[] { $"mg::add_positions<{I(shape[0])}, {I(shape[1])}>({Value(node.A)}, parameters(offset::{Ascii(_spec.Layers[node.Layer].Name)}Table), {Value(n)}, batch);" }, Size(n), 0, Elements));
    }

    private void AddAttentionForward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var layer = (AttentionLayer)_spec.Layers[node.Layer];
        int positions = _plan.Nodes[n].Shape[0], d = _plan.Layers[node.Layer].InFeatures;
        string rows = Rows(positions), name = Ascii(layer.Name);
        string qkv = Own(n, "Qkv"), heads = Own(n, "Heads");
        string causal = layer.Causal ? ", causal" : "";
        _attentionShapes.Add($"using {AttentionType(n)} = mg::AttentionShape<{I(positions)}, {I(d)}, {I(layer.Heads)}, {(layer.Causal ? "true" : "false")}>;   // {Label(n)}: {Shape(n)}, {I(layer.Heads)} heads{causal}");
        string title = $"MultiHeadAttention({I(layer.Heads)} heads{causal})({Label(node.A)})";
        AddBoth(new Kernel(KernelName(n, "forward_qkv"), $"{Label(n)} = {title}, 1 of 3: Q | K | V = {Label(node.A)}·Wqkv{(layer.Bias ? " + bqkv" : "")}",
            new[]
            {
                $"mg::gemm<false, false>({Value(node.A)}, parameters(offset::{name}QkvWeights), {rows}, {I(3 * d)}, {I(d)},",
                $"    mg::BiasActivationEpilogue<mg::Act::None>{{{(layer.Bias ? $"parameters(offset::{name}QkvBias)" : "nullptr")}, nullptr, {qkv}, {I(3 * d)}, 0.0f}});",
            }, 3 * Size(n), 0, Tile));
        AddBoth(new Kernel(KernelName(n, "forward_heads"), $"{Label(n)}, 2 of 3: each head's softmax(Q·Kᵀ/√{I(d / layer.Heads)}{AttentionMask(n)})·V, probabilities saved",
            new[] { $"mg::attention_forward<{AttentionType(n)}>({qkv}, {Own(n, "Probabilities")}, {heads}, batch{LengthsArgument(node.A)});" }, layer.Heads * positions, 0, WarpRows));
        AddBoth(new Kernel(KernelName(n, "forward"), $"{Label(n)}, 3 of 3: the heads side by side ·Wo{(layer.Bias ? " + bo" : "")}: {Shape(n)}",
            new[]
            {
                $"mg::gemm<false, false>({heads}, parameters(offset::{name}OutWeights), {rows}, {I(d)}, {I(d)},",
                $"    mg::BiasActivationEpilogue<mg::Act::None>{{{(layer.Bias ? $"parameters(offset::{name}OutBias)" : "nullptr")}, nullptr, {Value(n)}, {I(d)}, 0.0f}});",
            }, Size(n), 0, Tile));
    }

    private void AddEmbeddingBackward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var layer = (EmbeddingLayer)_spec.Layers[node.Layer];
        string padding = layer.PaddingIndex >= 0 ? $", {I(layer.PaddingIndex)}" : "";
        Add(Backward, new Kernel(KernelName(n, "backward"), $"{Label(n)}: back into the rows of the {Ascii(layer.Name)} table that the ids picked (ids get no gradient){(layer.PaddingIndex >= 0 ? $"; the padding row {I(layer.PaddingIndex)} gets none" : "")}",
            new[] { $"mg::embedding_backward<{I(layer.Vocabulary)}, {I(layer.Dimension)}, 1, {I(layer.Dimension)}{padding}>({Value(node.A)}, {Grad(n)}, gradients(offset::{Ascii(layer.Name)}Table), batch * {I(Size(node.A))}LL);" },
            Size(n), 0, Elements));
    }

    private void AddPositionalEmbeddingBackward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var shape = _plan.Nodes[n].Shape;
        string dy = Grad(n);
        Add(Backward, new Kernel(KernelName(n, "backward_parameters"), $"{Label(n)}: the position table's gradient, d{Label(n)} summed over the batch",
            new[] { $"mg::add_positions_backward<{I(shape[0])}, {I(shape[1])}>({dy}, gradients(offset::{Ascii(_spec.Layers[node.Layer].Name)}Table), batch);" }, 0, Size(n), Elements));
        if (GradOf(node.A) is { } dx)
            Add(Backward, new Kernel(KernelName(n, "backward_data"), $"{Label(n)}: the gradient flows to {Label(node.A)} unchanged",
                new[] { $"mg::add_into({dy}, {dx}, batch * {I(Size(n))}LL);" }, Size(n), 0, Elements));
    }

    private void AddAttentionBackward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var layer = (AttentionLayer)_spec.Layers[node.Layer];
        int positions = _plan.Nodes[n].Shape[0], d = _plan.Layers[node.Layer].InFeatures;
        string rows = Rows(positions), name = Ascii(layer.Name), label = Label(n), to = Label(node.A), dy = Grad(n), x = Value(node.A);
        string qkv = Own(n, "Qkv"), heads = Own(n, "Heads"), dheads = Own(n, "HeadsGrad"), dqkv = Own(n, "QkvGrad");
        string probabilities = Own(n, "Probabilities"), dscores = Own(n, "ScoresGrad");
        Add(Backward, new Kernel(KernelName(n, "backward_out_weights"), $"{label}: Wo gradient, dWo += headsᵀ·d{label}",
            new[] { $"mg::gemm<true, false>({heads}, {dy}, {I(d)}, {I(d)}, {rows}, mg::StoreEpilogue<true>{{gradients(offset::{name}OutWeights), {I(d)}}});" }, 0, (long)d * d, Tile));
        if (layer.Bias)
            Add(Backward, new Kernel(KernelName(n, "backward_out_bias"), $"{label}: bo gradient, the column sums of d{label}",
                new[] { $"mg::column_sums_into({dy}, gradients(offset::{name}OutBias), {rows}, {I(d)});" }, 0, d, Elements));
        Add(Backward, new Kernel(KernelName(n, "backward_heads"), $"{label}: the heads' gradient, d{label}·Woᵀ (overwritten)",
            new[] { $"mg::gemm<false, true>({dy}, parameters(offset::{name}OutWeights), {rows}, {I(d)}, {I(d)}, mg::StoreEpilogue<false>{{{dheads}, {I(d)}}});" }, Size(n), 0, Tile));
        Add(Backward, new Kernel(KernelName(n, "backward_queries"), $"{label}: the scores' gradient and dQ, one warp per query row{(_plan.Nodes[node.A].Masked ? " (its valid keys)" : "")}",
            new[] { $"mg::attention_backward_queries<{AttentionType(n)}>({qkv}, {probabilities}, {dheads}, {dscores}, {dqkv}, batch{LengthsArgument(node.A)});" }, layer.Heads * positions, 0, WarpRows));
        Add(Backward, new Kernel(KernelName(n, "backward_keys"), $"{label}: dK and dV, one warp per key row",
            new[] { $"mg::attention_backward_keys<{AttentionType(n)}>({qkv}, {probabilities}, {dheads}, {dscores}, {dqkv}, batch);" }, layer.Heads * positions, 0, WarpRows));
        Add(Backward, new Kernel(KernelName(n, "backward_qkv_weights"), $"{label}: Wqkv gradient, dWqkv += {to}ᵀ·d(Q | K | V)",
            new[] { $"mg::gemm<true, false>({x}, {dqkv}, {I(d)}, {I(3 * d)}, {rows}, mg::StoreEpilogue<true>{{gradients(offset::{name}QkvWeights), {I(3 * d)}}});" }, 0, 3L * d * d, Tile));
        if (layer.Bias)
            Add(Backward, new Kernel(KernelName(n, "backward_qkv_bias"), $"{label}: bqkv gradient, the column sums of d(Q | K | V)",
                new[] { $"mg::column_sums_into({dqkv}, gradients(offset::{name}QkvBias), {rows}, {I(3 * d)});" }, 0, 3 * d, Elements));
        if (GradOf(node.A) is { } dx)
            Add(Backward, new Kernel(KernelName(n, "backward_data"), $"{label}: back through MultiHeadAttention to {to}, d{to} += d(Q | K | V)·Wqkvᵀ",
                new[] { $"mg::gemm<false, true>({dqkv}, parameters(offset::{name}QkvWeights), {rows}, {I(d)}, {I(3 * d)}, mg::StoreEpilogue<true>{{{dx}, {I(d)}}});" }, Size(node.A), 0, Tile));
    }

    /// <summary>The masks of an attention call site's scores, as its kernel comment names them.</summary>
    private string AttentionMask(int n)
    {
        bool causal = ((AttentionLayer)_values.LayerAt(n)!).Causal, padded = _plan.Nodes[_spec.Graph.Nodes[n].A].Masked;
        return causal && padded ? " + causal and padding masks" : causal ? " + causal mask" : padded ? " + padding mask" : "";
    }

    /// <summary>Each sample's length, from the ids the masking embedding at node <paramref name="n"/> reads (the model input).</summary>
    private void AddLengths(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var layer = (EmbeddingLayer)_spec.Layers[node.Layer];
        int positions = Size(node.A);
        AddBoth(new Kernel(KernelName(n, "lengths"), $"Each sample's length (MaskPadding): one past its last id in {Label(node.A)} that is not the padding id {I(layer.PaddingIndex)}",
            new[] { $"mg::sequence_lengths<{I(positions)}, {I(layer.PaddingIndex)}>({Value(node.A)}, lengths(), batch);" }, 1, 0, Elements));
    }

    /// <summary>Softmax cross-entropy over each sample's real positions of a variable-length [sequence, classes] output, and its mean.</summary>
    private void AddMaskedLoss(int output, string gradient)
    {
        int positions = LabelsPerSample, classes = Size(output) / positions;
        string where = _lossInPlace >= 0 ? $", written over {Label(output)} itself (backward does not read the outputs)" : "";
        Add(Loss, new Kernel("modelgen_loss", $"SoftmaxCrossEntropy per position before each sample's length (the padded ones count 0) and, in training, its gradient d(mean loss)/d({Label(output)}){where}",
            new[] { $"mg::masked_softmax_cross_entropy<{I(classes)}, {I(positions)}>({Value(output)}, buffer(slot::targets), {gradient}, buffer(slot::loss_rows), lengths(), batch);" },
            positions, 0, WarpRows));
        Add(Loss, new Kernel("modelgen_loss_mean", "The mean loss over the real positions of the batch, summed in order by one block",
            new[] { $"mg::masked_mean_loss<{I(positions)}>(buffer(slot::loss_rows), buffer(slot::loss), lengths(), batch);" }, 0, 1, Blocks));
    }
}
