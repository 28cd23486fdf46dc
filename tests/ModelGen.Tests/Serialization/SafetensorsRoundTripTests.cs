using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using ModelGen.Serialization;
using Xunit;

namespace ModelGen.Tests.Serialization;

public class SafetensorsRoundTripTests
{
    private static string FixturePath => Path.Combine(AppContext.BaseDirectory, "Serialization", "Fixtures", "reference.safetensors");

    /// <summary>The tensors make_reference_file.py writes, in its order, built with the public factories.</summary>
    private static SafetensorsTensor[] ReferenceTensors() =>
    [
        SafetensorsTensor.FromFloat32("layer.weight", [2, 3], [0.5f, -1.25f, 3f, 1024f, -0f, 0.15625f]),
        SafetensorsTensor.FromFloat32("layer.bias", [3], [1f, 2f, -4f]),
        SafetensorsTensor.FromFloat32("half", [4], [1f, -2.5f, 65504f, MathF.ScaleB(1f, -14)], SafetensorsDType.Float16),
        SafetensorsTensor.FromInt64("norm.num_batches_tracked", [], [7]),
        SafetensorsTensor.FromFloat32("brain", [2, 2], [1f, -3.5f, 256f, 0.0078125f], SafetensorsDType.BFloat16),
        SafetensorsTensor.FromFloat32("double", [2], [MathF.ScaleB(1f, 100), -0.375f], SafetensorsDType.Float64),
        SafetensorsTensor.FromFloat32("empty", [0, 4], []),
        SafetensorsTensor.FromBytes("ids", SafetensorsDType.Int32, [3], Int32Bytes(-1, 0, int.MaxValue)),
    ];

    private static readonly KeyValuePair<string, string>[] ReferenceMetadata =
        [new("producer", "make_reference_file.py"), new("format", "pt")];

    [Fact]
    public void WriterReproducesTheFileThePythonScriptWroteFromTheSpec()
    {
        byte[] expected = File.ReadAllBytes(FixturePath);
        byte[] written = SafetensorsFile.ToBytes(ReferenceTensors(), ReferenceMetadata);
        Assert.Equal(expected.Length, written.Length);
        Assert.Equal(expected, written);
    }

    [Fact]
    public void ReaderReadsThePythonWrittenFile()
    {
        var file = SafetensorsFile.Read(FixturePath);
        Assert.Equal(FixturePath, file.Source);
        Assert.Equal(["layer.weight", "layer.bias", "half", "norm.num_batches_tracked", "brain", "double", "empty", "ids"],
            file.Tensors.Select(t => t.Name));
        Assert.Equal(new Dictionary<string, string> { ["format"] = "pt", ["producer"] = "make_reference_file.py" }, file.Metadata);

        Assert.Equal(SafetensorsDType.Float32, file["layer.weight"].DType);
        Assert.Equal([2L, 3L], file["layer.weight"].Shape);
        Assert.Equal([0.5f, -1.25f, 3f, 1024f, -0f, 0.15625f], file["layer.weight"].ToFloat32());
        Assert.True(float.IsNegative(file["layer.weight"].ToFloat32()[4])); // -0 keeps its sign
        Assert.Equal([1f, -2.5f, 65504f, 6.103515625e-05f], file["half"].ToFloat32());
        Assert.Equal([1f, -3.5f, 256f, 0.0078125f], file["brain"].ToFloat32());
        Assert.Equal([MathF.ScaleB(1f, 100), -0.375f], file["double"].ToFloat32());
        var count = file["norm.num_batches_tracked"];
        Assert.Equal(SafetensorsDType.Int64, count.DType);
        Assert.Empty(count.Shape);
        Assert.Equal(1, count.ElementCount);
        Assert.Equal([7L], count.ToInt64());
        Assert.Equal([0L, 4L], file["empty"].Shape);
        Assert.Equal(0, file["empty"].ElementCount);
        Assert.Empty(file["empty"].ToFloat32());
        Assert.Equal([-1L, 0L, int.MaxValue], file["ids"].ToInt64());
    }

