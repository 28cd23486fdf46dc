using System.Linq;
using ModelGen.Generators.Model;
using static ModelGen.Generators.Model.TargetLayout;

namespace ModelGen.Generators.Emit;

/// <summary>
/// The sequence layers in the emitted code: Embedding, PositionalEmbedding and MultiHeadAttention call
/// <c>EmbeddingKernels</c> and <c>AttentionKernels</c>; Dense and the loss on [sequence, features] values
/// treat every position as a row.
/// </summary>
internal static partial class CpuEmitter
{
    /// <summary>Rows of a per-position kernel call: "batch", or "batch * 64" for 64 positions per sample.</summary>
    private static string Rows(int perSample) => perSample == 1 ? "batch" : $"batch * {Literals.Int(perSample)}";

    private static void WriteLabelsPerSample(IndentedWriter w, ModelSpec spec, ShapePlan plan)
    {
        if (MaskingLayer(spec) is { } masking)
        {
            w.Line($"/// <summary>Sequences are padded with id {Literals.Int(masking.Sequence!.PaddingIndex)} after their last real id ('{masking.Name}' masks them).</summary>");
            w.Line($"public override int MaskPaddingIndex => {Literals.Int(masking.Sequence.PaddingIndex)};");
            w.Line();
        }
        int labels = LabelsPerSample(spec, plan);
        if (labels == 1) return;
        w.Line(plan.Nodes[spec.Graph.Output].Masked
            ? $"/// <summary>One class label per position: {Literals.Int(labels)} per sample, of which those past each sample's length are ignored.</summary>"
            : $"/// <summary>One class label per position: {Literals.Int(labels)} per sample (next-token targets).</summary>");
        w.Line($"public override int LabelsPerSample => {Literals.Int(labels)};");
        w.Line();
    }

    /// <summary>"[batch, 64, 128] → [batch, 64, 512]" for a Dense layer's first call (its declared widths when it is never called).</summary>
    private static string DenseShapes(ModelSpec spec, ShapePlan plan, int layer)
    {
        int node = FirstNode(spec, layer);
        var lp = plan.Layers[layer];
        if (node < 0 || !plan.Nodes[node].IsKnown || !plan.Nodes[spec.Graph.Nodes[node].A].IsKnown)
            return $"[batch, {Literals.Int(lp.InFeatures)}] → [batch, {Literals.Int(lp.OutFeatures)}]";
        return $"{SampleShape(plan.Nodes[spec.Graph.Nodes[node].A].Shape)} → {SampleShape(plan.Nodes[node].Shape)}";
    }

    // Parameter names: Tokens → TokensTable; Attention → AttentionQkvWeights, AttentionOutWeights, AttentionQkvBias, AttentionOutBias.
    internal static int AttentionOutWeights(LayerPlan lp) => lp.WeightOffset + 3 * lp.InFeatures * lp.InFeatures;

    internal static int AttentionOutBias(LayerPlan lp) => lp.BiasOffset + 3 * lp.InFeatures;

    private static string SequenceSummaryType(LayerSpec layer) => layer.Kind switch
    {
        "Embedding" => $"Embedding {Literals.Int(layer.Sequence!.Vocabulary)}×{Literals.Int(layer.Units)}" + (layer.Sequence.PaddingIndex >= 0 ? $", padding {Literals.Int(layer.Sequence.PaddingIndex)}" : ""),
        "PositionalEmbedding" => $"PositionalEmbedding {Literals.Int(layer.Sequence!.MaxLength)}",
        _ => $"MultiHeadAttention {Literals.Int(layer.Sequence!.Heads)} heads" + (layer.Sequence.Causal ? ", causal" : "") + (layer.Bias ? "" : ", no bias"),
    };

    /// <summary>The line the Initialize docs add for models with sequence layers.</summary>
    private static void WriteSequenceInitializeDoc(IndentedWriter w, ModelSpec spec)
    {
        if (spec.Layers.Any(l => l.Sequence is not null))
            w.Line("/// Embedding tables start N(0, 1) (a padding row at zero), position tables at zero.");
    }

