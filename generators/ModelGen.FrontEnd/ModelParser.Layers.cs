using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ModelGen.FrontEnd;

/// <summary>
/// The layer attributes: the form every layer method shares, and the argument checks of [Dense], [Conv2d],
/// [LayerNorm]/[BatchNorm], [Dropout] and the pooling layers (the other families have files of their own).
/// </summary>
internal static partial class ModelParser
{
    private static LayerLocations NewLayerLocations(IMethodSymbol method, AttributeData attribute, CancellationToken cancellationToken, params string[] positional)
    {
        var attributeSyntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        var layerLocations = new LayerLocations { Attribute = attributeSyntax?.GetLocation() ?? method.Locations.FirstOrDefault() ?? Location.None };
        if (attributeSyntax?.ArgumentList is { } args)
        {
            int position = 0;
            foreach (var arg in args.Arguments)
            {
                if (arg.NameEquals is { } ne) layerLocations.Arguments[ne.Name.Identifier.ValueText] = arg.GetLocation();
                else if (arg.NameColon is { } nc) layerLocations.Arguments[nc.Name.Identifier.ValueText] = arg.GetLocation();
                else if (position < positional.Length) layerLocations.Arguments[positional[position++]] = arg.GetLocation();
            }
        }
        return layerLocations;
    }