    [Fact]
    public void HandWrittenHeaderFromTheSpecIsWrittenByteForByte()
    {
        // One F32 tensor [2] and one I64 scalar. The I64 comes first in the data (8-byte types first); the header
        // keeps the given order and is padded with spaces to a multiple of 8.
        string json = "{\"__metadata__\":{\"a\":\"1\",\"b\":\"x\\\"y\"},"
            + "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
            + "\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}}";
        int padded = (json.Length + 7) / 8 * 8;
        var expected = new List<byte>();
        expected.AddRange(BitConverter.GetBytes((ulong)padded));
        expected.AddRange(Encoding.UTF8.GetBytes(json.PadRight(padded)));
        expected.AddRange(BitConverter.GetBytes(-5L));
        expected.AddRange(BitConverter.GetBytes(1.5f));
        expected.AddRange(BitConverter.GetBytes(-2f));

        byte[] written = SafetensorsFile.ToBytes(
            [SafetensorsTensor.FromFloat32("w", [2], [1.5f, -2f]), SafetensorsTensor.FromInt64("n", [], [-5])],
            [new("b", "x\"y"), new("a", "1")]);

        Assert.Equal(0, padded % 8);
        Assert.Equal(expected.ToArray(), written);
    }

    [Fact]
    public void RoundTripThroughFileStreamAndSpanGivesTheSameTensors()
    {
        var tensors = new[]
        {
            SafetensorsTensor.FromFloat32("scalar", [], [3.25f]),
            SafetensorsTensor.FromFloat32("matrix", [3, 2], [1, 2, 3, 4, 5, 6]),
            SafetensorsTensor.FromFloat32("empty.middle", [2, 0, 3], []),
            SafetensorsTensor.FromFloat32("odd.f16", [3], [0.5f, 1f, 2f], SafetensorsDType.Float16),
            SafetensorsTensor.FromInt64("count", [], [long.MinValue]),
            SafetensorsTensor.FromBytes("flags", SafetensorsDType.Bool, [3], [1, 0, 1]),
            SafetensorsTensor.FromFloat32("unicode.näme ✓", [1], [9f]),
            SafetensorsTensor.FromFloat32("", [1], [-1f]),
        };
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode \"quoted\"\n" };
        byte[] bytes = SafetensorsFile.ToBytes(tensors, metadata);

