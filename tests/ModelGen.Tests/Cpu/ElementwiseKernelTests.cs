using ModelGen.Cpu;
using Xunit;

namespace ModelGen.Tests.Cpu;

public unsafe class ElementwiseKernelTests
{
    private const int Count = 37; // whole vectors plus a scalar tail

    [Fact]
    public void EachOperation_IsExactlyItsScalarFormula()
    {
        float[] a = TestData.Random<float>(Count, 1), b = TestData.Random<float>(Count, 2), d0 = TestData.Random<float>(Count, 3);
        float[] sum = new float[Count], product = new float[Count], addInto = (float[])d0.Clone(), fma = (float[])d0.Clone();
        float[] eSum = new float[Count], eProduct = new float[Count], eAddInto = new float[Count], eFma = new float[Count];
        for (int i = 0; i < Count; i++)
        {
            eSum[i] = a[i] + b[i];
            eProduct[i] = a[i] * b[i];
            eAddInto[i] = d0[i] + a[i];
            eFma[i] = d0[i] + a[i] * b[i];
        }
        fixed (float* pa = a, pb = b, ps = sum, pp = product, pai = addInto, pf = fma)
        {
            ElementwiseKernels.Add(pa, pb, ps, Count);
            ElementwiseKernels.Multiply(pa, pb, pp, Count);
            ElementwiseKernels.AddInto(pa, pai, Count);
            ElementwiseKernels.MultiplyAddInto(pa, pb, pf, Count);
        }
        TestData.AssertBitwiseEqual(eSum, sum, "Add");
        TestData.AssertBitwiseEqual(eProduct, product, "Multiply");
        TestData.AssertBitwiseEqual(eAddInto, addInto, "AddInto");
        TestData.AssertBitwiseEqual(eFma, fma, "MultiplyAddInto");
    }

    [Fact]
    public void Clear_ZeroesExactlyCount()
    {
        double[] data = TestData.Random<double>(Count, 4);
        fixed (double* p = data) ElementwiseKernels.Clear(p, Count - 1);
        for (int i = 0; i < Count - 1; i++) Assert.Equal(0.0, data[i]);
        Assert.NotEqual(0.0, data[Count - 1]);
    }
}
