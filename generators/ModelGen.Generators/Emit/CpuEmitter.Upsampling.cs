using System.Collections.Generic;
using ModelGen.FrontEnd;

namespace ModelGen.Generators.Emit;

/// <summary>The upsampling layers, ConvTranspose2d and Upsample, in every part of the model.</summary>
internal static partial class CpuEmitter
{
    private static string ConvTransposeLabel(ConvTransposeLayer layer) =>
        $"ConvTranspose2d({Literals.Int(layer.Filters)}@{Literals.Int(layer.Window.Kernel)}×{Literals.Int(layer.Window.Kernel)}{ActivationText(layer.Activation)})";

    private static string UpsampleLabel(UpsampleLayer layer) =>
        $"Upsample({Literals.Int(layer.ScaleHeight)}×{Literals.Int(layer.ScaleWidth)}, {layer.Mode}{(layer.AlignCorners ? ", corners aligned" : "")})";

    /// <summary>The Summary's type column: "ConvTranspose2d 8@3×3 /2, ReLU", "Upsample 2×2 Bilinear".</summary>
    private static string UpsamplingSummaryType(LayerSpec layer) => layer switch
    {
        ConvTransposeLayer c => $"ConvTranspose2d {Literals.Int(c.Filters)}@{Literals.Int(c.Window.Kernel)}×{Literals.Int(c.Window.Kernel)}"
            + (c.Window.Stride != 1 ? " /" + Literals.Int(c.Window.Stride) : "") + ActivationText(c.Activation),
        UpsampleLayer u => $"Upsample {Literals.Int(u.ScaleHeight)}×{Literals.Int(u.ScaleWidth)} {u.Mode}{(u.AlignCorners ? ", corners aligned" : "")}",
        _ => layer.Kind.ToString(),
    };

    /// <summary>PyTorch's default for ConvTranspose2d: weights and bias U(±1/√fan-in), fan-in (OC/groups)·k·k as PyTorch computes it from the weight's second axis.</summary>
    private static void WriteConvTransposeInitialize(IndentedWriter w, LayerSpec layer, LayerPlan lp, int index)
    {
        var conv = (ConvTransposeLayer)layer;
        var s = conv.Window;
        string rng = "rng" + layer.Name;
        var weights = lp.Slice(SliceRole.Weight)!;
        int fanIn = System.Math.Max(1, (s.Groups > 0 ? conv.Filters / s.Groups : 0) * s.Kernel * s.Kernel);
        w.Line($"// {layer.Name}: weights {FlatShape(weights.Shape)}{(conv.Bias ? $" and bias [{Literals.Int(lp.OutFeatures)}]" : "")} U(±1/√{Literals.Int(fanIn)}) as PyTorch (fan-in (OC/groups)·k·k = {Literals.Int(fanIn)})");
        w.Line($"var {rng} = new Rng(seed, stream: {Literals.Int(index)});");
        w.Line($"Initializers.Uniform(parameters.Slice({Literals.Int(lp.WeightOffset)}, {Literals.Int(weights.Count)}), bound: 1 / Math.Sqrt({Literals.Int(fanIn)}), ref {rng});");
        if (conv.Bias) w.Line($"Initializers.Uniform(parameters.Slice({Literals.Int(lp.BiasOffset)}, {Literals.Int(lp.OutFeatures)}), bound: 1 / Math.Sqrt({Literals.Int(fanIn)}), ref {rng});");
    }

