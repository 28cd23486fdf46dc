using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ModelGen.Serialization;

namespace ModelGen.Export;

/// <summary>
/// Renders a model's <see cref="InferenceGraph"/> as an ONNX graph (opset 17): each layer call becomes the standard
/// operators that compute it, with the model's tensors as initializers under their <see cref="Model.FileLayout"/> names
/// and PyTorch layouts. Everything is decided before anything is written, so a model that cannot be exported leaves no file.
/// </summary>
internal sealed partial class OnnxExporter
{
    private readonly Model _model;
    private readonly InferenceGraph _graph;
    private readonly Dictionary<string, TensorSlot> _slots;
    private readonly Dictionary<string, string> _initializers = new(StringComparer.Ordinal);
    private readonly OnnxGraphBuilder _onnx = new();
    private readonly string[] _values;

    private OnnxExporter(Model model)
    {
        _model = model;
        _graph = model.InferenceGraph;
        _slots = model.FileLayout.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        _values = new string[_graph.Nodes.Count];
    }

    /// <summary>Builds the whole graph (or throws <see cref="NotSupportedException"/>) and returns what writes it.</summary>
    public static Action<Stream> Prepare(Model model)
    {
        var exporter = new OnnxExporter(model);
        exporter.Build();
        var layout = model.FileLayout;
        var metadata = new List<KeyValuePair<string, string>>
        {
            new(ModelFile.ModelKey, layout.Model),
            new(ModelFile.ArchitectureKey, layout.Architecture),
            new(ModelFile.LibraryVersionKey, ModelFile.LibraryVersion),
        };
        return stream => exporter._onnx.WriteModel(stream, layout.Model, ModelFile.LibraryVersion, metadata);
    }

    private string ModelName => _model.GetType().Name;

    private void Build()
    {
        var needed = Needed();
        RefuseVariableLengths(needed);
        foreach (var node in _graph.Nodes)
            if (node.Op == InferenceOp.Input) _onnx.Reserve(node.Name);
        var outputNames = OutputNames(_graph);
        foreach (string name in outputNames) _onnx.Reserve(name);

        // Every declared input, in declaration order (Forward may name them in another order), even one no output reads.
        var declared = _model.Inputs.Select(i => i.Name).ToList();
        foreach (var node in _graph.Nodes.Where(n => n.Op == InferenceOp.Input).OrderBy(n => declared.IndexOf(n.Name)))
            _onnx.Input(node.Name, node.Shape);
        for (int n = 0; n < _graph.Nodes.Count; n++)
        {
            if (!needed[n]) continue;
            var node = _graph.Nodes[n];
            _values[n] = node.Op switch
            {
                InferenceOp.Input => node.Name,
                InferenceOp.PackedInputs => throw new NotSupportedException(
                    $"{ModelName}: a value reads the packed row of all [Input]s; only the named inputs can be exported."),
                InferenceOp.Add => _onnx.Node("Add", node.Name, new[] { Value(node, 0), Value(node, 1) }),
                InferenceOp.Multiply => _onnx.Node("Mul", node.Name, new[] { Value(node, 0), Value(node, 1) }),
                InferenceOp.Subtract => _onnx.Node("Sub", node.Name, new[] { Value(node, 0), Value(node, 1) }),
                InferenceOp.Elementwise => Elementwise(node),
                InferenceOp.Sum or InferenceOp.Mean => PerSampleReduction(node),
                InferenceOp.ZerosLike => _onnx.Node("Expand", node.Name, new[] { _onnx.Scalar(0f), _onnx.Node("Shape", node.Name + "/shape", new[] { Value(node, 0) }) }),
                InferenceOp.Concat => _onnx.Node("Concat", node.Name, node.Inputs.Select(i => _values[i]).ToArray(), OnnxAttribute.Of("axis", node.Axis + 1L)),
                InferenceOp.Layer => Layer(node, _graph.Layers[node.Layer]),
                _ => throw new NotSupportedException($"{ModelName}: node '{node.Name}' has an operation ({node.Op}) this version cannot export."),
            };
        }
        for (int o = 0; o < _graph.Outputs.Count; o++)
        {
            _onnx.Node("Identity", new[] { _values[_graph.Outputs[o]] }, new[] { outputNames[o] });
            _onnx.Output(outputNames[o], _graph.Nodes[_graph.Outputs[o]].Shape);
        }
    }

