using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace ModelGen.FrontEnd;

/// <summary>The argument checks of the upsampling layers, [ConvTranspose2d] and [Upsample].</summary>
internal static partial class ModelParser
{
    private static LayerSpec? ParseConvTranspose2d(IMethodSymbol method, AttributeData attribute, List<Diagnostic> diagnostics, ModelLocations locations, CancellationToken cancellationToken)
    {
        var layerLocations = NewLayerLocations(method, attribute, cancellationToken, "outChannels", "kernelSize", "activation");
        if (attribute.AttributeConstructor is null || attribute.ConstructorArguments.Length < 2) return null;
        int outChannels = attribute.ConstructorArguments[0].Value is int o ? o : 0;
        int kernel = attribute.ConstructorArguments[1].Value is int k ? k : 0;
        int activationValue = attribute.ConstructorArguments.Length > 2 && attribute.ConstructorArguments[2].Value is int a ? a : 0;
        var named = Named(attribute);
        int stride = NamedInt(named, "Stride", 1), padding = NamedInt(named, "Padding", 0), dilation = NamedInt(named, "Dilation", 1);
        int outputPadding = NamedInt(named, "OutputPadding", 0);
        int groups = NamedInt(named, "Groups", 1), declaredIn = NamedInt(named, "In", 0);
        bool bias = !(named.TryGetValue("Bias", out var b) && b.Value is false);
        double slope = named.TryGetValue("NegativeSlope", out var ns) && ns.Value is float f ? f : 0.01;
        string subject = $"ConvTranspose2d '{method.Name}'";

        void Check(bool ok, string argument, string message)
        {
            if (!ok) diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, layerLocations.ArgumentOrAttribute(argument), subject, message));
        }
        Check(outChannels >= 1, "outChannels", $"needs at least 1 output channel, but outChannels = {outChannels}");
        Check(kernel >= 1, "kernelSize", $"needs a kernel of at least 1, but kernelSize = {kernel}");
        Check(IsActivation(activationValue), "activation", $"activation value {activationValue} is not a ModelGen.Activation");
        Check(stride >= 1, "Stride", $"Stride = {stride} must be at least 1");
        Check(padding >= 0, "Padding", $"Padding = {padding} must be 0 or more");
        Check(outputPadding >= 0, "OutputPadding", $"OutputPadding = {outputPadding} must be 0 or more");
        Check(dilation >= 1, "Dilation", $"Dilation = {dilation} must be at least 1");
        Check(groups >= 1, "Groups", $"Groups = {groups} must be at least 1");
        Check(declaredIn >= 0, "In", $"In = {declaredIn} must be positive (or 0 to infer it)");
        // PyTorch's rule: the extra rows must fall short of the next input pixel's stride, or of the next kernel tap.
        if (outputPadding > 0 && stride >= 1 && dilation >= 1 && outputPadding >= stride && outputPadding >= dilation)
            diagnostics.Add(Diagnostic.Create(Diagnostics.OutputPaddingTooLarge, layerLocations.ArgumentOrAttribute("OutputPadding"), method.Name, outputPadding, stride, dilation));
        var spatial = new SpatialSpec(Math.Max(kernel, 0), Math.Max(stride, 1), Math.Max(padding, 0), Math.Max(dilation, 1), Math.Max(groups, 1), false);
        return ParseLayerMethod(method, attribute, layerLocations, diagnostics, locations, cancellationToken) is { } declared
            ? new ConvTransposeLayer(declared, outChannels, spatial, Math.Max(outputPadding, 0), (ActivationKind)activationValue, slope, declaredIn, bias)
            : null;
    }

    private static LayerSpec? ParseUpsample(IMethodSymbol method, AttributeData attribute, List<Diagnostic> diagnostics, ModelLocations locations, CancellationToken cancellationToken)
    {
        bool twoScales = attribute.ConstructorArguments.Length > 1;
        var layerLocations = twoScales
            ? NewLayerLocations(method, attribute, cancellationToken, "scaleHeight", "scaleWidth")
            : NewLayerLocations(method, attribute, cancellationToken, "scale");
        if (attribute.AttributeConstructor is null || attribute.ConstructorArguments.Length < 1) return null;
        int scaleHeight = attribute.ConstructorArguments[0].Value is int h ? h : 0;
        int scaleWidth = twoScales ? (attribute.ConstructorArguments[1].Value is int w ? w : 0) : scaleHeight;
        var named = Named(attribute);
        int modeValue = NamedInt(named, "Mode", 0);
        bool alignCorners = named.TryGetValue("AlignCorners", out var ac) && ac.Value is true;
        string subject = $"Upsample '{method.Name}'";

        void Check(bool ok, string argument, string message)
        {
            if (!ok) diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, layerLocations.ArgumentOrAttribute(argument), subject, message));
        }
        if (twoScales)
        {
            Check(scaleHeight >= 1, "scaleHeight", $"scaleHeight = {scaleHeight} must be at least 1");
            Check(scaleWidth >= 1, "scaleWidth", $"scaleWidth = {scaleWidth} must be at least 1");
        }
        else Check(scaleHeight >= 1, "scale", $"scale = {scaleHeight} must be at least 1");
        Check(Enum.IsDefined(typeof(UpsampleModeKind), modeValue), "Mode", $"Mode value {modeValue} is not a ModelGen.UpsampleMode");
        Check(!(alignCorners && modeValue == (int)UpsampleModeKind.Nearest), "AlignCorners", "AlignCorners applies to Mode = UpsampleMode.Bilinear only (nearest has no corners to align, as in PyTorch)");
        return ParseLayerMethod(method, attribute, layerLocations, diagnostics, locations, cancellationToken) is { } declared
            ? new UpsampleLayer(declared, Math.Max(scaleHeight, 1), Math.Max(scaleWidth, 1), Enum.IsDefined(typeof(UpsampleModeKind), modeValue) ? (UpsampleModeKind)modeValue : UpsampleModeKind.Nearest, alignCorners)
            : null;
    }
}
