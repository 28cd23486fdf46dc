using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace ModelGen.FrontEnd;

// Shapes of named inputs and concats, and the rules of several inputs and outputs.
internal static partial class ShapeInference
{
    /// <summary>Every [Input] needs a shape of dimensions ≥ 1 (MG0003, on that attribute).</summary>
    private static void CheckNamedInputs(ModelSpec spec, List<ShapeProblem> problems)
    {
        for (int i = 0; i < spec.Inputs.Count; i++)
        {
            var shape = spec.Inputs[i].Shape;
            if (shape.Count > 0 && shape.All(d => d > 0)) continue;
            string why = shape.Count == 0
                ? $"declare the per-sample shape of '{spec.Inputs[i].Name}', e.g. [Input(\"{spec.Inputs[i].Name}\", 16)]"
                : "every dimension must be at least 1";
            problems.Add(new ShapeProblem("MG0003", ProblemTarget.Input, i, "", new[] { spec.TypeName, Text(shape), why }.ToEquatableArray()));
        }
    }

    private static bool IsValid(InputSpec input) => input.Shape.Count > 0 && input.Shape.All(d => d > 0);

    /// <summary>The row the runtime passes: every input's values side by side, [Σ sizes].</summary>
    private static Dim[] PackedInputShape(ModelSpec spec) =>
        spec.Inputs.All(IsValid) ? new[] { Dim.Batch, Dim.Known(spec.Inputs.Sum(i => i.Shape.Aggregate(1, (a, b) => a * b))) } : Dim.UnknownRank;

    private static Dim[] InferGraphNode(ModelSpec spec, int n, Dim[][] shapes, List<ShapeProblem> problems)
    {
        var node = spec.Graph.Nodes[n];
        if (node.Kind == NodeKind.NamedInput)
        {
            var input = spec.Inputs[node.Layer];
            return IsValid(input) ? Dim.Shape(input.Shape) : Dim.UnknownRank;
        }

        // Concat: same rank, equal sizes on every axis but the joined one, which is the sum.
        var parts = node.Parts.Select(p => shapes[p]).ToList();
        if (parts.Any(p => p.Length == 0)) return Dim.UnknownRank;
        int rank = parts[0].Length - 1;
        string Parts() => string.Join(" and ", node.Parts.Select(p => $"{Describe(spec, p, shapes)} is {SampleText(shapes[p])}"));
        void Report(string id, params string[] args) => problems.Add(new ShapeProblem(id, ProblemTarget.Node, n, "", args.ToEquatableArray()));

        int axis = node.Axis < 0 ? rank + node.Axis : node.Axis;
        if (axis < 0 || axis >= rank)
        {
            Report("MG0402", I(node.Axis), $"parts of shape {SampleText(parts[0])}", rank == 1 ? "0 (or −1)" : $"0…{I(rank - 1)} (or −{I(rank)}…−1 from the end)");
            return Dim.UnknownRank;
        }
        if (parts.Any(p => p.Length != parts[0].Length))
        {
            Report("MG0401", I(node.Axis), $"{Parts()}; the parts must have the same number of axes");
            return Dim.UnknownRank;
        }
        var result = (Dim[])parts[0].Clone();
        if (parts.Any(p => p[axis + 1].IsSequence))
        {
            Report("MG0208", $"Tensor.Concat along axis {I(node.Axis)}", Parts(),
                "joining along the variable-length axis would put one part's padding before the next part's positions; join along the features instead");
            return Dim.UnknownRank;
        }
        for (int d = 1; d <= rank; d++)
        {
            if (d == axis + 1) continue;
            if (parts.Any(p => p[d].IsSequence))
            {
                if (parts.All(p => p[d].Equals(parts[0][d]))) continue;
                Report("MG0208", $"Tensor.Concat along axis {I(node.Axis)}", Parts(), "every part needs the same variable length on the other axes");
                return Dim.UnknownRank;
            }
            var sizes = parts.Select(p => p[d]).ToList();
            var known = sizes.Where(s => s.IsKnown).Select(s => s.Value).Distinct().ToList();
            if (known.Count > 1)
            {
                string joined = string.Join(" + ", parts.Select(p => p[axis + 1].ToString()));
                var sum = Dim.Sum(parts.Select(p => p[axis + 1]));
                Report("MG0401", I(node.Axis), $"{Parts()}; they must agree on every axis but {I(axis)}, yet axis {I(d - 1)} is {string.Join(" vs ", sizes)} (axis {I(axis)} would be {joined} = {sum})");
                return Dim.UnknownRank;
            }
            result[d] = known.Count == 1 ? Dim.Known(known[0]) : Dim.Unknown;
        }
        result[axis + 1] = Dim.Sum(parts.Select(p => p[axis + 1]));
        return result;
    }

