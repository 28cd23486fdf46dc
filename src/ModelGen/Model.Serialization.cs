using System;
using ModelGen.Serialization;

namespace ModelGen;

// Saving and loading: the model's tensors under PyTorch's state_dict names (the generated FileLayout decides them),
// written and read by Serialization/ModelWeights.cs. Also BatchNorm's count of training batches, which the files carry.
public abstract partial class Model
{
    private long[]? _batchesTracked;

    /// <summary>
    /// The tensors <see cref="Save"/> writes and <see cref="Load(string, bool)"/> reads, generated from the declaration: every
    /// parameter and state tensor under the name and layout of the equivalent PyTorch module's state_dict, with the layer
    /// method names as submodule names (e.g. <c>Hidden.weight</c> [out, in], <c>Hidden.bias</c>), plus the architecture
    /// fingerprint and the input and output shapes written into the file's metadata. docs/serialization.md lists the
    /// names per layer.
    /// </summary>
    public abstract ModelFileLayout FileLayout { get; }

    /// <summary>
    /// Per BatchNorm layer (declaration order), the batches it has normalised in training mode: PyTorch's
    /// <c>num_batches_tracked</c>. Every training forward pass (<see cref="TrainStep"/>, <see cref="AccumulateGradients"/>,
    /// and each step of <see cref="Fit"/> on the CPU or a GPU) adds the layer's calls per forward pass, so a layer called
    /// twice counts two per step. Saved and loaded with the model; it does not change what the model computes
    /// (ModelGen's running statistics always use the layer's momentum). Empty for models without BatchNorm.
    /// </summary>
    public ReadOnlySpan<long> BatchesTracked => BatchCountBuffer;

    /// <summary>The counts behind <see cref="BatchesTracked"/>, writable (loading fills them).</summary>
    internal Span<long> BatchCountBuffer => _batchesTracked ??= new long[FileLayout.BatchNormCalls.Count];

    /// <summary>One training forward pass ran: each BatchNorm layer has normalised as many batches as it has calls.</summary>
    internal void CountTrainingForward()
    {
        var calls = FileLayout.BatchNormCalls;
        if (calls.Count == 0) return;
        Span<long> counts = BatchCountBuffer;
        for (int i = 0; i < counts.Length; i++) counts[i] += calls[i];
    }

    /// <summary>
    /// Writes every parameter, the BatchNorm running statistics and batch counts to <paramref name="path"/> as a safetensors
    /// file that PyTorch's <c>load_state_dict</c> takes for the equivalent module (see <see cref="FileLayout"/>), with
    /// metadata naming the model, its architecture fingerprint, input and output shapes, the format version and the
    /// ModelGen version. The file is replaced atomically: a reader sees the old file or the new one, and a failed save
    /// leaves the old one.
    /// </summary>
    /// <param name="path">The file, conventionally <c>*.safetensors</c>; replaced if it exists.</param>
    /// <param name="preprocessing">
    /// Optional preprocessing to keep with the weights, stored as JSON under <see cref="PreprocessingDocument.MetadataKey"/>;
    /// <see cref="ModelFile.ReadPreprocessing"/> or <see cref="LoadReport.Preprocessing"/> gives it back.
    /// </param>
    /// <exception cref="System.IO.IOException">The file cannot be written; the old file, if any, is unchanged.</exception>
    public void Save(string path, PreprocessingDocument? preprocessing = null) => ModelWeights.Save(this, path, preprocessing);

    /// <summary>
    /// Fills this model from a file written by <see cref="Save"/> or from a PyTorch state_dict saved as safetensors with
    /// the names and layouts of <see cref="FileLayout"/>. F16, BF16 and F64 tensors are converted to float32.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="strict">
    /// True (the default): every tensor must be there with its shape, the file may hold no other tensor, and a ModelGen file
    /// must have this model's architecture fingerprint; otherwise one <see cref="ModelFileException"/> lists every problem
    /// (name, expected, found) and the model keeps all its values. False: every tensor that fits is loaded; the report
    /// lists what was skipped and why.
    /// </param>
    /// <returns>What was loaded and skipped, the file's metadata and its preprocessing document, if any.</returns>
    /// <exception cref="ModelFileException">
    /// The file is not a well-formed safetensors file (truncated, not safetensors), was written by a newer ModelGen format,
    /// or (strict) does not fit the model. Nothing was loaded.
    /// </exception>
    /// <exception cref="System.IO.FileNotFoundException">There is no such file.</exception>
    public LoadReport Load(string path, bool strict = true) => ModelWeights.Load(this, path, new LoadOptions { Strict = strict });

    /// <summary>Fills this model, or chosen layers of it, from a file, as <paramref name="options"/> say (see <see cref="LoadOptions"/>).</summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Strictness, the layers to load and the names they have in the file.</param>
    /// <returns>What was loaded and skipped, the file's metadata and its preprocessing document, if any.</returns>
    /// <exception cref="ModelFileException">The file is not well formed, is of a newer format, or does not fit as the options require. Nothing was loaded.</exception>
    /// <exception cref="ArgumentException">The options name a layer the model does not have (or one without tensors).</exception>
    public LoadReport Load(string path, LoadOptions options) => ModelWeights.Load(this, path, options);

    /// <summary>
    /// Loads only <paramref name="layers"/> from a file, e.g. the convolutions of a trained network into a new model with
    /// another head; the other layers keep their values and the file's other tensors are ignored. Each chosen layer must be
    /// in the file under its own name with its shapes, or nothing is loaded.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="layers">Layer method names of this model.</param>
    /// <exception cref="ModelFileException">A chosen layer's tensor is missing or of another shape or dtype; the message lists each.</exception>
    /// <exception cref="ArgumentException">A name is not a layer of this model with tensors.</exception>
    public LoadReport LoadLayers(string path, params string[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        return ModelWeights.Load(this, path, new LoadOptions { Layers = layers });
    }
}
