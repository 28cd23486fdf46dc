using System;
using System.Collections.Generic;

namespace ModelGen.Export;

/// <summary>The layer families of the DSL, one per layer attribute (named as the attribute without "Attribute").</summary>
public enum LayerType
{
    /// <summary><see cref="DenseAttribute"/>.</summary>
    Dense,
    /// <summary><see cref="FlattenAttribute"/>.</summary>
    Flatten,
    /// <summary><see cref="Conv2dAttribute"/>.</summary>
    Conv2d,
    /// <summary><see cref="MaxPool2dAttribute"/>.</summary>
    MaxPool2d,
    /// <summary><see cref="AvgPool2dAttribute"/>.</summary>
    AvgPool2d,
    /// <summary><see cref="GlobalAvgPoolAttribute"/>.</summary>
    GlobalAvgPool,
    /// <summary><see cref="LayerNormAttribute"/>.</summary>
    LayerNorm,
    /// <summary><see cref="BatchNormAttribute"/>.</summary>
    BatchNorm,
    /// <summary><see cref="DropoutAttribute"/>.</summary>
    Dropout,
    /// <summary><see cref="LSTMAttribute"/>.</summary>
    LSTM,
    /// <summary><see cref="GRUAttribute"/>.</summary>
    GRU,
    /// <summary><see cref="Conv1dAttribute"/>.</summary>
    Conv1d,
    /// <summary><see cref="GroupNormAttribute"/>.</summary>
    GroupNorm,
    /// <summary><see cref="ReshapeAttribute"/>.</summary>
    Reshape,
    /// <summary><see cref="EmbeddingAttribute"/>.</summary>
    Embedding,
    /// <summary><see cref="PositionalEmbeddingAttribute"/>.</summary>
    PositionalEmbedding,
    /// <summary><see cref="MultiHeadAttentionAttribute"/>.</summary>
    MultiHeadAttention,
    /// <summary><see cref="CrossAttentionAttribute"/>.</summary>
    CrossAttention,
    /// <summary><see cref="ConvTranspose2dAttribute"/>.</summary>
    ConvTranspose2d,
    /// <summary><see cref="UpsampleAttribute"/>.</summary>
    Upsample,
}

/// <summary>What a step of the <see cref="InferenceGraph"/> does.</summary>
public enum InferenceOp
{
    /// <summary>A model input: the one input of <c>[Model(Input = …)]</c>, or one <c>[Input]</c>.</summary>
    Input,

    /// <summary>
    /// The packed row of a model with several <c>[Input]</c>s (every input side by side, as <c>Predict</c> takes it).
    /// Only the named inputs read it; an export takes them one by one instead.
    /// </summary>
    PackedInputs,

    /// <summary>A call of a layer method on one value.</summary>
    Layer,

    /// <summary>Element-wise sum of two values of the same shape (<c>a + b</c> in <c>[Forward]</c>).</summary>
    Add,

    /// <summary>Element-wise product of two values of the same shape (<c>a * b</c> in <c>[Forward]</c>).</summary>
    Multiply,

    /// <summary><c>Tensor.Concat</c> of several values along one per-sample axis.</summary>
    Concat,

    /// <summary>Element-wise difference of two values of the same shape (<c>a - b</c> in <c>[Forward]</c>).</summary>
    Subtract,

    /// <summary>
    /// An element-wise function of one value (<see cref="InferenceNode.Function"/> with its constants <see cref="InferenceNode.First"/>
    /// and <see cref="InferenceNode.Second"/>): <c>0.5f * x</c>, <c>Tensor.Exp(x)</c>, … in <c>[Forward]</c>.
    /// </summary>
    Elementwise,

    /// <summary>
    /// Zeros of the shape of its one input: <c>Tensor.RandomNormal(like: value)</c> at inference, which takes the noise's mean.
    /// </summary>
    ZerosLike,

    /// <summary><c>Tensor.Sum(x)</c>: each sample's elements added, per-sample shape [1].</summary>
    Sum,

    /// <summary><c>Tensor.Mean(x)</c>: each sample's elements averaged, per-sample shape [1].</summary>
    Mean,
}