    /// <summary>Unused inputs (MG0405), each head's loss against its output (MG0009), and the contrastive pair (MG0408).</summary>
    private static void CheckOutputs(ModelSpec spec, Dim[][] shapes, bool[] live, List<ShapeProblem> problems)
    {
        var nodes = spec.Graph.Nodes;
        if (spec.Graph.Output < 0) return;
        for (int n = 0; n < nodes.Count; n++)
            if (nodes[n].Kind == NodeKind.NamedInput && !live[n])
            {
                var input = spec.Inputs[nodes[n].Layer];
                problems.Add(new ShapeProblem("MG0405", ProblemTarget.Input, nodes[n].Layer, "",
                    new[] { input.Name, I(input.Shape.Aggregate(1, (a, b) => a * b)) }.ToEquatableArray()));
            }

        var outputs = spec.Graph.AllOutputs;
        if (spec.Loss == LossKind.Contrastive && spec.Heads.Count == 0)
        {
            string? problem = null;
            if (outputs.Length != 2)
                problem = $"[Forward] returns {(outputs.Length == 1 ? "one tensor" : I(outputs.Length) + " tensors")}; return the pair, e.g. '(Tower(left), Tower(right))'";
            else if (shapes[outputs[0]].Length > 0 && shapes[outputs[1]].Length > 0 && Dim.Unify(shapes[outputs[0]], shapes[outputs[1]]) is null)
                problem = $"{Describe(spec, outputs[0], shapes)} is {SampleText(shapes[outputs[0]])} and {Describe(spec, outputs[1], shapes)} is {SampleText(shapes[outputs[1]])}";
            if (problem is not null)
                problems.Add(new ShapeProblem("MG0408", ProblemTarget.Output, -1, "", new[] { problem }.ToEquatableArray()));
            else if (outputs.Any(o => Dim.HasSequence(shapes[o])))
                problems.Add(new ShapeProblem("MG0209", ProblemTarget.ModelLoss, -1, "", new[] { "Loss.Contrastive", SampleText(shapes[outputs.First(o => Dim.HasSequence(shapes[o]))]),
                    "compare one vector per sample: end each tower in an LSTM or GRU (its last state)" }.ToEquatableArray()));
            return;
        }

        for (int h = 0; h < spec.Heads.Count && h < outputs.Length; h++)
        {
            var head = spec.Heads[h];
            if (shapes[outputs[h]] is not { Length: > 0 } output) continue;
            if (output.Length != 2)
                problems.Add(new ShapeProblem("MG0009", ProblemTarget.Head, h, "", new[] { head.Loss.ToString(), SampleText(output), spec.TypeName, $"head '{head.Name}': the losses take a flat [outputs] shape per sample" }.ToEquatableArray()));
            else if (head.Loss == LossKind.SoftmaxCrossEntropy && output[1].IsKnown && output[1].Value == 1)
                problems.Add(new ShapeProblem("MG0009", ProblemTarget.Head, h, "", new[] { head.Loss.ToString(), SampleText(output), spec.TypeName,
                    $"head '{head.Name}': softmax over a single output is always 1, so the loss is always 0; use Loss.BinaryCrossEntropy for a binary label" }.ToEquatableArray()));
        }
    }
}
