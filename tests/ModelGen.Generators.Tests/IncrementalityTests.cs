using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Generators.Tests;

/// <summary>The pipeline must re-emit only when a model's meaning changes.</summary>
public class IncrementalityTests
{
    private static readonly string[] TrackedSteps = { ModelGenerator.Steps.Specs, ModelGenerator.Steps.Plans };

    private static GeneratorRunResult RunTwice(string modelAfter, string unrelatedAfter, string? modelBefore = null)
    {
        var compilation = Harness.Compile(modelBefore ?? SampleModels.DigitsMlp, SampleModels.Unrelated);
        var driver = Harness.CreateDriver().RunGenerators(compilation);
        var trees = compilation.SyntaxTrees.ToArray();
        var edited = compilation
            .ReplaceSyntaxTree(trees[0], CSharpSyntaxTree.ParseText(modelAfter, Harness.ParseOptions, trees[0].FilePath))
            .ReplaceSyntaxTree(trees[1], CSharpSyntaxTree.ParseText(unrelatedAfter, Harness.ParseOptions, trees[1].FilePath));
        return driver.RunGenerators(edited).GetRunResult().Results.Single();
    }

    private static IncrementalStepRunReason[] Reasons(GeneratorRunResult result, string step) =>
        result.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();

    [Fact]
    public void UnrelatedEdit_LeavesEveryStepCachedOrUnchanged()
    {
        var result = RunTwice(SampleModels.DigitsMlp, SampleModels.Unrelated.Replace("2 * x", "x + x"));
        foreach (var step in TrackedSteps)
            Assert.All(Reasons(result, step), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {r}"));
    }

    [Fact]
    public void CommentEditInTheModel_LeavesEveryStepCachedOrUnchanged()
    {
        var result = RunTwice(SampleModels.DigitsMlp.Replace("public partial class DigitsMlp", "// the digits classifier\npublic partial class DigitsMlp"), SampleModels.Unrelated);
        foreach (var step in TrackedSteps)
            Assert.All(Reasons(result, step), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {r}"));
    }

    [Fact]
    public void ChangingALayerWidth_ModifiesTheSpecAndThePlan()
    {
        var result = RunTwice(SampleModels.DigitsMlp.Replace("[Dense(64, Activation.ReLU)]", "[Dense(96, Activation.ReLU)]"), SampleModels.Unrelated);
        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(result, ModelGenerator.Steps.Specs));
        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(result, ModelGenerator.Steps.Plans));
        Assert.Contains("96", result.GeneratedSources.Single(s => s.HintName.EndsWith(".DigitsMlp.g.cs", System.StringComparison.Ordinal)).SourceText.ToString());
    }

    [Fact]
    public void GraphModel_CommentEditIsCached_HeadWeightEditModifies()
    {
        // Inputs, heads and concat parts are value-equal records: an edit that changes nothing stays cached.
        var same = RunTwice(SampleModels.ChurnAndSpend.Replace("public partial class ChurnAndSpend", "// two tasks\npublic partial class ChurnAndSpend"),
            SampleModels.Unrelated, modelBefore: SampleModels.ChurnAndSpend);
        foreach (var step in TrackedSteps)
            Assert.All(Reasons(same, step), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {r}"));

        var changed = RunTwice(SampleModels.ChurnAndSpend.Replace("Weight = 0.5f", "Weight = 0.25f"), SampleModels.Unrelated, modelBefore: SampleModels.ChurnAndSpend);
        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(changed, ModelGenerator.Steps.Specs));
        Assert.Contains("T.CreateTruncating(0.25)", Harness.CpuSource(changed));
    }
}
