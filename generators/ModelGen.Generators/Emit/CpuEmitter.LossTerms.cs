using System.Collections.Generic;
using System.Linq;
using ModelGen.FrontEnd;

namespace ModelGen.Generators.Emit;

// Extra loss terms (AddLoss in [Forward]): the loss is the outputs' loss + Σ weight · batch mean of each term, each term's
// batch mean is recorded for the training history, and each term's gradient is weight / batch per sample. Also the
// per-sample reductions Tensor.Sum and Tensor.Mean that make such terms.
internal static partial class CpuEmitter
{
    /// <summary>The loss statements, ending in '<paramref name="result"/> total;'.</summary>
    private static void WriteLoss(IndentedWriter w, ModelSpec spec, ShapePlan plan, ValueNames names, bool gradients, string result)
    {
        var terms = spec.Graph.LossTerms;
        if (terms.Count == 0)
        {
            WriteOutputLoss(w, spec, plan, names, gradients, result);
            return;
        }
        WriteOutputLoss(w, spec, plan, names, gradients, "T outputLoss =");
        w.Line($"// The loss terms of [Forward]: {LossTermsText(spec)}, each the mean over the batch of one value per sample");
        var seeded = new HashSet<int>(spec.Graph.AllOutputs.Select(names.Storage));
        for (int t = 0; t < terms.Count; t++)
        {
            var term = terms[t];
            string local = LossTermLocal(term);
            w.Line($"T {local} = ElementwiseMathKernels.BatchMean({names.Value(term.Node)}, batch);");
            w.Line($"RecordLossTerm({Literals.Int(t)}, {local});");
            if (!gradients || !plan.Nodes[term.Node].RequiresGradient) continue;
            // d(weight · mean)/d(value of one sample) = weight / batch; set by the first writer of the buffer, added by the others.
            string weight = term.Weight == 1 ? "T.One" : $"{LossTermWeight(term)}";
            string kernel = seeded.Add(names.Storage(term.Node)) ? "Fill" : "AddConstant";
            w.Line($"ElementwiseMathKernels.{kernel}({names.Grad(term.Node)}, {weight} / T.CreateTruncating(batch), batch);");
        }
        w.Line($"{result} outputLoss + {string.Join(" + ", terms.Select(t => (t.Weight == 1 ? "" : LossTermWeight(t) + " * ") + LossTermLocal(t)))};");
    }

    private static string LossTermLocal(LossTermSpec term) => Local(Identifierish(term.Name)) + "Term";

    private static string LossTermWeight(LossTermSpec term) => Pascal(Identifierish(term.Name)) + "TermWeight";

    /// <summary>A term's name as part of an identifier ("kl-div" → "klDiv").</summary>
    private static string Identifierish(string name)
    {
        var parts = name.Split('-', '_').Where(p => p.Length > 0).ToList();
        string joined = string.Concat(parts.Select((p, i) => i == 0 ? p : Pascal(p)));
        return joined.Length > 0 && char.IsDigit(joined[0]) ? "t" + joined : joined;
    }

    /// <summary>"kl (weight 0.5), l1": the terms as the loss line of the Summary and the comments state them.</summary>
    private static string LossTermsText(ModelSpec spec) =>
        string.Join(" + ", spec.Graph.LossTerms.Select(t => (t.Weight == 1 ? "" : Literals.FromFloat(t.Weight) + "·") + t.Name));

    private static void WriteLossTermConstants(IndentedWriter w, ModelSpec spec)
    {
        foreach (var term in spec.Graph.LossTerms.Where(t => t.Weight != 1))
            w.Line($"private static readonly T {LossTermWeight(term)} = T.CreateTruncating({Literals.FromFloat(term.Weight)});");
    }

    /// <summary>The model's member naming its loss terms, in the order of RecordLossTerm.</summary>
    private static void WriteLossTermNames(IndentedWriter w, ModelSpec spec)
    {
        if (spec.Graph.LossTerms.Count == 0) return;
        w.Line($"/// <summary>The terms [Forward] adds to the loss: {LossTermsText(spec)}.</summary>");
        w.Line($"public override global::System.Collections.Generic.IReadOnlyList<string> LossTerms {{ get; }} = new[] {{ {string.Join(", ", spec.Graph.LossTerms.Select(t => Literals.String(t.Name)))} }};");
        w.Line();
    }

    private static void WriteReductionForward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        int size = names.Shapes.Nodes[node.A].Size;
        w.Line($"// {names.Label(n)} = Tensor.{node.Kind}({names.Label(node.A)}): {names.Shape(node.A)} → {names.Shape(n)}, one value per sample");
        w.Line($"ElementwiseMathKernels.SumPerSample({names.Value(node.A)}, {names.Value(n)}, batch, {Literals.Int(size)}, {ReductionScale(node, size)});");
    }

    private static void WriteReductionBackward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        if (names.GradOf(node.A) is not { } gx) return;
        int size = names.Shapes.Nodes[node.A].Size;
        w.Line($"// {names.Label(n)} = Tensor.{node.Kind}({names.Label(node.A)}): every element of a sample gets its value's gradient{(node.Kind == NodeKind.Mean ? $" / {Literals.Int(size)}" : "")}");
        w.Line($"{InputGuard(names, node.A)}ElementwiseMathKernels.SumPerSampleBackward({names.Grad(n)}, {gx}, batch, {Literals.Int(size)}, {ReductionScale(node, size)});");
    }

    private static string ReductionScale(GraphNode node, int size) =>
        node.Kind == NodeKind.Mean ? $"T.One / T.CreateTruncating({Literals.Int(size)})" : "T.One";
}
