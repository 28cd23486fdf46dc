using System;
using System.Runtime.Intrinsics;
using ModelGen.Cpu;
using Xunit;

namespace ModelGen.Tests.Cpu;

/// <summary>The vector exponential against double exp, and the kernels built on it.</summary>
[Collection(SerialCollection.Name)]
public unsafe class VectorExpTests
{
    /// <summary>How many floats lie between a and b (0 when equal; ±0 count as equal).</summary>
    private static long UlpDistance(float a, float b)
    {
        if (a == b) return 0;
        return Math.Abs(Ordered(a) - Ordered(b));
        static long Ordered(float f)
        {
            int bits = BitConverter.SingleToInt32Bits(f);
            return bits < 0 ? -(long)(bits & int.MaxValue) : bits;
        }
    }

    /// <summary>Checks 16 inputs through the 512-bit form (when the hardware has it) and both 256-bit halves.</summary>
    private static long WorstUlp(float[] x, ref float worstInput)
    {
        long worst = 0;
        var lower = Vector256.Create(x, 0);
        var upper = Vector256.Create(x, 8);
        var low = VectorExp.Exp(lower);
        var high = VectorExp.Exp(upper);
        Vector512<float> wide = Vector512.IsHardwareAccelerated ? VectorExp.Exp(Vector512.Create(lower, upper)) : Vector512.Create(low, high);
        for (int i = 0; i < 16; i++)
        {
            float narrow = i < 8 ? low[i] : high[i - 8];
            Assert.True(BitConverter.SingleToInt32Bits(narrow) == BitConverter.SingleToInt32Bits(wide[i]),
                $"exp({x[i]:R}): 256-bit {narrow:R} but 512-bit {wide[i]:R}");
            float expected = (float)Math.Exp(x[i]);
            if (float.IsNaN(expected))
            {
                Assert.True(float.IsNaN(narrow), $"exp(NaN) = {narrow:R}");
                continue;
            }
            long ulp = UlpDistance(narrow, expected);
            if (ulp > worst)
            {
                worst = ulp;
                worstInput = x[i];
            }
        }
        return worst;
    }

    [Fact]
    public void Exp_WithinTwoUlpOfDoubleExp_AcrossTheWholeFloatRange()
    {
        // Every 1021st bit pattern (both signs, NaNs and infinities included), then every float where results are
        // subnormal or near overflow, where the scaling is most delicate.
        var x = new float[16];
        int filled = 0;
        long worst = 0;
        float worstInput = 0;
        void Add(float value)
        {
            x[filled++] = value;
            if (filled < 16) return;
            worst = Math.Max(worst, WorstUlp(x, ref worstInput));
            filled = 0;
        }
        for (long bits = 0; bits <= uint.MaxValue; bits += 1021) Add(BitConverter.Int32BitsToSingle((int)(uint)bits));
        for (float v = -104.5f; v < -86f; v = MathF.BitIncrement(v)) if (BitConverter.SingleToInt32Bits(v) % 3 == 0) Add(v);
        for (float v = 88f; v < 89.5f; v = MathF.BitIncrement(v)) if (BitConverter.SingleToInt32Bits(v) % 3 == 0) Add(v);
        for (int bits = 0; bits <= 0x3F800000; bits += 4099)
        {
            Add(BitConverter.Int32BitsToSingle(bits));
            Add(-BitConverter.Int32BitsToSingle(bits));
        }
        while (filled != 0) Add(0f);
        Assert.True(worst <= 2, $"exp is {worst} ulp off at {worstInput:R}");
    }

    [Theory]
    [InlineData(0f, 1f)]
    [InlineData(float.PositiveInfinity, float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity, 0f)]
    [InlineData(88.8f, float.PositiveInfinity)]
    [InlineData(1000f, float.PositiveInfinity)]
    [InlineData(-104f, 0f)]
    [InlineData(-1000f, 0f)]
    [InlineData(float.MaxValue, float.PositiveInfinity)]
    [InlineData(float.MinValue, 0f)]
    public void Exp_SpecialValues(float x, float expected)
    {
        Assert.Equal(expected, VectorExp.Exp(x));
        Assert.Equal(expected, VectorExp.Exp(Vector256.Create(x))[5]);
    }

    [Fact]
    public void Exp_NaNStaysNaN_AndTheLargestFiniteResultsAreFinite()
    {
        Assert.Equal(1f, VectorExp.Exp(-0f)); // xUnit treats −0 and 0 as one InlineData case, so −0 is checked here
        Assert.True(float.IsNaN(VectorExp.Exp(float.NaN)));
        Assert.True(float.IsNaN(VectorExp.Exp(-float.NaN)));
        float top = MathF.BitDecrement(MathF.Log(float.MaxValue));
        Assert.True(float.IsFinite(VectorExp.Exp(top)), $"exp({top:R}) = {VectorExp.Exp(top)}");
        Assert.Equal(float.Epsilon, VectorExp.Exp(-103.5f)); // 2^-149.3 rounds to the smallest subnormal
    }

