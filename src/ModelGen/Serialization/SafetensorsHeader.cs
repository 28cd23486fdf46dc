using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;

namespace ModelGen.Serialization;

/// <summary>One tensor of a checked header: its byte range lies inside the data section and matches dtype × shape.</summary>
internal readonly record struct SafetensorsEntry(string Name, SafetensorsDType DType, long[] Shape, long ElementCount, long Begin, long End)
{
    public long ByteLength => End - Begin;
}

/// <summary>
/// Parses and checks a safetensors header without trusting it: every number is checked against the real length of
/// the input before anything is allocated from it, and every problem becomes a <see cref="ModelFileException"/>.
/// </summary>
internal static class SafetensorsHeader
{
    /// <summary>Size of the little-endian header length that starts the file.</summary>
    public const int LengthPrefixSize = 8;

    /// <summary>The smallest header, "{}".</summary>
    public const long MinHeaderLength = 2;

    private const int MaxQuotedLength = 120;

    /// <summary>
    /// Reads the header length from the first 8 bytes and checks it against the limit and against
    /// <paramref name="totalLength"/>, the actual length of the input.
    /// </summary>
    public static long CheckLength(ReadOnlySpan<byte> prefix, long totalLength, string source)
    {
        ulong declared = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (declared < MinHeaderLength)
            throw new ModelFileException(source, $"the header length is {declared}; a header is at least {MinHeaderLength} bytes (\"{{}}\")");
        if (declared > SafetensorsFile.MaxHeaderLength)
            throw new ModelFileException(source, $"the header length is {declared} bytes, more than the limit of {SafetensorsFile.MaxHeaderLength} bytes");
        long available = totalLength - LengthPrefixSize;
        if ((long)declared > available)
            throw new ModelFileException(source, $"the header length is {declared} bytes, but only {available} bytes follow the 8-byte length");
        return (long)declared;
    }

