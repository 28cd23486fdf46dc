using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using ModelGen.FrontEnd;

namespace ModelGen.Generators.Emit;

// The model file's table: every parameter and state slice under the name and layout PyTorch gives the equivalent
// module's state_dict (the one place those names and transforms are decided), the architecture fingerprint, and the
// input and output shapes that Save writes into the file's metadata.
internal static partial class CpuEmitter
{
    /// <summary>Version of the canonical description hashed into the fingerprint: a change to its text is a new version.</summary>
    private const string DescriptionHeader = "ModelGen architecture 1";

    private static void WriteFileLayout(IndentedWriter w, ValueNames names)
    {
        var spec = names.Spec;
        var plan = names.Shapes;
        var batchNorms = Enumerable.Range(0, spec.Layers.Count).Where(l => spec.Layers[l].Kind == LayerKind.BatchNorm).ToList();
        var calls = batchNorms.Select(l => Literals.Int(LiveCalls(names, l)));

        w.Line("/// <summary>");
        w.Line("/// The tensors Save writes and Load reads, named and laid out as the state_dict of the equivalent PyTorch module");
        w.Line("/// (the layer methods are its submodules), with the metadata Save writes.");
        w.Line("/// </summary>");
        w.Line("public override ModelFileLayout FileLayout => SavedTensors;");
        w.Line();
        w.Line("private static readonly ModelFileLayout SavedTensors = new(");
        w.Indent();
        w.Line($"model: {Literals.String(spec.FullName)},");
        w.Line($"architecture: {Literals.String(Fingerprint(ArchitectureDescription(spec)))},");
        w.Line($"inputShape: {Literals.String(InputShapeJson(spec))},");
        w.Line($"outputShape: {Literals.String(OutputShapeJson(spec, plan))},");
        w.Line(batchNorms.Count == 0
            ? "batchNormCalls: Array.Empty<int>(),"
            : $"batchNormCalls: new[] {{ {string.Join(", ", calls)} }},   // per BatchNorm layer: calls per forward pass");
        w.Line("tensors: new TensorSlot[]");
        w.OpenBrace();
        for (int l = 0; l < spec.Layers.Count; l++)
        {
            var layer = spec.Layers[l];
            var lp = plan.Layers[l];
            string? module = PyTorchModule(names, l);
            if (module is null) continue;
            w.Line($"// {layer.DisplayName} ↔ {module}");
            foreach (var slice in StateDictOrder(layer, lp.Parameters))
                WriteSlot(w, layer, slice, "TensorSource.Parameters");
            foreach (var slice in lp.State)
                WriteSlot(w, layer, slice, "TensorSource.State");
            if (layer.Kind == LayerKind.BatchNorm)
                w.Line($"new({Literals.String(layer.DisplayName)}, \"num_batches_tracked\", TensorSource.BatchCount, {Literals.Int(batchNorms.IndexOf(l))}, Array.Empty<int>(), TensorTransform.AsStored),");
        }
        w.CloseBrace(");");
        w.Outdent();
        w.Line();
    }

    private static void WriteSlot(IndentedWriter w, LayerSpec layer, BufferSlice slice, string source)
    {
        bool transposed = IsTransposed(layer, slice.Role);
        var shape = transposed ? new[] { slice.Shape[1], slice.Shape[0] } : slice.Shape.ToArray();
        string transform = transposed ? "TensorTransform.Transposed2D" : "TensorTransform.AsStored";
        string stored = transposed ? $"   // stored {FlatShape(slice.Shape)}" : "";
        w.Line($"new({Literals.String(layer.DisplayName)}, {Literals.String(PyTorchKey(slice))}, {source}, {Literals.Int(slice.Offset)}, " +
               $"new[] {{ {string.Join(", ", shape.Select(Literals.Int))} }}, {transform}),{stored}");
    }

    /// <summary>The live calls of layer <paramref name="layer"/>: each runs its BatchNorm once per training forward pass.</summary>
    private static int LiveCalls(ValueNames names, int layer)
    {
        int calls = 0;
        for (int n = 0; n < names.Plan.Nodes.Count; n++)
            if (names.Plan.Nodes[n].Kind == NodeKind.Layer && names.Plan.Nodes[n].Layer == layer && names.Shapes.Nodes[n].Live) calls++;
        return calls;
    }