    private static void WriteSequenceInitialize(IndentedWriter w, LayerSpec layer, LayerPlan lp, int index)
    {
        var sequence = layer.Sequence!;
        int d = lp.InFeatures;
        switch (layer.Kind)
        {
            case "Embedding":
                w.Line($"// {layer.Name}: table [{Literals.Int(sequence.Vocabulary)}, {Literals.Int(layer.Units)}] N(0, 1), as PyTorch's nn.Embedding{(sequence.PaddingIndex >= 0 ? $"; the padding row {Literals.Int(sequence.PaddingIndex)} zeros" : "")}");
                w.Line($"var rng{layer.Name} = new Rng(seed, stream: {Literals.Int(index)});");
                w.Line($"Initializers.Normal(parameters.Slice({Literals.Int(lp.WeightOffset)}, {Literals.Int(lp.ParameterCount)}), standardDeviation: 1.0, ref rng{layer.Name});");
                if (sequence.PaddingIndex >= 0)
                    w.Line($"parameters.Slice({Literals.Int(lp.WeightOffset + sequence.PaddingIndex * layer.Units)}, {Literals.Int(layer.Units)}).Clear();");
                break;
            case "PositionalEmbedding":
                w.Line($"// {layer.Name}: table [{Literals.Int(sequence.MaxLength)}, {Literals.Int(d)}] zeros (positions are learned from the first step)");
                w.Line($"parameters.Slice({Literals.Int(lp.WeightOffset)}, {Literals.Int(lp.ParameterCount)}).Clear();");
                break;
            default:
                w.Line($"// {layer.Name}: Wqkv [{Literals.Int(d)}, {Literals.Int(3 * d)}] and Wo [{Literals.Int(d)}, {Literals.Int(d)}] Xavier-uniform{(layer.Bias ? ", biases zeros" : "")}, as PyTorch's nn.MultiheadAttention");
                w.Line($"var rng{layer.Name} = new Rng(seed, stream: {Literals.Int(index)});");
                w.Line($"Initializers.XavierUniform(parameters.Slice({Literals.Int(lp.WeightOffset)}, {Literals.Int(3 * d * d)}), fanIn: {Literals.Int(d)}, fanOut: {Literals.Int(3 * d)}, ref rng{layer.Name});");
                w.Line($"Initializers.XavierUniform(parameters.Slice({Literals.Int(AttentionOutWeights(lp))}, {Literals.Int(d * d)}), fanIn: {Literals.Int(d)}, fanOut: {Literals.Int(d)}, ref rng{layer.Name});");
                if (layer.Bias) w.Line($"parameters.Slice({Literals.Int(lp.BiasOffset)}, {Literals.Int(4 * d)}).Clear();");
                break;
        }
    }

