using System;
using System.Collections.Generic;
using System.Linq;
using ModelGen.FrontEnd;

namespace ModelGen.Generators.Emit;

// RunBackward: reverse topological order; every gradient accumulates, so shared values and layers just work. The one
// exception: a Dense layer called once writes its parameter gradients outright, so that part of the buffer is not cleared.
// The dispatch over LayerKind has no default arm; views (Flatten, Reshape) share their input's gradient and are skipped.
internal static partial class CpuEmitter
{
    private static void WriteBackward(IndentedWriter w, ValueNames names)
    {
        var nodes = names.Plan.Nodes;
        var shapes = names.Shapes;
        using (w.Block("private void RunBackward(T* p, T* g, T* input, T* inputGrad, int batch)"))
        {
            var overwriting = GradientOverwritingLayers(names);
            WriteParameterGradientClear(w, names, overwriting);
            bool Cleared(int n) => shapes.Nodes[n].Live && names.NeedsGradient(n) && !names.IsView(n) && !IsOutputStorage(names.Spec, names, n);
            if (names.InputGradientBlocker is null)
            {
                // The values whose gradients exist for the input's sake are cleared only when it is asked for.
                var inputOnly = Enumerable.Range(1, nodes.Count - 1).Where(n => Cleared(n) && names.GradientOnlyForInput(n)).ToList();
                if (inputOnly.Count == 0)
                    w.Line($"if (inputGrad != null) ElementwiseKernels.Clear(inputGrad, {names.Count(0)});");
                else
                    using (w.Block("if (inputGrad != null)"))
                    {
                        w.Line($"ElementwiseKernels.Clear(inputGrad, {names.Count(0)});");
                        foreach (int n in inputOnly) w.Line($"ElementwiseKernels.Clear({names.Grad(n)}, {names.Count(n)});");
                    }
            }
            for (int n = 1; n < nodes.Count; n++)
                if (Cleared(n) && !names.GradientOnlyForInput(n))
                    w.Line($"ElementwiseKernels.Clear({names.Grad(n)}, {names.Count(n)});");
            WriteGradientFlow(w, names);
            // A frozen layer's backward does not write its gradient, which must still read zero.
            foreach (int l in overwriting)
                w.Line($"if (!{Trains(names, l)}) ElementwiseKernels.Clear(g + {names.Spec.Layers[l].Name}Weights, {Literals.Int(names.Shapes.Layers[l].ParameterCount)});");
            for (int n = nodes.Count - 1; n >= 1; n--)
            {
                if (!shapes.Nodes[n].Live || !names.NeedsGradient(n) || names.IsView(n)) continue;
                var node = nodes[n];
                w.Line();
                using var _ = w.Block($"if ({Flows(names, n)})");
                switch (node.Kind)
                {
                    case NodeKind.Layer:
                        LayerBackward(names.Spec.Layers[node.Layer].Kind)(w, names, n);
                        break;
                    case NodeKind.Add:
                        w.Line($"// {names.Label(n)} = {names.Label(node.A)} + {names.Label(node.B)}: the gradient flows to both");
                        if (names.GradOf(node.A) is { } ga) w.Line($"{InputGuard(names, node.A)}ElementwiseKernels.AddInto({names.Grad(n)}, {ga}, {names.Count(n)});");
                        if (names.GradOf(node.B) is { } gb) w.Line($"{InputGuard(names, node.B)}ElementwiseKernels.AddInto({names.Grad(n)}, {gb}, {names.Count(n)});");
                        break;
                    case NodeKind.Multiply:
                        w.Line($"// {names.Label(n)} = {names.Label(node.A)} * {names.Label(node.B)}: each side gets the gradient times the other");
                        if (names.GradOf(node.A) is { } ma) w.Line($"{InputGuard(names, node.A)}ElementwiseKernels.MultiplyAddInto({names.Grad(n)}, {names.Value(node.B)}, {ma}, {names.Count(n)});");
                        if (names.GradOf(node.B) is { } mb) w.Line($"{InputGuard(names, node.B)}ElementwiseKernels.MultiplyAddInto({names.Grad(n)}, {names.Value(node.A)}, {mb}, {names.Count(n)});");
                        break;
                    case NodeKind.Concat:
                        WriteConcatBackward(w, names, n);
                        break;
                    case NodeKind.NamedInput:
                        WriteNamedInputBackward(w, names, n);
                        break;
                    case NodeKind.Subtract:
                    case NodeKind.Map:
                        WriteArithmeticBackward(w, names, n);
                        break;
                    case NodeKind.Sum:
                    case NodeKind.Mean:
                        WriteReductionBackward(w, names, n);
                        break;
                }
            }
        }
    }

