using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ModelGen.Analyzers;

namespace ModelGen.CodeFixes;

/// <summary>
/// MG0403 and MG0406: a misspelt [Input] or [Head] name is renamed to the one [Forward] parameter without an
/// [Input], or the one returned tuple element without a [Head] (offered only when there is exactly one).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RenameToMatchCodeFix)), Shared]
public sealed class RenameToMatchCodeFix : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("MG0403", "MG0406");

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(FixProperties.Value, out var name) || string.IsNullOrEmpty(name)) continue;
            if (root.FindNode(diagnostic.Location.SourceSpan) is not AttributeArgumentSyntax argument) continue;
            string what = diagnostic.Id == "MG0403" ? "the parameter without an [Input]" : "the output without a [Head]";
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Rename to '{name}' ({what})",
                    _ =>
                    {
                        var literal = SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(name!))
                            .WithTriviaFrom(argument.Expression);
                        return Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(argument.Expression, literal)));
                    },
                    equivalenceKey: diagnostic.Id + ".Rename"),
                diagnostic);
        }
    }
}
