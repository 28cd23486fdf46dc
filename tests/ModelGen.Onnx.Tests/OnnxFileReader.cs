using System;
using System.Collections.Generic;
using System.Text;

namespace ModelGen.Onnx.Tests;

/// <summary>
/// Reads back the parts of an ONNX file the structural tests look at (IR version, operator sets, nodes with their
/// operator, inputs and outputs, initializer names), straight from the protobuf wire format, so the tests check the
/// bytes the exporter wrote rather than the exporter's own view of them.
/// </summary>
internal sealed class OnnxFileReader
{
    public long IrVersion { get; private set; }

    public List<(string Domain, long Version)> Opsets { get; } = new();

    public List<(string Op, List<string> Inputs, List<string> Outputs)> Nodes { get; } = new();

    public List<string> Initializers { get; } = new();

    public static OnnxFileReader Read(byte[] bytes)
    {
        var file = new OnnxFileReader();
        foreach (var (field, value, data) in Fields(bytes))
        {
            if (field == 1) file.IrVersion = value;
            else if (field == 8)
            {
                string domain = "";
                long version = 0;
                foreach (var (f, v, d) in Fields(data)) { if (f == 1) domain = Text(d); else if (f == 2) version = v; }
                file.Opsets.Add((domain, version));
            }
            else if (field == 7) file.ReadGraph(data);
        }
        return file;
    }

    private void ReadGraph(byte[] graph)
    {
        foreach (var (field, _, data) in Fields(graph))
        {
            if (field == 1)
            {
                string op = "";
                var inputs = new List<string>();
                var outputs = new List<string>();
                foreach (var (f, _, d) in Fields(data))
                {
                    if (f == 1) inputs.Add(Text(d));
                    else if (f == 2) outputs.Add(Text(d));
                    else if (f == 4) op = Text(d);
                }
                Nodes.Add((op, inputs, outputs));
            }
            else if (field == 5)
                foreach (var (f, _, d) in Fields(data))
                    if (f == 8) Initializers.Add(Text(d));
        }
    }

    private static string Text(byte[] data) => Encoding.UTF8.GetString(data);

    /// <summary>The fields of one message: number, varint value (or 0), length-delimited content (or empty).</summary>
    private static IEnumerable<(int Field, long Value, byte[] Data)> Fields(byte[] message)
    {
        int position = 0;
        while (position < message.Length)
        {
            ulong tag = Varint(message, ref position);
            int field = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0:
                    yield return (field, (long)Varint(message, ref position), Array.Empty<byte>());
                    break;
                case 2:
                    int length = checked((int)Varint(message, ref position));
                    yield return (field, 0, message.AsSpan(position, length).ToArray());
                    position += length;
                    break;
                case 5:
                    position += 4;
                    break;
                case 1:
                    position += 8;
                    break;
                default:
                    throw new FormatException($"Wire type {tag & 7} at byte {position}.");
            }
        }
    }

    private static ulong Varint(byte[] data, ref int position)
    {
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
    }
}
