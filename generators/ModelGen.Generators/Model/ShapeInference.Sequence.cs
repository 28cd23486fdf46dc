using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace ModelGen.Generators.Model;

internal static partial class ShapeInference
{
    /// <summary>
    /// Embedding ([sequence] ids → [sequence, dimension]), PositionalEmbedding and MultiHeadAttention
    /// ([sequence, features] → the same shape): the sequence rules of PRODUCT.md.
    /// </summary>
    private static Dim[] InferSequence(ModelSpec spec, int n, LayerSpec layer, Dim[] input, int layerIndex, int[] layerIn, int[] layerInSource, List<ShapeProblem> problems)
    {
        var where = spec.Graph.FromForwardMethod ? (ProblemTarget.Node, n) : (ProblemTarget.LayerAttribute, layerIndex);
        void Report(string id, ProblemTarget target, int index, string argument, params string[] args) =>
            problems.Add(new ShapeProblem(id, target, index, argument, args.ToEquatableArray()));
        var sequence = layer.Sequence!;
        int source = spec.Graph.Nodes[n].A;

        if (layer.Kind == "Embedding")
        {
            var dimension = layer.Units > 0 ? Dim.Known(layer.Units) : Dim.Unknown;
            if (input.Length == 0) return new[] { Dim.Batch, Dim.Unknown, dimension };
            if (input.Length != 2)
            {
                Report("MG0203", where.Item1, where.Item2, "", layer.Name, $"it gets {Source(spec, source)} of shape {SampleText(input)} (rank {I(input.Length - 1)})");
                return new[] { Dim.Batch, Dim.Unknown, dimension };
            }
            // Only the model input holds ids: a computed value holds floats, and ids have no gradient to pass back.
            if (spec.Graph.Nodes[source].Kind is not (NodeKind.Input or NodeKind.NamedInput))
            {
                Report("MG0203", where.Item1, where.Item2, "", layer.Name, $"it gets {Source(spec, source)}, a computed value, not ids; apply it to the model input");
                return new[] { Dim.Batch, input[1], dimension };
            }
            if (!sequence.MaskPadding) return new[] { Dim.Batch, input[1], dimension };
            // Lengths come from the ids of the one model input; two masks could disagree, so one masking layer reads it.
            int firstMask = -1;
            for (int l = 0; l < spec.Layers.Count && firstMask < 0; l++)
                if (spec.Layers[l].Sequence is { MaskPadding: true }) firstMask = l;
            if (spec.Graph.Nodes[source].Kind != NodeKind.Input || spec.Inputs.Count > 0)
            {
                Report("MG0207", where.Item1, where.Item2, "", layer.Name, $"it reads the input '{spec.Graph.Nodes[source].Label}', one of several [Input]s");
                return new[] { Dim.Batch, input[1], dimension };
            }
            // A second masking layer is reported once; its value still has the first one's lengths, so nothing cascades.
            if (firstMask != layerIndex)
                Report("MG0207", ProblemTarget.LayerAttribute, layerIndex, "", layer.Name, $"'{spec.Layers[firstMask].Name}' masks the input already");
            return new[] { Dim.Batch, input[1].IsKnown ? Dim.Sequence(input[1].Value) : input[1], dimension };
        }

        if (input.Length == 0) return Dim.UnknownRank;
        if (input.Length != 3)
        {
            string hint = input.Length == 2 && spec.Graph.Nodes[source].Kind is NodeKind.Input or NodeKind.NamedInput ? "; ids need an [Embedding] first, which turns [sequence] into [sequence, features]" : "";
            Report("MG0204", where.Item1, where.Item2, "", layer.Kind, layer.Name, SampleText(input), hint);
            return Dim.UnknownRank;
        }
        var positions = input[1];
        var width = input[2];
        // A variable length is checked at its bound: the longest sample must find its rows.
        if (layer.Kind == "PositionalEmbedding" && positions.Bound > 0 && sequence.MaxLength >= 1 && sequence.MaxLength < positions.Bound)
        {
            Report("MG0205", ProblemTarget.LayerArgument, layerIndex, "maxLength", layer.Name, I(sequence.MaxLength), I(positions.Bound), Source(spec, source));
            return input;
        }
        if (!width.IsKnown) return input;
        if (layer.Kind == "MultiHeadAttention" && sequence.Heads >= 1 && width.Value % sequence.Heads != 0)
        {
            var (fewer, more) = NearestDivisors(width.Value, sequence.Heads);
            string suggestion = more > 0 ? $"{I(fewer)} or {I(more)}" : I(fewer);
            problems.Add(new ShapeProblem("MG0201", ProblemTarget.LayerArgument, layerIndex, "heads",
                new[] { layer.Name, I(width.Value), I(sequence.Heads), I(width.Value % sequence.Heads), suggestion }.ToEquatableArray(),
                more > 0 ? $"{I(fewer)},{I(more)}" : I(fewer)));
            return input;
        }
        if (layerInSource[layerIndex] >= 0 && layerIn[layerIndex] != width.Value)
        {
            Report("MG0015", ProblemTarget.Node, n, "", layer.Name, I(layerIn[layerIndex]), I(width.Value));
            return input;
        }
        layerIn[layerIndex] = width.Value;
        layerInSource[layerIndex] = n;
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

    /// <summary>
    /// Parameter counts of a sequence layer: Embedding's table [vocabulary, dimension]; PositionalEmbedding's
    /// table [maxLength, width]; MultiHeadAttention's weights Wqkv [d, 3d] then Wo [d, d], and biases bqkv [3d] then bo [d].
    /// </summary>
    private static (long Weights, long Bias, int OutFeatures) SequenceParameters(LayerSpec layer, int inFeatures)
    {
        var sequence = layer.Sequence!;
        // Sizes below 1 are MG0004; they count as 0 here so no offset goes negative.
        int dimension = System.Math.Max(layer.Units, 0);
        return layer.Kind switch
        {
            "Embedding" => ((long)System.Math.Max(sequence.Vocabulary, 0) * dimension, 0, dimension),
            "PositionalEmbedding" => ((long)System.Math.Max(sequence.MaxLength, 0) * inFeatures, 0, inFeatures),
            _ => (4L * inFeatures * inFeatures, layer.Bias ? 4L * inFeatures : 0, inFeatures),
        };
    }
}
