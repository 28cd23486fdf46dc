using System;
using System.Collections.Generic;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ModelGen.FrontEnd;

// Arithmetic in [Forward]: float constants with a tensor on either side (one Affine node, scale·x + shift), a - b of
// two tensors, unary minus, and the element-wise Tensor functions (Tensor.Exp, Tensor.Clamp, Tensor.Sigmoid, …).
internal static partial class ModelParser
{
    private sealed partial class GraphBuilder
    {
        private readonly Dictionary<string, int> _labelCounts = new();

        /// <summary>Locals that hold a float constant (<c>var beta = 0.5f;</c>, <c>const float Low = -1f;</c>), by name.</summary>
        private readonly Dictionary<string, double> _constants = new();

        /// <summary>Reads <c>var name = constant;</c> as a named constant; false when the initializer is not a float constant.</summary>
        private bool TryDeclareConstant(string name, ExpressionSyntax initializer)
        {
            if (!TryFloatConstant(initializer, out double value)) return false;
            _constants[name] = value;
            _values.Remove(name);
            return true;
        }

        /// <summary>"exp_1", "exp_2", …: a label per operation kind, numbered in order.</summary>
        private string NextLabel(string kind)
        {
            _labelCounts.TryGetValue(kind, out int count);
            _labelCounts[kind] = ++count;
            return kind + "_" + count.ToString(CultureInfo.InvariantCulture);
        }

