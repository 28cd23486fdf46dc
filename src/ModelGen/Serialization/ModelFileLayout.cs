using System;
using System.Collections.Generic;

namespace ModelGen.Serialization;

/// <summary>Which of a model's buffers a saved tensor comes from.</summary>
public enum TensorSource
{
    /// <summary><see cref="Model.Parameters"/>: the trained weights.</summary>
    Parameters,

    /// <summary><see cref="Model.State"/>: BatchNorm's running mean and variance.</summary>
    State,

    /// <summary>
    /// <see cref="Model.BatchesTracked"/>: a BatchNorm layer's count of batches normalised in training mode, PyTorch's
    /// <c>num_batches_tracked</c> (an I64 scalar). The slot's <see cref="TensorSlot.Offset"/> is the layer's index there.
    /// </summary>
    BatchCount,
}

/// <summary>How a tensor's values in the file relate to the model's buffer.</summary>
public enum TensorTransform
{
    /// <summary>The file holds the values in the order the buffer stores them.</summary>
    AsStored,

    /// <summary>
    /// The file holds the transpose of a matrix the buffer stores row-major: a file shape [rows, columns] is a stored
    /// [columns, rows] (ModelGen keeps Dense, attention and recurrent weights in×out; PyTorch keeps them out×in).
    /// </summary>
    Transposed2D,
}

/// <summary>
/// One tensor of a model file: its name (<see cref="Layer"/>.<see cref="Key"/>, as in the state_dict of the equivalent
/// PyTorch module), where its values live in the model, and its shape in the file. Generated per model (see
/// <see cref="Model.FileLayout"/>).
/// </summary>
public sealed class TensorSlot
{
    private readonly int[] _fileShape;

    /// <summary>Creates a slot (generated code builds them; see <see cref="Model.FileLayout"/>).</summary>
    /// <param name="layer">The layer method's name, the PyTorch submodule name, e.g. "Hidden".</param>
    /// <param name="key">The tensor's name within the layer, e.g. "weight", "out_proj.bias", "weight_ih_l0_reverse".</param>
    /// <param name="source">The buffer the values live in.</param>
    /// <param name="offset">The first element in that buffer (for <see cref="TensorSource.BatchCount"/>: the BatchNorm layer's index).</param>
    /// <param name="fileShape">The shape in the file, outermost first; empty for a scalar.</param>
    /// <param name="transform">How the file's order relates to the buffer's.</param>
    public TensorSlot(string layer, string key, TensorSource source, int offset, int[] fileShape, TensorTransform transform)
    {
        ArgumentException.ThrowIfNullOrEmpty(layer);
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(fileShape);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (transform == TensorTransform.Transposed2D && fileShape.Length != 2)
            throw new ArgumentException($"Tensor '{layer}.{key}' is transposed, so its shape must have two dimensions, not {fileShape.Length}.", nameof(fileShape));
        if (source == TensorSource.BatchCount && fileShape.Length != 0)
            throw new ArgumentException($"Tensor '{layer}.{key}' counts batches, so it is a scalar (shape []).", nameof(fileShape));
        long count = 1;
        foreach (int d in fileShape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(fileShape));
            count *= d;
        }
        Layer = layer;
        Key = key;
        Name = layer + "." + key;
        Source = source;
        Offset = offset;
        _fileShape = (int[])fileShape.Clone();
        FileShape = Array.AsReadOnly(_fileShape);
        Transform = transform;
        Count = checked((int)count);
    }

    /// <summary>The layer method's name (the PyTorch submodule name).</summary>
    public string Layer { get; }

    /// <summary>The tensor's name within its layer, e.g. "weight" or "in_proj_bias".</summary>
    public string Key { get; }

    /// <summary>The full tensor name, <c>Layer.Key</c>, e.g. "Hidden.weight".</summary>
    public string Name { get; }

    /// <summary>The buffer the values live in.</summary>
    public TensorSource Source { get; }

    /// <summary>The first element in <see cref="Source"/> (the BatchNorm layer's index for <see cref="TensorSource.BatchCount"/>).</summary>
    public int Offset { get; }

    /// <summary>The shape in the file (PyTorch's), outermost first; empty for a scalar.</summary>
    public IReadOnlyList<int> FileShape { get; }

    /// <summary>How the file's order relates to the buffer's.</summary>
    public TensorTransform Transform { get; }

    /// <summary>Elements: the product of <see cref="FileShape"/>.</summary>
    public int Count { get; }

    /// <summary>The file shape as PyTorch prints it, e.g. "[128, 64]".</summary>
    public string ShapeText => "[" + string.Join(", ", _fileShape) + "]";

    internal long[] FileShapeInt64()
    {
        var shape = new long[_fileShape.Length];
        for (int i = 0; i < shape.Length; i++) shape[i] = _fileShape[i];
        return shape;
    }

    /// <summary>Whether a file tensor of shape <paramref name="shape"/> has exactly this slot's shape.</summary>
    internal bool HasShape(IReadOnlyList<long> shape)
    {
        if (shape.Count != _fileShape.Length) return false;
        for (int i = 0; i < shape.Count; i++)
            if (shape[i] != _fileShape[i]) return false;
        return true;
    }

    /// <summary>This slot's values in file order, read from <paramref name="buffer"/> (the whole parameter or state buffer).</summary>
    internal float[] Read(ReadOnlySpan<float> buffer)
    {
        var values = new float[Count];
        var stored = buffer.Slice(Offset, Count);
        if (Transform == TensorTransform.AsStored) stored.CopyTo(values);
        else
        {
            int rows = _fileShape[0], columns = _fileShape[1];   // the buffer holds [columns, rows]
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < columns; c++)
                    values[r * columns + c] = stored[c * rows + r];
        }
        return values;
    }

    /// <summary>Writes values in file order into <paramref name="buffer"/> (the whole parameter or state buffer).</summary>
    internal void Write(ReadOnlySpan<float> values, Span<float> buffer)
    {
        var stored = buffer.Slice(Offset, Count);
        if (Transform == TensorTransform.AsStored) values.CopyTo(stored);
        else
        {
            int rows = _fileShape[0], columns = _fileShape[1];
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < columns; c++)
                    stored[c * rows + r] = values[r * columns + c];
        }
    }
}

