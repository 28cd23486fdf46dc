using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ModelGen.Analyzers;

namespace ModelGen.CodeFixes;

/// <summary>
/// MG0014: inserts a <c>[Flatten]</c> layer method before the Dense layer that got a multi-dimensional
/// input; in a <c>[Forward]</c> method it also routes the call's argument through it.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(InsertFlattenCodeFix)), Shared]
public sealed class InsertFlattenCodeFix : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("MG0014");

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(FixProperties.Layer, out var layerName) || layerName is null) continue;
            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            var type = node.FirstAncestorOrSelf<TypeDeclarationSyntax>();
            if (type is null) continue;
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Insert a [Flatten] layer before '{layerName}'",
                    ct => Task.FromResult(context.Document.WithSyntaxRoot(InsertFlatten(root, type, node, layerName, ct))),
                    equivalenceKey: "MG0014.InsertFlatten"),
                diagnostic);
        }
    }

    private static SyntaxNode InsertFlatten(SyntaxNode root, TypeDeclarationSyntax type, SyntaxNode reported, string layerName, CancellationToken cancellationToken)
    {
        var taken = new HashSet<string>(type.Members.OfType<MethodDeclarationSyntax>().Select(m => m.Identifier.ValueText));
        string name = "Flat";
        for (int i = 2; taken.Contains(name); i++) name = "Flat" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var layer = type.Members.OfType<MethodDeclarationSyntax>().FirstOrDefault(m => m.Identifier.ValueText == layerName);
        var call = reported.FirstAncestorOrSelf<InvocationExpressionSyntax>();
        bool inForward = call is not null && call.ArgumentList.Arguments.Count == 1;

        // In [Forward], the new layer goes before the first layer method; otherwise right before the Dense at fault.
        var anchor = inForward
            ? type.Members.OfType<MethodDeclarationSyntax>().FirstOrDefault(m => m.AttributeLists.Count > 0 && m.Body is null && m.ExpressionBody is null) ?? layer
            : layer;
        if (anchor is null) return root;

        var tracked = root.TrackNodes(new SyntaxNode[] { anchor }.Concat(inForward ? new SyntaxNode[] { call!.ArgumentList.Arguments[0].Expression } : new SyntaxNode[0]));
        if (inForward)
        {
            var argument = tracked.GetCurrentNode(call!.ArgumentList.Arguments[0].Expression)!;
            var wrapped = SyntaxFactory.InvocationExpression(
                    SyntaxFactory.IdentifierName(name),
                    SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(argument.WithoutTrivia()))))
                .WithTriviaFrom(argument);
            tracked = tracked.ReplaceNode(argument, wrapped);
        }

        var currentAnchor = tracked.GetCurrentNode(anchor)!;
        string modifiers = string.Join(" ", currentAnchor.Modifiers.Where(m => !m.IsKind(SyntaxKind.PartialKeyword)).Select(m => m.Text));
        if (modifiers.Length == 0) modifiers = "private";
        var member = (MemberDeclarationSyntax)SyntaxFactory.ParseMemberDeclaration($"[Flatten] {modifiers} partial Tensor {name}(Tensor x);")!;
        // Same indentation as the anchor, and the document's own line ending.
        var indentation = currentAnchor.GetLeadingTrivia().Reverse().TakeWhile(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).Reverse();
        var lineEnd = currentAnchor.GetTrailingTrivia().Concat(currentAnchor.DescendantTrivia()).FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        member = member.WithLeadingTrivia(indentation)
            .WithTrailingTrivia(lineEnd.IsKind(SyntaxKind.EndOfLineTrivia) ? lineEnd : SyntaxFactory.EndOfLine("\n"));
        return tracked.InsertNodesBefore(currentAnchor, new[] { member });
    }
}
