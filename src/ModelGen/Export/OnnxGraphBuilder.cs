using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace ModelGen.Export;

/// <summary>An attribute of an ONNX node: an integer, a float, a string or a list of integers.</summary>
internal readonly record struct OnnxAttribute(string Name, long Int = 0, float Float = 0, string? Text = null, long[]? Ints = null, bool IsFloat = false)
{
    public static OnnxAttribute Of(string name, long value) => new(name, Int: value);

    public static OnnxAttribute Of(string name, float value) => new(name, Float: value, IsFloat: true);

    public static OnnxAttribute Of(string name, string value) => new(name, Text: value);

    public static OnnxAttribute Of(string name, long[] values) => new(name, Ints: values);
}

/// <summary>
/// Collects the nodes, initializers, inputs and outputs of one ONNX graph, gives every value a unique name, and writes
/// the model as protobuf (onnx.proto's ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto
/// and OperatorSetIdProto; the field numbers below are that file's).
/// </summary>
internal sealed class OnnxGraphBuilder
{
    /// <summary>The operator set the graph uses; IR version 8 is the one that goes with it.</summary>
    public const int Opset = 17;

    private const int IrVersion = 8;
    private const int FloatType = 1, Int64Type = 7;
    private const int AttributeFloat = 1, AttributeInt = 2, AttributeString = 3, AttributeInts = 7;

    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly List<ProtoWriter> _nodes = new();
    private readonly List<ProtoWriter> _initializers = new();
    private readonly List<ProtoWriter> _inputs = new();
    private readonly List<ProtoWriter> _outputs = new();
    private readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);

    /// <summary>Marks <paramref name="name"/> as taken (graph inputs and outputs keep the names the user declared).</summary>
    public void Reserve(string name)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"The ONNX graph would have two values named '{name}'.");
    }

    /// <summary><paramref name="hint"/>, or the hint with a number after it when a value already has that name.</summary>
    public string Unique(string hint)
    {
        if (_names.Add(hint)) return hint;
        for (int i = 2; ; i++)
        {
            string name = hint + "_" + i.ToString(CultureInfo.InvariantCulture);
            if (_names.Add(name)) return name;
        }
    }

    /// <summary>A graph input of float32 values shaped [batch, <paramref name="sampleShape"/>…] with a symbolic batch.</summary>
    public void Input(string name, IReadOnlyList<int> sampleShape) => _inputs.Add(ValueInfo(name, sampleShape));

    /// <summary>A graph output of float32 values shaped [batch, <paramref name="sampleShape"/>…].</summary>
    public void Output(string name, IReadOnlyList<int> sampleShape) => _outputs.Add(ValueInfo(name, sampleShape));

    /// <summary>Adds a node with one output named after <paramref name="hint"/> and returns that name.</summary>
    public string Node(string op, string hint, string[] inputs, params OnnxAttribute[] attributes) =>
        Node(op, inputs, new[] { Unique(hint) }, attributes)[0];

    /// <summary>Adds a node whose outputs already have names (see <see cref="Unique"/>) and returns them.</summary>
    public string[] Node(string op, string[] inputs, string[] outputs, params OnnxAttribute[] attributes)
    {
        var node = new ProtoWriter();
        foreach (string input in inputs) node.String(1, input);
        foreach (string output in outputs) node.String(2, output);
        node.String(3, outputs[0]);
        node.String(4, op);
        foreach (var attribute in attributes) node.Message(5, Attribute(attribute));
        _nodes.Add(node);
        return outputs;
    }

    /// <summary>A float32 initializer named <paramref name="name"/> (which must be free), returned by its name.</summary>
    public string Initializer(string name, long[] dims, ReadOnlySpan<float> values)
    {
        Reserve(name);
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        _initializers.Add(Tensor(name, dims, FloatType, bytes));
        return name;
    }

    /// <summary>An int64 vector constant (shapes, axes, split sizes), shared by every node that needs the same values.</summary>
    public string Int64s(params long[] values)
    {
        string key = "i64:" + string.Join(",", values);
        if (_constants.TryGetValue(key, out var existing)) return existing;
        string name = Unique("const_i64_" + string.Join("_", values).Replace("-", "m"));
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), values[i]);
        _initializers.Add(Tensor(name, new long[] { values.Length }, Int64Type, bytes));
        return _constants[key] = name;
    }

    /// <summary>A float32 vector constant (Resize scales), shared by every node that needs the same values.</summary>
    public string Floats(params float[] values)
    {
        string key = "f32v:" + string.Join(",", values.Select(v => BitConverter.SingleToInt32Bits(v).ToString("x8", CultureInfo.InvariantCulture)));
        if (_constants.TryGetValue(key, out var existing)) return existing;
        string name = Unique("const_f32_" + string.Join("_", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))).Replace("-", "m"));
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        _initializers.Add(Tensor(name, new long[] { values.Length }, FloatType, bytes));
        return _constants[key] = name;
    }

    /// <summary>A float32 scalar constant, shared by every node that needs the same value.</summary>
    public string Scalar(float value)
    {
        string key = "f32:" + BitConverter.SingleToInt32Bits(value).ToString("x8", CultureInfo.InvariantCulture);
        if (_constants.TryGetValue(key, out var existing)) return existing;
        string name = Unique("const_f32_" + value.ToString("R", CultureInfo.InvariantCulture));
        var bytes = new byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        _initializers.Add(Tensor(name, Array.Empty<long>(), FloatType, bytes));
        return _constants[key] = name;
    }

    /// <summary>Writes the ModelProto: the graph under <paramref name="graphName"/>, with <paramref name="metadata"/> as its metadata_props.</summary>
    public void WriteModel(Stream stream, string graphName, string producerVersion, IReadOnlyList<KeyValuePair<string, string>> metadata)
    {
        var graph = new ProtoWriter();
        foreach (var node in _nodes) graph.Message(1, node);
        graph.String(2, graphName);
        foreach (var initializer in _initializers) graph.Message(5, initializer);
        foreach (var input in _inputs) graph.Message(11, input);
        foreach (var output in _outputs) graph.Message(12, output);

        var opset = new ProtoWriter();
        opset.Int64(2, Opset);   // the default domain, ai.onnx, is the empty string: left out

        var model = new ProtoWriter();
        model.Int64(1, IrVersion);
        model.String(2, "ModelGen");
        model.String(3, producerVersion);
        model.Message(7, graph);
        model.Message(8, opset);
        foreach (var entry in metadata)
        {
            var property = new ProtoWriter();
            property.String(1, entry.Key);
            property.String(2, entry.Value);
            model.Message(14, property);
        }
        model.CopyTo(stream);
    }

    private static ProtoWriter Attribute(OnnxAttribute attribute)
    {
        var proto = new ProtoWriter();
        proto.String(1, attribute.Name);
        if (attribute.Ints is not null)
        {
            proto.PackedInt64(8, attribute.Ints);
            proto.Int64(20, AttributeInts);
        }
        else if (attribute.Text is not null)
        {
            proto.String(4, attribute.Text);
            proto.Int64(20, AttributeString);
        }
        else if (attribute.IsFloat)
        {
            proto.Float(2, attribute.Float);
            proto.Int64(20, AttributeFloat);
        }
        else
        {
            proto.Int64(3, attribute.Int);
            proto.Int64(20, AttributeInt);
        }
        return proto;
    }

    private static ProtoWriter Tensor(string name, long[] dims, int dataType, byte[] rawData)
    {
        var proto = new ProtoWriter();
        if (dims.Length > 0) proto.PackedInt64(1, dims);
        proto.Int64(2, dataType);
        proto.String(8, name);
        proto.Bytes(9, rawData);   // raw_data: little-endian, as ONNX requires
        return proto;
    }

    private static ProtoWriter ValueInfo(string name, IReadOnlyList<int> sampleShape)
    {
        var shape = new ProtoWriter();
        var batch = new ProtoWriter();
        batch.String(2, "batch");   // dim_param: a symbolic size
        shape.Message(1, batch);
        foreach (int size in sampleShape)
        {
            var dim = new ProtoWriter();
            dim.Int64(1, size);
            shape.Message(1, dim);
        }
        var tensorType = new ProtoWriter();
        tensorType.Int64(1, FloatType);
        tensorType.Message(2, shape);
        var type = new ProtoWriter();
        type.Message(1, tensorType);
        var info = new ProtoWriter();
        info.String(1, name);
        info.Message(2, type);
        return info;
    }
}
