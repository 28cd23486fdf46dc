using System.Collections.Generic;
using System.Linq;
using ModelGen.Generators.Model;
using static ModelGen.Generators.Model.TargetLayout;

namespace ModelGen.Generators.Emit;

/// <summary>The sequence and 1-D layers: LSTM, GRU, Conv1d, GroupNorm and Reshape.</summary>
internal static partial class CpuEmitter
{
    private static bool IsRecurrent(LayerSpec layer) => layer.Kind is "LSTM" or "GRU";

    /// <summary>Layers with learned γ and β per feature or channel, initialised to ones and zeros.</summary>
    private static bool HasGammaBeta(LayerSpec layer) => layer.Kind is "LayerNorm" or "BatchNorm" or "GroupNorm";

    private static string Kernels(LayerSpec layer) => layer.Kind == "LSTM" ? "LstmKernels" : "GruKernels";

    /// <summary>"LSTM(32, bidirectional, sequences)": the layer as the code comments name it.</summary>
    internal static string RecurrentLabel(LayerSpec layer)
    {
        var r = layer.Recurrent!;
        return $"{layer.Kind}({Literals.Int(layer.Units)}{(r.Bidirectional ? ", bidirectional" : "")}{(r.ReturnSequences ? ", sequences" : "")})";
    }

    private static string Conv1dLabel(LayerSpec layer) =>
        $"Conv1d({Literals.Int(layer.Units)}@{Literals.Int(layer.Spatial!.Kernel)}{(layer.Activation == ActivationKind.None ? "" : ", " + layer.Activation)})";

    /// <summary>The Summary's type column for these layers; null for the others.</summary>
    private static string? RecurrentFamilyType(LayerSpec layer) => layer.Kind switch
    {
        "LSTM" or "GRU" when layer.Recurrent is { } r =>
            $"{layer.Kind} {(r.Bidirectional ? "2×" : "")}{Literals.Int(layer.Units)}{(r.Bidirectional ? " bidirectional" : "")}{(r.ReturnSequences ? ", sequences" : "")}",
        "Conv1d" => $"Conv1d {Literals.Int(layer.Units)}@{Literals.Int(layer.Spatial!.Kernel)}",
        "GroupNorm" => $"GroupNorm {Literals.Int(layer.Units)} groups",
        "Reshape" => "Reshape",
        _ => null,
    };

    /// <summary>Weights as stored: Conv1d [out, in/groups, k]; a recurrent layer's blocks are described by <see cref="RecurrentBlocks"/>.</summary>
    private static int[]? RecurrentFamilyWeightShape(LayerSpec layer, LayerPlan lp) => layer.Kind == "Conv1d" && layer.Spatial is { } s
        ? new[] { lp.OutFeatures, s.Groups > 0 ? lp.InFeatures / s.Groups : 0, s.Kernel }
        : null;

    /// <summary>"2 × (W_ih [8, 128], W_hh [32, 128], b_ih [128], b_hh [128])": one block per direction.</summary>
    internal static string RecurrentBlocks(LayerSpec layer, LayerPlan lp)
    {
        int g = ShapeInference.GateCount(layer) * lp.OutFeatures;
        string block = $"W_ih [{Literals.Int(lp.InFeatures)}, {Literals.Int(g)}], W_hh [{Literals.Int(lp.OutFeatures)}, {Literals.Int(g)}], b_ih [{Literals.Int(g)}], b_hh [{Literals.Int(g)}]";
        return layer.Recurrent!.Bidirectional ? $"2 × ({block}), forward direction first" : block;
    }

