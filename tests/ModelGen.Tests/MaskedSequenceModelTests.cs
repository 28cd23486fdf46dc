using System;
using System.Linq;
using ModelGen.Compute;
using ModelGen.Metrics;
using ModelGen.Tests.Models;
using Xunit;
using Xunit.Abstractions;

namespace ModelGen.Tests;

/// <summary>
/// Variable-length sequences (MaskPadding): a padded sample must give what a fixed-length twin of its own
/// length gives (outputs, loss, every gradient), the gradients must match central differences, and
/// Evaluate / PredictClasses must ignore the padded positions.
/// </summary>
[Collection(ModelGen.Tests.Cpu.SerialCollection.Name)]
public class MaskedSequenceModelTests(ITestOutputHelper output)
{
    private const int Padding = 0;

    /// <summary>Ids 1…vocabulary−1 for the first <paramref name="length"/> positions, padding after.</summary>
    private static double[] PaddedIds(Rng rng, int positions, int length, int vocabulary)
    {
        var ids = new double[positions];
        for (int s = 0; s < length; s++) ids[s] = 1 + rng.NextInt(vocabulary - 1);
        return ids;
    }

    /// <summary>
    /// Runs the masked graph on the padded batch and each sample alone through the twin of its length, and
    /// compares: outputs at real positions, the loss (each sample weighted by its real positions for a
    /// per-position loss, else by 1) and every parameter gradient.
    /// </summary>
    private void AssertLikeTwins(string model, ModelGraph<double> masked, double[] parameters, int[] lengths, int classes, bool perPosition,
        Func<int, ModelGraph<double>> twinOfLength)
    {
        int batch = lengths.Length, positions = masked.InputSize;
        var rng = new Rng(41);
        var ids = lengths.SelectMany(n => PaddedIds(rng, positions, n, 9)).ToArray();
        // Labels at padded positions hold real classes too: they must not count.
        var targets = new double[batch * masked.TargetSize];
        for (int i = 0; i < targets.Length; i++) targets[i] = rng.NextInt(classes);

        var gradients = new double[parameters.Length];
        double loss = masked.TrainStep(parameters, gradients, ids, targets, batch);
        var outputs = masked.LastOutput(batch).ToArray();

        double weightSum = 0, expectedLoss = 0;
        var expectedGradients = new double[parameters.Length];
        int outputsPerPosition = masked.OutputSize / (perPosition ? positions : 1);
        for (int b = 0; b < batch; b++)
        {
            int n = lengths[b];
            var twin = twinOfLength(n);
            Assert.Equal(parameters.Length, twin.ParameterCount);
            var twinIds = ids.AsSpan(b * positions, n).ToArray();
            var twinTargets = perPosition ? targets.AsSpan(b * positions, n).ToArray() : new[] { targets[b] };
            var twinGradients = new double[parameters.Length];
            double twinLoss = twin.TrainStep(parameters, twinGradients, twinIds, twinTargets, 1);
            var twinOutputs = twin.LastOutput(1).ToArray();
            int compared = perPosition ? n * outputsPerPosition : outputsPerPosition;
            for (int i = 0; i < compared; i++)
                Assert.True(Math.Abs(outputs[b * masked.OutputSize + i] - twinOutputs[i]) <= 1e-10,
                    $"{model}: sample {b} (length {n}), output {i}: {outputs[b * masked.OutputSize + i]:G12} vs its twin's {twinOutputs[i]:G12}");
            double weight = perPosition ? n : 1;
            weightSum += weight;
            expectedLoss += weight * twinLoss;
            for (int i = 0; i < parameters.Length; i++) expectedGradients[i] += weight * twinGradients[i];
        }
        Assert.Equal(expectedLoss / weightSum, loss, 10);
        for (int i = 0; i < parameters.Length; i++)
            Assert.True(Math.Abs(gradients[i] - expectedGradients[i] / weightSum) <= 1e-10,
                $"{model}: gradient {i}: {gradients[i]:G12}, twins give {expectedGradients[i] / weightSum:G12}");
        output.WriteLine($"{model}: lengths [{string.Join(", ", lengths)}] of {positions}: loss {loss:F6} = the twins' weighted mean; {parameters.Length} gradients agree");
    }

    private static double[] Parameters(int count, MaskedInitialize initialize, int seed)
    {
        var parameters = new double[count];
        initialize(parameters, seed);
        var rng = new Rng(seed + 1);
        for (int i = 0; i < parameters.Length; i++) parameters[i] += 0.1 * rng.NextGaussian();
        return parameters;
    }

    private delegate void MaskedInitialize(Span<double> parameters, int seed);

