using System;
using System.Reflection;

namespace ModelGen.Serialization;

/// <summary>
/// The metadata keys of a model file written by <see cref="Model.Save"/> (a safetensors file whose tensors are the
/// model's state_dict in PyTorch's names and layouts), the format version, and readers for what the metadata holds.
/// </summary>
public static class ModelFile
{
    /// <summary>The model file format this library writes, and the newest it reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>Metadata key "format", set to "pt" so that Hugging Face tooling treats the file as a PyTorch state_dict.</summary>
    public const string TensorFormatKey = "format";

    /// <summary>Metadata key of the model file format version (<see cref="FormatVersion"/> when written by this library).</summary>
    public const string FormatVersionKey = "modelgen.format_version";

    /// <summary>Metadata key of the ModelGen version that wrote the file.</summary>
    public const string LibraryVersionKey = "modelgen.version";

    /// <summary>Metadata key of the model type's full name.</summary>
    public const string ModelKey = "modelgen.model";

    /// <summary>Metadata key of the per-sample input shape (JSON).</summary>
    public const string InputShapeKey = "modelgen.input_shape";

    /// <summary>Metadata key of the per-sample output shape (JSON).</summary>
    public const string OutputShapeKey = "modelgen.output_shape";

    /// <summary>Metadata key of the architecture fingerprint (<see cref="ModelFileLayout.Architecture"/>).</summary>
    public const string ArchitectureKey = "modelgen.architecture";

    /// <summary>The version of this library as written into files: the informational version without build metadata, e.g. "0.1.0".</summary>
    public static string LibraryVersion { get; } = ReadLibraryVersion();

    /// <summary>The preprocessing document saved in a model file's metadata (<see cref="Model.Save"/>'s <c>preprocessing</c>), or null when it has none.</summary>
    /// <param name="path">The model file.</param>
    /// <exception cref="ModelFileException">The file is not a well-formed safetensors file, or its document is not valid.</exception>
    /// <exception cref="System.IO.FileNotFoundException">There is no such file.</exception>
    public static PreprocessingDocument? ReadPreprocessing(string path)
    {
        SafetensorsFile file = SafetensorsFile.Read(path);
        return file.Metadata.TryGetValue(PreprocessingDocument.MetadataKey, out string? json) ? PreprocessingDocument.FromJson(json, path) : null;
    }

    private static string ReadLibraryVersion()
    {
        // Assembly attributes are kept by trimming and NativeAOT; the commit hash after '+' would make every build's files differ.
        string? version = typeof(ModelFile).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(version)) return "unknown";
        int plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus >= 0 ? version[..plus] : version;
    }
}
