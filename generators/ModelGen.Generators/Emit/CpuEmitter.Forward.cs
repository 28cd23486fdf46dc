using System;
using ModelGen.FrontEnd;

namespace ModelGen.Generators.Emit;

// RunForward: every live node in graph order, one kernel call (or a few) each. The layer families with files of their
// own (Recurrent, Sequence, Graph) write their nodes there; the dispatch over LayerKind has no default arm.
internal static partial class CpuEmitter
{
    private static void WriteForward(IndentedWriter w, ValueNames names)
    {
        var nodes = names.Plan.Nodes;
        using (w.Block(names.Plan.HasTrainingMode ? "private void RunForward(T* p, T* input, int batch, bool training)" : "private void RunForward(T* p, T* input, int batch)"))
        {
            bool first = true;
            for (int n = 1; n < nodes.Count; n++)
            {
                if (!names.Shapes.Nodes[n].Live) continue;
                if (!first) w.Line();
                first = false;
                WriteForwardNode(w, names, n);
            }
            WritePackOutputs(w, names.Spec, names.Shapes, names);
        }
    }

    /// <summary>One node of RunForward (WriteForward and the encoder pass of Generate both write it).</summary>
    private static void WriteForwardNode(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        switch (node.Kind)
        {
            case NodeKind.Layer:
                LayerForward(names.Spec.Layers[node.Layer].Kind)(w, names, n);
                break;
            case NodeKind.Add:
                w.Line($"// {names.Label(n)} = {names.Label(node.A)} + {names.Label(node.B)}: {names.Shape(n)}");
                w.Line($"ElementwiseKernels.Add({names.Value(node.A)}, {names.Value(node.B)}, {names.Value(n)}, {names.Count(n)});");
                break;
            case NodeKind.Multiply:
                w.Line($"// {names.Label(n)} = {names.Label(node.A)} * {names.Label(node.B)}: {names.Shape(n)}");
                w.Line($"ElementwiseKernels.Multiply({names.Value(node.A)}, {names.Value(node.B)}, {names.Value(n)}, {names.Count(n)});");
                break;
            case NodeKind.NamedInput:
            case NodeKind.Concat:
                WriteGraphNodeForward(w, names, n);
                break;
            case NodeKind.Subtract:
            case NodeKind.Map:
            case NodeKind.RandomNormal:
                WriteArithmeticForward(w, names, n);
                break;
            case NodeKind.Sum:
            case NodeKind.Mean:
                WriteReductionForward(w, names, n);
                break;
        }
    }

    /// <summary>The forward writer of a layer call of <paramref name="kind"/>.</summary>
    private static Action<IndentedWriter, ValueNames, int> LayerForward(LayerKind kind) => kind switch
    {
        LayerKind.Dense => WriteDenseForward,
        LayerKind.Conv2d => WriteConv2dForward,
        LayerKind.MaxPool2d or LayerKind.AvgPool2d => WritePoolForward,
        LayerKind.GlobalAvgPool => WriteGlobalAvgPoolForward,
        LayerKind.LayerNorm => WriteLayerNormForward,
        LayerKind.BatchNorm => WriteBatchNormForward,
        LayerKind.Dropout => WriteDropoutForward,
        LayerKind.Flatten or LayerKind.Reshape => WriteViewForward,
        LayerKind.Conv1d => WriteConv1dForward,
        LayerKind.GroupNorm => WriteGroupNormForward,
        LayerKind.LSTM or LayerKind.GRU => WriteRecurrentForward,
        LayerKind.Embedding => WriteEmbeddingForward,
        LayerKind.PositionalEmbedding => WritePositionalEmbeddingForward,
        LayerKind.MultiHeadAttention => WriteAttentionForward,
        LayerKind.CrossAttention => WriteCrossAttentionForward,
        LayerKind.ConvTranspose2d => WriteConvTransposeForward,
        LayerKind.Upsample => WriteUpsampleForward,
    };