    /// <summary>The PyTorch module a layer with tensors corresponds to; null for layers without tensors.</summary>
    private static string? PyTorchModule(ValueNames names, int l)
    {
        var layer = names.Spec.Layers[l];
        return layer.Kind switch
        {
            LayerKind.Dense => "nn.Linear",
            LayerKind.Conv2d => "nn.Conv2d",
            LayerKind.Conv1d => "nn.Conv1d",
            LayerKind.ConvTranspose2d => "nn.ConvTranspose2d",
            LayerKind.BatchNorm => names.Plan.FirstCall(l) >= 0 && FirstCallShapes(names, l).Input.Count == 3 ? "nn.BatchNorm2d" : "nn.BatchNorm1d",
            LayerKind.LayerNorm => "nn.LayerNorm",
            LayerKind.GroupNorm => "nn.GroupNorm",
            LayerKind.LSTM => "nn.LSTM(batch_first=True)",
            LayerKind.GRU => "nn.GRU(batch_first=True)",
            LayerKind.Embedding => "nn.Embedding",
            LayerKind.PositionalEmbedding => "a submodule whose parameter 'weight' is the table",
            LayerKind.MultiHeadAttention => "nn.MultiheadAttention(batch_first=True)",
            LayerKind.CrossAttention => "nn.MultiheadAttention(batch_first=True), called as (query, memory, memory)",
            LayerKind.Flatten or LayerKind.Reshape or LayerKind.MaxPool2d or LayerKind.AvgPool2d or LayerKind.GlobalAvgPool or LayerKind.Dropout => null,
            LayerKind.Upsample => null,
        };
    }

    /// <summary>A slice's name within its module's state_dict.</summary>
    private static string PyTorchKey(BufferSlice slice)
    {
        string layer = slice.Direction == 1 ? "_l0_reverse" : "_l0";
        return slice.Role switch
        {
            SliceRole.Weight or SliceRole.Gamma or SliceRole.Table => "weight",
            SliceRole.Bias or SliceRole.Beta => "bias",
            SliceRole.QkvWeight => "in_proj_weight",
            SliceRole.QkvBias => "in_proj_bias",
            SliceRole.OutWeight => "out_proj.weight",
            SliceRole.OutBias => "out_proj.bias",
            SliceRole.InputWeight => "weight_ih" + layer,
            SliceRole.RecurrentWeight => "weight_hh" + layer,
            SliceRole.InputBias => "bias_ih" + layer,
            SliceRole.RecurrentBias => "bias_hh" + layer,
            SliceRole.RunningMean => "running_mean",
            SliceRole.RunningVar => "running_var",
        };
    }

    /// <summary>Whether PyTorch keeps the slice's matrix out×in where ModelGen stores it in×out.</summary>
    private static bool IsTransposed(LayerSpec layer, SliceRole role) => role switch
    {
        SliceRole.Weight => layer.Kind == LayerKind.Dense,   // a convolution's weights are stored as PyTorch stores them
        SliceRole.QkvWeight or SliceRole.OutWeight or SliceRole.InputWeight or SliceRole.RecurrentWeight => true,
        SliceRole.Bias or SliceRole.Gamma or SliceRole.Beta or SliceRole.Table or SliceRole.QkvBias or SliceRole.OutBias => false,
        SliceRole.InputBias or SliceRole.RecurrentBias or SliceRole.RunningMean or SliceRole.RunningVar => false,
    };

    /// <summary>
    /// The parameter slices in the order PyTorch's state_dict lists them: the buffer's order, except that
    /// nn.MultiheadAttention registers each projection's bias right after its weight.
    /// </summary>
    private static IEnumerable<BufferSlice> StateDictOrder(LayerSpec layer, EquatableArray<BufferSlice> slices) =>
        layer.Kind is LayerKind.MultiHeadAttention or LayerKind.CrossAttention
            ? slices.OrderBy(s => s.Role switch { SliceRole.QkvWeight => 0, SliceRole.QkvBias => 1, SliceRole.OutWeight => 2, _ => 3 })
            : (IEnumerable<BufferSlice>)slices;

