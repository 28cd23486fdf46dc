using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Simplification;
using ModelGen.Analyzers;

namespace ModelGen.CodeFixes;

/// <summary>
/// MG0026 and MG0027: replaces the split's <c>SplitKind</c> argument by the kind the table's columns call for,
/// <c>SplitKind.TimeOrdered</c> for a table with a Timestamp column, <c>SplitKind.Group</c> for one with a GroupKey.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SplitKindCodeFix)), Shared]
public sealed class SplitKindCodeFix : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("MG0026", "MG0027");

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(LeakageFixProperties.SplitKind, out var kind) || kind is not ("TimeOrdered" or "Group")) continue;
            if (root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax argument
                || argument.Span != diagnostic.Location.SourceSpan)
                continue;
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Use SplitKind.{kind}",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(argument, Replacement(argument, kind!)))),
                    equivalenceKey: "ModelGen.SplitKind." + kind),
                diagnostic);
        }
    }

    private static ExpressionSyntax Replacement(ExpressionSyntax argument, string kind)
    {
        // SplitKind.Random → SplitKind.TimeOrdered, keeping however the enum was named; anything else (a local, a
        // conditional) becomes the fully qualified member, simplified to what the file's usings allow.
        if (argument is MemberAccessExpressionSyntax { Name: IdentifierNameSyntax name } access)
            return access.WithName(SyntaxFactory.IdentifierName(kind).WithTriviaFrom(name));
        return SyntaxFactory.ParseExpression("global::ModelGen.Data.SplitKind." + kind)
            .WithTriviaFrom(argument)
            .WithAdditionalAnnotations(Simplifier.Annotation);
    }
}
