using System;
using System.Collections.Generic;
using System.Globalization;

namespace ModelGen.FrontEnd;

internal enum DimKind { Unknown = 0, Known, Batch, Sequence }

/// <summary>
/// One dimension in the shape lattice: a known size, the symbolic batch, the symbolic sequence length
/// of a model that declares variable-length sequences (each sample's own length, at most a known bound),
/// or unknown (⊤, from a declaration that already has an error). Unknown unifies with anything, so one
/// mistake is reported once instead of cascading through every layer after it.
/// </summary>
internal readonly struct Dim : IEquatable<Dim>
{
    private Dim(DimKind kind, int value)
    {
        Kind = kind;
        Value = value;
    }

    public DimKind Kind { get; }

    /// <summary>The size, when <see cref="IsKnown"/>; the longest length, for <see cref="DimKind.Sequence"/>.</summary>
    public int Value { get; }

    public bool IsKnown => Kind == DimKind.Known;

    /// <summary>A per-sample sequence length that varies (padding masked), at most <see cref="Value"/>.</summary>
    public bool IsSequence => Kind == DimKind.Sequence;

    /// <summary>The size buffers are allocated for: the value, or the bound of a variable length; 0 when unknown.</summary>
    public int Bound => Kind is DimKind.Known or DimKind.Sequence ? Value : 0;

    public static Dim Known(int value) => new(DimKind.Known, value);

    public static readonly Dim Batch = new(DimKind.Batch, 0);

    /// <summary>A variable sequence length of at most <paramref name="maxLength"/> positions.</summary>
    public static Dim Sequence(int maxLength) => new(DimKind.Sequence, maxLength);

    /// <summary>Whether some per-sample axis of <paramref name="shape"/> is a variable sequence length.</summary>
    public static bool HasSequence(Dim[]? shape)
    {
        if (shape is null) return false;
        foreach (var d in shape)
            if (d.IsSequence) return true;
        return false;
    }

    public static readonly Dim Unknown = new(DimKind.Unknown, 0);

    /// <summary>A shape whose rank is not known either.</summary>
    public static readonly Dim[] UnknownRank = new Dim[0];

    /// <summary>[batch, d1, …] from a per-sample shape.</summary>
    public static Dim[] Shape(EquatableArray<int> perSample)
    {
        var shape = new Dim[perSample.Count + 1];
        shape[0] = Batch;
        for (int i = 0; i < perSample.Count; i++) shape[i + 1] = Known(perSample[i]);
        return shape;
    }

    /// <summary>
    /// The product of <paramref name="dims"/> from index <paramref name="from"/> on (1 for a sample's elements, past the
    /// batch): known only when every factor is, and within int range.
    /// </summary>
    public static Dim Product(Dim[] dims, int from = 0)
    {
        long product = 1;
        for (int i = from; i < dims.Length; i++)
        {
            if (!dims[i].IsKnown) return Unknown;
            product *= dims[i].Value;
            if (product > int.MaxValue) return Unknown;
        }
        return Known((int)product);
    }

    /// <summary>The sum of axis <paramref name="axis"/> over <paramref name="shapes"/> (a concat axis): known only when every term is, and within int range.</summary>
    public static Dim Sum(List<Dim[]> shapes, int axis)
    {
        long sum = 0;
        foreach (var shape in shapes)
        {
            if (!shape[axis].IsKnown) return Unknown;
            sum += shape[axis].Value;
            if (sum > int.MaxValue) return Unknown;
        }
        return Known((int)sum);
    }

    /// <summary>
    /// The meet of two shapes for an element-wise operation: equal ranks, each pair of dimensions
    /// equal or one of them unknown. Null when they conflict (there is no implicit broadcasting).
    /// </summary>
    public static Dim[]? Unify(Dim[] a, Dim[] b)
    {
        if (a.Length == 0) return b;
        if (b.Length == 0) return a;
        if (a.Length != b.Length) return null;
        var result = new Dim[a.Length];
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i].Kind == DimKind.Unknown) result[i] = b[i];
            else if (b[i].Kind == DimKind.Unknown || a[i].Equals(b[i])) result[i] = a[i];
            else return null;
        }
        return result;
    }

    /// <summary>
    /// The per-sample sizes the generator allocates for when all are known (a variable length at its
    /// bound: padded positions are computed and masked); empty otherwise (the generator needs them all).
    /// </summary>
    public static int[] KnownSample(Dim[]? shape)
    {
        if (shape is not { Length: > 1 }) return NoSizes;
        var sizes = new int[shape.Length - 1];
        for (int i = 1; i < shape.Length; i++)
        {
            if (shape[i].Bound <= 0) return NoSizes;
            sizes[i - 1] = shape[i].Bound;
        }
        return sizes;
    }

    private static readonly int[] NoSizes = new int[0];

    public bool Equals(Dim other) => Kind == other.Kind && Value == other.Value;

    public override bool Equals(object? obj) => obj is Dim other && Equals(other);

    public override int GetHashCode() => ((int)Kind * 397) ^ Value;

    public override string ToString() => Kind switch
    {
        DimKind.Known => Value.ToString(CultureInfo.InvariantCulture),
        DimKind.Batch => "batch",
        DimKind.Sequence => "seq≤" + Value.ToString(CultureInfo.InvariantCulture),
        _ => "?",
    };
}