    [Fact]
    public void Attention_PaddedSamples_BehaveAsTheirFixedLengthTwins()
    {
        var parameters = Parameters(MaskedTagger.TotalParameters, MaskedTagger.Initialize, 3);
        Assert.Equal(MaskedTagger.TotalParameters, TaggerAtFive.TotalParameters);
        AssertLikeTwins(nameof(MaskedTagger), new MaskedTagger.Graph<double>(4), parameters, new[] { 5, 2, 5, 2 }, classes: 4, perPosition: true,
            n => n == 5 ? new TaggerAtFive.Graph<double>(1) : new TaggerAtTwo.Graph<double>(1));
    }

    [Fact]
    public void BidirectionalLstm_LastStates_StopAtEachSamplesLength()
    {
        var parameters = Parameters(MaskedLstmClassifier.TotalParameters, MaskedLstmClassifier.Initialize, 5);
        AssertLikeTwins(nameof(MaskedLstmClassifier), new MaskedLstmClassifier.Graph<double>(3), parameters, new[] { 3, 5, 3 }, classes: 3, perPosition: false,
            n => n == 3 ? new LstmClassifierAtThree.Graph<double>(1) : new LstmClassifierAtFive.Graph<double>(1));
    }

    [Fact]
    public void BidirectionalGru_EveryStep_PerPositionLossOverRealPositions()
    {
        var parameters = Parameters(MaskedGruTagger.TotalParameters, MaskedGruTagger.Initialize, 7);
        AssertLikeTwins(nameof(MaskedGruTagger), new MaskedGruTagger.Graph<double>(2), parameters, new[] { 4, 4 }, classes: 4, perPosition: true,
            _ => new GruTaggerAtFour.Graph<double>(1));
    }

    [Fact]
    public void WithoutPadding_TheMaskChangesNothing()
    {
        // Every sample at the full length: the masked graph equals its own run with a longer padding-free batch.
        var parameters = Parameters(MaskedTagger.TotalParameters, MaskedTagger.Initialize, 9);
        var graph = new MaskedTagger.Graph<double>(2);
        var rng = new Rng(3);
        var ids = PaddedIds(rng, 8, 8, 9).Concat(PaddedIds(rng, 8, 8, 9)).ToArray();
        var targets = Enumerable.Range(0, 16).Select(_ => (double)rng.NextInt(4)).ToArray();
        double both = graph.Loss(parameters, ids, targets, 2);
        double first = graph.Loss(parameters, ids.AsSpan(0, 8), targets.AsSpan(0, 8), 1);
        double second = graph.Loss(parameters, ids.AsSpan(8), targets.AsSpan(8), 1);
        Assert.Equal((first + second) / 2, both, 12);
    }

    public static TheoryData<string> Models => new() { nameof(MaskedTagger), nameof(MaskedLstmClassifier), nameof(MaskedGruTagger), nameof(MaskedCausalNet) };

    [Theory]
    [MemberData(nameof(Models))]
    public void AnalyticGradientsMatchCentralDifferences(string model)
    {
        (ModelGraph<double> graph, double[] parameters, int dimension) = model switch
        {
            nameof(MaskedTagger) => ((ModelGraph<double>)new MaskedTagger.Graph<double>(3), Parameters(MaskedTagger.TotalParameters, MaskedTagger.Initialize, 1), 6),
            nameof(MaskedLstmClassifier) => (new MaskedLstmClassifier.Graph<double>(3), Parameters(MaskedLstmClassifier.TotalParameters, MaskedLstmClassifier.Initialize, 1), 4),
            nameof(MaskedGruTagger) => (new MaskedGruTagger.Graph<double>(3), Parameters(MaskedGruTagger.TotalParameters, MaskedGruTagger.Initialize, 1), 4),
            nameof(MaskedCausalNet) => (new MaskedCausalNet.Graph<double>(3), Parameters(MaskedCausalNet.TotalParameters, MaskedCausalNet.Initialize, 1), 6),
            _ => throw new ArgumentException(model),
        };
        int positions = graph.InputSize, vocabulary = model == nameof(MaskedCausalNet) ? 7 : 9;
        var rng = new Rng(77);
        // A full sample, a padded one and one of padding only (length 0).
        var ids = PaddedIds(rng, positions, positions, vocabulary).Concat(PaddedIds(rng, positions, positions - 3, vocabulary)).Concat(new double[positions]).ToArray();
        int classes = graph.OutputSize / Math.Max(graph.TargetSize, 1);
        var targets = new double[3 * graph.TargetSize];
        for (int i = 0; i < targets.Length; i++) targets[i] = rng.NextInt(graph.TargetSize == 1 ? graph.OutputSize : classes);
        // The padding row of the embedding table (its first `dimension` values) never gets a gradient.
        GradientCheckTests.Check(model, graph, parameters, ids, targets, 3, i => i < dimension);
    }

