using System.Linq;
using ModelGen.FrontEnd;

namespace ModelGen.Generators.Emit;

/// <summary>The sequence and 1-D layers: LSTM, GRU, Conv1d, GroupNorm and Reshape, in every part of the model.</summary>
internal static partial class CpuEmitter
{
    private static string Kernels(RecurrentLayer layer) => layer.Kind == LayerKind.LSTM ? "LstmKernels" : "GruKernels";

    private static string Conv1dLabel(ConvLayer layer) =>
        $"Conv1d({Literals.Int(layer.Filters)}@{Literals.Int(layer.Window.Kernel)}{ActivationText(layer.Activation)})";

    /// <summary>The Summary's type column of an LSTM or GRU: "LSTM 2×16 bidirectional, sequences".</summary>
    private static string RecurrentSummaryType(RecurrentLayer r) =>
        $"{r.Kind} {(r.Bidirectional ? "2×" : "")}{Literals.Int(r.HiddenSize)}{(r.Bidirectional ? " bidirectional" : "")}{(r.ReturnSequences ? ", sequences" : "")}";

    /// <summary>PyTorch's default for recurrent layers: every parameter U(±1/√H).</summary>
    private static void WriteRecurrentInitialize(IndentedWriter w, LayerSpec layer, LayerPlan lp, int index)
    {
        string rng = "rng" + layer.Name;
        w.Line($"// {layer.Name}: {LayerText.RecurrentBlocks(lp)}, all U(±1/√{Literals.Int(lp.OutFeatures)}) as PyTorch");
        w.Line($"var {rng} = new Rng(seed, stream: {Literals.Int(index)});");
        w.Line($"Initializers.Uniform(parameters.Slice({Literals.Int(lp.WeightOffset)}, {Literals.Int(lp.ParameterCount)}), bound: 1 / Math.Sqrt({Literals.Int(lp.OutFeatures)}), ref {rng});");
    }

    /// <summary>PyTorch's default for Conv1d: weights and bias U(±1/√fan-in).</summary>
    private static void WriteConv1dInitialize(IndentedWriter w, LayerSpec layer, LayerPlan lp, int index)
    {
        var conv = (ConvLayer)layer;
        var s = conv.Window;
        string rng = "rng" + layer.Name;
        var weights = lp.Slice(SliceRole.Weight)!;
        // An uncalled layer has no inferred input; its bias still needs a finite bound.
        int fanIn = System.Math.Max(1, (s.Groups > 0 ? lp.InFeatures / s.Groups : 0) * s.Kernel);
        w.Line($"// {layer.Name}: weights {FlatShape(weights.Shape)}{(conv.Bias ? $" and bias [{Literals.Int(lp.OutFeatures)}]" : "")} U(±1/√{Literals.Int(fanIn)}) as PyTorch (fan-in (C/groups)·k = {Literals.Int(fanIn)})");
        w.Line($"var {rng} = new Rng(seed, stream: {Literals.Int(index)});");
        w.Line($"Initializers.Uniform(parameters.Slice({Literals.Int(lp.WeightOffset)}, {Literals.Int(weights.Count)}), bound: 1 / Math.Sqrt({Literals.Int(fanIn)}), ref {rng});");
        if (conv.Bias) w.Line($"Initializers.Uniform(parameters.Slice({Literals.Int(lp.BiasOffset)}, {Literals.Int(lp.OutFeatures)}), bound: 1 / Math.Sqrt({Literals.Int(fanIn)}), ref {rng});");
    }

