using System;
using System.Collections.Generic;
using System.Globalization;

namespace ModelGen.Data;

/// <summary>The identity of an original row: the source it was read from and its 0-based data row index there (the header excluded).</summary>
/// <param name="Source">The source name: the file path as given to the reader, a name given to <see cref="Table.Create"/>, or a sampler's name for synthetic rows.</param>
/// <param name="Row">0-based index of the row among the source's data rows.</param>
public readonly record struct RowId(string Source, int Row)
{
    /// <summary><c>source[row]</c>, e.g. <c>breast_cancer.csv[17]</c>.</summary>
    public override string ToString() => Source + "[" + Row.ToString(CultureInfo.InvariantCulture) + "]";
}

/// <summary>
/// Where a row of a <see cref="Table"/> comes from. Filtering, splitting, transforming and sampling keep it, so a row in
/// a test table can be traced to the same source row in a training table. A row that a sampler made up (SMOTE) is
/// <see cref="IsSynthetic"/> and lists the rows it was made from as <see cref="Parents"/>.
/// </summary>
public readonly struct RowProvenance : IEquatable<RowProvenance>
{
    private readonly RowId[]? _parents;

    /// <summary>The provenance of an original row.</summary>
    public RowProvenance(RowId id)
    {
        Id = id;
        _parents = null;
    }

    private RowProvenance(RowId id, RowId[] parents)
    {
        Id = id;
        _parents = parents;
    }

    /// <summary>The provenance of a synthetic row <paramref name="id"/> made from <paramref name="parents"/> (original rows).</summary>
    /// <exception cref="ArgumentException">No parent is given.</exception>
    public static RowProvenance Synthetic(RowId id, params ReadOnlySpan<RowId> parents)
    {
        if (parents.IsEmpty) throw new ArgumentException("A synthetic row needs at least one parent row.", nameof(parents));
        return new RowProvenance(id, parents.ToArray());
    }

    /// <summary>The row's identity: for an original row its source and index; for a synthetic row the sampler's name and a running number.</summary>
    public RowId Id { get; }

    /// <summary>The original rows a synthetic row was made from; empty for an original row.</summary>
    public IReadOnlyList<RowId> Parents => _parents ?? [];

    /// <summary>Whether a sampler made this row up from <see cref="Parents"/>.</summary>
    public bool IsSynthetic => _parents is not null;

    /// <inheritdoc/>
    public bool Equals(RowProvenance other)
    {
        if (Id != other.Id || IsSynthetic != other.IsSynthetic) return false;
        if (_parents is null) return true;
        return _parents.AsSpan().SequenceEqual(other._parents);
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is RowProvenance p && Equals(p);

    /// <inheritdoc/>
    public override int GetHashCode() => Id.GetHashCode();

    /// <summary>Whether the two provenances are equal (same id, same parents).</summary>
    public static bool operator ==(RowProvenance left, RowProvenance right) => left.Equals(right);

    /// <summary>Whether the two provenances differ.</summary>
    public static bool operator !=(RowProvenance left, RowProvenance right) => !left.Equals(right);

    /// <summary><c>source[row]</c>, or for a synthetic row <c>smote[3] (synthetic, from a.csv[4], a.csv[9])</c>.</summary>
    public override string ToString() =>
        _parents is null ? Id.ToString() : Id + " (synthetic, from " + string.Join(", ", _parents) + ")";
}
