using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace ModelGen.Generators.Model;

/// <summary>Shape rules of the sequence and 1-D layers: LSTM, GRU, Conv1d, GroupNorm and Reshape (MG03xx).</summary>
internal static partial class ShapeInference
{
    /// <summary>The layers whose shapes this part infers.</summary>
    public static bool IsRecurrentFamily(LayerSpec layer) => layer.Kind is "LSTM" or "GRU" or "Conv1d" or "GroupNorm" or "Reshape";

    /// <summary>Gate blocks per direction: 4 for LSTM (i, f, g, o), 3 for GRU (r, z, n); 0 for other layers.</summary>
    public static int GateCount(LayerSpec layer) => layer.Kind switch { "LSTM" => 4, "GRU" => 3, _ => 0 };

    /// <summary>
    /// Weight elements of a Conv1d or recurrent layer (a recurrent layer's biases live inside its
    /// per-direction blocks, as the kernels lay them out); null for the other layers.
    /// </summary>
    private static long? RecurrentFamilyWeights(LayerSpec layer, int inFeatures)
    {
        if (layer.Kind == "Conv1d" && layer.Spatial is { } s)
            return (long)layer.Units * (s.Groups > 0 && inFeatures % s.Groups == 0 ? inFeatures / s.Groups : 0) * s.Kernel;
        if (GateCount(layer) > 0 && layer.Recurrent is { } r)
            return r.Directions * ((long)inFeatures + layer.Units + 2) * GateCount(layer) * layer.Units;
        return null;
    }

    private static Dim[] InferRecurrentFamily(ModelSpec spec, int n, LayerSpec layer, Dim[] input, int layerIndex, int[] layerIn, int[] layerInSource, List<ShapeProblem> problems)
    {
        var where = spec.Graph.FromForwardMethod ? (ProblemTarget.Node, n) : (ProblemTarget.LayerAttribute, layerIndex);
        void Report(string id, ProblemTarget target, int index, string argument, params string[] args) =>
            problems.Add(new ShapeProblem(id, target, index, argument, args.ToEquatableArray()));

        // The size a layer learns its parameters for (features per step, channels): stated, shared and inferred must agree.
        bool Accept(Dim size, string unit)
        {
            if (!size.IsKnown) return true;
            if (layer.DeclaredIn > 0 && layer.DeclaredIn != size.Value)
            {
                problems.Add(new ShapeProblem("MG0306", ProblemTarget.LayerArgument, layerIndex, "In",
                    new[] { layer.Name, layer.Kind, I(layer.DeclaredIn), I(size.Value), unit, Describe(spec, spec.Graph.Nodes[n].A, null) }.ToEquatableArray(), I(size.Value)));
                return false;
            }
            if (layerInSource[layerIndex] >= 0 && layerIn[layerIndex] != size.Value)
            {
                Report("MG0015", ProblemTarget.Node, n, "", layer.Name, I(layerIn[layerIndex]), I(size.Value));
                return false;
            }
            layerIn[layerIndex] = size.Value;
            layerInSource[layerIndex] = n;
            return true;
        }

        switch (layer.Kind)
        {
            case "Reshape":
                return InferReshape(layer, input, n, layerIndex, layerIn, layerInSource, where, problems);

            case "GroupNorm":
            {
                if (input.Length < 2 || !input[1].IsKnown) return input;
                int channels = input[1].Value, groups = layer.Units;
                if (groups > 0 && channels % groups != 0)
                {
                    var divisors = Enumerable.Range(1, channels).Where(d => channels % d == 0).Select(I);
                    Report("MG0304", ProblemTarget.LayerArgument, layerIndex, "groups", "GroupNorm", layer.Name,
                        $"{I(channels)} channels are not divisible by {I(groups)} groups ({I(channels)} = {I(groups)}·{I(channels / groups)} + {I(channels % groups)}); the divisors of {I(channels)} are {string.Join(", ", divisors)}");
                    return input;
                }
                Accept(input[1], "channels");
                return input;
            }

            case "Conv1d":
            {
                var s = layer.Spatial!;
                var outChannels = layer.Units > 0 ? Dim.Known(layer.Units) : Dim.Unknown;
                var unknown = new[] { Dim.Batch, outChannels, Dim.Unknown };
                if (input.Length == 0) return unknown;
                if (input.Length != 3)
                {
                    Report("MG0301", where.Item1, where.Item2, "", "Conv1d", layer.Name, "[channels, length]", SampleText(input));
                    return unknown;
                }
                var channels = input[1];
                if (channels.IsKnown)
                {
                    int c = channels.Value;
                    if (c % s.Groups != 0 || (layer.Units > 0 && layer.Units % s.Groups != 0))
                    {
                        var parts = new List<string>();
                        if (c % s.Groups != 0) parts.Add($"input channels {I(c)} = {I(s.Groups)}·{I(c / s.Groups)} + {I(c % s.Groups)}");
                        if (layer.Units > 0 && layer.Units % s.Groups != 0) parts.Add($"output channels {I(layer.Units)} = {I(s.Groups)}·{I(layer.Units / s.Groups)} + {I(layer.Units % s.Groups)}");
                        Report("MG0304", ProblemTarget.LayerArgument, layerIndex, "Groups", "Conv1d", layer.Name,
                            $"input and output channels must both be divisible by Groups = {I(s.Groups)}, but {string.Join(" and ", parts)}");
                        return unknown;
                    }
                    if (!Accept(channels, "channels")) return unknown;
                }
                if (s.Kernel < 1 || !input[2].IsKnown) return unknown;
                int length = input[2].Value, span = s.Dilation * (s.Kernel - 1);
                if (s.Same)
                {
                    if (s.Stride == 1) return new[] { Dim.Batch, outChannels, Dim.Known(length) };
                    Report("MG0307", ProblemTarget.LayerArgument, layerIndex, "SamePadding", layer.Name, I(s.Stride),
                        I((length + s.Stride - 1) / s.Stride), I(length));
                    return unknown;
                }
                int reach = length + 2 * s.Padding - span - 1;
                int output = reach < 0 ? 0 : reach / s.Stride + 1;
                string formula = $"L = ⌊({I(length)} + 2·{I(s.Padding)} − {I(s.Dilation)}·({I(s.Kernel)} − 1) − 1)/{I(s.Stride)}⌋ + 1 = {(reach < 0 ? "⌊" + I(reach) + "/" + I(s.Stride) + "⌋ + 1 ≤ 0" : I(output))}";
                if (reach < 0)
                {
                    Report("MG0302", where.Item1, where.Item2, "", layer.Name, formula);
                    return unknown;
                }
                int dropped = reach % s.Stride;
                if (dropped != 0)
                    Report("MG0303", where.Item1, where.Item2, "", layer.Name, formula, $"{I(length)} + 2·{I(s.Padding)} − {I(span + 1)} = {I(reach)}", I(s.Stride),
                        dropped == 1 ? "position" : I(dropped) + " positions");
                return new[] { Dim.Batch, outChannels, Dim.Known(output) };
            }

            default:
            {
                // LSTM and GRU: [sequence, features] → [directions·H] or, with ReturnSequences, [sequence, directions·H].
                var r = layer.Recurrent!;
                var width = layer.Units > 0 ? Dim.Known(layer.Units * r.Directions) : Dim.Unknown;
                Dim[] Output(Dim steps) => r.ReturnSequences ? new[] { Dim.Batch, steps, width } : new[] { Dim.Batch, width };
                if (input.Length == 0) return Output(Dim.Unknown);
                if (input.Length != 3)
                {
                    Report("MG0301", where.Item1, where.Item2, "", layer.Kind, layer.Name, "[sequence, features]", SampleText(input));
                    return Output(Dim.Unknown);
                }
                Accept(input[2], "features per step");
                return Output(input[1]);
            }
        }
    }

