using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using ModelGen.Cuda;

namespace ModelGen.Cuda.Tests;

/// <summary>
/// Every model of the test and sample assemblies, found by reflection over the generated static
/// <c>CudaPlan</c> property, so models added later are covered without touching these tests.
/// </summary>
internal static class GeneratedModels
{
    private static readonly Assembly[] Assemblies =
    {
        typeof(ModelGen.Tests.GradientCheckTests).Assembly,
        typeof(Bench.DigitsMlp).Assembly,
        typeof(Digits.DigitsMlp).Assembly,
        typeof(DigitsCnn.DigitsLeNet).Assembly,
        typeof(BreastCancer.TumourClassifier).Assembly,
    };

    public static IReadOnlyList<(string Name, Type Type, CudaModelPlan Plan)> All { get; } = Assemblies
        .SelectMany(a => a.GetTypes())
        .Select(t => (Type: t, Property: t.GetProperty("CudaPlan", BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly)))
        .Where(p => p.Property?.PropertyType == typeof(CudaModelPlan))
        .Select(p => (p.Type.FullName!, p.Type, (CudaModelPlan)p.Property!.GetValue(null)!))
        .OrderBy(p => p.Item1, StringComparer.Ordinal)
        .ToList();

    public static CudaModelPlan Plan(string name) => All.Single(m => m.Name == name).Plan;

    /// <summary>A new instance of the model, initialised from <paramref name="seed"/>.</summary>
    public static Model Create(string name, int seed) => (Model)Activator.CreateInstance(All.Single(m => m.Name == name).Type, seed)!;
}
