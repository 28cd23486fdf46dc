using System;
using System.Buffers.Binary;
using System.IO;
using System.Text;
using ModelGen.Serialization;
using Xunit;

namespace ModelGen.Tests.Serialization;

/// <summary>Every way a header can lie, each checked for a <see cref="ModelFileException"/> that names the input and the problem.</summary>
public class SafetensorsMalformedTests
{
    private const string Source = "weights.safetensors";

    /// <summary>A file with <paramref name="header"/> (padded to a multiple of 8 unless told otherwise) and <paramref name="dataLength"/> data bytes.</summary>
    internal static byte[] Build(string header, int dataLength, bool pad = true, ulong? declaredLength = null)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        if (pad) json = [.. json, .. Encoding.ASCII.GetBytes(new string(' ', -json.Length & 7))];
        var file = new byte[8 + json.Length + dataLength];
        BinaryPrimitives.WriteUInt64LittleEndian(file, declaredLength ?? (ulong)json.Length);
        json.CopyTo(file, 8);
        for (int i = 0; i < dataLength; i++) file[8 + json.Length + i] = (byte)(i * 37 + 1);
        return file;
    }

    private static string Tensor(string name, string dtype, string shape, ulong begin, ulong end) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":[{begin},{end}]}}";

    private static ModelFileException Fails(byte[] file, string fragment)
    {
        var error = Assert.Throws<ModelFileException>(() => SafetensorsFile.Read(file, Source));
        Assert.Equal(Source, error.FilePath);
        Assert.StartsWith($"'{Source}': ", error.Message);
        Assert.Contains(fragment, error.Message);
        return error;
    }

    private static ModelFileException Fails(string header, int dataLength, string fragment) => Fails(Build(header, dataLength), fragment);

    [Fact]
    public void ValidBaselineParses()
    {
        // The same builder as the failing cases, so each failure below is due to its one change.
        var file = SafetensorsFile.Read(Build("{" + Tensor("a", "F32", "[2]", 0, 8) + "," + Tensor("b", "I64", "[]", 8, 16) + "}", 16), Source);
        Assert.Equal(2, file.Tensors.Count);
        Assert.Equal(SafetensorsDType.Int64, file["b"].DType);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void InputShorterThanTheLengthPrefix(int length) =>
        Fails(new byte[length], $"the input is {length} bytes long; a safetensors file starts with an 8-byte header length");

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    public void HeaderLengthBelowTwo(ulong declared) =>
        Fails(Build("{}", 0, declaredLength: declared), $"the header length is {declared}; a header is at least 2 bytes");

    [Theory]
    [InlineData(100_000_001UL)]
    [InlineData(ulong.MaxValue)]
    [InlineData(1UL << 63)]
    public void HeaderLengthOverTheLimit(ulong declared) =>
        Fails(Build("{}", 0, declaredLength: declared), $"the header length is {declared} bytes, more than the limit of 100000000 bytes");

    [Fact]
    public void HeaderLengthPastTheEnd() =>
        Fails(Build("{}", 0, pad: false, declaredLength: 3), "the header length is 3 bytes, but only 2 bytes follow the 8-byte length");

    [Theory]
    [InlineData("[]      ", "starts with byte 0x5B")]
    [InlineData(" {}     ", "starts with byte 0x20")]
    [InlineData("\uFEFF{}   ", "starts with byte 0xEF")]
    public void HeaderNotStartingWithABrace(string header, string fragment) =>
        Fails(Build(header, 0, pad: false), fragment + "; a safetensors header is a JSON object starting with '{'");

    [Fact]
    public void HeaderNotUtf8()
    {
        byte[] file = Build("{\"a\u00e9\":1}", 0);
        int bad = Array.IndexOf(file, (byte)0xC3);
        file[bad] = 0xFF;
        Fails(file, $"the header is not valid UTF-8 (first bad byte at offset {bad - 8} of the header)");
    }

    [Theory]
    [InlineData("{\"a\":", "the header is not valid JSON")]
    [InlineData("{\"a\" 1}", "the header is not valid JSON")]
    [InlineData("{\"__metadata__\":{},}", "the header is not valid JSON")] // trailing comma
    [InlineData("{/*c*/}", "the header is not valid JSON")]              // comments
    [InlineData("{'a':{}}", "the header is not valid JSON")]             // single quotes
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[NaN]", "the header is not valid JSON")]
    public void MalformedJson(string header, string fragment) => Fails(header, 0, fragment);

    [Fact]
    public void TextAfterTheHeaderObject()
    {
        Fails(Build("{}x", 0, pad: false), "the header has byte 0x78 at offset 2 after its JSON object; only space padding may follow it");
        Fails(Build("{}{}", 0, pad: false), "at offset 2 after its JSON object");
        Fails(Build("{}\0\0", 0, pad: false), "the header has byte 0x00 at offset 2");
        Assert.Empty(SafetensorsFile.Read(Build("{} \t\r\n", 0, pad: false), Source).Tensors); // JSON whitespace is padding
    }

    [Theory]
    [InlineData("5", "is a number")]
    [InlineData("\"F32\"", "is a string")]
    [InlineData("[0,4]", "is an array")]
    [InlineData("null", "is null")]
    public void TensorEntryNotAnObject(string value, string fragment) =>
        Fails("{\"w\":" + value + "}", 0, $"tensor 'w' {fragment}; expected an object with \"dtype\", \"shape\" and \"data_offsets\"");

    [Theory]
    [InlineData("F33")]
    [InlineData("f32")]
    [InlineData("F4")]
    [InlineData("")]
    public void UnknownDType(string dtype) =>
        Fails("{" + Tensor("w", dtype, "[1]", 0, 4) + "}", 4, $"tensor 'w' has the unknown or unsupported dtype '{dtype}'; supported: BOOL, U8, I8");

    [Fact]
    public void DTypeNotAString() =>
        Fails("{\"w\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "tensor 'w': \"dtype\" is a number; expected a string such as \"F32\"");

    [Theory]
    [InlineData("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", "tensor 'w' has no \"dtype\"")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", "tensor 'w' has no \"shape\"")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", "tensor 'w' has no \"data_offsets\"")]
    [InlineData("{\"w\":{}}", "tensor 'w' has no \"dtype\"")]
    public void MissingField(string header, string fragment) => Fails(header, 4, fragment);

    [Fact]
    public void UnknownField() =>
        Fails("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"stride\":[1]}}", 4, "tensor 'w' has an unknown field 'stride'");

    [Theory]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "dtype")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"shape\":[1],\"data_offsets\":[0,4]}}", "shape")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"data_offsets\":[0,4]}}", "data_offsets")]
    public void DuplicateField(string header, string field) => Fails(header, 4, $"tensor 'w' has the field \"{field}\" twice");

    [Theory]
    [InlineData("[-1]", "\"shape\" element 0 (-1) is negative")]
    [InlineData("[2,-0]", "\"shape\" element 1 (-0) is negative")]
    [InlineData("[1.5]", "\"shape\" element 0 (1.5) is not a whole number")]
    [InlineData("[1e2]", "\"shape\" element 0 (1e2) is not a whole number")]
    [InlineData("[1.0]", "\"shape\" element 0 (1.0) is not a whole number")]
    [InlineData("[18446744073709551616]", "\"shape\" element 0 (18446744073709551616) is not a whole number from 0 to 2^64 - 1")]
    [InlineData("[9223372036854775808]", "dimension 0 of \"shape\" is 9223372036854775808, more than a 64-bit signed integer can hold")]
    [InlineData("[4294967296,4294967296]", "shape [4294967296, 4294967296] has more elements than a 64-bit count can hold")]
    [InlineData("[\"1\"]", "\"shape\" holds a string; expected whole numbers")]
    [InlineData("[[1]]", "\"shape\" holds an array; expected whole numbers")]
    [InlineData("1", "\"shape\" is a number; expected an array of whole numbers")]
    [InlineData("{}", "\"shape\" is an object; expected an array of whole numbers")]
    public void BadShape(string shape, string fragment) =>
        Fails("{" + Tensor("w", "F32", shape, 0, 4) + "}", 4, "tensor 'w': " + fragment);

    [Fact]
    public void ShapeDisagreesWithByteRange()
    {
        Fails("{" + Tensor("w", "F32", "[2,3]", 0, 20) + "}", 20, "tensor 'w': shape [2, 3] of F32 needs 24 bytes, but \"data_offsets\" [0, 20] hold 20");
        Fails("{" + Tensor("w", "F16", "[]", 0, 4) + "}", 4, "tensor 'w': shape [] of F16 needs 2 bytes, but \"data_offsets\" [0, 4] hold 4");
        Fails("{" + Tensor("w", "F32", "[0]", 0, 4) + "}", 4, "shape [0] of F32 needs 0 bytes");
        // A count whose byte size overflows 64 bits is reported, not wrapped around to a small number.
        Fails("{" + Tensor("w", "I64", "[2305843009213693952]", 0, 0) + "}", 0, "needs more than 2^64 bytes");
        Fails("{" + Tensor("w", "F32", "[1073741824,4]", 0, 16) + "}", 16, "needs 17179869184 bytes");
    }

    [Theory]
    [InlineData("[0]", "\"data_offsets\" has 1 numbers; expected 2 (begin, end)")]
    [InlineData("[0,4,8]", "\"data_offsets\" has 3 numbers; expected 2 (begin, end)")]
    [InlineData("[]", "\"data_offsets\" has 0 numbers; expected 2")]
    [InlineData("[-4,0]", "\"data_offsets\" element 0 (-4) is negative")]
    [InlineData("[0,4.0]", "\"data_offsets\" element 1 (4.0) is not a whole number")]
    [InlineData("\"0-4\"", "\"data_offsets\" is a string")]
    public void BadOffsets(string offsets, string fragment) =>
        Fails("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":" + offsets + "}}", 4, "tensor 'w': " + fragment);

    [Fact]
    public void OffsetsBackwardsOrOutOfRange()
    {
        Fails("{" + Tensor("w", "F32", "[1]", 4, 0) + "}", 4, "tensor 'w': \"data_offsets\" [4, 0] end before they begin");
        Fails("{" + Tensor("w", "F32", "[1]", 4, 8) + "}", 4, "tensor 'w': \"data_offsets\" [4, 8] reach past the end of the data section, which is 4 bytes long");
        Fails("{" + Tensor("w", "F32", "[1]", 18446744073709551611, 18446744073709551615) + "}", 4, "reach past the end of the data section");
    }

    [Fact]
    public void OverlappingTensors()
    {
        Fails("{" + Tensor("a", "F32", "[2]", 0, 8) + "," + Tensor("b", "F32", "[2]", 4, 12) + "}", 12,
            "tensor 'b' (bytes 4 to 12) overlaps tensor 'a' (bytes 0 to 8)");
        Fails("{" + Tensor("a", "F32", "[2]", 0, 8) + "," + Tensor("b", "F32", "[2]", 0, 8) + "}", 8, "overlaps tensor");
        // An empty tensor inside another tensor's bytes is an overlap too; at a boundary it is fine.
        Fails("{" + Tensor("a", "F32", "[2]", 0, 8) + "," + Tensor("e", "F32", "[0]", 4, 4) + "}", 8, "tensor 'e' (bytes 4 to 4) overlaps tensor 'a'");
        Assert.Equal(2, SafetensorsFile.Read(Build("{" + Tensor("a", "F32", "[2]", 0, 8) + "," + Tensor("e", "F32", "[0]", 8, 8) + "}", 8), Source).Tensors.Count);
    }

    [Fact]
    public void HoleInTheData() =>
        Fails("{" + Tensor("a", "F32", "[1]", 0, 4) + "," + Tensor("b", "F32", "[1]", 8, 12) + "}", 12,
            "bytes 4 to 8 of the data section belong to no tensor (a hole before tensor 'b')");

    [Fact]
    public void TrailingBytesAfterTheLastTensor()
    {
        Fails("{" + Tensor("a", "F32", "[1]", 0, 4) + "}", 5, "the data section is 5 bytes long but the tensors cover only the first 4; 1 trailing bytes belong to no tensor");
        Fails("{}", 3, "the data section is 3 bytes long but the tensors cover only the first 0");
    }

    [Fact]
    public void DuplicateTensorNames()
    {
        Fails("{" + Tensor("a", "F32", "[1]", 0, 4) + "," + Tensor("a", "F32", "[1]", 4, 8) + "}", 8, "tensor 'a' appears twice in the header");
        // The same name spelled with an escape is still the same name.
        Fails("{" + Tensor("a", "F32", "[1]", 0, 4) + "," + Tensor("\\u0061", "F32", "[1]", 4, 8) + "}", 8, "tensor 'a' appears twice in the header");
    }

    [Fact]
    public void BadMetadata()
    {
        Fails("{\"__metadata__\":{\"a\":\"1\"},\"__metadata__\":{}}", 0, "\"__metadata__\" appears twice in the header");
        Fails("{\"__metadata__\":[\"a\"]}", 0, "\"__metadata__\" is an array; expected an object of string values");
        Fails("{\"__metadata__\":\"pt\"}", 0, "\"__metadata__\" is a string; expected an object of string values");
        Fails("{\"__metadata__\":{\"epochs\":30}}", 0, "metadata 'epochs' is a number; metadata values must be strings");
        Fails("{\"__metadata__\":{\"x\":{\"y\":\"z\"}}}", 0, "metadata 'x' is an object; metadata values must be strings");
        Fails("{\"__metadata__\":{\"x\":null}}", 0, "metadata 'x' is null");
        Fails("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0, "metadata 'k' appears twice in the header");
    }

    [Fact]
    public void DeepNestingIsRefusedWithoutRecursion()
    {
        string deep = new string('[', 100_000) + new string(']', 100_000);
        Fails("{\"__metadata__\":{\"x\":" + deep + "}}", 0, "metadata 'x' is an array");
        Fails("{\"w\":{\"dtype\":\"F32\",\"shape\":" + deep + ",\"data_offsets\":[0,0]}}", 0, "\"shape\" holds an array");
    }

    [Fact]
    public void EscapedLoneSurrogateIsAModelFileError()
    {
        var error = Assert.Throws<ModelFileException>(() => SafetensorsFile.Read(Build("{\"\\ud800\":{}}", 0), Source));
        Assert.StartsWith($"'{Source}': ", error.Message);
    }

    [Fact]
    public void HugeNamesAreShortenedInMessages()
    {
        string name = new string('n', 5000);
        var error = Fails("{\"" + name + "\":5}", 0, "tensor 'nnnn");
        Assert.Contains("…' (5000 characters)", error.Message);
        Assert.True(error.Message.Length < 400, error.Message);
    }

    [Fact]
    public void FileReaderReportsShortFilesAndNamesThePath()
    {
        string folder = Directory.CreateTempSubdirectory("modelgen-st-").FullName;
        try
        {
            string path = Path.Combine(folder, "short.safetensors");
            File.WriteAllBytes(path, [1, 2, 3]);
            var error = Assert.Throws<ModelFileException>(() => SafetensorsFile.Read(path));
            Assert.Equal(path, error.FilePath);
            Assert.Contains("the file is 3 bytes long", error.Message);

            File.WriteAllBytes(path, Build("{" + Tensor("a", "F32", "[1]", 0, 4) + "}", 3));
            Assert.Contains("reach past the end of the data section, which is 3 bytes long",
                Assert.Throws<ModelFileException>(() => SafetensorsFile.Read(path)).Message);

            File.WriteAllBytes(path, Build("{}", 0, declaredLength: 1UL << 40));
            Assert.Contains("more than the limit", Assert.Throws<ModelFileException>(() => SafetensorsFile.Read(path)).Message);

            Assert.Throws<FileNotFoundException>(() => SafetensorsFile.Read(Path.Combine(folder, "missing.safetensors")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
