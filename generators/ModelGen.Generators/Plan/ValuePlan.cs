using System;
using System.Collections.Generic;
using System.Linq;
using ModelGen.FrontEnd;

namespace ModelGen.Generators.Plan;

/// <summary>
/// A buffer a layer call saves in its forward pass for its backward pass (normalisation statistics, dropout masks,
/// max-pooling winners), the same for every device: <see cref="PerSample"/> elements per sample plus <see cref="Fixed"/>.
/// </summary>
internal sealed record SavedBuffer(string Suffix, int PerSample, int Fixed, bool IsInt = false);

/// <summary>A concat on its axis: each part is a block of <c>PartWidths[i]</c> trailing elements in each of <see cref="RowsPerSample"/> rows per sample.</summary>
internal sealed record ConcatLayout(int RowsPerSample, int Width, EquatableArray<int> PartWidths);

/// <summary>
/// The values of one model and the buffers that hold them, planned once and rendered by both emitters (C# and CUDA C):
/// a readable unique label per graph value, which values are views of another's memory (Flatten, Reshape), which have a
/// pre-activation or a gradient, what each layer call saves for backward, each value's shape as text, concat layouts,
/// and the layers' parameter and state slices (<see cref="LayerPlan.Parameters"/>, <see cref="LayerPlan.State"/>).
/// </summary>
/// <remarks>
/// Built in the generator's output step from the equatable <see cref="ModelSpec"/> and <see cref="ShapePlan"/>, so it
/// never enters the incremental pipeline; the emitters differ only in the language they write it in.
/// </remarks>
internal sealed class ValuePlan
{
    private readonly string[] _labels;
    private readonly int[] _storage;

    public ValuePlan(ModelSpec spec, ShapePlan shapes)
    {
        Spec = spec;
        Shapes = shapes;
        var nodes = spec.Graph.Nodes;
        _labels = new string[nodes.Count];
        _storage = new int[nodes.Count];
        var seen = new Dictionary<string, int>();
        for (int n = 0; n < nodes.Count; n++)
        {
            string baseName = nodes[n].Kind switch
            {
                NodeKind.Input => "input",
                NodeKind.NamedInput => Camel(nodes[n].Label.Replace("_", "")) + "Input",   // apart from a layer of the same name
                _ => Camel(nodes[n].Label.Replace("_", "")),
            };
            seen.TryGetValue(baseName, out int count);
            seen[baseName] = count + 1;
            _labels[n] = count == 0 ? baseName : baseName + (count + 1);
            _storage[n] = IsView(n) ? _storage[nodes[n].A] : n;
        }
        MaskingLayer = spec.Layers.OfType<EmbeddingLayer>().FirstOrDefault(l => l.MaskPadding);
    }

    /// <summary>The model as declared.</summary>
    public ModelSpec Spec { get; }

    /// <summary>Every value's shape and every layer's sizes, parameter and state slices.</summary>
    public ShapePlan Shapes { get; }

    /// <summary>The dataflow graph; node 0 is the (packed) model input.</summary>
    public EquatableArray<GraphNode> Nodes => Spec.Graph.Nodes;

    /// <summary>The layer node <paramref name="n"/> calls; null for other nodes.</summary>
    public LayerSpec? LayerAt(int n) => Nodes[n].Kind == NodeKind.Layer ? Spec.Layers[Nodes[n].Layer] : null;

    /// <summary>The label of value <paramref name="n"/>: the layer or input name, camel-cased, unique (hidden, add1, profileInput…).</summary>
    public string Label(int n) => _labels[n];

    /// <summary>A Flatten or Reshape call owns no memory: its value and gradient are its input's, reshaped.</summary>
    public bool IsView(int n) => Nodes[n].Kind == NodeKind.Layer && IsViewKind(Spec.Layers[Nodes[n].Layer].Kind);

