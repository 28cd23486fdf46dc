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

/// <summary>
/// MG0201 and MG0211: changes a MultiHeadAttention's or CrossAttention's head count to the nearest divisor of its width, offering the
/// nearest smaller one (fewer heads) and the nearest larger one (more heads) where there is one. Fix All
/// applies the same choice (fewer or more) to every layer.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AttentionHeadsCodeFix)), Shared]
public sealed class AttentionHeadsCodeFix : CodeFixProvider
{
    /// <summary>Equivalence key of the "fewer heads" fix.</summary>
    public const string FewerHeads = "MG0201.FewerHeads";

    /// <summary>Equivalence key of the "more heads" fix.</summary>
    public const string MoreHeads = "MG0201.MoreHeads";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("MG0201", "MG0211");

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            // The analyzer writes "fewer,more" (or only "fewer" when no larger head count divides the width).
            if (!diagnostic.Properties.TryGetValue(FixProperties.Value, out var value) || value is null) continue;
            if (root.FindNode(diagnostic.Location.SourceSpan) is not AttributeArgumentSyntax argument) continue;
            var counts = value.Split(',').Select(v => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int h) ? h : 0).ToArray();
            string width = diagnostic.Properties.TryGetValue(FixProperties.Width, out var w) ? w ?? "" : "";
            for (int i = 0; i < counts.Length && i < 2; i++)
            {
                int heads = counts[i];
                if (heads < 1) continue;
                context.RegisterCodeFix(
                    CodeAction.Create(
                        $"Change the head count to {heads} ({(i == 0 ? "fewer" : "more")} heads; {heads} divides {width})",
                        _ =>
                        {
                            var literal = SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(heads))
                                .WithTriviaFrom(argument.Expression);
                            return Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(argument.Expression, literal)));
                        },
                        equivalenceKey: i == 0 ? FewerHeads : MoreHeads),
                    diagnostic);
            }
        }
    }
}