    private static void WriteSequenceLayerMethod(IndentedWriter w, ModelSpec spec, ShapePlan plan, int l)
    {
        var layer = spec.Layers[l];
        var lp = plan.Layers[l];
        var sequence = layer.Sequence!;
        string x = Identifier(layer.ParameterName);
        int node = FirstNode(spec, l);
        string shapes = node >= 0 && plan.Nodes[node].IsKnown ? $": {SampleShape(plan.Nodes[spec.Graph.Nodes[node].A].Shape)} → {SampleShape(plan.Nodes[node].Shape)}" : "";
        w.Line("/// <summary>");
        switch (layer.Kind)
        {
            case "Embedding":
                w.Line($"/// Embedding '{layer.Name}' ({Literals.Int(sequence.Vocabulary)} ids × {Literals.Int(layer.Units)}){shapes}.");
                w.Line($"/// Table [{Literals.Int(sequence.Vocabulary)}, {Literals.Int(layer.Units)}] at offset {Literals.Grouped(lp.WeightOffset)}. Runs eagerly on a tensor of ids; training and inference use the fused <see cref=\"Graph{{T}}\"/>.");
                break;
            case "PositionalEmbedding":
                w.Line($"/// PositionalEmbedding '{layer.Name}' (up to {Literals.Int(sequence.MaxLength)} positions){shapes}.");
                w.Line($"/// Table [{Literals.Int(sequence.MaxLength)}, {Literals.Int(lp.InFeatures)}] at offset {Literals.Grouped(lp.WeightOffset)}. Runs eagerly on a tensor; training and inference use the fused <see cref=\"Graph{{T}}\"/>.");
                break;
            default:
                w.Line($"/// MultiHeadAttention '{layer.Name}' ({Literals.Int(sequence.Heads)} heads{(sequence.Causal ? ", causal" : "")}){shapes}.");
                w.Line($"/// {Literals.Grouped(lp.ParameterCount)} parameters: Wqkv [{Literals.Int(lp.InFeatures)}, {Literals.Int(3 * lp.InFeatures)}] at offset {Literals.Grouped(lp.WeightOffset)}, Wo [{Literals.Int(lp.InFeatures)}, {Literals.Int(lp.InFeatures)}] at {Literals.Grouped(AttentionOutWeights(lp))}{(layer.Bias ? $", biases [{Literals.Int(3 * lp.InFeatures)}] and [{Literals.Int(lp.InFeatures)}] at {Literals.Grouped(lp.BiasOffset)}" : "")}.");
                w.Line("/// Runs eagerly on a tensor; training and inference use the fused <see cref=\"Graph{T}\"/>.");
                break;
        }
        w.Line("/// </summary>");
        w.Line($"{layer.MethodModifiers} partial global::ModelGen.Tensor {Identifier(layer.Name)}(global::ModelGen.Tensor {x})");
        w.Indent().Line(MaskedEagerRefusal(spec, plan, l) ?? layer.Kind switch
        {
            "Embedding" => $"=> EagerLayers.Embedding({x}, Parameters, tableOffset: {Literals.Int(lp.WeightOffset)}, vocabulary: {Literals.Int(sequence.Vocabulary)}, dimension: {Literals.Int(layer.Units)}, {Literals.String(layer.Name)});",
            "PositionalEmbedding" => $"=> EagerLayers.PositionalEmbedding({x}, Parameters, tableOffset: {Literals.Int(lp.WeightOffset)}, maxLength: {Literals.Int(sequence.MaxLength)}, features: {Literals.Int(lp.InFeatures)}, {Literals.String(layer.Name)});",
            _ => $"=> EagerLayers.MultiHeadAttention({x}, Parameters, qkvWeightOffset: {Literals.Int(lp.WeightOffset)}, outWeightOffset: {Literals.Int(AttentionOutWeights(lp))}, "
                 + $"qkvBiasOffset: {Literals.Int(layer.Bias ? lp.BiasOffset : -1)}, outBiasOffset: {Literals.Int(layer.Bias ? AttentionOutBias(lp) : -1)}, features: {Literals.Int(lp.InFeatures)}, heads: {Literals.Int(sequence.Heads)}, causal: {(sequence.Causal ? "true" : "false")}, {Literals.String(layer.Name)});",
        }).Outdent();
        w.Line();
    }

    private static void WriteSequenceOffsets(IndentedWriter w, LayerSpec layer, LayerPlan lp)
    {
        int d = lp.InFeatures;
        switch (layer.Kind)
        {
            case "Embedding":
                w.Line($"private const int {layer.Name}Table = {Literals.Int(lp.WeightOffset)};   // [{Literals.Int(layer.Sequence!.Vocabulary)}, {Literals.Int(layer.Units)}]");
                break;
            case "PositionalEmbedding":
                w.Line($"private const int {layer.Name}Table = {Literals.Int(lp.WeightOffset)};   // [{Literals.Int(layer.Sequence!.MaxLength)}, {Literals.Int(d)}]");
                break;
            default:
                w.Line($"private const int {layer.Name}QkvWeights = {Literals.Int(lp.WeightOffset)};   // [{Literals.Int(d)}, {Literals.Int(3 * d)}]: Q, K, V column blocks");
                w.Line($"private const int {layer.Name}OutWeights = {Literals.Int(AttentionOutWeights(lp))};   // [{Literals.Int(d)}, {Literals.Int(d)}]");
                if (!layer.Bias) break;
                w.Line($"private const int {layer.Name}QkvBias = {Literals.Int(lp.BiasOffset)};   // [{Literals.Int(3 * d)}]");
                w.Line($"private const int {layer.Name}OutBias = {Literals.Int(AttentionOutBias(lp))};   // [{Literals.Int(d)}]");
                break;
        }
    }

