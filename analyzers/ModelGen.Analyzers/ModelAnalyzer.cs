using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using ModelGen.FrontEnd;

namespace ModelGen.Analyzers;

/// <summary>
/// Reports declaration and shape mistakes in [Model] classes, using the generator's own parser and
/// shape engine, on the exact attribute argument or [Forward] sub-expression at fault.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ModelAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Diagnostics.All);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var modelAttribute = start.Compilation.GetTypeByMetadataName(ModelParser.ModelAttributeName);
            if (modelAttribute is null) return;
            bool unsafeAllowed = start.Compilation.Options is CSharpCompilationOptions { AllowUnsafe: true };
            var models = ModelAnalyses.Of(start.Compilation);
            start.RegisterSymbolAction(symbolContext => AnalyzeType(symbolContext, modelAttribute, unsafeAllowed, models), SymbolKind.NamedType);
        });
    }

    private static void AnalyzeType(SymbolAnalysisContext context, INamedTypeSymbol modelAttribute, bool unsafeAllowed, ModelAnalyses models)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        var attribute = type.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, modelAttribute));
        if (attribute is null) return;

        var analysis = models.Get(type, attribute, context.CancellationToken);
        var parsed = analysis.Parsed;
        bool errors = false;
        void Report(Diagnostic diagnostic)
        {
            errors |= diagnostic.Severity == DiagnosticSeverity.Error;
            context.ReportDiagnostic(diagnostic);
        }
        foreach (var diagnostic in parsed.Diagnostics) Report(diagnostic);
        if (!unsafeAllowed)
            Report(Diagnostic.Create(Diagnostics.UnsafeBlocksDisabled, parsed.Locations.Model, type.Name));

        // Shapes are checked only on a graph that parsed; otherwise the declaration errors come first.
        if (analysis.Plan is not { } plan) return;
        foreach (var problem in plan.Problems)
        {
            var descriptor = Diagnostics.All.First(d => d.Id == problem.Id);
            var location = problem.Target switch
            {
                ProblemTarget.ModelInput => parsed.Locations.InputArgument ?? parsed.Locations.Model,
                ProblemTarget.ModelLoss => parsed.Locations.LossArgument ?? parsed.Locations.Model,
                ProblemTarget.LayerAttribute => parsed.Locations.Layers[problem.Index].Attribute,
                ProblemTarget.LayerArgument => parsed.Locations.Layers[problem.Index].ArgumentOrAttribute(problem.Argument),
                ProblemTarget.Node => parsed.Locations.Nodes[problem.Index],
                ProblemTarget.Input => parsed.Locations.Graph.Inputs[problem.Index].Attribute,
                ProblemTarget.Head => parsed.Locations.Graph.MatchedHeads[problem.Index],
                ProblemTarget.Output => parsed.Locations.Graph.Return ?? parsed.Locations.Model,
                ProblemTarget.LossTerm => parsed.Locations.LossTerms.Terms[problem.Index].Term,
                _ => parsed.Locations.Model,
            };
            // Code fixes read what to write from the properties: the inferred value and the layer at fault.
            var properties = problem.Fix.Length == 0
                ? ImmutableDictionary<string, string?>.Empty
                : ImmutableDictionary<string, string?>.Empty.Add(FixProperties.Value, problem.Fix).Add(FixProperties.Layer, problem.MessageArgs[0]);
            // MG0201's fix names the width its head counts divide.
            if (problem.Id is "MG0201" or "MG0211") properties = properties.Add(FixProperties.Width, problem.MessageArgs[1]);
            Report(Diagnostic.Create(descriptor, location, properties, problem.MessageArgs.Cast<object>().ToArray()));
        }

        // Where the model builds, each construct that keeps it on the CPU says so once (a model with errors gets no code to run).
        if (errors) return;
        foreach (var construct in CudaCoverage.CpuOnlyConstructs(parsed.Spec))
        {
            var location = construct.Target switch
            {
                CpuOnlyTarget.LayerAttribute => parsed.Locations.Layers[construct.Index].Attribute,
                CpuOnlyTarget.Node => parsed.Locations.Nodes[construct.Index],
                _ => parsed.Locations.LossTerms.Terms[construct.Index].Call,
            };
            context.ReportDiagnostic(Diagnostic.Create(Diagnostics.CpuOnlyConstruct, location, construct.What, type.Name));
        }
    }
}

/// <summary>Keys of the diagnostic properties that the code fixes read.</summary>
public static class FixProperties
{
    /// <summary>The value to write: the inferred width for MG0007, the flat width for MG0014, "fewer,more" head counts for MG0201.</summary>
    public const string Value = "ModelGen.FixValue";

    /// <summary>The name of the layer method at fault.</summary>
    public const string Layer = "ModelGen.Layer";

    /// <summary>The width a head count must divide (MG0201).</summary>
    public const string Width = "ModelGen.Width";
}
