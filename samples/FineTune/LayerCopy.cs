using System;
using System.Linq;
using ModelGen;

namespace FineTune;

/// <summary>
/// Copies chosen layers' parameters from one model into another by layer name, in memory. A stand-in until loading chosen
/// layers from another model's saved file lands in ModelGen; both models must declare the layers with the same shapes.
/// </summary>
public static class LayerCopy
{
    /// <summary>Copies the parameters of <paramref name="layers"/> from <paramref name="source"/> into <paramref name="target"/>.</summary>
    /// <exception cref="ArgumentException">A layer is missing from either model, or its parameter count differs.</exception>
    public static void Parameters(Model source, Model target, params string[] layers)
    {
        foreach (string name in layers)
        {
            var from = source.ParameterLayers.FirstOrDefault(l => l.Name == name)
                ?? throw new ArgumentException($"{source.GetType().Name} has no layer '{name}' with parameters.", nameof(layers));
            var to = target.ParameterLayers.FirstOrDefault(l => l.Name == name)
                ?? throw new ArgumentException($"{target.GetType().Name} has no layer '{name}' with parameters.", nameof(layers));
            if (from.Count != to.Count)
                throw new ArgumentException($"Layer '{name}' has {from.Count} parameters in {source.GetType().Name} but {to.Count} in {target.GetType().Name}.", nameof(layers));
            source.Parameters.Slice(from.Offset, from.Count).CopyTo(target.Parameters.Slice(to.Offset, to.Count));
        }
    }
}