    /// <summary>The per-sample input shape as JSON: <c>[3,32,32]</c>, or <c>{"wide":[3],"deep":[6]}</c> for named inputs.</summary>
    private static string InputShapeJson(ModelSpec spec) => spec.Inputs.Count == 0
        ? JsonArray(spec.InputShape)
        : "{" + string.Join(",", spec.Inputs.Select(i => JsonString(i.Name) + ":" + JsonArray(i.Shape))) + "}";

    /// <summary>The per-sample output shape as JSON: <c>[10]</c>, or an object of the named outputs (heads, pairs) in order.</summary>
    private static string OutputShapeJson(ModelSpec spec, ShapePlan plan) => spec.Graph.Outputs.Count == 0
        ? JsonArray(plan.Nodes[spec.Graph.Output].Shape)
        : "{" + string.Join(",", spec.Graph.Outputs.Select((o, i) => JsonString(spec.Graph.OutputNames[i]) + ":" + JsonArray(plan.Nodes[o].Shape))) + "}";

    private static string JsonArray(IEnumerable<int> dims) => "[" + string.Join(",", dims.Select(Literals.Int)) + "]";

    private static string JsonString(string text)
    {
        var json = new StringBuilder("\"");
        foreach (char c in text)
        {
            if (c == '"' || c == '\\') json.Append('\\').Append(c);
            else if (c < ' ') json.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            else json.Append(c);
        }
        return json.Append('"').ToString();
    }

