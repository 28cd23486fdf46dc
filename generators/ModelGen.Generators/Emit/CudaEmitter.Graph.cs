using System.Collections.Generic;
using System.Linq;
using ModelGen.FrontEnd;
using static ModelGen.FrontEnd.TargetLayout;

namespace ModelGen.Generators.Emit;

// Several inputs (unpacked from the input rows), Tensor.Concat, and several outputs (packed into the output rows) with a
// loss per head or one contrastive loss over a pair (kernels/loss.cuh).
internal sealed partial class CudaEmitter
{
    /// <summary>Every named input in its own buffer, copied out of the packed input rows by one kernel (at the first of them).</summary>
    private void AddUnpackInputs(int n)
    {
        var nodes = _spec.Graph.Nodes;
        var named = Enumerable.Range(1, nodes.Count - 1).Where(i => nodes[i].Kind == NodeKind.NamedInput && _plan.Nodes[i].Live).ToList();
        if (named[0] != n) return;
        int wide = Size(0);
        var body = new List<string>();
        var parts = new List<string>();
        foreach (int i in named)
        {
            int offset = _spec.Inputs.Take(nodes[i].Layer).Sum(input => input.Shape.Aggregate(1, (x, y) => x * y));
            body.Add($"mg::take<{I(Size(i))}, {I(wide)}, {I(offset)}>(buffer(slot::input), {Value(i)}, batch);");
            parts.Add(Size(i) == 1 ? $"{Label(i)} = column {I(offset)}" : $"{Label(i)} = columns {I(offset)}…{I(offset + Size(i) - 1)}");
        }
        AddBoth(new Kernel("inputs_forward", $"The named inputs, out of the input rows [batch, {I(wide)}]: {string.Join(", ", parts)}", body.ToArray(), wide, 0, Elements));
    }

