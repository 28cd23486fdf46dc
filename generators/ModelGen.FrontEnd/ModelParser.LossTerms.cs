using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ModelGen.FrontEnd;

/// <summary>Where the loss terms are written: per term, the AddLoss call and its term argument.</summary>
internal sealed class LossTermLocations
{
    public readonly List<(Location Call, Location Term)> Terms = new();
}

// Extra loss terms: AddLoss("kl", term, weight: 0.5f) statements in [Forward], and the per-sample reductions
// Tensor.Sum(x) and Tensor.Mean(x) that make a term of one value per sample.
internal static partial class ModelParser
{
    private sealed partial class GraphBuilder
    {
        /// <summary>The terms added to the loss, in the order written.</summary>
        public readonly List<LossTermSpec> LossTerms = new();

        private static bool IsAddLoss(InvocationExpressionSyntax call) => call.Expression switch
        {
            IdentifierNameSyntax { Identifier.ValueText: "AddLoss" } => true,
            MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax or BaseExpressionSyntax, Name.Identifier.ValueText: "AddLoss" } => true,
            _ => false,
        };

        /// <summary><c>AddLoss("name", term)</c> or <c>AddLoss("name", term, weight)</c>: a named, weighted term of the loss.</summary>
        private void AddLossTerm(InvocationExpressionSyntax call)
        {
            var arguments = call.ArgumentList.Arguments;
            if (arguments.Count is < 2 or > 3)
            {
                Unsupported(call, $"'{Short(call)}' with {arguments.Count} arguments (AddLoss takes a name, a term of one value per sample, and optionally its weight)");
                return;
            }
            var nameArgument = Argument(arguments, "name", 0);
            var termArgument = Argument(arguments, "term", 1);
            var weightArgument = arguments.Count == 3 ? Argument(arguments, "weight", 2) : null;
            if (nameArgument is null || termArgument is null || (arguments.Count == 3 && weightArgument is null))
            {
                Unsupported(call, $"'{Short(call)}': write AddLoss(\"name\", term, weight)");
                return;
            }
            if (nameArgument.Expression is not LiteralExpressionSyntax { RawKind: (int)SyntaxKind.StringLiteralExpression } literal)
            {
                Unsupported(nameArgument, $"the loss-term name '{Short(nameArgument.Expression)}', which is not a string literal");
                return;
            }
            string name = literal.Token.ValueText;
            if (name.Length == 0 || !name.All(c => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '-'))
            {
                Report(Diagnostics.InvalidLossTerm, nameArgument, $"\"{name}\"", "needs a name of letters, digits, '_' or '-' (it names a column of the training history)");
                return;
            }
            if (LossTerms.Any(t => t.Name == name))
            {
                Report(Diagnostics.InvalidLossTerm, nameArgument, $"\"{name}\"", "is added twice; give each term its own name, or add the values first");
                return;
            }
            double weight = 1;
            if (weightArgument is not null)
            {
                if (!TryFloatConstant(weightArgument.Expression, out weight))
                {
                    Unsupported(weightArgument, $"the loss-term weight '{Short(weightArgument.Expression)}', which is not a float constant");
                    return;
                }
                if (!(weight > 0) || double.IsInfinity(weight))
                {
                    Report(Diagnostics.InvalidLossTerm, weightArgument, $"\"{name}\"", $"has weight {((float)weight).ToString("R", CultureInfo.InvariantCulture)}; a weight must be a positive finite number (leave out a term you do not want)");
                    return;
                }
            }
            int term = Expression(termArgument.Expression);
            if (term < 0) return;
            LossTerms.Add(new LossTermSpec(name, term, weight, Written(termArgument.Expression)));
            _locations.LossTerms.Terms.Add((call.GetLocation(), termArgument.GetLocation()));
        }

        private void Report(DiagnosticDescriptor rule, SyntaxNode at, params object[] args)
        {
            _diagnostics.Add(Diagnostic.Create(rule, at.GetLocation(), args));
            Failed = true;
        }

        /// <summary>The argument named <paramref name="name"/>, or else the one at <paramref name="position"/> when it has no name.</summary>
        private static ArgumentSyntax? Argument(SeparatedSyntaxList<ArgumentSyntax> arguments, string name, int position)
        {
            var named = arguments.FirstOrDefault(a => a.NameColon?.Name.Identifier.ValueText == name);
            if (named is not null) return named;
            return position < arguments.Count && arguments[position].NameColon is null ? arguments[position] : null;
        }

        /// <summary><c>Tensor.Sum(x)</c> or <c>Tensor.Mean(x)</c>: one value per sample.</summary>
        private int Reduction(InvocationExpressionSyntax call, string method)
        {
            var arguments = call.ArgumentList.Arguments;
            if (arguments.Count != 1)
                return UnsupportedResult(call, $"'{Short(call)}' with {arguments.Count} arguments (Tensor.{method} takes one tensor and reduces each sample to one value)");
            if (TryFloatConstant(arguments[0].Expression, out _))
                return UnsupportedResult(arguments[0], $"Tensor.{method} of the constant '{Short(arguments[0].Expression)}'; it applies to a tensor");
            int a = Expression(arguments[0].Expression);
            if (a < 0) return -1;
            return Add(new GraphNode(method == "Sum" ? NodeKind.Sum : NodeKind.Mean, -1, a, -1, NextLabel(method.ToLowerInvariant()), Text: Written(call)), call.GetLocation());
        }
    }
}