    /// <summary>The eager layer method of these layers (a tensor in, a tensor out, the same kernels as the fused graph).</summary>
    private static void WriteRecurrentFamilyMethod(IndentedWriter w, ValueNames names, int l)
    {
        var layer = names.Spec.Layers[l];
        var lp = names.Shapes.Layers[l];
        string x = Identifier(layer.ParameterName);
        if (names.Plan.FirstCall(l) < 0)
        {
            // Declared but never called: there is no input shape to run it on.
            w.Line($"/// <summary>{layer.Kind} layer '{layer.Name}', which the model never calls.</summary>");
            w.Line(Signature(layer));
            w.Indent().Line($"=> throw new InvalidOperationException({Literals.String($"'{layer.Name}' is not called by the model, so its input shape is unknown.")});").Outdent();
            return;
        }
        var (input, output) = FirstCallShapes(names, l);
        string I(int v) => Literals.Int(v);
        switch (layer)
        {
            case ReshapeLayer:
                w.Line($"/// <summary>Reshape layer '{layer.Name}': {SampleShape(input)} → {SampleShape(output)}. Runs eagerly on a tensor; the fused code uses a view.</summary>");
                w.Line(Signature(layer));
                w.Indent().Line($"=> EagerLayers.Reshape({x}, new[] {{ {string.Join(", ", output.Select(I))} }}, {Literals.String(layer.Name)});").Outdent();
                break;
            case GroupNormLayer group:
                w.Line($"/// <summary>GroupNorm '{layer.Name}': {I(lp.InFeatures)} channels in {I(group.Groups)} groups, γ at offset {Literals.Grouped(lp.WeightOffset)}, β at {Literals.Grouped(lp.BiasOffset)}. {RunsEagerly}</summary>");
                w.Line(Signature(layer));
                w.Indent().Line($"=> EagerLayers.GroupNorm({x}, Parameters, gammaOffset: {I(lp.WeightOffset)}, betaOffset: {I(lp.BiasOffset)}, channels: {I(lp.InFeatures)}, groups: {I(group.Groups)}, {Literals.Float(group.Epsilon)}, {Literals.String(layer.Name)});").Outdent();
                break;
            case ConvLayer conv:
                w.Lines($"""
                    /// <summary>
                    /// Conv1d layer '{layer.Name}' ({I(conv.Filters)} filters of width {I(conv.Window.Kernel)}{ActivationText(conv.Activation)}): {SampleShape(input)} → {SampleShape(output)}.
                    /// {Literals.Grouped(lp.ParameterCount)} parameters: weights {FlatShape(lp.Slice(SliceRole.Weight)!.Shape)} at offset {Literals.Grouped(lp.WeightOffset)}{(conv.Bias ? $", bias [{I(lp.OutFeatures)}] at {Literals.Grouped(lp.BiasOffset)}" : "")}.
                    /// {RunsEagerly}
                    /// </summary>
                    {Signature(layer)}
                    """);
                w.Indent().Line($"=> EagerLayers.Conv1d({x}, Parameters, weightOffset: {I(lp.WeightOffset)}, biasOffset: {I(lp.BiasOffset)}, {Conv1dGeometry(conv, input, null)}, Activation.{conv.Activation}, {Literals.Float(conv.NegativeSlope)}, {Literals.String(layer.Name)});").Outdent();
                break;
            case RecurrentLayer r:
                w.Lines($"""
                    /// <summary>
                    /// {LayerText.Recurrent(r)} layer '{layer.Name}': {SampleShape(input)} → {SampleShape(output)}{(r.ReturnSequences ? ", every step" : ", the last state" + (r.Bidirectional ? "s (forward after the last step, backward after the first)" : ""))}.
                    /// {Literals.Grouped(lp.ParameterCount)} parameters at offset {Literals.Grouped(lp.WeightOffset)}: {LayerText.RecurrentBlocks(lp)}.
                    /// {RunsEagerly}
                    /// </summary>
                    {Signature(layer)}
                    """);
                w.Indent().Line(MaskedEagerRefusal(names, l) ?? $"=> EagerLayers.{layer.Kind}({x}, Parameters, offset: {I(lp.WeightOffset)}, {RecurrentGeometry(r, input, null)}, {Literals.String(layer.Name)});").Outdent();
                break;
        }
    }

    /// <summary>The Conv2dShape.Conv1d arguments after the batch, named; with a batch expression, it leads.</summary>
    private static string Conv1dGeometry(ConvLayer layer, EquatableArray<int> input, string? batch, string separator = " ")
    {
        var s = layer.Window;
        string I(int v) => Literals.Int(v);
        var (left, right) = s.PaddingSides;
        return (batch is null ? "" : batch + "," + separator)
             + $"inChannels: {I(input[0])}, length: {I(input[1])}, outChannels: {I(layer.Filters)}, kernel: {I(s.Kernel)},{separator}"
             + $"stride: {I(s.Stride)}, padLeft: {I(left)}, padRight: {I(right)}, dilation: {I(s.Dilation)}, groups: {I(s.Groups)}";
    }

