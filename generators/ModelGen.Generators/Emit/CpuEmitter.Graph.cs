using System.Collections.Generic;
using System.Linq;
using ModelGen.FrontEnd;
using static ModelGen.FrontEnd.TargetLayout;

namespace ModelGen.Generators.Emit;

// Several inputs (unpacked from the input rows), Tensor.Concat, and several outputs (packed into the output rows)
// with a loss per head or one contrastive loss over a pair.
internal static partial class CpuEmitter
{
    private static bool HasHeads(ModelSpec spec) => spec.Heads.Count > 0;

    private static bool IsContrastive(ModelSpec spec) => spec.Loss == LossKind.Contrastive && !HasHeads(spec);

    private static string Pascal(string name) => name.Length == 0 ? name : char.ToUpperInvariant(name[0]) + name.Substring(1);

    private static int Product(IEnumerable<int> dims) => dims.Aggregate(1, (a, b) => a * b);

    private static string InputText(ModelSpec spec, ShapePlan plan) => spec.Inputs.Count == 0
        ? FlatShape(spec.InputShape)
        : string.Join(", ", spec.Inputs.Select(i => $"{i.Name} {FlatShape(i.Shape)}")) + $", side by side ([{Literals.Int(plan.Nodes[0].Size)}])";

    private static string OutputText(ModelSpec spec, ShapePlan plan) => spec.Graph.Outputs.Count == 0
        ? FlatShape(plan.Nodes[spec.Graph.Output].Shape)
        : string.Join(", ", spec.Graph.Outputs.Select((o, i) => $"{spec.Graph.OutputNames[i]} {FlatShape(plan.Nodes[o].Shape)}")) + $", side by side ([{Literals.Int(OutputWidth(spec, plan))}])";

    private static string LossText(ModelSpec spec)
    {
        if (IsContrastive(spec))
            return $"Contrastive (margin {Literals.FromFloat(spec.Margin)}) on {string.Join(", ", spec.Graph.OutputNames)}";
        if (!HasHeads(spec)) return spec.Loss.ToString();
        return string.Join(" + ", spec.Heads.Select(h => (h.Weight == 1 ? "" : Literals.FromFloat(h.Weight) + "·") + $"{h.Loss}({h.Name})"));
    }

    /// <summary>Model members that describe several inputs or heads to the runtime (data checks, per-head metrics).</summary>
    private static void WriteInputsAndHeads(IndentedWriter w, ModelSpec spec, ShapePlan plan)
    {
        if (spec.Inputs.Count > 0)
        {
            w.Line($"/// <summary>The inputs, side by side in each feature row of {Literals.Int(plan.Nodes[0].Size)}: {string.Join(", ", spec.Inputs.Select(i => i.Name + " " + FlatShape(i.Shape)))}.</summary>");
            w.Line("public override global::System.Collections.Generic.IReadOnlyList<InputBlock> Inputs => DeclaredInputs;");
            w.Line();
            w.Line("private static readonly InputBlock[] DeclaredInputs =");
            w.OpenBrace();
            int offset = 0;
            foreach (var input in spec.Inputs)
            {
                int width = Product(input.Shape);
                w.Line($"new({Literals.String(input.Name)}, Offset: {Literals.Int(offset)}, Width: {Literals.Int(width)}),");
                offset += width;
            }
            w.Outdent().Line("};");
            w.Line();
        }
        if (HasHeads(spec))
        {
            var outputs = spec.Graph.AllOutputs;
            w.Line($"/// <summary>The outputs and their losses; training minimises {LossText(spec)}.</summary>");
            w.Line("public override global::System.Collections.Generic.IReadOnlyList<ModelHead> Heads => DeclaredHeads;");
            w.Line();
            w.Line("private static readonly ModelHead[] DeclaredHeads =");
            w.OpenBrace();
            int outputOffset = 0, targetOffset = 0;
            for (int h = 0; h < spec.Heads.Count; h++)
            {
                var head = spec.Heads[h];
                int size = plan.Nodes[outputs[h]].Size, targets = HeadTargetSize(head.Loss, size);
                w.Line($"new({Literals.String(head.Name)}, Loss.{head.Loss}, Weight: {Literals.Float(head.Weight)}, OutputOffset: {Literals.Int(outputOffset)}, OutputSize: {Literals.Int(size)}, TargetOffset: {Literals.Int(targetOffset)}, TargetSize: {Literals.Int(targets)}),");
                outputOffset += size;
                targetOffset += targets;
            }
            w.Outdent().Line("};");
            w.Line();
        }
    }

    private static void WriteLossConstants(IndentedWriter w, ModelSpec spec)
    {
        var weighted = spec.Heads.Where(h => h.Weight != 1).ToList();
        if (weighted.Count == 0 && !IsContrastive(spec)) return;
        w.Line();
        foreach (var head in weighted)
            w.Line($"private static readonly T {Pascal(head.Name)}Weight = T.CreateTruncating({Literals.FromFloat(head.Weight)});");
        if (IsContrastive(spec))
            w.Line($"private static readonly T Margin = T.CreateTruncating({Literals.FromFloat(spec.Margin)});");
    }

