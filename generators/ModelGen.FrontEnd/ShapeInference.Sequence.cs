using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace ModelGen.FrontEnd;

internal static partial class ShapeInference
{
    /// <summary>Embedding: [sequence] ids of the model input → [sequence, dimension]; with MaskPadding, each sample's own length.</summary>
    private static Dim[] InferEmbedding(LayerCall call, EmbeddingLayer layer)
    {
        var spec = call.Spec;
        var input = call.Input;
        var where = call.Where;
        int source = call.Source;
        var dimension = layer.Dimension > 0 ? Dim.Known(layer.Dimension) : Dim.Unknown;
        if (input.Length == 0) return new[] { Dim.Batch, Dim.Unknown, dimension };
        if (input.Length != 2)
        {
            call.Report("MG0203", where.Target, where.Index, "", layer.Name, $"it gets {Source(spec, source)} of shape {SampleText(input)} (rank {I(input.Length - 1)})");
            return new[] { Dim.Batch, Dim.Unknown, dimension };
        }
        // Only the model input holds ids: a computed value holds floats, and ids have no gradient to pass back.
        if (spec.Graph.Nodes[source].Kind is not (NodeKind.Input or NodeKind.NamedInput))
        {
            call.Report("MG0203", where.Target, where.Index, "", layer.Name, $"it gets {Source(spec, source)}, a computed value, not ids; apply it to the model input");
            return new[] { Dim.Batch, input[1], dimension };
        }
        if (!layer.MaskPadding) return new[] { Dim.Batch, input[1], dimension };
        // Lengths come from the ids of one input (the model's, or one of its [Input]s, e.g. an encoder's source);
        // two masks could disagree, so one masking layer reads them.
        int firstMask = -1;
        for (int l = 0; l < spec.Layers.Count && firstMask < 0; l++)
            if (spec.Layers[l] is EmbeddingLayer { MaskPadding: true }) firstMask = l;
        // A second masking layer is reported once; its value still has the first one's lengths, so nothing cascades.
        if (firstMask != call.Layer)
            call.Report("MG0207", ProblemTarget.LayerAttribute, call.Layer, "", layer.Name,
                spec.Inputs.Count > 0 ? $"'{spec.Layers[firstMask].Name}' masks an input already" : $"'{spec.Layers[firstMask].Name}' masks the input already");
        return new[] { Dim.Batch, input[1].IsKnown ? Dim.Sequence(input[1].Value) : input[1], dimension };
    }

    /// <summary>
    /// A model with several [Input]s may mask one of them (a source whose padding an encoder and a CrossAttention's
    /// memory skip), but its padded positions must not reach an output: labels and metrics are judged per position
    /// of the output, and the lengths belong to another input's positions.
    /// </summary>
    private static void CheckMaskedOutputOfSeveralInputs(ModelSpec spec, Dim[][] shapes, List<ShapeProblem> problems)
    {
        // A second masking layer is MG0207 already.
        if (spec.Inputs.Count == 0 || spec.Layers.Count(l => l is EmbeddingLayer { MaskPadding: true }) != 1) return;
        var nodes = spec.Graph.Nodes;
        int masking = -1;
        for (int n = 0; n < nodes.Count && masking < 0; n++)
            if (nodes[n].Kind == NodeKind.Layer && spec.Layers[nodes[n].Layer] is EmbeddingLayer { MaskPadding: true } && Dim.HasSequence(shapes[n])) masking = n;
        if (masking < 0) return;
        foreach (int output in spec.Graph.AllOutputs.Distinct())
        {
            if (!Dim.HasSequence(shapes[output])) continue;
            problems.Add(new ShapeProblem("MG0213", ProblemTarget.Node, masking, "",
                new[] { spec.Layers[nodes[masking].Layer].Name, nodes[nodes[masking].A].Label, Describe(spec, output, shapes), SampleText(shapes[output]) }.ToEquatableArray()));
            return;
        }
    }

    /// <summary>
    /// PositionalEmbedding and MultiHeadAttention: [sequence, features] → the same shape; the table covers every
    /// position, the heads divide the width.
    /// </summary>
    private static Dim[] InferSequenceWidth(LayerCall call, LayerSpec layer)
    {
        var spec = call.Spec;
        var input = call.Input;
        var where = call.Where;
        int source = call.Source;
        if (input.Length == 0) return Dim.UnknownRank;
        if (input.Length != 3)
        {
            string hint = input.Length == 2 && spec.Graph.Nodes[source].Kind is NodeKind.Input or NodeKind.NamedInput ? "; ids need an [Embedding] first, which turns [sequence] into [sequence, features]" : "";
            call.Report("MG0204", where.Target, where.Index, "", layer.Kind.ToString(), layer.Name, SampleText(input), hint);
            return Dim.UnknownRank;
        }
        var positions = input[1];
        var width = input[2];
        // A variable length is checked at its bound: the longest sample must find its rows.
        if (layer is PositionalEmbeddingLayer positional && positions.Bound > 0 && positional.MaxLength >= 1 && positional.MaxLength < positions.Bound)
        {
            call.Report("MG0205", ProblemTarget.LayerArgument, call.Layer, "maxLength", layer.Name, I(positional.MaxLength), I(positions.Bound), Source(spec, source));
            return input;
        }
        if (!width.IsKnown) return input;
        if (layer is AttentionLayer attention && attention.Heads >= 1 && width.Value % attention.Heads != 0)
        {
            var (fewer, more) = NearestDivisors(width.Value, attention.Heads);
            string suggestion = more > 0 ? $"{I(fewer)} or {I(more)}" : I(fewer);
            call.Problems.Add(new ShapeProblem("MG0201", ProblemTarget.LayerArgument, call.Layer, "heads",
                new[] { layer.Name, I(width.Value), I(attention.Heads), I(width.Value % attention.Heads), suggestion }.ToEquatableArray(),
                more > 0 ? $"{I(fewer)},{I(more)}" : I(fewer)));
            return input;
        }
        call.Learn(width.Value, layer.Name);
        return input;
    }

    /// <summary>Names a layer's argument: "the model input" in a sequential model, else as <see cref="Describe"/> does.</summary>
    private static string Source(ModelSpec spec, int node) =>
        spec.Graph.Nodes[node].Kind == NodeKind.Input && !spec.Graph.FromForwardMethod ? "the model input" : Describe(spec, node, null);

    /// <summary>The largest divisor of <paramref name="width"/> below <paramref name="heads"/> and the smallest above it (0 when there is none).</summary>
    public static (int Fewer, int More) NearestDivisors(int width, int heads)
    {
        int fewer = 1, more = 0;
        for (int h = System.Math.Min(heads - 1, width); h >= 1; h--)
            if (width % h == 0) { fewer = h; break; }
        for (int h = heads + 1; h <= width; h++)
            if (width % h == 0) { more = h; break; }
        return (fewer, more);
    }
}