    /// <summary>PyTorch's defaults: recurrent layers U(±1/√H) for every parameter; Conv1d U(±1/√fan-in) for weights and bias.</summary>
    private static bool WriteRecurrentFamilyInitialize(IndentedWriter w, LayerSpec layer, LayerPlan lp, int l)
    {
        if (!IsRecurrent(layer) && layer.Kind != "Conv1d") return false;
        string rng = "rng" + layer.Name;
        if (IsRecurrent(layer))
        {
            w.Line($"// {layer.Name}: {RecurrentBlocks(layer, lp)}, all U(±1/√{Literals.Int(lp.OutFeatures)}) as PyTorch");
            w.Line($"var {rng} = new Rng(seed, stream: {Literals.Int(l)});");
            w.Line($"Initializers.Uniform(parameters.Slice({Literals.Int(lp.WeightOffset)}, {Literals.Int(lp.ParameterCount)}), bound: 1 / Math.Sqrt({Literals.Int(lp.OutFeatures)}), ref {rng});");
            return true;
        }
        var s = layer.Spatial!;
        // An uncalled layer has no inferred input; its bias still needs a finite bound.
        int fanIn = System.Math.Max(1, (s.Groups > 0 ? lp.InFeatures / s.Groups : 0) * s.Kernel);
        int weights = lp.ParameterCount - (layer.Bias ? lp.OutFeatures : 0);
        w.Line($"// {layer.Name}: weights {FlatShape(WeightShape(layer, lp))}{(layer.Bias ? $" and bias [{Literals.Int(lp.OutFeatures)}]" : "")} U(±1/√{Literals.Int(fanIn)}) as PyTorch (fan-in (C/groups)·k = {Literals.Int(fanIn)})");
        w.Line($"var {rng} = new Rng(seed, stream: {Literals.Int(l)});");
        w.Line($"Initializers.Uniform(parameters.Slice({Literals.Int(lp.WeightOffset)}, {Literals.Int(weights)}), bound: 1 / Math.Sqrt({Literals.Int(fanIn)}), ref {rng});");
        if (layer.Bias) w.Line($"Initializers.Uniform(parameters.Slice({Literals.Int(lp.BiasOffset)}, {Literals.Int(lp.OutFeatures)}), bound: 1 / Math.Sqrt({Literals.Int(fanIn)}), ref {rng});");
        return true;
    }

    /// <summary>The eager layer method of these layers (a tensor in, a tensor out, the same kernels as the fused graph).</summary>
    private static bool WriteRecurrentFamilyLayerMethod(IndentedWriter w, ModelSpec spec, ShapePlan plan, int l)
    {
        var layer = spec.Layers[l];
        if (!ShapeInference.IsRecurrentFamily(layer)) return false;
        var lp = plan.Layers[l];
        string x = Identifier(layer.ParameterName);
        string signature = $"{layer.MethodModifiers} partial global::ModelGen.Tensor {Identifier(layer.Name)}(global::ModelGen.Tensor {x})";
        int node = FirstNode(spec, l);
        if (node < 0)
        {
            // Declared but never called: there is no input shape to run it on.
            w.Line($"/// <summary>{layer.Kind} layer '{layer.Name}', which the model never calls.</summary>");
            w.Line(signature);
            w.Indent().Line($"=> throw new InvalidOperationException({Literals.String($"'{layer.Name}' is not called by the model, so its input shape is unknown.")});").Outdent();
            w.Line();
            return true;
        }
        var input = plan.Nodes[spec.Graph.Nodes[node].A].Shape;
        var output = plan.Nodes[node].Shape;
        string I(int v) => Literals.Int(v);
        string runs = "Runs eagerly on a tensor (for debugging); training and inference use the fused <see cref=\"Graph{T}\"/>.";
        switch (layer.Kind)
        {
            case "Reshape":
                w.Line($"/// <summary>Reshape layer '{layer.Name}': {SampleShape(input)} → {SampleShape(output)}. Runs eagerly on a tensor; the fused code uses a view.</summary>");
                w.Line(signature);
                w.Indent().Line($"=> EagerLayers.Reshape({x}, new[] {{ {string.Join(", ", output.Select(I))} }}, {Literals.String(layer.Name)});").Outdent();
                break;
            case "GroupNorm":
                w.Line($"/// <summary>GroupNorm '{layer.Name}': {I(lp.InFeatures)} channels in {I(layer.Units)} groups, γ at offset {Literals.Grouped(lp.WeightOffset)}, β at {Literals.Grouped(lp.BiasOffset)}. {runs}</summary>");
                w.Line(signature);
                w.Indent().Line($"=> EagerLayers.GroupNorm({x}, Parameters, gammaOffset: {I(lp.WeightOffset)}, betaOffset: {I(lp.BiasOffset)}, channels: {I(lp.InFeatures)}, groups: {I(layer.Units)}, {Literals.Float(layer.Epsilon)}, {Literals.String(layer.Name)});").Outdent();
                break;
            case "Conv1d":
            {
                var s = layer.Spatial!;
                w.Line("/// <summary>");
                w.Line($"/// Conv1d layer '{layer.Name}' ({I(layer.Units)} filters of width {I(s.Kernel)}{(layer.Activation == ActivationKind.None ? "" : ", " + layer.Activation)}): {SampleShape(input)} → {SampleShape(output)}.");
                w.Line($"/// {Literals.Grouped(lp.ParameterCount)} parameters: weights {FlatShape(WeightShape(layer, lp))} at offset {Literals.Grouped(lp.WeightOffset)}{(layer.Bias ? $", bias [{I(lp.OutFeatures)}] at {Literals.Grouped(lp.BiasOffset)}" : "")}.");
                w.Line($"/// {runs}");
                w.Line("/// </summary>");
                w.Line(signature);
                w.Indent().Line($"=> EagerLayers.Conv1d({x}, Parameters, weightOffset: {I(lp.WeightOffset)}, biasOffset: {I(lp.BiasOffset)}, {Conv1dGeometry(layer, input, null)}, Activation.{layer.Activation}, {Literals.Float(layer.NegativeSlope)}, {Literals.String(layer.Name)});").Outdent();
                break;
            }
            default:
            {
                var r = layer.Recurrent!;
                w.Line("/// <summary>");
                w.Line($"/// {RecurrentLabel(layer)} layer '{layer.Name}': {SampleShape(input)} → {SampleShape(output)}{(r.ReturnSequences ? ", every step" : ", the last state" + (r.Bidirectional ? "s (forward after the last step, backward after the first)" : ""))}.");
                w.Line($"/// {Literals.Grouped(lp.ParameterCount)} parameters at offset {Literals.Grouped(lp.WeightOffset)}: {RecurrentBlocks(layer, lp)}.");
                w.Line($"/// {runs}");
                w.Line("/// </summary>");
                w.Line(signature);
                w.Indent().Line(MaskedEagerRefusal(spec, plan, l) ?? $"=> EagerLayers.{layer.Kind}({x}, Parameters, offset: {I(lp.WeightOffset)}, {RecurrentGeometry(layer, input, null)}, {Literals.String(layer.Name)});").Outdent();
                break;
            }
        }
        w.Line();
        return true;
    }

