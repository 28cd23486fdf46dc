using System;
using System.Buffers;
using System.Buffers.Binary;
using System.IO;
using System.Text;

namespace ModelGen.Export;

/// <summary>
/// The protocol buffers wire format, as much of it as ONNX files need: varints, 64-bit integers, 32-bit floats,
/// length-delimited strings, bytes, packed repeated numbers and nested messages. A nested message is written into a
/// writer of its own and then copied into its parent with its length in front.
/// </summary>
internal sealed class ProtoWriter
{
    private const int Varint = 0, Fixed32 = 5, LengthDelimited = 2;

    private readonly ArrayBufferWriter<byte> _buffer = new();

    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

    public void CopyTo(Stream stream) => stream.Write(_buffer.WrittenSpan);

    /// <summary>An int64, int32 or enum field; proto3 leaves out zero values, so callers skip defaults themselves.</summary>
    public void Int64(int field, long value)
    {
        Tag(field, Varint);
        WriteVarint(unchecked((ulong)value));
    }

    public void Float(int field, float value)
    {
        Tag(field, Fixed32);
        BinaryPrimitives.WriteSingleLittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, LengthDelimited);
        WriteVarint((ulong)value.Length);
        value.CopyTo(_buffer.GetSpan(value.Length));
        _buffer.Advance(value.Length);
    }

    public void Message(int field, ProtoWriter message) => Bytes(field, message.WrittenSpan);

    /// <summary>A packed repeated int64 field (ONNX writes dims and ints this way).</summary>
    public void PackedInt64(int field, ReadOnlySpan<long> values)
    {
        var packed = new ProtoWriter();
        foreach (long v in values) packed.WriteVarint(unchecked((ulong)v));
        Bytes(field, packed.WrittenSpan);
    }

    /// <summary>A packed repeated float field.</summary>
    public void PackedFloat(int field, ReadOnlySpan<float> values)
    {
        Tag(field, LengthDelimited);
        WriteVarint((ulong)values.Length * 4);
        var span = _buffer.GetSpan(values.Length * 4);
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(span.Slice(i * 4), values[i]);
        _buffer.Advance(values.Length * 4);
    }

    private void Tag(int field, int wireType) => WriteVarint((ulong)((field << 3) | wireType));

    private void WriteVarint(ulong value)
    {
        var span = _buffer.GetSpan(10);
        int i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[i++] = (byte)value;
        _buffer.Advance(i);
    }
}
