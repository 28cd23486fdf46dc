using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using ModelGen.FrontEnd;

namespace ModelGen.Analyzers.Leakage;

// The abstract values of the leakage data flow. Every value is immutable and compares by content, so that states
// reached on two paths (branches, loop iterations) can be compared and joined: equal values survive a join, different
// ones become Unknown. Row sets name *which rows* a table holds, independent of its columns, so that "fitted on rows
// that include the test rows" is a question about row sets only.

/// <summary>The role of a table, from its static type <c>Table&lt;TRole&gt;</c>.</summary>
internal enum Role
{
    None,
    Unsplit,
    Train,
    Validation,
    Test,
}

/// <summary>The <c>Split</c> method that made a split.</summary>
internal enum SplitMethod
{
    TrainTest,
    TrainValidationTest,
    TrainValidation,
    KFold,
}

/// <summary>Which rows a table holds.</summary>
internal abstract record RowSet;

/// <summary>
/// The rows of a table of unknown origin: one read from a file, a parameter, or anything the analysis does not follow.
/// Two roots are never assumed to share rows. <see cref="Key"/> is the symbol (parameter, field, local) or the
/// operation that made it, with the call site in the analysed body when it was made inside an inlined helper.
/// </summary>
internal sealed record RootRows(object Key, object? Site) : RowSet;

/// <summary>Some rows of <see cref="Parent"/> (<c>Where</c>, <c>Rows</c>): a subset, but not a known one.</summary>
internal sealed record FilteredRows(RowSet Parent, IOperation Op) : RowSet;

/// <summary>One part of a split: its training, validation or test rows (for k-fold, those of any fold).</summary>
internal sealed record PartRows(SplitSite Split, Role Part) : RowSet;

/// <summary>The rows of <see cref="Parent"/> resampled by a sampler (copies or synthetic neighbours of its rows); <see cref="KeepsAll"/> for oversamplers, which keep every row of the parent.</summary>
internal sealed record ResampledRows(RowSet Parent, IOperation Op, IOperation Site, string Sampler, bool KeepsAll) : RowSet;

/// <summary>A call of a <c>Split</c> method on the rows <see cref="Input"/>; <see cref="Site"/> is where the analysed body makes it (the helper call when it is inside a helper).</summary>
internal sealed record SplitSite(IOperation Op, IOperation Site, SplitMethod Method, RowSet Input);

/// <summary>A statistic (an aggregate such as Average, or an ordering) computed over the rows <see cref="Rows"/>.</summary>
internal sealed record StatSource(RowSet Rows, string Method, IOperation Op);

/// <summary>Something a value carries besides row data and statistics: where it comes from in a way a rule asks about.</summary>
internal abstract record Mark;

/// <summary>Cells of the label column (<see cref="Column"/> when its name is known) of the rows <see cref="Rows"/>, read at <see cref="Op"/>.</summary>
internal sealed record LabelMark(RowSet Rows, string? Column, IOperation Op) : Mark;

/// <summary>A score of a test-set evaluation made once per item of a collection or pass of a loop (so one of several).</summary>
internal sealed record TestScoreMark(IOperation Eval, IOperation Site) : Mark;

/// <summary>A random order (indices sorted by random keys, or shuffled in place) made at <see cref="Op"/>.</summary>
internal sealed record ShuffleMark(IOperation Op, IOperation Site) : Mark;

/// <summary>What a value was computed from: row data of tables, statistics over their rows, and marks (label cells, test scores, random orders).</summary>
internal sealed class Taint : IEquatable<Taint>
{
    public static readonly Taint None = new(ImmutableHashSet<RowSet>.Empty, ImmutableHashSet<StatSource>.Empty, ImmutableHashSet<Mark>.Empty);

    private Taint(ImmutableHashSet<RowSet> data, ImmutableHashSet<StatSource> stat, ImmutableHashSet<Mark> marks)
    {
        Data = data;
        Stat = stat;
        Marks = marks;
    }

    /// <summary>Row sets whose values (cells) this value is computed from.</summary>
    public ImmutableHashSet<RowSet> Data { get; }

    /// <summary>Statistics over whole row sets this value is computed from.</summary>
    public ImmutableHashSet<StatSource> Stat { get; }

    /// <summary>Label cells, test scores and random orders this value is computed from.</summary>
    public ImmutableHashSet<Mark> Marks { get; }

    public bool IsEmpty => Data.IsEmpty && Stat.IsEmpty && Marks.IsEmpty;

    public static Taint OfData(RowSet rows) => new(ImmutableHashSet.Create(rows), ImmutableHashSet<StatSource>.Empty, ImmutableHashSet<Mark>.Empty);

    public static Taint Of(Mark mark) => new(ImmutableHashSet<RowSet>.Empty, ImmutableHashSet<StatSource>.Empty, ImmutableHashSet.Create(mark));

