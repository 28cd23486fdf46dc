using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace ModelGen.Serialization;

/// <summary>
/// Saves a model's tensors by its <see cref="ModelFileLayout"/> and loads them back: everything is read, converted and
/// checked first, and only then copied into the model, so a load that fails changes nothing.
/// </summary>
internal static class ModelWeights
{
    private const string FloatDTypes = "a float dtype (F32, F16, BF16 or F64)";

    public static void Save(Model model, string path, PreprocessingDocument? preprocessing)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ModelFileLayout layout = model.FileLayout;
        ReadOnlySpan<float> parameters = model.Parameters, state = model.State;
        ReadOnlySpan<long> counts = model.BatchesTracked;
        var tensors = new List<SafetensorsTensor>(layout.Tensors.Count);
        foreach (TensorSlot slot in layout.Tensors)
        {
            tensors.Add(slot.Source switch
            {
                TensorSource.Parameters => SafetensorsTensor.FromFloat32(slot.Name, slot.FileShapeInt64(), slot.Read(parameters)),
                TensorSource.State => SafetensorsTensor.FromFloat32(slot.Name, slot.FileShapeInt64(), slot.Read(state)),
                _ => SafetensorsTensor.FromInt64(slot.Name, [], [counts[slot.Offset]]),
            });
        }
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [ModelFile.TensorFormatKey] = "pt",
            [ModelFile.FormatVersionKey] = ModelFile.FormatVersion.ToString(CultureInfo.InvariantCulture),
            [ModelFile.LibraryVersionKey] = ModelFile.LibraryVersion,
            [ModelFile.ModelKey] = layout.Model,
            [ModelFile.InputShapeKey] = layout.InputShape,
            [ModelFile.OutputShapeKey] = layout.OutputShape,
            [ModelFile.ArchitectureKey] = layout.Architecture,
        };
        if (preprocessing is not null) metadata[PreprocessingDocument.MetadataKey] = preprocessing.ToJson();
        SafetensorsFile.Write(path, tensors, metadata);
    }

    public static LoadReport Load(Model model, string path, LoadOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        ModelFileLayout layout = model.FileLayout;
        HashSet<string>? chosen = options.Layers is null ? null : CheckLayers(layout, options.Layers, nameof(LoadOptions.Layers));
        if (options.RenameFrom is not null) CheckLayers(layout, options.RenameFrom.Keys.ToList(), nameof(LoadOptions.RenameFrom));

        SafetensorsFile file = SafetensorsFile.Read(path);
        CheckFormatVersion(file, path);
        bool all = chosen is null;
        bool? architectureMatches = file.Metadata.TryGetValue(ModelFile.ArchitectureKey, out string? architecture) ? architecture == layout.Architecture : null;
        if (all && options.Strict && architectureMatches == false)
            throw new ModelFileException(path, ArchitectureMismatch(file, layout, architecture!));
        PreprocessingDocument? preprocessing = file.Metadata.TryGetValue(PreprocessingDocument.MetadataKey, out string? json)
            ? PreprocessingDocument.FromJson(json, path)
            : null;

        // Chosen layers are always loaded strictly: a fine-tuning load that silently skipped a layer would train from scratch.
        bool strict = options.Strict || !all;
        var problems = new List<string>();
        var staged = new List<Staged>();
        var loaded = new List<string>();
        var skipped = new List<SkippedTensor>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (TensorSlot slot in layout.Tensors)
        {
            if (chosen is not null && !chosen.Contains(slot.Layer)) continue;
            string fileName = FileName(slot, options.RenameFrom);
            string? problem;
            if (!file.TryGetTensor(fileName, out SafetensorsTensor? tensor)) problem = $"missing, expected {Expected(slot)}";
            else
            {
                used.Add(fileName);
                problem = Stage(slot, tensor, staged);
            }
            if (problem is null) loaded.Add(slot.Name);
            else if (strict) problems.Add($"{Label(slot, fileName)}: {problem}");
            else skipped.Add(new SkippedTensor(slot.Name, fileName, problem));
        }
        var unused = file.Tensors.Where(t => !used.Contains(t.Name)).Select(t => t.Name).ToList();
        if (all && options.Strict)
            foreach (string name in unused)
                problems.Add($"{Quote(name)}: unexpected {file[name].DType.HeaderName()} {file[name].ShapeText} ({layout.Model} has no tensor of that name)");
        if (problems.Count > 0) throw new ModelFileException(path, Problems(layout, chosen, problems));

        Commit(model, staged);
        return new LoadReport(path, loaded, skipped, unused, file.Metadata, architectureMatches, preprocessing);
    }

    /// <summary>A tensor read and converted, waiting to be copied into the model.</summary>
    private readonly record struct Staged(TensorSlot Slot, float[]? Values, long Count);

    /// <summary>Checks and converts <paramref name="tensor"/> for <paramref name="slot"/>; returns the problem, or null when it is staged.</summary>
    private static string? Stage(TensorSlot slot, SafetensorsTensor tensor, List<Staged> staged)
    {
        string found = $"found {tensor.DType.HeaderName()} {tensor.ShapeText}";
        if (slot.Source == TensorSource.BatchCount)
        {
            if (!tensor.DType.IsConvertibleToInt64() || tensor.DType == SafetensorsDType.Bool || !slot.HasShape(tensor.Shape)) return $"{found}, expected {Expected(slot)}";
            long count;
            try { count = tensor.ToInt64()[0]; }
            catch (ModelFileException error) { return error.Problem; }
            if (count < 0) return $"found {count}, expected a count of batches (0 or more)";
            staged.Add(new Staged(slot, null, count));
            return null;
        }
        if (!tensor.DType.IsConvertibleToFloat32()) return $"{found}, expected {FloatDTypes} of shape {slot.ShapeText}";
        if (!slot.HasShape(tensor.Shape)) return $"{found}, expected {slot.ShapeText}";
        staged.Add(new Staged(slot, tensor.ToFloat32(), 0));
        return null;
    }

    private static void Commit(Model model, List<Staged> staged)
    {
        Span<float> parameters = model.Parameters, state = model.State;
        Span<long> counts = model.BatchCountBuffer;
        foreach (Staged item in staged)
        {
            switch (item.Slot.Source)
            {
                case TensorSource.Parameters: item.Slot.Write(item.Values!, parameters); break;
                case TensorSource.State: item.Slot.Write(item.Values!, state); break;
                default: counts[item.Slot.Offset] = item.Count; break;
            }
        }
    }

    private static string Expected(TensorSlot slot) => slot.Source == TensorSource.BatchCount ? "an I64 scalar []" : "F32 " + slot.ShapeText;

    private static string FileName(TensorSlot slot, IReadOnlyDictionary<string, string>? renameFrom) =>
        renameFrom is not null && renameFrom.TryGetValue(slot.Layer, out string? fileLayer) ? fileLayer + "." + slot.Key : slot.Name;

    private static string Label(TensorSlot slot, string fileName) =>
        fileName == slot.Name ? Quote(slot.Name) : $"{Quote(slot.Name)} (in the file {Quote(fileName)})";

    private static string Quote(string name) => "'" + (name.Length > 120 ? name[..120] + "…" : name) + "'";

    private static string Problems(ModelFileLayout layout, HashSet<string>? chosen, List<string> problems)
    {
        var text = new StringBuilder();
        text.Append(chosen is null
            ? $"the file does not fit {layout.Model}; nothing was loaded. "
            : $"layers {string.Join(", ", chosen.Order(StringComparer.Ordinal))} of {layout.Model} cannot be loaded from it; nothing was loaded. ");
        text.Append(problems.Count == 1 ? "1 problem:" : $"{problems.Count} problems:");
        foreach (string problem in problems) text.Append("\n  ").Append(problem);
        text.Append(chosen is null
            ? "\nTo load the tensors that fit and keep the model's values for the rest, call Load(path, strict: false)."
            : "\nLoadOptions.RenameFrom reads a layer from tensors of another name.");
        return text.ToString();
    }

    private static string ArchitectureMismatch(SafetensorsFile file, ModelFileLayout layout, string architecture)
    {
        string saved = file.Metadata.TryGetValue(ModelFile.ModelKey, out string? model) ? model : "a model";
        string what = saved == layout.Model
            ? $"the file was saved from an earlier declaration of {saved} (architecture {architecture}); its architecture is now {layout.Architecture} " +
              "(a layer, a layer option, the graph, the inputs or the loss changed)"
            : $"the file holds the weights of {saved} (architecture {architecture}), not of {layout.Model} (architecture {layout.Architecture})";
        return what + "; nothing was loaded. To load the tensors whose names and shapes match anyway, call Load(path, strict: false), " +
               "or LoadLayers(path, …) for chosen layers.";
    }

    private static void CheckFormatVersion(SafetensorsFile file, string path)
    {
        if (!file.Metadata.TryGetValue(ModelFile.FormatVersionKey, out string? text)) return;   // not written by ModelGen (e.g. PyTorch)
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int version) || version < 1)
            throw new ModelFileException(path, $"metadata '{ModelFile.FormatVersionKey}' is '{text}'; expected a whole number from 1");
        if (version > ModelFile.FormatVersion)
        {
            string writer = file.Metadata.TryGetValue(ModelFile.LibraryVersionKey, out string? library) ? "ModelGen " + library : "a newer ModelGen";
            throw new ModelFileException(path,
                $"the file has model file format version {version}, written by {writer}; this library (ModelGen {ModelFile.LibraryVersion}) " +
                $"reads format version {ModelFile.FormatVersion}. Load it with a ModelGen that reads version {version}.");
        }
    }

    /// <summary>The distinct layer names of <paramref name="layers"/>, each one a layer of the model with tensors.</summary>
    private static HashSet<string> CheckLayers(ModelFileLayout layout, IReadOnlyList<string> layers, string option)
    {
        var withTensors = new List<string>();
        foreach (TensorSlot slot in layout.Tensors)
            if (!withTensors.Contains(slot.Layer)) withTensors.Add(slot.Layer);
        if (layers.Count == 0 && option == nameof(LoadOptions.Layers))
            throw new ArgumentException($"{option} is empty; name at least one layer of {layout.Model} ({string.Join(", ", withTensors)}).", "options");
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (string layer in layers)
        {
            if (!withTensors.Contains(layer))
                throw new ArgumentException(
                    $"{option} names '{layer}', which is not a layer of {layout.Model} with tensors; its layers with tensors are {string.Join(", ", withTensors)}.", "options");
            set.Add(layer);
        }
        return set;
    }
}
