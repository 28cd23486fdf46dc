using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace ModelGen.FrontEnd;

/// <summary>Shape rules of the sequence and 1-D layers: LSTM, GRU, Conv1d, GroupNorm and Reshape (MG03xx).</summary>
internal static partial class ShapeInference
{
    /// <summary>
    /// The size a recurrent or 1-D layer learns its parameters for (features per step, channels): stated (In, MG0306),
    /// shared and inferred must agree. An unknown size is accepted.
    /// </summary>
    private static bool Accept(LayerCall call, LayerSpec layer, int declaredIn, Dim size, string unit)
    {
        if (!size.IsKnown) return true;
        if (declaredIn > 0 && declaredIn != size.Value)
        {
            call.Problems.Add(new ShapeProblem("MG0306", ProblemTarget.LayerArgument, call.Layer, "In",
                new[] { layer.Name, layer.Kind.ToString(), I(declaredIn), I(size.Value), unit, Describe(call.Spec, call.Source, null) }.ToEquatableArray(), I(size.Value)));
            return false;
        }
        return call.Learn(size.Value, layer.Name);
    }

    /// <summary>GroupNorm: same shape out; the channels (the first axis) must split into the groups.</summary>
    private static Dim[] InferGroupNorm(LayerCall call, GroupNormLayer layer)
    {
        var input = call.Input;
        if (input.Length < 2 || !input[1].IsKnown) return input;
        int channels = input[1].Value, groups = layer.Groups;
        if (!DeclaredNormInput(call, layer, layer.DeclaredIn, channels, "channels")) return input;
        if (groups > 0 && channels % groups != 0)
        {
            var divisors = Enumerable.Range(1, channels).Where(d => channels % d == 0).Select(I);
            call.Report("MG0304", ProblemTarget.LayerArgument, call.Layer, "groups", "GroupNorm", layer.Name,
                $"{I(channels)} channels are not divisible by {I(groups)} groups ({I(channels)} % {I(groups)} = {I(channels % groups)}); the divisors of {I(channels)} are {string.Join(", ", divisors)}");
            return input;
        }
        Accept(call, layer, 0, input[1], "channels");
        return input;
    }

    /// <summary>Conv1d on [batch, C, L]: L = ⌊(L + 2p − d(k − 1) − 1)/s⌋ + 1.</summary>
    private static Dim[] InferConv1d(LayerCall call, ConvLayer layer)
    {
        var input = call.Input;
        var where = call.Where;
        var s = layer.Window;
        int filters = layer.Filters;
        var outChannels = filters > 0 ? Dim.Known(filters) : Dim.Unknown;
        var unknown = new[] { Dim.Batch, outChannels, Dim.Unknown };
        if (input.Length == 0) return unknown;
        if (input.Length != 3)
        {
            call.Report("MG0301", where.Target, where.Index, "", "Conv1d", layer.Name, "[channels, length]", SampleText(input));
            return unknown;
        }
        var channels = input[1];
        if (channels.IsKnown)
        {
            int c = channels.Value;
            if (c % s.Groups != 0 || (filters > 0 && filters % s.Groups != 0))
            {
                var parts = new List<string>();
                if (c % s.Groups != 0) parts.Add($"input channels {I(c)} % {I(s.Groups)} = {I(c % s.Groups)}");
                if (filters > 0 && filters % s.Groups != 0) parts.Add($"output channels {I(filters)} % {I(s.Groups)} = {I(filters % s.Groups)}");
                call.Report("MG0304", ProblemTarget.LayerArgument, call.Layer, "Groups", "Conv1d", layer.Name,
                    $"input and output channels must both be divisible by Groups = {I(s.Groups)}, but {string.Join(" and ", parts)}");
                return unknown;
            }
            if (!Accept(call, layer, layer.DeclaredIn, channels, "channels")) return unknown;
        }
        if (s.Kernel < 1 || !input[2].IsKnown) return unknown;
        int length = input[2].Value, span = s.Dilation * (s.Kernel - 1);
        if (s.Same)
        {
            if (s.Stride == 1) return new[] { Dim.Batch, outChannels, Dim.Known(length) };
            call.Report("MG0307", ProblemTarget.LayerArgument, call.Layer, "SamePadding", layer.Name, I(s.Stride),
                I((length + s.Stride - 1) / s.Stride), I(length));
            return unknown;
        }
        int reach = length + 2 * s.Padding - span - 1;
        int output = reach < 0 ? 0 : reach / s.Stride + 1;
        string formula = $"L = ⌊({I(length)} + 2·{I(s.Padding)} − {I(s.Dilation)}·({I(s.Kernel)} − 1) − 1)/{I(s.Stride)}⌋ + 1 = {(reach < 0 ? "⌊" + I(reach) + "/" + I(s.Stride) + "⌋ + 1 ≤ 0" : I(output))}";
        if (reach < 0)
        {
            call.Report("MG0302", where.Target, where.Index, "", layer.Name, formula);
            return unknown;
        }
        int unread = UnreadRows(length, s.Padding, span, s.Stride);
        if (unread > 0)
            call.Report("MG0303", where.Target, where.Index, "", layer.Name, unread == 1 ? "position" : I(unread) + " positions",
                $"{formula}, and the windows reach {I(length - unread)} of the {I(length)} positions");
        return new[] { Dim.Batch, outChannels, Dim.Known(output) };
    }

