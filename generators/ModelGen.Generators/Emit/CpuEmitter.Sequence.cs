using System.Collections.Generic;
using System.Linq;
using ModelGen.FrontEnd;
using static ModelGen.FrontEnd.TargetLayout;

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

    private static void WriteLabelsPerSample(IndentedWriter w, ValueNames names)
    {
        var spec = names.Spec;
        var plan = names.Shapes;
        // With several inputs the mask ends before the output (MG0213), so the output's labels keep every position.
        if (names.Plan.MaskingLayer is EmbeddingLayer masking && spec.Inputs.Count == 0)
        {
            w.Line($"/// <summary>Sequences are padded with id {Literals.Int(masking.PaddingIndex)} after their last real id ('{masking.Name}' masks them).</summary>");
            w.Line($"public override int MaskPaddingIndex => {Literals.Int(masking.PaddingIndex)};");
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

    /// <summary>The Summary's type column of the sequence layers.</summary>
    private static string SequenceSummaryType(LayerSpec layer) => layer switch
    {
        EmbeddingLayer e => $"Embedding {Literals.Int(e.Vocabulary)}×{Literals.Int(e.Dimension)}" + (e.PaddingIndex >= 0 ? $", padding {Literals.Int(e.PaddingIndex)}" : ""),
        PositionalEmbeddingLayer p => $"PositionalEmbedding {Literals.Int(p.MaxLength)}",
        AttentionLayer a => $"MultiHeadAttention {Literals.Int(a.Heads)} heads" + (a.Causal ? ", causal" : "") + (a.Bias ? "" : ", no bias"),
        _ => layer.Kind.ToString(),
    };

    private static void WriteEmbeddingInitialize(IndentedWriter w, LayerSpec layer, LayerPlan lp, int index)
    {
        var embedding = (EmbeddingLayer)layer;
        int padding = embedding.PaddingIndex, dimension = embedding.Dimension;
        w.Line($"// {layer.Name}: table [{Literals.Int(embedding.Vocabulary)}, {Literals.Int(dimension)}] N(0, 1), as PyTorch's nn.Embedding{(padding >= 0 ? $"; the padding row {Literals.Int(padding)} zeros" : "")}");
        w.Line($"var rng{layer.Name} = new Rng(seed, stream: {Literals.Int(index)});");
        w.Line($"Initializers.Normal(parameters.Slice({Literals.Int(lp.WeightOffset)}, {Literals.Int(lp.ParameterCount)}), standardDeviation: 1.0, ref rng{layer.Name});");
        if (padding >= 0)
            w.Line($"parameters.Slice({Literals.Int(lp.WeightOffset + padding * dimension)}, {Literals.Int(dimension)}).Clear();");
    }

    private static void WritePositionalEmbeddingInitialize(IndentedWriter w, LayerSpec layer, LayerPlan lp, int index)
    {
        w.Line($"// {layer.Name}: table [{Literals.Int(((PositionalEmbeddingLayer)layer).MaxLength)}, {Literals.Int(lp.InFeatures)}] zeros (positions are learned from the first step)");
        w.Line($"parameters.Slice({Literals.Int(lp.WeightOffset)}, {Literals.Int(lp.ParameterCount)}).Clear();");
    }

    private static void WriteAttentionInitialize(IndentedWriter w, LayerSpec layer, LayerPlan lp, int index)
    {
        int d = lp.InFeatures;
        bool bias = ((AttentionLayer)layer).Bias;
        w.Line($"// {layer.Name}: Wqkv [{Literals.Int(d)}, {Literals.Int(3 * d)}] and Wo [{Literals.Int(d)}, {Literals.Int(d)}] Xavier-uniform{(bias ? ", biases zeros" : "")}, as PyTorch's nn.MultiheadAttention");
        w.Line($"var rng{layer.Name} = new Rng(seed, stream: {Literals.Int(index)});");
        w.Line($"Initializers.XavierUniform(parameters.Slice({Literals.Int(lp.WeightOffset)}, {Literals.Int(3 * d * d)}), fanIn: {Literals.Int(d)}, fanOut: {Literals.Int(3 * d)}, ref rng{layer.Name});");
        w.Line($"Initializers.XavierUniform(parameters.Slice({Literals.Int(lp.Slice(SliceRole.OutWeight)!.Offset)}, {Literals.Int(d * d)}), fanIn: {Literals.Int(d)}, fanOut: {Literals.Int(d)}, ref rng{layer.Name});");
        if (bias) w.Line($"parameters.Slice({Literals.Int(lp.BiasOffset)}, {Literals.Int(4 * d)}).Clear();");
    }

    private static void WriteSequenceMethod(IndentedWriter w, ValueNames names, int l)
    {
        var plan = names.Shapes;
        var layer = names.Spec.Layers[l];
        var lp = plan.Layers[l];
        string x = Identifier(layer.ParameterName);
        int node = names.Plan.FirstCall(l);
        string shapes = node >= 0 && plan.Nodes[node].IsKnown ? $": {SampleShape(plan.Nodes[names.Plan.Nodes[node].A].Shape)} → {SampleShape(plan.Nodes[node].Shape)}" : "";
        string fused = "training and inference use the fused <see cref=\"Graph{T}\"/>.";
        string call;
        w.Line("/// <summary>");
        switch (layer)
        {
            case EmbeddingLayer e:
                w.Line($"/// Embedding '{layer.Name}' ({Literals.Int(e.Vocabulary)} ids × {Literals.Int(e.Dimension)}){shapes}.");
                w.Line($"/// Table [{Literals.Int(e.Vocabulary)}, {Literals.Int(e.Dimension)}] at offset {Literals.Grouped(lp.WeightOffset)}. Runs eagerly on a tensor of ids; {fused}");
                call = $"=> EagerLayers.Embedding({x}, Parameters, tableOffset: {Literals.Int(lp.WeightOffset)}, vocabulary: {Literals.Int(e.Vocabulary)}, dimension: {Literals.Int(e.Dimension)}, {Literals.String(layer.Name)});";
                break;
            case PositionalEmbeddingLayer p:
                w.Line($"/// PositionalEmbedding '{layer.Name}' (up to {Literals.Int(p.MaxLength)} positions){shapes}.");
                w.Line($"/// Table [{Literals.Int(p.MaxLength)}, {Literals.Int(lp.InFeatures)}] at offset {Literals.Grouped(lp.WeightOffset)}. Runs eagerly on a tensor; {fused}");
                call = $"=> EagerLayers.PositionalEmbedding({x}, Parameters, tableOffset: {Literals.Int(lp.WeightOffset)}, maxLength: {Literals.Int(p.MaxLength)}, features: {Literals.Int(lp.InFeatures)}, {Literals.String(layer.Name)});";
                break;
            default:
            {
                var a = (AttentionLayer)layer;
                int d = lp.InFeatures, outWeights = lp.Slice(SliceRole.OutWeight)!.Offset;
                w.Line($"/// MultiHeadAttention '{layer.Name}' ({Literals.Int(a.Heads)} heads{(a.Causal ? ", causal" : "")}){shapes}.");
                w.Line($"/// {Literals.Grouped(lp.ParameterCount)} parameters: Wqkv [{Literals.Int(d)}, {Literals.Int(3 * d)}] at offset {Literals.Grouped(lp.WeightOffset)}, Wo [{Literals.Int(d)}, {Literals.Int(d)}] at {Literals.Grouped(outWeights)}{(a.Bias ? $", biases [{Literals.Int(3 * d)}] and [{Literals.Int(d)}] at {Literals.Grouped(lp.BiasOffset)}" : "")}.");
                w.Line($"/// Runs eagerly on a tensor; {fused}");
                call = $"=> EagerLayers.MultiHeadAttention({x}, Parameters, qkvWeightOffset: {Literals.Int(lp.WeightOffset)}, outWeightOffset: {Literals.Int(outWeights)}, "
                     + $"qkvBiasOffset: {Literals.Int(a.Bias ? lp.BiasOffset : -1)}, outBiasOffset: {Literals.Int(a.Bias ? lp.Slice(SliceRole.OutBias)!.Offset : -1)}, features: {Literals.Int(d)}, heads: {Literals.Int(a.Heads)}, causal: {(a.Causal ? "true" : "false")}, {Literals.String(layer.Name)});";
                break;
            }
        }
        w.Line("/// </summary>");
        w.Line(Signature(layer));
        w.Indent().Line(MaskedEagerRefusal(names, l) ?? call).Outdent();
    }

    // Parameter names: Tokens → TokensTable; Attention → AttentionQkvWeights, AttentionOutWeights, AttentionQkvBias, AttentionOutBias.
    private static void WriteSequenceOffsets(IndentedWriter w, LayerSpec layer, LayerPlan lp)
    {
        int d = lp.InFeatures;
        switch (layer)
        {
            case EmbeddingLayer e:
                w.Line($"private const int {layer.Name}Table = {Literals.Int(lp.WeightOffset)};   // [{Literals.Int(e.Vocabulary)}, {Literals.Int(e.Dimension)}]");
                break;
            case PositionalEmbeddingLayer p:
                w.Line($"private const int {layer.Name}Table = {Literals.Int(lp.WeightOffset)};   // [{Literals.Int(p.MaxLength)}, {Literals.Int(d)}]");
                break;
            case AttentionLayer a:
                w.Line($"private const int {layer.Name}QkvWeights = {Literals.Int(lp.WeightOffset)};   // [{Literals.Int(d)}, {Literals.Int(3 * d)}]: Q, K, V column blocks");
                w.Line($"private const int {layer.Name}OutWeights = {Literals.Int(lp.Slice(SliceRole.OutWeight)!.Offset)};   // [{Literals.Int(d)}, {Literals.Int(d)}]");
                if (!a.Bias) break;
                w.Line($"private const int {layer.Name}QkvBias = {Literals.Int(lp.BiasOffset)};   // [{Literals.Int(3 * d)}]");
                w.Line($"private const int {layer.Name}OutBias = {Literals.Int(lp.Slice(SliceRole.OutBias)!.Offset)};   // [{Literals.Int(d)}]");
                break;
        }
    }

    private static List<int> AttentionNodes(ValueNames names) => names.Plan.CallSites(l => l.Kind == LayerKind.MultiHeadAttention);

    /// <summary>"batch, sequence: 64, dimension: 128, heads: 4" and, with the mask, ", causal: true": the sizes of an attention call site.</summary>
    private static string AttentionSizes(ValueNames names, int n, string batch, bool withMask = true)
    {
        var shape = names.Shapes.Nodes[n].Shape;
        var attention = (AttentionLayer)names.Plan.LayerAt(n)!;
        return $"{batch}, sequence: {Literals.Int(shape[0])}, dimension: {Literals.Int(shape[1])}, heads: {Literals.Int(attention.Heads)}" + (withMask ? $", causal: {(attention.Causal ? "true" : "false")}" : "");
    }

    private static void WriteSequenceFields(IndentedWriter w, ValueNames names)
    {
        var attention = AttentionNodes(names);
        foreach (int n in attention) w.Line($"private readonly T* _{names.Label(n)}Saved;   // Q, K, V, attention probabilities and head outputs, for backward");
        if (attention.Count > 0) w.Line("private readonly T* _attentionWorkspace;   // scratch shared by every attention call");
    }

    private static void WriteSequenceAllocations(IndentedWriter w, ValueNames names)
    {
        var attention = AttentionNodes(names);
        foreach (int n in attention)
            w.Line($"_{names.Label(n)}Saved = Allocate(checked((int)AttentionKernels.SavedSize({AttentionSizes(names, n, "maxBatch", withMask: false)})));");
        if (attention.Count == 0) return;
        string largest = attention.Select(n => $"AttentionKernels.WorkspaceSize({AttentionSizes(names, n, "maxBatch", withMask: false)})")
            .Distinct().Aggregate((a, b) => $"Math.Max({a}, {b})");
        w.Line($"_attentionWorkspace = Allocate(checked((int){largest}));");
    }

    private static void WriteEmbeddingForward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = (EmbeddingLayer)names.Spec.Layers[node.Layer];
        var shape = names.Shapes.Nodes[n].Shape;
        string x = names.Value(node.A), name = layer.Name;
        w.Line($"// {names.Label(n)} = Embedding({Literals.Int(layer.Vocabulary)}×{Literals.Int(layer.Dimension)})({names.Label(node.A)}): ids {names.Shape(node.A)} → {names.Shape(n)}");
        w.Line($"EmbeddingKernels.Forward({x}, p + {name}Table, {names.Value(n)}, {Rows(shape[0])}, vocabulary: {Literals.Int(layer.Vocabulary)}, dimension: {Literals.Int(layer.Dimension)});");
        if (layer.MaskPadding)
        {
            w.Line($"// each sample's length (MaskPadding): the layers after {name} skip the padding id {Literals.Int(layer.PaddingIndex)} after its last real id");
            w.Line($"EmbeddingKernels.Lengths({x}, _lengths, batch, sequence: {Literals.Int(shape[0])}, paddingIndex: {Literals.Int(layer.PaddingIndex)});");
        }
    }

    private static void WritePositionalEmbeddingForward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var shape = names.Shapes.Nodes[n].Shape;
        w.Line($"// {names.Label(n)} = {names.Label(node.A)} + the first {Literals.Int(shape[0])} rows of the position table: {names.Shape(n)}");
        w.Line($"EmbeddingKernels.AddPositions({names.Value(node.A)}, p + {names.Spec.Layers[node.Layer].Name}Table, {names.Value(n)}, batch, sequence: {Literals.Int(shape[0])}, dimension: {Literals.Int(shape[1])});");
    }

    private static void WriteAttentionForward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = (AttentionLayer)names.Spec.Layers[node.Layer];
        string name = layer.Name;
        w.Line($"// {names.Label(n)} = MultiHeadAttention({Literals.Int(layer.Heads)} heads{(layer.Causal ? ", causal" : "")})({names.Label(node.A)}): {names.Shape(n)}");
        w.Line($"AttentionKernels.Forward({names.Value(node.A)}, p + {name}QkvWeights, {(layer.Bias ? $"p + {name}QkvBias" : "null")}, p + {name}OutWeights, {(layer.Bias ? $"p + {name}OutBias" : "null")}, {names.Value(n)},");
        w.Indent().Line($"_{names.Label(n)}Saved, _attentionWorkspace, {AttentionSizes(names, n, "batch")}{LengthsArgument(names, node.A)});").Outdent();
    }

    private static void WriteEmbeddingBackward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = (EmbeddingLayer)names.Spec.Layers[node.Layer];
        var shape = names.Shapes.Nodes[n].Shape;
        int padding = layer.PaddingIndex;
        w.Line($"// {names.Label(n)}: back into the rows of {layer.Name}Table that the ids picked (ids get no gradient){(padding >= 0 ? $"; the padding row {Literals.Int(padding)} gets none" : "")}");
        w.Line($"EmbeddingKernels.Backward({names.Value(node.A)}, {names.Grad(n)}, g + {layer.Name}Table, {Rows(shape[0])}, vocabulary: {Literals.Int(layer.Vocabulary)}, dimension: {Literals.Int(layer.Dimension)}, paddingIndex: {Literals.Int(padding)});");
    }

    private static void WritePositionalEmbeddingBackward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var shape = names.Shapes.Nodes[n].Shape;
        w.Line($"// {names.Label(n)}: the gradient flows to {names.Label(node.A)} unchanged and, summed over the batch, to the position table");
        w.Line($"EmbeddingKernels.AddPositionsBackward({names.Grad(n)}, {InputGradient(names, n)}, {ParameterGradient(names, n, $"g + {names.Spec.Layers[node.Layer].Name}Table")}, batch, sequence: {Literals.Int(shape[0])}, dimension: {Literals.Int(shape[1])});");
    }

    private static void WriteAttentionBackward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = (AttentionLayer)names.Spec.Layers[node.Layer];
        string name = layer.Name;
        w.Line($"// {names.Label(n)}: back through MultiHeadAttention to {names.Label(node.A)}");
        w.Line($"AttentionKernels.Backward({names.Value(node.A)}, p + {name}QkvWeights, p + {name}OutWeights, {names.Grad(n)}, {InputGradient(names, n)},");
        w.Indent().Line($"{ParameterGradient(names, n, $"g + {name}QkvWeights")}, {BiasGradient(names, n, layer.Bias, $"g + {name}QkvBias")}, {ParameterGradient(names, n, $"g + {name}OutWeights")}, {BiasGradient(names, n, layer.Bias, $"g + {name}OutBias")},");
        w.Line($"_{names.Label(n)}Saved, _attentionWorkspace, {AttentionSizes(names, n, "batch")}{LengthsArgument(names, node.A)});").Outdent();
    }

    /// <summary>
    /// The body of an eager layer method that would need each sample's length (attention, LSTM or GRU after a
    /// MaskPadding embedding): a tensor carries no lengths, so it says so instead of computing over padding.
    /// </summary>
    private static string? MaskedEagerRefusal(ValueNames names, int layer)
    {
        if (names.Spec.Layers[layer].Kind is not (LayerKind.MultiHeadAttention or LayerKind.LSTM or LayerKind.GRU)) return null;
        var nodes = names.Plan.Nodes;
        bool masked = Enumerable.Range(1, nodes.Count - 1)
            .Any(n => nodes[n].Kind == NodeKind.Layer && nodes[n].Layer == layer && names.Shapes.Nodes[nodes[n].A].Masked);
        return masked
            ? $"=> throw new NotSupportedException({Literals.String($"'{names.Spec.Layers[layer].Name}' masks padded positions (MaskPadding), which a tensor does not record; run the model with Predict, Evaluate or Fit.")});"
            : null;
    }
}
