using System.Linq;

namespace ModelGen.Generators.Model;

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
    double Margin = 1)
{
    /// <summary>Fully qualified metadata-style name, used for hint names.</summary>
    public string FullName
    {
        get
        {
            var prefix = Namespace is null ? "" : Namespace + ".";
            foreach (var t in ContainingTypes) prefix += t.Name + ".";
            return prefix + TypeName;
        }
    }
}

/// <summary>A type enclosing the model class (the generated part must repeat it).</summary>
internal sealed record ContainingType(string Keyword, string Name);

/// <summary>Mirrors ModelGen.Loss (the generator cannot reference the runtime).</summary>
internal enum LossKind { SoftmaxCrossEntropy = 0, MeanSquaredError = 1, BinaryCrossEntropy = 2, MeanAbsoluteError = 3, Huber = 4, Contrastive = 5 }

/// <summary>Mirrors ModelGen.Activation.</summary>
internal enum ActivationKind { None = 0, ReLU, LeakyReLU, GELU, SiLU, Sigmoid, Tanh }

/// <summary>One layer method: <c>[Dense(...)] partial Tensor Name(Tensor x)</c>.</summary>
internal sealed record LayerSpec(
    string Name,
    string Kind,
    int Units,
    ActivationKind Activation,
    int DeclaredIn,
    bool Bias,
    double NegativeSlope,
    string MethodModifiers,
    string ParameterName,
    bool IsEmittable,
    SpatialSpec? Spatial = null,
    double Epsilon = 1e-5,
    double Rate = 0,
    double Momentum = 0.1,
    SequenceSpec? Sequence = null);

/// <summary>Window options of convolution and pooling layers (square kernels).</summary>
internal sealed record SpatialSpec(int Kernel, int Stride, int Padding, int Dilation, int Groups, bool Same);

/// <summary>The dataflow graph of the forward pass; node 0 is the model input.</summary>
internal sealed record GraphSpec(EquatableArray<GraphNode> Nodes, int Output, bool FromForwardMethod,
    EquatableArray<int> Outputs = default, EquatableArray<string> OutputNames = default)
{
    public static readonly GraphSpec Empty = new(EquatableArray<GraphNode>.Empty, -1, false);

    /// <summary>Every returned value: the tuple's elements in order, or the one output.</summary>
    public int[] AllOutputs => Outputs.Count > 0 ? Outputs.ToArray() : Output >= 0 ? new[] { Output } : new int[0];
}

internal enum NodeKind { Input, Layer, Add, Multiply, NamedInput, Concat }

/// <summary>
/// A graph node: the input, a layer call on node <see cref="A"/>, an element-wise op of <see cref="A"/> and <see cref="B"/>,
/// a named input (input <see cref="Layer"/>, unpacked from node <see cref="A"/>), or a concat of <see cref="Parts"/> along per-sample <see cref="Axis"/>.
/// </summary>
internal sealed record GraphNode(NodeKind Kind, int Layer, int A, int B, string Label, EquatableArray<int> Parts = default, int Axis = -1);

/// <summary>One <c>[Input(name, shape)]</c> of a multi-input model.</summary>
internal sealed record InputSpec(string Name, EquatableArray<int> Shape);

/// <summary>One <c>[Head(name, loss)]</c>: the loss of one returned tuple element.</summary>
internal sealed record HeadSpec(string Name, LossKind Loss, double Weight, double PosWeight, double HuberDelta);
