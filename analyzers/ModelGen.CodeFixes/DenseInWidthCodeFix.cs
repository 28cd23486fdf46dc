using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ModelGen.Analyzers;

namespace ModelGen.CodeFixes;

/// <summary>MG0007, MG0107, MG0111, MG0306 and MG0036: sets a Dense, Conv2d, ConvTranspose2d, Conv1d, LSTM, GRU or norm layer's stated <c>In</c> to what its input really has.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(DenseInWidthCodeFix)), Shared]
public sealed class DenseInWidthCodeFix : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("MG0007", "MG0107", "MG0111", "MG0306", "MG0036");

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(FixProperties.Value, out var value)
                || !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int width))
                continue;
            if (root.FindNode(diagnostic.Location.SourceSpan) is not AttributeArgumentSyntax argument) continue;
            context.RegisterCodeFix(
                CodeAction.Create(
                    diagnostic.Id switch
                    {
                        "MG0107" or "MG0111" => $"Set In to {width} (the inferred channels)",
                        "MG0306" or "MG0036" => $"Set In to {width} (the inferred size)",
                        _ => $"Set In to {width} (the inferred width)",
                    },
                    _ =>
                    {
                        var literal = SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(width))
                            .WithTriviaFrom(argument.Expression);
                        return Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(argument.Expression, literal)));
                    },
                    equivalenceKey: diagnostic.Id + ".SetIn"),
                diagnostic);
        }
    }
}