    /// <summary>The eager layer methods of ConvTranspose2d and Upsample.</summary>
    private static void WriteUpsamplingMethod(IndentedWriter w, ValueNames names, int l)
    {
        var layer = names.Spec.Layers[l];
        var lp = names.Shapes.Layers[l];
        string x = Identifier(layer.ParameterName);
        if (names.Plan.FirstCall(l) < 0 || !names.Shapes.Nodes[names.Plan.FirstCall(l)].IsKnown)
        {
            w.Line($"/// <summary>{layer.Kind} layer '{layer.Name}', which the model never calls.</summary>");
            w.Line(Signature(layer));
            w.Indent().Line($"=> throw new InvalidOperationException({Literals.String($"'{layer.Name}' is not called by the model, so its input shape is unknown.")});").Outdent();
            return;
        }
        var (input, output) = FirstCallShapes(names, l);
        string I(int v) => Literals.Int(v);
        switch (layer)
        {
            case ConvTransposeLayer conv:
                var s = conv.Window;
                w.Lines($"""
                    /// <summary>
                    /// ConvTranspose2d layer '{layer.Name}' ({I(conv.Filters)} channels of {I(s.Kernel)}×{I(s.Kernel)}{ActivationText(conv.Activation)}): {SampleShape(input)} → {SampleShape(output)}.
                    /// {Literals.Grouped(lp.ParameterCount)} parameters: weights {FlatShape(lp.Slice(SliceRole.Weight)!.Shape)} at offset {Literals.Grouped(lp.WeightOffset)}{(conv.Bias ? $", bias [{I(lp.OutFeatures)}] at {Literals.Grouped(lp.BiasOffset)}" : "")}.
                    /// {RunsEagerly}
                    /// </summary>
                    {Signature(layer)}
                    """);
                w.Indent().Line($"=> EagerLayers.ConvTranspose2d({x}, Parameters, weightOffset: {I(lp.WeightOffset)}, biasOffset: {I(lp.BiasOffset)}, "
                    + $"inChannels: {I(input[0])}, inHeight: {I(input[1])}, inWidth: {I(input[2])}, outChannels: {I(conv.Filters)}, kernel: {I(s.Kernel)}, "
                    + $"stride: {I(s.Stride)}, padding: {I(s.Padding)}, outputPadding: {I(conv.OutputPadding)}, dilation: {I(s.Dilation)}, groups: {I(s.Groups)}, "
                    + $"Activation.{conv.Activation}, {Literals.Float(conv.NegativeSlope)}, {Literals.String(layer.Name)});").Outdent();
                break;
            case UpsampleLayer up:
                w.Line($"/// <summary>Upsample layer '{layer.Name}' ({UpsampleLabel(up)}): {SampleShape(input)} → {SampleShape(output)}. {RunsEagerly}</summary>");
                w.Line(Signature(layer));
                w.Indent().Line($"=> EagerLayers.Upsample({x}, channels: {I(input[0])}, inHeight: {I(input[1])}, inWidth: {I(input[2])}, "
                    + $"scaleHeight: {I(up.ScaleHeight)}, scaleWidth: {I(up.ScaleWidth)}, UpsampleMode.{up.Mode}, alignCorners: {(up.AlignCorners ? "true" : "false")}, {Literals.String(layer.Name)});").Outdent();
                break;
        }
    }

    /// <summary>The ConvTranspose2dShape arguments, named (square kernel, equal padding on both axes).</summary>
    private static string ConvTransposeGeometry(ConvTransposeLayer layer, EquatableArray<int> input, string batch, string separator)
    {
        var s = layer.Window;
        string I(int v) => Literals.Int(v);
        return $"{batch},{separator}inChannels: {I(input[0])}, inHeight: {I(input[1])}, inWidth: {I(input[2])}, outChannels: {I(layer.Filters)},{separator}"
             + $"kernelHeight: {I(s.Kernel)}, kernelWidth: {I(s.Kernel)}, strideHeight: {I(s.Stride)}, strideWidth: {I(s.Stride)},{separator}"
             + $"padHeight: {I(s.Padding)}, padWidth: {I(s.Padding)}, outputPaddingHeight: {I(layer.OutputPadding)}, outputPaddingWidth: {I(layer.OutputPadding)},{separator}"
             + $"dilationHeight: {I(s.Dilation)}, dilationWidth: {I(s.Dilation)}, groups: {I(s.Groups)}";
    }

    private static void WriteUpsamplingShapeFunctions(IndentedWriter w, ValueNames names)
    {
        var nodes = names.Plan.Nodes;
        WriteShapeFunctions(w, "// Transposed convolution geometry of each call site.", "ConvTranspose2dShape",
            names.Plan.CallSites(l => l.Kind == LayerKind.ConvTranspose2d),
            n => ConvTransposeGeometry((ConvTransposeLayer)names.Plan.LayerAt(n)!, names.Shapes.Nodes[nodes[n].A].Shape, "batch", "\n"), names);
    }

    /// <summary>The scratch a convolution call site needs, as an expression of MaxBatch: they share one workspace.</summary>
    private static string ConvolutionWorkspace(ValueNames names, int n) => names.Plan.LayerAt(n)!.Kind == LayerKind.ConvTranspose2d
        ? $"ConvTransposeKernels.WorkspaceSize({ShapeName(names, n)}(maxBatch))"
        : $"ConvKernels.WorkspaceSize({ShapeName(names, n)}(maxBatch))";

