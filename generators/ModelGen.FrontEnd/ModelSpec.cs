using System.Linq;

namespace ModelGen.FrontEnd;

/// <summary>Everything the generator needs to know about one [Model] class: plain values only (no symbols, syntax or locations).</summary>
internal sealed record ModelSpec(
    string? Namespace,
    string TypeName,
    EquatableArray<ContainingType> ContainingTypes,
    bool IsPartial,
    bool CanAddBaseClass,
    EquatableArray<int> InputShape,
    LossKind Loss,
    double PosWeight,
    EquatableArray<LayerSpec> Layers,
    GraphSpec Graph,
    bool HasDeclarationErrors,
    double HuberDelta = 1,
    EquatableArray<InputSpec> Inputs = default,
    EquatableArray<HeadSpec> Heads = default,
    double Margin = 1,
    EquatableArray<string> ErrorIds = default,
    string TypeParameters = "",
    EquatableArray<string> CopiedSurface = default,
    string? BaseConstructorArguments = "",
    bool ConvertsToModel = false,
    EquatableArray<SubmodelSpec> Submodels = default)
{
    /// <summary>Fully qualified metadata-style name (with the arity of generic types, as in <c>Outer`1.M</c>), used for hint names.</summary>
    public string FullName
    {
        get
        {
            var prefix = Namespace is null ? "" : Namespace + ".";
            foreach (var t in ContainingTypes) prefix += t.Name + Arity(t.TypeParameters) + ".";
            return prefix + TypeName + Arity(TypeParameters);
        }
    }

    private static string Arity(string typeParameters) =>
        typeParameters.Length == 0 ? "" : "`" + (typeParameters.Count(c => c == ',') + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Whether the generated part cannot derive from ModelGen.Model and declares <see cref="CopiedSurface"/> instead: the class
    /// keeps another base class (MG0010), or a layer takes the name of one of Model's abstract properties (MG0017).
    /// </summary>
    public bool HasCopiedSurface => CopiedSurface.Count > 0;
}

/// <summary>A type enclosing the model class (the generated part must repeat it, with its type parameters).</summary>
internal sealed record ContainingType(string Keyword, string Name, string TypeParameters = "");

/// <summary>Mirrors ModelGen.Loss (the generator cannot reference the runtime).</summary>
internal enum LossKind { SoftmaxCrossEntropy = 0, MeanSquaredError = 1, BinaryCrossEntropy = 2, MeanAbsoluteError = 3, Huber = 4, Contrastive = 5 }

/// <summary>Mirrors ModelGen.Activation.</summary>
internal enum ActivationKind { None = 0, ReLU, LeakyReLU, GELU, SiLU, Sigmoid, Tanh, GELUExact }

/// <summary>
/// The kinds of layer ModelGen knows, one per layer attribute (each named as its attribute, without "Attribute").
/// Every per-kind decision is a switch expression over this enum without a default arm, and CS8509 is an error in
/// this build: a new kind does not compile until the parser, the shape engine, the parameter layout and both
/// emitters say what it does (docs/architecture.md, "Adding a layer").
/// </summary>
internal enum LayerKind
{
    Dense,
    Flatten,
    Conv2d,
    MaxPool2d,
    AvgPool2d,
    GlobalAvgPool,
    LayerNorm,
    BatchNorm,
    Dropout,
    LSTM,
    GRU,
    Conv1d,
    GroupNorm,
    Reshape,
    Embedding,
    PositionalEmbedding,
    MultiHeadAttention,
    CrossAttention,
    ConvTranspose2d,
    Upsample,
}

/// <summary>
/// A layer method's declaration, <c>[Layer(...)] partial Tensor Name(Tensor x)</c>: its name, its modifiers without
/// 'partial', its parameter's name, and whether its form lets the generator write a body for it.
/// </summary>
/// <remarks>
/// A partial method of the wrong form (MG0002) still needs its other part, or the compiler adds CS8795 or CS0759 (a
/// declaration error, which stops a command-line build before the analyzers run): <see cref="MissingPart"/> says which
/// part the generator writes, <see cref="PartSignature"/> the user's signature in full.
/// </remarks>
/// <remarks><see cref="MemoryParameterName"/>: the second parameter of a two-tensor layer (CrossAttention); "" for the others.</remarks>
/// <remarks>
/// A layer of a sub-model inlined into a composite (<see cref="SubmodelSpec"/>) has no method of its own: <see cref="Submodel"/>
/// names the composite's <c>[Submodel]</c> method it came from, <see cref="Name"/> is an identifier ("Judge_Hidden") and
/// <see cref="DisplayName"/> the name users see ("Judge.Hidden"); both are "" for the composite's own layers.
/// </remarks>
internal sealed record LayerMethod(string Name, string Modifiers, string ParameterName, bool IsEmittable,
    MissingPartialPart MissingPart = MissingPartialPart.None, string PartSignature = "", string MemoryParameterName = "",
    string Submodel = "", string DisplayName = "");

/// <summary>The part of a wrong-form partial layer method that the user did not write.</summary>
internal enum MissingPartialPart { None, Definition, Implementation }

/// <summary>
/// One layer method. <see cref="Kind"/> says which attribute declared it; the derived record of its family holds the
/// attribute's arguments under their own names (<see cref="DenseLayer"/>, <see cref="ConvLayer"/>, …).
/// </summary>
internal abstract record LayerSpec(LayerKind Kind, LayerMethod Method)
{
    public string Name => Method.Name;

    public string MethodModifiers => Method.Modifiers;

    public string ParameterName => Method.ParameterName;

    public bool IsEmittable => Method.IsEmittable;

    /// <summary>The name users see (ParameterLayers, Summary, the model file): "Judge.Hidden" for a sub-model's layer.</summary>
    public string DisplayName => Method.DisplayName.Length > 0 ? Method.DisplayName : Method.Name;

    /// <summary>Whether the layer came from a sub-model (it has no layer method of its own).</summary>
    public bool IsInlined => Method.Submodel.Length > 0;

    /// <summary>False when the attribute says <c>Trainable = false</c>: the model starts with the layer frozen.</summary>
    public bool Trainable { get; init; } = true;
}

/// <summary>[Dense(units, activation)]: <c>x·W + b</c> over the last axis.</summary>
internal sealed record DenseLayer(LayerMethod Method, int Units, ActivationKind Activation, double NegativeSlope, int DeclaredIn, bool Bias)
    : LayerSpec(LayerKind.Dense, Method);

/// <summary>[Conv2d(filters, kernel, activation)] and [Conv1d(...)]: <see cref="Filters"/> output channels, square <see cref="Window"/>.</summary>
internal sealed record ConvLayer(LayerKind Kind, LayerMethod Method, int Filters, SpatialSpec Window, ActivationKind Activation, double NegativeSlope, int DeclaredIn, bool Bias)
    : LayerSpec(Kind, Method);

/// <summary>[MaxPool2d(kernel)] and [AvgPool2d(kernel)] (dilation 1, one group; the stride defaults to the kernel).</summary>
internal sealed record PoolLayer(LayerKind Kind, LayerMethod Method, SpatialSpec Window) : LayerSpec(Kind, Method);

/// <summary>[Flatten]: each sample becomes one dimension (a view).</summary>
internal sealed record FlattenLayer(LayerMethod Method) : LayerSpec(LayerKind.Flatten, Method);

/// <summary>[GlobalAvgPool]: [channels, height, width] → [channels].</summary>
internal sealed record GlobalAvgPoolLayer(LayerMethod Method) : LayerSpec(LayerKind.GlobalAvgPool, Method);

/// <summary>
/// [LayerNorm] (over the last dimension) and [BatchNorm] (per channel; <see cref="Momentum"/> moves its running statistics);
/// <see cref="DeclaredIn"/>: the stated features or channels, 0 to infer them.
/// </summary>
internal sealed record NormLayer(LayerKind Kind, LayerMethod Method, double Epsilon, double Momentum, int DeclaredIn = 0) : LayerSpec(Kind, Method);

/// <summary>[GroupNorm(groups)]: channels normalised in <see cref="Groups"/> groups, γ and β per channel.</summary>
internal sealed record GroupNormLayer(LayerMethod Method, int Groups, double Epsilon, int DeclaredIn = 0) : LayerSpec(LayerKind.GroupNorm, Method);

/// <summary>[Dropout(rate)]: training only.</summary>
internal sealed record DropoutLayer(LayerMethod Method, double Rate) : LayerSpec(LayerKind.Dropout, Method);

/// <summary>[LSTM(hidden)] and [GRU(hidden)]: one layer, zero initial state; biases live inside each direction's block.</summary>
internal sealed record RecurrentLayer(LayerKind Kind, LayerMethod Method, int HiddenSize, bool Bidirectional, bool ReturnSequences, int DeclaredIn)
    : LayerSpec(Kind, Method)
{
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>Gate blocks per direction: 4 for LSTM (i, f, g, o), 3 for GRU (r, z, n).</summary>
    public int Gates => Kind == LayerKind.LSTM ? 4 : 3;
}

/// <summary>[Reshape(dims)]: each sample gets the per-sample shape <see cref="Target"/> (one −1 inferred), a view.</summary>
internal sealed record ReshapeLayer(LayerMethod Method, EquatableArray<int> Target) : LayerSpec(LayerKind.Reshape, Method);

/// <summary>
/// [Embedding(vocabulary, dimension)]: ids → rows of a [<see cref="Vocabulary"/>, <see cref="Dimension"/>] table.
/// <see cref="MaskPadding"/>: the output has each sample's own length (padding masked downstream).
/// </summary>
internal sealed record EmbeddingLayer(LayerMethod Method, int Vocabulary, int Dimension, int PaddingIndex, bool MaskPadding)
    : LayerSpec(LayerKind.Embedding, Method);

/// <summary>[PositionalEmbedding(maxLength)]: adds a learned row per position.</summary>
internal sealed record PositionalEmbeddingLayer(LayerMethod Method, int MaxLength) : LayerSpec(LayerKind.PositionalEmbedding, Method);

/// <summary>[MultiHeadAttention(heads)]: self-attention over [sequence, features], optionally causal.</summary>
internal sealed record AttentionLayer(LayerMethod Method, int Heads, bool Causal, bool Bias) : LayerSpec(LayerKind.MultiHeadAttention, Method);

/// <summary>[CrossAttention(heads)]: queries [Sq, d] attend to a memory [Sk, d]; the graph node's B is the memory.</summary>
internal sealed record CrossAttentionLayer(LayerMethod Method, int Heads, bool Bias) : LayerSpec(LayerKind.CrossAttention, Method);

/// <summary>
/// [ConvTranspose2d(filters, kernel, activation)]: <see cref="Filters"/> output channels; <see cref="Window"/>'s padding
/// is removed from the full output, <see cref="OutputPadding"/> added after it (stride, dilation and groups as a convolution's).
/// </summary>
internal sealed record ConvTransposeLayer(LayerMethod Method, int Filters, SpatialSpec Window, int OutputPadding, ActivationKind Activation, double NegativeSlope, int DeclaredIn, bool Bias)
    : LayerSpec(LayerKind.ConvTranspose2d, Method);

/// <summary>Mirrors ModelGen.UpsampleMode.</summary>
internal enum UpsampleModeKind { Nearest = 0, Bilinear = 1 }

/// <summary>[Upsample(scale)]: [C, H, W] → [C, H·<see cref="ScaleHeight"/>, W·<see cref="ScaleWidth"/>], no parameters.</summary>
internal sealed record UpsampleLayer(LayerMethod Method, int ScaleHeight, int ScaleWidth, UpsampleModeKind Mode, bool AlignCorners)
    : LayerSpec(LayerKind.Upsample, Method);

/// <summary>Window options of convolution and pooling layers (square kernels).</summary>
internal sealed record SpatialSpec(int Kernel, int Stride, int Padding, int Dilation, int Groups, bool Same)
{
    /// <summary>
    /// Zero padding before and after the input along each axis: <see cref="Padding"/> on both sides, or for 'same' padding
    /// the dilated kernel's span split in two, the odd zero after (as PyTorch).
    /// </summary>
    public (int Before, int After) PaddingSides
    {
        get
        {
            int span = Dilation * (Kernel - 1);
            return Same ? (span / 2, span - span / 2) : (Padding, Padding);
        }
    }
}

/// <summary>
/// A <c>[Submodel(typeof(M))]</c> method: the model <see cref="TypeName"/> (fully qualified, <c>global::</c>) whose layers are
/// <see cref="LayerCount"/> layers of the composite from <see cref="FirstLayer"/> on (one block of its parameter buffer, laid out
/// as M's own), and whose per-sample input shape is <see cref="InputShape"/>.
/// </summary>
internal sealed record SubmodelSpec(LayerMethod Method, string TypeName, string ShortTypeName, int FirstLayer, int LayerCount, EquatableArray<int> InputShape)
{
    public string Name => Method.Name;
}

/// <summary>
/// One call of <see cref="SubmodelSpec"/> number <see cref="Submodel"/> in the graph: its nodes are <see cref="FirstNode"/> to
/// <see cref="LastNode"/> (the sub-model's graph, spliced in), and its argument is node <see cref="Argument"/>.
/// </summary>
internal sealed record SubmodelCall(int Submodel, int Argument, int FirstNode, int LastNode);

/// <summary>The dataflow graph of the forward pass; node 0 is the model input.</summary>
internal sealed record GraphSpec(EquatableArray<GraphNode> Nodes, int Output, bool FromForwardMethod,
    EquatableArray<int> Outputs = default, EquatableArray<string> OutputNames = default)
{
    /// <summary>The extra terms [Forward] adds to the loss with <c>AddLoss</c>, in the order written.</summary>
    public EquatableArray<LossTermSpec> LossTerms { get; init; }

    /// <summary>The calls of sub-models, whose graphs are spliced in (<see cref="SubmodelCall"/>).</summary>
    public EquatableArray<SubmodelCall> SubmodelCalls { get; init; }

    public static readonly GraphSpec Empty = new(EquatableArray<GraphNode>.Empty, -1, false);

    /// <summary>Every returned value: the tuple's elements in order, or the one output.</summary>
    public int[] AllOutputs => Outputs.Count > 0 ? Outputs.ToArray() : Output >= 0 ? new[] { Output } : new int[0];
}

internal enum NodeKind
{
    Input, Layer, Add, Multiply, NamedInput, Concat,
    /// <summary><c>a - b</c> of equal shapes.</summary>
    Subtract,
    /// <summary>An element-wise function of node A alone (<see cref="ElementFunction"/>, with its constants).</summary>
    Map,
    /// <summary><c>Tensor.Sum(x)</c>: each sample's elements added, one value per sample.</summary>
    Sum,
    /// <summary><c>Tensor.Mean(x)</c>: each sample's elements averaged, one value per sample.</summary>
    Mean,
    /// <summary>
    /// <c>Tensor.RandomNormal(like: a)</c>: standard normal noise of node A's shape, drawn while training from the seed
    /// given to Fit, zero (the mean) at inference. A gives only the shape: no gradient flows to it.
    /// </summary>
    RandomNormal,
}

/// <summary>
/// The element-wise functions of one value in [Forward] (mirrors ModelGen.ElementwiseFunction). <see cref="Affine"/> is
/// every scalar operation with float constants (<c>0.5f * x</c>, <c>x - 1f</c>, <c>-x</c>, <c>x / 2f</c>): scale·x + shift.
/// </summary>
internal enum ElementFunction { Affine = 0, Exp, Log, Sqrt, Square, Abs, Clamp, ReLU, LeakyReLU, GELU, SiLU, Sigmoid, Tanh, GELUExact }

/// <summary>
/// A graph node: the input, a layer call on node <see cref="A"/> (a CrossAttention call: queries <see cref="A"/>, memory <see cref="B"/>), an element-wise op of <see cref="A"/> and <see cref="B"/>,
/// a named input (input <see cref="Layer"/>, unpacked from node <see cref="A"/>), or a concat of <see cref="Parts"/> along per-sample <see cref="Axis"/>.
/// <see cref="Label"/> names the value in generated code (<c>add_1</c>, <c>concat_1</c>); messages name an operation by
/// <see cref="Text"/>, the expression as the user wrote it (spacing collapsed). A <see cref="NodeKind.Map"/> node applies
/// <see cref="Function"/> to <see cref="A"/> with its constants <see cref="First"/> and <see cref="Second"/> (Affine: scale and
/// shift; Clamp: low and high; LeakyReLU: the slope); B is −1.
/// </summary>
internal sealed record GraphNode(NodeKind Kind, int Layer, int A, int B, string Label, EquatableArray<int> Parts = default, int Axis = -1, string Text = "",
    ElementFunction Function = ElementFunction.Affine, double First = 0, double Second = 0);

/// <summary>
/// <c>AddLoss("name", term, weight)</c> in [Forward]: the loss gains <see cref="Weight"/> × the batch mean of node
/// <see cref="Node"/>, one value per sample.
/// </summary>
/// <see cref="Text"/>: the term as written, for messages.
internal sealed record LossTermSpec(string Name, int Node, double Weight, string Text = "");

/// <summary>One <c>[Input(name, shape)]</c> of a multi-input model.</summary>
internal sealed record InputSpec(string Name, EquatableArray<int> Shape);

/// <summary>One <c>[Head(name, loss)]</c>: the loss of one returned tuple element.</summary>
internal sealed record HeadSpec(string Name, LossKind Loss, double Weight, double PosWeight, double HuberDelta);