    private static void WriteOutputFields(IndentedWriter w, ModelSpec spec, ShapePlan plan, ValueNames names)
    {
        if (spec.Graph.Outputs.Count > 0)
            w.Line($"private readonly T* _outputs;   // [batch, {Literals.Int(OutputWidth(spec, plan))}]: the outputs side by side, one row per sample");
        var outputs = spec.Graph.AllOutputs;
        for (int h = 0; h < spec.Heads.Count; h++)
            w.Line($"private readonly T* _{Local(spec.Heads[h].Name)}Targets;   // [batch, {Literals.Int(HeadTargetSize(spec.Heads[h].Loss, plan.Nodes[outputs[h]].Size))}]");
    }

    private static void WriteOutputAllocations(IndentedWriter w, ModelSpec spec, ShapePlan plan, ValueNames names)
    {
        if (spec.Graph.Outputs.Count > 0)
            w.Line($"_outputs = Allocate(maxBatch * {Literals.Int(OutputWidth(spec, plan))});");
        var outputs = spec.Graph.AllOutputs;
        for (int h = 0; h < spec.Heads.Count; h++)
            w.Line($"_{Local(spec.Heads[h].Name)}Targets = Allocate(maxBatch * {Literals.Int(HeadTargetSize(spec.Heads[h].Loss, plan.Nodes[outputs[h]].Size))});");
    }

    /// <summary>The buffer holding the packed output rows.</summary>
    private static string OutputValue(ModelSpec spec, ValueNames names) => spec.Graph.Outputs.Count > 0 ? "_outputs" : names.Value(spec.Graph.Output);

    /// <summary>An output's gradient is written by the loss, so backward must not clear it.</summary>
    private static bool IsOutputStorage(ModelSpec spec, ValueNames names, int n) =>
        spec.Graph.AllOutputs.Any(o => names.Storage(o) == n) || spec.Graph.LossTerms.Any(t => names.Storage(t.Node) == n);

    /// <summary>The loss of the outputs, ending in '<paramref name="result"/> total;' (WriteLoss adds the [Forward] loss terms).</summary>
    private static void WriteOutputLoss(IndentedWriter w, ModelSpec spec, ShapePlan plan, ValueNames names, bool gradients, string result)
    {
        var outputs = spec.Graph.AllOutputs;
        string GradientOf(int node) => gradients && names.NeedsGradient(node) ? names.Grad(node) : "null";
        if (IsContrastive(spec))
        {
            int first = outputs[0], second = outputs[1];
            w.Line($"{result} LossKernels.Contrastive({names.Value(first)}, {names.Value(second)}, targets, {GradientOf(first)}, {GradientOf(second)}, batch, {Literals.Int(plan.Nodes[first].Size)}, Margin);");
            return;
        }
        if (!HasHeads(spec))
        {
            w.Line($"{result} {LossCall(spec, plan, names.Value(spec.Graph.Output), GradientOf(spec.Graph.Output), OutputWidth(spec, plan))};");
            return;
        }
        int targetWidth = TargetWidth(spec, plan), offset = 0;
        w.Line($"// Each head's targets, from the target rows [batch, {Literals.Int(targetWidth)}]; the loss is {LossText(spec)}.");
        for (int h = 0; h < spec.Heads.Count; h++)
        {
            int size = HeadTargetSize(spec.Heads[h].Loss, plan.Nodes[outputs[h]].Size);
            w.Line($"ConcatKernels.Take(targets, {Literals.Int(targetWidth)}, offset: {Literals.Int(offset)}, _{Local(spec.Heads[h].Name)}Targets, {Literals.Int(size)}, batch);");
            offset += size;
        }
        for (int h = 0; h < spec.Heads.Count; h++)
        {
            var head = spec.Heads[h];
            int node = outputs[h];
            w.Line($"T {Local(head.Name)}Loss = {LossCall(head.Loss, head.PosWeight, head.HuberDelta, names.Value(node), $"_{Local(head.Name)}Targets", GradientOf(node), plan.Nodes[node].Size)};");
        }
        foreach (var (head, node) in spec.Heads.Zip(outputs, (h, o) => (h, o)))
            if (head.Weight != 1 && GradientOf(node) != "null")
                w.Line($"ElementwiseKernels.Scale({names.Grad(node)}, {Pascal(head.Name)}Weight, batch * {Literals.Int(plan.Nodes[node].Size)}L);   // d(weight·loss) = weight·d(loss)");
        for (int h = 0; h < spec.Heads.Count; h++)
            w.Line($"RecordHeadLoss({Literals.Int(h)}, {Local(spec.Heads[h].Name)}Loss);");
        w.Line($"{result} {string.Join(" + ", spec.Heads.Select(x => (x.Weight == 1 ? "" : Pascal(x.Name) + "Weight * ") + Local(x.Name) + "Loss"))};");
    }

