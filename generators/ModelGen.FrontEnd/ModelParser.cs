using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ModelGen.FrontEnd;

/// <summary>Where the parts of a model are written, for the analyzer's diagnostics (never enters the generator pipeline).</summary>
internal sealed class ModelLocations
{
    public Location Model = Location.None;
    public Location? InputArgument;
    public Location? LossArgument;
    public readonly List<LayerLocations> Layers = new();
    public readonly List<Location> Nodes = new();
    public readonly GraphLocations Graph = new();
    public readonly LossTermLocations LossTerms = new();
}

internal sealed class LayerLocations
{
    public Location Attribute = Location.None;
    public readonly Dictionary<string, Location> Arguments = new();

    public Location ArgumentOrAttribute(string name) => Arguments.TryGetValue(name, out var l) ? l : Attribute;
}

/// <summary>The parser's result: the equatable spec, declaration diagnostics and (for the analyzer) locations.</summary>
internal sealed class ParsedModel
{
    public ParsedModel(ModelSpec spec, List<Diagnostic> diagnostics, ModelLocations locations)
    {
        Spec = spec;
        Diagnostics = diagnostics;
        Locations = locations;
    }

    public ModelSpec Spec { get; }
    public List<Diagnostic> Diagnostics { get; }
    public ModelLocations Locations { get; }
}

/// <summary>Reads a [Model] class (symbols and syntax) into a <see cref="ModelSpec"/>. Never throws on user code.</summary>
internal static partial class ModelParser
{
    public const string ModelAttributeName = "ModelGen.ModelAttribute";
    public const string ForwardAttributeName = "ModelGen.ForwardAttribute";
    /// <summary>
    /// The layer kind a layer attribute declares, by the attribute's metadata name; false for other attributes (every
    /// kind has one: MirrorTests). A switch rather than a dictionary: a Dictionary of this enum would be compiled at run
    /// time in every compiler process (see <see cref="Sizes"/>).
    /// </summary>
    internal static bool TryGetLayerKind(string metadataName, out LayerKind kind)
    {
        switch (metadataName)
        {
            case "ModelGen.DenseAttribute": kind = LayerKind.Dense; return true;
            case "ModelGen.FlattenAttribute": kind = LayerKind.Flatten; return true;
            case "ModelGen.Conv2dAttribute": kind = LayerKind.Conv2d; return true;
            case "ModelGen.MaxPool2dAttribute": kind = LayerKind.MaxPool2d; return true;
            case "ModelGen.AvgPool2dAttribute": kind = LayerKind.AvgPool2d; return true;
            case "ModelGen.GlobalAvgPoolAttribute": kind = LayerKind.GlobalAvgPool; return true;
            case "ModelGen.LayerNormAttribute": kind = LayerKind.LayerNorm; return true;
            case "ModelGen.BatchNormAttribute": kind = LayerKind.BatchNorm; return true;
            case "ModelGen.DropoutAttribute": kind = LayerKind.Dropout; return true;
            case "ModelGen.LSTMAttribute": kind = LayerKind.LSTM; return true;
            case "ModelGen.GRUAttribute": kind = LayerKind.GRU; return true;
            case "ModelGen.Conv1dAttribute": kind = LayerKind.Conv1d; return true;
            case "ModelGen.GroupNormAttribute": kind = LayerKind.GroupNorm; return true;
            case "ModelGen.ReshapeAttribute": kind = LayerKind.Reshape; return true;
            case "ModelGen.EmbeddingAttribute": kind = LayerKind.Embedding; return true;
            case "ModelGen.PositionalEmbeddingAttribute": kind = LayerKind.PositionalEmbedding; return true;
            case "ModelGen.MultiHeadAttentionAttribute": kind = LayerKind.MultiHeadAttention; return true;
            case "ModelGen.CrossAttentionAttribute": kind = LayerKind.CrossAttention; return true;
            case "ModelGen.ConvTranspose2dAttribute": kind = LayerKind.ConvTranspose2d; return true;
            case "ModelGen.UpsampleAttribute": kind = LayerKind.Upsample; return true;
            default: kind = default; return false;
        }
    }
    private const string TensorTypeName = "ModelGen.Tensor";
    private const string ModelBaseName = "ModelGen.Model";