    [Fact]
    public void Exp_Double_WithinAnUlpOrTwoOfMathExp()
    {
        var rng = new Random(5);
        for (int i = 0; i < 2000; i++)
        {
            double x = (rng.NextDouble() - 0.5) * 1400;
            double actual = VectorExp.Exp(new System.Numerics.Vector<double>(x))[0];
            double expected = Math.Exp(x);
            Assert.True(Math.Abs(actual - expected) <= 4.5e-16 * expected, $"exp({x:R}) = {actual:R}, Math.Exp {expected:R}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(33)]
    [InlineData(64)]
    public void ExpShiftedInPlace_ElementBitsDoNotDependOnPosition_AndSumIsTheirSum(int count)
    {
        float[] values = TestData.Random<float>(count, count);
        for (int i = 0; i < count; i++) values[i] *= 9;
        float[] original = (float[])values.Clone();
        float sum;
        fixed (float* p = values) sum = VectorExp.ExpShiftedInPlace(p, count, 1.5f);
        double expectedSum = 0;
        for (int i = 0; i < count; i++)
        {
            float one = VectorExp.Exp(original[i] - 1.5f);
            Assert.Equal(BitConverter.SingleToInt32Bits(one), BitConverter.SingleToInt32Bits(values[i]));
            Assert.True(UlpDistance(one, (float)Math.Exp(original[i] - 1.5f)) <= 2);
            expectedSum += one;
        }
        Assert.True(Math.Abs(sum - expectedSum) <= 1e-6 * expectedSum * Math.Log2(count + 1), $"sum {sum:R}, expected {expectedSum:R}");
        // Same bits again, and a prefix gives the same elements (tails run through the same vector code).
        float[] again = (float[])original.Clone();
        fixed (float* p = again) Assert.Equal(sum, VectorExp.ExpShiftedInPlace(p, count, 1.5f));
        TestData.AssertBitwiseEqual(values, again, "second call");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(33)]
    [InlineData(50_001)]
    public void Gelu_Float_MatchesTheDoubleDefinition(int count)
    {
        float[] z = TestData.Random<float>(count, 21), y = new float[count], dy = TestData.Random<float>(count, 22), dz = new float[count];
        for (int i = 0; i < count; i++) z[i] *= 8;
        fixed (float* pz = z, py = y, pdy = dy, pdz = dz)
        {
            ActivationKernels.Forward(Activation.GELU, pz, py, count, 0f);
            ActivationKernels.Backward(Activation.GELU, pz, py, pdy, pdz, count, 0f);
        }
        for (int i = 0; i < count; i++)
        {
            double v = z[i], u = Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v), t = Math.Tanh(u);
            double gelu = 0.5 * v * (1 + t);
            double slope = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * Math.Sqrt(2 / Math.PI) * (1 + 3 * 0.044715 * v * v);
            Assert.True(Math.Abs(y[i] - gelu) <= 4e-7 * Math.Max(1, Math.Abs(gelu)), $"GELU({v:R}) = {y[i]:R}, definition {gelu:R}");
            Assert.True(Math.Abs(dz[i] - dy[i] * slope) <= 1e-6 * Math.Max(1, Math.Abs(v)), $"GELU'({v:R})·dy = {dz[i]:R}, definition {dy[i] * slope:R}");
        }
    }

    [Fact]
    public void Gelu_WholeBuffer_SameBitsForAnyThreadCount()
    {
        const int count = 100_003;
        float[] z = TestData.Random<float>(count, 31), dy = TestData.Random<float>(count, 32);
        for (int i = 0; i < count; i++) z[i] *= 6;
        int saved = CpuParallel.ThreadCount;
        try
        {
            float[]? expectedY = null, expectedDz = null;
            foreach (int threads in new[] { 1, 2, 3, 7 })
            {
                CpuParallel.ThreadCount = threads;
                CpuParallel.ResetStallBackoff();
                float[] y = new float[count], dz = (float[])dy.Clone();
                fixed (float* pz = z, py = y, pdz = dz)
                {
                    ActivationKernels.Forward(Activation.GELU, pz, py, count, 0f);
                    ActivationKernels.Backward(Activation.GELU, pz, py, pdz, pdz, count, 0f);
                }
                expectedY ??= y;
                expectedDz ??= dz;
                TestData.AssertBitwiseEqual(expectedY, y, $"GELU forward, {threads} threads");
                TestData.AssertBitwiseEqual(expectedDz, dz, $"GELU backward in place, {threads} threads");
                // Each element as a single call gets the same bits as inside the whole buffer.
                for (int i = 0; i < count; i += 997)
                {
                    Assert.Equal(BitConverter.SingleToInt32Bits(ActivationKernels.Apply(Activation.GELU, z[i], 0f)), BitConverter.SingleToInt32Bits(y[i]));
                    float one = dy[i] * ActivationKernels.Derivative(Activation.GELU, z[i], y[i], 0f);
                    Assert.Equal(BitConverter.SingleToInt32Bits(one), BitConverter.SingleToInt32Bits(dz[i]));
                }
            }
        }
        finally
        {
            CpuParallel.ThreadCount = saved;
        }
    }
}