    /// <summary>
    /// The Dense layers whose parameter gradients the backward pass writes outright (<c>overwriteParameterGradients</c>): those
    /// called exactly once, in a call whose gradient is computed. Any other layer's kernels add to a cleared gradient.
    /// </summary>
    private static List<int> GradientOverwritingLayers(ValueNames names)
    {
        var nodes = names.Plan.Nodes;
        var layers = new List<int>();
        for (int l = 0; l < names.Spec.Layers.Count; l++)
        {
            if (names.Spec.Layers[l].Kind != LayerKind.Dense || names.Shapes.Layers[l].ParameterCount == 0) continue;
            int calls = 0, backwardCalls = 0;
            for (int n = 1; n < nodes.Count; n++)
            {
                if (nodes[n].Kind != NodeKind.Layer || nodes[n].Layer != l) continue;
                calls++;
                if (names.Shapes.Nodes[n].Live && names.NeedsGradient(n)) backwardCalls++;
            }
            if (calls == 1 && backwardCalls == 1) layers.Add(l);
        }
        return layers;
    }

    /// <summary>
    /// Clears the parameter gradients that the backward pass adds to: the whole buffer, or, when some layers write theirs
    /// outright, the runs of the buffer between those layers' blocks.
    /// </summary>
    private static void WriteParameterGradientClear(IndentedWriter w, ValueNames names, List<int> overwriting)
    {
        if (overwriting.Count == 0)
        {
            w.Line("new Span<T>(g, TotalParameters).Clear();");
            return;
        }
        var written = overwriting
            .Select(l => (Start: names.Shapes.Layers[l].WeightOffset, End: names.Shapes.Layers[l].WeightOffset + names.Shapes.Layers[l].ParameterCount))
            .OrderBy(block => block.Start)
            .ToList();
        w.Line("// Dense layers called once write their parameter gradients; the rest of the buffer is cleared for the kernels that add to it.");
        int start = 0;
        foreach (var block in written.Append((Start: names.Shapes.TotalParameters, End: names.Shapes.TotalParameters)))
        {
            if (block.Start > start)
                w.Line($"ElementwiseKernels.Clear({(start == 0 ? "g" : $"g + {Literals.Int(start)}")}, {Literals.Int(block.Start - start)});   // {LayersIn(names, start, block.Start)}");
            start = Math.Max(start, block.End);
        }
    }

    /// <summary>The layers whose parameters lie in [<paramref name="start"/>, <paramref name="end"/>) of the buffer: "C1, C2".</summary>
    private static string LayersIn(ValueNames names, int start, int end)
    {
        var layers = names.Spec.Layers;
        var plans = names.Shapes.Layers;
        return string.Join(", ", Enumerable.Range(0, layers.Count)
            .Where(l => plans[l].ParameterCount > 0 && plans[l].WeightOffset >= start && plans[l].WeightOffset < end)
            .Select(l => layers[l].Name));
    }