    /// <summary>The RecurrentShape arguments after the batch, named.</summary>
    private static string RecurrentGeometry(RecurrentLayer r, EquatableArray<int> input, string? batch, string separator = " ")
    {
        return (batch is null ? "" : batch + "," + separator)
             + $"sequence: {Literals.Int(input[0])}, inputSize: {Literals.Int(input[1])}, hiddenSize: {Literals.Int(r.HiddenSize)},{separator}"
             + $"bidirectional: {(r.Bidirectional ? "true" : "false")}, returnSequence: {(r.ReturnSequences ? "true" : "false")}";
    }

    /// <summary>A recurrent layer's parameters are one block (per direction: W_ih, W_hh, b_ih, b_hh), read by its kernels.</summary>
    private static void WriteRecurrentOffsets(IndentedWriter w, LayerSpec layer, LayerPlan lp) =>
        w.Line($"private const int {layer.Name}Parameters = {Literals.Int(lp.WeightOffset)};   // {LayerText.RecurrentBlocks(lp)}");

    private static void WriteRecurrentFamilyShapeFunctions(IndentedWriter w, ValueNames names)
    {
        var nodes = names.Plan.Nodes;
        WriteShapeFunctions(w, "// 1-D convolution geometry of each call site: a height-1 Conv2dShape with the [N, C, L] layouts.", "Conv2dShape",
            names.Plan.CallSites(l => l.Kind == LayerKind.Conv1d),
            n => Conv1dGeometry((ConvLayer)names.Plan.LayerAt(n)!, names.Shapes.Nodes[nodes[n].A].Shape, "batch", "\n"), names, factory: "Conv2dShape.Conv1d");
        WriteShapeFunctions(w, "// Recurrent geometry of each call site.", "RecurrentShape",
            names.Plan.CallSites(l => l is RecurrentLayer),
            n => RecurrentGeometry((RecurrentLayer)names.Plan.LayerAt(n)!, names.Shapes.Nodes[nodes[n].A].Shape, "batch", "\n"), names);
    }

    private static void WriteRecurrentFamilyFields(IndentedWriter w, ValueNames names)
    {
        var recurrent = names.Plan.CallSites(l => l is RecurrentLayer);
        foreach (int n in recurrent)
            w.Line($"private readonly T* _{names.Label(n)}Saved;   // gates and states of every step, for back-propagation through time");
        if (recurrent.Count > 0) w.Line("private readonly T* _recurrentWorkspace;   // time-major scratch, shared by every recurrent layer");
        foreach (int n in names.Plan.CallSites(l => l.Kind == LayerKind.GroupNorm))
            w.Line($"private readonly T* _{names.Label(n)}Mean, _{names.Label(n)}InvStd;   // per sample and group, for backward");
    }

    private static void WriteRecurrentFamilyAllocations(IndentedWriter w, ValueNames names)
    {
        var recurrent = names.Plan.CallSites(l => l is RecurrentLayer);
        foreach (int n in recurrent)
            w.Line($"_{names.Label(n)}Saved = Allocate(checked((int){Kernels((RecurrentLayer)names.Plan.LayerAt(n)!)}.SavedSize({ShapeName(names, n)}(maxBatch))));");
        if (recurrent.Count > 0)
        {
            string largest = recurrent.Select(n => $"{Kernels((RecurrentLayer)names.Plan.LayerAt(n)!)}.WorkspaceSize({ShapeName(names, n)}(maxBatch))")
                .Aggregate((a, b) => $"Math.Max({a}, {b})");
            w.Line($"_recurrentWorkspace = Allocate(checked((int){largest}));");
        }
        WriteSavedAllocations(w, names, names.Plan.CallSites(l => l.Kind == LayerKind.GroupNorm));
    }

