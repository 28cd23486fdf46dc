using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Generators.Tests;

/// <summary>
/// [Submodel]: the composite's code follows its sub-model's declaration, also when that lives in another file and only it
/// is edited; the composite gets the constructor taking the instances and one property per sub-model.
/// </summary>
public class SubmodelGeneratorTests
{
    private const string Parts = """
        using ModelGen;
        [Model(Input = new[] { 16 }, Loss = Loss.MeanSquaredError)]
        public partial class Generator
        {
            [Dense(32, Activation.ReLU)] private partial Tensor Hidden(Tensor z);
            [Dense(64, Activation.Sigmoid)] private partial Tensor Pixels(Tensor x);
        }
        [Model(Input = new[] { 64 }, Loss = Loss.BinaryCrossEntropy)]
        public partial class Discriminator
        {
            [Dense(32, Activation.LeakyReLU)] private partial Tensor Hidden(Tensor x);
            [Dense(1)] private partial Tensor Real(Tensor x);
        }
        """;

    private const string Composite = """
        using ModelGen;
        [Model(Input = new[] { 16 }, Loss = Loss.BinaryCrossEntropy)]
        public partial class Gan
        {
            [Submodel(typeof(Generator))] private partial Tensor Generate(Tensor z);
            [Submodel(typeof(Discriminator))] private partial Tensor Judge(Tensor image);
        }
        """;

    private static string GanSource(GeneratorRunResult result) =>
        result.GeneratedSources.Single(s => s.HintName == "Gan.g.cs").SourceText.ToString();

    /// <summary>The composite's whole generated part, sub-model layers inlined, against its committed snapshot.</summary>
    [Fact]
    public void TheCompositesGeneratedSource_MatchesItsSnapshot()
    {
        var (run, output) = Harness.Generate(Harness.Compile(Parts, Composite));
        Assert.Empty(Harness.Errors(output));
        SnapshotTests.Verify(GanSource(run.Results.Single()), "Samples.Composite.Gan");
    }

    [Fact]
    public void TheComposite_HasTheInstanceConstructorAndTheSubmodelProperties()
    {
        var (run, output) = Harness.Generate(Harness.Compile(Parts, Composite));
        Assert.Empty(Harness.Errors(output));
        string source = GanSource(run.Results.Single());
        // 16·32 + 32 + 32·64 + 64 = 2,656 generator parameters, then 64·32 + 32 + 32 + 1 = 2,113 discriminator ones.
        Assert.Contains("public const int TotalParameters = 4769;", source);
        Assert.Contains("public Gan(global::Generator generate, global::Discriminator judge, int seed = 0) : base(TotalParameters)", source);
        Assert.Contains("GenerateModel = AttachSubmodel(generate, \"Generate\", offset: 0, count: 2656, keepValues: true);", source);
        Assert.Contains("JudgeModel = AttachSubmodel(judge, \"Judge\", offset: 2656, count: 2113, keepValues: true);", source);
        Assert.Contains("new(\"Judge.Hidden\", 2656, 2080),", source);
        Assert.Contains("=> EagerLayers.Submodel(JudgeModel, image, new[] { 1 }, \"Judge\");", source);
    }

    [Fact]
    public void EditingTheSubmodelInItsOwnFile_RegeneratesTheComposite()
    {
        var compilation = Harness.Compile(Parts, Composite);
        var driver = Harness.CreateDriver().RunGenerators(compilation);
        Assert.Contains("TotalParameters = 4769;", GanSource(driver.GetRunResult().Results.Single()));
        var tree = compilation.SyntaxTrees.First();
        var edited = compilation.ReplaceSyntaxTree(tree,
            CSharpSyntaxTree.ParseText(Parts.Replace("[Dense(32, Activation.LeakyReLU)]", "[Dense(40, Activation.LeakyReLU)]"), Harness.ParseOptions, tree.FilePath));
        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();
        // The discriminator now has 64·40 + 40 + 40 + 1 = 2,641 parameters.
        Assert.Contains("TotalParameters = 5297;", GanSource(result));
    }
}
