using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace ModelGen.Analyzers.Leakage;

/// <summary>The symbols of ModelGen's data API the leakage analysis recognises, resolved by metadata name once per compilation.</summary>
internal sealed class DataApi
{
    private DataApi(Compilation c, INamedTypeSymbol split)
    {
        Split = split;
        Table = c.GetTypeByMetadataName("ModelGen.Data.Table");
        TableOf = c.GetTypeByMetadataName("ModelGen.Data.Table`1");
        Unsplit = c.GetTypeByMetadataName("ModelGen.Data.Unsplit");
        Train = c.GetTypeByMetadataName("ModelGen.Data.Train");
        Validation = c.GetTypeByMetadataName("ModelGen.Data.Validation");
        Test = c.GetTypeByMetadataName("ModelGen.Data.Test");
        TableRoles = c.GetTypeByMetadataName("ModelGen.Data.TableRoles");
        SplitKind = c.GetTypeByMetadataName("ModelGen.Data.SplitKind");
        Fold = c.GetTypeByMetadataName("ModelGen.Data.Fold");
        Transformer = c.GetTypeByMetadataName("ModelGen.Data.Transformer");
        FittedTransformer = c.GetTypeByMetadataName("ModelGen.Data.FittedTransformer");
        Sampler = c.GetTypeByMetadataName("ModelGen.Data.Sampler");
        Pipeline = c.GetTypeByMetadataName("ModelGen.Data.Pipeline");
        PolynomialFeatures = c.GetTypeByMetadataName("ModelGen.Data.PolynomialFeatures");
        FeatureHasher = c.GetTypeByMetadataName("ModelGen.Data.FeatureHasher");
        ColumnSpec = c.GetTypeByMetadataName("ModelGen.Data.ColumnSpec");
        TableSchema = c.GetTypeByMetadataName("ModelGen.Data.TableSchema");
        TableColumn = c.GetTypeByMetadataName("ModelGen.Data.TableColumn");
        ColumnRole = c.GetTypeByMetadataName("ModelGen.Data.ColumnRole");
        CsvReader = c.GetTypeByMetadataName("ModelGen.Data.CsvReader");
        IRowSchema = c.GetTypeByMetadataName("ModelGen.Data.IRowSchema");
        Dataset = c.GetTypeByMetadataName("ModelGen.Dataset");
        Model = c.GetTypeByMetadataName("ModelGen.Model");
        ModelScores = c.GetTypeByMetadataName("ModelGen.Metrics.ModelScores");
        Enumerable = c.GetTypeByMetadataName("System.Linq.Enumerable");
        Array = c.GetTypeByMetadataName("System.Array");
        MemoryExtensions = c.GetTypeByMetadataName("System.MemoryExtensions");
        Random = c.GetTypeByMetadataName("System.Random");
        Guid = c.GetTypeByMetadataName("System.Guid");
        MathType = c.GetTypeByMetadataName("System.Math");
        TableRow = c.GetTypeByMetadataName("ModelGen.Data.TableRow");
        ImageAugmentation = c.GetTypeByMetadataName("ModelGen.ImageAugmentation");
        ClassSampling = c.GetTypeByMetadataName("ModelGen.ClassSampling");
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
        var api = new DataApi(compilation, split);
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
    public INamedTypeSymbol? Enumerable { get; }
    public INamedTypeSymbol? Array { get; }
    public INamedTypeSymbol? MemoryExtensions { get; }
    public INamedTypeSymbol? Random { get; }
    public INamedTypeSymbol? Guid { get; }
    public INamedTypeSymbol? MathType { get; }
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

    /// <summary>Whether a type is part of the data API: a type of ModelGen.Data (Table&lt;T&gt;, Split, Fold, transformers, ...), a collection of them, or a Dataset.</summary>
    public bool IsDataType(ITypeSymbol? type)
    {
        if (type is null) return false;
        if (Is(type, Dataset)) return true;
        if (type.ContainingNamespace is { Name: "Data", ContainingNamespace: { Name: "ModelGen", ContainingNamespace.IsGlobalNamespace: true } }) return true;
        if (type is INamedTypeSymbol { TypeArguments.Length: > 0 } named)
            foreach (var a in named.TypeArguments)
                if (a.ContainingNamespace is { Name: "Data", ContainingNamespace: { Name: "ModelGen", ContainingNamespace.IsGlobalNamespace: true } }) return true;
        return false;
    }
}