    private static void WriteGroupNormForward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = (GroupNormLayer)names.Spec.Layers[node.Layer];
        int channels = names.Shapes.Layers[node.Layer].InFeatures;
        w.Line($"// {names.Label(n)} = GroupNorm({Literals.Int(layer.Groups)} groups)({names.Label(node.A)}) over {Literals.Int(channels)} channels: {names.Shape(n)}");
        w.Line($"GroupNormKernels.Forward({names.Value(node.A)}, p + {layer.Name}Gamma, p + {layer.Name}Beta, {names.Value(n)}, _{names.Label(n)}Mean, _{names.Label(n)}InvStd, batch, {Literals.Int(channels)}, {Literals.Int(names.Shapes.Nodes[n].Size / channels)}, {Literals.Int(layer.Groups)}, {layer.Name}Epsilon);");
    }

    private static void WriteConv1dForward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = (ConvLayer)names.Spec.Layers[node.Layer];
        string y = names.Value(n), pre = names.HasPre(n) ? names.Pre(n) : y;
        w.Line($"// {names.Label(n)} = {Conv1dLabel(layer)}({names.Label(node.A)}): {names.Shape(node.A)} → {names.Shape(n)}");
        w.Line($"ConvKernels.Forward({ShapeName(names, n)}(batch), {names.Value(node.A)}, p + {layer.Name}Weights, {(layer.Bias ? $"p + {layer.Name}Bias" : "null")}, {pre}, _convWorkspace);");
        if (layer.Activation != ActivationKind.None)
            w.Line($"ActivationKernels.Forward(Activation.{layer.Activation}, {pre}, {y}, {names.Count(n)}, {Slope(layer.Name, layer.Activation)});");
    }

    private static void WriteRecurrentForward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = (RecurrentLayer)names.Spec.Layers[node.Layer];
        string what = layer.ReturnSequences ? "every step" : layer.Bidirectional ? "the last states of both directions" : "the last state";
        w.Line($"// {names.Label(n)} = {LayerText.Recurrent(layer)}({names.Label(node.A)}): {names.Shape(node.A)} → {names.Shape(n)}, {what}");
        w.Line($"{Kernels(layer)}.Forward({ShapeName(names, n)}(batch), {names.Value(node.A)}, p + {layer.Name}Parameters, {names.Value(n)}, _{names.Label(n)}Saved, _recurrentWorkspace{LengthsArgument(names, node.A)});");
    }

    private static void WriteGroupNormBackward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = (GroupNormLayer)names.Spec.Layers[node.Layer];
        int channels = names.Shapes.Layers[node.Layer].InFeatures;
        w.Line($"// {names.Label(n)}: back through GroupNorm to {names.Label(node.A)}");
        w.Line($"GroupNormKernels.Backward({names.Value(node.A)}, p + {layer.Name}Gamma, _{names.Label(n)}Mean, _{names.Label(n)}InvStd, {names.Grad(n)}, {InputGradient(names, n)}, {ParameterGradient(names, n, $"g + {layer.Name}Gamma")}, {ParameterGradient(names, n, $"g + {layer.Name}Beta")}, batch, {Literals.Int(channels)}, {Literals.Int(names.Shapes.Nodes[n].Size / channels)}, {Literals.Int(layer.Groups)});");
    }

    private static void WriteConv1dBackward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = (ConvLayer)names.Spec.Layers[node.Layer];
        string dy = names.Grad(n);
        w.Line($"// {names.Label(n)}: back through {Conv1dLabel(layer)} to {names.Label(node.A)}");
        if (layer.Activation != ActivationKind.None)
            w.Line($"ActivationKernels.Backward(Activation.{layer.Activation}, {names.Pre(n)}, {names.Value(n)}, {dy}, {dy}, {names.Count(n)}, {Slope(layer.Name, layer.Activation)});");
        w.Line($"ConvKernels.Backward({ShapeName(names, n)}(batch), {names.Value(node.A)}, p + {layer.Name}Weights, {dy}, {InputGradient(names, n)}, {ParameterGradient(names, n, $"g + {layer.Name}Weights")}, {BiasGradient(names, n, layer.Bias, $"g + {layer.Name}Bias")}, _convWorkspace);");
    }

    private static void WriteRecurrentBackward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = (RecurrentLayer)names.Spec.Layers[node.Layer];
        w.Line($"// {names.Label(n)}: back through time in {LayerText.Recurrent(layer)} to {names.Label(node.A)}");
        w.Line($"{Kernels(layer)}.Backward({ShapeName(names, n)}(batch), {names.Value(node.A)}, p + {layer.Name}Parameters, {names.Grad(n)}, {InputGradient(names, n)}, {ParameterGradient(names, n, $"g + {layer.Name}Parameters")}, _{names.Label(n)}Saved, _recurrentWorkspace{LengthsArgument(names, node.A)});");
    }
}
