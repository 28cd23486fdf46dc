using System;
using System.Numerics;
using System.Runtime.InteropServices;
using Xunit;

namespace ModelGen.Tests.Cpu;

/// <summary>Tests that change process-wide kernel settings (thread count) or measure process-wide allocation run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Serial CPU kernel tests";
}

internal static class TestData
{
    /// <summary>Seeded uniform values in [-1, 1).</summary>
    public static T[] Random<T>(int count, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(seed);
        var data = new T[count];
        for (int i = 0; i < count; i++) data[i] = T.CreateTruncating(rng.NextDouble() * 2 - 1);
        return data;
    }

    public static double Epsilon<T>() where T : unmanaged, IFloatingPointIeee754<T>
        => typeof(T) == typeof(float) ? Math.Pow(2, -24) : Math.Pow(2, -53);

    /// <summary>Same bits (so −0 ≠ +0 and NaN payloads count), reporting the first difference.</summary>
    public static void AssertBitwiseEqual<T>(T[] expected, T[] actual, string what) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (!MemoryMarshal.AsBytes(expected.AsSpan(i, 1)).SequenceEqual(MemoryMarshal.AsBytes(actual.AsSpan(i, 1))))
                Assert.Fail($"{what}: element {i} differs: expected {expected[i]:R}, got {actual[i]:R}.");
        }
    }
}