    public Taint Union(Taint other)
    {
        if (other.IsEmpty || ReferenceEquals(other, this)) return this;
        if (IsEmpty) return other;
        return new Taint(Data.Union(other.Data), Stat.Union(other.Stat), Marks.Union(other.Marks));
    }

    /// <summary>This taint plus a statistic over every row set it has data of.</summary>
    public Taint WithStatistic(string method, IOperation op) =>
        Data.IsEmpty ? this : new Taint(Data, Stat.Union(Data.Select(d => new StatSource(d, method, op))), Marks);

    public IEnumerable<T> MarksOf<T>() where T : Mark => Marks.OfType<T>();

    public bool Equals(Taint? other) => other is not null && (ReferenceEquals(this, other) || (Data.SetEquals(other.Data) && Stat.SetEquals(other.Stat) && Marks.SetEquals(other.Marks)));

    public override bool Equals(object? obj) => Equals(obj as Taint);

    public override int GetHashCode() => (Data.Count * 31 + Stat.Count) * 31 + Marks.Count;
}

/// <summary>What a transformer is known to do.</summary>
/// <param name="Name">Its type name, as messages show it.</param>
/// <param name="Learns">Whether fitting learns anything from the rows (false only for PolynomialFeatures and FeatureHasher).</param>
/// <param name="Resamples">Whether it (or a step of the pipeline) is a sampler, which changes the rows of FitTransform's output.</param>
/// <param name="KeepsRoleColumns">Whether its output keeps the Timestamp, GroupKey and KnownAfterOutcome columns as they are (no explicit column list).</param>
/// <param name="KeepsAllRows">Whether FitTransform's output keeps every input row (true but for undersamplers and samplers of unknown type).</param>
internal sealed record TransformerInfo(string Name, bool Learns, bool Resamples, bool KeepsRoleColumns, bool KeepsAllRows);

/// <summary>One fit of a transformer: where, what, and on which rows.</summary>
internal sealed record FitInfo(IOperation Op, IOperation Site, TransformerInfo Transformer, RowSet? Rows);

/// <summary>A <c>WithColumn</c> whose column is computed from a statistic.</summary>
internal sealed record StatColumn(IOperation Op, IOperation Site, StatSource Source);

/// <summary>A column's name and role as far as known; the role is the int value of ColumnRole.</summary>
internal readonly record struct ColumnFact(string Name, int Role);

/// <summary>Columns of a table whose name and role are known. Columns not listed may exist; positive facts only.</summary>
internal sealed record Columns(EquatableArray<ColumnFact> Known)
{
    public static readonly Columns Empty = new(EquatableArray<ColumnFact>.Empty);

    public static Columns Of(IEnumerable<ColumnFact> facts)
    {
        // Last declaration of a name wins; the order is kept for messages.
        var list = new List<ColumnFact>();
        foreach (var f in facts)
        {
            list.RemoveAll(c => c.Name == f.Name);
            list.Add(f);
        }
        return new Columns(list.ToEquatableArray());
    }

    public string? NameWithRole(int role)
    {
        foreach (var c in Known) if (c.Role == role) return c.Name;
        return null;
    }

    public int? RoleOf(string name)
    {
        foreach (var c in Known) if (c.Name == name) return c.Role;
        return null;
    }

    public Columns Set(string name, int? role) =>
        Of(Known.Where(c => c.Name != name).Concat(role is int r ? new[] { new ColumnFact(name, r) } : Array.Empty<ColumnFact>()));

    public Columns Without(IEnumerable<string> names)
    {
        var drop = new HashSet<string>(names, StringComparer.Ordinal);
        return new Columns(Known.Where(c => !drop.Contains(c.Name)).ToEquatableArray());
    }

    public Columns Only(IEnumerable<string> names)
    {
        var keep = new HashSet<string>(names, StringComparer.Ordinal);
        return new Columns(Known.Where(c => keep.Contains(c.Name)).ToEquatableArray());
    }
}

/// <summary>An abstract value.</summary>
internal abstract record Val
{
    public Taint Taint { get; init; } = Taint.None;
}

/// <summary>Nothing known (but what it was computed from).</summary>
internal sealed record UnknownVal : Val
{
    public static readonly UnknownVal Instance = new();
}

/// <summary>A <c>Table&lt;TRole&gt;</c>: its rows, role, known columns (positive facts only: what is not known is absent), the fitted transformers applied to it and the statistic columns added to it.</summary>
internal sealed record TableVal(RowSet Rows, Role Role, Columns Columns, EquatableArray<FitInfo> Applied, EquatableArray<StatColumn> StatColumns) : Val
{
    /// <summary>Where its rows were put in a random order (<c>Rows</c> of shuffled indices); null when they keep the order they came in.</summary>
    public Shuffle? ShuffledBy { get; init; }
}

