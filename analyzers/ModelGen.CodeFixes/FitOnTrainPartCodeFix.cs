using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ModelGen.Analyzers;

namespace ModelGen.CodeFixes;

/// <summary>
/// MG0019: a transformer fitted on <c>table.AsTrain()</c> after <c>table</c> was split is fitted on the split's training
/// part instead (<c>Fit(table.AsTrain())</c> → <c>Fit(train)</c>). Offered only when the analyzer found exactly one local
/// holding that training part, declared before the fit and in scope there; a fit written before the split is not moved.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FitOnTrainPartCodeFix)), Shared]
public sealed class FitOnTrainPartCodeFix : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("MG0019");

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(LeakageFixProperties.TrainPart, out var trainPart) || string.IsNullOrEmpty(trainPart)) continue;
            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not InvocationExpressionSyntax fit
                || fit.ArgumentList.Arguments.Count != 1)
                continue;
            var argument = fit.ArgumentList.Arguments[0].Expression;
            if (argument is not InvocationExpressionSyntax asTrain
                || model.GetSymbolInfo(asTrain, context.CancellationToken).Symbol is not IMethodSymbol { Name: "AsTrain" } method
                || method.ContainingType?.ToDisplayString() != "ModelGen.Data.TableRoles")
                continue;
            // The name must mean that local where the argument is (not a field or another local it shadows).
            var found = model.LookupSymbols(argument.SpanStart, name: trainPart);
            if (found.Length != 1 || found[0] is not ILocalSymbol local
                || local.DeclaringSyntaxReferences.FirstOrDefault() is not { } declaration || declaration.Span.End > argument.SpanStart)
                continue;
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Fit on '{trainPart}', the training part of the split",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(
                        root.ReplaceNode(argument, SyntaxFactory.IdentifierName(trainPart!).WithTriviaFrom(argument)))),
                    equivalenceKey: "ModelGen.FitOnTrainPart"),
                diagnostic);
        }
    }
}