    /// <summary>
    /// The 64-bit FNV-1a hash of <paramref name="description"/>'s UTF-8 bytes, as 16 lowercase hex digits. A consistency
    /// check, not a security measure; written out here because the compiler may host the generator where a platform
    /// hash (SHA-256 under a FIPS policy on .NET Framework) refuses to run.
    /// </summary>
    internal static string Fingerprint(string description)
    {
        ulong hash = 0xcbf29ce484222325UL;
        foreach (byte b in Encoding.UTF8.GetBytes(description))
        {
            hash ^= b;
            hash = unchecked(hash * 0x100000001b3UL);
        }
        return hash.ToString("x16", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The canonical text of what makes a model's architecture: the inputs, every layer with its options (by method
    /// name, in declaration order), the graph, the outputs and the loss. Not in it: the type's name and namespace, method
    /// modifiers, and declared input sizes (<c>In =</c>), which the shapes already fix. One line per item, numbers as
    /// invariant integers or raw bits, so the same declaration gives the same text on every machine and compiler host.
    /// </summary>
    internal static string ArchitectureDescription(ModelSpec spec)
    {
        var text = new StringBuilder(DescriptionHeader).Append('\n');
        if (spec.Inputs.Count == 0) text.Append("input ").Append(JsonArray(spec.InputShape)).Append('\n');
        foreach (var input in spec.Inputs) text.Append("input ").Append(JsonString(input.Name)).Append(' ').Append(JsonArray(input.Shape)).Append('\n');
        foreach (var layer in spec.Layers) text.Append("layer ").Append(layer.Name).Append(' ').Append(layer.Kind).Append(LayerOptions(layer)).Append('\n');
        for (int n = 1; n < spec.Graph.Nodes.Count; n++)
        {
            var node = spec.Graph.Nodes[n];
            text.Append("node ").Append(Literals.Int(n)).Append(' ').Append(node.Kind switch
            {
                NodeKind.Layer when node.B >= 0 => $"{spec.Layers[node.Layer].Name}({Literals.Int(node.A)},{Literals.Int(node.B)})",
                NodeKind.Layer => $"{spec.Layers[node.Layer].Name}({Literals.Int(node.A)})",
                NodeKind.Add or NodeKind.Multiply or NodeKind.Subtract => $"{node.Kind}({Literals.Int(node.A)},{Literals.Int(node.B)})",
                NodeKind.RandomNormal or NodeKind.Sum or NodeKind.Mean => $"{node.Kind}({Literals.Int(node.A)})",
                NodeKind.Map => $"{node.Function}({Literals.Int(node.A)};{R(node.First)},{R(node.Second)})",
                NodeKind.NamedInput => $"input {JsonString(spec.Inputs[node.Layer].Name)}({Literals.Int(node.A)})",
                NodeKind.Concat => $"Concat(axis={Literals.Int(node.Axis)};{string.Join(",", node.Parts.Select(Literals.Int))})",
                NodeKind.Input => "input",
            }).Append('\n');
        }
        text.Append("output ").Append(string.Join(",", spec.Graph.AllOutputs.Select(Literals.Int)));
        if (spec.Graph.OutputNames.Count > 0) text.Append(' ').Append(string.Join(",", spec.Graph.OutputNames.Select(JsonString)));
        text.Append('\n');
        text.Append($"loss {spec.Loss} posWeight={R(spec.PosWeight)} huberDelta={R(spec.HuberDelta)} margin={R(spec.Margin)}\n");
        foreach (var head in spec.Heads)
            text.Append($"head {JsonString(head.Name)} {head.Loss} weight={R(head.Weight)} posWeight={R(head.PosWeight)} huberDelta={R(head.HuberDelta)}\n");
        foreach (var term in spec.Graph.LossTerms)
            text.Append($"lossTerm {JsonString(term.Name)} node={Literals.Int(term.Node)} weight={R(term.Weight)}\n");
        return text.ToString();
    }

    /// <summary>" units=128 activation=ReLU …": a layer's options as the fingerprint sees them.</summary>
    private static string LayerOptions(LayerSpec layer) => layer.Kind switch
    {
        LayerKind.Dense => Options((DenseLayer)layer),
        LayerKind.Conv2d or LayerKind.Conv1d => Options((ConvLayer)layer),
        LayerKind.MaxPool2d or LayerKind.AvgPool2d => Window(((PoolLayer)layer).Window),
        LayerKind.LayerNorm or LayerKind.BatchNorm => $" epsilon={R(((NormLayer)layer).Epsilon)} momentum={R(((NormLayer)layer).Momentum)}",
        LayerKind.GroupNorm => $" groups={Literals.Int(((GroupNormLayer)layer).Groups)} epsilon={R(((GroupNormLayer)layer).Epsilon)}",
        LayerKind.Dropout => $" rate={R(((DropoutLayer)layer).Rate)}",
        LayerKind.LSTM or LayerKind.GRU => Options((RecurrentLayer)layer),
        LayerKind.Reshape => $" target={JsonArray(((ReshapeLayer)layer).Target)}",
        LayerKind.Embedding => Options((EmbeddingLayer)layer),
        LayerKind.PositionalEmbedding => $" maxLength={Literals.Int(((PositionalEmbeddingLayer)layer).MaxLength)}",
        LayerKind.MultiHeadAttention => Options((AttentionLayer)layer),
        LayerKind.CrossAttention => $" heads={Literals.Int(((CrossAttentionLayer)layer).Heads)} bias={B(((CrossAttentionLayer)layer).Bias)}",
        LayerKind.Flatten or LayerKind.GlobalAvgPool => "",
        LayerKind.ConvTranspose2d or LayerKind.Upsample => UpsamplingOptions(layer),
    };

    private static string Options(DenseLayer d) => $" units={Literals.Int(d.Units)} activation={d.Activation} slope={R(d.NegativeSlope)} bias={B(d.Bias)}";

    private static string Options(ConvLayer c) => $" filters={Literals.Int(c.Filters)}{Window(c.Window)} activation={c.Activation} slope={R(c.NegativeSlope)} bias={B(c.Bias)}";

    private static string Options(RecurrentLayer r) => $" hidden={Literals.Int(r.HiddenSize)} bidirectional={B(r.Bidirectional)} sequences={B(r.ReturnSequences)}";

    private static string Options(EmbeddingLayer e) =>
        $" vocabulary={Literals.Int(e.Vocabulary)} dimension={Literals.Int(e.Dimension)} padding={Literals.Int(e.PaddingIndex)} mask={B(e.MaskPadding)}";

    private static string Options(AttentionLayer a) => $" heads={Literals.Int(a.Heads)} causal={B(a.Causal)} bias={B(a.Bias)}";

    private static string Window(SpatialSpec s) =>
        $" kernel={Literals.Int(s.Kernel)} stride={Literals.Int(s.Stride)} padding={Literals.Int(s.Padding)} dilation={Literals.Int(s.Dilation)} groups={Literals.Int(s.Groups)} same={B(s.Same)}";

    /// <summary>A number as its 64 bits in hex: decimal round-trip text differs between the .NET Framework and .NET hosts of the compiler.</summary>
    private static string R(double value) => System.BitConverter.DoubleToInt64Bits(value).ToString("x16", CultureInfo.InvariantCulture);

    private static string B(bool value) => value ? "true" : "false";
}