    /// <summary>A concat's rows ("batch" or "batch * 4L"), width and part widths on its axis.</summary>
    private static (string Rows, int Width, EquatableArray<int> PartWidths) ConcatGeometry(ValueNames names, int n)
    {
        var concat = names.Plan.Concat(n);
        return (concat.RowsPerSample == 1 ? "batch" : $"batch * {Literals.Int(concat.RowsPerSample)}L", concat.Width, concat.PartWidths);
    }

    private static void WriteGraphNodeForward(IndentedWriter w, ValueNames names, int n)
    {
        var spec = names.Spec;
        var plan = names.Shapes;
        var node = spec.Graph.Nodes[n];
        if (node.Kind == NodeKind.NamedInput)
        {
            int offset = spec.Inputs.Take(node.Layer).Sum(i => Product(i.Shape));
            int width = plan.Nodes[n].Size;
            string columns = width == 1 ? $"column {Literals.Int(offset)}" : $"columns {Literals.Int(offset)}…{Literals.Int(offset + width - 1)}";
            w.Line($"// {names.Label(n)} = {columns} of the input rows: {names.Shape(n)}");
            w.Line($"ConcatKernels.Take(input, {Literals.Int(plan.Nodes[0].Size)}, offset: {Literals.Int(offset)}, {names.Value(n)}, {Literals.Int(width)}, batch);");
            return;
        }
        var (rows, wide, partWidths) = ConcatGeometry(names, n);
        string axis = node.Axis == -1 ? "" : $" along axis {Literals.Int(node.Axis)}";
        var partShapes = node.Parts.Select(names.Shape).ToList();
        string parts = partShapes.Count > 2 && partShapes.Distinct().Count() == 1 ? $"{Literals.Int(partShapes.Count)} × {partShapes[0]}" : string.Join(" + ", partShapes);
        w.Line($"// {names.Label(n)} = Tensor.Concat({string.Join(", ", node.Parts.Select(names.Label))}){axis}: {parts} → {names.Shape(n)}");
        int at = 0;
        for (int i = 0; i < node.Parts.Count; i++)
        {
            w.Line($"ConcatKernels.Place({names.Value(node.Parts[i])}, {Literals.Int(partWidths[i])}, {names.Value(n)}, {Literals.Int(wide)}, offset: {Literals.Int(at)}, {rows});");
            at += partWidths[i];
        }
    }

    private static void WriteConcatBackward(IndentedWriter w, ValueNames names, int n)
    {
        var spec = names.Spec;
        var plan = names.Shapes;
        var node = spec.Graph.Nodes[n];
        var (rows, wide, partWidths) = ConcatGeometry(names, n);
        w.Line($"// {names.Label(n)} = Tensor.Concat({string.Join(", ", node.Parts.Select(names.Label))}): each part gets its columns of the gradient");
        int at = 0;
        for (int i = 0; i < node.Parts.Count; i++)
        {
            int part = node.Parts[i];
            if (names.NeedsGradient(part))
                w.Line($"{InputGuard(names, part)}ConcatKernels.TakeAdd({names.Grad(n)}, {Literals.Int(wide)}, offset: {Literals.Int(at)}, {names.Grad(part)}, {Literals.Int(partWidths[i])}, {rows});");
            at += partWidths[i];
        }
    }

    /// <summary>A named input's gradient goes to its columns of the input gradient rows (the inputs' columns do not overlap).</summary>
    private static void WriteNamedInputBackward(IndentedWriter w, ValueNames names, int n)
    {
        var spec = names.Spec;
        var node = spec.Graph.Nodes[n];
        int offset = spec.Inputs.Take(node.Layer).Sum(i => Product(i.Shape));
        w.Line($"// {names.Label(n)}: its gradient goes to its columns of the input gradient");
        w.Line($"ConcatKernels.Place({names.Grad(n)}, {Literals.Int(names.Shapes.Nodes[n].Size)}, inputGrad, {Literals.Int(names.Shapes.Nodes[0].Size)}, offset: {Literals.Int(offset)}, batch);");
    }

    /// <summary>Several outputs: copied side by side into the output rows that Predict and Evaluate read.</summary>
    private static void WritePackOutputs(IndentedWriter w, ModelSpec spec, ShapePlan plan, ValueNames names)
    {
        if (spec.Graph.Outputs.Count == 0) return;
        int width = OutputWidth(spec, plan), at = 0;
        w.Line();
        w.Line($"// The outputs side by side in one row per sample: {OutputText(spec, plan)}");
        foreach (int o in spec.Graph.Outputs)
        {
            w.Line($"ConcatKernels.Place({names.Value(o)}, {Literals.Int(plan.Nodes[o].Size)}, _outputs, {Literals.Int(width)}, offset: {Literals.Int(at)}, batch);");
            at += plan.Nodes[o].Size;
        }
    }
}
