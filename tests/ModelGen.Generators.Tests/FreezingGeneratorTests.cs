using System.Linq;
using Microsoft.CodeAnalysis;
using ModelGen.FrontEnd;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Generators.Tests;

/// <summary>
/// <c>Trainable = false</c> on a layer attribute, and the code that lets <c>Model.Freeze</c> work: the parameter-layer
/// table, the Summary's trainable counts, and a backward pass that asks which layers train.
/// </summary>
public class FreezingGeneratorTests
{
    private const string Source = """
        using ModelGen;
        namespace Freezing;
        [Model(Input = new[] { 4 }, Loss = Loss.MeanSquaredError)]
        public partial class M
        {
            [Dense(3, Activation.Tanh, Trainable = false)] private partial Tensor A(Tensor x);
            [Dropout(0.5f)] private partial Tensor D(Tensor x);
            [Dense(2, Trainable = true)] private partial Tensor B(Tensor x);
            [LayerNorm] private partial Tensor N(Tensor x);
        }
        """;

    [Fact]
    public void TheParser_ReadsTrainable_AndTheSpecComparesIt()
    {
        var compilation = Harness.Compile(Source);
        var type = compilation.GetTypeByMetadataName("Freezing.M")!;
        var spec = ModelParser.Parse(type, type.GetAttributes().First(), default).Spec;
        Assert.Equal([false, true, true, true], spec.Layers.Select(l => l.Trainable));
        var thawed = spec with { Layers = spec.Layers.Select(l => l with { Trainable = true }).ToEquatableArray() };
        Assert.NotEqual(spec, thawed);   // an edit of Trainable reaches the generated code
    }

    [Fact]
    public void TheGeneratedCode_ListsTheLayers_CountsTrainableParameters_AndSkipsFrozenGradients()
    {
        var (run, output) = Harness.Generate(Harness.Compile(Source));
        Assert.Empty(Harness.Errors(output));
        string code = Harness.CpuSource(run.Results.Single());
        Assert.Contains("""
                private static readonly ParameterLayer[] ParameterLayerTable =
                {
                    new("A", 0, 15, DeclaredTrainable: false),
                    new("B", 15, 8),
                    new("N", 23, 4),
                };
            """, code);
        Assert.Contains("public override int ParameterLayerCount => 3;", code);
        Assert.Contains("/// Trainable params: 12", code);
        Assert.Contains("/// Non-trainable params: 15", code);
        Assert.Contains("public override string Summary() => SummaryTable + TrainableParameterLines() + SummaryLoss;", code);
        // Each layer asks whether it trains; a value's gradient is wanted only after a layer that trains.
        Assert.Contains("bool aTrains = !IsFrozen(0);", code);
        Assert.Contains("bool bTrains = !IsFrozen(1);", code);
        Assert.Contains("bool dFlows = aFlows;", code);
        Assert.Contains("bool bFlows = bTrains || dFlows;", code);
        Assert.Contains("if (bFlows)", code);
        Assert.Contains("dFlows ? _dGrad : null, bTrains ? g + BWeights : null, bTrains ? g + BBias : null", code);
        // A is the first layer: its input gradient is the model input's, computed only when asked for (Model.InputGradient),
        // so it runs when it trains or when that is asked for, and its own gradients take the condition.
        Assert.Contains("bool aFlows = aTrains || inputFlows;", code);
        Assert.Contains("inputFlows ? inputGrad : null, aTrains ? g + AWeights : null, aTrains ? g + ABias : null", code);
        Assert.Contains("ref DropoutRng", code);
        Assert.DoesNotContain("_dropoutRng", code);
    }
}
