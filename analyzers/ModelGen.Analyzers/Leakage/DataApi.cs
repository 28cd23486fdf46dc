using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace ModelGen.Analyzers.Leakage;

/// <summary>The symbols of ModelGen's data API the leakage analysis recognises, resolved by metadata name once per compilation.</summary>
internal sealed class DataApi
{
    private DataApi(INamedTypeSymbol split)
    {
        // Every type below lives in ModelGen's own assembly: looking it up there reads one assembly, where a
        // compilation-wide lookup searches every reference (a first build pays for loading their namespaces).
        var a = split.ContainingAssembly;
        Split = split;
        Table = a.GetTypeByMetadataName("ModelGen.Data.Table");
        TableOf = a.GetTypeByMetadataName("ModelGen.Data.Table`1");
        Unsplit = a.GetTypeByMetadataName("ModelGen.Data.Unsplit");
        Train = a.GetTypeByMetadataName("ModelGen.Data.Train");
        Validation = a.GetTypeByMetadataName("ModelGen.Data.Validation");
        Test = a.GetTypeByMetadataName("ModelGen.Data.Test");
        TableRoles = a.GetTypeByMetadataName("ModelGen.Data.TableRoles");
        SplitKind = a.GetTypeByMetadataName("ModelGen.Data.SplitKind");
        Fold = a.GetTypeByMetadataName("ModelGen.Data.Fold");
        Transformer = a.GetTypeByMetadataName("ModelGen.Data.Transformer");
        FittedTransformer = a.GetTypeByMetadataName("ModelGen.Data.FittedTransformer");
        Sampler = a.GetTypeByMetadataName("ModelGen.Data.Sampler");
        Pipeline = a.GetTypeByMetadataName("ModelGen.Data.Pipeline");
        PolynomialFeatures = a.GetTypeByMetadataName("ModelGen.Data.PolynomialFeatures");
        FeatureHasher = a.GetTypeByMetadataName("ModelGen.Data.FeatureHasher");
        ColumnSpec = a.GetTypeByMetadataName("ModelGen.Data.ColumnSpec");
        TableSchema = a.GetTypeByMetadataName("ModelGen.Data.TableSchema");
        TableColumn = a.GetTypeByMetadataName("ModelGen.Data.TableColumn");
        ColumnRole = a.GetTypeByMetadataName("ModelGen.Data.ColumnRole");
        CsvReader = a.GetTypeByMetadataName("ModelGen.Data.CsvReader");
        IRowSchema = a.GetTypeByMetadataName("ModelGen.Data.IRowSchema");
        Dataset = a.GetTypeByMetadataName("ModelGen.Dataset");
        Model = a.GetTypeByMetadataName("ModelGen.Model");
        ModelScores = a.GetTypeByMetadataName("ModelGen.Metrics.ModelScores");
        TableRow = a.GetTypeByMetadataName("ModelGen.Data.TableRow");
        ImageAugmentation = a.GetTypeByMetadataName("ModelGen.ImageAugmentation");
        ClassSampling = a.GetTypeByMetadataName("ModelGen.ClassSampling");
        SplitKinds = EnumValues(SplitKind);
        ColumnRoles = EnumValues(ColumnRole);
        RoleTimestamp = Value(ColumnRoles, "Timestamp");
        RoleGroupKey = Value(ColumnRoles, "GroupKey");
        RoleKnownAfterOutcome = Value(ColumnRoles, "KnownAfterOutcome");
        RoleLabel = Value(ColumnRoles, "Label");
        RoleFeature = Value(ColumnRoles, "Feature");
        KindRandom = Value(SplitKinds, "Random");
        KindStratified = Value(SplitKinds, "Stratified");
        KindGroup = Value(SplitKinds, "Group");
    }

    /// <summary>The API, or null when the compilation does not reference ModelGen's data API.</summary>
    public static DataApi? Create(Compilation compilation)
    {
        var split = compilation.GetTypeByMetadataName("ModelGen.Data.Split");
        if (split is null) return null;
        var api = new DataApi(split);
        return api.TableOf is null || api.Table is null || api.TableRoles is null || api.Transformer is null || api.FittedTransformer is null ? null : api;
    }

    public INamedTypeSymbol Split { get; }
    public INamedTypeSymbol? Table { get; }
    public INamedTypeSymbol? TableOf { get; }
    public INamedTypeSymbol? Unsplit { get; }
    public INamedTypeSymbol? Train { get; }
    public INamedTypeSymbol? Validation { get; }
    public INamedTypeSymbol? Test { get; }
    public INamedTypeSymbol? TableRoles { get; }
    public INamedTypeSymbol? SplitKind { get; }
    public INamedTypeSymbol? Fold { get; }
    public INamedTypeSymbol? Transformer { get; }
    public INamedTypeSymbol? FittedTransformer { get; }
    public INamedTypeSymbol? Sampler { get; }
    public INamedTypeSymbol? Pipeline { get; }
    public INamedTypeSymbol? PolynomialFeatures { get; }
    public INamedTypeSymbol? FeatureHasher { get; }
    public INamedTypeSymbol? ColumnSpec { get; }
    public INamedTypeSymbol? TableSchema { get; }
    public INamedTypeSymbol? TableColumn { get; }
    public INamedTypeSymbol? ColumnRole { get; }
    public INamedTypeSymbol? CsvReader { get; }
    public INamedTypeSymbol? IRowSchema { get; }
    public INamedTypeSymbol? Dataset { get; }
    public INamedTypeSymbol? Model { get; }
    public INamedTypeSymbol? ModelScores { get; }
    public INamedTypeSymbol? TableRow { get; }
    public INamedTypeSymbol? ImageAugmentation { get; }
    public INamedTypeSymbol? ClassSampling { get; }

