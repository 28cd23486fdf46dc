using System;
using System.Numerics;
using ModelGen.Cpu;
using Xunit;

namespace ModelGen.Tests.Cpu;

public unsafe class ActivationKernelTests
{
    /// <summary>37 values (vectors plus a scalar tail), specials first so they land in the vector part.</summary>
    private static T[] Inputs<T>(bool specials) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] values = TestData.Random<T>(37, 9);
        for (int i = 0; i < values.Length; i++) values[i] *= T.CreateTruncating(6);
        if (specials)
        {
            T[] s = { T.Zero, T.NegativeZero, T.NaN, T.PositiveInfinity, T.NegativeInfinity, T.One, -T.One, T.Epsilon };
            s.CopyTo(values, 0);
            values[36] = T.NaN;
            values[35] = T.NegativeZero;
        }
        return values;
    }

    public static TheoryData<Activation> PiecewiseLinear => new() { Activation.None, Activation.ReLU, Activation.LeakyReLU };
    public static TheoryData<Activation> Smooth => new() { Activation.GELU, Activation.SiLU, Activation.Sigmoid, Activation.Tanh };

    [Theory]
    [MemberData(nameof(PiecewiseLinear))]
    public void Forward_PiecewiseLinear_ExactlyTheScalarFormula(Activation kind)
    {
        CheckPiecewiseForward<float>(kind);
        CheckPiecewiseForward<double>(kind);
    }

    [Theory]
    [MemberData(nameof(Smooth))]
    public void Forward_Smooth_MatchesFormula(Activation kind)
    {
        CheckSmoothForward<float>(kind, 2e-6);
        CheckSmoothForward<double>(kind, 1e-14);
    }

    [Theory]
    [MemberData(nameof(PiecewiseLinear))]
    public void Backward_PiecewiseLinear_ExactlyTheScalarFormula(Activation kind)
    {
        CheckPiecewiseBackward<float>(kind);
        CheckPiecewiseBackward<double>(kind);
    }

    [Theory]
    [InlineData(Activation.None)]
    [InlineData(Activation.ReLU)]
    [InlineData(Activation.LeakyReLU)]
    [InlineData(Activation.GELU)]
    [InlineData(Activation.SiLU)]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.Tanh)]
    public void Backward_MatchesFiniteDifferences(Activation kind)
    {
        double[] z = Inputs<double>(specials: false);
        for (int i = 0; i < z.Length; i++)
            if (Math.Abs(z[i]) < 1e-3) z[i] = 0.5; // keep away from the kinks of ReLU and LeakyReLU
        double[] y = new double[z.Length], dy = TestData.Random<double>(z.Length, 4), dz = new double[z.Length];
        fixed (double* pz = z, py = y, pdy = dy, pdz = dz)
        {
            ActivationKernels.Forward(kind, pz, py, z.Length, 0.1);
            ActivationKernels.Backward(kind, pz, py, pdy, pdz, z.Length, 0.1);
        }
        const double h = 1e-6;
        for (int i = 0; i < z.Length; i++)
        {
            double slope = (Formula(kind, z[i] + h, 0.1) - Formula(kind, z[i] - h, 0.1)) / (2 * h);
            Assert.True(Math.Abs(dz[i] - dy[i] * slope) <= 1e-7, $"{kind} z={z[i]}: dz={dz[i]}, finite difference {dy[i] * slope}");
        }
    }

    [Theory]
    [InlineData(Activation.ReLU)]
    [InlineData(Activation.LeakyReLU)]
    [InlineData(Activation.None)]
    public void PiecewiseBackward_WholeBuffer_SameBitsForAnyThreadCount(Activation kind)
    {
        // Large enough to split (two 16384-element chunks and more), with a ragged end; every element against its formula.
        const int count = 3 * 16384 + 13;
        float[] z = TestData.Random<float>(count, 41), dy = TestData.Random<float>(count, 42);
        z[5] = 0f; z[70_000 % count] = -0f; dy[9] = float.PositiveInfinity; dy[40_000] = float.NaN;
        int saved = CpuParallel.ThreadCount;
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                CpuParallel.ThreadCount = threads;
                CpuParallel.ResetStallBackoff();
                float[] dz = new float[count], inPlace = (float[])dy.Clone();
                fixed (float* pz = z, pdy = dy, pdz = dz, pi = inPlace)
                {
                    ActivationKernels.Backward(kind, pz, null, pdy, pdz, count, 0.1f);
                    ActivationKernels.Backward(kind, pz, null, pi, pi, count, 0.1f);
                }
                for (int i = 0; i < count; i++)
                {
                    float expected = dy[i] * ActivationKernels.Derivative(kind, z[i], 0f, 0.1f);
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(dz[i]), $"{kind}, {threads} threads, element {i}: {dz[i]}, expected {expected}");
                }
                TestData.AssertBitwiseEqual(dz, inPlace, $"{kind} in place, {threads} threads");
            }
        }
        finally
        {
            CpuParallel.ThreadCount = saved;
        }
    }

    [Theory]
    [InlineData(Activation.ReLU)]
    [InlineData(Activation.Tanh)]
    [InlineData(Activation.GELUExact)]
    public void InPlace_ForwardAndBackward(Activation kind)
    {
        float[] z = Inputs<float>(specials: false), y = new float[z.Length], inPlace = (float[])z.Clone();
        float[] dy = TestData.Random<float>(z.Length, 2), dz = new float[z.Length], dyInPlace = (float[])dy.Clone();
        fixed (float* pz = z, py = y, pi = inPlace, pdy = dy, pdz = dz, pdyi = dyInPlace)
        {
            ActivationKernels.Forward(kind, pz, py, z.Length, 0.1f);
            ActivationKernels.Forward(kind, pi, pi, z.Length, 0.1f);
            ActivationKernels.Backward(kind, pz, py, pdy, pdz, z.Length, 0.1f);
            ActivationKernels.Backward(kind, pz, py, pdyi, pdyi, z.Length, 0.1f);
        }
        TestData.AssertBitwiseEqual(y, inPlace, "forward in place");
        TestData.AssertBitwiseEqual(dz, dyInPlace, "backward in place");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(33)]
    [InlineData(1000)]
    public void Gelu_VectorPath_MatchesTheScalarFormulaOnOddSizes(int count)
    {
        CheckGeluAgainstScalar<float>(count, 4e-7);
        CheckGeluAgainstScalar<double>(count, 1e-15);
    }

    [Fact]
    public void Gelu_ElementResultDoesNotDependOnWhereTheBufferIsCut()
    {
        // The dense epilogue calls the activation once per tile row, with tile widths that depend on the
        // thread count: an element must get the same bits whether it falls in a vector or in a tail.
        float[] z = TestData.Random<float>(101, 12), dy = TestData.Random<float>(101, 13);
        for (int i = 0; i < z.Length; i++) z[i] *= 5;
        float[] whole = new float[z.Length], pieces = new float[z.Length], dzWhole = new float[z.Length], dzPieces = new float[z.Length];
        fixed (float* pz = z, pdy = dy, pw = whole, pp = pieces, pdw = dzWhole, pdp = dzPieces)
        {
            ActivationKernels.Forward(Activation.GELU, pz, pw, z.Length, 0f);
            ActivationKernels.Backward(Activation.GELU, pz, pw, pdy, pdw, z.Length, 0f);
            int[] cuts = { 0, 3, 4, 21, 22, 57, 90, 101 };
            for (int c = 0; c + 1 < cuts.Length; c++)
            {
                int start = cuts[c], length = cuts[c + 1] - start;
                ActivationKernels.Forward(Activation.GELU, pz + start, pp + start, length, 0f);
                ActivationKernels.Backward(Activation.GELU, pz + start, pp + start, pdy + start, pdp + start, length, 0f);
            }
        }
        TestData.AssertBitwiseEqual(whole, pieces, "GELU forward cut into pieces");
        TestData.AssertBitwiseEqual(dzWhole, dzPieces, "GELU backward cut into pieces");
    }

    private static void CheckGeluAgainstScalar<T>(int count, double relative) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] z = TestData.Random<T>(count, count), dy = TestData.Random<T>(count, count + 1);
        for (int i = 0; i < count; i++) z[i] *= T.CreateTruncating(7);
        T[] y = new T[count], dz = new T[count];
        fixed (T* pz = z, py = y, pdy = dy, pdz = dz)
        {
            ActivationKernels.Forward(Activation.GELU, pz, py, count, T.Zero);
            ActivationKernels.Backward(Activation.GELU, pz, py, pdy, pdz, count, T.Zero);
        }
        for (int i = 0; i < count; i++)
        {
            double expected = double.CreateTruncating(ActivationKernels.Apply(Activation.GELU, z[i], T.Zero));
            double expectedGrad = double.CreateTruncating(dy[i] * ActivationKernels.Derivative(Activation.GELU, z[i], y[i], T.Zero));
            double scale = Math.Max(1, Math.Abs(double.CreateTruncating(z[i])));
            Assert.True(Math.Abs(double.CreateTruncating(y[i]) - expected) <= relative * scale, $"{typeof(T).Name} GELU({z[i]}) = {y[i]}, scalar {expected:R}");
            Assert.True(Math.Abs(double.CreateTruncating(dz[i]) - expectedGrad) <= relative * scale * scale * scale,
                $"{typeof(T).Name} GELU'({z[i]})·dy = {dz[i]}, scalar {expectedGrad:R}");
        }
    }

    private static void CheckPiecewiseForward<T>(Activation kind) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T slope = T.CreateTruncating(0.01);
        T[] z = Inputs<T>(specials: true), y = new T[z.Length], expected = new T[z.Length];
        for (int i = 0; i < z.Length; i++)
            expected[i] = kind switch
            {
                Activation.None => z[i],
                Activation.ReLU => z[i] > T.Zero ? z[i] : T.Zero,
                _ => z[i] > T.Zero ? z[i] : z[i] * slope,
            };
        fixed (T* pz = z, py = y) ActivationKernels.Forward(kind, pz, py, z.Length, slope);
        TestData.AssertBitwiseEqual(expected, y, $"{typeof(T).Name} {kind}");
    }

    private static void CheckSmoothForward<T>(Activation kind, double relative) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] z = Inputs<T>(specials: false), y = new T[z.Length];
        fixed (T* pz = z, py = y) ActivationKernels.Forward(kind, pz, py, z.Length, T.Zero);
        for (int i = 0; i < z.Length; i++)
        {
            double expected = Formula(kind, double.CreateTruncating(z[i]), 0);
            double actual = double.CreateTruncating(y[i]);
            Assert.True(Math.Abs(actual - expected) <= relative * Math.Max(1, Math.Abs(expected)),
                $"{typeof(T).Name} {kind}({z[i]}) = {actual:R}, formula {expected:R}");
        }
    }

    private static void CheckPiecewiseBackward<T>(Activation kind) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T slope = T.CreateTruncating(0.01);
        T[] z = Inputs<T>(specials: true), y = new T[z.Length], dz = new T[z.Length], expected = new T[z.Length];
        T[] dy = TestData.Random<T>(z.Length, 3);
        dy[4] = T.PositiveInfinity; // z = −∞ there: ∞·0 must give NaN, as the scalar product does
        dy[1] = T.NaN;
        for (int i = 0; i < z.Length; i++)
            expected[i] = dy[i] * kind switch
            {
                Activation.None => T.One,
                Activation.ReLU => z[i] > T.Zero ? T.One : T.Zero,
                _ => z[i] > T.Zero ? T.One : slope,
            };
        fixed (T* pz = z, py = y, pdy = dy, pdz = dz)
        {
            ActivationKernels.Forward(kind, pz, py, z.Length, slope);
            ActivationKernels.Backward(kind, pz, py, pdy, pdz, z.Length, slope);
        }
        TestData.AssertBitwiseEqual(expected, dz, $"{typeof(T).Name} {kind} backward");
    }

    /// <summary>The textbook definitions, in double.</summary>
    private static double Formula(Activation kind, double z, double slope) => kind switch
    {
        Activation.None => z,
        Activation.ReLU => Math.Max(z, 0),
        Activation.LeakyReLU => z > 0 ? z : slope * z,
        Activation.GELU => 0.5 * z * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (z + 0.044715 * z * z * z))),
        Activation.SiLU => z / (1 + Math.Exp(-z)),
        Activation.Sigmoid => 1 / (1 + Math.Exp(-z)),
        Activation.Tanh => Math.Tanh(z),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