    /// <summary>[batch, …] → [batch, target], one −1 inferred; the element count must not change.</summary>
    private static Dim[] InferReshape(LayerSpec layer, Dim[] input, int n, int layerIndex, int[] layerIn, int[] layerInSource, (ProblemTarget, int) where, List<ShapeProblem> problems)
    {
        var target = layer.Target;
        var result = new[] { Dim.Batch }.Concat(target.Select(d => d > 0 ? Dim.Known(d) : Dim.Unknown)).ToArray();
        // Invalid targets are the parser's MG0004.
        if (target.Count == 0 || target.Any(d => d == 0 || d < -1) || target.Count(d => d == -1) > 1) return result;
        var total = input.Length == 0 ? Dim.Unknown : Dim.Product(input.Skip(1));
        if (!total.IsKnown) return result;
        long known = target.Where(d => d > 0).Aggregate(1L, (a, b) => a * b);
        bool infers = target.Contains(-1);
        string inputText = input.Length == 2
            ? $"{SampleText(input)} holds {I(total.Value)}"
            : $"{SampleText(input)} holds {string.Join("·", input.Skip(1).Select(d => d.ToString()))} = {I(total.Value)}";
        if (infers ? total.Value % known != 0 : known != total.Value)
        {
            string targetText = infers
                ? $"{Text(target)} needs a multiple of {(target.Count == 2 ? "" : string.Join("·", target.Where(d => d > 0).Select(I)) + " = ")}{known.ToString(CultureInfo.InvariantCulture)} elements"
                : target.Count == 1
                    ? $"{Text(target)} holds {known.ToString(CultureInfo.InvariantCulture)} elements"
                    : $"{Text(target)} holds {string.Join("·", target.Select(I))} = {known.ToString(CultureInfo.InvariantCulture)} elements";
            problems.Add(new ShapeProblem("MG0305", where.Item1, where.Item2, "", new[] { layer.Name, targetText, inputText }.ToEquatableArray()));
            return result;
        }
        for (int i = 0; i < target.Count; i++)
            if (target[i] == -1) result[i + 1] = Dim.Known((int)(total.Value / known));
        layerIn[layerIndex] = total.Value;
        layerInSource[layerIndex] = n;
        return result;
    }

    /// <summary>"'Encoder' (bidirectional LSTM 32: 2·32 = 64)": the doubling shown where a width is explained.</summary>
    private static string? DescribeRecurrent(LayerSpec layer, string label) => layer.Recurrent is { } r
        ? r.Bidirectional
            ? $"'{label}' (bidirectional {layer.Kind} {I(layer.Units)}: 2·{I(layer.Units)} = {I(2 * layer.Units)})"
            : $"'{label}' ({layer.Kind} {I(layer.Units)})"
        : null;

}
