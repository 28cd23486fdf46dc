using System;
using System.Linq;

namespace ModelGen;

public sealed partial class Tensor
{
    /// <summary>
    /// Joins tensors along the last per-sample axis, e.g. [batch, 8] and [batch, 16] → [batch, 24]. In a
    /// <c>[Forward]</c> method this is the graph's concat node (its shapes are checked at build time).
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than one part, or the parts differ in batch, rank, or another axis.</exception>
    public static Tensor Concat(params Tensor[] parts) => Concat(-1, parts);

    /// <summary>
    /// Joins tensors along per-sample axis <paramref name="axis"/> (0 is the first axis after the batch; negative
    /// counts from the end): every other axis must agree, and the joined axis is the sum of the parts'.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than one part, or the parts differ in batch, rank, or an axis other than <paramref name="axis"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is not a per-sample axis of the parts.</exception>
    public static Tensor Concat(int axis, params Tensor[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Length == 0) throw new ArgumentException("Concat needs at least one tensor.", nameof(parts));
        foreach (var part in parts) ArgumentNullException.ThrowIfNull(part, nameof(parts));
        var first = parts[0].Shape;
        int rank = first.Length - 1;   // per-sample rank
        int a = axis < 0 ? rank + axis : axis;
        if (rank < 1 || a < 0 || a >= rank)
            throw new ArgumentOutOfRangeException(nameof(axis), axis, $"Per-sample axis {axis} does not exist for tensors of shape {parts[0].ShapeText} (batch first).");
        int joined = 0;
        foreach (var part in parts)
        {
            var s = part.Shape;
            bool agree = s.Length == first.Length && Enumerable.Range(0, s.Length).All(d => d == a + 1 || s[d] == first[d]);
            if (!agree)
                throw new ArgumentException($"Cannot concat along per-sample axis {a}: shapes {string.Join(" and ", parts.Select(p => p.ShapeText))} differ on another axis.", nameof(parts));
            joined += s[a + 1];
        }
        var shape = (int[])first.Clone();
        shape[a + 1] = joined;
        // Rows before the axis (batch included) stay; each part contributes a block of its trailing elements to every row.
        int outer = first.Take(a + 1).Aggregate(1, (x, y) => x * y);
        int trailing = first.Skip(a + 2).Aggregate(1, (x, y) => x * y);
        var data = new float[outer * joined * trailing];
        int offset = 0;
        foreach (var part in parts)
        {
            int width = part.Shape[a + 1] * trailing;
            for (int r = 0; r < outer; r++)
                Array.Copy(part.Data, r * width, data, r * joined * trailing + offset, width);
            offset += width;
        }
        return new Tensor(data, shape);
    }
}