    /// <summary>
    /// The locals that make the backward pass follow <c>Model.Freeze</c>: per layer with parameters whether it trains, and
    /// per value whether its gradient is needed (a layer that trains lies before it, the value included).
    /// </summary>
    private static void WriteGradientFlow(IndentedWriter w, ValueNames names)
    {
        var spec = names.Spec;
        var shapes = names.Shapes;
        w.Line();
        w.Line(names.InputGradientBlocker is null
            ? "// Frozen layers (Model.Freeze) get no weight gradient; a value's gradient is computed only when a layer that trains lies before it, or the input's gradient is asked for."
            : "// Frozen layers (Model.Freeze) get no weight gradient; a value's gradient is computed only when a layer that trains lies before it.");
        int index = 0;
        for (int l = 0; l < spec.Layers.Count; l++)
            if (shapes.Layers[l].ParameterCount > 0)
                w.Line($"bool {Trains(names, l)} = !IsFrozen({Literals.Int(index++)});");
        var nodes = names.Plan.Nodes;
        if (names.InputGradientBlocker is null) w.Line($"bool {Flows(names, 0)} = inputGrad != null;");
        for (int n = 1; n < nodes.Count; n++)
        {
            if (!shapes.Nodes[n].Live || !names.NeedsGradient(n)) continue;
            var node = nodes[n];
            var sources = new List<string>();
            void From(int input)
            {
                if (names.NeedsGradient(input)) sources.Add(Flows(names, input));
            }
            switch (node.Kind)
            {
                case NodeKind.NamedInput:
                    From(0);
                    break;
                case NodeKind.Layer:
                    if (shapes.Layers[node.Layer].ParameterCount > 0) sources.Add(Trains(names, node.Layer));
                    From(node.A);
                    if (node.B >= 0) From(node.B);
                    break;
                case NodeKind.Concat:
                    foreach (int part in node.Parts) From(part);
                    break;
                case NodeKind.Add:
                case NodeKind.Multiply:
                case NodeKind.Subtract:
                    From(node.A);
                    From(node.B);
                    break;
                default:
                    From(node.A);
                    break;
            }
            w.Line($"bool {Flows(names, n)} = {(sources.Count == 0 ? "false" : string.Join(" || ", sources))};");
        }
    }

    /// <summary>The local that says whether layer <paramref name="layer"/> trains: <c>c1Trains</c>.</summary>
    private static string Trains(ValueNames names, int layer)
    {
        var layers = names.Spec.Layers;
        return DistinctLocal(layers[layer].Name, lowered => layers.Any(l => l.Name == lowered)) + "Trains";
    }

    /// <summary>The local that says whether node <paramref name="n"/>'s gradient is needed: <c>c1Flows</c>.</summary>
    private static string Flows(ValueNames names, int n)
    {
        int count = names.Plan.Nodes.Count;
        return DistinctLocal(names.Label(n), lowered => Enumerable.Range(0, count).Any(m => names.Label(m) == lowered)) + "Flows";
    }

    /// <summary>
    /// <paramref name="name"/> with a lower-case first letter, unless that is another name of the same set (layers 'A' and
    /// 'a'): then the name as written, so the locals stay distinct.
    /// </summary>
    private static string DistinctLocal(string name, Func<string, bool> isAnotherName)
    {
        string lowered = Local(name);
        return lowered != name && isAnotherName(lowered) ? name : lowered;
    }

    /// <summary>
    /// The input gradient of layer call <paramref name="n"/>: null when the input needs none, either always (the model input)
    /// or while no layer before it trains.
    /// </summary>
    private static string InputGradient(ValueNames names, int n)
    {
        int input = names.Plan.Nodes[n].A;
        return names.GradOf(input) is { } gradient ? $"{Flows(names, input)} ? {gradient} : null" : "null";
    }

    /// <summary>
    /// "if (inputFlows) " before a statement that adds to the gradient of the model input (which exists only when asked for)
    /// or of a value computed from it before any layer that learns (needed only then): the node around it may run for a
    /// layer that trains on its other side. Empty for every other value.
    /// </summary>
    private static string InputGuard(ValueNames names, int operand) =>
        names.Storage(operand) == 0 || names.GradientOnlyForInput(operand) ? $"if ({Flows(names, operand)}) " : "";