/// <summary>
/// One layer method of a model and the options that decide what it computes at inference. Sizes that the model's
/// tensors already state (units, filters, kernel of a convolution, hidden size, embedding width) are read from
/// <see cref="Model.FileLayout"/> instead. Generated per model (see <see cref="Model.InferenceGraph"/>).
/// </summary>
public sealed class InferenceLayer
{
    /// <summary>Creates the description of layer method <paramref name="name"/> of family <paramref name="type"/>.</summary>
    /// <param name="name">The layer method's name, also the module name of its tensors in <see cref="Model.FileLayout"/>.</param>
    /// <param name="type">The layer's family.</param>
    public InferenceLayer(string name, LayerType type)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Type = type;
    }

    /// <summary>The layer method's name.</summary>
    public string Name { get; }

    /// <summary>The layer's family.</summary>
    public LayerType Type { get; }

    /// <summary>The activation after a Dense or convolution layer's affine part.</summary>
    public Activation Activation { get; init; }

    /// <summary>The slope of <see cref="Activation.LeakyReLU"/> for negative inputs.</summary>
    public float NegativeSlope { get; init; }

    /// <summary>Window of a pooling layer (a convolution's comes from its weights).</summary>
    public int Kernel { get; init; }

    /// <summary>Stride of a convolution or pooling layer.</summary>
    public int Stride { get; init; } = 1;

    /// <summary>Zero padding before the input along each spatial axis (convolution and pooling).</summary>
    public int PaddingBefore { get; init; }

    /// <summary>Zero padding after the input along each spatial axis ('same' padding may put one more zero after).</summary>
    public int PaddingAfter { get; init; }

    /// <summary>Dilation of a convolution.</summary>
    public int Dilation { get; init; } = 1;

    /// <summary>Groups of a convolution or of <see cref="LayerType.GroupNorm"/>.</summary>
    public int Groups { get; init; } = 1;

    /// <summary>ε added to the variance of a normalisation layer.</summary>
    public double Epsilon { get; init; }

    /// <summary>Whether a recurrent layer returns every step (else its last state).</summary>
    public bool ReturnSequences { get; init; }

    /// <summary>Heads of a multi-head attention layer.</summary>
    public int Heads { get; init; }

    /// <summary>Whether an attention layer lets each position see only itself and earlier positions.</summary>
    public bool Causal { get; init; }

    /// <summary>Rows and columns a transposed convolution adds after the bottom and right edges.</summary>
    public int OutputPadding { get; init; }

    /// <summary>Factor of the height of an <see cref="LayerType.Upsample"/> layer.</summary>
    public int ScaleHeight { get; init; } = 1;

    /// <summary>Factor of the width of an <see cref="LayerType.Upsample"/> layer.</summary>
    public int ScaleWidth { get; init; } = 1;

    /// <summary>Interpolation of an <see cref="LayerType.Upsample"/> layer.</summary>
    public UpsampleMode Mode { get; init; }

    /// <summary>Whether a bilinear <see cref="LayerType.Upsample"/> layer aligns the corner pixels.</summary>
    public bool AlignCorners { get; init; }
}

/// <summary>
/// One value of the <see cref="InferenceGraph"/>: how it is computed from earlier values and its per-sample shape (the
/// batch axis is left out; it is symbolic).
/// </summary>
public sealed class InferenceNode
{
    private readonly int[] _inputs;
    private readonly int[] _shape;

