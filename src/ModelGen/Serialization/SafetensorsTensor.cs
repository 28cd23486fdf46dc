using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace ModelGen.Serialization;

/// <summary>
/// One named tensor of a safetensors file: dtype, shape (row-major, outermost first) and its raw little-endian
/// bytes. Built with the <c>From…</c> factories for writing, or read from a file by <see cref="SafetensorsFile"/>.
/// Immutable.
/// </summary>
public sealed class SafetensorsTensor
{
    internal const string InMemorySource = "(in memory)";

    private readonly byte[] _bytes;
    private readonly long[] _shape;

    private SafetensorsTensor(string name, SafetensorsDType dtype, long[] shape, long elementCount, byte[] bytes, string source)
    {
        Name = name;
        DType = dtype;
        _shape = shape;
        Shape = Array.AsReadOnly(shape);
        ElementCount = elementCount;
        _bytes = bytes;
        Source = source;
    }

    /// <summary>The tensor's key in the header, e.g. "Hidden.weight".</summary>
    public string Name { get; }

    /// <summary>The element type as stored.</summary>
    public SafetensorsDType DType { get; }

    /// <summary>Dimensions, outermost first; empty for a scalar. A zero dimension makes an empty tensor.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>Product of <see cref="Shape"/> (1 for a scalar, 0 for an empty tensor).</summary>
    public long ElementCount { get; }

    /// <summary>The stored bytes, little-endian, <see cref="ElementCount"/> × element size long.</summary>
    public ReadOnlyMemory<byte> Bytes => _bytes;

    /// <summary>The file (or source description) the tensor was read from; "(in memory)" for one built in code.</summary>
    public string Source { get; }

    /// <summary>The shape as PyTorch prints it, e.g. "[64, 10]".</summary>
    public string ShapeText => FormatShape(_shape);