    /// <summary>Whether a layer of <paramref name="kind"/> only reinterprets its input's memory (and so has no buffers, kernels or gradient of its own).</summary>
    public static bool IsViewKind(LayerKind kind) => kind switch
    {
        LayerKind.Flatten or LayerKind.Reshape => true,
        LayerKind.Dense or LayerKind.Conv2d or LayerKind.Conv1d or LayerKind.MaxPool2d or LayerKind.AvgPool2d or LayerKind.GlobalAvgPool => false,
        LayerKind.LayerNorm or LayerKind.BatchNorm or LayerKind.GroupNorm or LayerKind.Dropout or LayerKind.LSTM or LayerKind.GRU => false,
        LayerKind.Embedding or LayerKind.PositionalEmbedding or LayerKind.MultiHeadAttention or LayerKind.CrossAttention => false,
        LayerKind.ConvTranspose2d or LayerKind.Upsample => false,
    };

    /// <summary>The node whose buffers hold node <paramref name="n"/>'s value and gradient.</summary>
    public int Storage(int n) => _storage[n];

    /// <summary>Whether node <paramref name="n"/> owns buffers of its own: a live value that is not the input and not a view.</summary>
    public bool OwnsBuffers(int n) => n > 0 && Shapes.Nodes[n].Live && !IsView(n);

    /// <summary>Whether layer call <paramref name="n"/> keeps its pre-activation (for the activation's derivative).</summary>
    public bool HasPre(int n) => LayerAt(n) switch
    {
        DenseLayer dense => dense.Activation != ActivationKind.None,
        ConvLayer conv => conv.Activation != ActivationKind.None,
        ConvTransposeLayer transposed => transposed.Activation != ActivationKind.None,
        _ => false,
    };

    /// <summary>"[batch, 16, 32]"; a variable-length value shows its first axis as "seq≤16" (it is sized at the bound).</summary>
    public string ShapeText(int n)
    {
        var node = Shapes.Nodes[n];
        var text = new System.Text.StringBuilder("[batch");
        for (int i = 0; i < node.Shape.Count; i++)
            text.Append(", ").Append(i == 0 && node.Masked ? "seq≤" : "").Append(Emit.Literals.Int(node.Shape[i]));
        return text.Append(']').ToString();
    }

    /// <summary>The Embedding whose padding defines each sample's length (MaskPadding), or null.</summary>
    public EmbeddingLayer? MaskingLayer { get; }

    /// <summary>The live call sites of the layers <paramref name="kind"/> selects, in graph order.</summary>
    public List<int> CallSites(Func<LayerSpec, bool> kind)
    {
        var sites = new List<int>();
        for (int n = 1; n < Nodes.Count; n++)
            if (Shapes.Nodes[n].Live && LayerAt(n) is { } layer && kind(layer)) sites.Add(n);
        return sites;
    }

    /// <summary>The first node that calls layer <paramref name="layer"/>, live or not; -1 when none does.</summary>
    public int FirstCall(int layer)
    {
        for (int n = 0; n < Nodes.Count; n++)
            if (Nodes[n].Kind == NodeKind.Layer && Nodes[n].Layer == layer) return n;
        return -1;
    }

    /// <summary>Rows per sample and widths of concat node <paramref name="n"/> on its axis.</summary>
    public ConcatLayout Concat(int n)
    {
        var node = Nodes[n];
        var shape = Shapes.Nodes[n].Shape;
        int axis = node.Axis < 0 ? shape.Count + node.Axis : node.Axis;
        var partWidths = new int[node.Parts.Count];
        for (int i = 0; i < partWidths.Length; i++) partWidths[i] = Sizes.Product(Shapes.Nodes[node.Parts[i]].Shape, from: axis);
        return new ConcatLayout(Sizes.Product(shape, to: axis), Sizes.Product(shape, from: axis), new EquatableArray<int>(partWidths));
    }

