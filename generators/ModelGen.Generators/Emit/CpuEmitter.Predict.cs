using ModelGen.FrontEnd;

namespace ModelGen.Generators.Emit;

// RunInference: the forward pass Predict runs. It computes what RunForward computes in inference mode, with the same
// kernels in the same order (so its outputs are the same bits), but keeps nothing for backward: a dense layer writes its
// activation over its affine part in place (no pre-activation buffer), and batch statistics, dropout masks and noise
// are never drawn. Nodes without such a difference take RunForward's own lines.
internal static partial class CpuEmitter
{
    private static void WriteInference(IndentedWriter w, ValueNames names)
    {
        var nodes = names.Plan.Nodes;
        w.Line("// Predict's pass: RunForward's kernels in inference mode (the same bits), keeping nothing that only backward reads.");
        using (w.Block("private void RunInference(T* p, T* input, int batch)"))
        {
            bool first = true;
            for (int n = 1; n < nodes.Count; n++)
            {
                if (!names.Shapes.Nodes[n].Live) continue;
                if (!first) w.Line();
                first = false;
                WriteInferenceNode(w, names, n);
            }
            WritePackOutputs(w, names.Spec, names.Shapes, names);
        }
    }

    private static void WriteInferenceNode(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        if (node.Kind == NodeKind.RandomNormal)
        {
            w.Line($"// {names.Label(n)} = Tensor.RandomNormal(like: {names.Label(node.A)}): {names.Shape(n)}, zero (the mean) at inference");
            w.Line($"ElementwiseKernels.Clear({names.Value(n)}, {names.Count(n)});");
            return;
        }
        if (node.Kind != NodeKind.Layer)
        {
            WriteForwardNode(w, names, n);
            return;
        }
        switch (names.Spec.Layers[node.Layer])
        {
            case DenseLayer dense:
                WriteDenseInference(w, names, n, dense);
                break;
            case { Kind: LayerKind.BatchNorm } layer:
                WriteBatchNormInference(w, names, n, layer);
                break;
            case DropoutLayer dropout:
                string size = names.Count(n);
                w.Line($"// {names.Label(n)} = Dropout({Literals.FromFloat(dropout.Rate)})({names.Label(node.A)}): a copy at inference");
                w.Line($"new ReadOnlySpan<T>({names.Value(node.A)}, (int)({size})).CopyTo(new Span<T>({names.Value(n)}, (int)({size})));");
                break;
            default:
                WriteForwardNode(w, names, n);
                break;
        }
    }

    private static void WriteDenseInference(IndentedWriter w, ValueNames names, int n, DenseLayer layer)
    {
        var node = names.Plan.Nodes[n];
        var lp = names.Shapes.Layers[node.Layer];
        w.Line($"// {names.Label(n)} = Dense({Literals.Int(layer.Units)}{ActivationText(layer.Activation)})({names.Label(node.A)}): {names.Shape(node.A)} → {names.Shape(n)}");
        w.Line($"DenseKernels.Infer({names.Value(node.A)}, p + {layer.Name}Weights, {(layer.Bias ? $"p + {layer.Name}Bias" : "null")}, {names.Value(n)}, {Rows(names.Shapes.Nodes[n].Size / lp.OutFeatures)}, {Literals.Int(lp.InFeatures)}, {Literals.Int(lp.OutFeatures)}, Activation.{layer.Activation}, {Slope(layer.Name, layer.Activation)});");
    }

    private static void WriteBatchNormInference(IndentedWriter w, ValueNames names, int n, LayerSpec layer)
    {
        var node = names.Plan.Nodes[n];
        int channels = names.Shapes.Layers[node.Layer].InFeatures;
        string spatial = Literals.Int(names.Shapes.Nodes[n].Size / channels);
        string l = layer.Name;
        w.Line($"// {names.Label(n)} = BatchNorm({names.Label(node.A)}) over {Literals.Int(channels)} channels, with the running statistics");
        w.Line($"BatchNormKernels.ForwardEval({names.Value(node.A)}, p + {l}Gamma, p + {l}Beta, _state + {l}RunningMean, _state + {l}RunningVar, {names.Value(n)}, batch, {Literals.Int(channels)}, {spatial}, {l}Epsilon);");
    }
}
