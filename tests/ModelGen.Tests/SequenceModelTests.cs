using System;
using System.Linq;
using ModelGen.Compute;
using ModelGen.Tests.Models;
using Xunit;
using Xunit.Abstractions;

namespace ModelGen.Tests;

/// <summary>Sequence models: gradient checks of the generated Graph&lt;double&gt; (ids in, a class per position out) and training.</summary>
[Collection(ModelGen.Tests.Cpu.SerialCollection.Name)]
public class SequenceModelTests(ITestOutputHelper output)
{
    public static TheoryData<string> Models => new()
    {
        nameof(EmbeddingNet), nameof(PaddedEmbeddingNet), nameof(PositionsNet), nameof(AttentionNet), nameof(CausalAttentionNet),
        nameof(SequenceDenseNormNet), nameof(SequenceDropoutNet), nameof(TransformerBlockNet),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void AnalyticGradientsMatchCentralDifferences(string model)
    {
        (ModelGraph<double> graph, int count, InitializeAction initialize, int vocabulary) = model switch
        {
            nameof(EmbeddingNet) => ((ModelGraph<double>)new EmbeddingNet.Graph<double>(3), EmbeddingNet.TotalParameters, (InitializeAction)EmbeddingNet.Initialize, 11),
            nameof(PaddedEmbeddingNet) => (new PaddedEmbeddingNet.Graph<double>(3), PaddedEmbeddingNet.TotalParameters, PaddedEmbeddingNet.Initialize, 11),
            nameof(PositionsNet) => (new PositionsNet.Graph<double>(3), PositionsNet.TotalParameters, PositionsNet.Initialize, 9),
            nameof(AttentionNet) => (new AttentionNet.Graph<double>(3), AttentionNet.TotalParameters, AttentionNet.Initialize, 7),
            nameof(CausalAttentionNet) => (new CausalAttentionNet.Graph<double>(3), CausalAttentionNet.TotalParameters, CausalAttentionNet.Initialize, 7),
            nameof(SequenceDenseNormNet) => (new SequenceDenseNormNet.Graph<double>(3), SequenceDenseNormNet.TotalParameters, SequenceDenseNormNet.Initialize, 7),
            nameof(SequenceDropoutNet) => (new SequenceDropoutNet.Graph<double>(3), SequenceDropoutNet.TotalParameters, SequenceDropoutNet.Initialize, 7),
            nameof(TransformerBlockNet) => (new TransformerBlockNet.Graph<double>(3), TransformerBlockNet.TotalParameters, TransformerBlockNet.Initialize, 13),
            _ => throw new ArgumentException(model),
        };
        const int batch = 3;
        var parameters = new double[count];
        initialize(parameters, 7);
        var rng = new Rng(123);
        var ids = new double[batch * graph.InputSize];
        for (int i = 0; i < ids.Length; i++) ids[i] = rng.NextInt(vocabulary);
        int classes = graph.OutputSize / graph.TargetSize;
        Assert.Equal(graph.InputSize, graph.TargetSize);   // one target per position
        var targets = new double[batch * graph.TargetSize];
        for (int i = 0; i < targets.Length; i++) targets[i] = rng.NextInt(classes);

        Func<int, bool>? noGradient = null;
        if (model == nameof(PaddedEmbeddingNet))
        {
            // The padding row starts at zero; ids 3 occur, so the test sees the row skipped, not merely unused.
            Assert.All(parameters.AsSpan(3 * 5, 5).ToArray(), v => Assert.Equal(0.0, v));
            ids[1] = ids[7] = 3;
            noGradient = i => i >= 3 * 5 && i < 4 * 5;
        }
        for (int i = 0; i < parameters.Length; i++) parameters[i] += 0.1 * rng.NextGaussian();
        GradientCheckTests.Check(model, graph, parameters, ids, targets, batch, noGradient);
    }

    [Fact]
    public void SequenceCrossEntropy_IsTheMeanOverEveryPosition()
    {
        // The loss of a batch equals the mean of the per-sample losses (each itself a mean over its positions).
        var graph = new EmbeddingNet.Graph<double>(2);
        var parameters = new double[EmbeddingNet.TotalParameters];
        EmbeddingNet.Initialize<double>(parameters, 3);
        double[] ids = { 0, 1, 2, 3, 4, 5, 10, 9, 8, 7, 6, 5 };
        double[] targets = { 0, 1, 2, 3, 0, 1, 3, 3, 2, 2, 1, 1 };
        double both = graph.Loss(parameters, ids, targets, 2);
        double first = graph.Loss(parameters, ids.AsSpan(0, 6), targets.AsSpan(0, 6), 1);
        double second = graph.Loss(parameters, ids.AsSpan(6), targets.AsSpan(6), 1);
        Assert.Equal((first + second) / 2, both, 12);
        // By hand for the first sample: mean over its 6 positions of log Σ exp(z) − z[target].
        var logits = graph.Forward(parameters, ids.AsSpan(0, 6), 1).ToArray();
        double byHand = Enumerable.Range(0, 6).Average(s =>
        {
            var row = logits.AsSpan(s * 4, 4).ToArray();
            return Math.Log(row.Sum(Math.Exp)) - row[(int)targets[s]];
        });
        Assert.Equal(byHand, first, 12);
    }

    [Fact]
    public void Embedding_RejectsAnIdOutsideTheVocabulary_NamingItsRow()
    {
        var model = new EmbeddingNet(seed: 1);
        var ids = new float[6] { 0, 1, 2, 11, 4, 5 };
        var error = Assert.Throws<ArgumentException>(() => model.Predict(ids));
        Assert.StartsWith("'inputs' holds the token id 11 at sample 0, column 3, but Embedding 'Tokens' of EmbeddingNet has a vocabulary of 11 (ids 0…10)", error.Message);
    }

    [Fact]
    public void EagerLayerMethods_MatchTheFusedGraph()
    {
        var model = new TransformerBlockNet(seed: 5);
        var rng = new Rng(8);
        var ids = new float[2 * 6];
        for (int i = 0; i < ids.Length; i++) ids[i] = rng.NextInt(13);
        var eager = model.RunEagerly(new Tensor(ids, 2, 6));
        Assert.Equal(new[] { 2, 6, 13 }, eager.Shape);
        var fused = new float[2 * model.OutputSize];
        model.Predict(ids, 2, fused);
        for (int i = 0; i < fused.Length; i++) Assert.Equal(fused[i], eager.Data[i], 4);
    }

    [Fact]
    public void TinyTransformer_LossFallsOver50AdamSteps()
    {
        // Synthetic sequences that count up by a step (1 or 2) chosen per sequence; the target of each
        // position is the next token. Fixed seeds: the same run every time.
        const int batch = 16, length = 64, vocabulary = 96;
        var rng = new Rng(2026);
        var ids = new float[batch * length];
        var targets = new float[batch * length];
        for (int b = 0; b < batch; b++)
        {
            int token = rng.NextInt(vocabulary), step = 1 + rng.NextInt(2);
            for (int s = 0; s < length; s++)
            {
                ids[b * length + s] = token;
                token = (token + step) % vocabulary;
                targets[b * length + s] = token;
            }
        }
        var model = new Bench.TinyTransformer(seed: 0);   // as the benchmark program declares it
        // The benchmark network exactly: PyTorch's TinyTransformer (torch_peer.py) has 429,664 parameters.
        Assert.Equal(429_664, Bench.TinyTransformer.TotalParameters);
        Assert.Equal(64, model.LabelsPerSample);
        Assert.Equal(64, model.TargetSize);
        var optimizer = new Adam(1e-3f, 0.9f, 0.999f, 1e-8f);
        var losses = new float[50];
        for (int i = 0; i < losses.Length; i++) losses[i] = model.TrainStep(ids, targets, batch, optimizer);
        Assert.InRange(losses[0], 4.0f, 6.5f);   // about ln 96 = 4.56 at the start
        output.WriteLine($"tiny-transformer, batch {batch}: loss {losses[0]:F4} → {losses[9]:F4} (step 10) → {losses[^1]:F4} (step 50)");
        Assert.True(losses[^1] < 0.5f * losses[0], $"loss {losses[0]} → {losses[^1]}");

        // Per-position accuracy through Evaluate and a per-position dataset.
        var labels = targets.Select(t => (int)t).ToArray();
        var data = Dataset.ForSequenceClassification(ids, length, labels, labelsPerRow: length, classCount: vocabulary);
        var evaluation = model.Evaluate(data);
        output.WriteLine($"per-position accuracy after 50 steps: {evaluation.Accuracy:F4}");
        Assert.InRange(evaluation.Accuracy, 0.3f, 1f);
        Assert.Equal(batch * length, model.PredictClasses(data).Length);
    }

    [Fact]
    public void TransformerBlock_TrainStepAndPredict_AllocateNothingOnTheCallingThreadAfterWarmUp()
    {
        var model = new TransformerBlockNet(seed: 1);
        var rng = new Rng(6);
        const int batch = 8;
        var ids = new float[batch * 6];
        var targets = new float[batch * 6];
        for (int i = 0; i < ids.Length; i++) { ids[i] = rng.NextInt(13); targets[i] = rng.NextInt(13); }
        var outputs = new float[batch * model.OutputSize];
        var optimizer = new Adam(1e-3f);
        for (int i = 0; i < 20; i++) { model.TrainStep(ids, targets, batch, optimizer); model.Predict(ids, batch, outputs); }
        // As ModelAllocationTests: a per-step allocation shows in every window, a one-time growth in one at most.
        var windows = new System.Collections.Generic.List<long>();
        for (int window = 0; window < 3 && (windows.Count == 0 || windows[^1] != 0); window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++) { model.TrainStep(ids, targets, batch, optimizer); model.Predict(ids, batch, outputs); }
            windows.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(windows[^1] == 0, $"Bytes allocated per window of 10 steps: {string.Join(", ", windows)}.");
    }

    [Fact]
    public void Fit_TakesOneLabelPerPosition_AndSaysSoOtherwise()
    {
        var rng = new Rng(4);
        var ids = new float[40 * 6];
        var labels = new int[40 * 6];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = rng.NextInt(11);
            labels[i] = (int)ids[i] % 4;   // the class of each position is a function of its id
        }
        var model = new EmbeddingNet(seed: 2);
        var data = Dataset.ForSequenceClassification(ids, 6, labels, labelsPerRow: 6);
        var before = model.Evaluate(data);
        var history = model.Fit(data, epochs: 30, batchSize: 8, optimizer: new Adam(0.05f), seed: 1);
        var after = model.Evaluate(data);
        Assert.True(after.Loss < 0.5f * before.Loss, $"loss {before.Loss} → {after.Loss}");
        Assert.Equal(1f, after.Accuracy);
        Assert.Equal(30, history.Count);

        var perRow = Dataset.ForClassification(ids, 6, labels.Take(40).ToArray());
#pragma warning disable MG0602 // the build sees this too; the test is about the run-time check
        var error = Assert.Throws<ArgumentException>(() => model.Fit(perRow, epochs: 1));
#pragma warning restore MG0602
        Assert.Contains("classifies each of its 6 positions and needs 6 class indices per row", error.Message);
    }

    private delegate void InitializeAction(Span<double> parameters, int seed);
}
