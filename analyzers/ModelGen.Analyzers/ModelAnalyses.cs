using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using ModelGen.FrontEnd;

namespace ModelGen.Analyzers;

/// <summary>A [Model] class as the front end reads it: the parse, and the shape plan when the graph parsed.</summary>
internal sealed class ModelAnalysis
{
    public ModelAnalysis(ParsedModel parsed, ShapePlan? plan)
    {
        Parsed = parsed;
        Plan = plan;
    }

    public ParsedModel Parsed { get; }

    /// <summary>Null when the graph did not parse (its declaration errors come first).</summary>
    public ShapePlan? Plan { get; }
}

/// <summary>
/// The parse and shape inference of each [Model] class, made once per compilation for every analyzer that needs them
/// (the declaration and shape checks, and the data checks of Fit and Evaluate calls): a first build pays for each model once.
/// </summary>
internal sealed class ModelAnalyses
{
    private static readonly ConditionalWeakTable<Compilation, ModelAnalyses> PerCompilation = new();

    private readonly ConcurrentDictionary<INamedTypeSymbol, Lazy<ModelAnalysis>> _models = new(SymbolEqualityComparer.Default);

    public static ModelAnalyses Of(Compilation compilation) => PerCompilation.GetValue(compilation, _ => new ModelAnalyses());

    /// <summary>The analysis of <paramref name="type"/>, whose [Model] attribute is <paramref name="attribute"/>.</summary>
    public ModelAnalysis Get(INamedTypeSymbol type, AttributeData attribute, CancellationToken cancellationToken)
    {
        while (true)
        {
            var entry = _models.GetOrAdd(type, t => new Lazy<ModelAnalysis>(() => Analyze(t, attribute, cancellationToken)));
            try
            {
                return entry.Value;
            }
            catch (OperationCanceledException)
            {
                // A cancelled analysis is not kept (the entry is removed only if it is still this one); a request whose own
                // token is not cancelled makes it again.
                ((ICollection<KeyValuePair<INamedTypeSymbol, Lazy<ModelAnalysis>>>)_models).Remove(new KeyValuePair<INamedTypeSymbol, Lazy<ModelAnalysis>>(type, entry));
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }

    private static ModelAnalysis Analyze(INamedTypeSymbol type, AttributeData attribute, CancellationToken cancellationToken)
    {
        var parsed = ModelParser.Parse(type, attribute, cancellationToken);
        return new ModelAnalysis(parsed, parsed.Spec.Graph.Output < 0 ? null : ShapeInference.Infer(parsed.Spec));
    }
}