    /// <summary>
    /// The graph's output names: as declared, except that an output named like an input (a contrastive pair returned
    /// as <c>(left, right)</c> from inputs <c>left</c> and <c>right</c>) is <c>name_output</c>, ONNX values having one name each.
    /// </summary>
    internal static string[] OutputNames(InferenceGraph graph)
    {
        var inputs = new HashSet<string>(graph.Nodes.Where(n => n.Op == InferenceOp.Input).Select(n => n.Name), StringComparer.Ordinal);
        return graph.OutputNames.Select(name => inputs.Contains(name) ? name + "_output" : name).ToArray();
    }

    /// <summary>The nodes the outputs depend on (a [Forward] method may compute values it does not return).</summary>
    private bool[] Needed()
    {
        var needed = new bool[_graph.Nodes.Count];
        foreach (int o in _graph.Outputs) needed[o] = true;
        for (int n = needed.Length - 1; n >= 0; n--)
            if (needed[n])
                foreach (int i in _graph.Nodes[n].Inputs) needed[i] = true;
        return needed;
    }

    /// <summary>
    /// Masked variable-length sequences have no exact ONNX form here: the padded positions would be attended to and run
    /// through the recurrent layers, giving other outputs than Predict. Refused before anything is written.
    /// </summary>
    private void RefuseVariableLengths(bool[] needed)
    {
        for (int n = 0; n < _graph.Nodes.Count; n++)
        {
            var node = _graph.Nodes[n];
            if (!needed[n] || !node.VariableLength || node.Op != InferenceOp.Layer) continue;
            var layer = _graph.Layers[node.Layer];
            throw new NotSupportedException(
                $"{ModelName} cannot be exported to ONNX: layer '{layer.Name}' ({layer.Type}) makes sequences of variable length " +
                "(Embedding with MaskPadding = true), and the layers after it skip each sample's padding. The exported graph would " +
                "attend to and run over the padded positions and compute other outputs than Predict, so masked variable-length " +
                "sequences are not exported. Export a model without MaskPadding (fixed-length sequences) instead.");
        }
    }

    private string Value(InferenceNode node, int input) => _values[node.Inputs[input]];

