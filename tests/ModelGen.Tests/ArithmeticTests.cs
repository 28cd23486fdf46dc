using System;
using ModelGen.Compute;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests;

/// <summary>
/// Arithmetic in [Forward]: float64 central-difference gradient checks of the generated code (eps 1e-6, atol 1e-5,
/// rtol 1e-3), the eager Tensor operators against the fused Predict, and the eager operators' own results.
/// </summary>
public class ArithmeticTests
{
    private const int Batch = 4;

    [Theory]
    [InlineData(nameof(ArithmeticNet))]
    [InlineData(nameof(SelfDifferenceNet))]
    public void AnalyticGradientsMatchCentralDifferences(string model)
    {
        (ModelGraph<double> graph, double[] parameters) = model switch
        {
            nameof(ArithmeticNet) => GradientCheckTests.Create(new ArithmeticNet.Graph<double>(Batch), ArithmeticNet.TotalParameters, ArithmeticNet.Initialize),
            nameof(SelfDifferenceNet) => GradientCheckTests.Create(new SelfDifferenceNet.Graph<double>(Batch), SelfDifferenceNet.TotalParameters, SelfDifferenceNet.Initialize),
            _ => throw new ArgumentException(model),
        };
        var rng = new Rng(17);
        var input = new double[Batch * graph.InputSize];
        for (int i = 0; i < input.Length; i++) input[i] = rng.NextGaussian();
        var targets = new double[Batch * graph.TargetSize];
        for (int i = 0; i < targets.Length; i++) targets[i] = rng.NextGaussian();
        GradientCheckTests.AssertGradientsMatch(model, graph, parameters, input, targets, Batch, rng);
    }

    [Fact]
    public void EagerForward_MatchesTheFusedOutputs()
    {
        var model = new ArithmeticNet(seed: 5);
        var rng = new Rng(8);
        var x = new float[5 * 6];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        var eager = model.Forward(new Tensor(x, 5, 6));
        var fused = new float[5 * 3];
        model.Predict(x, 5, fused);
        Assert.Equal([5, 3], eager.Shape);
        for (int i = 0; i < fused.Length; i++) Assert.Equal(eager.Data[i], fused[i], 4);
    }

    [Fact]
    public void EagerOperators_ComputeTheirFormulas()
    {
        var x = new Tensor([-2f, -0.5f, 0f, 1.5f], 2, 2);
        var y = new Tensor([1f, 2f, 3f, 4f], 2, 2);
        Assert.Equal([-3f, -2.5f, -3f, -2.5f], (x - y).Data);
        Assert.Equal([2f, 0.5f, -0f, -1.5f], (-x).Data);
        Assert.Equal([-1f, -0.25f, 0f, 0.75f], (0.5f * x).Data);
        Assert.Equal((0.5f * x).Data, (x * 0.5f).Data);
        Assert.Equal((0.5f * x).Data, (x / 2f).Data);
        Assert.Equal([-1f, 0.5f, 1f, 2.5f], (x + 1f).Data);
        Assert.Equal((x + 1f).Data, (1f + x).Data);
        Assert.Equal([-3f, -1.5f, -1f, 0.5f], (x - 1f).Data);
        Assert.Equal([3f, 1.5f, 1f, -0.5f], (1f - x).Data);
        Assert.Equal([MathF.Exp(-2f), MathF.Exp(-0.5f), 1f, MathF.Exp(1.5f)], Tensor.Exp(x).Data);
        Assert.Equal([0f, MathF.Log(2f), MathF.Log(3f), MathF.Log(4f)], Tensor.Log(y).Data);
        Assert.Equal([1f, MathF.Sqrt(2f), MathF.Sqrt(3f), 2f], Tensor.Sqrt(y).Data);
        Assert.Equal([4f, 0.25f, 0f, 2.25f], Tensor.Square(x).Data);
        Assert.Equal([2f, 0.5f, 0f, 1.5f], Tensor.Abs(x).Data);
        Assert.Equal([-1f, -0.5f, 0f, 1f], Tensor.Clamp(x, -1f, 1f).Data);
        Assert.Equal([0f, 0f, 0f, 1.5f], Tensor.ReLU(x).Data);
        Assert.Equal([-0.4f, -0.1f, 0f, 1.5f], Tensor.LeakyReLU(x, 0.2f).Data);
        Assert.Equal(0.5f, Tensor.Sigmoid(x).Data[2]);
        Assert.Equal(MathF.Tanh(1.5f), Tensor.Tanh(x).Data[3]);
        Assert.Equal(1.5f / (1 + MathF.Exp(-1.5f)), Tensor.SiLU(x).Data[3], 6);
        Assert.Equal([2, 2], Tensor.GELU(x).Shape);
        Assert.Throws<ArgumentException>(() => Tensor.Clamp(x, 1f, -1f));
        Assert.Throws<ArgumentException>(() => x - new Tensor([1f, 2f], 2, 1));
    }
}
