using System.Collections.Generic;
using System.Linq;

namespace ModelGen.FrontEnd;

// A sub-model's input: the shape it was declared with ([Model(Input = …)] on the sub-model) is the shape its layers were
// checked for, so the value a composite gives it must have exactly that shape.
internal static partial class ShapeInference
{
    private static SubmodelCall? SubmodelCallAt(ModelSpec spec, int node)
    {
        foreach (var call in spec.Graph.SubmodelCalls)
            if (call.FirstNode == node) return call;
        return null;
    }

    /// <summary>False (and MG0412) when the argument's known shape differs from the sub-model's declared input shape.</summary>
    private static bool CheckSubmodelInput(ModelSpec spec, SubmodelCall call, Dim[][] shapes, List<ShapeProblem> problems)
    {
        var sub = spec.Submodels[call.Submodel];
        var given = shapes[call.Argument];
        if (given.Length == 0) return false;   // already reported where it became unknown
        var declared = sub.InputShape;
        bool equal = given.Length == declared.Count + 1;
        for (int i = 1; equal && i < given.Length; i++) equal = given[i].IsKnown && given[i].Bound == declared[i - 1];
        if (equal) return true;
        string declaredSize = SizeArithmetic(declared.Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList(), Sizes.Product(declared));
        var givenDims = given.Skip(1).Select(d => d.ToString()).ToList();
        bool allKnown = given.Skip(1).All(d => d.IsKnown);
        string givenSize = allKnown ? SizeArithmetic(givenDims, given.Skip(1).Aggregate(1L, (p, d) => p * d.Bound)) : "a size not known at build time";
        string verdict = allKnown && given.Skip(1).Aggregate(1L, (p, d) => p * d.Bound) == Sizes.Product(declared)
            ? $"; the sizes agree, but the shapes must be equal: reshape it to {Text(declared)} first"
            : "; the sizes differ";
        problems.Add(new ShapeProblem("MG0412", ProblemTarget.Node, call.FirstNode, "", new[]
        {
            sub.Name, sub.ShortTypeName, Text(declared), declaredSize, DescribeArgument(spec, call.Argument, shapes), SampleText(given), givenSize, verdict,
        }.ToEquatableArray()));
        return false;
    }

    /// <summary>"64 values" for one dimension, "1·8·8 = 64 values" for several.</summary>
    private static string SizeArithmetic(List<string> dims, long product) =>
        dims.Count == 1 ? $"{product} values" : $"{string.Join("·", dims)} = {product} values";

    /// <summary>The argument as a message names it: another sub-model's output by its [Submodel] method, else as any value.</summary>
    private static string DescribeArgument(ModelSpec spec, int node, Dim[][] shapes)
    {
        foreach (var call in spec.Graph.SubmodelCalls)
            if (call.LastNode == node) return $"'{spec.Submodels[call.Submodel].Name}' ({spec.Submodels[call.Submodel].ShortTypeName})";
        return Describe(spec, node, shapes);
    }
}