    /// <summary>The Conv2dShape.Conv1d arguments after the batch, named; with a batch expression, it leads.</summary>
    private static string Conv1dGeometry(LayerSpec layer, EquatableArray<int> input, string? batch, string separator = " ")
    {
        var s = layer.Spatial!;
        string I(int v) => Literals.Int(v);
        var (left, right) = Conv1dPadding(s);
        return (batch is null ? "" : batch + "," + separator)
             + $"inChannels: {I(input[0])}, length: {I(input[1])}, outChannels: {I(layer.Units)}, kernel: {I(s.Kernel)},{separator}"
             + $"stride: {I(s.Stride)}, padLeft: {I(left)}, padRight: {I(right)}, dilation: {I(s.Dilation)}, groups: {I(s.Groups)}";
    }

    /// <summary>Conv1d's zero padding per side; 'same' (stride 1) splits the dilated kernel's span with the odd zero at the end, as PyTorch.</summary>
    internal static (int Left, int Right) Conv1dPadding(SpatialSpec s)
    {
        int span = s.Dilation * (s.Kernel - 1);
        return s.Same ? (span / 2, span - span / 2) : (s.Padding, s.Padding);
    }

    /// <summary>The RecurrentShape arguments after the batch, named.</summary>
    private static string RecurrentGeometry(LayerSpec layer, EquatableArray<int> input, string? batch, string separator = " ")
    {
        var r = layer.Recurrent!;
        return (batch is null ? "" : batch + "," + separator)
             + $"sequence: {Literals.Int(input[0])}, inputSize: {Literals.Int(input[1])}, hiddenSize: {Literals.Int(layer.Units)},{separator}"
             + $"bidirectional: {(r.Bidirectional ? "true" : "false")}, returnSequence: {(r.ReturnSequences ? "true" : "false")}";
    }

    /// <summary>Offsets of a recurrent layer's parameter blocks; false for other layers (their offsets are written as Dense's, Conv's or the norms').</summary>
    private static bool WriteRecurrentOffsets(IndentedWriter w, LayerSpec layer, LayerPlan lp)
    {
        if (!IsRecurrent(layer)) return false;
        w.Line($"private const int {layer.Name}Parameters = {Literals.Int(lp.WeightOffset)};   // {RecurrentBlocks(layer, lp)}");
        return true;
    }

