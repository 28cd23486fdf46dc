using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace ModelGen.Generators.Model;

internal static partial class ModelParser
{
    /// <summary>[Embedding(vocabulary, dimension)], [PositionalEmbedding(maxLength)] and [MultiHeadAttention(heads)]: arguments that are wrong whatever the shapes.</summary>
    private static LayerSpec? ParseSequenceLayer(string kind, IMethodSymbol method, AttributeData attribute, List<Diagnostic> diagnostics, ModelLocations locations, CancellationToken cancellationToken)
    {
        string[] positional = kind switch
        {
            "Embedding" => new[] { "vocabulary", "dimension" },
            "PositionalEmbedding" => new[] { "maxLength" },
            _ => new[] { "heads" },
        };
        var layerLocations = NewLayerLocations(method, attribute, cancellationToken, positional);
        if (attribute.AttributeConstructor is null || attribute.ConstructorArguments.Length < positional.Length) return null;
        int First(int i) => attribute.ConstructorArguments[i].Value is int v ? v : 0;
        var named = Named(attribute);
        string subject = $"{kind} '{method.Name}'";
        void Check(bool ok, string argument, string message)
        {
            if (!ok) diagnostics.Add(Diagnostic.Create(Diagnostics.InvalidLayerArgument, layerLocations.ArgumentOrAttribute(argument), subject, message));
        }

        LayerSpec? layer;
        switch (kind)
        {
            case "Embedding":
            {
                int vocabulary = First(0), dimension = First(1), padding = NamedInt(named, "PaddingIndex", -1);
                Check(vocabulary >= 1, "vocabulary", $"needs a vocabulary of at least 1 id, but vocabulary = {vocabulary}");
                Check(dimension >= 1, "dimension", $"needs at least 1 value per id, but dimension = {dimension}");
                if (vocabulary >= 1 && padding != -1 && (padding < 0 || padding >= vocabulary))
                    diagnostics.Add(Diagnostic.Create(Diagnostics.PaddingIndexOutOfRange, layerLocations.ArgumentOrAttribute("PaddingIndex"), method.Name,
                        padding.ToString(System.Globalization.CultureInfo.InvariantCulture), vocabulary.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        (vocabulary - 1).ToString(System.Globalization.CultureInfo.InvariantCulture)));
                bool mask = named.TryGetValue("MaskPadding", out var m) && m.Value is true;
                if (mask && padding == -1)
                    diagnostics.Add(Diagnostic.Create(Diagnostics.MaskNeedsPaddingIndex, layerLocations.ArgumentOrAttribute("MaskPadding"), method.Name));
                // The table's rows are the layer's declared input "width"; the shape engine never infers it.
                layer = ParseLayerMethod(method, attribute, kind, dimension, ActivationKind.None, System.Math.Max(vocabulary, 0), false, 0, layerLocations, true, diagnostics, locations, cancellationToken);
                return layer is null ? null : layer with { Sequence = new SequenceSpec(Vocabulary: vocabulary, PaddingIndex: padding, MaskPadding: mask && padding >= 0) };
            }
            case "PositionalEmbedding":
            {
                int maxLength = First(0);
                Check(maxLength >= 1, "maxLength", $"needs at least 1 position, but maxLength = {maxLength}");
                layer = ParseLayerMethod(method, attribute, kind, 0, ActivationKind.None, 0, false, 0, layerLocations, true, diagnostics, locations, cancellationToken);
                return layer is null ? null : layer with { Sequence = new SequenceSpec(MaxLength: maxLength) };
            }
            default:
            {
                int heads = First(0);
                bool causal = named.TryGetValue("Causal", out var c) && c.Value is true;
                bool bias = !(named.TryGetValue("Bias", out var b) && b.Value is false);
                Check(heads >= 1, "heads", $"needs at least 1 head, but heads = {heads}");
                layer = ParseLayerMethod(method, attribute, kind, 0, ActivationKind.None, 0, bias, 0, layerLocations, true, diagnostics, locations, cancellationToken);
                return layer is null ? null : layer with { Sequence = new SequenceSpec(Heads: heads, Causal: causal) };
            }
        }
    }
}
