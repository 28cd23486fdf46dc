using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace ModelGen.FrontEnd;

/// <summary>Sequence and 1-D layers: [LSTM], [GRU], [Conv1d], [GroupNorm] and [Reshape].</summary>
internal static partial class ModelParser
{
    private static LayerSpec? ParseRecurrent(LayerKind kind, IMethodSymbol method, AttributeData attribute, List<Diagnostic> diagnostics, ModelLocations locations, CancellationToken cancellationToken)
    {
        var layerLocations = NewLayerLocations(method, attribute, cancellationToken, "hiddenSize");
        if (attribute.AttributeConstructor is null || attribute.ConstructorArguments.Length < 1) return null;
        int hidden = attribute.ConstructorArguments[0].Value is int h ? h : 0;
        var named = Named(attribute);
        int declaredIn = NamedInt(named, "In", 0);
        bool bidirectional = named.TryGetValue("Bidirectional", out var b) && b.Value is true;
        bool sequences = named.TryGetValue("ReturnSequences", out var r) && r.Value is true;
        string subject = $"{kind} '{method.Name}'";
        if (hidden < 1)
            diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, layerLocations.ArgumentOrAttribute("hiddenSize"), subject, $"needs a hidden size of at least 1, but hiddenSize = {hidden}"));
        if (declaredIn < 0)
            diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, layerLocations.ArgumentOrAttribute("In"), subject, $"In = {declaredIn} must be positive (or 0 to infer it)"));
        // The biases b_ih and b_hh live inside each direction's parameter block.
        return ParseLayerMethod(method, attribute, layerLocations, diagnostics, locations, cancellationToken) is { } declared
            ? new RecurrentLayer(kind, declared, hidden, bidirectional, sequences, declaredIn)
            : null;
    }

    private static LayerSpec? ParseConv1d(IMethodSymbol method, AttributeData attribute, List<Diagnostic> diagnostics, ModelLocations locations, CancellationToken cancellationToken)
    {
        var layerLocations = NewLayerLocations(method, attribute, cancellationToken, "outChannels", "kernelSize", "activation");
        if (attribute.AttributeConstructor is null || attribute.ConstructorArguments.Length < 2) return null;
        int outChannels = attribute.ConstructorArguments[0].Value is int o ? o : 0;
        int kernel = attribute.ConstructorArguments[1].Value is int k ? k : 0;
        int activationValue = attribute.ConstructorArguments.Length > 2 && attribute.ConstructorArguments[2].Value is int a ? a : 0;
        var named = Named(attribute);
        int stride = NamedInt(named, "Stride", 1), padding = NamedInt(named, "Padding", 0), dilation = NamedInt(named, "Dilation", 1);
        int groups = NamedInt(named, "Groups", 1), declaredIn = NamedInt(named, "In", 0);
        bool bias = !(named.TryGetValue("Bias", out var b) && b.Value is false);
        bool same = named.TryGetValue("SamePadding", out var sp) && sp.Value is true;
        double slope = named.TryGetValue("NegativeSlope", out var ns) && ns.Value is float f ? f : 0.01;
        string subject = $"Conv1d '{method.Name}'";

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
        Check(!double.IsNaN(slope) && !double.IsInfinity(slope), "NegativeSlope", "NegativeSlope must be a finite number");
        Check(!(same && named.ContainsKey("Padding")), "Padding", $"Padding = {padding} and SamePadding = true both set the padding; keep one");
        var spatial = new SpatialSpec(Math.Max(kernel, 0), Math.Max(stride, 1), Math.Max(padding, 0), Math.Max(dilation, 1), Math.Max(groups, 1), same);
        return ParseLayerMethod(method, attribute, layerLocations, diagnostics, locations, cancellationToken) is { } declared
            ? new ConvLayer(LayerKind.Conv1d, declared, outChannels, spatial, (ActivationKind)activationValue, slope, declaredIn, bias)
            : null;
    }

    private static LayerSpec? ParseGroupNorm(IMethodSymbol method, AttributeData attribute, List<Diagnostic> diagnostics, ModelLocations locations, CancellationToken cancellationToken)
    {
        var layerLocations = NewLayerLocations(method, attribute, cancellationToken, "groups");
        if (attribute.AttributeConstructor is null || attribute.ConstructorArguments.Length < 1) return null;
        int groups = attribute.ConstructorArguments[0].Value is int g ? g : 0;
        var named = Named(attribute);
        double epsilon = named.TryGetValue("Epsilon", out var e) && e.Value is float f ? f : 1e-5;
        string subject = $"GroupNorm '{method.Name}'";
        int declaredIn = NamedInt(named, "In", 0);
        if (declaredIn < 0)
            diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, layerLocations.ArgumentOrAttribute("In"), subject, $"In = {declaredIn} must be positive (or 0 to infer it)"));
        if (groups < 1)
            diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, layerLocations.ArgumentOrAttribute("groups"), subject, $"needs at least 1 group, but groups = {groups}"));
        if (!(epsilon > 0) || double.IsInfinity(epsilon))
            diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, layerLocations.ArgumentOrAttribute("Epsilon"), subject,
                $"Epsilon = {epsilon.ToString(CultureInfo.InvariantCulture)} must be a positive finite number"));
        return ParseLayerMethod(method, attribute, layerLocations, diagnostics, locations, cancellationToken) is { } declared
            ? new GroupNormLayer(declared, groups, epsilon, Math.Max(declaredIn, 0))
            : null;
    }

    private static LayerSpec? ParseReshape(IMethodSymbol method, AttributeData attribute, List<Diagnostic> diagnostics, ModelLocations locations, CancellationToken cancellationToken)
    {
        var layerLocations = NewLayerLocations(method, attribute, cancellationToken, "shape");
        if (attribute.AttributeConstructor is null || attribute.ConstructorArguments.Length < 1) return null;
        var argument = attribute.ConstructorArguments[0];
        var target = argument.Kind == TypedConstantKind.Array && !argument.IsNull
            ? argument.Values.Select(v => v.Value is int d ? d : 0).ToArray()
            : Array.Empty<int>();
        string subject = $"Reshape '{method.Name}'";
        string? problem = null;
        if (target.Length == 0) problem = "needs the per-sample shape, e.g. [Reshape(16, 4)]";
        else if (target.Any(d => d == 0 || d < -1)) problem = $"every dimension of {ShapeInference.Text(target)} must be positive, or −1 for one inferred dimension";
        else if (target.Count(d => d == -1) > 1) problem = $"{ShapeInference.Text(target)} has more than one −1; only one dimension can be inferred";
        if (problem is not null)
            diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, layerLocations.Attribute, subject, problem));
        return ParseLayerMethod(method, attribute, layerLocations, diagnostics, locations, cancellationToken) is { } declared
            ? new ReshapeLayer(declared, target.ToEquatableArray())
            : null;
    }
}