    private string Layer(InferenceNode node, InferenceLayer layer)
    {
        string x = Value(node, 0);
        var inShape = _graph.Nodes[node.Inputs[0]].Shape;
        string hint = node.Name;
        string affine = layer.Activation == Activation.None ? hint : hint + "/affine";   // the layer's value keeps the node's name
        return layer.Type switch
        {
            LayerType.Dense => Activate(Dense(x, inShape.Count, layer.Name, "weight", "bias", affine), layer, hint),
            LayerType.Conv2d or LayerType.Conv1d => Activate(Convolution(x, layer, affine), layer, hint),
            LayerType.MaxPool2d => _onnx.Node("MaxPool", hint, new[] { x }, Window(layer, 2)),
            LayerType.AvgPool2d => _onnx.Node("AveragePool", hint, new[] { x }, Window(layer, 2).Append(OnnxAttribute.Of("count_include_pad", 1L)).ToArray()),
            LayerType.GlobalAvgPool => _onnx.Node("Flatten", hint, new[] { _onnx.Node("GlobalAveragePool", hint + "/pool", new[] { x }) }, OnnxAttribute.Of("axis", 1L)),
            LayerType.Flatten => _onnx.Node("Flatten", hint, new[] { x }, OnnxAttribute.Of("axis", 1L)),
            LayerType.Reshape => _onnx.Node("Reshape", hint, new[] { x, SampleShape(node.Shape) }),
            LayerType.Dropout => x,   // inference: Dropout passes its input on
            LayerType.LayerNorm => _onnx.Node("LayerNormalization", hint, new[] { x, Weight(layer.Name, "weight"), Weight(layer.Name, "bias") },
                OnnxAttribute.Of("axis", -1L), OnnxAttribute.Of("epsilon", (float)layer.Epsilon)),
            LayerType.BatchNorm => _onnx.Node("BatchNormalization", hint,
                new[] { x, Weight(layer.Name, "weight"), Weight(layer.Name, "bias"), Weight(layer.Name, "running_mean"), Weight(layer.Name, "running_var") },
                OnnxAttribute.Of("epsilon", (float)layer.Epsilon)),
            LayerType.GroupNorm => GroupNorm(x, inShape, layer, hint),
            LayerType.LSTM or LayerType.GRU => Recurrent(x, layer, hint),
            LayerType.Embedding => _onnx.Node("Gather", hint, new[] { Weight(layer.Name, "weight"), _onnx.Node("Cast", hint + "/ids", new[] { x }, OnnxAttribute.Of("to", 7L)) },
                OnnxAttribute.Of("axis", 0L)),
            LayerType.PositionalEmbedding => _onnx.Node("Add", hint, new[] { x, _onnx.Node("Slice", hint + "/positions",
                new[] { Weight(layer.Name, "weight"), _onnx.Int64s(0), _onnx.Int64s(inShape[0]), _onnx.Int64s(0) }) }),
            LayerType.MultiHeadAttention => Attention(x, inShape, layer, hint),
            LayerType.CrossAttention => throw new NotSupportedException(
                $"{ModelName} cannot be exported to ONNX: layer '{layer.Name}' (CrossAttention) reads two sequences (queries and a memory), " +
                "and this version has no ONNX translation of a two-input layer yet (docs/export.md); serve the model with Predict."),
            LayerType.ConvTranspose2d => Activate(TransposedConvolution(x, layer, affine), layer, hint),
            LayerType.Upsample => Upsample(x, layer, hint),
            _ => throw new NotSupportedException($"{ModelName}: layer '{layer.Name}' is of a family ({layer.Type}) this version cannot export."),
        };
    }

    /// <summary>x·Wᵀ + b with PyTorch's [out, in] weight: Gemm for [batch, in], MatMul over the last axis otherwise.</summary>
    private string Dense(string x, int sampleRank, string module, string weightKey, string biasKey, string hint)
    {
        string weight = Weight(module, weightKey);
        string? bias = OptionalWeight(module, biasKey);
        if (sampleRank == 1)
            return _onnx.Node("Gemm", hint, bias is null ? new[] { x, weight } : new[] { x, weight, bias }, OnnxAttribute.Of("transB", 1L));
        string transposed = _onnx.Node("Transpose", hint + "/weight_t", new[] { weight }, OnnxAttribute.Of("perm", new long[] { 1, 0 }));
        if (bias is null) return _onnx.Node("MatMul", hint, new[] { x, transposed });
        return _onnx.Node("Add", hint, new[] { _onnx.Node("MatMul", hint + "/matmul", new[] { x, transposed }), bias });
    }

    private string Convolution(string x, InferenceLayer layer, string hint)
    {
        var weightSlot = Slot(layer.Name, "weight");
        int spatial = weightSlot.FileShape.Count - 2;
        int kernel = weightSlot.FileShape[2];
        string? bias = OptionalWeight(layer.Name, "bias");
        string weight = Weight(layer.Name, "weight");
        return _onnx.Node("Conv", hint, bias is null ? new[] { x, weight } : new[] { x, weight, bias },
            OnnxAttribute.Of("kernel_shape", Repeat(kernel, spatial)),
            OnnxAttribute.Of("strides", Repeat(layer.Stride, spatial)),
            OnnxAttribute.Of("pads", Repeat(layer.PaddingBefore, spatial).Concat(Repeat(layer.PaddingAfter, spatial)).ToArray()),
            OnnxAttribute.Of("dilations", Repeat(layer.Dilation, spatial)),
            OnnxAttribute.Of("group", (long)layer.Groups));
    }

