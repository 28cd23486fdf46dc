using System;
using System.Numerics;

namespace ModelGen.Cpu;

/// <summary>Element-wise graph operations (residual add, product) and buffer helpers.</summary>
public static unsafe class ElementwiseKernels
{
    /// <summary><c>y = a + b</c>.</summary>
    public static void Add<T>(T* a, T* b, T* y, long count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (long i = 0; i < count; i++) y[i] = a[i] + b[i];
    }

    /// <summary><c>y = a ⊙ b</c>.</summary>
    public static void Multiply<T>(T* a, T* b, T* y, long count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (long i = 0; i < count; i++) y[i] = a[i] * b[i];
    }

    /// <summary><c>destination += source</c>.</summary>
    public static void AddInto<T>(T* source, T* destination, long count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (long i = 0; i < count; i++) destination[i] += source[i];
    }

    /// <summary><c>destination += a ⊙ b</c> (the backward of a product).</summary>
    public static void MultiplyAddInto<T>(T* a, T* b, T* destination, long count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (long i = 0; i < count; i++) destination[i] += a[i] * b[i];
    }

    /// <summary>Sets <paramref name="count"/> elements to zero.</summary>
    public static void Clear<T>(T* buffer, long count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        new Span<T>(buffer, checked((int)count)).Clear();
    }
}
