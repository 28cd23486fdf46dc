using System;

namespace ModelGen.Export;

// The element-wise functions of [Forward] as ONNX operators (opset 17).
internal sealed partial class OnnxExporter
{
    /// <summary>Tensor.Sum and Tensor.Mean: [batch, …] flattened to [batch, n], reduced over the second axis to [batch, 1].</summary>
    private string PerSampleReduction(InferenceNode node)
    {
        string flat = _onnx.Node("Flatten", node.Name + "/flat", new[] { Value(node, 0) }, OnnxAttribute.Of("axis", 1L));
        return node.Op == InferenceOp.Sum
            ? _onnx.Node("ReduceSum", node.Name, new[] { flat, _onnx.Int64s(1) }, OnnxAttribute.Of("keepdims", 1L))
            : _onnx.Node("ReduceMean", node.Name, new[] { flat }, OnnxAttribute.Of("axes", new[] { 1L }), OnnxAttribute.Of("keepdims", 1L));
    }

    private string Elementwise(InferenceNode node)
    {
        string x = Value(node, 0), hint = node.Name;
        switch (node.Function)
        {
            case ElementwiseFunction.Affine:
            {
                // scale·x + shift, leaving out a factor of 1 and a term of 0 (as exact as the generated code).
                string scaled = node.First == 1f ? x : _onnx.Node("Mul", node.Second == 0f ? hint : hint + "/scaled", new[] { x, _onnx.Scalar(node.First) });
                if (node.Second == 0f) return node.First == 1f ? _onnx.Node("Identity", hint, new[] { x }) : scaled;
                return _onnx.Node("Add", hint, new[] { scaled, _onnx.Scalar(node.Second) });
            }
            case ElementwiseFunction.Exp: return _onnx.Node("Exp", hint, new[] { x });
            case ElementwiseFunction.Log: return _onnx.Node("Log", hint, new[] { x });
            case ElementwiseFunction.Sqrt: return _onnx.Node("Sqrt", hint, new[] { x });
            case ElementwiseFunction.Square: return _onnx.Node("Mul", hint, new[] { x, x });
            case ElementwiseFunction.Abs: return _onnx.Node("Abs", hint, new[] { x });
            case ElementwiseFunction.Clamp: return _onnx.Node("Clip", hint, new[] { x, _onnx.Scalar(node.First), _onnx.Scalar(node.Second) });
            case ElementwiseFunction.ReLU: return _onnx.Node("Relu", hint, new[] { x });
            case ElementwiseFunction.LeakyReLU: return _onnx.Node("LeakyRelu", hint, new[] { x }, OnnxAttribute.Of("alpha", node.First));
            case ElementwiseFunction.Sigmoid: return _onnx.Node("Sigmoid", hint, new[] { x });
            case ElementwiseFunction.Tanh: return _onnx.Node("Tanh", hint, new[] { x });
            case ElementwiseFunction.SiLU: return _onnx.Node("Mul", hint, new[] { x, _onnx.Node("Sigmoid", hint + "/sigmoid", new[] { x }) });
            case ElementwiseFunction.GELU: return Gelu(x, hint, exact: false);
            case ElementwiseFunction.GELUExact: return Gelu(x, hint, exact: true);
            default:
                throw new NotSupportedException($"{ModelName}: node '{node.Name}' applies a function ({node.Function}) this version cannot export.");
        }
    }
}
