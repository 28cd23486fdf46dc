using System.Collections.Generic;

namespace ModelGen.Serialization;

/// <summary>A tensor of the model that a load left as it was, and why.</summary>
/// <param name="Name">The model's tensor name, e.g. "Hidden.weight".</param>
/// <param name="FileName">The name looked up in the file (differs from <paramref name="Name"/> under <see cref="LoadOptions.RenameFrom"/>).</param>
/// <param name="Reason">Why it was not loaded, e.g. "not in the file" or "shape [10, 64] in the file; the model's is [10, 128]".</param>
public sealed record SkippedTensor(string Name, string FileName, string Reason);

/// <summary>What <see cref="Model.Load(string, LoadOptions)"/> did: the tensors loaded and skipped, the file's tensors left unused, and the file's metadata.</summary>
public sealed class LoadReport
{
    internal LoadReport(string path, IReadOnlyList<string> loaded, IReadOnlyList<SkippedTensor> skipped, IReadOnlyList<string> unused,
        IReadOnlyDictionary<string, string> metadata, bool? architectureMatches, PreprocessingDocument? preprocessing)
    {
        Path = path;
        Loaded = loaded;
        Skipped = skipped;
        Unused = unused;
        Metadata = metadata;
        ArchitectureMatches = architectureMatches;
        Preprocessing = preprocessing;
    }

    /// <summary>The file read.</summary>
    public string Path { get; }

    /// <summary>The model's tensors that now hold the file's values (model names), in the order of <see cref="Model.FileLayout"/>.</summary>
    public IReadOnlyList<string> Loaded { get; }

    /// <summary>The model's tensors a non-strict load left as they were, and why (tensors of layers not chosen are not listed).</summary>
    public IReadOnlyList<SkippedTensor> Skipped { get; }

    /// <summary>
    /// The file's tensors whose names (after <see cref="LoadOptions.RenameFrom"/>) match no tensor of the model, or of the
    /// chosen layers, in file order. A tensor of a matching name but another shape is in <see cref="Skipped"/> instead.
    /// </summary>
    public IReadOnlyList<string> Unused { get; }

    /// <summary>The file's <c>__metadata__</c> entries (empty when it has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The model type that wrote the file (<c>modelgen.model</c>), or null for a file not written by ModelGen.</summary>
    public string? SavedModel => Metadata.TryGetValue(ModelFile.ModelKey, out string? model) ? model : null;

    /// <summary>Whether the file's architecture fingerprint equals the model's; null when the file has none (e.g. a PyTorch state_dict).</summary>
    public bool? ArchitectureMatches { get; }

    /// <summary>The preprocessing document saved with the weights (<see cref="PreprocessingDocument.MetadataKey"/>), or null.</summary>
    public PreprocessingDocument? Preprocessing { get; }
}
