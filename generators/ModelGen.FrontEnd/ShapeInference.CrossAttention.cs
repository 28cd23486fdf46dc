namespace ModelGen.FrontEnd;

internal static partial class ShapeInference
{
    /// <summary>
    /// CrossAttention: queries [Sq, d] and a memory [Sk, d] → [Sq, d]. Both need [sequence, features], the same width
    /// (the memory is projected with the queries' d × 2d matrix), and heads dividing it; the lengths may differ, and the
    /// memory may have each sample's own length (MaskPadding), which masks its keys.
    /// </summary>
    private static Dim[] InferCrossAttention(LayerCall call, CrossAttentionLayer layer, int memoryNode)
    {
        var spec = call.Spec;
        var query = call.Input;
        if (memoryNode < 0)
        {
            // In a layer chain there is no second tensor to read.
            call.Report("MG0212", ProblemTarget.LayerAttribute, call.Layer, "", layer.Name);
            return Dim.UnknownRank;
        }
        var memory = call.Shapes[memoryNode];
        if (query.Length == 0 || memory.Length == 0) return query.Length == 0 ? Dim.UnknownRank : query;
        var where = call.Where;
        bool shaped = true;
        foreach (var (shape, node, role) in new[] { (query, call.Source, "the queries "), (memory, memoryNode, "the memory ") })
        {
            if (shape.Length == 3) continue;
            string hint = shape.Length == 2 && spec.Graph.Nodes[node].Kind is NodeKind.Input or NodeKind.NamedInput ? "; ids need an [Embedding] first, which turns [sequence] into [sequence, features]" : "";
            call.Report("MG0204", where.Target, where.Index, "", "CrossAttention", layer.Name, role + Describe(spec, node, call.Shapes) + " of shape " + SampleText(shape), hint);
            shaped = false;
        }
        if (!shaped) return Dim.UnknownRank;
        var width = query[2];
        var memoryWidth = memory[2];
        if (width.IsKnown && memoryWidth.IsKnown && width.Value != memoryWidth.Value)
        {
            call.Report("MG0210", where.Target, where.Index, "", layer.Name, Describe(spec, call.Source, call.Shapes), SampleText(query), I(width.Value),
                Describe(spec, memoryNode, call.Shapes), SampleText(memory), I(memoryWidth.Value));
            return query;
        }
        if (!width.IsKnown) return query;
        if (layer.Heads >= 1 && width.Value % layer.Heads != 0)
        {
            var (fewer, more) = NearestDivisors(width.Value, layer.Heads);
            string suggestion = more > 0 ? $"{I(fewer)} or {I(more)}" : I(fewer);
            call.Problems.Add(new ShapeProblem("MG0211", ProblemTarget.LayerArgument, call.Layer, "heads",
                new[] { layer.Name, I(width.Value), I(layer.Heads), I(width.Value % layer.Heads), suggestion }.ToEquatableArray(),
                more > 0 ? $"{I(fewer)},{I(more)}" : I(fewer)));
            return query;
        }
        call.Learn(width.Value, layer.Name);
        return query;
    }
}