    private static LayerSpec? ParseDense(IMethodSymbol method, AttributeData attribute, List<Diagnostic> diagnostics, ModelLocations locations, CancellationToken cancellationToken)
    {
        var layerLocations = NewLayerLocations(method, attribute, cancellationToken, "units", "activation");

        // An attribute the compiler could not bind (half-typed code) is the compiler's to report.
        if (attribute.AttributeConstructor is null || attribute.ConstructorArguments.Length < 1) return null;

        // Argument mistakes are reported below and block the real code, but the stub body is still
        // emitted (only the method's form decides that), so the build shows MG0004 and not CS8795 too.
        int units = attribute.ConstructorArguments[0].Value is int u ? u : 0;
        int activationValue = attribute.ConstructorArguments.Length > 1 && attribute.ConstructorArguments[1].Value is int a ? a : 0;
        var named = Named(attribute);
        int declaredIn = NamedInt(named, "In", 0);
        bool bias = !(named.TryGetValue("Bias", out var b) && b.Value is false);
        double slope = named.TryGetValue("NegativeSlope", out var ns) && ns.Value is float s ? s : 0.01;

        if (units < 1)
        {
            diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, layerLocations.ArgumentOrAttribute("units"), $"Dense '{method.Name}'", $"Dense needs at least 1 unit, but units = {units}"));
        }
        if (!IsActivation(activationValue))
        {
            diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, layerLocations.ArgumentOrAttribute("activation"), $"Dense '{method.Name}'", $"activation value {activationValue} is not a ModelGen.Activation"));
        }
        if (declaredIn < 0)
        {
            diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, layerLocations.ArgumentOrAttribute("In"), $"Dense '{method.Name}'", $"In = {declaredIn} must be positive (or 0 to infer it)"));
        }
        if (double.IsNaN(slope) || double.IsInfinity(slope))
        {
            diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, layerLocations.ArgumentOrAttribute("NegativeSlope"), $"Dense '{method.Name}'", "NegativeSlope must be a finite number"));
        }

        return ParseLayerMethod(method, attribute, layerLocations, diagnostics, locations, cancellationToken) is { } declared
            ? new DenseLayer(declared, units, (ActivationKind)activationValue, slope, declaredIn, bias)
            : null;
    }

    private static Dictionary<string, TypedConstant> Named(AttributeData attribute)
    {
        var named = new Dictionary<string, TypedConstant>();
        foreach (var pair in attribute.NamedArguments) named[pair.Key] = pair.Value;
        return named;
    }

    /// <summary>Whether an attribute's activation argument is a member of ModelGen.Activation (a cast can pass any number).</summary>
    private static bool IsActivation(int value) => Enum.IsDefined(typeof(ActivationKind), value);

    private static int NamedInt(Dictionary<string, TypedConstant> named, string name, int fallback) =>
        named.TryGetValue(name, out var value) && value.Value is int i ? i : fallback;

    private static LayerSpec? ParseConv2d(IMethodSymbol method, AttributeData attribute, List<Diagnostic> diagnostics, ModelLocations locations, CancellationToken cancellationToken)
    {
        var layerLocations = NewLayerLocations(method, attribute, cancellationToken, "outChannels", "kernelSize", "activation");
        if (attribute.AttributeConstructor is null || attribute.ConstructorArguments.Length < 2) return null;
        int outChannels = attribute.ConstructorArguments[0].Value is int o ? o : 0;
        int kernel = attribute.ConstructorArguments[1].Value is int k ? k : 0;
        int activationValue = attribute.ConstructorArguments.Length > 2 && attribute.ConstructorArguments[2].Value is int a ? a : 0;
        var named = Named(attribute);
        int stride = NamedInt(named, "Stride", 1), padding = NamedInt(named, "Padding", 0), dilation = NamedInt(named, "Dilation", 1);
        int groups = NamedInt(named, "Groups", 1), declaredIn = NamedInt(named, "In", 0);
        bool same = named.TryGetValue("SamePadding", out var sp) && sp.Value is true;
        bool bias = !(named.TryGetValue("Bias", out var b) && b.Value is false);
        double slope = named.TryGetValue("NegativeSlope", out var ns) && ns.Value is float f ? f : 0.01;
        string subject = $"Conv2d '{method.Name}'";

        void Check(bool ok, string argument, string message)
        {
            if (!ok) diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, layerLocations.ArgumentOrAttribute(argument), subject, message));
        }
        Check(outChannels >= 1, "outChannels", $"needs at least 1 output channel, but outChannels = {outChannels}");
        Check(kernel >= 1, "kernelSize", $"needs a kernel of at least 1, but kernelSize = {kernel}");
        Check(IsActivation(activationValue), "activation", $"activation value {activationValue} is not a ModelGen.Activation");
        Check(stride >= 1, "Stride", $"Stride = {stride} must be at least 1");
        Check(padding >= 0, "Padding", $"Padding = {padding} must be 0 or more");
        Check(dilation >= 1, "Dilation", $"Dilation = {dilation} must be at least 1");
        Check(groups >= 1, "Groups", $"Groups = {groups} must be at least 1");
        Check(declaredIn >= 0, "In", $"In = {declaredIn} must be positive (or 0 to infer it)");
        var spatial = new SpatialSpec(Math.Max(kernel, 0), Math.Max(stride, 1), Math.Max(padding, 0), Math.Max(dilation, 1), Math.Max(groups, 1), same);
        return ParseLayerMethod(method, attribute, layerLocations, diagnostics, locations, cancellationToken) is { } declared
            ? new ConvLayer(LayerKind.Conv2d, declared, outChannels, spatial, (ActivationKind)activationValue, slope, declaredIn, bias)
            : null;
    }

    private static LayerSpec? ParseNorm(LayerKind kind, IMethodSymbol method, AttributeData attribute, List<Diagnostic> diagnostics, ModelLocations locations, CancellationToken cancellationToken)
    {
        var layerLocations = NewLayerLocations(method, attribute, cancellationToken);
        var named = Named(attribute);
        double epsilon = named.TryGetValue("Epsilon", out var e) && e.Value is float f ? f : 1e-5;
        double momentum = named.TryGetValue("Momentum", out var m) && m.Value is float mf ? mf : 0.1;
        string subject = $"{kind} '{method.Name}'";
        int declaredIn = NamedInt(named, "In", 0);
        if (declaredIn < 0)
            diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, layerLocations.ArgumentOrAttribute("In"), subject, $"In = {declaredIn} must be positive (or 0 to infer it)"));
        if (!(epsilon > 0) || double.IsInfinity(epsilon))
            diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, layerLocations.ArgumentOrAttribute("Epsilon"), subject,
                $"Epsilon = {epsilon.ToString(System.Globalization.CultureInfo.InvariantCulture)} must be a positive finite number"));
        if (!(momentum >= 0 && momentum <= 1))
            diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, layerLocations.ArgumentOrAttribute("Momentum"), subject,
                $"Momentum = {momentum.ToString(System.Globalization.CultureInfo.InvariantCulture)} must be in [0, 1]"));
        return ParseLayerMethod(method, attribute, layerLocations, diagnostics, locations, cancellationToken) is { } declared
            ? new NormLayer(kind, declared, epsilon, momentum, Math.Max(declaredIn, 0))
            : null;
    }

    private static LayerSpec? ParseDropout(IMethodSymbol method, AttributeData attribute, List<Diagnostic> diagnostics, ModelLocations locations, CancellationToken cancellationToken)
    {
        var layerLocations = NewLayerLocations(method, attribute, cancellationToken, "rate");
        if (attribute.AttributeConstructor is null || attribute.ConstructorArguments.Length < 1) return null;
        double rate = attribute.ConstructorArguments[0].Value is float r ? r : 0;
        if (!(rate >= 0 && rate < 1))
            diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, layerLocations.ArgumentOrAttribute("rate"), $"Dropout '{method.Name}'",
                $"rate = {rate.ToString(System.Globalization.CultureInfo.InvariantCulture)} must be in [0, 1)"));
        return ParseLayerMethod(method, attribute, layerLocations, diagnostics, locations, cancellationToken) is { } declared
            ? new DropoutLayer(declared, rate)
            : null;
    }

    private static LayerSpec? ParsePool(LayerKind kind, IMethodSymbol method, AttributeData attribute, List<Diagnostic> diagnostics, ModelLocations locations, CancellationToken cancellationToken)
    {
        var layerLocations = NewLayerLocations(method, attribute, cancellationToken, "kernelSize");
        if (attribute.AttributeConstructor is null || attribute.ConstructorArguments.Length < 1) return null;
        int kernel = attribute.ConstructorArguments[0].Value is int k ? k : 0;
        var named = Named(attribute);
        int stride = NamedInt(named, "Stride", 0), padding = NamedInt(named, "Padding", 0);
        string subject = $"{kind} '{method.Name}'";
        if (kernel < 1)
            diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, layerLocations.ArgumentOrAttribute("kernelSize"), subject, $"needs a kernel of at least 1, but kernelSize = {kernel}"));
        if (stride < 0)
            diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, layerLocations.ArgumentOrAttribute("Stride"), subject, $"Stride = {stride} must be at least 1 (or 0 for the kernel size)"));
        if (padding < 0)
            diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, layerLocations.ArgumentOrAttribute("Padding"), subject, $"Padding = {padding} must be 0 or more"));
        var spatial = new SpatialSpec(Math.Max(kernel, 0), stride > 0 ? stride : Math.Max(kernel, 1), Math.Max(padding, 0), 1, 1, false);
        return ParseLayerMethod(method, attribute, layerLocations, diagnostics, locations, cancellationToken) is { } declared
            ? new PoolLayer(kind, declared, spatial)
            : null;
    }

    /// <summary>Checks the form shared by every layer method and records where the layer is written; null when the attribute did not bind.</summary>
    private static LayerMethod? ParseLayerMethod(IMethodSymbol method, AttributeData attribute,
        LayerLocations layerLocations, List<Diagnostic> diagnostics, ModelLocations locations, CancellationToken cancellationToken, int tensors = 1)
    {
        bool emittable = true;
        if (attribute.AttributeConstructor is null) return null;

        // The method must be a body-less partial declaration: Tensor Name(Tensor x).
        // The part the attribute is written on is the user's (the other may be the generated one, which after generation
        // is the definition of a user's wrong-form method with a body).
        var methodSyntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).FirstAncestorOrSelf<MethodDeclarationSyntax>()
            ?? method.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<MethodDeclarationSyntax>()
            .FirstOrDefault(m => m.Body is null && m.ExpressionBody is null)
            ?? method.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
        // On the user's part: a diagnostic in the generated part would be hidden.
        var methodLocation = methodSyntax?.Identifier.GetLocation() ?? method.Locations.FirstOrDefault() ?? layerLocations.Attribute;
        string? problem = null;
        if (methodSyntax is null || !methodSyntax.Modifiers.Any(SyntaxKind.PartialKeyword)) problem = "must be 'partial' with no body (ModelGen writes the body)";
        else if (methodSyntax.Body is not null || methodSyntax.ExpressionBody is not null) problem = "must not have a body (ModelGen writes it)";
        else if (method.IsStatic) problem = "must not be static";
        else if (method.IsGenericMethod) problem = "must not be generic";
        else if (method.Parameters.Length != tensors || method.Parameters.Any(p => p.Type.ToDisplayString() != TensorTypeName || p.RefKind != RefKind.None))
            problem = tensors == 1 ? "must take exactly one parameter of type Tensor" : "must take exactly two parameters of type Tensor (the queries and the memory)";
        else if (method.ReturnType.ToDisplayString() != TensorTypeName) problem = "must return Tensor";
        if (problem is not null)
        {
            diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerMethod, methodLocation, method.Name, problem));
            emittable = false;
        }

        if (ReservedNames.Contains(method.Name) || IsModelMember(attribute, method.Name))
            diagnostics.Add(Diagnostic.Create(Diagnostics.ReservedLayerName, methodLocation, method.Name,
                "has the name of a member every model gets (from ModelGen.Model or the generated code)"));

        string modifiers = methodSyntax is null ? "private" : string.Join(" ", methodSyntax.Modifiers.Where(m => !m.IsKind(SyntaxKind.PartialKeyword)).Select(m => m.Text));
        string parameterName = method.Parameters.Length == tensors ? method.Parameters[0].Name : tensors == 1 ? "x" : "query";
        string memoryName = tensors == 1 ? "" : method.Parameters.Length == tensors ? method.Parameters[1].Name : "memory";
        locations.Layers.Add(layerLocations);
        var missing = emittable || methodSyntax is null ? MissingPartialPart.None : MissingPart(method, methodSyntax);
        return new LayerMethod(method.Name, modifiers, parameterName, emittable, missing,
            missing == MissingPartialPart.None ? "" : PartSignature(method, modifiers), memoryName);
    }

    /// <summary>Which part of a wrong-form partial method is missing (None: not partial, both parts written, or a part the generator cannot repeat).</summary>
    private static MissingPartialPart MissingPart(IMethodSymbol method, MethodDeclarationSyntax syntax)
    {
        if (!syntax.Modifiers.Any(SyntaxKind.PartialKeyword)) return MissingPartialPart.None;
        // Only signatures that repeat exactly: no ref returns, params, default values, constraints or unknown types.
        if (method.ReturnsByRef || method.ReturnsByRefReadonly || method.ReturnType.TypeKind == TypeKind.Error
            || method.TypeParameters.Any(t => t.ConstraintTypes.Length > 0 || t.HasReferenceTypeConstraint || t.HasValueTypeConstraint
                || t.HasUnmanagedTypeConstraint || t.HasNotNullConstraint || t.HasConstructorConstraint)
            || method.Parameters.Any(p => p.IsParams || p.HasExplicitDefaultValue || p.Type.TypeKind == TypeKind.Error || p.RefKind == RefKind.Out))
            return MissingPartialPart.None;
        bool hasBody = syntax.Body is not null || syntax.ExpressionBody is not null;
        if (hasBody) return method.PartialDefinitionPart is null && !method.IsPartialDefinition ? MissingPartialPart.Definition : MissingPartialPart.None;
        return method.PartialImplementationPart is null ? MissingPartialPart.Implementation : MissingPartialPart.None;
    }

    private static readonly SymbolDisplayFormat PartTypeFormat =
        SymbolDisplayFormat.FullyQualifiedFormat.AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>"private static partial global::ModelGen.Tensor Out(global::ModelGen.Tensor x)": the user's signature with full type names.</summary>
    private static string PartSignature(IMethodSymbol method, string modifiers)
    {
        string typeParameters = method.TypeParameters.Length == 0 ? "" : "<" + string.Join(", ", method.TypeParameters.Select(t => t.Name)) + ">";
        string parameters = string.Join(", ", method.Parameters.Select(p =>
            (p.RefKind switch { RefKind.Ref => "ref ", RefKind.In => "in ", _ => "" }) + p.Type.ToDisplayString(PartTypeFormat) + " " + EscapedName(p.Name)));
        string returnType = method.ReturnsVoid ? "void" : method.ReturnType.ToDisplayString(PartTypeFormat);
        return $"{modifiers} partial {returnType} {EscapedName(method.Name)}{typeParameters}({parameters})";
    }

    private static string EscapedName(string name) => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
}