    /// <summary>
    /// A tensor of <paramref name="values"/> stored as <paramref name="storedAs"/>: F32 (exact), F64 (exact),
    /// F16 or BF16 (each rounded to nearest, ties to even; NaN stays NaN, overflow becomes infinity).
    /// </summary>
    /// <param name="name">The tensor's key in the header; any string except "__metadata__".</param>
    /// <param name="shape">Dimensions, outermost first; empty for a scalar.</param>
    /// <param name="values">Row-major values, as many as the shape's product.</param>
    /// <param name="storedAs">Float32, Float64, Float16 or BFloat16.</param>
    public static SafetensorsTensor FromFloat32(string name, ReadOnlySpan<long> shape, ReadOnlySpan<float> values,
        SafetensorsDType storedAs = SafetensorsDType.Float32)
    {
        if (!storedAs.IsConvertibleToFloat32())
            throw new ArgumentException($"Float values can be stored as F32, F64, F16 or BF16, not {storedAs.HeaderName()}.", nameof(storedAs));
        long count = CheckArguments(name, shape, values.Length, storedAs.ElementSize());
        var bytes = new byte[count * storedAs.ElementSize()];
        switch (storedAs)
        {
            case SafetensorsDType.Float32:
                for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
                break;
            case SafetensorsDType.Float64:
                for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(8 * i), values[i]);
                break;
            case SafetensorsDType.Float16:
                for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(2 * i), (Half)values[i]);
                break;
            default:
                for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), FloatToBFloat16Bits(values[i]));
                break;
        }
        return new SafetensorsTensor(name, storedAs, shape.ToArray(), count, bytes, InMemorySource);
    }

    /// <summary>A tensor of 64-bit integers (I64), e.g. a BatchNorm's <c>num_batches_tracked</c> scalar.</summary>
    /// <param name="name">The tensor's key in the header; any string except "__metadata__".</param>
    /// <param name="shape">Dimensions, outermost first; empty for a scalar.</param>
    /// <param name="values">Row-major values, as many as the shape's product.</param>
    public static SafetensorsTensor FromInt64(string name, ReadOnlySpan<long> shape, ReadOnlySpan<long> values)
    {
        long count = CheckArguments(name, shape, values.Length, 8);
        var bytes = new byte[count * 8];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * i), values[i]);
        return new SafetensorsTensor(name, SafetensorsDType.Int64, shape.ToArray(), count, bytes, InMemorySource);
    }

    /// <summary>A tensor of any dtype from its little-endian bytes (copied).</summary>
    /// <param name="name">The tensor's key in the header; any string except "__metadata__".</param>
    /// <param name="dtype">The element type the bytes hold.</param>
    /// <param name="shape">Dimensions, outermost first; empty for a scalar.</param>
    /// <param name="littleEndianBytes">Shape product × element size bytes.</param>
    public static SafetensorsTensor FromBytes(string name, SafetensorsDType dtype, ReadOnlySpan<long> shape, ReadOnlySpan<byte> littleEndianBytes)
    {
        int size = dtype.ElementSize();
        if (littleEndianBytes.Length % size != 0)
            throw new ArgumentException($"Tensor '{name}': {littleEndianBytes.Length} bytes is not a whole number of {dtype.HeaderName()} elements ({size} bytes each).", nameof(littleEndianBytes));
        long count = CheckArguments(name, shape, littleEndianBytes.Length / size, size);
        return new SafetensorsTensor(name, dtype, shape.ToArray(), count, littleEndianBytes.ToArray(), InMemorySource);
    }

    /// <summary>Wraps bytes the reader has already checked against dtype and shape; takes ownership of <paramref name="bytes"/>.</summary>
    internal static SafetensorsTensor FromValidatedFile(string name, SafetensorsDType dtype, long[] shape, long elementCount, byte[] bytes, string source)
        => new(name, dtype, shape, elementCount, bytes, source);

    /// <summary>
    /// The values as float32: F32 as stored, F16 and BF16 exactly (every value of theirs is a float32), F64 rounded
    /// to nearest.
    /// </summary>
    /// <exception cref="ModelFileException">The dtype is not F32, F16, BF16 or F64.</exception>
    public float[] ToFloat32()
    {
        var values = new float[ElementCount];
        CopyToFloat32(values);
        return values;
    }

    /// <summary>Converts as <see cref="ToFloat32"/> does, into <paramref name="destination"/> (e.g. a slice of a parameter buffer).</summary>
    /// <exception cref="ModelFileException">The dtype is not F32, F16, BF16 or F64.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is not <see cref="ElementCount"/> long.</exception>
    public void CopyToFloat32(Span<float> destination)
    {
        if (!DType.IsConvertibleToFloat32())
            throw new ModelFileException(Source, $"tensor '{Name}' has dtype {DType.HeaderName()}; expected a floating-point dtype (F32, F16, BF16 or F64)");
        if (destination.Length != ElementCount)
            throw new ArgumentException($"Tensor '{Name}' has {ElementCount} elements; the destination holds {destination.Length}.", nameof(destination));
        ReadOnlySpan<byte> bytes = _bytes;
        switch (DType)
        {
            case SafetensorsDType.Float32:
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(bytes).CopyTo(destination);
                else for (int i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
                break;
            case SafetensorsDType.Float64:
                for (int i = 0; i < destination.Length; i++) destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes[(8 * i)..]);
                break;
            case SafetensorsDType.Float16:
                for (int i = 0; i < destination.Length; i++) destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * i)..]);
                break;
            default:
                for (int i = 0; i < destination.Length; i++) destination[i] = BFloat16BitsToFloat(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]));
                break;
        }
    }

    /// <summary>The values as 64-bit integers, from BOOL, I8…I64 and U8…U64.</summary>
    /// <exception cref="ModelFileException">The dtype is a float type, or a U64 value exceeds <see cref="long.MaxValue"/>.</exception>
    public long[] ToInt64()
    {
        if (!DType.IsConvertibleToInt64())
            throw new ModelFileException(Source, $"tensor '{Name}' has dtype {DType.HeaderName()}; expected an integer dtype (I64, I32, I16, I8, U64, U32, U16, U8 or BOOL)");
        var values = new long[ElementCount];
        ReadOnlySpan<byte> bytes = _bytes;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = DType switch
            {
                SafetensorsDType.Bool or SafetensorsDType.UInt8 => bytes[i],
                SafetensorsDType.Int8 => (sbyte)bytes[i],
                SafetensorsDType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(bytes[(2 * i)..]),
                SafetensorsDType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]),
                SafetensorsDType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(bytes[(4 * i)..]),
                SafetensorsDType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(bytes[(4 * i)..]),
                SafetensorsDType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(bytes[(8 * i)..]),
                _ => CheckedUInt64(BinaryPrimitives.ReadUInt64LittleEndian(bytes[(8 * i)..]), i),
            };
        }
        return values;
    }

    /// <summary>bfloat16 bits → float32: the bits become the upper half of a float32, so every value is exact.</summary>
    internal static float BFloat16BitsToFloat(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>float32 → bfloat16 bits, rounded to nearest with ties to even; a NaN stays a (quiet) NaN of the same sign.</summary>
    internal static ushort FloatToBFloat16Bits(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x0040);
        // Adding 0x7FFF plus the lowest kept bit rounds the dropped half to nearest, ties to even; a carry into the
        // exponent is right (it rounds up to the next binade, or to infinity past the largest finite value).
        uint lowestKept = (bits >> 16) & 1;
        return (ushort)((bits + 0x7FFF + lowestKept) >> 16);
    }

    internal static string FormatShape(ReadOnlySpan<long> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    private long CheckedUInt64(ulong value, int index)
    {
        if (value > long.MaxValue)
            throw new ModelFileException(Source, $"tensor '{Name}' (U64) holds {value} at element {index}, more than a 64-bit signed integer can hold");
        return (long)value;
    }

    private static long CheckArguments(string name, ReadOnlySpan<long> shape, int valueCount, int elementSize)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name == SafetensorsFile.MetadataKey)
            throw new ArgumentException($"\"{SafetensorsFile.MetadataKey}\" is the header's metadata key and cannot name a tensor.", nameof(name));
        long count = 1;
        foreach (long dim in shape)
        {
            if (dim < 0) throw new ArgumentException($"Tensor '{name}': shape {FormatShape(shape)} has a negative dimension.", nameof(shape));
            count = dim == 0 || count <= long.MaxValue / dim ? count * dim : long.MaxValue;
        }
        if (count != valueCount)
            throw new ArgumentException($"Tensor '{name}': shape {FormatShape(shape)} holds {count} elements; {valueCount} were given.", nameof(shape));
        if (count > Array.MaxLength / elementSize)
            throw new ArgumentException($"Tensor '{name}': {count} elements of {elementSize} bytes exceed the largest array .NET can allocate.", nameof(shape));
        return count;
    }
}