    private static System.Collections.Generic.List<int> AttentionNodes(ModelSpec spec, ShapePlan plan) =>
        Enumerable.Range(1, spec.Graph.Nodes.Count - 1)
            .Where(n => plan.Nodes[n].Live && spec.Graph.Nodes[n].Kind == NodeKind.Layer && spec.Layers[spec.Graph.Nodes[n].Layer].Kind == "MultiHeadAttention")
            .ToList();

    /// <summary>"batch, sequence: 64, dimension: 128, heads: 4" and, with the mask, ", causal: true": the sizes of an attention call site.</summary>
    private static string AttentionSizes(ModelSpec spec, ShapePlan plan, int n, string batch, bool withMask = true)
    {
        var shape = plan.Nodes[n].Shape;
        var sequence = spec.Layers[spec.Graph.Nodes[n].Layer].Sequence!;
        return $"{batch}, sequence: {Literals.Int(shape[0])}, dimension: {Literals.Int(shape[1])}, heads: {Literals.Int(sequence.Heads)}" + (withMask ? $", causal: {(sequence.Causal ? "true" : "false")}" : "");
    }

    private static void WriteSequenceFields(IndentedWriter w, ModelSpec spec, ShapePlan plan, ValueNames names)
    {
        var attention = AttentionNodes(spec, plan);
        foreach (int n in attention) w.Line($"private readonly T* _{names.Label(n)}Saved;   // Q, K, V, attention probabilities and head outputs, for backward");
        if (attention.Count > 0) w.Line("private readonly T* _attentionWorkspace;   // scratch shared by every attention call");
    }

    private static void WriteSequenceAllocations(IndentedWriter w, ModelSpec spec, ShapePlan plan, ValueNames names)
    {
        var attention = AttentionNodes(spec, plan);
        foreach (int n in attention)
            w.Line($"_{names.Label(n)}Saved = Allocate(checked((int)AttentionKernels.SavedSize({AttentionSizes(spec, plan, n, "maxBatch", withMask: false)})));");
        if (attention.Count == 0) return;
        string largest = attention.Select(n => $"AttentionKernels.WorkspaceSize({AttentionSizes(spec, plan, n, "maxBatch", withMask: false)})")
            .Distinct().Aggregate((a, b) => $"Math.Max({a}, {b})");
        w.Line($"_attentionWorkspace = Allocate(checked((int){largest}));");
    }

    private static void WriteSequenceForward(IndentedWriter w, ModelSpec spec, ShapePlan plan, ValueNames names, int n)
    {
        var node = spec.Graph.Nodes[n];
        var layer = spec.Layers[node.Layer];
        var shape = plan.Nodes[n].Shape;
        string x = names.Value(node.A), y = names.Value(n), name = layer.Name;
        switch (layer.Kind)
        {
            case "Embedding":
                w.Line($"// {names.Label(n)} = Embedding({Literals.Int(layer.Sequence!.Vocabulary)}×{Literals.Int(layer.Units)})({names.Label(node.A)}): ids {Shape(plan, node.A)} → {Shape(plan, n)}");
                w.Line($"EmbeddingKernels.Forward({x}, p + {name}Table, {y}, {Rows(shape[0])}, vocabulary: {Literals.Int(layer.Sequence.Vocabulary)}, dimension: {Literals.Int(layer.Units)});");
                if (layer.Sequence.MaskPadding)
                {
                    w.Line($"// each sample's length (MaskPadding): the layers after {name} skip the padding id {Literals.Int(layer.Sequence.PaddingIndex)} after its last real id");
                    w.Line($"EmbeddingKernels.Lengths({x}, _lengths, batch, sequence: {Literals.Int(shape[0])}, paddingIndex: {Literals.Int(layer.Sequence.PaddingIndex)});");
                }
                break;
            case "PositionalEmbedding":
                w.Line($"// {names.Label(n)} = {names.Label(node.A)} + the first {Literals.Int(shape[0])} rows of the position table: {Shape(plan, n)}");
                w.Line($"EmbeddingKernels.AddPositions({x}, p + {name}Table, {y}, batch, sequence: {Literals.Int(shape[0])}, dimension: {Literals.Int(shape[1])});");
                break;
            default:
                w.Line($"// {names.Label(n)} = MultiHeadAttention({Literals.Int(layer.Sequence!.Heads)} heads{(layer.Sequence.Causal ? ", causal" : "")})({names.Label(node.A)}): {Shape(plan, n)}");
                w.Line($"AttentionKernels.Forward({x}, p + {name}QkvWeights, {(layer.Bias ? $"p + {name}QkvBias" : "null")}, p + {name}OutWeights, {(layer.Bias ? $"p + {name}OutBias" : "null")}, {y},");
                w.Indent().Line($"_{names.Label(n)}Saved, _attentionWorkspace, {AttentionSizes(spec, plan, n, "batch")}{LengthsArgument(plan, node.A)});").Outdent();
                break;
        }
    }