    /// <summary>
    /// A parameter gradient of layer call <paramref name="n"/> (<paramref name="pointer"/>, e.g. <c>g + C1Weights</c>): null while
    /// the layer is frozen. A call without an input gradient runs only when its layer trains, so it takes the pointer as it is.
    /// </summary>
    private static string ParameterGradient(ValueNames names, int n, string pointer)
    {
        var node = names.Plan.Nodes[n];
        return names.GradOf(node.A) is null ? pointer : $"{Trains(names, node.Layer)} ? {pointer} : null";
    }

    /// <summary>The bias gradient of layer call <paramref name="n"/>, or "null" for a layer without bias.</summary>
    private static string BiasGradient(ValueNames names, int n, bool bias, string pointer) => bias ? ParameterGradient(names, n, pointer) : "null";

    /// <summary>The backward writer of a layer call of <paramref name="kind"/>.</summary>
    private static Action<IndentedWriter, ValueNames, int> LayerBackward(LayerKind kind) => kind switch
    {
        LayerKind.Dense => WriteDenseBackward,
        LayerKind.Conv2d => WriteConv2dBackward,
        LayerKind.MaxPool2d or LayerKind.AvgPool2d or LayerKind.GlobalAvgPool => WritePoolBackward,
        LayerKind.LayerNorm => WriteLayerNormBackward,
        LayerKind.BatchNorm => WriteBatchNormBackward,
        LayerKind.Dropout => WriteDropoutBackward,
        LayerKind.Flatten or LayerKind.Reshape => (_, _, _) => { },   // views: never reached, their gradient is their input's
        LayerKind.Conv1d => WriteConv1dBackward,
        LayerKind.GroupNorm => WriteGroupNormBackward,
        LayerKind.LSTM or LayerKind.GRU => WriteRecurrentBackward,
        LayerKind.Embedding => WriteEmbeddingBackward,
        LayerKind.PositionalEmbedding => WritePositionalEmbeddingBackward,
        LayerKind.MultiHeadAttention => WriteAttentionBackward,
        LayerKind.CrossAttention => WriteCrossAttentionBackward,
        LayerKind.ConvTranspose2d => WriteConvTransposeBackward,
        LayerKind.Upsample => WriteUpsampleBackward,
    };