/// <summary>A <c>Dataset</c> made by <c>ToDataset</c> of a table.</summary>
internal sealed record DatasetVal(TableVal Source) : Val;

/// <summary>A <c>FittedTransformer</c>.</summary>
internal sealed record FittedVal(FitInfo Fit) : Val;

/// <summary>An unfitted <c>Transformer</c>.</summary>
internal sealed record TransformerVal(TransformerInfo Info) : Val;

/// <summary>The result of a split: a TrainTestSplit, TrainValidationSplit, TrainValidationTestSplit, or the folds of KFold.</summary>
internal sealed record SplitVal(SplitSite Site, TableVal Input) : Val;

/// <summary>One fold of a KFold split.</summary>
internal sealed record FoldVal(SplitSite Site, TableVal Input) : Val;

/// <summary>A tuple (e.g. FitTransform's result).</summary>
internal sealed record TupleVal(EquatableArray<Val> Items) : Val;

/// <summary>A compile-time constant (enum members as their underlying int).</summary>
internal sealed record ConstVal(object? Value) : Val;

/// <summary>A list (array, collection expression, params): its items; <see cref="Complete"/> when there is no other (no spread of something unknown).</summary>
internal sealed record ListVal(EquatableArray<Val> Items, bool Complete) : Val;

/// <summary>A TableColumn or ColumnSpec: name and role when known.</summary>
internal sealed record ColumnVal(string? Name, int? Role) : Val;

/// <summary>A TableSchema.</summary>
internal sealed record SchemaVal(Columns Columns) : Val;

/// <summary>A model object; <see cref="Id"/> is the symbol or creation that identifies it.</summary>
internal sealed record ModelVal(object Id) : Val;

/// <summary>The abstract state at a program point: the values of locals and parameters, and how often each model was trained.</summary>
internal sealed class FlowState : IEquatable<FlowState>
{
    public static readonly FlowState Empty = new(
        ImmutableDictionary.Create<ISymbol, Val>(SymbolEqualityComparer.Default), ImmutableDictionary<object, int>.Empty);

    public FlowState(ImmutableDictionary<ISymbol, Val> locals, ImmutableDictionary<object, int> fits)
    {
        Locals = locals;
        Fits = fits;
    }

    public ImmutableDictionary<ISymbol, Val> Locals { get; }

    /// <summary>Model id → number of Fit calls so far (−1: differs between paths).</summary>
    public ImmutableDictionary<object, int> Fits { get; }

    public FlowState With(ISymbol symbol, Val value) => new(Locals.SetItem(symbol, value), Fits);

    public FlowState WithFits(ImmutableDictionary<object, int> fits) => new(Locals, fits);

    public static Val Join(Val a, Val b) =>
        a.Equals(b) ? a : new UnknownVal { Taint = a.Taint.Union(b.Taint) };

    public FlowState Join(FlowState other)
    {
        if (ReferenceEquals(this, other)) return this;
        var locals = Locals;
        foreach (var kv in other.Locals)
            locals = locals.TryGetValue(kv.Key, out var mine) ? (mine.Equals(kv.Value) ? locals : locals.SetItem(kv.Key, Join(mine, kv.Value))) : locals.SetItem(kv.Key, kv.Value);
        var fits = Fits;
        foreach (var kv in other.Fits)
            fits = fits.TryGetValue(kv.Key, out int mine) ? (mine == kv.Value ? fits : fits.SetItem(kv.Key, -1)) : fits.SetItem(kv.Key, -1);
        foreach (var kv in Fits)
            if (!other.Fits.ContainsKey(kv.Key)) fits = fits.SetItem(kv.Key, -1);
        return new FlowState(locals, fits);
    }

    /// <summary>Every local whose value differs from <paramref name="entry"/> becomes Unknown (loop widening).</summary>
    public FlowState WidenFrom(FlowState entry)
    {
        var locals = Locals;
        foreach (var kv in Locals)
            if (!entry.Locals.TryGetValue(kv.Key, out var before) || !before.Equals(kv.Value))
                locals = locals.SetItem(kv.Key, new UnknownVal { Taint = kv.Value.Taint });
        return new FlowState(locals, Fits);
    }

    public bool Equals(FlowState? other)
    {
        if (other is null) return false;
        if (ReferenceEquals(this, other)) return true;
        if (Locals.Count != other.Locals.Count || Fits.Count != other.Fits.Count) return false;
        foreach (var kv in Locals)
            if (!other.Locals.TryGetValue(kv.Key, out var v) || !v.Equals(kv.Value)) return false;
        foreach (var kv in Fits)
            if (!other.Fits.TryGetValue(kv.Key, out int v) || v != kv.Value) return false;
        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as FlowState);

    public override int GetHashCode() => Locals.Count * 31 + Fits.Count;
}
