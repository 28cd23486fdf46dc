namespace ModelGen.FrontEnd;

/// <summary>
/// Arithmetic on per-sample sizes (a shape as <see cref="EquatableArray{T}"/> of int), shared by the shape engine, the
/// value plan, the emitters and the analyzers.
/// </summary>
/// <remarks>
/// Plain loops on purpose: the front end runs in every compiler process that has not run it before, and LINQ over a
/// value type (int, <see cref="Dim"/>, a tuple) is compiled there at run time, because ReadyToRun code for framework
/// generics instantiated over such types cannot ship in our assemblies (docs/architecture.md, "Build cost").
/// </remarks>
internal static class Sizes
{
    /// <summary>The product of <paramref name="sizes"/>[<paramref name="from"/>..<paramref name="to"/>) (1 when empty), as int (unchecked, like the runtime's).</summary>
    public static int Product(EquatableArray<int> sizes, int from = 0, int to = int.MaxValue)
    {
        int end = to < sizes.Count ? to : sizes.Count;
        int product = 1;
        for (int i = from > 0 ? from : 0; i < end; i++) product *= sizes[i];
        return product;
    }

    /// <summary>Whether <paramref name="sizes"/> has at least one dimension and every one is at least 1.</summary>
    public static bool AllPositive(EquatableArray<int> sizes)
    {
        if (sizes.Count == 0) return false;
        for (int i = 0; i < sizes.Count; i++)
            if (sizes[i] < 1) return false;
        return true;
    }
}