    /// <summary>LSTM and GRU: [sequence, features] → [directions·H] or, with ReturnSequences, [sequence, directions·H].</summary>
    private static Dim[] InferRecurrent(LayerCall call, RecurrentLayer layer)
    {
        var input = call.Input;
        var width = layer.HiddenSize > 0 ? Dim.Known(layer.HiddenSize * layer.Directions) : Dim.Unknown;
        Dim[] Output(Dim steps) => layer.ReturnSequences ? new[] { Dim.Batch, steps, width } : new[] { Dim.Batch, width };
        if (input.Length == 0) return Output(Dim.Unknown);
        if (input.Length != 3)
        {
            call.Report("MG0301", call.Where.Target, call.Where.Index, "", layer.Kind.ToString(), layer.Name, "[sequence, features]", SampleText(input));
            return Output(Dim.Unknown);
        }
        Accept(call, layer, layer.DeclaredIn, input[2], "features per step");
        return Output(input[1]);
    }

    /// <summary>[batch, …] → [batch, target], one −1 inferred; the element count must not change.</summary>
    private static Dim[] InferReshape(LayerCall call, ReshapeLayer layer)
    {
        var input = call.Input;
        var where = call.Where;
        var target = layer.Target;
        var result = new Dim[target.Count + 1];
        result[0] = Dim.Batch;
        long known = 1;
        int inferred = 0;
        bool invalid = target.Count == 0;
        for (int i = 0; i < target.Count; i++)
        {
            int d = target[i];
            result[i + 1] = d > 0 ? Dim.Known(d) : Dim.Unknown;
            if (d > 0) known *= d;
            else if (d == -1) inferred++;
            else invalid = true;
        }
        // Invalid targets are the parser's MG0004.
        if (invalid || inferred > 1) return result;
        var total = input.Length == 0 ? Dim.Unknown : Dim.Product(input, from: 1);
        if (!total.IsKnown) return result;
        bool infers = inferred == 1;
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
            if (infers) inputText += $" ({I(total.Value)} % {known.ToString(CultureInfo.InvariantCulture)} = {(total.Value % known).ToString(CultureInfo.InvariantCulture)})";
            call.Problems.Add(new ShapeProblem("MG0305", where.Target, where.Index, "", new[] { layer.Name, targetText, inputText }.ToEquatableArray()));
            return result;
        }
        for (int i = 0; i < target.Count; i++)
            if (target[i] == -1) result[i + 1] = Dim.Known((int)(total.Value / known));
        call.Remember(total.Value);
        return result;
    }

    /// <summary>"'Encoder' (bidirectional LSTM 32: 2·32 = 64)": the doubling shown where a width is explained.</summary>
    private static string? DescribeRecurrent(LayerSpec layer, string label) => layer is RecurrentLayer r
        ? r.Bidirectional
            ? $"'{label}' (bidirectional {r.Kind} {I(r.HiddenSize)}: 2·{I(r.HiddenSize)} = {I(2 * r.HiddenSize)})"
            : $"'{label}' ({r.Kind} {I(r.HiddenSize)})"
        : null;

}
