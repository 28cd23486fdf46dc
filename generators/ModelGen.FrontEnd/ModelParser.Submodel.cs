using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ModelGen.FrontEnd;

/// <summary>
/// A [Submodel] method as the parser sees it: the spec it adds (null when the sub-model cannot be used) and the sub-model's own
/// graph, which every call splices into the composite's.
/// </summary>
internal sealed class SubmodelInfo
{
    public SubmodelInfo(string name, SubmodelSpec? spec, GraphSpec graph, bool usable)
    {
        Name = name;
        Spec = spec;
        Graph = graph;
        Usable = usable;
    }

    public string Name { get; }

    /// <summary>The spec (null when the attribute names no type); an unusable one keeps the type for the composite's stub.</summary>
    public SubmodelSpec? Spec { get; }
    public GraphSpec Graph { get; }

    /// <summary>Whether the sub-model's layers were inlined (false after a diagnostic, here or on the sub-model).</summary>
    public bool Usable { get; }
}

// Composition: [Submodel(typeof(M))] inlines M's layers into this model (one block of the parameter buffer, in M's order, so
// an instance of M can read and write that block) and splices M's graph in at every call. M is parsed from its own
// declaration in the same compilation; its diagnostics are reported on M, not here.
internal static partial class ModelParser
{
    public const string SubmodelAttributeName = "ModelGen.SubmodelAttribute";

