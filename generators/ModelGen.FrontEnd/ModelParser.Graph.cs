using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ModelGen.FrontEnd;

/// <summary>Where the graph declarations are written: [Input] and [Head] attributes, the returned tuple.</summary>
internal sealed class GraphLocations
{
    /// <summary>Per [Input], in declaration order: the attribute, and its name argument.</summary>
    public readonly List<(Location Attribute, Location Name)> Inputs = new();
    /// <summary>Per [Head] as declared (before matching to outputs): the attribute, and its name argument.</summary>
    public readonly List<(Location Attribute, Location Name)> Heads = new();
    /// <summary>Per parsed head (after matching: in output order), the attribute.</summary>
    public readonly List<Location> MatchedHeads = new();
    /// <summary>The expression [Forward] returns.</summary>
    public Location? Return;
}

// Several inputs ([Input] + [Forward] parameters), Tensor.Concat, and several outputs ([Head] or a contrastive pair).
internal static partial class ModelParser
{
    public const string InputAttributeName = "ModelGen.InputAttribute";
    public const string HeadAttributeName = "ModelGen.HeadAttribute";

    /// <summary>[Input] and [Head] attributes on the model class, in declaration order, with their argument checks.</summary>
    private static (List<InputSpec> Inputs, List<HeadSpec> Heads) ParseGraphAttributes(INamedTypeSymbol type, List<Diagnostic> diagnostics, ModelLocations locations, CancellationToken cancellationToken)
    {
        var inputs = new List<InputSpec>();
        var heads = new List<HeadSpec>();
        foreach (var attribute in type.GetAttributes())
        {
            string? name = attribute.AttributeClass?.ToDisplayString();
            if (name != InputAttributeName && name != HeadAttributeName) continue;
            // An attribute the compiler could not bind is the compiler's to report.
            if (attribute.AttributeConstructor is null || attribute.ConstructorArguments.Length < 2) continue;
            var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
            var attributeLocation = syntax?.GetLocation() ?? locations.Model;
            var nameLocation = syntax?.ArgumentList?.Arguments.FirstOrDefault()?.GetLocation() ?? attributeLocation;
            string label = attribute.ConstructorArguments[0].Value as string ?? "";
            if (name == InputAttributeName)
            {
                var shape = new List<int>();
                var shapeArgument = attribute.ConstructorArguments[1];
                if (shapeArgument.Kind == TypedConstantKind.Array && !shapeArgument.IsNull)
                    foreach (var v in shapeArgument.Values)
                        if (v.Value is int d) shape.Add(d);
                if (inputs.Any(i => i.Name == label))
                {
                    diagnostics.Add(Diagnostic.Create(Diagnostics.InputDoesNotMatchForward, nameLocation, InputSubject(label), "is declared twice; declare each input once"));
                    continue;
                }
                inputs.Add(new InputSpec(label, shape.ToEquatableArray()));
                locations.Graph.Inputs.Add((attributeLocation, nameLocation));
            }
            else
            {
                var loss = attribute.ConstructorArguments[1].Value is int l ? (LossKind)l : LossKind.SoftmaxCrossEntropy;
                var named = Named(attribute);
                double weight = named.TryGetValue("Weight", out var w) && w.Value is float wf ? wf : 1;
                double posWeight = named.TryGetValue("PosWeight", out var pw) && pw.Value is float pwf ? pwf : 1;
                double huberDelta = named.TryGetValue("HuberDelta", out var hd) && hd.Value is float hdf ? hdf : 1;
                Location Argument(string argument) => syntax?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == argument)?.GetLocation() ?? attributeLocation;
                string subject = $"Head '{label}'";
                string I(double v) => v.ToString(CultureInfo.InvariantCulture);
                if (loss is < LossKind.SoftmaxCrossEntropy or > LossKind.Contrastive)
                    diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, syntax?.ArgumentList?.Arguments.ElementAtOrDefault(1)?.GetLocation() ?? attributeLocation, subject, $"loss {(int)loss} is not a ModelGen.Loss value"));
                else if (loss == LossKind.Contrastive)
                    diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, syntax?.ArgumentList?.Arguments.ElementAtOrDefault(1)?.GetLocation() ?? attributeLocation, subject,
                        "Loss.Contrastive compares two outputs, so it is no head's loss; set it on [Model] and return the pair of embeddings"));
                if (!(weight > 0) || double.IsInfinity(weight))
                    diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, Argument("Weight"), subject, $"Weight = {I(weight)} must be a positive finite number"));
                if (!(posWeight > 0) || double.IsInfinity(posWeight))
                    diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, Argument("PosWeight"), subject, $"PosWeight = {I(posWeight)} must be a positive finite number"));
                if (!(huberDelta > 0) || double.IsInfinity(huberDelta))
                    diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, Argument("HuberDelta"), subject, $"HuberDelta = {I(huberDelta)} must be a positive finite number"));
                heads.Add(new HeadSpec(label, loss, weight, posWeight, huberDelta));
                locations.Graph.Heads.Add((attributeLocation, nameLocation));
            }
        }
        return (inputs, heads);
    }

    /// <summary>The names of the returned values: "output" for a Tensor, the element names of a tuple of Tensors; null for any other type.</summary>
    private static string[]? OutputNames(IMethodSymbol forward)
    {
        if (forward.ReturnType.ToDisplayString() == TensorTypeName) return new[] { "output" };
        if (forward.ReturnType is INamedTypeSymbol { IsTupleType: true } tuple && tuple.TupleElements.All(e => e.Type.ToDisplayString() == TensorTypeName))
            return tuple.TupleElements.Select(e => e.Name).ToArray();
        return null;
    }

    /// <summary>
    /// Declarations that only make sense against the parsed graph: every [Input] feeds a parameter, every returned
    /// tuple element has a loss, and every [Head] names one. Returns the heads in the order of the outputs.
    /// </summary>
    private static List<HeadSpec> CheckGraphDeclarations(string modelName, IMethodSymbol? forward, GraphSpec graph, List<InputSpec> inputs, List<HeadSpec> heads, LossKind loss,
        List<Diagnostic> diagnostics, ModelLocations locations)
    {
        var g = locations.Graph;
        if (forward is null)
        {
            for (int i = 0; i < inputs.Count; i++)
                diagnostics.Add(Diagnostic.Create(Diagnostics.InputDoesNotMatchForward, g.Inputs[i].Name, InputSubject(inputs[i].Name),
                    $"names no parameter: '{modelName}' has no [Forward] method; write one that takes '{inputs[i].Name}'"));
            for (int h = 0; h < heads.Count; h++)
                diagnostics.Add(Diagnostic.Create(Diagnostics.HeadDoesNotMatchOutput, g.Heads[h].Name, HeadSubject(heads[h].Name),
                    $"names no output: '{modelName}' has no [Forward] method returning a tuple"));
            return new List<HeadSpec>();
        }
        if (inputs.Count > 0 && locations.InputArgument is { } modelInput)
            diagnostics.Add(Diagnostic.Create(Diagnostics.InputDoesNotMatchForward, modelInput, "[Model(Input = …)]",
                "on [Model] declares one unnamed input, but the [Input] attributes declare them by name; keep the [Input] attributes"));
        if (graph.Output < 0) return heads;   // the graph did not parse; its own diagnostics come first

        if (graph.Outputs.Count == 0)
        {
            for (int h = 0; h < heads.Count; h++)
                diagnostics.Add(Diagnostic.Create(Diagnostics.HeadDoesNotMatchOutput, g.Heads[h].Name, HeadSubject(heads[h].Name),
                    $"names no output: [Forward] '{forward.Name}' returns one tensor, whose loss is [Model]'s Loss; return a named tuple for several heads"));
            return new List<HeadSpec>();
        }

        var names = graph.OutputNames;
        var seen = new HashSet<int>();
        for (int o = 0; o < graph.Outputs.Count; o++)
            if (!seen.Add(graph.Outputs[o]))
                diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidForwardMethod, OutputLocation(g, o, forward), forward.Name,
                    $"returns the same value twice (as '{names[o]}'); each output needs its own value"));

        if (loss == LossKind.Contrastive)
        {
            // The pair is compared by the model's loss; its shapes are checked by the shape rules (MG0408).
            for (int h = 0; h < heads.Count; h++)
                diagnostics.Add(Diagnostic.Create(Diagnostics.LossOnModelAndHeads, g.Heads[h].Attribute,
                    $"{HeadSubject(heads[h].Name)} declares a loss, but [Model] sets Loss.Contrastive, which compares the two outputs"));
            return new List<HeadSpec>();
        }
        if (heads.Count > 0 && locations.LossArgument is { } lossArgument)
            diagnostics.Add(Diagnostic.Create(Diagnostics.LossOnModelAndHeads, lossArgument,
                $"[Model] sets Loss, but {string.Join(" and ", heads.Select(h => HeadSubject(h.Name)))} declare the losses of the outputs"));

        var matched = new List<HeadSpec>();
        var headless = names.Where(n => !heads.Any(h => h.Name == n)).ToList();
        bool misnamed = false;
        for (int h = 0; h < heads.Count; h++)
        {
            int earlier = heads.FindIndex(x => x.Name == heads[h].Name);
            if (earlier < h)
                diagnostics.Add(Diagnostic.Create(Diagnostics.HeadDoesNotMatchOutput, g.Heads[h].Name, HeadSubject(heads[h].Name), "is declared twice; declare each head once"));
            else if (!names.Contains(heads[h].Name))
            {
                // A misspelt head is one mistake: reported here, naming the outputs it could mean, and not again on them.
                string candidates = headless.Count > 0
                    ? $"; its outputs without a [Head] are {string.Join(", ", headless.Select(n => "'" + n + "'"))}"
                    : $" (it returns {string.Join(", ", names.Select(n => "'" + n + "'"))})";
                diagnostics.Add(Diagnostic.Create(Diagnostics.HeadDoesNotMatchOutput, g.Heads[h].Name, RenameFix(headless), HeadSubject(heads[h].Name),
                    $"names no output of [Forward] '{forward.Name}'{candidates}"));
                misnamed = true;
            }
        }
        for (int o = 0; o < names.Count; o++)
        {
            int h = heads.FindIndex(x => x.Name == names[o]);
            if (h < 0)
            {
                if (misnamed) continue;
                diagnostics.Add(Diagnostic.Create(Diagnostics.OutputWithoutLoss, OutputLocation(g, o, forward), names[o], forward.Name,
                    $"declare its loss with [Head(\"{names[o]}\", Loss.…)] on the model"));
                continue;
            }
            matched.Add(heads[h]);
            g.MatchedHeads.Add(g.Heads[h].Attribute);
        }
        // Heads line up with the outputs only when every output has one; otherwise the errors above stand and no code is made.
        return matched.Count == names.Count ? matched : new List<HeadSpec>();
    }

    /// <summary>
    /// For a misspelt name with exactly one candidate, the name the code fix writes (under the key of
    /// ModelGen.Analyzers.FixProperties.Value); otherwise no fix is offered.
    /// </summary>
    private static ImmutableDictionary<string, string?>? RenameFix(List<string> candidates) =>
        candidates.Count == 1 ? ImmutableDictionary<string, string?>.Empty.Add("ModelGen.FixValue", candidates[0]) : null;

    private static string InputSubject(string name) => $"[Input(\"{name}\")]";

    private static string HeadSubject(string name) => $"[Head(\"{name}\")]";

    /// <summary>The returned tuple's element <paramref name="index"/>, or the method when it cannot be found.</summary>
    private static Location OutputLocation(GraphLocations g, int index, IMethodSymbol forward)
    {
        if (g.Return is { } r && r.SourceTree?.GetRoot().FindNode(r.SourceSpan) is { } node)
        {
            var tuple = node as TupleExpressionSyntax ?? node.DescendantNodesAndSelf().OfType<TupleExpressionSyntax>().FirstOrDefault();
            if (tuple is not null && index < tuple.Arguments.Count) return tuple.Arguments[index].GetLocation();
        }
        return forward.Locations.FirstOrDefault() ?? Location.None;
    }

    private sealed partial class GraphBuilder
    {
        /// <summary>The returned values, one per tuple element (or one).</summary>
        public readonly List<int> Outputs = new();
        public readonly List<ExpressionSyntax> OutputExpressions = new();
        private int _concats;

        /// <summary>
        /// Several inputs: node 0 is the packed row the runtime passes (the inputs side by side), and each [Input]
        /// becomes a node that unpacks its columns, bound to the [Forward] parameter of the same name.
        /// </summary>
        public void BindNamedInputs(IMethodSymbol forward, List<InputSpec> inputs)
        {
            _values.Clear();
            Nodes[0] = Nodes[0] with { Label = "input" };
            for (int i = 0; i < inputs.Count; i++)
                _values[inputs[i].Name] = Add(new GraphNode(NodeKind.NamedInput, i, 0, -1, inputs[i].Name), _locations.Graph.Inputs[i].Attribute);
            var parameters = forward.Parameters.Select(p => p.Name).ToList();
            var undeclared = parameters.Where(p => !inputs.Any(i => i.Name == p)).ToList();
            bool misnamed = false;
            for (int i = 0; i < inputs.Count; i++)
                if (!parameters.Contains(inputs[i].Name))
                {
                    // A misspelt name is one mistake: reported here, naming the parameters it could mean, and not again on them.
                    string candidates = undeclared.Count > 0
                        ? $"; its parameters without an [Input] are {string.Join(", ", undeclared.Select(p => "'" + p + "'"))}"
                        : $" (its parameters are {string.Join(", ", parameters.Select(p => "'" + p + "'"))})";
                    _diagnostics.Add(Diagnostic.Create(Diagnostics.InputDoesNotMatchForward, _locations.Graph.Inputs[i].Name, RenameFix(undeclared), InputSubject(inputs[i].Name),
                        $"names no parameter of [Forward] '{forward.Name}'{candidates}"));
                    Failed = true;
                    misnamed = true;
                }
            foreach (var parameter in forward.Parameters)
                if (!misnamed && !inputs.Any(i => i.Name == parameter.Name))
                {
                    _diagnostics.Add(Diagnostic.Create(Diagnostics.ParameterWithoutInput, parameter.Locations.FirstOrDefault() ?? _locations.Model, parameter.Name, forward.Name));
                    Failed = true;
                }
        }

        /// <summary>The returned expression: one value, or a tuple of values (several outputs). Returns the first.</summary>
        public int Returned(ExpressionSyntax expression)
        {
            var elements = expression is TupleExpressionSyntax tuple ? tuple.Arguments.Select(a => a.Expression).ToList() : new List<ExpressionSyntax> { expression };
            foreach (var element in elements)
            {
                int node = Expression(element);
                if (node < 0) return -1;
                Outputs.Add(node);
                OutputExpressions.Add(element);
            }
            return Outputs[0];
        }

        private static bool IsTensorConcat(InvocationExpressionSyntax call) =>
            call.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Concat" } access
            && access.Expression.ToString().Replace("global::", "") is "Tensor" or "ModelGen.Tensor";

        /// <summary><c>Tensor.Concat(a, b, …)</c> along the last axis, or <c>Tensor.Concat(axis, a, b, …)</c> with a constant axis.</summary>
        private int Concat(InvocationExpressionSyntax call)
        {
            var arguments = call.ArgumentList.Arguments.ToList();
            int axis = -1;
            if (arguments.Count > 0 && (arguments[0].NameColon?.Name.Identifier.ValueText == "axis" || IsIntegerLiteral(arguments[0].Expression)))
            {
                if (!TryConstant(arguments[0].Expression, out axis))
                {
                    Unsupported(arguments[0], $"the axis '{Short(arguments[0].Expression)}', which is not an integer literal");
                    return -1;
                }
                arguments.RemoveAt(0);
            }
            if (arguments.Count == 0)
            {
                Unsupported(call, $"'{Short(call)}' without tensors to join");
                return -1;
            }
            var parts = new List<int>();
            foreach (var argument in arguments)
            {
                int part = Expression(argument.Expression);
                if (part < 0) return -1;
                parts.Add(part);
            }
            return Add(new GraphNode(NodeKind.Concat, -1, parts[0], -1, "concat_" + ++_concats, parts.ToEquatableArray(), axis, Written(call)), call.GetLocation());
        }

        private static bool IsIntegerLiteral(ExpressionSyntax e) =>
            e is LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NumericLiteralExpression }
            || e is PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.UnaryMinusExpression, Operand: LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NumericLiteralExpression } };

        private static bool TryConstant(ExpressionSyntax e, out int value)
        {
            value = 0;
            switch (e)
            {
                case LiteralExpressionSyntax { Token.Value: int v }:
                    value = v;
                    return true;
                case PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.UnaryMinusExpression, Operand: LiteralExpressionSyntax { Token.Value: int m } }:
                    value = -m;
                    return true;
                default:
                    return false;
            }
        }
    }
}
