using System;
using System.Buffers.Binary;
using ModelGen.Serialization;
using Xunit;

namespace ModelGen.Tests.Serialization;

public class SafetensorsConversionTests
{
    private static byte[] AllSixteenBitPatterns()
    {
        var bytes = new byte[65536 * 2];
        for (int bits = 0; bits < 65536; bits++) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * bits), (ushort)bits);
        return bytes;
    }

    /// <summary>IEEE 754 binary16 decoded from its definition: (−1)^s × 1.m × 2^(e−15), subnormals 0.m × 2^−14.</summary>
    private static double HalfFromDefinition(int bits)
    {
        int sign = bits >> 15, exponent = (bits >> 10) & 31, mantissa = bits & 1023;
        double magnitude = exponent switch
        {
            0 => Math.ScaleB(mantissa, -24),
            31 => mantissa == 0 ? double.PositiveInfinity : double.NaN,
            _ => Math.ScaleB(1024 + mantissa, exponent - 25),
        };
        return sign == 1 ? -magnitude : magnitude;
    }

    [Fact]
    public void EveryHalfValueConvertsExactly()
    {
        var tensor = SafetensorsTensor.FromBytes("h", SafetensorsDType.Float16, [65536], AllSixteenBitPatterns());
        float[] values = tensor.ToFloat32();
        int nans = 0;
        for (int bits = 0; bits < 65536; bits++)
        {
            double expected = HalfFromDefinition(bits);
            float actual = values[bits];
            bool negative = (bits & 0x8000) != 0;
            Assert.Equal(negative, float.IsNegative(actual));
            if (double.IsNaN(expected)) { Assert.True(float.IsNaN(actual), $"0x{bits:X4}"); nans++; continue; }
            // Every half is a float32, so the conversion must be exact (bitwise, which also separates +0 from -0).
            Assert.True(BitConverter.SingleToInt32Bits((float)expected) == BitConverter.SingleToInt32Bits(actual),
                $"0x{bits:X4}: expected {expected:R}, got {actual:R}");
            Assert.Equal(BitConverter.SingleToInt32Bits((float)BitConverter.UInt16BitsToHalf((ushort)bits)), BitConverter.SingleToInt32Bits(actual));
        }
        Assert.Equal(2 * 1023, nans);
    }

    [Fact]
    public void EveryBFloat16ValueIsTheUpperHalfOfAFloat32()
    {
        var tensor = SafetensorsTensor.FromBytes("b", SafetensorsDType.BFloat16, [65536], AllSixteenBitPatterns());
        float[] values = tensor.ToFloat32();
        for (int bits = 0; bits < 65536; bits++)
            Assert.Equal(bits << 16, BitConverter.SingleToInt32Bits(values[bits]));
        Assert.Equal(1f, values[0x3F80]);
        Assert.Equal(-2f, values[0xC000]);
        Assert.Equal(float.PositiveInfinity, values[0x7F80]);
    }

    [Fact]
    public void WritingHalfAndBFloat16ReproducesEveryFiniteAndInfiniteValue()
    {
        var halves = new float[65536];
        var brains = new float[65536];
        for (int bits = 0; bits < 65536; bits++)
        {
            halves[bits] = (float)HalfFromDefinition(bits);
            brains[bits] = BitConverter.Int32BitsToSingle(bits << 16);
        }
        byte[] halfBytes = SafetensorsTensor.FromFloat32("h", [65536], halves, SafetensorsDType.Float16).Bytes.ToArray();
        byte[] brainBytes = SafetensorsTensor.FromFloat32("b", [65536], brains, SafetensorsDType.BFloat16).Bytes.ToArray();
        for (int bits = 0; bits < 65536; bits++)
        {
            ushort half = BinaryPrimitives.ReadUInt16LittleEndian(halfBytes.AsSpan(2 * bits));
            ushort brain = BinaryPrimitives.ReadUInt16LittleEndian(brainBytes.AsSpan(2 * bits));
            if (float.IsNaN(halves[bits])) Assert.True((half & 0x7C00) == 0x7C00 && (half & 0x3FF) != 0, $"half NaN 0x{bits:X4} → 0x{half:X4}");
            else Assert.Equal(bits, half);
            if (float.IsNaN(brains[bits])) Assert.True((brain & 0x7F80) == 0x7F80 && (brain & 0x7F) != 0 && (brain & 0x8000) == (bits & 0x8000), $"bf16 NaN 0x{bits:X4} → 0x{brain:X4}");
            else Assert.Equal(bits, brain);
        }
    }

    [Theory]
    [InlineData(1f, 0x3F80)]
    [InlineData(1f + 1f / 256, 0x3F80)]                   // halfway between 1 and 1 + 2^-7: ties to even (down)
    [InlineData(1f + 3f / 256, 0x3F82)]                   // halfway, odd neighbour below: ties to even (up)
    [InlineData(1f + 1f / 256 + 1f / 1048576, 0x3F81)]    // just above halfway: up
    [InlineData(float.MaxValue, 0x7F80)]                  // beyond the largest bfloat16 + half an ulp: infinity
    [InlineData(-float.MaxValue, 0xFF80)]
    [InlineData(float.Epsilon, 0x0000)]                   // the smallest subnormal rounds to +0
    [InlineData(-0f, 0x8000)]
    [InlineData(float.NegativeInfinity, 0xFF80)]
    public void BFloat16RoundsToNearestEven(float value, int expectedBits)
    {
        byte[] bytes = SafetensorsTensor.FromFloat32("b", [], [value], SafetensorsDType.BFloat16).Bytes.ToArray();
        Assert.Equal(expectedBits, BinaryPrimitives.ReadUInt16LittleEndian(bytes));
    }

    [Fact]
    public void BFloat16KeepsNaNsAsQuietNaNsWithTheirSign()
    {
        foreach (int nanBits in new[] { 0x7F800001, unchecked((int)0xFF800001), 0x7FC00000, 0x7FFFFFFF })
        {
            float nan = BitConverter.Int32BitsToSingle(nanBits);
            ushort bits = BinaryPrimitives.ReadUInt16LittleEndian(SafetensorsTensor.FromFloat32("b", [], [nan], SafetensorsDType.BFloat16).Bytes.Span);
            Assert.True(float.IsNaN(BitConverter.Int32BitsToSingle(bits << 16)), $"0x{nanBits:X8} → 0x{bits:X4}");
            Assert.Equal(nanBits < 0, (bits & 0x8000) != 0);
        }
    }

    [Theory]
    [InlineData(1f + 1f / 2048, 0x3C00)]           // tie → even (1.0)
    [InlineData(1f + 3f / 2048, 0x3C02)]           // tie → even (up)
    [InlineData(65519f, 0x7BFF)]                   // below the rounding boundary of the largest half
    [InlineData(65520f, 0x7C00)]                   // at it: infinity
    [InlineData(2.98023224e-08f, 0x0000)]          // 2^-25, half the smallest subnormal: ties to +0
    [InlineData(2.98023259e-08f, 0x0001)]          // just above: the smallest subnormal
    public void HalfRoundsToNearestEven(float value, int expectedBits)
    {
        byte[] bytes = SafetensorsTensor.FromFloat32("h", [], [value], SafetensorsDType.Float16).Bytes.ToArray();
        Assert.Equal(expectedBits, BinaryPrimitives.ReadUInt16LittleEndian(bytes));
    }

    [Fact]
    public void Float64RoundsToNearestFloat32()
    {
        var bytes = new byte[5 * 8];
        double[] values = [0.1, 1e300, -1e-50, 1 + Math.ScaleB(1, -24), 1 + Math.ScaleB(1, -24) + Math.ScaleB(1, -40)];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(8 * i), values[i]);
        float[] converted = SafetensorsTensor.FromBytes("d", SafetensorsDType.Float64, [5], bytes).ToFloat32();
        Assert.Equal(0.1f, converted[0]);
        Assert.Equal(float.PositiveInfinity, converted[1]);
        Assert.True(converted[2] == 0 && float.IsNegative(converted[2]));
        Assert.Equal(1f, converted[3]);                                   // tie → even
        Assert.Equal(1f + MathF.ScaleB(1, -23), converted[4]);            // above the tie → up
    }

    [Fact]
    public void IntegerTypesWidenToInt64()
    {
        Assert.Equal([-128L, 127L, -1L], SafetensorsTensor.FromBytes("i8", SafetensorsDType.Int8, [3], [0x80, 0x7F, 0xFF]).ToInt64());
        Assert.Equal([255L, 0L], SafetensorsTensor.FromBytes("u8", SafetensorsDType.UInt8, [2], [0xFF, 0]).ToInt64());
        Assert.Equal([-32768L, 65535L], new[]
        {
            SafetensorsTensor.FromBytes("i16", SafetensorsDType.Int16, [], [0x00, 0x80]).ToInt64()[0],
            SafetensorsTensor.FromBytes("u16", SafetensorsDType.UInt16, [], [0xFF, 0xFF]).ToInt64()[0],
        });
        Assert.Equal([(long)uint.MaxValue], SafetensorsTensor.FromBytes("u32", SafetensorsDType.UInt32, [1], [0xFF, 0xFF, 0xFF, 0xFF]).ToInt64());
        Assert.Equal([int.MinValue], SafetensorsTensor.FromBytes("i32", SafetensorsDType.Int32, [1], SafetensorsRoundTripTests.Int32Bytes(int.MinValue)).ToInt64());
        Assert.Equal([long.MaxValue], SafetensorsTensor.FromBytes("u64", SafetensorsDType.UInt64, [1], BitConverter.GetBytes((ulong)long.MaxValue)).ToInt64());

        var tooLarge = Assert.Throws<ModelFileException>(() =>
            SafetensorsTensor.FromBytes("u64", SafetensorsDType.UInt64, [2], [.. BitConverter.GetBytes(1UL), .. BitConverter.GetBytes(ulong.MaxValue)]).ToInt64());
        Assert.Contains("tensor 'u64' (U64) holds 18446744073709551615 at element 1", tooLarge.Message);
    }

    [Fact]
    public void EightBitFloatsAreKeptAsBytesButNotConverted()
    {
        var tensor = SafetensorsTensor.FromBytes("f8", SafetensorsDType.Float8E4M3, [2], [0x38, 0xB8]);
        var file = SafetensorsFile.Read(SafetensorsFile.ToBytes([tensor]), "f8 file");
        Assert.Equal(SafetensorsDType.Float8E4M3, file["f8"].DType);
        Assert.Equal([0x38, 0xB8], file["f8"].Bytes.ToArray());
        var error = Assert.Throws<ModelFileException>(() => file["f8"].ToFloat32());
        Assert.Contains("has dtype F8_E4M3; expected a floating-point dtype (F32, F16, BF16 or F64)", error.Message);
    }

    [Fact]
    public void HeaderNamesRoundTrip()
    {
        foreach (SafetensorsDType dtype in Enum.GetValues<SafetensorsDType>())
        {
            Assert.True(SafetensorsDTypeInfo.TryParseHeaderName(dtype.HeaderName(), out var parsed));
            Assert.Equal(dtype, parsed);
        }
        Assert.False(SafetensorsDTypeInfo.TryParseHeaderName("f32", out _)); // case matters
        Assert.Equal(2, SafetensorsDType.BFloat16.ElementSize());
        Assert.Equal(8, SafetensorsDType.UInt64.ElementSize());
    }
}