    private static SubmodelInfo? ParseSubmodel(INamedTypeSymbol type, IMethodSymbol method, AttributeData attribute, List<LayerSpec> layers,
        List<Diagnostic> diagnostics, ModelLocations locations, List<string> inheritedErrors, CancellationToken cancellationToken)
    {
        var layerLocations = NewLayerLocations(method, attribute, cancellationToken, "model");
        // An attribute the compiler could not bind (half-typed code) is the compiler's to report.
        if (attribute.AttributeConstructor is null || attribute.ConstructorArguments.Length < 1) return null;
        // The method's form is checked as every layer's; its location list is not the layers' (it adds the sub-model's layers instead).
        var declared = ParseLayerMethod(method, attribute, layerLocations, diagnostics, new ModelLocations(), cancellationToken);
        if (declared is null) return null;
        var typeLocation = layerLocations.ArgumentOrAttribute("model");
        string subject = $"[Submodel] '{method.Name}'";

        if (attribute.ConstructorArguments[0].Value is not ITypeSymbol named || named.TypeKind == TypeKind.Error)
            return new SubmodelInfo(method.Name, null, GraphSpec.Empty, usable: false);   // typeof(Missing) is the compiler's CS0246
        // Unusable sub-models keep their type: the composite's stub has the constructor the user's code calls.
        var stub = new SubmodelSpec(declared, named.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), named.Name, -1, 0, EquatableArray<int>.Empty);
        SubmodelInfo Unusable() => new(method.Name, stub, GraphSpec.Empty, usable: false);
        if (named is not INamedTypeSymbol target)
        {
            diagnostics.Add(Diagnostic.Create(Diagnostics.SubmodelNotAModel, typeLocation, subject, named.ToDisplayString(), "it is not a class"));
            return Unusable();
        }
        var modelAttribute = target.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == ModelAttributeName);
        if (modelAttribute is null || target.TypeKind != TypeKind.Class)
        {
            diagnostics.Add(Diagnostic.Create(Diagnostics.SubmodelNotAModel, typeLocation, subject, target.ToDisplayString(),
                target.TypeKind != TypeKind.Class ? "it is not a class" : "it has no [Model] attribute; a sub-model is a partial class with [Model] and layer methods"));
            return Unusable();
        }
        if (target.IsGenericType)
        {
            diagnostics.Add(Diagnostic.Create(Diagnostics.SubmodelNotAModel, typeLocation, subject, target.ToDisplayString(), "it is generic (MG0011), so no code is generated for it"));
            return Unusable();
        }
        if (PathBack(target, type, cancellationToken) is { } cycle)
        {
            diagnostics.Add(Diagnostic.Create(Diagnostics.SubmodelCycle, typeLocation, type.Name,
                string.Join(" → ", new[] { type.Name }.Concat(cycle))));
            return Unusable();
        }

        var parsed = Parse(target, modelAttribute, cancellationToken);
        var sub = parsed.Spec;
        string subModel = $"{subject} ({target.Name})";
        // A sub-model with mistakes of its own has them reported on it; the composite waits for them (one mistake, one error).
        if (sub.HasDeclarationErrors || ShapeInference.Infer(sub).HasErrors)
        {
            inheritedErrors.AddRange(sub.ErrorIds.Count > 0 ? sub.ErrorIds : ShapeInference.Infer(sub).Problems.Where(p => !ShapeInference.IsWarning(p.Id)).Select(p => p.Id));
            if (inheritedErrors.Count == 0) inheritedErrors.Add("MG0410");
            return Unusable();
        }
        string? unsupported =
            sub.Inputs.Count > 0 ? $"declares its inputs with [Input] ({string.Join(", ", sub.Inputs.Select(i => i.Name))}); a sub-model takes one tensor, declared with [Model(Input = …)]"
            : sub.Graph.Outputs.Count > 1 || sub.Heads.Count > 0 ? $"returns {Math.Max(sub.Graph.Outputs.Count, sub.Heads.Count)} outputs; a sub-model returns one tensor"
            : sub.Graph.LossTerms.Count > 0 ? $"adds loss terms with AddLoss ({string.Join(", ", sub.Graph.LossTerms.Select(t => "\"" + t.Name + "\""))}), which a composite does not take over yet"
            : sub.Layers.FirstOrDefault(l => l.Kind == LayerKind.BatchNorm) is { } norm ? $"has BatchNorm '{norm.DisplayName}', whose running statistics are the sub-model's own state and not shared with a composite yet"
            : null;
        if (unsupported is not null)
        {
            diagnostics.Add(Diagnostic.Create(Diagnostics.SubmodelNotSupported, typeLocation, subModel, unsupported));
            return Unusable();
        }

        int first = layers.Count;
        foreach (var layer in sub.Layers)
        {
            // The layer keeps its kind, arguments and Trainable; it gets a name of its own in the composite.
            layers.Add(layer with
            {
                Method = layer.Method with
                {
                    Name = method.Name + "_" + layer.Name,
                    Modifiers = "private",
                    IsEmittable = true,
                    MissingPart = MissingPartialPart.None,
                    PartSignature = "",
                    Submodel = method.Name,
                    DisplayName = method.Name + "." + layer.DisplayName,
                },
            });
            locations.Layers.Add(layerLocations);
        }
        string typeName = target.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        var spec = new SubmodelSpec(declared, typeName, target.Name, first, sub.Layers.Count, sub.InputShape);
        return new SubmodelInfo(method.Name, spec, sub.Graph, usable: true);
    }

    /// <summary>
    /// The models from <paramref name="from"/> down to <paramref name="to"/> through [Submodel] attributes (ending with
    /// <paramref name="to"/>), or null when <paramref name="from"/> does not contain <paramref name="to"/>.
    /// </summary>
    private static List<string>? PathBack(INamedTypeSymbol from, INamedTypeSymbol to, CancellationToken cancellationToken)
    {
        var seen = new HashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default);
        var path = new List<string>();
        bool Search(INamedTypeSymbol type)
        {
            cancellationToken.ThrowIfCancellationRequested();
            path.Add(type.Name);
            if (SymbolEqualityComparer.Default.Equals(type, to)) return true;
            if (seen.Add(type))
                foreach (var member in type.GetMembers())
                    if (member is IMethodSymbol method)
                        foreach (var attribute in method.GetAttributes())
                            if (attribute.AttributeClass?.ToDisplayString() == SubmodelAttributeName
                                && attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is INamedTypeSymbol inner
                                && Search(inner))
                                return true;
            path.RemoveAt(path.Count - 1);
            return false;
        }
        return Search(from) ? path : null;
    }

    /// <summary>
    /// Splices sub-model <paramref name="index"/>'s graph into <paramref name="nodes"/>, its input being node
    /// <paramref name="argument"/>; every new node is written at <paramref name="location"/>. Returns the node of its output.
    /// </summary>
    private static int SpliceSubmodel(List<SubmodelInfo> submodels, int index, int argument, Location location, List<LayerSpec> layers,
        List<GraphNode> nodes, List<Location> nodeLocations, List<SubmodelCall> calls)
    {
        var sub = submodels[index];
        var spec = sub.Spec!;
        var graph = sub.Graph;
        var map = new int[graph.Nodes.Count];
        int first = nodes.Count;
        int Mapped(int n) => n < 0 ? n : map[n];
        for (int n = 0; n < graph.Nodes.Count; n++)
        {
            var node = graph.Nodes[n];
            if (node.Kind == NodeKind.Input)
            {
                map[n] = argument;
                continue;
            }
            bool isLayer = node.Kind == NodeKind.Layer;
            nodes.Add(node with
            {
                Layer = isLayer ? spec.FirstLayer + node.Layer : node.Layer,
                A = Mapped(node.A),
                B = Mapped(node.B),
                Parts = node.Parts.Count == 0 ? node.Parts : node.Parts.Select(Mapped).ToEquatableArray(),
                Label = isLayer ? layers[spec.FirstLayer + node.Layer].Name : spec.Name + "_" + node.Label,
            });
            nodeLocations.Add(location);
            map[n] = nodes.Count - 1;
        }
        // Its index among the specs the model keeps (a [Submodel] whose type did not bind has none).
        calls.Add(new SubmodelCall(submodels.Take(index).Count(s => s.Spec is not null), argument, first, nodes.Count - 1));
        return map[graph.Output];
    }

    private sealed partial class GraphBuilder
    {
        /// <summary>A call of a [Submodel] method in [Forward]: the sub-model's graph, spliced in on the argument.</summary>
        private int CallSubmodel(InvocationExpressionSyntax call, int submodel)
        {
            if (call.ArgumentList.Arguments.Count != 1)
            {
                Unsupported(call, $"the call '{Short(call)}' with {call.ArgumentList.Arguments.Count} arguments (a sub-model takes one tensor)");
                return -1;
            }
            int input = Expression(call.ArgumentList.Arguments[0].Expression);
            if (input < 0) return -1;
            if (!Submodels[submodel].Usable)
            {
                Failed = true;   // its [Submodel] attribute has the diagnostic
                return -1;
            }
            return SpliceSubmodel(Submodels, submodel, input, call.GetLocation(), _layers, Nodes, _locations.Nodes, SubmodelCalls);
        }
    }
}