        /// <summary>
        /// A float constant as written: a numeric literal or a local declared with one, possibly signed or parenthesised.
        /// Fields and other named constants are not read (the graph is read from syntax alone).
        /// </summary>
        private bool TryFloatConstant(ExpressionSyntax e, out double value)
        {
            switch (e)
            {
                case IdentifierNameSyntax id when _constants.TryGetValue(id.Identifier.ValueText, out value):
                    return true;
                case ParenthesizedExpressionSyntax p:
                    return TryFloatConstant(p.Expression, out value);
                case LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NumericLiteralExpression } literal:
                    value = Convert.ToDouble(literal.Token.Value, CultureInfo.InvariantCulture);
                    return true;
                case PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.UnaryMinusExpression } minus when TryFloatConstant(minus.Operand, out double m):
                    value = -m;
                    return true;
                case PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.UnaryPlusExpression } plus:
                    return TryFloatConstant(plus.Operand, out value);
                // Arithmetic of constants folds (weight: 1f / 64).
                case BinaryExpressionSyntax binary when TryFloatConstant(binary.Left, out double l) && TryFloatConstant(binary.Right, out double r):
                    value = binary.Kind() switch
                    {
                        SyntaxKind.AddExpression => l + r,
                        SyntaxKind.SubtractExpression => l - r,
                        SyntaxKind.MultiplyExpression => l * r,
                        SyntaxKind.DivideExpression when r != 0 => l / r,
                        _ => double.NaN,
                    };
                    return !double.IsNaN(value);
                default:
                    value = 0;
                    return false;
            }
        }

        private int Affine(ExpressionSyntax tensor, double scale, double shift, string kind, SyntaxNode written)
        {
            int a = Expression(tensor);
            if (a < 0) return -1;
            return Add(new GraphNode(NodeKind.Map, -1, a, -1, NextLabel(kind), Text: Written(written), Function: ElementFunction.Affine, First: scale, Second: shift), written.GetLocation());
        }

        /// <summary>
        /// The arithmetic forms: <paramref name="binary"/> with a float constant on one side or '-' of two tensors.
        /// Returns null when it is '+' or '*' of two tensors (the caller's Add and Multiply nodes).
        /// </summary>
        private int? Arithmetic(BinaryExpressionSyntax binary)
        {
            bool leftConstant = TryFloatConstant(binary.Left, out double left);
            bool rightConstant = TryFloatConstant(binary.Right, out double right);
            string op = binary.OperatorToken.Text;
            if (leftConstant && rightConstant)
            {
                Unsupported(binary, $"'{Short(binary)}', which has no tensor in it; compute constants outside [Forward] or write the number");
                return -1;
            }
            switch (binary.Kind())
            {
                case SyntaxKind.MultiplyExpression when leftConstant:
                    return Affine(binary.Right, left, 0, "scale", binary);
                case SyntaxKind.MultiplyExpression when rightConstant:
                    return Affine(binary.Left, right, 0, "scale", binary);
                case SyntaxKind.AddExpression when leftConstant:
                    return Affine(binary.Right, 1, left, "shift", binary);
                case SyntaxKind.AddExpression when rightConstant:
                    return Affine(binary.Left, 1, right, "shift", binary);
                case SyntaxKind.SubtractExpression when leftConstant:
                    return Affine(binary.Right, -1, left, "shift", binary);
                case SyntaxKind.SubtractExpression when rightConstant:
                    return Affine(binary.Left, 1, -right, "shift", binary);
                case SyntaxKind.DivideExpression when rightConstant:
                    if (right == 0)
                    {
                        Unsupported(binary.Right, $"the division '{Short(binary)}' by zero");
                        return -1;
                    }
                    return Affine(binary.Left, 1 / right, 0, "scale", binary);
                case SyntaxKind.DivideExpression:
                    Unsupported(binary, $"the division '{Short(binary)}' by a tensor; divide by a float constant, or multiply by a value the model computes");
                    return -1;
                case SyntaxKind.SubtractExpression:
                {
                    int a = Expression(binary.Left);
                    int b = Expression(binary.Right);
                    if (a < 0 || b < 0) return -1;
                    return Add(new GraphNode(NodeKind.Subtract, -1, a, b, NextLabel("subtract"), Text: Written(binary)), binary.GetLocation());
                }
                case SyntaxKind.AddExpression or SyntaxKind.MultiplyExpression:
                    return null;
                default:
                    Unsupported(binary, $"the operator '{op}' in '{Short(binary)}'");
                    return -1;
            }
        }

        /// <summary>Unary minus of a tensor: scale −1; a signed constant where a tensor is expected is reported.</summary>
        private int Unary(PrefixUnaryExpressionSyntax unary)
        {
            if (TryFloatConstant(unary, out _))
            {
                Unsupported(unary, $"the constant '{Short(unary)}' where a tensor is expected");
                return -1;
            }
            return unary.Kind() switch
            {
                SyntaxKind.UnaryMinusExpression => Affine(unary.Operand, -1, 0, "negate", unary),
                SyntaxKind.UnaryPlusExpression => Expression(unary.Operand),
                _ => UnsupportedResult(unary, $"the operator '{unary.OperatorToken.Text}' in '{Short(unary)}'"),
            };
        }

        private int UnsupportedResult(SyntaxNode node, string what)
        {
            Unsupported(node, what);
            return -1;
        }

        /// <summary>The name of a <c>Tensor.Name(…)</c> call (with or without <c>ModelGen.</c> or <c>global::</c>); null for any other call.</summary>
        private static string? TensorMethod(InvocationExpressionSyntax call) =>
            call.Expression is MemberAccessExpressionSyntax { Name: IdentifierNameSyntax name } access
            && access.Expression.ToString().Replace("global::", "") is "Tensor" or "ModelGen.Tensor"
                ? name.Identifier.ValueText
                : null;

        /// <summary>The functions of one tensor that <c>Tensor</c> offers, with the number of float constants each takes after it.</summary>
        private static readonly Dictionary<string, (ElementFunction Function, int Constants, double DefaultFirst)> TensorFunctions = new()
        {
            ["Exp"] = (ElementFunction.Exp, 0, 0),
            ["Log"] = (ElementFunction.Log, 0, 0),
            ["Sqrt"] = (ElementFunction.Sqrt, 0, 0),
            ["Square"] = (ElementFunction.Square, 0, 0),
            ["Abs"] = (ElementFunction.Abs, 0, 0),
            ["Clamp"] = (ElementFunction.Clamp, 2, 0),
            ["ReLU"] = (ElementFunction.ReLU, 0, 0),
            ["LeakyReLU"] = (ElementFunction.LeakyReLU, 1, 0.01),
            ["GELU"] = (ElementFunction.GELU, 0, 0),
            ["GELUExact"] = (ElementFunction.GELUExact, 0, 0),
            ["SiLU"] = (ElementFunction.SiLU, 0, 0),
            ["Sigmoid"] = (ElementFunction.Sigmoid, 0, 0),
            ["Tanh"] = (ElementFunction.Tanh, 0, 0),
        };

        /// <summary><c>Tensor.Exp(x)</c>, <c>Tensor.Clamp(x, lo, hi)</c>, <c>Tensor.LeakyReLU(x, slope)</c>, …; -1 after a diagnostic.</summary>
        private int TensorFunction(InvocationExpressionSyntax call, string method)
        {
            if (method == "RandomNormal") return RandomNormal(call);
            if (method is "Sum" or "Mean") return Reduction(call, method);
            if (!TensorFunctions.TryGetValue(method, out var function))
                return UnsupportedResult(call, $"'Tensor.{method}', which is not one of its Tensor functions (Exp, Log, Sqrt, Square, Abs, Clamp, Sum, Mean, RandomNormal, Concat and the activations)");
            var arguments = call.ArgumentList.Arguments;
            int optional = function.Function == ElementFunction.LeakyReLU ? 1 : 0;
            if (arguments.Count < 1 + function.Constants - optional || arguments.Count > 1 + function.Constants)
                return UnsupportedResult(call, $"'{Short(call)}' with {arguments.Count} arguments (Tensor.{method} takes {TensorFunctionForm(method, function.Constants)})");
            var constants = new double[] { function.DefaultFirst, 0 };
            for (int i = 1; i < arguments.Count; i++)
                if (!TryFloatConstant(arguments[i].Expression, out constants[i - 1]))
                    return UnsupportedResult(arguments[i], $"'{Short(arguments[i].Expression)}' as an argument of Tensor.{method}, which takes a float constant there");
            if (function.Function == ElementFunction.Clamp && !(constants[0] <= constants[1]))
                return UnsupportedResult(call, $"'{Short(call)}', whose lower bound is above its upper bound");
            if (TryFloatConstant(arguments[0].Expression, out _))
                return UnsupportedResult(arguments[0], $"Tensor.{method} of the constant '{Short(arguments[0].Expression)}'; it applies to a tensor (compute constants outside [Forward])");
            int a = Expression(arguments[0].Expression);
            if (a < 0) return -1;
            return Add(new GraphNode(NodeKind.Map, -1, a, -1, NextLabel(method.ToLowerInvariant()), Text: Written(call),
                Function: function.Function, First: constants[0], Second: constants[1]), call.GetLocation());
        }

        /// <summary><c>Tensor.RandomNormal(like: value)</c>: noise of the value's shape (its seed is Fit's, not written here).</summary>
        private int RandomNormal(InvocationExpressionSyntax call)
        {
            var arguments = call.ArgumentList.Arguments;
            if (arguments.Count == 2)
                return UnsupportedResult(arguments[1], $"a seed for '{Short(call)}': while training the noise is drawn from the seed given to Fit, and at inference it is zero; write Tensor.RandomNormal(like: value)");
            if (arguments.Count != 1)
                return UnsupportedResult(call, $"'{Short(call)}' with {arguments.Count} arguments (Tensor.RandomNormal takes the value whose shape the noise has: Tensor.RandomNormal(like: value))");
            if (TryFloatConstant(arguments[0].Expression, out _))
                return UnsupportedResult(arguments[0], $"Tensor.RandomNormal like the constant '{Short(arguments[0].Expression)}'; it takes the value whose shape the noise has");
            int like = Expression(arguments[0].Expression);
            if (like < 0) return -1;
            return Add(new GraphNode(NodeKind.RandomNormal, -1, like, -1, NextLabel("noise"), Text: Written(call)), call.GetLocation());
        }

        private static string TensorFunctionForm(string method, int constants) => method switch
        {
            "Clamp" => "a tensor and two float constants: Tensor.Clamp(x, low, high)",
            "LeakyReLU" => "a tensor and optionally the slope: Tensor.LeakyReLU(x, 0.01f)",
            _ => constants == 0 ? $"one tensor: Tensor.{method}(x)" : "",
        };
    }
}
