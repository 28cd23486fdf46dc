using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Generators.Tests;

/// <summary>
/// Every member of the runtime's <see cref="ModelGen.Activation"/>, end to end through the generator, after a Conv1d and a
/// Dense layer: accepted by the parser, the named activation in the eager, forward and backward C# code and in the
/// CUDA kernels, a Summary row naming it, and the initialisation rule stated below.
/// </summary>
public class ActivationCoverageTests
{
    /// <summary>Kaiming-normal weights before the ReLU family (GELU and SiLU included), Xavier-uniform otherwise.</summary>
    private static readonly IReadOnlyDictionary<ModelGen.Activation, bool> Kaiming = new Dictionary<ModelGen.Activation, bool>
    {
        [ModelGen.Activation.None] = false,
        [ModelGen.Activation.ReLU] = true,
        [ModelGen.Activation.LeakyReLU] = true,
        [ModelGen.Activation.GELU] = true,
        [ModelGen.Activation.SiLU] = true,
        [ModelGen.Activation.Sigmoid] = false,
        [ModelGen.Activation.Tanh] = false,
        [ModelGen.Activation.GELUExact] = true,
    };

    public static TheoryData<string> Activations() => new(Enum.GetNames<ModelGen.Activation>());

    private static string Sample(string activation) => $$"""
        using ModelGen;

        namespace Coverage;

        [Model(Input = new[] { 2, 6 }, Loss = Loss.SoftmaxCrossEntropy)]
        public partial class Sample
        {
            [Conv1d(3, 3, Activation.{{activation}})] private partial Tensor Lift(Tensor x);
            [Flatten] private partial Tensor Flat(Tensor x);
            [Dense(4, Activation.{{activation}})] private partial Tensor Probe(Tensor x);
            [Dense(2)] private partial Tensor Out(Tensor x);
        }
        """;

    [Theory]
    [MemberData(nameof(Activations))]
    public async Task EveryActivation_GeneratesCodeThatNamesIt(string name)
    {
        var activation = Enum.Parse<ModelGen.Activation>(name);
        Assert.True(Kaiming.ContainsKey(activation), $"no initialisation rule stated for {name}: add it to {nameof(ActivationCoverageTests)}.{nameof(Kaiming)}");
        string source = Sample(name);
        Assert.Empty(await Harness.AnalyzeAsync(source));
        var (run, output) = Harness.Generate(Harness.Compile(source));
        Assert.Empty(Harness.Errors(output));
        var result = run.Results.Single();
        string cpu = Harness.CpuSource(result);
        string cuda = result.GeneratedSources.Single(s => s.HintName.EndsWith(".Cuda.g.cs", StringComparison.Ordinal)).SourceText.ToString();

        string init = Kaiming[activation] ? "Kaiming-normal" : "Xavier-uniform";
        Assert.Contains($"// Probe: weights [12, 4] {init}", cpu);
        Assert.Contains("// Lift: weights [3, 2, 3] and bias [3] U(±1/√6) as PyTorch", cpu);   // convolutions: PyTorch's rule whatever the activation
        if (activation == ModelGen.Activation.None)
        {
            Assert.Contains("\"Probe (Dense)", cpu);
            return;
        }
        Assert.Contains($"\"Probe (Dense, {name})", cpu);
        Assert.Contains($"_probePre, _probe, batch, 12, 4, Activation.{name}, ", cpu);   // DenseKernels.Forward's fused epilogue
        Assert.Contains($"ActivationKernels.Backward(Activation.{name}, _probePre, _probe,", cpu);
        Assert.Contains($"ActivationKernels.Forward(Activation.{name}, _liftPre, _lift,", cpu);
        Assert.Contains($"ActivationKernels.Backward(Activation.{name}, _liftPre, _lift,", cpu);
        Assert.Contains($"Activation.{name}, 0.01f, \"Probe\")", cpu);   // the eager method
        Assert.Contains($"mg::Act::{name}>", cuda);
    }
}