    /// <summary>
    /// ConvTranspose with PyTorch's weight layout [in, out/groups, k, k], which is also ONNX's. The output padding is
    /// written as a smaller padding after (p − outputPadding), not as output_padding, which ONNX Runtime refuses when it
    /// is not below the stride (PyTorch also allows it below the dilation). When it exceeds the padding, the rows past
    /// the full output hold only the bias: they are added with Pad and the bias after the convolution.
    /// </summary>
    private string TransposedConvolution(string x, InferenceLayer layer, string hint)
    {
        int kernel = Slot(layer.Name, "weight").FileShape[2];
        string? bias = OptionalWeight(layer.Name, "bias");
        string weight = Weight(layer.Name, "weight");
        int before = layer.PaddingBefore, extra = layer.OutputPadding - layer.PaddingAfter;
        OnnxAttribute[] Attributes(int after) => new[]
        {
            OnnxAttribute.Of("kernel_shape", Repeat(kernel, 2)),
            OnnxAttribute.Of("strides", Repeat(layer.Stride, 2)),
            OnnxAttribute.Of("pads", Repeat(before, 2).Concat(Repeat(after, 2)).ToArray()),
            OnnxAttribute.Of("dilations", Repeat(layer.Dilation, 2)),
            OnnxAttribute.Of("group", (long)layer.Groups),
        };
        if (extra <= 0)
            return _onnx.Node("ConvTranspose", hint, bias is null ? new[] { x, weight } : new[] { x, weight, bias }, Attributes(-extra));
        string full = _onnx.Node("ConvTranspose", hint + "/full", new[] { x, weight }, Attributes(0));
        string padded = _onnx.Node("Pad", bias is null ? hint : hint + "/padded", new[] { full, _onnx.Int64s(0, 0, 0, 0, 0, 0, extra, extra) });
        if (bias is null) return padded;
        return _onnx.Node("Add", hint, new[] { padded, _onnx.Node("Unsqueeze", hint + "/bias", new[] { bias, _onnx.Int64s(1, 2) }) });
    }

    /// <summary>
    /// Resize by constant scales [1, 1, sh, sw]: nearest as PyTorch ('asymmetric' coordinates, rounded down), bilinear with
    /// 'align_corners' or 'pytorch_half_pixel' coordinates.
    /// </summary>
    private string Upsample(string x, InferenceLayer layer, string hint)
    {
        string scales = _onnx.Floats(1, 1, layer.ScaleHeight, layer.ScaleWidth);
        var inputs = new[] { x, "", scales };   // no region of interest
        return layer.Mode == UpsampleMode.Bilinear
            ? _onnx.Node("Resize", hint, inputs, OnnxAttribute.Of("mode", "linear"),
                OnnxAttribute.Of("coordinate_transformation_mode", layer.AlignCorners ? "align_corners" : "pytorch_half_pixel"))
            : _onnx.Node("Resize", hint, inputs, OnnxAttribute.Of("mode", "nearest"),
                OnnxAttribute.Of("coordinate_transformation_mode", "asymmetric"), OnnxAttribute.Of("nearest_mode", "floor"));
    }

    private static OnnxAttribute[] Window(InferenceLayer layer, int spatial) => new[]
    {
        OnnxAttribute.Of("kernel_shape", Repeat(layer.Kernel, spatial)),
        OnnxAttribute.Of("strides", Repeat(layer.Stride, spatial)),
        OnnxAttribute.Of("pads", Repeat(layer.PaddingBefore, spatial).Concat(Repeat(layer.PaddingAfter, spatial)).ToArray()),
    };

    private static long[] Repeat(int value, int count) => Enumerable.Repeat((long)value, count).ToArray();

