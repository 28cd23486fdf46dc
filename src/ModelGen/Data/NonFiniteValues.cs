using System;
using System.Numerics;
using System.Runtime.InteropServices;

namespace ModelGen;

/// <summary>
/// Finds NaN and ±∞ in feature and target matrices: one vectorised pass (x − x is 0 for every finite x and NaN otherwise),
/// so checking a whole data set costs about as much as copying it once.
/// </summary>
internal static class NonFiniteValues
{
    /// <summary>The index of the first NaN or ±∞ in <paramref name="values"/>, or −1 when every value is finite.</summary>
    public static int IndexOf(ReadOnlySpan<float> values)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<float>.Count)
        {
            var vectors = MemoryMarshal.Cast<float, Vector<float>>(values);
            for (int v = 0; v < vectors.Length; v++)
            {
                var x = vectors[v];
                if (!Vector.EqualsAll(x - x, Vector<float>.Zero))
                {
                    i = v * Vector<float>.Count;
                    break;
                }
                i = (v + 1) * Vector<float>.Count;
            }
        }
        for (; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return -1;
    }

    /// <summary>How a non-finite value reads in a message: NaN, +∞ or −∞.</summary>
    public static string Describe(float value) =>
        float.IsNaN(value) ? "NaN" : float.IsPositiveInfinity(value) ? "+∞" : "−∞";

    /// <summary>
    /// Where flat index <paramref name="index"/> of a row-major matrix <paramref name="width"/> wide lies: "row r, column c",
    /// and for a row of several named <paramref name="inputs"/>, which input and which of its values.
    /// </summary>
    public static string Locate(int index, int width, System.Collections.Generic.IReadOnlyList<InputBlock>? inputs, string rowWord = "row")
    {
        int row = index / width, column = index % width;
        string at = $"{rowWord} {row}, column {column}";
        if (inputs is { Count: > 1 })
            foreach (var block in inputs)
                if (column >= block.Offset && column < block.Offset + block.Width)
                    return at + $" (value {column - block.Offset} of input '{block.Name}')";
        return at;
    }

    /// <summary>What a user who means to feed non-finite values does instead.</summary>
    public const string OptOut = "pass allowNonFinite: true where the data is made if the model is meant to see such values";
}
