using System;
using System.Text;

namespace ModelGen;

/// <summary>
/// A dense float32 array with a shape whose first dimension is the batch. Layer methods declared
/// on a model take and return tensors, so a model's <c>[Forward]</c> method can also be called
/// eagerly, one layer at a time (useful for debugging); training and inference run the fused code.
/// </summary>
public sealed partial class Tensor
{
    /// <summary>Creates a tensor over <paramref name="data"/> (not copied).</summary>
    /// <exception cref="ArgumentException">The element count of <paramref name="shape"/> differs from <paramref name="data"/>'s length.</exception>
    public Tensor(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"Tensor shape [{string.Join(", ", shape)}] has a negative dimension.", nameof(shape));
            count *= d;
        }
        if (count != data.Length)
            throw new ArgumentException($"Tensor shape [{string.Join(", ", shape)}] holds {count} elements, but the data has {data.Length}.", nameof(data));
        Data = data;
        Shape = (int[])shape.Clone();
    }

    /// <summary>Creates a zero-filled tensor.</summary>
    public static Tensor Zeros(params int[] shape)
    {
        long count = 1;
        foreach (int d in shape) count *= d;
        return new Tensor(new float[count], shape);
    }

    /// <summary>The elements, row-major.</summary>
    public float[] Data { get; }

    /// <summary>The dimensions; <c>Shape[0]</c> is the batch.</summary>
    public int[] Shape { get; }

    /// <summary>Number of samples (the first dimension).</summary>
    public int Batch => Shape.Length == 0 ? 1 : Shape[0];

    /// <summary>Elements per sample (product of all dimensions but the first).</summary>
    public int SampleSize => Shape.Length == 0 ? 1 : Data.Length / Math.Max(1, Shape[0]);

    /// <summary>Element-wise sum of two tensors of the same shape (no implicit broadcasting).</summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static Tensor operator +(Tensor a, Tensor b) => Combine(a, b, static (x, y) => x + y, "+");

    /// <summary>Element-wise product of two tensors of the same shape (no implicit broadcasting).</summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static Tensor operator *(Tensor a, Tensor b) => Combine(a, b, static (x, y) => x * y, "*");

    private static Tensor Combine(Tensor a, Tensor b, Func<float, float, float> op, string symbol)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (!a.Shape.AsSpan().SequenceEqual(b.Shape))
            throw new ArgumentException($"Cannot apply '{symbol}' to tensors of shapes {a.ShapeText} and {b.ShapeText}: ModelGen never broadcasts implicitly.");
        var result = new float[a.Data.Length];
        for (int i = 0; i < result.Length; i++) result[i] = op(a.Data[i], b.Data[i]);
        return new Tensor(result, a.Shape);
    }

    /// <summary>The shape as text, e.g. <c>[32, 128]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";

    /// <inheritdoc/>
    public override string ToString()
    {
        var sb = new StringBuilder("Tensor").Append(ShapeText).Append(" {");
        int shown = Math.Min(Data.Length, 8);
        for (int i = 0; i < shown; i++) sb.Append(i == 0 ? " " : ", ").Append(Data[i].ToString("G6", System.Globalization.CultureInfo.InvariantCulture));
        if (Data.Length > shown) sb.Append(", …");
        return sb.Append(" }").ToString();
    }
}