    /// <summary>Members of ModelGen.Model and of the generated part; a layer method of the same name cannot coexist with them.</summary>
    private static readonly HashSet<string> ReservedNames = new()
    {
        "InputSize", "OutputSize", "Loss", "TargetSize", "ParameterCount", "Parameters", "Gradients", "Summary",
        "CreateGraph", "TrainStep", "Fit", "Evaluate", "Predict", "PredictClasses",
        "TotalParameters", "Initialize", "Graph", "SummaryTable", "SummaryLoss", "LabelsPerSample",
        "State", "Freeze", "Unfreeze", "FrozenLayers", "ParameterLayers", "ParameterLayerTable", "TrainableParameterCount", "TrainableParameterLines",
        "Inputs", "Heads", "PredictHead", "DeclaredInputs", "DeclaredHeads", "Submodels", "Composite", "AttachSubmodel",
        "Inference", "SavedTensors", "CudaPlan", "CudaSource",
        "ToString", "Equals", "GetHashCode", "GetType", "MemberwiseClone", "Finalize",
    };

    /// <summary>
    /// Whether ModelGen.Model (found beside the layer attribute) has a member of this name that a class deriving from it
    /// can see; the list above holds the generated part's own names, and Model's follow the library as it is.
    /// </summary>
    private static bool IsModelMember(AttributeData attribute, string name) =>
        attribute.AttributeClass?.ContainingNamespace.GetTypeMembers("Model").FirstOrDefault(t => t.Arity == 0) is { } model
        && model.GetMembers(name).Any(m => m.DeclaredAccessibility is Accessibility.Public or Accessibility.Protected or Accessibility.ProtectedOrInternal && !m.IsImplicitlyDeclared);

    public static ParsedModel Parse(INamedTypeSymbol type, AttributeData modelAttribute, CancellationToken cancellationToken)
    {
        var diagnostics = new List<Diagnostic>();
        var locations = new ModelLocations { Model = type.Locations.FirstOrDefault() ?? Location.None };

        // Declaration shape of the class itself.
        var declarations = type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>().ToList();
        bool isPartial = declarations.Count > 0 && declarations.All(d => d.Modifiers.Any(SyntaxKind.PartialKeyword));
        if (!isPartial)
            diagnostics.Add(Diagnostic.Create(Diagnostics.ModelNotPartial, locations.Model, type.Name, ""));

        var containing = new List<ContainingType>();
        bool generic = type.IsGenericType;
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            generic |= outer.IsGenericType;
            var outerSyntax = outer.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>().FirstOrDefault();
            if (outerSyntax is null || !outer.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>().All(d => d.Modifiers.Any(SyntaxKind.PartialKeyword)))
            {
                diagnostics.Add(Diagnostic.Create(Diagnostics.ModelNotPartial, outer.Locations.FirstOrDefault() ?? locations.Model, outer.Name, $" (it contains the model '{type.Name}')"));
                isPartial = false;
            }
            containing.Insert(0, new ContainingType(outerSyntax is null ? "class" : Keyword(outerSyntax), outer.Name, TypeParameterList(outer)));
        }
        if (generic)
            diagnostics.Add(Diagnostic.Create(Diagnostics.GenericModel, locations.Model, type.Name));

        bool canAddBase = type.BaseType is null
            || type.BaseType.SpecialType == SpecialType.System_Object
            || type.BaseType.ToDisplayString() == ModelBaseName;
        if (!canAddBase && type.BaseType is { TypeKind: not TypeKind.Error })
            diagnostics.Add(Diagnostic.Create(Diagnostics.BaseClassConflict, locations.Model, type.Name, type.BaseType.ToDisplayString()));
        if (type.TypeKind != TypeKind.Class) canAddBase = false;

