using System.Collections.Generic;
using ModelGen.FrontEnd;

namespace ModelGen.Generators.Emit;

// Arithmetic in [Forward]: a - b, and the element-wise functions of one value (scalar constants as Affine, Tensor.Exp, …),
// each one kernel call forward and one backward (ModelGen.Cpu.ElementwiseMathKernels).
internal static partial class CpuEmitter
{
    /// <summary>"0.5·logVar + 1", "Exp(scale1)", "Clamp(h, -1, 1)": what a Map node computes, in labels.</summary>
    internal static string MapText(GraphNode node, string a)
    {
        string F(double v) => ((float)v).ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        switch (node.Function)
        {
            case ElementFunction.Affine:
            {
                string scaled = node.First == 1 ? a : node.First == -1 ? "−" + a : $"{F(node.First)}·{a}";
                return node.Second == 0 ? scaled : node.Second > 0 ? $"{scaled} + {F(node.Second)}" : $"{scaled} − {F(-node.Second)}";
            }
            case ElementFunction.Clamp:
                return $"Clamp({a}, {F(node.First)}, {F(node.Second)})";
            case ElementFunction.LeakyReLU:
                return $"LeakyReLU({a}, {F(node.First)})";
            default:
                return $"{node.Function}({a})";
        }
    }

    /// <summary>The constants a Map node passes after the count (none when both are zero, the kernels' defaults).</summary>
    private static string MapConstants(GraphNode node)
    {
        string T(double v) => v == 0 ? "T.Zero" : v == 1 ? "T.One" : $"T.CreateTruncating({Literals.FromFloat(v)})";
        if (node.Second != 0) return $", {T(node.First)}, {T(node.Second)}";
        return node.First != 0 ? $", {T(node.First)}" : "";
    }

    private static void WriteArithmeticForward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        if (node.Kind == NodeKind.RandomNormal)
        {
            // The training stream is the one dropout draws from: Fit seeds it, a checkpoint saves it.
            w.Line($"// {names.Label(n)} = Tensor.RandomNormal(like: {names.Label(node.A)}): {names.Shape(n)}, standard normal while training (Fit's seed), zero (the mean) otherwise");
            w.Line($"if (training) ElementwiseMathKernels.StandardNormal({names.Value(n)}, {names.Count(n)}, ref DropoutRng);");
            w.Line($"else ElementwiseKernels.Clear({names.Value(n)}, {names.Count(n)});");
            return;
        }
        if (node.Kind == NodeKind.Subtract)
        {
            w.Line($"// {names.Label(n)} = {names.Label(node.A)} − {names.Label(node.B)}: {names.Shape(n)}");
            w.Line($"ElementwiseMathKernels.Subtract({names.Value(node.A)}, {names.Value(node.B)}, {names.Value(n)}, {names.Count(n)});");
            return;
        }
        w.Line($"// {names.Label(n)} = {MapText(node, names.Label(node.A))}: {names.Shape(n)}");
        w.Line($"ElementwiseMathKernels.Forward(ElementwiseFunction.{node.Function}, {names.Value(node.A)}, {names.Value(n)}, {names.Count(n)}{MapConstants(node)});");
    }

    private static void WriteArithmeticBackward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        if (node.Kind == NodeKind.Subtract)
        {
            w.Line($"// {names.Label(n)} = {names.Label(node.A)} − {names.Label(node.B)}: the gradient flows to the first, negated to the second");
            if (names.GradOf(node.A) is { } ga) w.Line($"{InputGuard(names, node.A)}ElementwiseKernels.AddInto({names.Grad(n)}, {ga}, {names.Count(n)});");
            if (names.GradOf(node.B) is { } gb) w.Line($"{InputGuard(names, node.B)}ElementwiseMathKernels.SubtractFrom({names.Grad(n)}, {gb}, {names.Count(n)});");
            return;
        }
        if (names.GradOf(node.A) is not { } gx) return;
        w.Line($"// {names.Label(n)} = {MapText(node, names.Label(node.A))}: d{names.Label(node.A)} += d{names.Label(n)}·f′({names.Label(node.A)})");
        w.Line($"{InputGuard(names, node.A)}ElementwiseMathKernels.Backward(ElementwiseFunction.{node.Function}, {names.Value(node.A)}, {names.Value(n)}, {names.Grad(n)}, {gx}, {names.Count(n)}{MapConstants(node)});");
    }
}
