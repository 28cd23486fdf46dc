using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Analyzers.Tests;

/// <summary>
/// Composition rules (MG0410–MG0413): a [Submodel] names a model of the same project, no model contains itself, the value a
/// sub-model is given has the shape its Input declares, and a sub-model uses only what composition supports. Each mistake
/// gives exactly one diagnostic with its ID, span and numbers; the nearest correct declaration gives none and compiles.
/// </summary>
public class SubmodelShapeTests
{
    private static string Text(Diagnostic d) => d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan);

    private static async Task<Diagnostic> Single(string source, string id, string span)
    {
        var d = Assert.Single(await Harness.AnalyzeAsync(source));
        Assert.Equal(id, d.Id);
        Assert.Equal(span, Text(d));
        Assert.Equal(Harness.Rules.Single(r => r.Id == id).DefaultSeverity, d.Severity);
        // One mistake, one error: the composite keeps its surface, so nothing else fails to compile.
        var (_, output) = Harness.Generate(Harness.Compile(source));
        Assert.Empty(Harness.Errors(output));
        return d;
    }

    private static string Gan(string judge = "[Submodel(typeof(D))]", string discriminatorInput = "64", string generatorOutput = "[Dense(64, Activation.Sigmoid)]",
        string discriminatorExtra = "", string forward = "", string use = "new Stack(new G(1), new D(2))") => $$"""
        using ModelGen;
        [Model(Input = new[] { 16 }, Loss = Loss.MeanSquaredError)]
        public partial class G
        {
            [Dense(32, Activation.ReLU)] private partial Tensor Hidden(Tensor z);
            {{generatorOutput}} private partial Tensor Pixels(Tensor x);
        }
        [Model(Input = new[] { {{discriminatorInput}} }, Loss = Loss.BinaryCrossEntropy)]
        public partial class D
        {
            {{discriminatorExtra}}
            [Dense(32, Activation.LeakyReLU)] private partial Tensor Hidden(Tensor x);
            [Dense(1)] private partial Tensor Real(Tensor x);
        }
        [Model(Input = new[] { 16 }, Loss = Loss.BinaryCrossEntropy)]
        public partial class Stack
        {
            [Submodel(typeof(G))] private partial Tensor Generate(Tensor z);
            {{judge}} private partial Tensor Judge(Tensor image);
            {{forward}}
        }
        public static class Use
        {
            public static Stack Make() => {{use}};
        }
        """;

    [Fact]
    public async Task AComposite_IsClean_AndCompiles()
    {
        foreach (var source in new[] { Gan(), Gan(forward: "[Forward] private Tensor F(Tensor z) => Judge(Generate(z));") })
        {
            Assert.Empty(await Harness.AnalyzeAsync(source));
            var (_, output) = Harness.Generate(Harness.Compile(source));
            Assert.Empty(Harness.Errors(output));
            Assert.Equal("ModelGen.Model", output.GetTypeByMetadataName("Stack")!.BaseType?.ToDisplayString());
        }
    }

    [Fact]
    public async Task MG0410_ATypeThatIsNotAModel()
    {
        var d = await Single(Gan(judge: "[Submodel(typeof(Helper))]", use: "new Stack(new G(1), new Helper())") + "\npublic class Helper { }", "MG0410", "typeof(Helper)");
        Assert.Equal("[Submodel] 'Judge' names 'Helper', which is not a ModelGen model: it has no [Model] attribute; a sub-model is a partial class with [Model] and layer methods", d.GetMessage());
        d = await Single(Gan(judge: "[Submodel(typeof(int))]", use: "new Stack(new G(1), 5)"), "MG0410", "typeof(int)");
        Assert.Equal("[Submodel] 'Judge' names 'int', which is not a ModelGen model: it is not a class", d.GetMessage());
    }

    [Fact]
    public async Task MG0411_AModelThatContainsItself()
    {
        var d = await Single(Gan(judge: "[Submodel(typeof(Stack))]", use: "new Stack(seed: 3)"), "MG0411", "typeof(Stack)");
        Assert.Equal("'Stack' would contain itself through its sub-models: Stack → Stack", d.GetMessage());

        // Through another model: each of the two is told, on its own attribute.
        const string loop = """
            using ModelGen;
            [Model(Input = new[] { 4 })]
            public partial class A
            {
                [Submodel(typeof(B))] private partial Tensor Inner(Tensor x);
            }
            [Model(Input = new[] { 4 })]
            public partial class B
            {
                [Dense(4)] private partial Tensor Hidden(Tensor x);
                [Submodel(typeof(A))] private partial Tensor Outer(Tensor x);
            }
            """;
        var both = await Harness.AnalyzeAsync(loop);
        Assert.Equal(new[] { "MG0411", "MG0411" }, both.Select(x => x.Id));
        Assert.Equal(new[] { "typeof(B)", "typeof(A)" }, both.Select(Text));
        Assert.Equal(new[] { "'A' would contain itself through its sub-models: A → B → A", "'B' would contain itself through its sub-models: B → A → B" },
            both.Select(x => x.GetMessage()));
        var (_, output) = Harness.Generate(Harness.Compile(loop));
        Assert.Empty(Harness.Errors(output));
    }

    [Fact]
    public async Task MG0412_TheSubmodelsInputDiffersFromWhatItIsGiven()
    {
        // A chain: on the attribute of the sub-model that receives the value.
        var d = await Single(Gan(discriminatorInput: "48"), "MG0412", "Submodel(typeof(D))");
        Assert.Equal("[Submodel] 'Judge' runs D, whose Input = [48] takes 48 values per sample, but it is given 'Generate' (G) of shape [64] (64 values); the sizes differ", d.GetMessage());

        // [Forward]: on the call; the same size in another shape is named as such.
        d = await Single(Gan(discriminatorInput: "1, 8, 8", discriminatorExtra: "[Flatten] private partial Tensor Flat(Tensor x);", forward: "[Forward] private Tensor F(Tensor z) => Judge(Generate(z));"), "MG0412", "Judge(Generate(z))");
        Assert.Equal("[Submodel] 'Judge' runs D, whose Input = [1, 8, 8] takes 1·8·8 = 64 values per sample, but it is given 'Generate' (G) of shape [64] (64 values); " +
            "the sizes agree, but the shapes must be equal: reshape it to [1, 8, 8] first", d.GetMessage());
    }

    [Fact]
    public async Task MG0413_WhatCompositionDoesNotSupport()
    {
        var d = await Single(Gan(discriminatorExtra: "[BatchNorm] private partial Tensor Norm(Tensor x);"), "MG0413", "typeof(D)");
        Assert.Equal("[Submodel] 'Judge' (D) has BatchNorm 'Norm', whose running statistics are the sub-model's own state and not shared with a composite yet", d.GetMessage());

        const string twoOutputs = """
            using ModelGen;
            [Model(Input = new[] { 4 })]
            [Head("a", Loss.MeanSquaredError)]
            [Head("b", Loss.MeanSquaredError)]
            public partial class Two
            {
                [Dense(2)] private partial Tensor A(Tensor x);
                [Dense(2)] private partial Tensor B(Tensor x);
                [Forward] private (Tensor a, Tensor b) F(Tensor x) => (A(x), B(x));
            }
            [Model(Input = new[] { 4 }, Loss = Loss.MeanSquaredError)]
            public partial class Outer
            {
                [Submodel(typeof(Two))] private partial Tensor Inner(Tensor x);
            }
            """;
        d = await Single(twoOutputs, "MG0413", "typeof(Two)");
        Assert.Equal("[Submodel] 'Inner' (Two) returns 2 outputs; a sub-model returns one tensor", d.GetMessage());
    }

    [Fact]
    public async Task ASubmodelWithItsOwnMistake_IsReportedOnTheSubmodelOnly()
    {
        var d = await Single(Gan(generatorOutput: "[Dense(0)]"), "MG0004", "0");
        Assert.Contains("Dense 'Pixels'", d.GetMessage());
    }
}
