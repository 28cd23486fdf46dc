using System;
using System.Linq;
using ModelGen.Compute;
using ModelGen.Tests.Models;
using Xunit;
using Xunit.Abstractions;

namespace ModelGen.Tests;

/// <summary>
/// LSTM, GRU, Conv1d, GroupNorm and Reshape in generated models: gradient checks through the
/// generated Graph&lt;double&gt; (same helper and tolerances as <see cref="GradientCheckTests"/>),
/// eager layer methods against the fused path, initialisation, and a small training run.
/// </summary>
public class RecurrentModelTests(ITestOutputHelper output)
{
    public static TheoryData<string> Models => new()
    {
        nameof(LstmLastNet), nameof(LstmSequenceNet), nameof(LstmBidirectionalNet), nameof(LstmBidirectionalSequenceNet),
        nameof(GruLastNet), nameof(GruSequenceNet), nameof(GruBidirectionalNet), nameof(GruBidirectionalSequenceNet),
        nameof(Conv1dNet), nameof(Conv1dSameNet), nameof(GroupNormNet), nameof(GroupNormImageNet), nameof(ReshapeNet), nameof(ReshapeGraphNet), nameof(SharedGruNet), nameof(ConvLstmNet),
        nameof(SharedLstmNet),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void AnalyticGradientsMatchCentralDifferences(string model)
    {
        (ModelGraph<double> graph, double[] parameters) = model switch
        {
            nameof(LstmLastNet) => GradientCheckTests.Create(new LstmLastNet.Graph<double>(4), LstmLastNet.TotalParameters, LstmLastNet.Initialize),
            nameof(LstmSequenceNet) => GradientCheckTests.Create(new LstmSequenceNet.Graph<double>(4), LstmSequenceNet.TotalParameters, LstmSequenceNet.Initialize),
            nameof(LstmBidirectionalNet) => GradientCheckTests.Create(new LstmBidirectionalNet.Graph<double>(4), LstmBidirectionalNet.TotalParameters, LstmBidirectionalNet.Initialize),
            nameof(LstmBidirectionalSequenceNet) => GradientCheckTests.Create(new LstmBidirectionalSequenceNet.Graph<double>(4), LstmBidirectionalSequenceNet.TotalParameters, LstmBidirectionalSequenceNet.Initialize),
            nameof(GruLastNet) => GradientCheckTests.Create(new GruLastNet.Graph<double>(4), GruLastNet.TotalParameters, GruLastNet.Initialize),
            nameof(GruSequenceNet) => GradientCheckTests.Create(new GruSequenceNet.Graph<double>(4), GruSequenceNet.TotalParameters, GruSequenceNet.Initialize),
            nameof(GruBidirectionalNet) => GradientCheckTests.Create(new GruBidirectionalNet.Graph<double>(4), GruBidirectionalNet.TotalParameters, GruBidirectionalNet.Initialize),
            nameof(GruBidirectionalSequenceNet) => GradientCheckTests.Create(new GruBidirectionalSequenceNet.Graph<double>(4), GruBidirectionalSequenceNet.TotalParameters, GruBidirectionalSequenceNet.Initialize),
            nameof(Conv1dNet) => GradientCheckTests.Create(new Conv1dNet.Graph<double>(4), Conv1dNet.TotalParameters, Conv1dNet.Initialize),
            nameof(Conv1dSameNet) => GradientCheckTests.Create(new Conv1dSameNet.Graph<double>(4), Conv1dSameNet.TotalParameters, Conv1dSameNet.Initialize),
            nameof(GroupNormNet) => GradientCheckTests.Create(new GroupNormNet.Graph<double>(4), GroupNormNet.TotalParameters, GroupNormNet.Initialize),
            nameof(GroupNormImageNet) => GradientCheckTests.Create(new GroupNormImageNet.Graph<double>(4), GroupNormImageNet.TotalParameters, GroupNormImageNet.Initialize),
            nameof(ReshapeNet) => GradientCheckTests.Create(new ReshapeNet.Graph<double>(4), ReshapeNet.TotalParameters, ReshapeNet.Initialize),
            nameof(ReshapeGraphNet) => GradientCheckTests.Create(new ReshapeGraphNet.Graph<double>(4), ReshapeGraphNet.TotalParameters, ReshapeGraphNet.Initialize),
            nameof(SharedGruNet) => GradientCheckTests.Create(new SharedGruNet.Graph<double>(4), SharedGruNet.TotalParameters, SharedGruNet.Initialize),
            nameof(ConvLstmNet) => GradientCheckTests.Create(new ConvLstmNet.Graph<double>(4), ConvLstmNet.TotalParameters, ConvLstmNet.Initialize),
            nameof(SharedLstmNet) => GradientCheckTests.Create(new SharedLstmNet.Graph<double>(4), SharedLstmNet.TotalParameters, SharedLstmNet.Initialize),
            _ => throw new ArgumentException(model),
        };
        GradientCheckTests.Check(model, graph, parameters);
    }

    private static float[] Random(int count, int seed)
    {
        var rng = new Rng(seed);
        var x = new float[count];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        return x;
    }

    private static void AssertEagerMatchesFused(Model model, Func<Tensor, Tensor> eager, int[] sampleShape, int batch)
    {
        int size = sampleShape.Aggregate(1, (a, b) => a * b);
        var x = Random(batch * size, 21);
        var result = eager(new Tensor(x, new[] { batch }.Concat(sampleShape).ToArray()));
        var fused = model.Predict(Dataset.ForRegression(x, size, new float[batch * model.OutputSize], model.OutputSize));
        Assert.Equal(new[] { batch, model.OutputSize }, result.Shape);
        Assert.Equal(fused.Length, result.Data.Length);
        for (int i = 0; i < fused.Length; i++) Assert.Equal(fused[i], result.Data[i], 5);
    }

    [Fact]
    public void EagerLayerMethods_MatchTheFusedGraph()
    {
        var lstm = new LstmBidirectionalSequenceNet(seed: 3);
        AssertEagerMatchesFused(lstm, lstm.EagerForward, new[] { 4, 3 }, batch: 3);
        var bidirectional = new LstmBidirectionalNet(seed: 4);
        AssertEagerMatchesFused(bidirectional, bidirectional.EagerForward, new[] { 4, 3 }, batch: 2);
        var gru = new GruBidirectionalSequenceNet(seed: 5);
        AssertEagerMatchesFused(gru, gru.EagerForward, new[] { 4, 3 }, batch: 3);
        var conv = new Conv1dNet(seed: 6);
        AssertEagerMatchesFused(conv, conv.EagerForward, new[] { 3, 11 }, batch: 2);
        var same = new Conv1dSameNet(seed: 9);
        AssertEagerMatchesFused(same, same.EagerForward, new[] { 2, 7 }, batch: 2);
        var norm = new GroupNormNet(seed: 7);
        AssertEagerMatchesFused(norm, norm.EagerForward, new[] { 4, 6 }, batch: 2);
        var reshape = new ReshapeNet(seed: 8);
        AssertEagerMatchesFused(reshape, reshape.EagerForward, new[] { 12 }, batch: 3);
    }

    [Fact]
    public void Reshape_IsAView_AndChecksTheElementCount()
    {
        var x = new Tensor(new float[2 * 12], 2, 12);
        var r = EagerLayers.Reshape(x, new[] { 4, 3 }, "Steps");
        Assert.Same(x.Data, r.Data);
        Assert.Equal(new[] { 2, 4, 3 }, r.Shape);
        var ex = Assert.Throws<ArgumentException>(() => EagerLayers.Reshape(x, new[] { 5, 3 }, "Steps"));
        Assert.Contains("Layer 'Steps' reshapes samples of 15 elements to [5, 3], but got [2, 12]", ex.Message);
    }

    [Fact]
    public void Initialisation_FollowsPyTorchDefaults()
    {
        // LSTM(8) on 2 features: (2 + 8 + 2)·32 = 384 parameters, all U(±1/√8); Dense(2) after it.
        var model = new SequenceClassifier(seed: 1);
        Assert.Equal(384 + 8 * 2 + 2, SequenceClassifier.TotalParameters);
        var lstm = model.Parameters[..384].ToArray();
        double bound = 1 / Math.Sqrt(8);
        Assert.True(lstm.All(v => Math.Abs(v) <= bound));
        Assert.True(lstm.Max() > bound * 0.95 && lstm.Min() < -bound * 0.95);
        Assert.True(lstm.Count(v => v == 0f) < 2, "biases are uniform too, not zero");

        // Conv1d(4, 3) on 3 channels: weights [4, 3, 3] and bias [4], U(±1/√9).
        var conv = new Conv1dNet(seed: 2);
        var c1 = conv.Parameters[..(4 * 3 * 3 + 4)].ToArray();
        Assert.True(c1.All(v => Math.Abs(v) <= 1 / 3.0));
        Assert.True(c1[^4..].Any(v => v != 0f), "Conv1d biases are drawn too, as PyTorch");
    }

    [Fact]
    public void Summary_ShowsTheBidirectionalDoubling()
    {
        string summary = new LstmBidirectionalSequenceNet(seed: 0).Summary();
        Assert.Contains("Encoder (LSTM 2×3 bidirectional, sequences)   [batch, 4, 6]", summary);
        Assert.Contains("Summary2 (LSTM 2)", summary);
    }

    /// <summary>
    /// 10 steps of 2 features; the class is whether the first feature's sum over the sequence is positive,
    /// so the LSTM has to carry information across steps.
    /// </summary>
    private static Dataset SignOfSum(int count, int seed)
    {
        var rng = new Rng(seed);
        var features = new float[count * 20];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            double sum = 0;
            for (int t = 0; t < 10; t++)
            {
                float v = (float)rng.NextGaussian();
                features[i * 20 + t * 2] = v;
                features[i * 20 + t * 2 + 1] = (float)rng.NextGaussian();
                sum += v;
            }
            labels[i] = sum > 0 ? 1 : 0;
        }
        return Dataset.ForClassification(features, 20, labels, 2);
    }

    [Fact]
    public void LstmClassifier_LossFalls_OnASyntheticSequenceTask()
    {
        var train = SignOfSum(512, 1);
        var test = SignOfSum(256, 2);
        var model = new SequenceClassifier(seed: 7);
        float before = model.Evaluate(test).Loss;
        var history = model.Fit(train, epochs: 12, batchSize: 32, optimizer: new Adam(1e-2f), seed: 7);
        var after = model.Evaluate(test);
        output.WriteLine($"test loss {before:F4} → {after.Loss:F4}, accuracy {after.Accuracy:P1}; train loss by epoch: {string.Join(", ", history.Select(e => e.TrainLoss.ToString("F3")))}");
        Assert.True(history[^1].TrainLoss < history[0].TrainLoss * 0.6f, history.ToString());
        Assert.True(after.Loss < before * 0.5f, $"test loss {before} → {after.Loss}");
        Assert.True(after.Accuracy > 0.85f, after.ToString());
    }
}