    private static void WriteConvTransposeForward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = (ConvTransposeLayer)names.Spec.Layers[node.Layer];
        string y = names.Value(n), pre = names.HasPre(n) ? names.Pre(n) : y;
        w.Line($"// {names.Label(n)} = {ConvTransposeLabel(layer)}({names.Label(node.A)}): {names.Shape(node.A)} → {names.Shape(n)}");
        w.Line($"ConvTransposeKernels.Forward({ShapeName(names, n)}(batch), {names.Value(node.A)}, p + {layer.Name}Weights, {(layer.Bias ? $"p + {layer.Name}Bias" : "null")}, {pre}, _convWorkspace);");
        if (layer.Activation != ActivationKind.None)
            w.Line($"ActivationKernels.Forward(Activation.{layer.Activation}, {pre}, {y}, {names.Count(n)}, {Slope(layer.Name, layer.Activation)});");
    }

    private static void WriteConvTransposeBackward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = (ConvTransposeLayer)names.Spec.Layers[node.Layer];
        string dy = names.Grad(n);
        w.Line($"// {names.Label(n)}: back through {ConvTransposeLabel(layer)} to {names.Label(node.A)}");
        if (layer.Activation != ActivationKind.None)
            w.Line($"ActivationKernels.Backward(Activation.{layer.Activation}, {names.Pre(n)}, {names.Value(n)}, {dy}, {dy}, {names.Count(n)}, {Slope(layer.Name, layer.Activation)});");
        w.Line($"ConvTransposeKernels.Backward({ShapeName(names, n)}(batch), {names.Value(node.A)}, p + {layer.Name}Weights, {dy}, {InputGradient(names, n)}, {ParameterGradient(names, n, $"g + {layer.Name}Weights")}, {BiasGradient(names, n, layer.Bias, $"g + {layer.Name}Bias")}, _convWorkspace);");
    }

    /// <summary>The UpsampleKernels arguments after the tensors: planes (batch × channels), input sizes and factors.</summary>
    private static string UpsampleArguments(ValueNames names, int n, UpsampleLayer layer)
    {
        var input = names.Shapes.Nodes[names.Plan.Nodes[n].A].Shape;
        string I(int v) => Literals.Int(v);
        return $"planes: (long)batch * {I(input[0])}, inHeight: {I(input[1])}, inWidth: {I(input[2])}, scaleHeight: {I(layer.ScaleHeight)}, scaleWidth: {I(layer.ScaleWidth)}"
             + (layer.Mode == UpsampleModeKind.Bilinear ? $", alignCorners: {(layer.AlignCorners ? "true" : "false")}" : "");
    }

    private static void WriteUpsampleForward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = (UpsampleLayer)names.Spec.Layers[node.Layer];
        w.Line($"// {names.Label(n)} = {UpsampleLabel(layer)}({names.Label(node.A)}): {names.Shape(node.A)} → {names.Shape(n)}");
        w.Line($"UpsampleKernels.{layer.Mode}Forward({names.Value(node.A)}, {names.Value(n)}, {UpsampleArguments(names, n, layer)});");
    }

    private static void WriteUpsampleBackward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = (UpsampleLayer)names.Spec.Layers[node.Layer];
        w.Line($"// {names.Label(n)}: back through {UpsampleLabel(layer)} to {names.Label(node.A)}");
        w.Line($"UpsampleKernels.{layer.Mode}Backward({names.Grad(n)}, {InputGradient(names, n)}, {UpsampleArguments(names, n, layer)});");
    }

    /// <summary>The inference options of ConvTranspose2d and Upsample (defaults left out).</summary>
    private static List<string> UpsamplingInferenceOptions(LayerSpec layer)
    {
        var options = new List<string>();
        switch (layer)
        {
            case ConvTransposeLayer conv:
                options.AddRange(ActivationOptions(conv.Activation, conv.NegativeSlope));
                options.AddRange(WindowOptions(conv.Window, pool: false));
                if (conv.OutputPadding != 0) options.Add($"OutputPadding = {Literals.Int(conv.OutputPadding)}");
                break;
            case UpsampleLayer up:
                options.Add($"ScaleHeight = {Literals.Int(up.ScaleHeight)}");
                options.Add($"ScaleWidth = {Literals.Int(up.ScaleWidth)}");
                if (up.Mode != UpsampleModeKind.Nearest) options.Add($"Mode = UpsampleMode.{up.Mode}");
                if (up.AlignCorners) options.Add("AlignCorners = true");
                break;
        }
        return options;
    }

    /// <summary>" filters=8 kernel=3 … outputPadding=1 …" and " scale=2x2 mode=Bilinear corners=false": the fingerprint's options.</summary>
    private static string UpsamplingOptions(LayerSpec layer) => layer switch
    {
        ConvTransposeLayer c => $" filters={Literals.Int(c.Filters)}{Window(c.Window)} outputPadding={Literals.Int(c.OutputPadding)} activation={c.Activation} slope={R(c.NegativeSlope)} bias={B(c.Bias)}",
        UpsampleLayer u => $" scale={Literals.Int(u.ScaleHeight)}x{Literals.Int(u.ScaleWidth)} mode={u.Mode} corners={B(u.AlignCorners)}",
        _ => "",
    };
}
