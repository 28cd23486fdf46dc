using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

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
    public static bool HasSequence(Dim[]? shape) => shape is not null && shape.Any(d => d.IsSequence);

    public static readonly Dim Unknown = new(DimKind.Unknown, 0);

    /// <summary>A shape whose rank is not known either.</summary>
    public static readonly Dim[] UnknownRank = Array.Empty<Dim>();

    /// <summary>[batch, d1, …] from a per-sample shape.</summary>
    public static Dim[] Shape(IEnumerable<int> perSample) => new[] { Batch }.Concat(perSample.Select(Known)).ToArray();

    /// <summary>The product of some dimensions: known only when every factor is, and within int range.</summary>
    public static Dim Product(IEnumerable<Dim> dims)
    {
        long product = 1;
        foreach (var d in dims)
        {
            if (!d.IsKnown) return Unknown;
            product *= d.Value;
            if (product > int.MaxValue) return Unknown;
        }
        return Known((int)product);
    }

    /// <summary>The sum of some dimensions (a concat axis): known only when every term is, and within int range.</summary>
    public static Dim Sum(IEnumerable<Dim> dims)
    {
        long sum = 0;
        foreach (var d in dims)
        {
            if (!d.IsKnown) return Unknown;
            sum += d.Value;
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
    public static int[] KnownSample(Dim[]? shape) =>
        shape is { Length: > 1 } && shape.Skip(1).All(d => d.Bound > 0) ? shape.Skip(1).Select(d => d.Bound).ToArray() : Array.Empty<int>();

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