    private static void WriteDenseForward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = (DenseLayer)names.Spec.Layers[node.Layer];
        var lp = names.Shapes.Layers[node.Layer];
        w.Line($"// {names.Label(n)} = Dense({Literals.Int(layer.Units)}{ActivationText(layer.Activation)})({names.Label(node.A)}): {names.Shape(node.A)} → {names.Shape(n)}");
        string pre = names.HasPre(n) ? names.Pre(n) : names.Value(n);
        w.Line($"DenseKernels.Forward({names.Value(node.A)}, p + {layer.Name}Weights, {(layer.Bias ? $"p + {layer.Name}Bias" : "null")}, {pre}, {names.Value(n)}, {Rows(names.Shapes.Nodes[n].Size / lp.OutFeatures)}, {Literals.Int(lp.InFeatures)}, {Literals.Int(lp.OutFeatures)}, Activation.{layer.Activation}, {Slope(layer.Name, layer.Activation)});");
    }

    private static void WriteConv2dForward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = (ConvLayer)names.Spec.Layers[node.Layer];
        w.Line($"// {names.Label(n)} = Conv2d({Literals.Int(layer.Filters)}@{Literals.Int(layer.Window.Kernel)}×{Literals.Int(layer.Window.Kernel)}{ActivationText(layer.Activation)})({names.Label(node.A)}): {names.Shape(node.A)} → {names.Shape(n)}");
        string pre = names.HasPre(n) ? names.Pre(n) : names.Value(n);
        w.Line($"ConvKernels.Forward({ShapeName(names, n)}(batch), {names.Value(node.A)}, p + {layer.Name}Weights, {(layer.Bias ? $"p + {layer.Name}Bias" : "null")}, {pre}, _convWorkspace);");
        if (layer.Activation != ActivationKind.None)
            w.Line($"ActivationKernels.Forward(Activation.{layer.Activation}, {pre}, {names.Value(n)}, {names.Count(n)}, {Slope(layer.Name, layer.Activation)});");
    }

    private static void WritePoolForward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = (PoolLayer)names.Spec.Layers[node.Layer];
        w.Line($"// {names.Label(n)} = {layer.Kind}({Literals.Int(layer.Window.Kernel)}×{Literals.Int(layer.Window.Kernel)})({names.Label(node.A)}): {names.Shape(node.A)} → {names.Shape(n)}");
        w.Line(layer.Kind == LayerKind.MaxPool2d
            ? $"PoolingKernels.MaxForward({ShapeName(names, n)}(batch), {names.Value(node.A)}, {names.Value(n)}, _{names.Label(n)}Winners);"
            : $"PoolingKernels.AvgForward({ShapeName(names, n)}(batch), {names.Value(node.A)}, {names.Value(n)}, countIncludePad: true);");
    }

    private static void WriteGlobalAvgPoolForward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var input = names.Shapes.Nodes[node.A].Shape;
        w.Line($"// {names.Label(n)} = GlobalAvgPool({names.Label(node.A)}): {names.Shape(node.A)} → {names.Shape(n)}");
        w.Line($"PoolingKernels.GlobalAvgForward({names.Value(node.A)}, {names.Value(n)}, batch, {Literals.Int(input[0])}, {Literals.Int(input[1] * input[2])});");
    }

    private static void WriteLayerNormForward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = names.Spec.Layers[node.Layer];
        int features = names.Shapes.Layers[node.Layer].InFeatures;
        w.Line($"// {names.Label(n)} = LayerNorm({names.Label(node.A)}) over the last {Literals.Int(features)}: {names.Shape(n)}");
        w.Line($"LayerNormKernels.Forward({names.Value(node.A)}, p + {layer.Name}Gamma, p + {layer.Name}Beta, {names.Value(n)}, _{names.Label(n)}Mean, _{names.Label(n)}InvStd, batch * {Literals.Int(names.Shapes.Nodes[n].Size / features)}, {Literals.Int(features)}, {layer.Name}Epsilon);");
    }

    private static void WriteBatchNormForward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = names.Spec.Layers[node.Layer];
        int channels = names.Shapes.Layers[node.Layer].InFeatures;
        string spatial = Literals.Int(names.Shapes.Nodes[n].Size / channels);
        string x = names.Value(node.A), y = names.Value(n), l = layer.Name;
        w.Line($"// {names.Label(n)} = BatchNorm({names.Label(node.A)}) over {Literals.Int(channels)} channels: batch statistics while training (updating the running ones), running statistics otherwise");
        w.Line($"if (training) BatchNormKernels.ForwardTrain({x}, p + {l}Gamma, p + {l}Beta, _state + {l}RunningMean, _state + {l}RunningVar, {y}, _{names.Label(n)}Mean, _{names.Label(n)}InvStd, batch, {Literals.Int(channels)}, {spatial}, {l}Momentum, {l}Epsilon);");
        w.Line($"else BatchNormKernels.ForwardEval({x}, p + {l}Gamma, p + {l}Beta, _state + {l}RunningMean, _state + {l}RunningVar, {y}, batch, {Literals.Int(channels)}, {spatial}, {l}Epsilon);");
    }

    private static void WriteDropoutForward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        var layer = (DropoutLayer)names.Spec.Layers[node.Layer];
        string size = names.Count(n);
        w.Line($"// {names.Label(n)} = Dropout({Literals.FromFloat(layer.Rate)})({names.Label(node.A)}): masks while training, a copy otherwise");
        w.Line($"if (training) DropoutKernels.Forward({names.Value(node.A)}, {names.Value(n)}, _{names.Label(n)}Mask, {size}, {Literals.FromFloat(layer.Rate)}, ref DropoutRng);");
        w.Line($"else new ReadOnlySpan<T>({names.Value(node.A)}, (int)({size})).CopyTo(new Span<T>({names.Value(n)}, (int)({size})));");
    }

    /// <summary>Flatten and Reshape own no memory: their value is their input's, seen with another shape.</summary>
    private static void WriteViewForward(IndentedWriter w, ValueNames names, int n)
    {
        var node = names.Plan.Nodes[n];
        w.Line($"// {names.Label(n)} = {names.Spec.Layers[node.Layer].Kind}({names.Label(node.A)}): {names.Shape(node.A)} → {names.Shape(n)}, a view of the same memory");
    }
}