/// <summary>
/// What a model file holds for one model type, decided by the generator from the model's declaration: the tensors in
/// the order of the equivalent PyTorch module's state_dict, the architecture fingerprint, the per-sample input and
/// output shapes, and how many times each BatchNorm layer runs per forward pass.
/// </summary>
public sealed class ModelFileLayout
{
    private readonly int[] _batchNormCalls;

    /// <summary>Creates the layout (generated code builds it once per model type; see <see cref="Model.FileLayout"/>).</summary>
    /// <param name="model">The model type's full name, e.g. "Samples.Vision.LeNet5".</param>
    /// <param name="architecture">The architecture fingerprint (hex digits of a hash of the layers, their options, the graph and the loss).</param>
    /// <param name="inputShape">The per-sample input shape as JSON: an array, or an object of named inputs in declaration order.</param>
    /// <param name="outputShape">The per-sample output shape as JSON: an array, or an object of named outputs in order.</param>
    /// <param name="batchNormCalls">Per BatchNorm layer (declaration order), its calls per forward pass.</param>
    /// <param name="tensors">The tensors, with unique names.</param>
    public ModelFileLayout(string model, string architecture, string inputShape, string outputShape, int[] batchNormCalls, TensorSlot[] tensors)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        ArgumentException.ThrowIfNullOrEmpty(architecture);
        ArgumentException.ThrowIfNullOrEmpty(inputShape);
        ArgumentException.ThrowIfNullOrEmpty(outputShape);
        ArgumentNullException.ThrowIfNull(batchNormCalls);
        ArgumentNullException.ThrowIfNull(tensors);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (TensorSlot slot in tensors)
        {
            ArgumentNullException.ThrowIfNull(slot, nameof(tensors));
            if (!names.Add(slot.Name)) throw new ArgumentException($"Two tensors are named '{slot.Name}'.", nameof(tensors));
            if (slot.Source == TensorSource.BatchCount && slot.Offset >= batchNormCalls.Length)
                throw new ArgumentException($"Tensor '{slot.Name}' counts BatchNorm layer {slot.Offset}, but there are {batchNormCalls.Length}.", nameof(tensors));
        }
        Model = model;
        Architecture = architecture;
        InputShape = inputShape;
        OutputShape = outputShape;
        _batchNormCalls = (int[])batchNormCalls.Clone();
        BatchNormCalls = Array.AsReadOnly(_batchNormCalls);
        Tensors = Array.AsReadOnly((TensorSlot[])tensors.Clone());
    }

    /// <summary>The model type's full name (written as <c>modelgen.model</c>).</summary>
    public string Model { get; }

    /// <summary>
    /// The architecture fingerprint (written as <c>modelgen.architecture</c>): it changes when a layer, a layer option, the
    /// graph, the inputs or the loss change, not when weights change.
    /// </summary>
    public string Architecture { get; }

    /// <summary>The per-sample input shape as JSON (written as <c>modelgen.input_shape</c>), e.g. <c>[3,32,32]</c> or <c>{"wide":[3],"deep":[6]}</c>.</summary>
    public string InputShape { get; }

    /// <summary>The per-sample output shape as JSON (written as <c>modelgen.output_shape</c>), e.g. <c>[10]</c> or <c>{"kind":[3],"score":[1]}</c>.</summary>
    public string OutputShape { get; }

    /// <summary>Per BatchNorm layer in declaration order, how many times one forward pass runs it (each run counts one batch).</summary>
    public IReadOnlyList<int> BatchNormCalls { get; }

    /// <summary>Every tensor of the file, in the order of the PyTorch module's state_dict.</summary>
    public IReadOnlyList<TensorSlot> Tensors { get; }

    internal int BatchNormCallsAt(int index) => _batchNormCalls[index];
}
