using ModelGen.FrontEnd;

namespace ModelGen.Generators.Emit;

// The upsampling layers, ConvTranspose2d (kernels/conv_transpose.cuh) and Upsample (kernels/upsample.cuh), forward and backward.
internal sealed partial class CudaEmitter
{
    private static string ConvTransposeText(ConvTransposeLayer layer) =>
        $"ConvTranspose2d({Literals.Int(layer.Filters)}@{Literals.Int(layer.Window.Kernel)}×{Literals.Int(layer.Window.Kernel)}{ActText(layer.Activation)})";

    private static string UpsampleText(UpsampleLayer layer) =>
        $"Upsample({Literals.Int(layer.ScaleHeight)}×{Literals.Int(layer.ScaleWidth)}, {layer.Mode}{(layer.AlignCorners ? ", corners aligned" : "")})";

    private void AddConvTransposeForward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var layer = (ConvTransposeLayer)_spec.Layers[node.Layer];
        var input = _plan.Nodes[node.A].Shape;
        var s = layer.Window;
        string b = layer.Bias ? $"parameters(offset::{Ascii(layer.Name)}Bias)" : "nullptr";
        string pre = _values.HasPre(n) ? Own(n, "Pre") : "nullptr";
        _shapes.Add($"using {ShapeType(n)} = mg::ConvTransposeShape<{I(input[0])}, {I(input[1])}, {I(input[2])}, {I(layer.Filters)}, {I(s.Kernel)}, {I(s.Stride)}, {I(s.Padding)}, {I(layer.OutputPadding)}, {I(s.Dilation)}, {I(s.Groups)}>;   // {Label(n)}: {Shape(node.A)} → {Shape(n)}");
        AddBoth(new Kernel(KernelName(n, "forward"), $"{Label(n)} = {ConvTransposeText(layer)}({From(n)}",
            new[] { $"mg::conv_transpose2d_forward<{ShapeType(n)}, {Act(layer.Activation)}>({Value(node.A)}, parameters(offset::{Ascii(layer.Name)}Weights), {b}, {pre}, {Value(n)}, batch, {Slope(layer.Activation, layer.NegativeSlope)});" },
            Size(n), 0, Elements));
    }

    private void AddConvTransposeBackward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var layer = (ConvTransposeLayer)_spec.Layers[node.Layer];
        var lp = _plan.Layers[node.Layer];
        string dy = Grad(n), name = Ascii(layer.Name);
        AddActivationBackward(n, layer.Activation, layer.NegativeSlope);
        string db = layer.Bias ? $"gradients(offset::{name}Bias)" : "nullptr";
        Add(Backward, new Kernel(KernelName(n, "backward_parameters"), $"{Label(n)}: {ConvTransposeText(layer)} weight{(layer.Bias ? " and bias" : "")} gradients",
            new[] { $"mg::conv_transpose2d_backward_parameters<{ShapeType(n)}>({Value(node.A)}, {dy}, gradients(offset::{name}Weights), {db}, batch);" },
            0, lp.ParameterCount, Elements));
        if (GradOf(node.A) is { } dx)
            Add(Backward, new Kernel(KernelName(n, "backward_data"), $"{Label(n)}: back through {ConvTransposeText(layer)} to {Label(node.A)}",
                new[] { $"mg::conv_transpose2d_backward_data<{ShapeType(n)}>(parameters(offset::{name}Weights), {dy}, {dx}, batch);" }, Size(node.A), 0, Elements));
    }

    private void AddUpsampleForward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var layer = (UpsampleLayer)_spec.Layers[node.Layer];
        var input = _plan.Nodes[node.A].Shape;
        _shapes.Add($"using {ShapeType(n)} = mg::UpsampleShape<{I(input[0])}, {I(input[1])}, {I(input[2])}, {I(layer.ScaleHeight)}, {I(layer.ScaleWidth)}, {(layer.AlignCorners ? "true" : "false")}>;   // {Label(n)}: {Shape(node.A)} → {Shape(n)}");
        AddBoth(new Kernel(KernelName(n, "forward"), $"{Label(n)} = {UpsampleText(layer)}({From(n)}",
            new[] { $"mg::upsample_{Mode(layer)}_forward<{ShapeType(n)}>({Value(node.A)}, {Value(n)}, batch);" }, Size(n), 0, Elements));
    }

    private void AddUpsampleBackward(int n)
    {
        var node = _spec.Graph.Nodes[n];
        var layer = (UpsampleLayer)_spec.Layers[node.Layer];
        if (GradOf(node.A) is not { } dx) return;
        Add(Backward, new Kernel(KernelName(n, "backward"), $"{Label(n)}: back through {UpsampleText(layer)} to {Label(node.A)}",
            new[] { $"mg::upsample_{Mode(layer)}_backward<{ShapeType(n)}>({Grad(n)}, {dx}, batch);" }, Size(node.A), 0, Elements));
    }

    private static string Mode(UpsampleLayer layer) => layer.Mode == UpsampleModeKind.Bilinear ? "bilinear" : "nearest";
}
