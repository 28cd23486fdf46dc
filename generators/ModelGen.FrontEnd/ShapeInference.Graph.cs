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
            if (Sizes.AllPositive(shape)) continue;
            string why = shape.Count == 0
                ? $"declare the per-sample shape of '{spec.Inputs[i].Name}', e.g. [Input(\"{spec.Inputs[i].Name}\", 16)]"
                : "every dimension must be at least 1";
            problems.Add(new ShapeProblem("MG0003", ProblemTarget.Input, i, "", new[] { spec.TypeName, Text(shape), why }.ToEquatableArray()));
        }
    }

    /// <summary>The row the runtime passes: every input's values side by side, [Σ sizes].</summary>
    private static Dim[] PackedInputShape(ModelSpec spec)
    {
        int total = 0;
        foreach (var input in spec.Inputs)
        {
            if (!Sizes.AllPositive(input.Shape)) return Dim.UnknownRank;
            total += Sizes.Product(input.Shape);
        }
        return new[] { Dim.Batch, Dim.Known(total) };
    }

    private static Dim[] InferGraphNode(ModelSpec spec, int n, Dim[][] shapes, List<ShapeProblem> problems)
    {
        var node = spec.Graph.Nodes[n];
        if (node.Kind == NodeKind.NamedInput)
        {
            var input = spec.Inputs[node.Layer];
            return Sizes.AllPositive(input.Shape) ? Dim.Shape(input.Shape) : Dim.UnknownRank;
        }

        // Concat: same rank, equal sizes on every axis but the joined one, which is the sum.
        var parts = new List<Dim[]>(node.Parts.Count);
        foreach (int p in node.Parts)
        {
            if (shapes[p].Length == 0) return Dim.UnknownRank;
            parts.Add(shapes[p]);
        }
        int rank = parts[0].Length - 1;
        string Parts() => string.Join(" and ", node.Parts.Select(p => $"{Describe(spec, p, shapes)} is {SampleText(shapes[p])}"));
        void Report(string id, params string[] args) => problems.Add(new ShapeProblem(id, ProblemTarget.Node, n, "", args.ToEquatableArray()));

        int axis = node.Axis < 0 ? rank + node.Axis : node.Axis;
        if (axis < 0 || axis >= rank)
        {
            Report("MG0402", I(node.Axis), $"parts of shape {SampleText(parts[0])}", rank == 1 ? "0 (or −1)" : $"0…{I(rank - 1)} (or −{I(rank)}…−1 from the end)");
            return Dim.UnknownRank;
        }
        if (!SameRank(parts))
        {
            Report("MG0401", I(node.Axis), $"{Parts()}; the parts must have the same number of axes");
            return Dim.UnknownRank;
        }
        var result = (Dim[])parts[0].Clone();
        if (AnySequence(parts, axis + 1))
        {
            Report("MG0208", $"Tensor.Concat along axis {I(node.Axis)}", Parts(),
                "joining along the variable-length axis would put one part's padding before the next part's positions; join along the features instead");
            return Dim.UnknownRank;
        }
        for (int d = 1; d <= rank; d++)
        {
            if (d == axis + 1) continue;
            if (AnySequence(parts, d))
            {
                if (AllEqual(parts, d)) continue;
                Report("MG0208", $"Tensor.Concat along axis {I(node.Axis)}", Parts(), "every part needs the same variable length on the other axes");
                return Dim.UnknownRank;
            }
            // The known sizes must agree; unknown ones unify with them.
            Dim size = Dim.Unknown;
            foreach (var part in parts)
            {
                if (!part[d].IsKnown) continue;
                if (size.IsKnown && size.Value != part[d].Value)
                {
                    string joined = string.Join(" + ", parts.Select(p => p[axis + 1].ToString()));
                    var sum = Dim.Sum(parts, axis + 1);
                    Report("MG0401", I(node.Axis), $"{Parts()}; they must agree on every axis but {I(axis)}, yet axis {I(d - 1)} is {string.Join(" vs ", parts.Select(p => p[d].ToString()))} (axis {I(axis)} would be {joined} = {sum})");
                    return Dim.UnknownRank;
                }
                size = part[d];
            }
            result[d] = size;
        }
        result[axis + 1] = Dim.Sum(parts, axis + 1);
        return result;
    }

    private static bool SameRank(List<Dim[]> parts)
    {
        foreach (var part in parts)
            if (part.Length != parts[0].Length) return false;
        return true;
    }

    private static bool AnySequence(List<Dim[]> parts, int axis)
    {
        foreach (var part in parts)
            if (part[axis].IsSequence) return true;
        return false;
    }

    private static bool AllEqual(List<Dim[]> parts, int axis)
    {
        foreach (var part in parts)
            if (!part[axis].Equals(parts[0][axis])) return false;
        return true;
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
                    new[] { input.Name, I(Sizes.Product(input.Shape)) }.ToEquatableArray()));
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
            else if (Dim.HasSequence(shapes[outputs[0]]) || Dim.HasSequence(shapes[outputs[1]]))
                problems.Add(new ShapeProblem("MG0209", ProblemTarget.ModelLoss, -1, "", new[] { "Loss.Contrastive", SampleText(shapes[Dim.HasSequence(shapes[outputs[0]]) ? outputs[0] : outputs[1]]),
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

    /// <summary>Each AddLoss term is one value per sample (MG0038, on the term).</summary>
    private static void CheckLossTerms(ModelSpec spec, Dim[][] shapes, List<ShapeProblem> problems)
    {
        for (int t = 0; t < spec.Graph.LossTerms.Count; t++)
        {
            var term = spec.Graph.LossTerms[t];
            var shape = shapes[term.Node];
            if (shape.Length == 0 || shape.Length == 2 && shape[1].IsKnown && shape[1].Value == 1) continue;
            problems.Add(new ShapeProblem("MG0038", ProblemTarget.LossTerm, t, "",
                new[] { term.Name, term.Text.Length > 0 ? $"'{term.Text}'" : Describe(spec, term.Node, shapes), SampleText(shape) }.ToEquatableArray()));
        }
    }
}
