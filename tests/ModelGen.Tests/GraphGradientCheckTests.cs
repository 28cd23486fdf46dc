using System;
using ModelGen.Compute;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests;

/// <summary>
/// Gradient checks of graph operations through the generated Graph&lt;double&gt; (float64 central differences,
/// eps 1e-6, atol 1e-5, rtol 1e-3): several inputs, concat in both orders and along each axis, weighted heads, contrastive pairs.
/// </summary>
public class GraphGradientCheckTests
{
    private const int Batch = 4;

    public static TheoryData<string> Models => new()
    {
        nameof(TwoInputNet), nameof(ConcatOrderNet), nameof(ConcatAxisNet), nameof(MultiHeadNet), nameof(ContrastiveNet), nameof(EmbeddingConcatNet),
        nameof(ImageAndMetaNet),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void AnalyticGradientsMatchCentralDifferences(string model)
    {
        var (graph, parameters) = Create(model);
        var rng = new Rng(321);
        var (input, targets) = Data(model, graph, rng);
        GradientCheckTests.AssertGradientsMatch(model, graph, parameters, input, targets, Batch, rng);
    }

    /// <summary>
    /// A training step overwrites the whole gradient buffer: the layers that add to theirs find it cleared, those that write
    /// theirs outright (Dense layers called once) cover their block, so NaN left in the buffer changes nothing.
    /// </summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void TrainStep_WritesEveryGradient_WhateverTheBufferHeld(string model)
    {
        var (graph, parameters) = Create(model);
        var (input, targets) = Data(model, graph, new Rng(99));
        var fromZero = new double[parameters.Length];
        var fromNaN = new double[parameters.Length];
        fromNaN.AsSpan().Fill(double.NaN);
        graph.SetRandomSeed(5);   // the same dropout masks in both steps
        graph.TrainStep(parameters, fromZero, input, targets, Batch);
        graph.SetRandomSeed(5);
        graph.TrainStep(parameters, fromNaN, input, targets, Batch);
        for (int i = 0; i < parameters.Length; i++)
            Assert.True(fromZero[i] == fromNaN[i], $"{model}: gradient {i} is {fromNaN[i]} after NaN, {fromZero[i]} after zeros");
        Assert.Contains(fromZero, g => g != 0);
    }

    private static (ModelGraph<double> Graph, double[] Parameters) Create(string model) => model switch
    {
        nameof(TwoInputNet) => GradientCheckTests.Create(new TwoInputNet.Graph<double>(Batch), TwoInputNet.TotalParameters, TwoInputNet.Initialize),
        nameof(ConcatOrderNet) => GradientCheckTests.Create(new ConcatOrderNet.Graph<double>(Batch), ConcatOrderNet.TotalParameters, ConcatOrderNet.Initialize),
        nameof(ConcatAxisNet) => GradientCheckTests.Create(new ConcatAxisNet.Graph<double>(Batch), ConcatAxisNet.TotalParameters, ConcatAxisNet.Initialize),
        nameof(MultiHeadNet) => GradientCheckTests.Create(new MultiHeadNet.Graph<double>(Batch), MultiHeadNet.TotalParameters, MultiHeadNet.Initialize),
        nameof(ContrastiveNet) => GradientCheckTests.Create(new ContrastiveNet.Graph<double>(Batch), ContrastiveNet.TotalParameters, ContrastiveNet.Initialize),
        nameof(ImageAndMetaNet) => GradientCheckTests.Create(new ImageAndMetaNet.Graph<double>(Batch), ImageAndMetaNet.TotalParameters, ImageAndMetaNet.Initialize),
        nameof(EmbeddingConcatNet) => GradientCheckTests.Create(new EmbeddingConcatNet.Graph<double>(Batch), EmbeddingConcatNet.TotalParameters, EmbeddingConcatNet.Initialize),
        _ => throw new ArgumentException(model),
    };

    /// <summary>Gaussian inputs (valid ids for the embedded fields) and targets each model's heads accept.</summary>
    private static (double[] Input, double[] Targets) Data(string model, ModelGraph<double> graph, Rng rng)
    {
        var input = new double[Batch * graph.InputSize];
        for (int i = 0; i < input.Length; i++) input[i] = rng.NextGaussian();
        if (model == nameof(EmbeddingConcatNet))
            for (int r = 0; r < Batch; r++) (input[4 * r], input[4 * r + 1]) = (rng.NextInt(5), rng.NextInt(4));   // ids of the two fields
        var targets = new double[Batch * graph.TargetSize];
        for (int r = 0; r < Batch; r++)
        {
            var row = targets.AsSpan(r * graph.TargetSize, graph.TargetSize);
            switch (model)
            {
                case nameof(MultiHeadNet):
                    // kind: a class of 3; score: 2 values; flag: 0 or 1.
                    row[0] = rng.NextInt(3);
                    row[1] = rng.NextGaussian();
                    row[2] = rng.NextGaussian();
                    row[3] = rng.NextInt(2);
                    break;
                case nameof(ImageAndMetaNet):
                    row[0] = rng.NextInt(3);
                    row[1] = rng.NextGaussian();
                    break;
                case nameof(EmbeddingConcatNet):
                    row[0] = rng.NextInt(2);
                    break;
                case nameof(ContrastiveNet):
                    row[0] = r % 2;   // similar and dissimilar pairs alike
                    break;
                default:
                    for (int j = 0; j < row.Length; j++) row[j] = rng.NextGaussian();
                    break;
            }
        }
        return (input, targets);
    }

    [Fact]
    public void MultiHeadLoss_IsTheWeightedSumOfTheHeadLosses()
    {
        var (graph, parameters) = GradientCheckTests.Create(new MultiHeadNet.Graph<double>(Batch), MultiHeadNet.TotalParameters, MultiHeadNet.Initialize);
        var rng = new Rng(5);
        var input = new double[Batch * graph.InputSize];
        for (int i = 0; i < input.Length; i++) input[i] = rng.NextGaussian();
        var targets = new double[Batch * 4];
        for (int r = 0; r < Batch; r++) (targets[4 * r], targets[4 * r + 1], targets[4 * r + 2], targets[4 * r + 3]) = (r % 3, 0.5, -1, r % 2);
        Assert.Equal(4, graph.TargetSize);
        Assert.Equal(3 + 2 + 1, graph.OutputSize);
        double total = graph.Loss(parameters, input, targets, Batch);
        var heads = graph.HeadLosses.ToArray();
        Assert.Equal(3, heads.Length);
        Assert.All(heads, h => Assert.True(h > 0));
        Assert.Equal(heads[0] + 0.5 * heads[1] + 2 * heads[2], total, 12);
    }

    [Fact]
    public void ContrastiveLoss_MatchesTheKernelOnTheTwoTowerOutputs()
    {
        var (graph, parameters) = GradientCheckTests.Create(new ContrastiveNet.Graph<double>(2), ContrastiveNet.TotalParameters, ContrastiveNet.Initialize);
        // The same sample on both sides: distance 0, so a similar pair costs 0 and a dissimilar one ½·margin².
        double[] input = [1, 2, 3, 4, 1, 2, 3, 4, 0.5, -1, 0, 2, 0.5, -1, 0, 2];
        Assert.Equal(0, graph.Loss(parameters, input, [1, 1], 2), 12);
        Assert.Equal(0.5 * 2 * 2, graph.Loss(parameters, input, [0, 0], 2), 12);
        var outputs = graph.LastOutput(2).ToArray();
        Assert.Equal(2 * 6, outputs.Length);   // [left (3), right (3)] per pair
        Assert.Equal(outputs.AsSpan(0, 3).ToArray(), outputs.AsSpan(3, 3).ToArray());
    }
}
