using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ModelGen.FrontEnd;

/// <summary>
/// How a model that cannot derive from ModelGen.Model (another base class, MG0010; a layer named like one of Model's abstract
/// properties, MG0017) still gets Model's public surface: each public instance member of Model, written from Model's own
/// symbols (so the copy follows the library), for the generated part to declare as a member that throws.
/// </summary>
internal static partial class ModelParser
{
    private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat.WithMiscellaneousOptions(
        SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers | SymbolDisplayMiscellaneousOptions.UseSpecialTypes
        | SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>"&lt;TLabel, TScore&gt;" for a generic type, else "".</summary>
    private static string TypeParameterList(INamedTypeSymbol type) =>
        type.TypeParameters.Length == 0 ? "" : "<" + string.Join(", ", type.TypeParameters.Select(p => p.Name)) + ">";

    /// <summary>
    /// Whether the class keeps its own base (or a layer takes the name of one of Model's abstract properties, which an
    /// override would need), so the generated part cannot derive from Model.
    /// </summary>
    private static bool NeedsCopiedSurface(bool canAddBase, INamedTypeSymbol? modelBase, IEnumerable<string> layerNames) =>
        !canAddBase || (modelBase is not null && layerNames.Any(n => modelBase.GetMembers(n).Any(m => m is IPropertySymbol { IsAbstract: true })));

    /// <summary>
    /// The declarations (without bodies) of Model's public instance members that a layer name does not take, each marked
    /// "M " (a method or read-only property: an expression body follows) or "P " (a property with a public setter).
    /// </summary>
    private static List<string> CopiedSurface(INamedTypeSymbol modelBase, ICollection<string> layerNames)
    {
        var members = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var t = modelBase; t is not null && t.SpecialType != SpecialType.System_Object; t = t.BaseType)
            foreach (var member in t.GetMembers())
            {
                if (member.IsStatic || member.IsImplicitlyDeclared || member.IsOverride || member.DeclaredAccessibility != Accessibility.Public) continue;
                string? declaration = member switch
                {
                    IMethodSymbol { MethodKind: MethodKind.Ordinary } m when !layerNames.Contains(m.Name) || !TakesOneTensor(m) => "M " + MethodDeclaration(m),
                    IPropertySymbol { IsIndexer: false } p when !layerNames.Contains(p.Name) && p.GetMethod is { DeclaredAccessibility: Accessibility.Public } =>
                        (p.SetMethod is { DeclaredAccessibility: Accessibility.Public, IsInitOnly: false } ? "P " : "M ") + PropertyDeclaration(p),
                    _ => null,
                };
                // A member hidden by one of a derived class of the same signature appears once.
                if (declaration is not null && seen.Add(declaration)) members.Add(declaration);
            }
        return members;
    }

    /// <summary>A method of a layer method's signature (one Tensor), which a layer of the same name would clash with.</summary>
    private static bool TakesOneTensor(IMethodSymbol m) => m.Parameters.Length == 1 && m.Parameters[0].Type.ToDisplayString() == TensorTypeName;

    private static string PropertyDeclaration(IPropertySymbol p) =>
        $"public {Ref(p.RefKind)}{p.Type.ToDisplayString(TypeFormat)} {Escape(p.Name)}";

    private static string MethodDeclaration(IMethodSymbol m)
    {
        var text = new StringBuilder("public ");
        text.Append(Ref(m.RefKind)).Append(m.ReturnsVoid ? "void" : m.ReturnType.ToDisplayString(TypeFormat)).Append(' ').Append(Escape(m.Name));
        if (m.TypeParameters.Length > 0) text.Append('<').Append(string.Join(", ", m.TypeParameters.Select(p => p.Name))).Append('>');
        text.Append('(').Append(string.Join(", ", m.Parameters.Select(Parameter))).Append(')');
        foreach (var p in m.TypeParameters)
        {
            var constraints = new List<string>();
            if (p.HasUnmanagedTypeConstraint) constraints.Add("unmanaged");
            else if (p.HasValueTypeConstraint) constraints.Add("struct");
            else if (p.HasReferenceTypeConstraint) constraints.Add("class");
            else if (p.HasNotNullConstraint) constraints.Add("notnull");
            constraints.AddRange(p.ConstraintTypes.Select(c => c.ToDisplayString(TypeFormat)));
            if (p.HasConstructorConstraint) constraints.Add("new()");
            if (constraints.Count > 0) text.Append(" where ").Append(p.Name).Append(" : ").Append(string.Join(", ", constraints));
        }
        return text.ToString();
    }

    private static string Parameter(IParameterSymbol p)
    {
        string modifier = p.IsParams ? "params " : p.RefKind switch
        {
            RefKind.Ref => "ref ",
            RefKind.Out => "out ",
            RefKind.In => "in ",
            _ => "",
        };
        string text = $"{modifier}{p.Type.ToDisplayString(TypeFormat)} {Escape(p.Name)}";
        return p.HasExplicitDefaultValue ? text + " = " + DefaultValue(p.Type, p.ExplicitDefaultValue) : text;
    }

    /// <summary>An optional parameter's default as C#: constants as literals, enums cast from their value, anything else <c>default</c>.</summary>
    private static string DefaultValue(ITypeSymbol type, object? value) => value switch
    {
        null => "default",
        _ when type.TypeKind == TypeKind.Enum => $"({type.ToDisplayString(TypeFormat)})({Convert.ToString(value, CultureInfo.InvariantCulture)})",
        bool b => b ? "true" : "false",
        float f => f.ToString("R", CultureInfo.InvariantCulture) + "f",
        double d => d.ToString("R", CultureInfo.InvariantCulture) + "d",
        decimal m => m.ToString(CultureInfo.InvariantCulture) + "m",
        string s => SymbolDisplay.FormatLiteral(s, quote: true),
        char c => SymbolDisplay.FormatLiteral(c, quote: true),
        long l => l.ToString(CultureInfo.InvariantCulture) + "L",
        ulong u => u.ToString(CultureInfo.InvariantCulture) + "UL",
        uint u => u.ToString(CultureInfo.InvariantCulture) + "U",
        IFormattable n => $"({type.ToDisplayString(TypeFormat)})({n.ToString(null, CultureInfo.InvariantCulture)})",
        _ => "default",
    };

    private static string Ref(RefKind kind) => kind switch
    {
        RefKind.Ref => "ref ",
        RefKind.RefReadOnly => "ref readonly ",
        _ => "",
    };

    private static string Escape(string name) => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    /// <summary>
    /// The arguments ("" for none) with which a generated constructor calls a base constructor the class can reach, the one
    /// with the fewest parameters; null when it reaches none.
    /// </summary>
    private static string? BaseConstructorArguments(INamedTypeSymbol type)
    {
        if (type.BaseType is not { } baseType) return "";
        var reachable = baseType.InstanceConstructors
            .Where(c => c.DeclaredAccessibility is Accessibility.Public or Accessibility.Protected or Accessibility.ProtectedOrInternal
                || (c.DeclaredAccessibility is Accessibility.Internal or Accessibility.ProtectedAndInternal && SymbolEqualityComparer.Default.Equals(c.ContainingAssembly, type.ContainingAssembly)))
            .OrderBy(c => c.Parameters.Length)
            .FirstOrDefault();
        if (reachable is null || reachable.Parameters.Any(p => p.RefKind != RefKind.None)) return null;
        return string.Join(", ", reachable.Parameters.Select(p => $"default({p.Type.ToDisplayString(TypeFormat)})!"));
    }
}
