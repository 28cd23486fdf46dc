using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ModelGen.CodeFixes;

/// <summary>MG0206: a masking Embedding without a padding id gets <c>PaddingIndex = 0</c> (the id Keras' <c>mask_zero</c> and most tokenizers pad with).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MaskPaddingIndexCodeFix)), Shared]
public sealed class MaskPaddingIndexCodeFix : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("MG0206");

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            // The diagnostic is on the MaskPadding argument; the padding id goes just before it.
            if (root.FindNode(diagnostic.Location.SourceSpan) is not AttributeArgumentSyntax { Parent: AttributeArgumentListSyntax list } mask) continue;
            context.RegisterCodeFix(
                CodeAction.Create(
                    "Pad with id 0 (PaddingIndex = 0)",
                    _ =>
                    {
                        var padding = SyntaxFactory.AttributeArgument(
                            SyntaxFactory.NameEquals(SyntaxFactory.IdentifierName("PaddingIndex")),
                            null,
                            SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(0)));
                        var arguments = list.Arguments.Insert(list.Arguments.IndexOf(mask), padding);
                        return Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(list, list.WithArguments(arguments).NormalizeWhitespace().WithTriviaFrom(list))));
                    },
                    equivalenceKey: "MG0206.PaddingIndexZero"),
                diagnostic);
        }
    }
}
