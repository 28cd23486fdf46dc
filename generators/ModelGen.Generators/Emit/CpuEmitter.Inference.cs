using System.Collections.Generic;
using System.Linq;
using ModelGen.FrontEnd;

namespace ModelGen.Generators.Emit;

// The inference graph: the layers with the options that decide what they compute at inference, every value with its
// per-sample shape, and the named outputs. The runtime renders it as ONNX (src/ModelGen/Export); the tensors come from
// the model file's table, so sizes those tensors state are not repeated here.
internal static partial class CpuEmitter
{
    private static void WriteInferenceGraph(IndentedWriter w, ValueNames names)
    {
        var spec = names.Spec;
        var plan = names.Shapes;
        w.Line("/// <summary>");
        w.Line("/// The inference computation ExportOnnx renders: the layers with their options, every value with its per-sample shape,");
        w.Line("/// and the named outputs.");
        w.Line("/// </summary>");
        w.Line("public override InferenceGraph InferenceGraph => Inference;");
        w.Line();
        w.Line("private static readonly InferenceGraph Inference = new(");
        w.Indent();
        w.Line("layers: new InferenceLayer[]");
        w.OpenBrace();
        foreach (var layer in spec.Layers)
        {
            var options = InferenceOptions(layer);
            w.Line($"new({Literals.String(layer.DisplayName)}, LayerType.{layer.Kind}){(options.Count == 0 ? "" : " { " + string.Join(", ", options) + " }")},");
        }
        w.CloseBrace(",");
        w.Line("nodes: new InferenceNode[]");
        w.OpenBrace();
        for (int n = 0; n < spec.Graph.Nodes.Count; n++)
        {
            var node = spec.Graph.Nodes[n];
            var shape = plan.Nodes[n].Shape;
            string op, name = Literals.String(names.Label(n)), layer = "-1";
            int[] inputs;
            switch (node.Kind)
            {
                case NodeKind.Input:
                    op = spec.Inputs.Count == 0 ? "Input" : "PackedInputs";
                    inputs = new int[0];
                    break;
                case NodeKind.NamedInput:
                    op = "Input";
                    name = Literals.String(spec.Inputs[node.Layer].Name);
                    inputs = new int[0];   // exported as an input of its own, not as a slice of the packed row
                    break;
                case NodeKind.Layer:
                    op = "Layer";
                    layer = Literals.Int(node.Layer);
                    inputs = node.B >= 0 ? new[] { node.A, node.B } : new[] { node.A };
                    break;
                case NodeKind.Add:
                case NodeKind.Multiply:
                case NodeKind.Subtract:
                    op = node.Kind.ToString();
                    inputs = new[] { node.A, node.B };
                    break;
                case NodeKind.Map:
                    op = "Elementwise";
                    inputs = new[] { node.A };
                    break;
                case NodeKind.RandomNormal:
                    op = "ZerosLike";   // inference takes the noise's mean
                    inputs = new[] { node.A };
                    break;
                case NodeKind.Sum:
                case NodeKind.Mean:
                    op = node.Kind.ToString();
                    inputs = new[] { node.A };
                    break;
                default:
                    op = "Concat";
                    inputs = node.Parts.ToArray();
                    break;
            }
            var extras = new List<string>();
            if (node.Kind == NodeKind.Concat) extras.Add($"Axis = {Literals.Int(node.Axis < 0 ? shape.Count + node.Axis : node.Axis)}");
            if (plan.Nodes[n].Masked) extras.Add("VariableLength = true");
            if (node.Kind == NodeKind.Map)
            {
                extras.Add($"Function = ElementwiseFunction.{node.Function}");
                if (node.First != 0) extras.Add($"First = {Literals.Float(node.First)}");
                if (node.Second != 0) extras.Add($"Second = {Literals.Float(node.Second)}");
            }
            w.Line($"new(InferenceOp.{op}, {name}, {layer}, {IntArray(inputs)}, {IntArray(shape)}){(extras.Count == 0 ? "" : " { " + string.Join(", ", extras) + " }")},");
        }
        w.CloseBrace(",");
        var outputs = spec.Graph.AllOutputs;
        var outputNames = spec.Graph.OutputNames.Count > 0 ? spec.Graph.OutputNames.ToArray() : new[] { "output" };
        w.Line($"outputs: {IntArray(outputs)},");
        w.Line($"outputNames: new[] {{ {string.Join(", ", outputNames.Select(Literals.String))} }});");
        w.Outdent();
        w.Line();
    }

