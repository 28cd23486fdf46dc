using System;
using System.Numerics;
using ModelGen.Cpu;
using Xunit;

namespace ModelGen.Tests.Cpu;

public unsafe class DenseKernelTests
{
    public static TheoryData<Activation, bool> ActivationsWithAndWithoutBias()
    {
        var data = new TheoryData<Activation, bool>();
        foreach (Activation a in Enum.GetValues<Activation>())
        {
            data.Add(a, true);
            data.Add(a, false);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ActivationsWithAndWithoutBias))]
    public void Forward_MatchesReference(Activation activation, bool withBias)
    {
        CheckForward<float>(37, 70, 45, activation, withBias);
        CheckForward<double>(9, 300, 20, activation, withBias);
    }

    [Theory]
    [MemberData(nameof(ActivationsWithAndWithoutBias))]
    public void Forward_SameBitsAsUnfusedGemmBiasActivation(Activation activation, bool withBias)
    {
        // Edge rows and columns, two blocks of k; then more columns than one block of them (the epilogue runs per strip of a block).
        foreach (var (batch, inFeatures, outFeatures) in new[] { (70, 300, 53), (19, 40, 600) })
        {
            float[] x = TestData.Random<float>(batch * inFeatures, 1), w = TestData.Random<float>(inFeatures * outFeatures, 2);
            float[] bias = TestData.Random<float>(outFeatures, 3);
            float[] z = new float[batch * outFeatures], y = new float[batch * outFeatures], inferred = new float[batch * outFeatures];
            float[] z2 = new float[batch * outFeatures], y2 = new float[batch * outFeatures];
            fixed (float* px = x, pw = w, pb = bias, pz = z, py = y, pi = inferred, pz2 = z2, py2 = y2)
            {
                DenseKernels.Forward(px, pw, withBias ? pb : null, pz, py, batch, inFeatures, outFeatures, activation, 0.2f);
                DenseKernels.Infer(px, pw, withBias ? pb : null, pi, batch, inFeatures, outFeatures, activation, 0.2f);
                Gemm.Multiply(false, false, batch, outFeatures, inFeatures, px, pw, pz2, accumulate: false);
                if (withBias)
                    for (int r = 0; r < batch; r++)
                    for (int j = 0; j < outFeatures; j++)
                        z2[r * outFeatures + j] += bias[j];
                ActivationKernels.Forward(activation, pz2, py2, z2.Length, 0.2f);
            }
            TestData.AssertBitwiseEqual(z2, z, $"pre-activation, {batch}×{inFeatures}×{outFeatures}");
            TestData.AssertBitwiseEqual(y2, y, $"activation, {batch}×{inFeatures}×{outFeatures}");
            TestData.AssertBitwiseEqual(y2, inferred, $"inference in place, {batch}×{inFeatures}×{outFeatures}");
        }
    }

    [Fact]
    public void Forward_InPlace_WhenActivationIsNone()
    {
        const int batch = 20, inFeatures = 33, outFeatures = 40;
        float[] x = TestData.Random<float>(batch * inFeatures, 1), w = TestData.Random<float>(inFeatures * outFeatures, 2);
        float[] bias = TestData.Random<float>(outFeatures, 3);
        float[] z = new float[batch * outFeatures], y = new float[batch * outFeatures], zy = new float[batch * outFeatures];
        fixed (float* px = x, pw = w, pb = bias, pz = z, py = y, pzy = zy)
        {
            DenseKernels.Forward(px, pw, pb, pz, py, batch, inFeatures, outFeatures, Activation.None, 0f);
            DenseKernels.Forward(px, pw, pb, pzy, pzy, batch, inFeatures, outFeatures, Activation.None, 0f);
        }
        TestData.AssertBitwiseEqual(z, y, "y of None");
        TestData.AssertBitwiseEqual(z, zy, "shared z/y");
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public void Backward_MatchesReference(bool withDx, bool withDBias)
    {
        CheckBackward<float>(37, 70, 45, withDx, withDBias);
        CheckBackward<float>(300, 9, 130, withDx, withDBias);
        CheckBackward<double>(33, 17, 65, withDx, withDBias);
    }

    /// <summary>
    /// Overwriting the parameter gradients gives the values clearing and adding gives, whatever the buffers held (NaN
    /// here): one block of k (batch ≤ 256) and several, widths off the vector, split across threads or not.
    /// </summary>
    [Theory]
    [InlineData(1, 7, 5)]
    [InlineData(7, 33, 17)]
    [InlineData(33, 70, 45)]
    [InlineData(300, 9, 130)]
    [InlineData(513, 40, 3)]
    public void Backward_OverwritingParameterGradients_GivesWhatClearingAndAddingGives(int batch, int inFeatures, int outFeatures)
    {
        float[] x = TestData.Random<float>(batch * inFeatures, 1), w = TestData.Random<float>(inFeatures * outFeatures, 2);
        float[] dz = TestData.Random<float>(batch * outFeatures, 3);
        foreach (int threads in new[] { 1, 2, 3 })
        {
            int saved = CpuParallel.ThreadCount;
            CpuParallel.ThreadCount = threads;
            GemmCore.ParallelThresholdOverride = threads == 1 ? 0 : 1;
            try
            {
                float[] dwAdded = new float[inFeatures * outFeatures], dbAdded = new float[outFeatures];
                float[] dwWritten = new float[inFeatures * outFeatures], dbWritten = new float[outFeatures];
                dwWritten.AsSpan().Fill(float.NaN);
                dbWritten.AsSpan().Fill(float.NaN);
                fixed (float* px = x, pw = w, pdz = dz, pdwA = dwAdded, pdbA = dbAdded, pdwW = dwWritten, pdbW = dbWritten)
                {
                    DenseKernels.Backward(px, pw, pdz, null, pdwA, pdbA, batch, inFeatures, outFeatures);
                    DenseKernels.Backward(px, pw, pdz, null, pdwW, pdbW, batch, inFeatures, outFeatures, overwriteParameterGradients: true);
                }
                string name = $"{batch}×{inFeatures}→{outFeatures}, {threads} threads";
                for (int i = 0; i < dwAdded.Length; i++) Assert.True(dwAdded[i] == dwWritten[i], $"{name}: dW[{i}] {dwWritten[i]}, cleared and added {dwAdded[i]}");
                for (int j = 0; j < outFeatures; j++) Assert.True(dbAdded[j] == dbWritten[j], $"{name}: db[{j}] {dbWritten[j]}, cleared and added {dbAdded[j]}");
            }
            finally
            {
                CpuParallel.ThreadCount = saved;
                GemmCore.ParallelThresholdOverride = 0;
            }
        }
    }

    private static void CheckForward<T>(int batch, int inFeatures, int outFeatures, Activation activation, bool withBias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] x = TestData.Random<T>(batch * inFeatures, 1), w = TestData.Random<T>(inFeatures * outFeatures, 2);
        T[] bias = TestData.Random<T>(outFeatures, 3);
        T[] z = new T[batch * outFeatures], y = new T[batch * outFeatures];
        T slope = T.CreateTruncating(0.1);
        fixed (T* px = x, pw = w, pb = bias, pz = z, py = y)
        {
            DenseKernels.Forward(px, pw, withBias ? pb : null, pz, py, batch, inFeatures, outFeatures, activation, slope);
        }
        double eps = TestData.Epsilon<T>();
        for (int r = 0; r < batch; r++)
        for (int j = 0; j < outFeatures; j++)
        {
            double sum = withBias ? double.CreateTruncating(bias[j]) : 0, magnitude = Math.Abs(sum);
            for (int p = 0; p < inFeatures; p++)
            {
                double t = double.CreateTruncating(x[r * inFeatures + p]) * double.CreateTruncating(w[p * outFeatures + j]);
                sum += t;
                magnitude += Math.Abs(t);
            }
            int i = r * outFeatures + j;
            Assert.True(Math.Abs(double.CreateTruncating(z[i]) - sum) <= 2 * (inFeatures + 2) * eps * magnitude,
                $"{typeof(T).Name} z[{r},{j}] = {z[i]}, reference {sum}");
            T expectedY = ActivationKernels.Apply(activation, z[i], slope);
            Assert.True(expectedY.Equals(y[i]), $"{typeof(T).Name} {activation} y[{r},{j}] = {y[i]}, f(z) = {expectedY}");
        }
    }

    private static void CheckBackward<T>(int batch, int inFeatures, int outFeatures, bool withDx, bool withDBias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] x = TestData.Random<T>(batch * inFeatures, 1), w = TestData.Random<T>(inFeatures * outFeatures, 2);
        T[] dz = TestData.Random<T>(batch * outFeatures, 3);
        T[] dx = TestData.Random<T>(batch * inFeatures, 4), dw = TestData.Random<T>(inFeatures * outFeatures, 5);
        T[] db = TestData.Random<T>(outFeatures, 6);
        T[] dx0 = (T[])dx.Clone(), dw0 = (T[])dw.Clone(), db0 = (T[])db.Clone();
        fixed (T* px = x, pw = w, pdz = dz, pdx = dx, pdw = dw, pdb = db)
        {
            DenseKernels.Backward(px, pw, pdz, withDx ? pdx : null, pdw, withDBias ? pdb : null, batch, inFeatures, outFeatures);
        }
        double eps = TestData.Epsilon<T>();
        string name = $"{typeof(T).Name} {batch}×{inFeatures}→{outFeatures}";

        for (int p = 0; p < inFeatures; p++)
        for (int j = 0; j < outFeatures; j++)
        {
            double sum = double.CreateTruncating(dw0[p * outFeatures + j]), magnitude = Math.Abs(sum);
            for (int r = 0; r < batch; r++)
            {
                double t = double.CreateTruncating(x[r * inFeatures + p]) * double.CreateTruncating(dz[r * outFeatures + j]);
                sum += t;
                magnitude += Math.Abs(t);
            }
            AssertClose(sum, dw[p * outFeatures + j], 2 * (batch + 2) * eps * magnitude, $"{name} dW[{p},{j}]");
        }

        for (int j = 0; j < outFeatures; j++)
        {
            if (!withDBias)
            {
                Assert.Equal(db0[j], db[j]);
                continue;
            }
            // Rows are added in order, as a scalar loop would: the result is exactly that loop's.
            T expected = db0[j];
            for (int r = 0; r < batch; r++) expected += dz[r * outFeatures + j];
            Assert.True(expected.Equals(db[j]), $"{name} dBias[{j}] = {db[j]}, sequential sum {expected}");
        }

        for (int r = 0; r < batch; r++)
        for (int p = 0; p < inFeatures; p++)
        {
            if (!withDx)
            {
                Assert.Equal(dx0[r * inFeatures + p], dx[r * inFeatures + p]);
                continue;
            }
            double sum = double.CreateTruncating(dx0[r * inFeatures + p]), magnitude = Math.Abs(sum);
            for (int j = 0; j < outFeatures; j++)
            {
                double t = double.CreateTruncating(dz[r * outFeatures + j]) * double.CreateTruncating(w[p * outFeatures + j]);
                sum += t;
                magnitude += Math.Abs(t);
            }
            AssertClose(sum, dx[r * inFeatures + p], 2 * (outFeatures + 2) * eps * magnitude, $"{name} dx[{r},{p}]");
        }
    }

    private static void AssertClose<T>(double expected, T actual, double tolerance, string what) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double a = double.CreateTruncating(actual);
        Assert.True(Math.Abs(a - expected) <= tolerance, $"{what} = {a:R}, reference {expected:R}, tolerance {tolerance:E2}");
    }

    /// <summary>Forward then backward on seeded data; returns z, y, dx, dW, dBias.</summary>
    internal static float[][] RunDense(int batch, int inFeatures, int outFeatures, Activation activation, int seed)
    {
        float[] x = TestData.Random<float>(batch * inFeatures, seed), w = TestData.Random<float>(inFeatures * outFeatures, seed + 1);
        float[] bias = TestData.Random<float>(outFeatures, seed + 2);
        float[] z = new float[batch * outFeatures], y = new float[batch * outFeatures];
        float[] dz = TestData.Random<float>(batch * outFeatures, seed + 3), dx = TestData.Random<float>(batch * inFeatures, seed + 4);
        float[] dw = TestData.Random<float>(inFeatures * outFeatures, seed + 5), db = TestData.Random<float>(outFeatures, seed + 6);
        fixed (float* px = x, pw = w, pb = bias, pz = z, py = y, pdz = dz, pdx = dx, pdw = dw, pdb = db)
        {
            DenseKernels.Forward(px, pw, pb, pz, py, batch, inFeatures, outFeatures, activation, 0.05f);
            ActivationKernels.Backward(activation, pz, py, pdz, pdz, dz.Length, 0.05f);
            DenseKernels.Backward(px, pw, pdz, pdx, pdw, pdb, batch, inFeatures, outFeatures);
        }
        return new[] { z, y, dx, dw, db };
    }
}