    /// <summary>Creates a node (generated code builds them; see <see cref="Model.InferenceGraph"/>).</summary>
    /// <param name="op">What the node does.</param>
    /// <param name="name">The input's declared name for <see cref="InferenceOp.Input"/>; else a readable label, unique among the other nodes' labels.</param>
    /// <param name="layer">For <see cref="InferenceOp.Layer"/>, the index of its layer in <see cref="InferenceGraph.Layers"/>; else −1.</param>
    /// <param name="inputs">The indices of the nodes it reads, all smaller than its own.</param>
    /// <param name="shape">Its per-sample shape, outermost first.</param>
    public InferenceNode(InferenceOp op, string name, int layer, int[] inputs, int[] shape)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(shape);
        Op = op;
        Name = name;
        Layer = layer;
        _inputs = (int[])inputs.Clone();
        _shape = (int[])shape.Clone();
        Inputs = Array.AsReadOnly(_inputs);
        Shape = Array.AsReadOnly(_shape);
    }

    /// <summary>What the node does.</summary>
    public InferenceOp Op { get; }

    /// <summary>The input's declared name, or the value's label (an export names its values after it).</summary>
    public string Name { get; }

    /// <summary>The layer a <see cref="InferenceOp.Layer"/> node calls (an index into <see cref="InferenceGraph.Layers"/>); −1 otherwise.</summary>
    public int Layer { get; }

    /// <summary>The nodes it reads.</summary>
    public IReadOnlyList<int> Inputs { get; }

    /// <summary>The per-sample shape (a variable-length sequence at its bound).</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>The per-sample axis of a <see cref="InferenceOp.Concat"/>, counted from 0.</summary>
    public int Axis { get; init; }

    /// <summary>The function of an <see cref="InferenceOp.Elementwise"/> node.</summary>
    public ElementwiseFunction Function { get; init; }

    /// <summary>The function's first constant (the scale of <see cref="ElementwiseFunction.Affine"/>, the lower bound of a clamp, a slope).</summary>
    public float First { get; init; }

    /// <summary>The function's second constant (the shift of <see cref="ElementwiseFunction.Affine"/>, the upper bound of a clamp).</summary>
    public float Second { get; init; }

    /// <summary>
    /// Whether the value is a sequence whose length varies per sample (ids after an Embedding with
    /// <see cref="EmbeddingAttribute.MaskPadding"/>): padded positions are masked by the layers that read it.
    /// </summary>
    public bool VariableLength { get; init; }
}

/// <summary>
/// The inference computation of a model as the generator knows it: its layers with their options, every value in
/// evaluation order with its per-sample shape, and the returned values with their names. Dropout is a layer that
/// passes its input on; BatchNorm normalises with its running statistics. <see cref="Model.ExportOnnx(string)"/>
/// renders it, with the tensors of <see cref="Model.FileLayout"/>, as an ONNX graph.
/// </summary>
public sealed class InferenceGraph
{
    /// <summary>Creates the description (generated code builds it once per model type; see <see cref="Model.InferenceGraph"/>).</summary>
    /// <param name="layers">The layer methods in declaration order.</param>
    /// <param name="nodes">Every value in evaluation order; each reads only earlier ones.</param>
    /// <param name="outputs">The returned nodes, in order.</param>
    /// <param name="outputNames">Their names: "output" for one output, else the names of the returned tuple's elements.</param>
    public InferenceGraph(InferenceLayer[] layers, InferenceNode[] nodes, int[] outputs, string[] outputNames)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(outputNames);
        if (outputs.Length == 0) throw new ArgumentException("A model returns at least one value.", nameof(outputs));
        if (outputNames.Length != outputs.Length)
            throw new ArgumentException($"There are {outputs.Length} outputs but {outputNames.Length} output names.", nameof(outputNames));
        for (int n = 0; n < nodes.Length; n++)
        {
            var node = nodes[n] ?? throw new ArgumentNullException(nameof(nodes), $"Node {n} is null.");
            foreach (int input in node.Inputs)
                if (input < 0 || input >= n) throw new ArgumentException($"Node {n} ('{node.Name}') reads node {input}, which is not an earlier node.", nameof(nodes));
            if (node.Op == InferenceOp.Layer && (node.Layer < 0 || node.Layer >= layers.Length))
                throw new ArgumentException($"Node {n} ('{node.Name}') calls layer {node.Layer}, but there are {layers.Length}.", nameof(nodes));
        }
        foreach (int output in outputs)
            if (output < 0 || output >= nodes.Length) throw new ArgumentException($"Output node {output} does not exist.", nameof(outputs));
        Layers = Array.AsReadOnly((InferenceLayer[])layers.Clone());
        Nodes = Array.AsReadOnly((InferenceNode[])nodes.Clone());
        Outputs = Array.AsReadOnly((int[])outputs.Clone());
        OutputNames = Array.AsReadOnly((string[])outputNames.Clone());
    }

    /// <summary>The layer methods in declaration order.</summary>
    public IReadOnlyList<InferenceLayer> Layers { get; }

    /// <summary>Every value in evaluation order.</summary>
    public IReadOnlyList<InferenceNode> Nodes { get; }

    /// <summary>The returned nodes, in order.</summary>
    public IReadOnlyList<int> Outputs { get; }

    /// <summary>The names of the returned values, as <see cref="Model.Heads"/> names them.</summary>
    public IReadOnlyList<string> OutputNames { get; }
}