    /// <summary>Tensor.Concat: each part's rows placed in its columns of the joined value.</summary>
    private void AddConcatForward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        string y = Value(n);
        var (rows, wide, partWidths) = _values.Concat(n);
        var body = new List<string>();
        int at = 0;
        for (int i = 0; i < node.Parts.Count; i++)
        {
            body.Add($"mg::place<{I(partWidths[i])}, {I(wide)}, {I(at)}>({Value(node.Parts[i])}, {y}, {Rows(rows)});");
            at += partWidths[i];
        }
        string axis = node.Axis == -1 ? "" : $" along axis {I(node.Axis)}";
        AddBoth(new Kernel(KernelName(n, "forward"), $"{Label(n)} = Tensor.Concat({string.Join(", ", node.Parts.Select(_values.Label))}){axis}: {Shape(n)}, each part in its columns",
            body.ToArray(), Size(n), 0, Elements));
    }

    /// <summary>Tensor.Concat: each part gets its columns of the gradient.</summary>
    private void AddConcatBackward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        string dy = Grad(n);
        var (rows, wide, partWidths) = _values.Concat(n);
        var body = new List<string>();
        int at = 0;
        for (int i = 0; i < node.Parts.Count; i++)
        {
            if (GradOf(node.Parts[i]) is { } dpart) body.Add($"mg::take_add<{I(partWidths[i])}, {I(wide)}, {I(at)}>({dy}, {dpart}, {Rows(rows)});");
            at += partWidths[i];
        }
        if (body.Count > 0)
            Add(Backward, new Kernel(KernelName(n, "backward"), $"{Label(n)} = Tensor.Concat({string.Join(", ", node.Parts.Select(_values.Label))}): each part gets its columns of the gradient",
                body.ToArray(), Size(n), 0, Elements));
    }

    /// <summary>The slot of the packed output rows Forward returns when the model has several outputs.</summary>
    private const string PackedOutputs = "OutputRows";

    private static string HeadTargets(HeadSpec head) => Pascal(head.Name) + "Targets";

    /// <summary>Several outputs: the output rows they are packed into; heads: each head's targets, taken out of the target rows.</summary>
    private void AddOutputAndHeadBuffers()
    {
        if (_spec.Graph.Outputs.Count == 0) return;
        AddBuffer(PackedOutputs, OutputWidth(_spec, _plan), 0);
        var outputs = _spec.Graph.AllOutputs;
        for (int h = 0; h < _spec.Heads.Count; h++)
            AddBuffer(HeadTargets(_spec.Heads[h]), HeadTargetSize(_spec.Heads[h].Loss, Size(outputs[h])), 0);
    }

    /// <summary>The outputs side by side in one row per sample, as the CPU's Predict returns them (inference only: training reads each output where it is).</summary>
    private void AddPackOutputs()
    {
        int wide = OutputWidth(_spec, _plan), at = 0;
        var body = new List<string>();
        var parts = new List<string>();
        for (int i = 0; i < _spec.Graph.Outputs.Count; i++)
        {
            int o = _spec.Graph.Outputs[i];
            body.Add($"mg::place<{I(Size(o))}, {I(wide)}, {I(at)}>({Value(o)}, buffer(slot::{PackedOutputs}), batch);");
            parts.Add($"{OutputName(i)} = {(Size(o) == 1 ? $"column {I(at)}" : $"columns {I(at)}…{I(at + Size(o) - 1)}")}");
            at += Size(o);
        }
        Add(Inference, new Kernel("outputs_forward", $"The outputs, side by side in the output rows [batch, {I(wide)}]: {string.Join(", ", parts)}", body.ToArray(), wide, 0, Elements));
    }

    /// <summary>
    /// One loss kernel per head (its rows in the head's block of loss_rows, its output gradient scaled by the head's
    /// weight), then the weighted total: Σ weight · mean loss, the heads added in order by one block.
    /// </summary>
    private void AddHeadLosses()
    {
        var outputs = _spec.Graph.AllOutputs;
        int targetWidth = TargetSize, offset = 0;
        var take = new List<string>();
        var parts = new List<string>();
        for (int h = 0; h < _spec.Heads.Count; h++)
        {
            var head = _spec.Heads[h];
            int size = HeadTargetSize(head.Loss, Size(outputs[h]));
            take.Add($"mg::take<{I(size)}, {I(targetWidth)}, {I(offset)}>(buffer(slot::targets), buffer(slot::{HeadTargets(head)}), batch);");
            parts.Add(size == 1 ? $"{head.Name} = column {I(offset)}" : $"{head.Name} = columns {I(offset)}…{I(offset + size - 1)}");
            offset += size;
        }
        Add(Loss, new Kernel("modelgen_head_targets", $"Each head's targets, out of the target rows [batch, {I(targetWidth)}]: {string.Join(", ", parts)}", take.ToArray(), targetWidth, 0, Elements));

        var total = new List<string>();
        for (int h = 0; h < _spec.Heads.Count; h++)
        {
            var head = _spec.Heads[h];
            int output = outputs[h], width = Size(output);
            string o = Value(output), targets = $"buffer(slot::{HeadTargets(head)})", weight = Float(head.Weight);
            string weightArgument = head.Weight == 1 ? "" : ", " + weight;   // the templates' default is 1
            string g = _plan.Nodes[output].RequiresGradient ? $"training ? {Grad(output)} : nullptr" : "nullptr";
            string rows = h == 0 ? "buffer(slot::loss_rows)" : h == 1 ? "buffer(slot::loss_rows) + batch" : $"buffer(slot::loss_rows) + {I(h)} * batch";
            bool softmax = head.Loss == LossKind.SoftmaxCrossEntropy;
            string call = softmax
                ? $"mg::softmax_cross_entropy<{I(width)}>({o}, {targets}, {g}, {rows}, batch{weightArgument});"
                : $"mg::elementwise_loss<mg::Elementwise::{ElementwiseKind(head.Loss)}, {I(width)}>({o}, {targets}, {g}, {rows}, batch, {ElementwiseParameter(head.Loss, head.HuberDelta, head.PosWeight)}{weightArgument});";
            string weighted = head.Weight == 1 ? "" : Literals.FromFloat(head.Weight) + "·";
            Add(Loss, new Kernel($"{Snake(head.Name)}_head_loss", $"Head '{head.Name}': {head.Loss} per sample row and, in training, its gradient d({weighted}mean loss)/d({Label(output)})",
                new[] { call }, 1, 0, softmax ? WarpRows : Elements));
            // Elementwise rows are already divided by batch · width; softmax rows are summed over the batch.
            string scale = softmax ? (head.Weight == 1 ? "1.0f / (float)batch" : $"{weight} / (float)batch") : weight;
            total.Add($"mg::mean_loss({rows}, buffer(slot::loss), batch, {scale}{(h == 0 ? "" : ", true")});");
        }
        string text = string.Join(" + ", _spec.Heads.Select(x => (x.Weight == 1 ? "" : Literals.FromFloat(x.Weight) + "·") + x.Name));
        Add(Loss, new Kernel("modelgen_loss_mean", $"The loss {text}: each head's mean over the batch, weighted and added in order by one block",
            total.ToArray(), 0, 1, Blocks));
    }

    /// <summary>The contrastive loss over the pair of outputs (one similarity label per sample), and both embeddings' gradients.</summary>
    private void AddContrastiveLoss()
    {
        int first = _spec.Graph.Outputs[0], second = _spec.Graph.Outputs[1];
        string GradientOf(int n) => _plan.Nodes[n].RequiresGradient ? $"training ? {Grad(n)} : nullptr" : "nullptr";
        Add(Loss, new Kernel("modelgen_loss", $"Contrastive loss (margin {Literals.FromFloat(_spec.Margin)}) per pair of {OutputName(0)} and {OutputName(1)} and, in training, the gradients of both",
            new[]
            {
                $"mg::contrastive_loss<{I(Size(first))}>({Value(first)}, {Value(second)}, buffer(slot::targets),",
                $"    {GradientOf(first)}, {GradientOf(second)}, buffer(slot::loss_rows), batch, {Float(_spec.Margin)});",
            }, 1, 0, Elements));
        Add(Loss, new Kernel("modelgen_loss_mean", "The mean loss over the batch, summed in order by one block",
            new[] { "mg::mean_loss(buffer(slot::loss_rows), buffer(slot::loss), batch, 1.0f / (float)batch);" }, 0, 1, Blocks));
    }

    /// <summary>The i-th output's name in the returned tuple, with the value's own label where that differs ("query (embed)").</summary>
    private string OutputName(int i)
    {
        string name = _spec.Graph.OutputNames[i], label = Label(_spec.Graph.Outputs[i]);
        return name == label ? name : $"{name} ({label})";
    }

    private static string ElementwiseKind(LossKind loss) => loss switch
    {
        LossKind.MeanSquaredError => "MeanSquaredError",
        LossKind.MeanAbsoluteError => "MeanAbsoluteError",
        LossKind.Huber => "Huber",
        _ => "BinaryCrossEntropy",
    };

    private static string ElementwiseParameter(LossKind loss, double huberDelta, double posWeight) => loss switch
    {
        LossKind.Huber => Float(huberDelta),
        LossKind.BinaryCrossEntropy => Float(posWeight),
        _ => "0.0f",
    };
}