    private static string IntArray(IEnumerable<int> values)
    {
        var list = values.ToList();
        return list.Count == 0 ? "Array.Empty<int>()" : $"new[] {{ {string.Join(", ", list.Select(Literals.Int))} }}";
    }

    /// <summary>
    /// The options of a layer that change what it computes at inference, as object-initializer assignments (defaults left
    /// out). Layers whose inference the tensors and shapes fix alone have none.
    /// </summary>
    private static List<string> InferenceOptions(LayerSpec layer) => layer.Kind switch
    {
        LayerKind.Dense => ActivationOptions(((DenseLayer)layer).Activation, ((DenseLayer)layer).NegativeSlope),
        LayerKind.Conv2d or LayerKind.Conv1d => ActivationOptions(((ConvLayer)layer).Activation, ((ConvLayer)layer).NegativeSlope)
            .Concat(WindowOptions(((ConvLayer)layer).Window, pool: false)).ToList(),
        LayerKind.MaxPool2d or LayerKind.AvgPool2d => WindowOptions(((PoolLayer)layer).Window, pool: true),
        LayerKind.LayerNorm or LayerKind.BatchNorm => new List<string> { $"Epsilon = {Literals.FromFloat(((NormLayer)layer).Epsilon)}" },
        LayerKind.GroupNorm => new List<string>
        {
            $"Groups = {Literals.Int(((GroupNormLayer)layer).Groups)}",
            $"Epsilon = {Literals.FromFloat(((GroupNormLayer)layer).Epsilon)}",
        },
        LayerKind.LSTM or LayerKind.GRU => ((RecurrentLayer)layer).ReturnSequences ? new List<string> { "ReturnSequences = true" } : new List<string>(),
        LayerKind.MultiHeadAttention => ((AttentionLayer)layer).Causal
            ? new List<string> { $"Heads = {Literals.Int(((AttentionLayer)layer).Heads)}", "Causal = true" }
            : new List<string> { $"Heads = {Literals.Int(((AttentionLayer)layer).Heads)}" },
        LayerKind.CrossAttention => new List<string> { $"Heads = {Literals.Int(((CrossAttentionLayer)layer).Heads)}" },
        // Sizes come from the tensors (Embedding, PositionalEmbedding) or the value shapes (Reshape); Dropout passes its input on.
        LayerKind.Flatten or LayerKind.GlobalAvgPool or LayerKind.Dropout or LayerKind.Reshape or LayerKind.Embedding or LayerKind.PositionalEmbedding
            => new List<string>(),
        LayerKind.ConvTranspose2d or LayerKind.Upsample => UpsamplingInferenceOptions(layer),
    };

    private static List<string> ActivationOptions(ActivationKind activation, double slope)
    {
        var options = new List<string>();
        if (activation == ActivationKind.None) return options;
        options.Add($"Activation = Activation.{activation}");
        if (activation == ActivationKind.LeakyReLU) options.Add($"NegativeSlope = {Literals.Float(slope)}");
        return options;
    }

    private static List<string> WindowOptions(SpatialSpec window, bool pool)
    {
        var options = new List<string>();
        var (before, after) = window.PaddingSides;
        if (pool) options.Add($"Kernel = {Literals.Int(window.Kernel)}");
        if (window.Stride != 1) options.Add($"Stride = {Literals.Int(window.Stride)}");
        if (before != 0) options.Add($"PaddingBefore = {Literals.Int(before)}");
        if (after != 0) options.Add($"PaddingAfter = {Literals.Int(after)}");
        if (window.Dilation != 1) options.Add($"Dilation = {Literals.Int(window.Dilation)}");
        if (window.Groups != 1) options.Add($"Groups = {Literals.Int(window.Groups)}");
        return options;
    }
}