    /// <summary>The activation after an affine part; GELU and SiLU in their formulas (opset 17 has no Gelu operator).</summary>
    private string Activate(string x, InferenceLayer layer, string hint) => layer.Activation switch
    {
        Activation.None => x,
        Activation.ReLU => _onnx.Node("Relu", hint, new[] { x }),
        Activation.LeakyReLU => _onnx.Node("LeakyRelu", hint, new[] { x }, OnnxAttribute.Of("alpha", layer.NegativeSlope)),
        Activation.Sigmoid => _onnx.Node("Sigmoid", hint, new[] { x }),
        Activation.Tanh => _onnx.Node("Tanh", hint, new[] { x }),
        Activation.SiLU => _onnx.Node("Mul", hint, new[] { x, _onnx.Node("Sigmoid", hint + "/sigmoid", new[] { x }) }),
        Activation.GELU => Gelu(x, hint, exact: false),
        Activation.GELUExact => Gelu(x, hint, exact: true),
        _ => throw new NotSupportedException($"{ModelName}: layer '{layer.Name}' has an activation ({layer.Activation}) this version cannot export."),
    };

    /// <summary>0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), or 0.5·x·(1 + erf(x/√2)) for the exact form.</summary>
    private string Gelu(string x, string hint, bool exact)
    {
        string inner;
        if (exact)
            inner = _onnx.Node("Erf", hint + "/erf", new[] { _onnx.Node("Mul", hint + "/scaled", new[] { x, _onnx.Scalar((float)(1 / Math.Sqrt(2))) }) });
        else
        {
            string cube = _onnx.Node("Mul", hint + "/cube", new[] { _onnx.Node("Mul", hint + "/square", new[] { x, x }), x });
            string sum = _onnx.Node("Add", hint + "/sum", new[] { x, _onnx.Node("Mul", hint + "/cubic", new[] { cube, _onnx.Scalar(0.044715f) }) });
            inner = _onnx.Node("Tanh", hint + "/tanh", new[] { _onnx.Node("Mul", hint + "/scaled", new[] { sum, _onnx.Scalar((float)Math.Sqrt(2 / Math.PI)) }) });
        }
        string half = _onnx.Node("Mul", hint + "/half", new[] { x, _onnx.Scalar(0.5f) });
        return _onnx.Node("Mul", hint, new[] { half, _onnx.Node("Add", hint + "/one_plus", new[] { inner, _onnx.Scalar(1f) }) });
    }

    /// <summary>
    /// GroupNorm as InstanceNormalization over [batch, groups, rest] (opset 17 has no GroupNormalization), then γ and β
    /// per channel.
    /// </summary>
    private string GroupNorm(string x, IReadOnlyList<int> shape, InferenceLayer layer, string hint)
    {
        int groups = layer.Groups, channels = shape[0];
        string grouped = _onnx.Node("Reshape", hint + "/groups", new[] { x, _onnx.Int64s(0, groups, -1) });
        string ones = Derived(layer.Name + ".group_scale", new long[] { groups }, Enumerable.Repeat(1f, groups).ToArray());
        string zeros = Derived(layer.Name + ".group_bias", new long[] { groups }, new float[groups]);
        string normalised = _onnx.Node("InstanceNormalization", hint + "/normalised", new[] { grouped, ones, zeros }, OnnxAttribute.Of("epsilon", (float)layer.Epsilon));
        string restored = _onnx.Node("Reshape", hint + "/restored", new[] { normalised, SampleShape(shape) });
        var perChannel = new long[shape.Count];
        perChannel[0] = channels;
        for (int i = 1; i < perChannel.Length; i++) perChannel[i] = 1;
        string gamma = _onnx.Node("Reshape", hint + "/gamma", new[] { Weight(layer.Name, "weight"), _onnx.Int64s(perChannel) });
        string beta = _onnx.Node("Reshape", hint + "/beta", new[] { Weight(layer.Name, "bias"), _onnx.Int64s(perChannel) });
        return _onnx.Node("Add", hint, new[] { _onnx.Node("Mul", hint + "/scaled", new[] { restored, gamma }), beta });
    }