    private static void WriteDenseBackward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = (DenseLayer)names.Spec.Layers[node.Layer];
        var lp = names.Shapes.Layers[node.Layer];
        w.Line($"// {names.Label(n)}: back through Dense({Literals.Int(layer.Units)}{ActivationText(layer.Activation)}) to {names.Label(node.A)}");
        if (layer.Activation != ActivationKind.None)
            w.Line($"ActivationKernels.Backward(Activation.{layer.Activation}, {names.Pre(n)}, {names.Value(n)}, {names.Grad(n)}, {names.Grad(n)}, {names.Count(n)}, {Slope(layer.Name, layer.Activation)});");
        w.Line($"DenseKernels.Backward({names.Value(node.A)}, p + {layer.Name}Weights, {names.Grad(n)}, {InputGradient(names, n)}, {ParameterGradient(names, n, $"g + {layer.Name}Weights")}, {BiasGradient(names, n, layer.Bias, $"g + {layer.Name}Bias")}, {Rows(names.Shapes.Nodes[n].Size / lp.OutFeatures)}, {Literals.Int(lp.InFeatures)}, {Literals.Int(lp.OutFeatures)}{(GradientOverwritingLayers(names).Contains(node.Layer) ? ", overwriteParameterGradients: true" : "")});");
    }

    private static void WriteConv2dBackward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = (ConvLayer)names.Spec.Layers[node.Layer];
        w.Line($"// {names.Label(n)}: back through Conv2d({Literals.Int(layer.Filters)}@{Literals.Int(layer.Window.Kernel)}×{Literals.Int(layer.Window.Kernel)}{ActivationText(layer.Activation)}) to {names.Label(node.A)}");
        if (layer.Activation != ActivationKind.None)
            w.Line($"ActivationKernels.Backward(Activation.{layer.Activation}, {names.Pre(n)}, {names.Value(n)}, {names.Grad(n)}, {names.Grad(n)}, {names.Count(n)}, {Slope(layer.Name, layer.Activation)});");
        w.Line($"ConvKernels.Backward({ShapeName(names, n)}(batch), {names.Value(node.A)}, p + {layer.Name}Weights, {names.Grad(n)}, {InputGradient(names, n)}, {ParameterGradient(names, n, $"g + {layer.Name}Weights")}, {BiasGradient(names, n, layer.Bias, $"g + {layer.Name}Bias")}, _convWorkspace);");
    }

    /// <summary>MaxPool2d, AvgPool2d and GlobalAvgPool: only the input's gradient (nothing to learn).</summary>
    private static void WritePoolBackward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = names.Spec.Layers[node.Layer];
        if (names.GradOf(node.A) is not { } dx) return;
        w.Line($"// {names.Label(n)}: back through {layer.Kind} to {names.Label(node.A)}");
        var input = names.Shapes.Nodes[node.A].Shape;
        w.Line(layer.Kind switch
        {
            LayerKind.MaxPool2d => $"PoolingKernels.MaxBackward({ShapeName(names, n)}(batch), {names.Grad(n)}, _{names.Label(n)}Winners, {dx});",
            LayerKind.AvgPool2d => $"PoolingKernels.AvgBackward({ShapeName(names, n)}(batch), {names.Grad(n)}, {dx}, countIncludePad: true);",
            _ => $"PoolingKernels.GlobalAvgBackward({names.Grad(n)}, {dx}, batch, {Literals.Int(input[0])}, {Literals.Int(input[1] * input[2])});",
        });
    }

    private static void WriteLayerNormBackward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = names.Spec.Layers[node.Layer];
        int features = names.Shapes.Layers[node.Layer].InFeatures;
        w.Line($"// {names.Label(n)}: back through LayerNorm to {names.Label(node.A)}");
        w.Line($"LayerNormKernels.Backward({names.Value(node.A)}, p + {layer.Name}Gamma, _{names.Label(n)}Mean, _{names.Label(n)}InvStd, {names.Grad(n)}, {InputGradient(names, n)}, {ParameterGradient(names, n, $"g + {layer.Name}Gamma")}, {ParameterGradient(names, n, $"g + {layer.Name}Beta")}, batch * {Literals.Int(names.Shapes.Nodes[n].Size / features)}, {Literals.Int(features)});");
    }

    private static void WriteBatchNormBackward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = names.Spec.Layers[node.Layer];
        int channels = names.Shapes.Layers[node.Layer].InFeatures;
        w.Line($"// {names.Label(n)}: back through BatchNorm (batch statistics) to {names.Label(node.A)}");
        w.Line($"BatchNormKernels.BackwardTrain({names.Value(node.A)}, p + {layer.Name}Gamma, _{names.Label(n)}Mean, _{names.Label(n)}InvStd, {names.Grad(n)}, {InputGradient(names, n)}, {ParameterGradient(names, n, $"g + {layer.Name}Gamma")}, {ParameterGradient(names, n, $"g + {layer.Name}Beta")}, batch, {Literals.Int(channels)}, {Literals.Int(names.Shapes.Nodes[n].Size / channels)});");
    }

    private static void WriteDropoutBackward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        if (names.GradOf(node.A) is not { } dx) return;
        w.Line($"// {names.Label(n)}: back through Dropout (the kept elements, scaled) to {names.Label(node.A)}");
        w.Line($"DropoutKernels.Backward({names.Grad(n)}, _{names.Label(n)}Mask, {dx}, {names.Count(n)});");
    }
}