    private static void WriteSequenceBackward(IndentedWriter w, ModelSpec spec, ShapePlan plan, ValueNames names, int n, string? dx)
    {
        var node = spec.Graph.Nodes[n];
        var layer = spec.Layers[node.Layer];
        var shape = plan.Nodes[n].Shape;
        string dy = names.Grad(n), name = layer.Name;
        switch (layer.Kind)
        {
            case "Embedding":
            {
                int padding = layer.Sequence!.PaddingIndex;
                w.Line($"// {names.Label(n)}: back into the rows of {name}Table that the ids picked (ids get no gradient){(padding >= 0 ? $"; the padding row {Literals.Int(padding)} gets none" : "")}");
                w.Line($"EmbeddingKernels.Backward({names.Value(node.A)}, {dy}, g + {name}Table, {Rows(shape[0])}, vocabulary: {Literals.Int(layer.Sequence.Vocabulary)}, dimension: {Literals.Int(layer.Units)}, paddingIndex: {Literals.Int(padding)});");
                break;
            }
            case "PositionalEmbedding":
                w.Line($"// {names.Label(n)}: the gradient flows to {names.Label(node.A)} unchanged and, summed over the batch, to the position table");
                w.Line($"EmbeddingKernels.AddPositionsBackward({dy}, {dx ?? "null"}, g + {name}Table, batch, sequence: {Literals.Int(shape[0])}, dimension: {Literals.Int(shape[1])});");
                break;
            default:
                w.Line($"// {names.Label(n)}: back through MultiHeadAttention to {names.Label(node.A)}");
                w.Line($"AttentionKernels.Backward({names.Value(node.A)}, p + {name}QkvWeights, p + {name}OutWeights, {dy}, {dx ?? "null"},");
                w.Indent().Line($"g + {name}QkvWeights, {(layer.Bias ? $"g + {name}QkvBias" : "null")}, g + {name}OutWeights, {(layer.Bias ? $"g + {name}OutBias" : "null")},");
                w.Line($"_{names.Label(n)}Saved, _attentionWorkspace, {AttentionSizes(spec, plan, n, "batch")}{LengthsArgument(plan, node.A)});").Outdent();
                break;
        }
    }

    /// <summary>
    /// The body of an eager layer method that would need each sample's length (attention, LSTM or GRU after a
    /// MaskPadding embedding): a tensor carries no lengths, so it says so instead of computing over padding.
    /// </summary>
    private static string? MaskedEagerRefusal(ModelSpec spec, ShapePlan plan, int layer)
    {
        if (spec.Layers[layer].Kind is not ("MultiHeadAttention" or "LSTM" or "GRU")) return null;
        bool masked = Enumerable.Range(1, spec.Graph.Nodes.Count - 1)
            .Any(n => spec.Graph.Nodes[n].Kind == NodeKind.Layer && spec.Graph.Nodes[n].Layer == layer && plan.Nodes[spec.Graph.Nodes[n].A].Masked);
        return masked
            ? $"=> throw new NotSupportedException({Literals.String($"'{spec.Layers[layer].Name}' masks padded positions (MaskPadding), which a tensor does not record; run the model with Predict, Evaluate or Fit.")});"
            : null;
    }
}