    /// <summary>
    /// LSTM and GRU on [batch, steps, features]. ONNX orders the gates i, o, f, c (LSTM) and z, r, h (GRU) where PyTorch and
    /// ModelGen order them i, f, g, o and r, z, n, so W, R and B are PyTorch's matrices with their gate blocks reordered.
    /// PyTorch's GRU applies the reset gate after the recurrent product: ONNX's linear_before_reset = 1.
    /// </summary>
    private string Recurrent(string x, InferenceLayer layer, string hint)
    {
        bool lstm = layer.Type == LayerType.LSTM;
        int[] onnxOrder = lstm ? new[] { 0, 3, 1, 2 } : new[] { 1, 0, 2 };
        var hh = Slot(layer.Name, "weight_hh_l0");
        int hidden = hh.FileShape[1], gates = onnxOrder.Length;
        int inputs = Slot(layer.Name, "weight_ih_l0").FileShape[1];
        bool bidirectional = _slots.ContainsKey(layer.Name + ".weight_hh_l0_reverse");
        string[] suffixes = bidirectional ? new[] { "_l0", "_l0_reverse" } : new[] { "_l0" };
        int directions = suffixes.Length;

        var w = new List<float>();
        var r = new List<float>();
        var b = new List<float>();
        foreach (string suffix in suffixes)
        {
            w.AddRange(Reorder(Read(layer.Name, "weight_ih" + suffix), onnxOrder, hidden * inputs));
            r.AddRange(Reorder(Read(layer.Name, "weight_hh" + suffix), onnxOrder, hidden * hidden));
            b.AddRange(Reorder(Read(layer.Name, "bias_ih" + suffix), onnxOrder, hidden));
            b.AddRange(Reorder(Read(layer.Name, "bias_hh" + suffix), onnxOrder, hidden));
        }
        string wName = Derived(layer.Name + ".W", new long[] { directions, gates * hidden, inputs }, w.ToArray());
        string rName = Derived(layer.Name + ".R", new long[] { directions, gates * hidden, hidden }, r.ToArray());
        string bName = Derived(layer.Name + ".B", new long[] { directions, 2 * gates * hidden }, b.ToArray());

        string stepsFirst = _onnx.Node("Transpose", hint + "/steps_first", new[] { x }, OnnxAttribute.Of("perm", new long[] { 1, 0, 2 }));
        var attributes = new List<OnnxAttribute>
        {
            OnnxAttribute.Of("hidden_size", (long)hidden),
            OnnxAttribute.Of("direction", bidirectional ? "bidirectional" : "forward"),
        };
        if (!lstm) attributes.Add(OnnxAttribute.Of("linear_before_reset", 1L));
        var outputs = _onnx.Node(lstm ? "LSTM" : "GRU", new[] { stepsFirst, wName, rName, bName },
            new[] { _onnx.Unique(hint + "/steps"), _onnx.Unique(hint + "/last") }, attributes.ToArray());
        if (layer.ReturnSequences)
        {
            // Y: [steps, directions, batch, hidden] → [batch, steps, directions·hidden], forward half first.
            string batchFirst = _onnx.Node("Transpose", hint + "/batch_first", new[] { outputs[0] }, OnnxAttribute.Of("perm", new long[] { 2, 0, 1, 3 }));
            return _onnx.Node("Reshape", hint, new[] { batchFirst, _onnx.Int64s(0, 0, directions * hidden) });
        }
        // Y_h: [directions, batch, hidden] → [batch, directions·hidden]: forward after the last step, backward after the first.
        string perSample = _onnx.Node("Transpose", hint + "/batch_first", new[] { outputs[1] }, OnnxAttribute.Of("perm", new long[] { 1, 0, 2 }));
        return _onnx.Node("Reshape", hint, new[] { perSample, _onnx.Int64s(0, directions * hidden) });
    }

    /// <summary>The gate blocks of <paramref name="values"/> (each <paramref name="block"/> elements) in the order <paramref name="order"/> names them.</summary>
    private static IEnumerable<float> Reorder(float[] values, int[] order, int block) =>
        order.SelectMany(g => values.Skip(g * block).Take(block));