    /// <summary>
    /// Parses <paramref name="header"/> and checks every tensor against <paramref name="dataLength"/>, the actual
    /// number of bytes after the header: ranges match dtype × shape, lie inside the data, and cover it exactly.
    /// </summary>
    public static (List<SafetensorsEntry> Tensors, Dictionary<string, string> Metadata) Parse(
        ReadOnlySpan<byte> header, long dataLength, string source)
    {
        if (header[0] != (byte)'{')
            throw new ModelFileException(source, $"the header starts with byte 0x{header[0]:X2}; a safetensors header is a JSON object starting with '{{'");
        if (!System.Text.Unicode.Utf8.IsValid(header))
            throw new ModelFileException(source, $"the header is not valid UTF-8 (first bad byte at offset {FirstInvalidUtf8(header)} of the header)");

        var tensors = new List<SafetensorsEntry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        Dictionary<string, string>? metadata = null;
        var reader = new Utf8JsonReader(header, new JsonReaderOptions { MaxDepth = 8 });
        try
        {
            Next(ref reader, source); // the '{' checked above
            while (true)
            {
                Next(ref reader, source);
                if (reader.TokenType == JsonTokenType.EndObject) break;
                string key = reader.GetString()!;
                if (key == SafetensorsFile.MetadataKey)
                {
                    if (metadata != null)
                        throw new ModelFileException(source, $"\"{SafetensorsFile.MetadataKey}\" appears twice in the header");
                    metadata = ParseMetadata(ref reader, source);
                }
                else
                {
                    if (!names.Add(key))
                        throw new ModelFileException(source, $"tensor {Quote(key)} appears twice in the header");
                    tensors.Add(ParseTensor(ref reader, key, dataLength, source));
                }
            }
            long end = reader.BytesConsumed;
            for (long i = end; i < header.Length; i++)
            {
                if (header[(int)i] is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
                    throw new ModelFileException(source, $"the header has byte 0x{header[(int)i]:X2} at offset {i} after its JSON object; only space padding may follow it");
            }
        }
        catch (JsonException e)
        {
            throw new ModelFileException(source, $"the header is not valid JSON ({e.Message})", e);
        }
        catch (InvalidOperationException e)
        {
            // GetString on text the reader let through but cannot decode (e.g. an escaped lone surrogate).
            throw new ModelFileException(source, $"the header has a string that cannot be decoded ({e.Message})", e);
        }

        CheckCoverage(tensors, dataLength, source);
        return (tensors, metadata ?? new Dictionary<string, string>(StringComparer.Ordinal));
    }

    private static Dictionary<string, string> ParseMetadata(ref Utf8JsonReader reader, string source)
    {
        Next(ref reader, source);
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new ModelFileException(source, $"\"{SafetensorsFile.MetadataKey}\" is {Describe(reader.TokenType)}; expected an object of string values");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        while (true)
        {
            Next(ref reader, source);
            if (reader.TokenType == JsonTokenType.EndObject) return metadata;
            string key = reader.GetString()!;
            Next(ref reader, source);
            if (reader.TokenType != JsonTokenType.String)
                throw new ModelFileException(source, $"metadata {Quote(key)} is {Describe(reader.TokenType)}; metadata values must be strings");
            if (!metadata.TryAdd(key, reader.GetString()!))
                throw new ModelFileException(source, $"metadata {Quote(key)} appears twice in the header");
        }
    }

    private static SafetensorsEntry ParseTensor(ref Utf8JsonReader reader, string name, long dataLength, string source)
    {
        string tensor = "tensor " + Quote(name);
        Next(ref reader, source);
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new ModelFileException(source, $"{tensor} is {Describe(reader.TokenType)}; expected an object with \"dtype\", \"shape\" and \"data_offsets\"");

        string? dtypeText = null;
        List<ulong>? shape = null, offsets = null;
        while (true)
        {
            Next(ref reader, source);
            if (reader.TokenType == JsonTokenType.EndObject) break;
            string field = reader.GetString()!;
            switch (field)
            {
                case "dtype":
                    if (dtypeText != null) throw Duplicate();
                    Next(ref reader, source);
                    if (reader.TokenType != JsonTokenType.String)
                        throw new ModelFileException(source, $"{tensor}: \"dtype\" is {Describe(reader.TokenType)}; expected a string such as \"F32\"");
                    dtypeText = reader.GetString()!;
                    break;
                case "shape":
                    if (shape != null) throw Duplicate();
                    shape = ReadNaturalNumbers(ref reader, tensor, "shape", source);
                    break;
                case "data_offsets":
                    if (offsets != null) throw Duplicate();
                    offsets = ReadNaturalNumbers(ref reader, tensor, "data_offsets", source);
                    if (offsets.Count != 2)
                        throw new ModelFileException(source, $"{tensor}: \"data_offsets\" has {offsets.Count} numbers; expected 2 (begin, end)");
                    break;
                default:
                    throw new ModelFileException(source, $"{tensor} has an unknown field {Quote(field)}; expected \"dtype\", \"shape\" and \"data_offsets\"");
            }

            ModelFileException Duplicate() => new(source, $"{tensor} has the field \"{field}\" twice");
        }
        if (dtypeText == null) throw Missing("dtype");
        if (shape == null) throw Missing("shape");
        if (offsets == null) throw Missing("data_offsets");

        if (!SafetensorsDTypeInfo.TryParseHeaderName(dtypeText, out SafetensorsDType dtype))
            throw new ModelFileException(source, $"{tensor} has the unknown or unsupported dtype {Quote(dtypeText)}; supported: {SafetensorsDTypeInfo.SupportedHeaderNames}");

        var dims = new long[shape.Count];
        bool empty = false;
        for (int i = 0; i < dims.Length; i++)
        {
            if (shape[i] > long.MaxValue)
                throw new ModelFileException(source, $"{tensor}: dimension {i} of \"shape\" is {shape[i]}, more than a 64-bit signed integer can hold");
            dims[i] = (long)shape[i];
            empty |= dims[i] == 0;
        }
        string shapeText = SafetensorsTensor.FormatShape(dims);
        ulong count = 1;
        if (empty) count = 0;
        else
        {
            foreach (long dim in dims)
            {
                if (count > long.MaxValue / (ulong)dim)
                    throw new ModelFileException(source, $"{tensor}: shape {shapeText} has more elements than a 64-bit count can hold");
                count *= (ulong)dim;
            }
        }

        ulong begin = offsets[0], end = offsets[1];
        string range = $"[{begin}, {end}]";
        if (end < begin)
            throw new ModelFileException(source, $"{tensor}: \"data_offsets\" {range} end before they begin");
        if (end > (ulong)dataLength)
            throw new ModelFileException(source, $"{tensor}: \"data_offsets\" {range} reach past the end of the data section, which is {dataLength} bytes long");
        int size = dtype.ElementSize();
        if (count > (ulong)dataLength / (ulong)size || count * (ulong)size != end - begin)
        {
            string needed = count > ulong.MaxValue / (ulong)size ? "more than 2^64" : (count * (ulong)size).ToString();
            throw new ModelFileException(source, $"{tensor}: shape {shapeText} of {dtypeText} needs {needed} bytes, but \"data_offsets\" {range} hold {end - begin}");
        }
        return new SafetensorsEntry(name, dtype, dims, (long)count, (long)begin, (long)end);

        ModelFileException Missing(string field) =>
            new(source, $"{tensor} has no \"{field}\"; expected \"dtype\", \"shape\" and \"data_offsets\"");
    }

    /// <summary>Reads an array of whole numbers in 0 … 2^64 − 1 (JSON integers without sign, fraction or exponent).</summary>
    private static List<ulong> ReadNaturalNumbers(ref Utf8JsonReader reader, string tensor, string field, string source)
    {
        Next(ref reader, source);
        if (reader.TokenType != JsonTokenType.StartArray)
            throw new ModelFileException(source, $"{tensor}: \"{field}\" is {Describe(reader.TokenType)}; expected an array of whole numbers");
        var numbers = new List<ulong>();
        while (true)
        {
            Next(ref reader, source);
            if (reader.TokenType == JsonTokenType.EndArray) return numbers;
            if (reader.TokenType != JsonTokenType.Number)
                throw new ModelFileException(source, $"{tensor}: \"{field}\" holds {Describe(reader.TokenType)}; expected whole numbers");
            if (!reader.TryGetUInt64(out ulong value))
            {
                string text = Encoding.UTF8.GetString(reader.ValueSpan[..Math.Min(reader.ValueSpan.Length, 40)]);
                string why = text.StartsWith('-') ? "is negative" : "is not a whole number from 0 to 2^64 - 1";
                throw new ModelFileException(source, $"{tensor}: \"{field}\" element {numbers.Count} ({text}) {why}");
            }
            numbers.Add(value);
        }
    }

    /// <summary>The spec requires the tensors to index every byte of the data section once: no overlap, no hole, nothing after.</summary>
    private static void CheckCoverage(List<SafetensorsEntry> tensors, long dataLength, string source)
    {
        var byOffset = tensors.ToArray();
        Array.Sort(byOffset, static (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long covered = 0;
        SafetensorsEntry? previous = null;
        foreach (SafetensorsEntry entry in byOffset)
        {
            if (entry.Begin > covered)
                throw new ModelFileException(source, $"bytes {covered} to {entry.Begin} of the data section belong to no tensor (a hole before tensor {Quote(entry.Name)}); the format requires the tensors to cover the data without gaps");
            if (entry.Begin < covered)
                throw new ModelFileException(source, $"tensor {Quote(entry.Name)} (bytes {entry.Begin} to {entry.End}) overlaps tensor {Quote(previous!.Value.Name)} (bytes {previous.Value.Begin} to {previous.Value.End})");
            covered = entry.End;
            previous = entry;
        }
        if (covered != dataLength)
            throw new ModelFileException(source, $"the data section is {dataLength} bytes long but the tensors cover only the first {covered}; {dataLength - covered} trailing bytes belong to no tensor");
    }

    private static void Next(ref Utf8JsonReader reader, string source)
    {
        if (!reader.Read())
            throw new ModelFileException(source, "the header's JSON ends before its object is closed");
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    /// <summary>A name from the file, quoted and cut short so that a hostile 100 MB name cannot flood a message.</summary>
    internal static string Quote(string text) =>
        text.Length <= MaxQuotedLength ? $"'{text}'" : $"'{text[..MaxQuotedLength]}…' ({text.Length} characters)";

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        int offset = 0;
        while (offset < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[offset..], out _, out int consumed) != System.Buffers.OperationStatus.Done) return offset;
            offset += consumed;
        }
        return offset;
    }
}
