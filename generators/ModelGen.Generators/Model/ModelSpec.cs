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
    double HuberDelta = 1)
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
internal enum LossKind { SoftmaxCrossEntropy = 0, MeanSquaredError = 1, BinaryCrossEntropy = 2, MeanAbsoluteError = 3, Huber = 4 }

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
    RecurrentSpec? Recurrent = null,
    EquatableArray<int> Target = default,
    SequenceSpec? Sequence = null);

/// <summary>Window options of convolution and pooling layers (square kernels).</summary>
internal sealed record SpatialSpec(int Kernel, int Stride, int Padding, int Dilation, int Groups, bool Same);

/// <summary>Options of LSTM and GRU layers.</summary>
internal sealed record RecurrentSpec(bool Bidirectional, bool ReturnSequences)
{
    public int Directions => Bidirectional ? 2 : 1;
}

/// <summary>The dataflow graph of the forward pass; node 0 is the model input.</summary>
internal sealed record GraphSpec(EquatableArray<GraphNode> Nodes, int Output, bool FromForwardMethod)
{
    public static readonly GraphSpec Empty = new(EquatableArray<GraphNode>.Empty, -1, false);
}

internal enum NodeKind { Input, Layer, Add, Multiply }

/// <summary>A graph node: the input, a layer call on node <see cref="A"/>, or an element-wise op of <see cref="A"/> and <see cref="B"/>.</summary>
internal sealed record GraphNode(NodeKind Kind, int Layer, int A, int B, string Label);
