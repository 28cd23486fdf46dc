using System.Collections.Generic;
using System.Linq;
using ModelGen.FrontEnd;

namespace ModelGen.Generators.Emit;

/// <summary>
/// CrossAttention in the emitted code: a layer call with two inputs, the queries (node A) and the memory (node B),
/// calling <c>CrossAttentionKernels</c>. Its parameters are laid out as MultiHeadAttention's (Wqkv, Wo, bqkv, bo).
/// </summary>
internal static partial class CpuEmitter
{
    private static List<int> CrossAttentionNodes(ValueNames names) => names.Plan.CallSites(l => l.Kind == LayerKind.CrossAttention);

    /// <summary>"batch, queries: 5, keys: 7, dimension: 16, heads: 4": the sizes of a cross-attention call site.</summary>
    private static string CrossAttentionSizes(ValueNames names, int n, string batch)
    {
        var node = names.Plan.Nodes[n];
        var query = names.Shapes.Nodes[node.A].Shape;
        var memory = names.Shapes.Nodes[node.B].Shape;
        var layer = (CrossAttentionLayer)names.Plan.LayerAt(n)!;
        return $"{batch}, queries: {Literals.Int(query[0])}, keys: {Literals.Int(memory[0])}, dimension: {Literals.Int(query[1])}, heads: {Literals.Int(layer.Heads)}";
    }

    private static string CrossAttentionSummaryType(CrossAttentionLayer layer) =>
        $"CrossAttention {Literals.Int(layer.Heads)} heads" + (layer.Bias ? "" : ", no bias");

    private static void WriteCrossAttentionInitialize(IndentedWriter w, LayerSpec layer, LayerPlan lp, int index)
    {
        int d = lp.InFeatures;
        bool bias = ((CrossAttentionLayer)layer).Bias;
        w.Line($"// {layer.Name}: Wqkv [{Literals.Int(d)}, {Literals.Int(3 * d)}] (Q for the queries, K and V for the memory) and Wo [{Literals.Int(d)}, {Literals.Int(d)}] Xavier-uniform{(bias ? ", biases zeros" : "")}, as PyTorch's nn.MultiheadAttention");
        w.Line($"var rng{layer.Name} = new Rng(seed, stream: {Literals.Int(index)});");
        w.Line($"Initializers.XavierUniform(parameters.Slice({Literals.Int(lp.WeightOffset)}, {Literals.Int(3 * d * d)}), fanIn: {Literals.Int(d)}, fanOut: {Literals.Int(3 * d)}, ref rng{layer.Name});");
        w.Line($"Initializers.XavierUniform(parameters.Slice({Literals.Int(lp.Slice(SliceRole.OutWeight)!.Offset)}, {Literals.Int(d * d)}), fanIn: {Literals.Int(d)}, fanOut: {Literals.Int(d)}, ref rng{layer.Name});");
        if (bias) w.Line($"parameters.Slice({Literals.Int(lp.BiasOffset)}, {Literals.Int(4 * d)}).Clear();");
    }

    private static void WriteCrossAttentionMethod(IndentedWriter w, ValueNames names, int l)
    {
        var plan = names.Shapes;
        var layer = (CrossAttentionLayer)names.Spec.Layers[l];
        var lp = plan.Layers[l];
        int node = names.Plan.FirstCall(l);
        string shapes = node >= 0 && plan.Nodes[node].IsKnown && names.Plan.Nodes[node].B >= 0
            ? $": {SampleShape(plan.Nodes[names.Plan.Nodes[node].A].Shape)} attending to {SampleShape(plan.Nodes[names.Plan.Nodes[node].B].Shape)} → {SampleShape(plan.Nodes[node].Shape)}"
            : "";
        int d = lp.InFeatures, outWeights = lp.Slice(SliceRole.OutWeight)?.Offset ?? -1;
        w.Line("/// <summary>");
        w.Line($"/// CrossAttention '{layer.Name}' ({Literals.Int(layer.Heads)} heads){shapes}.");
        w.Line($"/// {Literals.Grouped(lp.ParameterCount)} parameters: Wqkv [{Literals.Int(d)}, {Literals.Int(3 * d)}] at offset {Literals.Grouped(lp.WeightOffset)}, Wo [{Literals.Int(d)}, {Literals.Int(d)}] at {Literals.Grouped(outWeights)}{(layer.Bias ? $", biases [{Literals.Int(3 * d)}] and [{Literals.Int(d)}] at {Literals.Grouped(lp.BiasOffset)}" : "")}.");
        w.Line("/// Runs eagerly on tensors; training and inference use the fused <see cref=\"Graph{T}\"/>.");
        w.Line("/// </summary>");
        w.Line(Signature(layer));
        string call = $"=> EagerLayers.CrossAttention({Identifier(layer.ParameterName)}, {Identifier(layer.Method.MemoryParameterName)}, Parameters, qkvWeightOffset: {Literals.Int(lp.WeightOffset)}, outWeightOffset: {Literals.Int(outWeights)}, "
            + $"qkvBiasOffset: {Literals.Int(layer.Bias ? lp.BiasOffset : -1)}, outBiasOffset: {Literals.Int(layer.Bias ? lp.Slice(SliceRole.OutBias)!.Offset : -1)}, features: {Literals.Int(d)}, heads: {Literals.Int(layer.Heads)}, {Literals.String(layer.Name)});";
        w.Indent().Line(MaskedMemoryRefusal(names, l) ?? call).Outdent();
    }