    /// <summary>
    /// Self-attention on [batch, L, d] as nn.MultiheadAttention computes it: the packed Q, K, V projection, per-head
    /// softmax(Q·Kᵀ/√(d/h)) (with −∞ above the diagonal when causal) times V, then the output projection.
    /// </summary>
    private string Attention(string x, IReadOnlyList<int> shape, InferenceLayer layer, string hint)
    {
        int length = shape[0], width = shape[1], heads = layer.Heads, headWidth = width / heads;
        string qkv = Dense(x, 2, layer.Name, "in_proj_weight", "in_proj_bias", hint + "/qkv");
        var parts = _onnx.Node("Split", new[] { qkv, _onnx.Int64s(width, width, width) },
            new[] { _onnx.Unique(hint + "/q"), _onnx.Unique(hint + "/k"), _onnx.Unique(hint + "/v") }, OnnxAttribute.Of("axis", 2L));
        string headShape = _onnx.Int64s(0, 0, heads, headWidth);
        string Heads(string value, long[] perm, string name) =>
            _onnx.Node("Transpose", hint + "/" + name + "_heads", new[] { _onnx.Node("Reshape", hint + "/" + name + "_split", new[] { value, headShape }) },
                OnnxAttribute.Of("perm", perm));
        string q = Heads(parts[0], new long[] { 0, 2, 1, 3 }, "q");   // [batch, h, L, d/h]
        string k = Heads(parts[1], new long[] { 0, 2, 3, 1 }, "k");   // [batch, h, d/h, L]
        string v = Heads(parts[2], new long[] { 0, 2, 1, 3 }, "v");
        string scores = _onnx.Node("Mul", hint + "/scores", new[] { _onnx.Node("MatMul", hint + "/qk", new[] { q, k }), _onnx.Scalar((float)(1 / Math.Sqrt(headWidth))) });
        if (layer.Causal)
        {
            var mask = new float[length * length];
            for (int i = 0; i < length; i++)
                for (int j = i + 1; j < length; j++) mask[i * length + j] = float.NegativeInfinity;
            scores = _onnx.Node("Add", hint + "/masked", new[] { scores, Derived(layer.Name + ".causal_mask", new long[] { length, length }, mask) });
        }
        string weights = _onnx.Node("Softmax", hint + "/weights", new[] { scores }, OnnxAttribute.Of("axis", -1L));
        string context = _onnx.Node("MatMul", hint + "/context", new[] { weights, v });
        string merged = _onnx.Node("Reshape", hint + "/merged", new[] {
            _onnx.Node("Transpose", hint + "/positions_first", new[] { context }, OnnxAttribute.Of("perm", new long[] { 0, 2, 1, 3 })),
            _onnx.Int64s(0, 0, width) });
        return Dense(merged, 2, layer.Name, "out_proj.weight", "out_proj.bias", hint);
    }

    /// <summary>The Reshape target [0 (the batch), per-sample shape…].</summary>
    private string SampleShape(IReadOnlyList<int> shape) => _onnx.Int64s(new long[] { 0 }.Concat(shape.Select(d => (long)d)).ToArray());

    private TensorSlot Slot(string module, string key) =>
        _slots.TryGetValue(module + "." + key, out var slot) ? slot
            : throw new InvalidOperationException($"{ModelName}.FileLayout has no tensor '{module}.{key}', which the export of layer '{module}' needs.");

    private float[] Read(string module, string key)
    {
        var slot = Slot(module, key);
        return slot.Source == TensorSource.State ? slot.Read(_model.State) : slot.Read(_model.Parameters);
    }

    /// <summary>The initializer of a model tensor, under its model-file name and shape (created once, however often it is read).</summary>
    private string Weight(string module, string key)
    {
        string name = module + "." + key;
        if (_initializers.TryGetValue(name, out var existing)) return existing;
        var slot = Slot(module, key);
        return _initializers[name] = _onnx.Initializer(name, slot.FileShape.Select(d => (long)d).ToArray(), Read(module, key));
    }

    private string? OptionalWeight(string module, string key) => _slots.ContainsKey(module + "." + key) ? Weight(module, key) : null;

    /// <summary>An initializer computed from the model's tensors (recurrent gates in ONNX order, constants of a layer), made once.</summary>
    private string Derived(string name, long[] dims, float[] values)
    {
        if (_initializers.TryGetValue(name, out var existing)) return existing;
        return _initializers[name] = _onnx.Initializer(name, dims, values);
    }
}
