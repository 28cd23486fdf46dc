using System.Collections.Generic;

namespace ModelGen.Serialization;

/// <summary>
/// How <see cref="Model.Load(string, LoadOptions)"/> fills a model from a file: all tensors or chosen layers, strictly or
/// taking what fits, and under which names the file holds the model's layers.
/// </summary>
public sealed class LoadOptions
{
    /// <summary>
    /// Strict (the default): every tensor of the model must be in the file with its shape and a floating-point dtype
    /// (an integer one for <c>num_batches_tracked</c>), the file may hold no other tensor, and a file written by ModelGen
    /// must have this model's architecture fingerprint; otherwise one <see cref="ModelFileException"/> lists every problem
    /// and nothing is loaded. Not strict: every tensor that fits is loaded and the <see cref="LoadReport"/> lists the rest.
    /// With <see cref="Layers"/>, the chosen layers are always loaded strictly and the rest of the file is ignored.
    /// </summary>
    public bool Strict { get; init; } = true;

    /// <summary>
    /// Only these layers (layer method names of the model being filled) are loaded, e.g. the convolutions of a trained
    /// network into a new model with a new head; the other layers keep their values, the file's other tensors are ignored
    /// and the architecture fingerprint is not compared. Every tensor of a chosen layer must be in the file with its
    /// shape, or nothing is loaded. Null (the default): all layers.
    /// </summary>
    public IReadOnlyList<string>? Layers { get; init; }

    /// <summary>
    /// Layer method name of this model → the name its tensors have in the file, for files whose layers are named
    /// differently, e.g. <c>["C1"] = "features.0"</c> reads <c>C1.weight</c> from <c>features.0.weight</c>. Layers not
    /// listed keep their own names.
    /// </summary>
    public IReadOnlyDictionary<string, string>? RenameFrom { get; init; }
}