    /// <summary>The eager method of a cross-attention whose memory has per-sample lengths: a tensor carries none, so it refuses.</summary>
    private static string? MaskedMemoryRefusal(ValueNames names, int layer)
    {
        var nodes = names.Plan.Nodes;
        bool masked = Enumerable.Range(1, nodes.Count - 1)
            .Any(n => nodes[n].Kind == NodeKind.Layer && nodes[n].Layer == layer && nodes[n].B >= 0 && names.Shapes.Nodes[nodes[n].B].Masked);
        return masked
            ? $"=> throw new NotSupportedException({Literals.String($"'{names.Spec.Layers[layer].Name}' masks the padded positions of its memory (MaskPadding), which a tensor does not record; run the model with Predict, Evaluate or Fit.")});"
            : null;
    }

    // Parameter names as MultiHeadAttention's: Cross → CrossQkvWeights, CrossOutWeights, CrossQkvBias, CrossOutBias.
    private static void WriteCrossAttentionOffsets(IndentedWriter w, LayerSpec layer, LayerPlan lp)
    {
        if (lp.ParameterCount == 0) return;   // never called with a known width: no constants
        int d = lp.InFeatures;
        w.Line($"private const int {layer.Name}QkvWeights = {Literals.Int(lp.WeightOffset)};   // [{Literals.Int(d)}, {Literals.Int(3 * d)}]: Q (queries), K, V (memory) column blocks");
        w.Line($"private const int {layer.Name}OutWeights = {Literals.Int(lp.Slice(SliceRole.OutWeight)!.Offset)};   // [{Literals.Int(d)}, {Literals.Int(d)}]");
        if (!((CrossAttentionLayer)layer).Bias) return;
        w.Line($"private const int {layer.Name}QkvBias = {Literals.Int(lp.BiasOffset)};   // [{Literals.Int(3 * d)}]");
        w.Line($"private const int {layer.Name}OutBias = {Literals.Int(lp.Slice(SliceRole.OutBias)!.Offset)};   // [{Literals.Int(d)}]");
    }

    private static void WriteCrossAttentionFields(IndentedWriter w, ValueNames names)
    {
        var sites = CrossAttentionNodes(names);
        foreach (int n in sites) w.Line($"private readonly T* _{names.Label(n)}Saved;   // Q, K, V, attention probabilities and head outputs, for backward");
        if (sites.Count > 0) w.Line("private readonly T* _crossAttentionWorkspace;   // scratch shared by every cross-attention call");
    }

    private static void WriteCrossAttentionAllocations(IndentedWriter w, ValueNames names)
    {
        var sites = CrossAttentionNodes(names);
        foreach (int n in sites)
            w.Line($"_{names.Label(n)}Saved = Allocate(checked((int)CrossAttentionKernels.SavedSize({CrossAttentionSizes(names, n, "maxBatch")})));");
        if (sites.Count == 0) return;
        string largest = sites.Select(n => $"CrossAttentionKernels.WorkspaceSize({CrossAttentionSizes(names, n, "maxBatch")})")
            .Distinct().Aggregate((a, b) => $"Math.Max({a}, {b})");
        w.Line($"_crossAttentionWorkspace = Allocate(checked((int){largest}));");
    }

    private static void WriteCrossAttentionForward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = (CrossAttentionLayer)names.Spec.Layers[node.Layer];
        string name = layer.Name;
        w.Line($"// {names.Label(n)} = CrossAttention({Literals.Int(layer.Heads)} heads)({names.Label(node.A)} attending to {names.Label(node.B)}): {names.Shape(n)}");
        w.Line($"CrossAttentionKernels.Forward({names.Value(node.A)}, {names.Value(node.B)}, p + {name}QkvWeights, {(layer.Bias ? $"p + {name}QkvBias" : "null")}, p + {name}OutWeights, {(layer.Bias ? $"p + {name}OutBias" : "null")}, {names.Value(n)},");
        w.Indent().Line($"_{names.Label(n)}Saved, _crossAttentionWorkspace, {CrossAttentionSizes(names, n, "batch")}{MemoryLengthsArgument(names, node.B)});").Outdent();
    }

    private static void WriteCrossAttentionBackward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = (CrossAttentionLayer)names.Spec.Layers[node.Layer];
        string name = layer.Name;
        string memoryGradient = names.GradOf(node.B) is { } gm ? $"{Flows(names, node.B)} ? {gm} : null" : "null";
        // The call also runs when only the memory needs a gradient, so a frozen layer's gradients are asked for by name.
        string Parameter(string pointer) => names.GradOf(node.A) is null && names.GradOf(node.B) is null ? pointer : $"{Trains(names, node.Layer)} ? {pointer} : null";
        string Bias(string pointer) => layer.Bias ? Parameter(pointer) : "null";
        w.Line($"// {names.Label(n)}: back through CrossAttention to {names.Label(node.A)} (queries) and {names.Label(node.B)} (memory)");
        w.Line($"CrossAttentionKernels.Backward({names.Value(node.A)}, {names.Value(node.B)}, p + {name}QkvWeights, p + {name}OutWeights, {names.Grad(n)}, {InputGradient(names, n)}, {memoryGradient},");
        w.Indent().Line($"{Parameter($"g + {name}QkvWeights")}, {Bias($"g + {name}QkvBias")}, {Parameter($"g + {name}OutWeights")}, {Bias($"g + {name}OutBias")},");
        w.Line($"_{names.Label(n)}Saved, _crossAttentionWorkspace, {CrossAttentionSizes(names, n, "batch")}{MemoryLengthsArgument(names, node.B)});").Outdent();
    }

    private static string MemoryLengthsArgument(ValueNames names, int memory) => names.Shapes.Nodes[memory].Masked ? ", memoryLengths: _lengths" : "";
}