    /// <summary>Call sites of each kind, in graph order (live ones only).</summary>
    private static List<int> CallSites(ModelSpec spec, ShapePlan plan, System.Func<LayerSpec, bool> kind) =>
        Enumerable.Range(1, spec.Graph.Nodes.Count - 1)
            .Where(n => plan.Nodes[n].Live && spec.Graph.Nodes[n].Kind == NodeKind.Layer && kind(spec.Layers[spec.Graph.Nodes[n].Layer])).ToList();

    private static void WriteRecurrentFamilyShapeFunctions(IndentedWriter w, ModelSpec spec, ShapePlan plan, ValueNames names)
    {
        var nodes = spec.Graph.Nodes;
        WriteShapeFunctions(w, "// 1-D convolution geometry of each call site: a height-1 Conv2dShape with the [N, C, L] layouts.", "Conv2dShape",
            CallSites(spec, plan, l => l.Kind == "Conv1d"),
            n => Conv1dGeometry(spec.Layers[nodes[n].Layer], plan.Nodes[nodes[n].A].Shape, "batch", "\n"), names, factory: "Conv2dShape.Conv1d");
        WriteShapeFunctions(w, "// Recurrent geometry of each call site.", "RecurrentShape",
            CallSites(spec, plan, IsRecurrent),
            n => RecurrentGeometry(spec.Layers[nodes[n].Layer], plan.Nodes[nodes[n].A].Shape, "batch", "\n"), names);
    }

    private static void WriteRecurrentFamilyFields(IndentedWriter w, ModelSpec spec, ShapePlan plan, ValueNames names)
    {
        var recurrent = CallSites(spec, plan, IsRecurrent);
        foreach (int n in recurrent)
            w.Line($"private readonly T* _{names.Label(n)}Saved;   // gates and states of every step, for back-propagation through time");
        if (recurrent.Count > 0) w.Line("private readonly T* _recurrentWorkspace;   // time-major scratch, shared by every recurrent layer");
        foreach (int n in CallSites(spec, plan, l => l.Kind == "GroupNorm"))
            w.Line($"private readonly T* _{names.Label(n)}Mean, _{names.Label(n)}InvStd;   // per sample and group, for backward");
    }

    private static void WriteRecurrentFamilyAllocations(IndentedWriter w, ModelSpec spec, ShapePlan plan, ValueNames names)
    {
        var nodes = spec.Graph.Nodes;
        var recurrent = CallSites(spec, plan, IsRecurrent);
        foreach (int n in recurrent)
            w.Line($"_{names.Label(n)}Saved = Allocate(checked((int){Kernels(spec.Layers[nodes[n].Layer])}.SavedSize({ShapeName(names, n)}(maxBatch))));");
        if (recurrent.Count > 0)
        {
            string largest = recurrent.Select(n => $"{Kernels(spec.Layers[nodes[n].Layer])}.WorkspaceSize({ShapeName(names, n)}(maxBatch))")
                .Aggregate((a, b) => $"Math.Max({a}, {b})");
            w.Line($"_recurrentWorkspace = Allocate(checked((int){largest}));");
        }
        foreach (int n in CallSites(spec, plan, l => l.Kind == "GroupNorm"))
        {
            string groups = Literals.Int(spec.Layers[nodes[n].Layer].Units);
            w.Line($"_{names.Label(n)}Mean = Allocate(maxBatch * {groups});");
            w.Line($"_{names.Label(n)}InvStd = Allocate(maxBatch * {groups});");
        }
    }

    /// <summary>Whether node <paramref name="n"/> is a call of one of these layers that computes something (Reshape is a view).</summary>
    private static bool IsRecurrentFamilyCall(ModelSpec spec, ValueNames names, int n) =>
        spec.Graph.Nodes[n].Kind == NodeKind.Layer && ShapeInference.IsRecurrentFamily(spec.Layers[spec.Graph.Nodes[n].Layer]) && !names.IsView(n);