        string path = Path.Combine(Directory.CreateTempSubdirectory("modelgen-st-").FullName, "m.safetensors");
        try
        {
            SafetensorsFile.Write(path, tensors, metadata);
            Assert.Equal(bytes, File.ReadAllBytes(path));
            var fromFile = SafetensorsFile.Read(path);
            var fromSpan = SafetensorsFile.Read(bytes, "memory");
            using var nonSeekable = new OneWayStream(bytes);
            var fromStream = SafetensorsFile.Read(nonSeekable, "stream");
            using var memory = new MemoryStream(bytes);
            var fromMemory = SafetensorsFile.Read(memory, "memory stream");

            foreach (var file in new[] { fromFile, fromSpan, fromStream, fromMemory })
            {
                Assert.Equal(tensors.Select(t => t.Name), file.Tensors.Select(t => t.Name));
                foreach (var original in tensors)
                {
                    var read = file[original.Name];
                    Assert.Equal(original.DType, read.DType);
                    Assert.Equal(original.Shape, read.Shape);
                    Assert.Equal(original.Bytes.ToArray(), read.Bytes.ToArray());
                }
                Assert.Equal(metadata, file.Metadata);
            }
            Assert.Equal([3.25f], fromFile["scalar"].ToFloat32());
            Assert.Equal([long.MinValue], fromFile["count"].ToInt64());
            Assert.Equal([1L, 0L, 1L], fromFile["flags"].ToInt64());
            Assert.Equal([9f], fromFile["unicode.näme ✓"].ToFloat32());
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public void EveryTensorIsAlignedToItsElementSize()
    {
        var tensors = new[]
        {
            SafetensorsTensor.FromBytes("u8", SafetensorsDType.UInt8, [3], [1, 2, 3]),
            SafetensorsTensor.FromFloat32("h", [3], [1, 2, 3], SafetensorsDType.Float16),
            SafetensorsTensor.FromFloat32("f", [3], [1, 2, 3]),
            SafetensorsTensor.FromInt64("i", [1], [4]),
            SafetensorsTensor.FromFloat32("d", [1], [5], SafetensorsDType.Float64),
        };
        byte[] bytes = SafetensorsFile.ToBytes(tensors);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        Assert.Equal(0, headerLength % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        // Data order: 8-byte types in given order (i, d), then f, then h, then u8.
        Assert.Contains("\"i\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}", header);
        Assert.Contains("\"d\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]}", header);
        Assert.Contains("\"f\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[16,28]}", header);
        Assert.Contains("\"h\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[28,34]}", header);
        Assert.Contains("\"u8\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[34,37]}", header);
        // Header order is the given order.
        Assert.True(header.IndexOf("\"u8\"", StringComparison.Ordinal) < header.IndexOf("\"h\"", StringComparison.Ordinal));
        Assert.True(header.IndexOf("\"h\"", StringComparison.Ordinal) < header.IndexOf("\"d\"", StringComparison.Ordinal));
        var file = SafetensorsFile.Read(bytes, "memory");
        Assert.Equal([5f], file["d"].ToFloat32());
    }

    [Fact]
    public void OutputIsDeterministicAndMetadataIsSortedByKey()
    {
        var tensors = ReferenceTensors();
        byte[] first = SafetensorsFile.ToBytes(tensors, [new("z", "1"), new("a", "2"), new("m", "3")]);
        byte[] second = SafetensorsFile.ToBytes(tensors, [new("m", "3"), new("z", "1"), new("a", "2")]);
        Assert.Equal(first, second);
        Assert.Equal(["a", "m", "z"], SafetensorsFile.Read(first, "x").Metadata.Keys);
        Assert.DoesNotContain(SafetensorsFile.MetadataKey, Encoding.UTF8.GetString(SafetensorsFile.ToBytes(tensors)));
    }

    [Fact]
    public void WriterRefusesBadArguments()
    {
        var a = SafetensorsTensor.FromFloat32("a", [1], [1f]);
        Assert.Contains("Two tensors are named 'a'", Assert.Throws<ArgumentException>(() => SafetensorsFile.ToBytes([a, a])).Message);
        Assert.Contains("given twice", Assert.Throws<ArgumentException>(() => SafetensorsFile.ToBytes([a], [new("k", "1"), new("k", "2")])).Message);
        Assert.Contains("metadata key", Assert.Throws<ArgumentException>(() => SafetensorsTensor.FromFloat32("__metadata__", [1], [1f])).Message);
        Assert.Contains("holds 6 elements; 5 were given", Assert.Throws<ArgumentException>(() => SafetensorsTensor.FromFloat32("x", [2, 3], new float[5])).Message);
        Assert.Contains("negative dimension", Assert.Throws<ArgumentException>(() => SafetensorsTensor.FromInt64("x", [-1], [])).Message);
        Assert.Contains("not a whole number of F32 elements", Assert.Throws<ArgumentException>(() => SafetensorsTensor.FromBytes("x", SafetensorsDType.Float32, [1], new byte[5])).Message);
        Assert.Contains("stored as F32, F64, F16 or BF16", Assert.Throws<ArgumentException>(() => SafetensorsTensor.FromFloat32("x", [1], [1f], SafetensorsDType.Int32)).Message);
    }

    [Fact]
    public void MissingTensorAndWrongDTypeAreModelFileErrorsNamingFileAndTensor()
    {
        var file = SafetensorsFile.Read(File.ReadAllBytes(FixturePath), "weights.safetensors");
        var missing = Assert.Throws<ModelFileException>(() => file["nope"]);
        Assert.Equal("'weights.safetensors': there is no tensor 'nope' (the file has 8)", missing.Message);
        Assert.False(file.TryGetTensor("nope", out _));

        var notFloat = Assert.Throws<ModelFileException>(() => file["norm.num_batches_tracked"].ToFloat32());
        Assert.Equal("weights.safetensors", notFloat.FilePath);
        Assert.Contains("tensor 'norm.num_batches_tracked' has dtype I64; expected a floating-point dtype", notFloat.Message);
        var notInt = Assert.Throws<ModelFileException>(() => file["half"].ToInt64());
        Assert.Contains("tensor 'half' has dtype F16; expected an integer dtype", notInt.Message);
        Assert.Throws<ArgumentException>(() => file["layer.bias"].CopyToFloat32(new float[2]));
    }

    [Fact]
    public void CopyToFloat32FillsASliceOfALargerBuffer()
    {
        var file = SafetensorsFile.Read(FixturePath);
        var buffer = new float[12];
        file["layer.weight"].CopyToFloat32(buffer.AsSpan(2, 6));
        file["brain"].CopyToFloat32(buffer.AsSpan(8, 4));
        Assert.Equal([0f, 0f, 0.5f, -1.25f, 3f, 1024f, -0f, 0.15625f, 1f, -3.5f, 256f, 0.0078125f], buffer);
    }

    internal static byte[] Int32Bytes(params int[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4 * i), values[i]);
        return bytes;
    }

    /// <summary>A stream that can only be read forward, like a network stream.</summary>
    private sealed class OneWayStream(byte[] bytes) : Stream
    {
        private int _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(Math.Min(count, 7), bytes.Length - _position); // short reads on purpose
            Array.Copy(bytes, _position, buffer, offset, n);
            _position += n;
            return n;
        }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
