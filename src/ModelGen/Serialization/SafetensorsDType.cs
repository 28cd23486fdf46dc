using System;

namespace ModelGen.Serialization;

/// <summary>
/// The element types a safetensors file can declare, with the spelling the header uses in brackets.
/// All are little-endian. Sub-byte types (F4, F6) and complex types are not supported: a file that uses them
/// is refused with a <see cref="ModelFileException"/> naming the tensor.
/// </summary>
public enum SafetensorsDType
{
    /// <summary>One byte per element, 0 or 1 ("BOOL").</summary>
    Bool,
    /// <summary>Unsigned 8-bit integer ("U8").</summary>
    UInt8,
    /// <summary>Signed 8-bit integer ("I8").</summary>
    Int8,
    /// <summary>8-bit float with 5 exponent and 2 mantissa bits ("F8_E5M2"); readable as raw bytes only.</summary>
    Float8E5M2,
    /// <summary>8-bit float with 4 exponent and 3 mantissa bits ("F8_E4M3"); readable as raw bytes only.</summary>
    Float8E4M3,
    /// <summary>Signed 16-bit integer ("I16").</summary>
    Int16,
    /// <summary>Unsigned 16-bit integer ("U16").</summary>
    UInt16,
    /// <summary>IEEE 754 half precision ("F16").</summary>
    Float16,
    /// <summary>bfloat16: the upper 16 bits of a float32 ("BF16").</summary>
    BFloat16,
    /// <summary>Signed 32-bit integer ("I32").</summary>
    Int32,
    /// <summary>Unsigned 32-bit integer ("U32").</summary>
    UInt32,
    /// <summary>IEEE 754 single precision ("F32").</summary>
    Float32,
    /// <summary>IEEE 754 double precision ("F64").</summary>
    Float64,
    /// <summary>Signed 64-bit integer ("I64"), e.g. BatchNorm's <c>num_batches_tracked</c>.</summary>
    Int64,
    /// <summary>Unsigned 64-bit integer ("U64").</summary>
    UInt64,
}

/// <summary>Header spellings and element sizes of <see cref="SafetensorsDType"/>.</summary>
public static class SafetensorsDTypeInfo
{
    private static readonly string[] HeaderNames =
        ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"];

    private static readonly byte[] Sizes = [1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 8, 8, 8];

    /// <summary>The dtype's spelling in a safetensors header, e.g. "F32" for <see cref="SafetensorsDType.Float32"/>.</summary>
    public static string HeaderName(this SafetensorsDType dtype) => HeaderNames[Index(dtype)];

    /// <summary>Bytes per element (1, 2, 4 or 8).</summary>
    public static int ElementSize(this SafetensorsDType dtype) => Sizes[Index(dtype)];

    /// <summary>True for F16, BF16, F32 and F64: the dtypes <see cref="SafetensorsTensor.ToFloat32"/> converts.</summary>
    public static bool IsConvertibleToFloat32(this SafetensorsDType dtype) =>
        dtype is SafetensorsDType.Float16 or SafetensorsDType.BFloat16 or SafetensorsDType.Float32 or SafetensorsDType.Float64;

    /// <summary>True for BOOL and the integer dtypes: the dtypes <see cref="SafetensorsTensor.ToInt64"/> converts.</summary>
    public static bool IsConvertibleToInt64(this SafetensorsDType dtype) =>
        dtype is SafetensorsDType.Bool or SafetensorsDType.UInt8 or SafetensorsDType.Int8 or SafetensorsDType.Int16
            or SafetensorsDType.UInt16 or SafetensorsDType.Int32 or SafetensorsDType.UInt32 or SafetensorsDType.Int64
            or SafetensorsDType.UInt64;

    /// <summary>The dtype spelled <paramref name="headerName"/> (case-sensitive, as the format requires), if any.</summary>
    public static bool TryParseHeaderName(ReadOnlySpan<char> headerName, out SafetensorsDType dtype)
    {
        for (int i = 0; i < HeaderNames.Length; i++)
        {
            if (headerName.SequenceEqual(HeaderNames[i])) { dtype = (SafetensorsDType)i; return true; }
        }
        dtype = default;
        return false;
    }

    /// <summary>Every supported header spelling, comma separated, for error messages.</summary>
    internal static string SupportedHeaderNames => string.Join(", ", HeaderNames);

    private static int Index(SafetensorsDType dtype)
    {
        int index = (int)dtype;
        if ((uint)index >= (uint)HeaderNames.Length)
            throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Not a safetensors dtype.");
        return index;
    }
}
