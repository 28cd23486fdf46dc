using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace ModelGen.FrontEnd;

/// <summary>[Embedding(vocabulary, dimension)], [PositionalEmbedding(maxLength)] and [MultiHeadAttention(heads)]: arguments that are wrong whatever the shapes.</summary>
internal static partial class ModelParser
{
    private static LayerSpec? ParseEmbedding(IMethodSymbol method, AttributeData attribute, List<Diagnostic> diagnostics, ModelLocations locations, CancellationToken cancellationToken)
    {
        var layerLocations = NewLayerLocations(method, attribute, cancellationToken, "vocabulary", "dimension");
        if (attribute.AttributeConstructor is null || attribute.ConstructorArguments.Length < 2) return null;
        var named = Named(attribute);
        var check = ArgumentCheck(LayerKind.Embedding, method, layerLocations, diagnostics);
        int vocabulary = IntArgument(attribute, 0), dimension = IntArgument(attribute, 1), padding = NamedInt(named, "PaddingIndex", -1);
        check(vocabulary >= 1, "vocabulary", $"needs a vocabulary of at least 1 id, but vocabulary = {vocabulary}");
        check(dimension >= 1, "dimension", $"needs at least 1 value per id, but dimension = {dimension}");
        if (vocabulary >= 1 && padding != -1 && (padding < 0 || padding >= vocabulary))
            diagnostics.Add(Diagnostic.Create(Diagnostics.PaddingIndexOutOfRange, layerLocations.ArgumentOrAttribute("PaddingIndex"), method.Name,
                padding.ToString(CultureInfo.InvariantCulture), vocabulary.ToString(CultureInfo.InvariantCulture), (vocabulary - 1).ToString(CultureInfo.InvariantCulture)));
        bool mask = named.TryGetValue("MaskPadding", out var m) && m.Value is true;
        if (mask && padding == -1)
            diagnostics.Add(Diagnostic.Create(Diagnostics.MaskNeedsPaddingIndex, layerLocations.ArgumentOrAttribute("MaskPadding"), method.Name));
        return ParseLayerMethod(method, attribute, layerLocations, diagnostics, locations, cancellationToken) is { } declared
            ? new EmbeddingLayer(declared, vocabulary, dimension, padding, mask && padding >= 0)
            : null;
    }

    private static LayerSpec? ParsePositionalEmbedding(IMethodSymbol method, AttributeData attribute, List<Diagnostic> diagnostics, ModelLocations locations, CancellationToken cancellationToken)
    {
        var layerLocations = NewLayerLocations(method, attribute, cancellationToken, "maxLength");
        if (attribute.AttributeConstructor is null || attribute.ConstructorArguments.Length < 1) return null;
        int maxLength = IntArgument(attribute, 0);
        ArgumentCheck(LayerKind.PositionalEmbedding, method, layerLocations, diagnostics)(maxLength >= 1, "maxLength", $"needs at least 1 position, but maxLength = {maxLength}");
        return ParseLayerMethod(method, attribute, layerLocations, diagnostics, locations, cancellationToken) is { } declared
            ? new PositionalEmbeddingLayer(declared, maxLength)
            : null;
    }

    private static LayerSpec? ParseAttention(IMethodSymbol method, AttributeData attribute, List<Diagnostic> diagnostics, ModelLocations locations, CancellationToken cancellationToken)
    {
        var layerLocations = NewLayerLocations(method, attribute, cancellationToken, "heads");
        if (attribute.AttributeConstructor is null || attribute.ConstructorArguments.Length < 1) return null;
        var named = Named(attribute);
        int heads = IntArgument(attribute, 0);
        bool causal = named.TryGetValue("Causal", out var c) && c.Value is true;
        bool bias = !(named.TryGetValue("Bias", out var b) && b.Value is false);
        ArgumentCheck(LayerKind.MultiHeadAttention, method, layerLocations, diagnostics)(heads >= 1, "heads", $"needs at least 1 head, but heads = {heads}");
        return ParseLayerMethod(method, attribute, layerLocations, diagnostics, locations, cancellationToken) is { } declared
            ? new AttentionLayer(declared, heads, causal, bias)
            : null;
    }

    private static LayerSpec? ParseCrossAttention(IMethodSymbol method, AttributeData attribute, List<Diagnostic> diagnostics, ModelLocations locations, CancellationToken cancellationToken)
    {
        var layerLocations = NewLayerLocations(method, attribute, cancellationToken, "heads");
        if (attribute.AttributeConstructor is null || attribute.ConstructorArguments.Length < 1) return null;
        int heads = IntArgument(attribute, 0);
        bool bias = !(Named(attribute).TryGetValue("Bias", out var b) && b.Value is false);
        ArgumentCheck(LayerKind.CrossAttention, method, layerLocations, diagnostics)(heads >= 1, "heads", $"needs at least 1 head, but heads = {heads}");
        return ParseLayerMethod(method, attribute, layerLocations, diagnostics, locations, cancellationToken, tensors: 2) is { } declared
            ? new CrossAttentionLayer(declared, heads, bias)
            : null;
    }

    /// <summary>The attribute's constructor argument <paramref name="index"/> as an int; 0 when it is not one (the compiler reports that).</summary>
    private static int IntArgument(AttributeData attribute, int index) => attribute.ConstructorArguments[index].Value is int v ? v : 0;

    /// <summary>Reports MG0004 on <c>argument</c> (or the attribute) when a check fails: "Kind 'Name': message".</summary>
    private static System.Action<bool, string, string> ArgumentCheck(LayerKind kind, IMethodSymbol method, LayerLocations layerLocations, List<Diagnostic> diagnostics)
    {
        string subject = $"{kind} '{method.Name}'";
        return (ok, argument, message) =>
        {
            if (!ok) diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, layerLocations.ArgumentOrAttribute(argument), subject, message));
        };
    }
}
