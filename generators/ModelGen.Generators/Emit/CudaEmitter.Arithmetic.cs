using System.Collections.Generic;
using ModelGen.FrontEnd;

namespace ModelGen.Generators.Emit;

// Arithmetic in [Forward]: a - b and the element-wise functions of one value (kernels/arithmetic.cuh), one kernel each way.
internal sealed partial class CudaEmitter
{
    private void AddArithmeticForward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        string count = $"batch * {I(Size(n))}LL";
        if (node.Kind == NodeKind.Subtract)
        {
            AddBoth(new Kernel(KernelName(n, "forward"), $"{Label(n)} = {Label(node.A)} − {Label(node.B)}: {Shape(n)}",
                new[] { $"mg::subtract({Value(node.A)}, {Value(node.B)}, {Value(n)}, {count});" }, Size(n), 0, Elements));
            return;
        }
        AddBoth(new Kernel(KernelName(n, "forward"), $"{Label(n)} = {CpuEmitter.MapText(node, Label(node.A))}: {Shape(n)}",
            new[] { $"mg::map_forward<mg::Fn::{node.Function}>({Value(node.A)}, {Value(n)}, {count}, {Float(node.First)}, {Float(node.Second)});" }, Size(n), 0, Elements));
    }

    private void AddArithmeticBackward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        string dy = Grad(n), count = $"batch * {I(Size(n))}LL";
        var body = new List<string>();
        string comment;
        if (node.Kind == NodeKind.Subtract)
        {
            if (GradOf(node.A) is { } ga) body.Add($"mg::add_into({dy}, {ga}, {count});");
            if (GradOf(node.B) is { } gb) body.Add($"mg::subtract_from({dy}, {gb}, {count});");
            // Both sides may be one value (x - x): the two statements run one after the other in one thread, never racing.
            comment = $"{Label(n)} = {Label(node.A)} − {Label(node.B)}: the gradient flows to the first, negated to the second";
        }
        else
        {
            if (GradOf(node.A) is { } gx)
                body.Add($"mg::map_backward<mg::Fn::{node.Function}>({Value(node.A)}, {Value(n)}, {dy}, {gx}, {count}, {Float(node.First)}, {Float(node.Second)});");
            comment = $"{Label(n)} = {CpuEmitter.MapText(node, Label(node.A))}: d{Label(node.A)} += d{Label(n)}·f′({Label(node.A)})";
        }
        if (body.Count > 0) Add(Backward, new Kernel(KernelName(n, "backward"), comment, body.ToArray(), Size(n), 0, Elements));
    }

    /// <summary>Tensor.Sum and Tensor.Mean: one thread per sample adds its elements in order.</summary>
    private void AddReductionForward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        int size = Size(node.A);
        AddBoth(new Kernel(KernelName(n, "forward"), $"{Label(n)} = Tensor.{node.Kind}({Label(node.A)}): {Shape(node.A)} → {Shape(n)}",
            new[] { $"mg::sum_per_sample<{I(size)}>({Value(node.A)}, {Value(n)}, batch, {ReductionScale(node, size)});" }, 1, 0, Elements));
    }

    private void AddReductionBackward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        if (GradOf(node.A) is not { } gx) return;
        int size = Size(node.A);
        Add(Backward, new Kernel(KernelName(n, "backward"), $"{Label(n)} = Tensor.{node.Kind}({Label(node.A)}): every element of a sample gets its value's gradient",
            new[] { $"mg::sum_per_sample_backward<{I(size)}>({Grad(n)}, {gx}, batch, {ReductionScale(node, size)});" }, size, 0, Elements));
    }

    private static string ReductionScale(GraphNode node, int size) => node.Kind == NodeKind.Mean ? $"1.0f / {I(size)}.0f" : "1.0f";
}