        // [Model(Input = ..., Loss = ..., PosWeight = ...)]
        var inputShape = new List<int>();
        var loss = LossKind.SoftmaxCrossEntropy;
        double posWeight = 1;
        double huberDelta = 1;
        double margin = 1;
        var modelAttributeSyntax = modelAttribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        foreach (var named in modelAttribute.NamedArguments)
        {
            var argLocation = NamedArgumentLocation(modelAttributeSyntax, named.Key);
            switch (named.Key)
            {
                case "Input":
                    locations.InputArgument = argLocation;
                    if (named.Value.Kind == TypedConstantKind.Array && !named.Value.IsNull)
                        foreach (var v in named.Value.Values)
                            if (v.Value is int d) inputShape.Add(d);
                    break;
                case "Loss":
                    locations.LossArgument = argLocation;
                    if (named.Value.Value is int l) loss = (LossKind)l;
                    break;
                case "PosWeight":
                    if (named.Value.Value is float w) posWeight = w;
                    break;
                case "HuberDelta":
                    if (named.Value.Value is float hd) huberDelta = hd;
                    break;
                case "Margin":
                    if (named.Value.Value is float m) margin = m;
                    break;
            }
        }
        // An error, not the MG0009 warning: no code can be generated for a loss that does not exist.
        if (loss is < LossKind.SoftmaxCrossEntropy or > LossKind.Contrastive)
            diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, locations.LossArgument ?? locations.Model, $"Model '{type.Name}'", $"Loss = {(int)loss} is not a ModelGen.Loss value"));
        if (!(huberDelta > 0) || double.IsInfinity(huberDelta))
            diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, NamedArgumentLocation(modelAttributeSyntax, "HuberDelta") ?? locations.Model, $"Model '{type.Name}'",
                $"HuberDelta = {huberDelta.ToString(System.Globalization.CultureInfo.InvariantCulture)} must be a positive finite number"));
        if (posWeight <= 0 || double.IsNaN(posWeight) || double.IsInfinity(posWeight))
            diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, NamedArgumentLocation(modelAttributeSyntax, "PosWeight") ?? locations.Model, $"Model '{type.Name}'",
                $"PosWeight = {posWeight.ToString(System.Globalization.CultureInfo.InvariantCulture)} must be a positive finite number"));

        if (!(margin >= 0) || double.IsInfinity(margin))
            diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, NamedArgumentLocation(modelAttributeSyntax, "Margin") ?? locations.Model, $"Model '{type.Name}'",
                $"Margin = {margin.ToString(System.Globalization.CultureInfo.InvariantCulture)} must be a finite number, 0 or more"));
        var (inputs, heads) = ParseGraphAttributes(type, diagnostics, locations, cancellationToken);

        // Layer methods, in declaration order.
        var layers = new List<LayerSpec>();
        var submodels = new List<SubmodelInfo>();
        var inheritedErrors = new List<string>();
        IMethodSymbol? forward = null;
        foreach (var member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (member is not IMethodSymbol method) continue;
            bool isLayer = false;
            foreach (var attribute in method.GetAttributes())
            {
                string? attributeName = attribute.AttributeClass?.ToDisplayString();
                // A repeated layer attribute is the compiler's CS0579 (or a second kind on one method, which
                // is ignored); a second layer of the same name would only add generated-code errors.
                if (attributeName is not null && TryGetLayerKind(attributeName, out var kind) && !isLayer)
                {
                    isLayer = true;
                    LayerSpec? layer = kind switch
                    {
                        LayerKind.Dense => ParseDense(method, attribute, diagnostics, locations, cancellationToken),
                        LayerKind.Conv2d => ParseConv2d(method, attribute, diagnostics, locations, cancellationToken),
                        LayerKind.Conv1d => ParseConv1d(method, attribute, diagnostics, locations, cancellationToken),
                        LayerKind.MaxPool2d or LayerKind.AvgPool2d => ParsePool(kind, method, attribute, diagnostics, locations, cancellationToken),
                        LayerKind.LayerNorm or LayerKind.BatchNorm => ParseNorm(kind, method, attribute, diagnostics, locations, cancellationToken),
                        LayerKind.GroupNorm => ParseGroupNorm(method, attribute, diagnostics, locations, cancellationToken),
                        LayerKind.Dropout => ParseDropout(method, attribute, diagnostics, locations, cancellationToken),
                        LayerKind.LSTM or LayerKind.GRU => ParseRecurrent(kind, method, attribute, diagnostics, locations, cancellationToken),
                        LayerKind.Reshape => ParseReshape(method, attribute, diagnostics, locations, cancellationToken),
                        LayerKind.Embedding => ParseEmbedding(method, attribute, diagnostics, locations, cancellationToken),
                        LayerKind.PositionalEmbedding => ParsePositionalEmbedding(method, attribute, diagnostics, locations, cancellationToken),
                        LayerKind.MultiHeadAttention => ParseAttention(method, attribute, diagnostics, locations, cancellationToken),
                        LayerKind.CrossAttention => ParseCrossAttention(method, attribute, diagnostics, locations, cancellationToken),
                        LayerKind.ConvTranspose2d => ParseConvTranspose2d(method, attribute, diagnostics, locations, cancellationToken),
                        LayerKind.Upsample => ParseUpsample(method, attribute, diagnostics, locations, cancellationToken),
                        LayerKind.Flatten => ParseLayerMethod(method, attribute, NewLayerLocations(method, attribute, cancellationToken), diagnostics, locations, cancellationToken) is { } flatten ? new FlattenLayer(flatten) : null,
                        LayerKind.GlobalAvgPool => ParseLayerMethod(method, attribute, NewLayerLocations(method, attribute, cancellationToken), diagnostics, locations, cancellationToken) is { } pool ? new GlobalAvgPoolLayer(pool) : null,
                    };
                    // Trainable = false (on the attributes of layers with parameters): the model starts with the layer frozen.
                    if (layer is not null) layers.Add(Named(attribute).TryGetValue("Trainable", out var trainable) && trainable.Value is false ? layer with { Trainable = false } : layer);
                }
                else if (attributeName == SubmodelAttributeName && !isLayer)
                {
                    isLayer = true;
                    var sub = ParseSubmodel(type, method, attribute, layers, diagnostics, locations, inheritedErrors, cancellationToken);
                    if (sub is not null) submodels.Add(sub);
                }
                else if (attributeName == ForwardAttributeName)
                {
                    if (forward is not null)
                        diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidForwardMethod, method.Locations.FirstOrDefault() ?? locations.Model, method.Name, $"is a second [Forward] method ('{forward.Name}' is the first); keep one"));
                    else
                        forward = method;
                }
            }
        }
        if (layers.Count == 0 && submodels.Count == 0)
            diagnostics.Add(Diagnostic.Create(Diagnostics.NoLayers, locations.Model, type.Name));

        var graph = forward is null
            ? SequentialGraph(layers, submodels, locations)
            : ForwardGraph(type.Name, forward, layers, submodels, inputs, diagnostics, locations, cancellationToken);
        heads = CheckGraphDeclarations(type.Name, forward, graph, inputs, heads, loss, diagnostics, locations);

        bool hasErrors = diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error) || layers.Any(l => !l.IsEmittable)
            || submodels.Any(s => !s.Usable || !s.Spec!.Method.IsEmittable) || inheritedErrors.Count > 0;
        // A class that cannot derive from Model still gets Model's members (they throw, as every member of an invalid model does).
        var modelBase = modelAttribute.AttributeClass?.ContainingNamespace.GetTypeMembers("Model").FirstOrDefault(t => t.Arity == 0);
        var layerNames = new HashSet<string>(layers.Select(l => l.Name), StringComparer.Ordinal);
        bool copySurface = hasErrors && type.TypeKind == TypeKind.Class && modelBase is not null && NeedsCopiedSurface(canAddBase, modelBase, layerNames);
        bool inheritsModel = false;
        for (var b = type.BaseType; b is not null; b = b.BaseType)
            inheritsModel |= SymbolEqualityComparer.Default.Equals(b, modelBase);
        var spec = new ModelSpec(
            type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
            type.Name,
            containing.ToEquatableArray(),
            isPartial,
            canAddBase,
            inputShape.ToEquatableArray(),
            loss,
            posWeight,
            layers.ToEquatableArray(),
            graph,
            hasErrors,
            huberDelta,
            inputs.ToEquatableArray(),
            heads.ToEquatableArray(),
            margin,
            diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.Id).Concat(inheritedErrors)
                .Distinct().OrderBy(id => id, StringComparer.Ordinal).ToEquatableArray(),
            TypeParameterList(type),
            copySurface && !inheritsModel ? CopiedSurface(modelBase!, layerNames).ToEquatableArray() : default,
            copySurface && !canAddBase ? BaseConstructorArguments(type) : "",
            copySurface && !inheritsModel,
            submodels.Where(s => s.Spec is not null).Select(s => s.Spec!).ToEquatableArray());
        return new ParsedModel(spec, diagnostics, locations);
    }

    private static GraphSpec SequentialGraph(List<LayerSpec> layers, List<SubmodelInfo> submodels, ModelLocations locations)
    {
        if (submodels.Any(s => !s.Usable)) return GraphSpec.Empty;   // its [Submodel] attribute has the diagnostic
        var nodes = new List<GraphNode> { new(NodeKind.Input, -1, -1, -1, "input") };
        var calls = new List<SubmodelCall>();
        locations.Nodes.Add(locations.InputArgument ?? locations.Model);
        for (int i = 0; i < layers.Count; i++)
        {
            // A sub-model's layers form its own graph (a chain or its [Forward]): spliced in as a whole.
            int sub = submodels.FindIndex(s => s.Usable && s.Spec!.FirstLayer == i);
            if (sub >= 0)
            {
                SpliceSubmodel(submodels, sub, nodes.Count - 1, locations.Layers[i].Attribute, layers, nodes, locations.Nodes, calls);
                i += submodels[sub].Spec!.LayerCount - 1;
                continue;
            }
            nodes.Add(new GraphNode(NodeKind.Layer, i, nodes.Count - 1, -1, layers[i].Name));
            locations.Nodes.Add(locations.Layers[i].Attribute);
        }
        return new GraphSpec(nodes.ToEquatableArray(), nodes.Count - 1, FromForwardMethod: false) { SubmodelCalls = calls.ToEquatableArray() };
    }

    private static GraphSpec ForwardGraph(string modelName, IMethodSymbol forward, List<LayerSpec> layers, List<SubmodelInfo> submodels, List<InputSpec> inputs,
        List<Diagnostic> diagnostics, ModelLocations locations, CancellationToken cancellationToken)
    {
        // A partial [Forward] has its body in the implementation part.
        var syntax = (forward.PartialImplementationPart ?? forward).DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
        var methodLocation = forward.Locations.FirstOrDefault() ?? locations.Model;
        if (syntax is null) return GraphSpec.Empty;
        if (forward.Parameters.Length == 0 || forward.Parameters.Any(p => p.Type.ToDisplayString() != TensorTypeName || p.RefKind != RefKind.None) || OutputNames(forward) is null)
        {
            diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidForwardMethod, methodLocation, forward.Name, "must take Tensor parameters and return Tensor (or a tuple of Tensors)"));
            return GraphSpec.Empty;
        }
        // Without a body there is no graph, and the generator would silently write stubs only.
        if (syntax.Body is null && syntax.ExpressionBody is null)
        {
            diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidForwardMethod, methodLocation, forward.Name, "has no body; write the graph in it, e.g. '=> Output(x);'"));
            return GraphSpec.Empty;
        }
        var builder = new GraphBuilder(modelName, forward.Parameters[0].Name, layers, diagnostics, locations) { Submodels = submodels };
        if (inputs.Count > 0 || forward.Parameters.Length > 1)
            builder.BindNamedInputs(forward, inputs);
        if (builder.Failed) return GraphSpec.Empty;
        int output = -1;
        ExpressionSyntax? returned = null;
        if (syntax.ExpressionBody is { } arrow)
        {
            returned = arrow.Expression;
            output = builder.Returned(returned);
        }
        else if (syntax.Body is { } block)
        {
            for (int i = 0; i < block.Statements.Count; i++)
            {
                var statement = block.Statements[i];
                if (statement is ReturnStatementSyntax { Expression: { } value })
                {
                    returned = value;
                    output = builder.Returned(value);
                    if (i != block.Statements.Count - 1) builder.Unsupported(block.Statements[i + 1], "statements after 'return'");
                    break;
                }
                builder.Statement(statement);
            }
            if (output < 0 && !builder.Failed)
                diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidForwardMethod, methodLocation, forward.Name, "must end with 'return <expression>;'"));
        }
        if (builder.Failed || output < 0) return GraphSpec.Empty;
        // The loss and backward pass start from the returned value; without a layer under it there is nothing to train.
        locations.Graph.Return = returned?.GetLocation();
        for (int o = 0; o < builder.Outputs.Count; o++)
        {
            if (builder.DependsOnLayer(builder.Outputs[o])) continue;
            var element = builder.OutputExpressions[o];
            diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidForwardMethod, element.GetLocation(), forward.Name,
                $"returns '{GraphBuilder.Short(element)}', which no layer computes; return the result of a layer call"));
            return GraphSpec.Empty;
        }
        var graph = builder.Outputs.Count == 1
            ? new GraphSpec(builder.Nodes.ToEquatableArray(), output, FromForwardMethod: true)
            : new GraphSpec(builder.Nodes.ToEquatableArray(), output, FromForwardMethod: true, builder.Outputs.ToEquatableArray(), OutputNames(forward)!.ToEquatableArray());
        return graph with { LossTerms = builder.LossTerms.ToEquatableArray(), SubmodelCalls = builder.SubmodelCalls.ToEquatableArray() };
    }

    private sealed partial class GraphBuilder
    {
        private readonly string _modelName;
        private readonly List<LayerSpec> _layers;
        private readonly List<Diagnostic> _diagnostics;
        private readonly ModelLocations _locations;
        private readonly Dictionary<string, int> _values = new();
        private int _adds, _multiplies;

        public GraphBuilder(string modelName, string inputName, List<LayerSpec> layers, List<Diagnostic> diagnostics, ModelLocations locations)
        {
            _modelName = modelName;
            _layers = layers;
            _diagnostics = diagnostics;
            _locations = locations;
            _values[inputName] = Add(new GraphNode(NodeKind.Input, -1, -1, -1, inputName), locations.InputArgument ?? locations.Model);
        }

        public readonly List<GraphNode> Nodes = new();
        public bool Failed { get; private set; }

        /// <summary>The [Submodel] methods (their calls splice the sub-model's graph in), and the calls made so far.</summary>
        public List<SubmodelInfo> Submodels { get; init; } = new();
        public readonly List<SubmodelCall> SubmodelCalls = new();

        public bool DependsOnLayer(int output)
        {
            // Iterative with a visited set: 'var y = x + x; var z = y + y; ...' shares operands, and plain recursion would be exponential.
            var seen = new bool[Nodes.Count];
            var pending = new List<int> { output };   // a stack (List<int> has ReadyToRun code in the framework; Stack<int> does not)
            while (pending.Count > 0)
            {
                int n = pending[pending.Count - 1];
                pending.RemoveAt(pending.Count - 1);
                if (n < 0 || seen[n]) continue;
                seen[n] = true;
                if (Nodes[n].Kind == NodeKind.Layer) return true;
                pending.Add(Nodes[n].A);
                pending.Add(Nodes[n].B);
                foreach (int part in Nodes[n].Parts) pending.Add(part);
            }
            return false;
        }

        private int Add(GraphNode node, Location location)
        {
            Nodes.Add(node);
            _locations.Nodes.Add(location);
            return Nodes.Count - 1;
        }

        public void Unsupported(SyntaxNode node, string what)
        {
            _diagnostics.Add(Diagnostic.Create(Diagnostics.UnsupportedForwardConstruct, node.GetLocation(), _modelName, what));
            Failed = true;
        }

        public void Statement(StatementSyntax statement)
        {
            switch (statement)
            {
                case LocalDeclarationStatementSyntax local when local.Declaration.Variables.All(v => v.Initializer is not null):
                    foreach (var variable in local.Declaration.Variables)
                    {
                        if (TryDeclareConstant(variable.Identifier.ValueText, variable.Initializer!.Value)) continue;
                        // Stored even when -1: a use of a local whose initializer was already reported is not a second mistake.
                        _values[variable.Identifier.ValueText] = Expression(variable.Initializer!.Value);
                    }
                    break;
                case ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression, Left: IdentifierNameSyntax target } assignment }
                    when _values.ContainsKey(target.Identifier.ValueText):
                {
                    _values[target.Identifier.ValueText] = Expression(assignment.Right);
                    break;
                }
                case ExpressionStatementSyntax { Expression: InvocationExpressionSyntax call } when IsAddLoss(call):
                    AddLossTerm(call);
                    break;
                default:
                    Unsupported(statement, $"the statement '{Short(statement)}'");
                    break;
            }
        }

        public int Expression(ExpressionSyntax expression)
        {
            switch (expression)
            {
                case ParenthesizedExpressionSyntax p:
                    return Expression(p.Expression);
                case IdentifierNameSyntax id:
                    if (_values.TryGetValue(id.Identifier.ValueText, out int v)) return v;
                    if (_constants.ContainsKey(id.Identifier.ValueText))
                    {
                        Unsupported(id, $"the constant '{id.Identifier.ValueText}' where a tensor is expected");
                        return -1;
                    }
                    Unsupported(id, $"'{id.Identifier.ValueText}', which is neither the input nor a local holding a layer's result");
                    return -1;
                case InvocationExpressionSyntax call when IsTensorConcat(call):
                    return Concat(call);
                case InvocationExpressionSyntax call when TensorMethod(call) is { } method:
                    return TensorFunction(call, method);
                case PrefixUnaryExpressionSyntax unary:
                    return Unary(unary);
                case LiteralExpressionSyntax { RawKind: (int)SyntaxKind.NumericLiteralExpression } literal:
                    Unsupported(literal, $"the constant '{Short(literal)}' where a tensor is expected");
                    return -1;
                case BinaryExpressionSyntax arithmetic when Arithmetic(arithmetic) is { } result:
                    return result;
                case InvocationExpressionSyntax call:
                {
                    string? name = call.Expression switch
                    {
                        IdentifierNameSyntax n => n.Identifier.ValueText,
                        MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: IdentifierNameSyntax n } => n.Identifier.ValueText,
                        _ => null,
                    };
                    int submodel = name is null ? -1 : Submodels.FindIndex(s => s.Name == name);
                    if (submodel >= 0) return CallSubmodel(call, submodel);
                    // An inlined layer is the sub-model's, not a method of this class.
                    int layer = name is null ? -1 : _layers.FindIndex(l => l.Name == name && !l.IsInlined);
                    if (layer < 0)
                    {
                        Unsupported(call, $"the call '{Short(call)}', which is not a call of one of its layer methods");
                        return -1;
                    }
                    // CrossAttention takes the queries and the memory; every other layer one tensor.
                    int arity = _layers[layer].Kind == LayerKind.CrossAttention ? 2 : 1;
                    if (call.ArgumentList.Arguments.Count != arity)
                    {
                        Unsupported(call, arity == 1
                            ? $"the call '{Short(call)}' with {call.ArgumentList.Arguments.Count} arguments (a layer takes one tensor)"
                            : $"the call '{Short(call)}' with {call.ArgumentList.Arguments.Count} argument{(call.ArgumentList.Arguments.Count == 1 ? "" : "s")} (CrossAttention takes two tensors: the queries and the memory)");
                        return -1;
                    }
                    int input = Expression(call.ArgumentList.Arguments[0].Expression);
                    if (input < 0) return -1;
                    int memory = -1;
                    if (arity == 2 && (memory = Expression(call.ArgumentList.Arguments[1].Expression)) < 0) return -1;
                    return Add(new GraphNode(NodeKind.Layer, layer, input, memory, name!, Text: arity == 2 ? Written(call) : ""), call.GetLocation());
                }
                case BinaryExpressionSyntax binary when binary.IsKind(SyntaxKind.AddExpression) || binary.IsKind(SyntaxKind.MultiplyExpression):
                {
                    int a = Expression(binary.Left);
                    int b = Expression(binary.Right);
                    if (a < 0 || b < 0) return -1;
                    bool add = binary.IsKind(SyntaxKind.AddExpression);
                    string label = add ? "add_" + ++_adds : "multiply_" + ++_multiplies;
                    return Add(new GraphNode(add ? NodeKind.Add : NodeKind.Multiply, -1, a, b, label, Text: Written(binary)), binary.GetLocation());
                }
                default:
                    Unsupported(expression, $"'{Short(expression)}'");
                    return -1;
            }
        }

        /// <summary>
        /// An expression as written, for messages: its tokens with any run of spaces, line breaks or comments between
        /// them as one space, so re-indenting [Forward] changes no message (and no spec); shortened as <see cref="Short"/>.
        /// </summary>
        public static string Written(SyntaxNode node)
        {
            var text = new System.Text.StringBuilder();
            SyntaxToken previous = default;
            foreach (var token in node.DescendantTokens())
            {
                if (text.Length > 0 && (previous.HasTrailingTrivia || token.HasLeadingTrivia)) text.Append(' ');
                text.Append(token.Text);
                previous = token;
                if (text.Length > 60) break;
            }
            return text.Length <= 60 ? text.ToString() : text.ToString(0, 57) + "...";
        }

        public static string Short(SyntaxNode node)
        {
            string text = node.ToString().Replace("\r", " ").Replace("\n", " ");
            return text.Length <= 60 ? text : text.Substring(0, 57) + "...";
        }
    }

    private static Location? NamedArgumentLocation(AttributeSyntax? attribute, string name)
    {
        var arg = attribute?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name);
        return arg?.GetLocation();
    }

    private static string Keyword(TypeDeclarationSyntax syntax) => syntax switch
    {
        RecordDeclarationSyntax r => r.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) ? "record struct" : "record",
        StructDeclarationSyntax => "struct",
        InterfaceDeclarationSyntax => "interface",
        _ => "class",
    };
}