    [Fact]
    public void Evaluate_And_PredictClasses_CountOnlyRealPositions()
    {
        var model = new MaskedTagger(seed: 4);
        var rng = new Rng(12);
        int[] lengths = { 8, 3, 6, 1, 0 };
        var ids = lengths.SelectMany(n => PaddedIds(rng, 8, n, 9)).Select(v => (float)v).ToArray();
        var labels = Enumerable.Range(0, ids.Length).Select(_ => rng.NextInt(4)).ToArray();
        var data = Dataset.ForSequenceClassification(ids, 8, labels, labelsPerRow: 8, classCount: 4);
        Assert.Equal(Padding, model.MaskPaddingIndex);

        var classes = model.PredictClasses(data);
        var outputs = model.Predict(data);
        int real = 0, right = 0;
        for (int r = 0; r < lengths.Length; r++)
            for (int s = 0; s < 8; s++)
            {
                int predicted = classes[r * 8 + s];
                if (s >= lengths[r])
                {
                    Assert.Equal(-1, predicted);
                    continue;
                }
                var row = outputs.AsSpan((r * 8 + s) * 4, 4).ToArray();
                Assert.Equal(Array.IndexOf(row, row.Max()), predicted);
                real++;
                if (predicted == labels[r * 8 + s]) right++;
            }
        var evaluation = model.Evaluate(data, batchSize: 2);
        Assert.Equal((float)right / real, evaluation.Accuracy, 6);
        // The loss is the mean over the 18 real positions, whatever the batching.
        Assert.Equal(model.Evaluate(data, batchSize: 5).Loss, evaluation.Loss, 5);
    }

    [Fact]
    public void ModelScores_RefusesPerPositionModels_PointingToEvaluate()
    {
        var model = new MaskedTagger(seed: 1);
        var data = Dataset.ForSequenceClassification(new float[8] { 1, 2, 0, 0, 0, 0, 0, 0 }, 8, new int[8], labelsPerRow: 8, classCount: 4);
        var error = Assert.Throws<ArgumentException>(() => ModelScores.Evaluate(model, data));
        Assert.Contains("classifies each of its 8 positions", error.Message);
        Assert.Contains("over each sample's real positions", error.Message);
    }

    [Fact]
    public void EagerLayerMethods_SayTheyCannotMask()
    {
        var model = new MaskedTagger(seed: 1);
        var error = Assert.Throws<NotSupportedException>(() => model.RunEagerly(new Tensor(new float[8] { 1, 2, 3, 0, 0, 0, 0, 0 }, 1, 8)));
        Assert.Contains("'Attention' masks padded positions (MaskPadding)", error.Message);
    }

    [Fact]
    public void CudaPlan_RunsVariableLengths_WithALengthsKernel()
    {
        var plan = new MaskedTagger(seed: 1).GetCudaPlan();
        Assert.NotNull(plan);
        Assert.True(plan!.IsSupported, plan.UnsupportedReason);
        // One int per sample, computed from the ids in inference and in training, read by attention and the loss.
        var lengths = Assert.Single(plan.Buffers, b => b.Name == "lengths");
        Assert.Equal((1L, 0L, ModelGen.Cuda.CudaBufferType.Int), (lengths.PerSample, lengths.Fixed, lengths.Type));
        Assert.Contains(plan.Inference, l => l.Kernel == "tokens_lengths");
        Assert.Contains(plan.TrainingForward, l => l.Kernel == "tokens_lengths");
        Assert.Contains("mg::sequence_lengths<8, 0>(buffer(slot::input), lengths(), batch);", plan.Source);
        Assert.Contains("mg::attention_forward<AttentionSizes>(buffer(slot::AttentionQkv), buffer(slot::AttentionProbabilities), buffer(slot::AttentionHeads), batch, lengths());", plan.Source);
        Assert.Contains("mg::masked_softmax_cross_entropy<4, 8>(", plan.Source);
    }

    [Fact]
    public void LstmClassifier_LearnsTheLastRealToken_OfVariableLengthSequences()
    {
        // Class = last real id mod 3, lengths 1…7, padded with id 0 to 7 positions.
        static Dataset Make(int count, int seed)
        {
            var rng = new Rng(seed);
            var ids = new float[count * 7];
            var labels = new int[count];
            for (int r = 0; r < count; r++)
            {
                int length = 1 + rng.NextInt(7);
                for (int s = 0; s < length; s++) ids[r * 7 + s] = 1 + rng.NextInt(8);
                labels[r] = (int)ids[r * 7 + length - 1] % 3;
            }
            return Dataset.ForClassification(ids, 7, labels, classCount: 3);
        }
        var train = Make(600, 1);
        var test = Make(300, 2);
        var model = new MaskedLstmClassifier(seed: 0);
        var history = model.Fit(train, epochs: 25, batchSize: 32, optimizer: new Adam(0.02f), seed: 3);
        var evaluation = model.Evaluate(test);
        output.WriteLine($"masked bi-LSTM, last real id mod 3: train loss {history[0].TrainLoss:F3} → {history[^1].TrainLoss:F3}, test accuracy {evaluation.Accuracy:F3}");
        Assert.True(evaluation.Accuracy >= 0.9f, $"test accuracy {evaluation.Accuracy}");
    }
}