    private static void WriteRecurrentFamilyForward(IndentedWriter w, ModelSpec spec, ShapePlan plan, ValueNames names, int n)
    {
        var node = spec.Graph.Nodes[n];
        var layer = spec.Layers[node.Layer];
        string x = names.Value(node.A), y = names.Value(n), name = layer.Name;
        switch (layer.Kind)
        {
            case "GroupNorm":
            {
                int channels = plan.Layers[node.Layer].InFeatures;
                w.Line($"// {names.Label(n)} = GroupNorm({Literals.Int(layer.Units)} groups)({names.Label(node.A)}) over {Literals.Int(channels)} channels: {Shape(plan, n)}");
                w.Line($"GroupNormKernels.Forward({x}, p + {name}Gamma, p + {name}Beta, {y}, _{names.Label(n)}Mean, _{names.Label(n)}InvStd, batch, {Literals.Int(channels)}, {Literals.Int(plan.Nodes[n].Size / channels)}, {Literals.Int(layer.Units)}, {name}Epsilon);");
                break;
            }
            case "Conv1d":
            {
                string pre = names.HasPre(n) ? names.Pre(n) : y;
                w.Line($"// {names.Label(n)} = {Conv1dLabel(layer)}({names.Label(node.A)}): {Shape(plan, node.A)} → {Shape(plan, n)}");
                w.Line($"ConvKernels.Forward({ShapeName(names, n)}(batch), {x}, p + {name}Weights, {(layer.Bias ? $"p + {name}Bias" : "null")}, {pre}, _convWorkspace);");
                if (layer.Activation != ActivationKind.None)
                    w.Line($"ActivationKernels.Forward(Activation.{layer.Activation}, {pre}, {y}, batch * {Literals.Int(plan.Nodes[n].Size)}L, {Slope(layer)});");
                break;
            }
            default:
            {
                string what = layer.Recurrent!.ReturnSequences ? "every step" : layer.Recurrent.Bidirectional ? "the last states of both directions" : "the last state";
                w.Line($"// {names.Label(n)} = {RecurrentLabel(layer)}({names.Label(node.A)}): {Shape(plan, node.A)} → {Shape(plan, n)}, {what}");
                w.Line($"{Kernels(layer)}.Forward({ShapeName(names, n)}(batch), {x}, p + {name}Parameters, {y}, _{names.Label(n)}Saved, _recurrentWorkspace{LengthsArgument(plan, node.A)});");
                break;
            }
        }
    }

    private static void WriteRecurrentFamilyBackward(IndentedWriter w, ModelSpec spec, ShapePlan plan, ValueNames names, int n)
    {
        var node = spec.Graph.Nodes[n];
        var layer = spec.Layers[node.Layer];
        string x = names.Value(node.A), dy = names.Grad(n), name = layer.Name;
        string dx = plan.Nodes[node.A].RequiresGradient ? names.Grad(node.A) : "null";
        switch (layer.Kind)
        {
            case "GroupNorm":
            {
                int channels = plan.Layers[node.Layer].InFeatures;
                w.Line($"// {names.Label(n)}: back through GroupNorm to {names.Label(node.A)}");
                w.Line($"GroupNormKernels.Backward({x}, p + {name}Gamma, _{names.Label(n)}Mean, _{names.Label(n)}InvStd, {dy}, {dx}, g + {name}Gamma, g + {name}Beta, batch, {Literals.Int(channels)}, {Literals.Int(plan.Nodes[n].Size / channels)}, {Literals.Int(layer.Units)});");
                break;
            }
            case "Conv1d":
                w.Line($"// {names.Label(n)}: back through {Conv1dLabel(layer)} to {names.Label(node.A)}");
                if (layer.Activation != ActivationKind.None)
                    w.Line($"ActivationKernels.Backward(Activation.{layer.Activation}, {names.Pre(n)}, {names.Value(n)}, {dy}, {dy}, batch * {Literals.Int(plan.Nodes[n].Size)}L, {Slope(layer)});");
                w.Line($"ConvKernels.Backward({ShapeName(names, n)}(batch), {x}, p + {name}Weights, {dy}, {dx}, g + {name}Weights, {(layer.Bias ? $"g + {name}Bias" : "null")}, _convWorkspace);");
                break;
            default:
                w.Line($"// {names.Label(n)}: back through time in {RecurrentLabel(layer)} to {names.Label(node.A)}");
                w.Line($"{Kernels(layer)}.Backward({ShapeName(names, n)}(batch), {x}, p + {name}Parameters, {dy}, {dx}, g + {name}Parameters, _{names.Label(n)}Saved, _recurrentWorkspace{LengthsArgument(plan, node.A)});");
                break;
        }
    }
}
