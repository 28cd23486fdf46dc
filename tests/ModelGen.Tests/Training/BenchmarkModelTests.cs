using System;
using System.Linq;
using Bench;
using Xunit;
using Xunit.Abstractions;

namespace ModelGen.Tests.Training;

/// <summary>The five networks of MODELS.md, exactly as the benchmark program declares them, train on its synthetic data.</summary>
public class BenchmarkModelTests
{
    private readonly ITestOutputHelper _output;

    public BenchmarkModelTests(ITestOutputHelper output) => _output = output;

    public static TheoryData<string> Ids() => new(BenchmarkModels.Ids);

    [Theory]
    [MemberData(nameof(Ids))]
    public void LossFallsOver50AdamSteps_OnTheBenchmarkBatch(string id)
    {
        var (model, batch, classes) = BenchmarkModels.Create(id);
        var (inputs, labels) = BenchmarkModels.SyntheticBatch(model, batch, classes);
        var optimizer = new Adam(1e-3f, 0.9f, 0.999f, 1e-8f);   // MODELS.md's training step

        var losses = new float[50];
        for (int step = 0; step < losses.Length; step++) losses[step] = model.TrainStep(inputs, labels, batch, optimizer);
        _output.WriteLine($"{id}: loss {losses[0]:F4} → {losses[9]:F4} (step 10) → {losses[^1]:F4} (step 50)");

        Assert.All(losses, l => Assert.True(float.IsFinite(l), $"{id}: a loss is {l}"));
        // Random labels on one batch: only memorising it lowers the loss, so it must fall far, and keep falling.
        Assert.True(losses[^1] < 0.5f * losses[0], $"{id}: loss {losses[0]} → {losses[^1]} over 50 steps");
        Assert.True(losses.Skip(40).Average() < losses.Skip(10).Take(10).Average(), $"{id}: the loss stopped falling");
    }

    [Fact]
    public void UnknownId_IsAClearError()
    {
        var error = Assert.Throws<ArgumentException>(() => BenchmarkModels.Create("resnet"));
        Assert.Contains("Unknown model 'resnet'", error.Message);
        Assert.Contains("digits-mlp, mnist-mlp, lenet5, tiny-transformer, wide-deep", error.Message);
    }
}