    /// <summary>What layer call <paramref name="n"/> saves for backward on every device (empty for the other nodes).</summary>
    public IReadOnlyList<SavedBuffer> Saved(int n)
    {
        if (LayerAt(n) is not { } layer) return Array.Empty<SavedBuffer>();
        int size = Shapes.Nodes[n].Size, features = Shapes.Layers[Nodes[n].Layer].InFeatures;
        return layer.Kind switch
        {
            LayerKind.MaxPool2d => new[] { new SavedBuffer("Winners", size, 0, IsInt: true) },
            LayerKind.Dropout => new[] { new SavedBuffer("Mask", size, 0) },
            // Mean and inverse standard deviation: per row of the last dimension, per channel of the batch, per sample and group.
            LayerKind.LayerNorm => new[] { new SavedBuffer("Mean", size / features, 0), new SavedBuffer("InvStd", size / features, 0) },
            LayerKind.BatchNorm => new[] { new SavedBuffer("Mean", 0, features), new SavedBuffer("InvStd", 0, features) },
            LayerKind.GroupNorm => new[] { new SavedBuffer("Mean", ((GroupNormLayer)layer).Groups, 0), new SavedBuffer("InvStd", ((GroupNormLayer)layer).Groups, 0) },
            // What the recurrent and attention kernels keep depends on the device's kernels: each emitter sizes its own.
            LayerKind.Dense or LayerKind.Conv2d or LayerKind.Conv1d or LayerKind.AvgPool2d or LayerKind.GlobalAvgPool or LayerKind.Flatten or LayerKind.Reshape => Array.Empty<SavedBuffer>(),
            LayerKind.LSTM or LayerKind.GRU or LayerKind.Embedding or LayerKind.PositionalEmbedding or LayerKind.MultiHeadAttention or LayerKind.CrossAttention => Array.Empty<SavedBuffer>(),
            LayerKind.ConvTranspose2d or LayerKind.Upsample => Array.Empty<SavedBuffer>(),
        };
    }

    /// <summary>
    /// Every parameter slice of the model in buffer order, with its layer: the flat parameter buffer, named. Layers are in
    /// declaration order and a shared layer appears once; each slice's role, direction, offset, count and stored shape
    /// (see <see cref="SliceRole"/>) say what PyTorch-style names and layouts it maps to.
    /// </summary>
    public IEnumerable<(LayerSpec Layer, BufferSlice Slice)> ParameterSlices()
    {
        for (int l = 0; l < Spec.Layers.Count; l++)
            foreach (var slice in Shapes.Layers[l].Parameters)
                yield return (Spec.Layers[l], slice);
    }

    /// <summary>Every slice of the state buffer (BatchNorm's running statistics) in buffer order, with its layer.</summary>
    public IEnumerable<(LayerSpec Layer, BufferSlice Slice)> StateSlices()
    {
        for (int l = 0; l < Spec.Layers.Count; l++)
            foreach (var slice in Shapes.Layers[l].State)
                yield return (Spec.Layers[l], slice);
    }

    /// <summary>Whether training and inference run differently (dropout masks, batch statistics).</summary>
    public bool HasTrainingMode => Spec.Layers.Any(l => l.Kind is LayerKind.Dropout or LayerKind.BatchNorm) || HasNoise;

    /// <summary>Whether [Forward] draws noise (Tensor.RandomNormal): from the seed Fit passes while training, zero otherwise.</summary>
    public bool HasNoise => Nodes.Any(n => n.Kind == NodeKind.RandomNormal);

    /// <summary>Whether a dropout layer draws masks (from the seed Fit passes).</summary>
    public bool HasDropout => Spec.Layers.Any(l => l.Kind == LayerKind.Dropout);

    /// <summary>Output values per sample: every output side by side.</summary>
    public int OutputWidth => TargetLayout.OutputWidth(Spec, Shapes);

    /// <summary>Elements of one sample's target row.</summary>
    public int TargetWidth => TargetLayout.TargetWidth(Spec, Shapes);

    /// <summary>Class labels per sample (one per position of a [sequence, classes] output under softmax cross-entropy), else 1.</summary>
    public int LabelsPerSample => TargetLayout.LabelsPerSample(Spec, Shapes);

    private static string Camel(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name.Substring(1);
}