    public IReadOnlyDictionary<string, int> SplitKinds { get; }
    public IReadOnlyDictionary<string, int> ColumnRoles { get; }
    public int RoleTimestamp { get; }
    public int RoleGroupKey { get; }
    public int RoleKnownAfterOutcome { get; }
    public int RoleLabel { get; }
    public int RoleFeature { get; }
    public int KindRandom { get; }
    public int KindStratified { get; }
    public int KindGroup { get; }

    public string? KindName(int value)
    {
        foreach (var kv in SplitKinds) if (kv.Value == value) return kv.Key;
        return null;
    }

    private static Dictionary<string, int> EnumValues(INamedTypeSymbol? type)
    {
        var values = new Dictionary<string, int>();
        if (type is null) return values;
        foreach (var m in type.GetMembers())
            if (m is IFieldSymbol { HasConstantValue: true } f && f.ConstantValue is int v) values[f.Name] = v;
        return values;
    }

    private static int Value(IReadOnlyDictionary<string, int> values, string name) => values.TryGetValue(name, out int v) ? v : int.MinValue;

    /// <summary>
    /// Whether <paramref name="type"/> is the top-level type <c>System.Name</c> or <c>System.Linq.Name</c> (Enumerable, Math,
    /// Random, Guid, Array, MemoryExtensions), by name: resolving these by metadata name would search every referenced assembly.
    /// </summary>
    public static bool IsSystemType(ITypeSymbol? type, string name, bool linq = false) =>
        type is { ContainingType: null } && type.Name == name
        && type.ContainingNamespace is { } ns
        && (linq ? ns is { Name: "Linq", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } }
                 : ns is { Name: "System", ContainingNamespace.IsGlobalNamespace: true });

    public static bool Is(ITypeSymbol? type, INamedTypeSymbol? expected) =>
        type is not null && expected is not null && SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, expected);

    /// <summary>Whether <paramref name="type"/> is <paramref name="baseType"/> or derives from it.</summary>
    public static bool DerivesFrom(ITypeSymbol? type, INamedTypeSymbol? baseType)
    {
        if (baseType is null) return false;
        for (var t = type; t is not null; t = t.BaseType)
            if (SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, baseType)) return true;
        return false;
    }

    /// <summary>The role of a <c>Table&lt;TRole&gt;</c> type; None for other types.</summary>
    public Role RoleOf(ITypeSymbol? type)
    {
        if (type is not INamedTypeSymbol { TypeArguments.Length: 1 } named || !Is(named, TableOf)) return Role.None;
        var arg = named.TypeArguments[0];
        if (Is(arg, Unsplit)) return Role.Unsplit;
        if (Is(arg, Train)) return Role.Train;
        if (Is(arg, Validation)) return Role.Validation;
        if (Is(arg, Test)) return Role.Test;
        return Role.None;
    }

    public bool IsModel(ITypeSymbol? type) => Model is not null && DerivesFrom(type, Model) && !Is(type, Model);

    public bool IsAnyModel(ITypeSymbol? type) => DerivesFrom(type, Model);

    /// <summary>What the analysis knows of a transformer from its type alone.</summary>
    public TransformerInfo InfoOf(ITypeSymbol? type, bool explicitColumns)
    {
        string name = type?.Name ?? "Transformer";
        bool stateless = Is(type, PolynomialFeatures) || Is(type, FeatureHasher);
        bool resamples = DerivesFrom(type, Sampler);
        bool known = type is not null && type.ContainingNamespace?.ToDisplayString() == "ModelGen.Data" && !Is(type, Transformer) && !Is(type, Sampler) && !Is(type, Pipeline);
        bool oversamples = known && name is "RandomOverSampler" or "Smote";
        return new TransformerInfo(name, !stateless, resamples, known && !explicitColumns, !resamples || oversamples);
    }

    /// <summary>Whether a type is part of the table API: a type of ModelGen.Data (Table&lt;T&gt;, Split, Fold, transformers, ...) or a collection of them.</summary>
    public static bool IsTableApiType(ITypeSymbol? type)
    {
        if (type is null) return false;
        if (type.ContainingNamespace is { Name: "Data", ContainingNamespace: { Name: "ModelGen", ContainingNamespace.IsGlobalNamespace: true } }) return true;
        if (type is INamedTypeSymbol { TypeArguments.Length: > 0 } named)
            foreach (var a in named.TypeArguments)
                if (a.ContainingNamespace is { Name: "Data", ContainingNamespace: { Name: "ModelGen", ContainingNamespace.IsGlobalNamespace: true } }) return true;
        return false;
    }
}
