using System;
using System.Collections.Generic;
using System.Linq;
using ModelGen.Compute;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests.Training;

public class FitFeatureTests
{
    /// <summary>Three Gaussian blobs in 5 dimensions, labels 0..2.</summary>
    internal static Dataset MakeBlobs(int count, int seed, double noise = 0.7)
    {
        var rng = new Rng(seed);
        var features = new float[count * 5];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = rng.NextInt(3);
            for (int j = 0; j < 5; j++) features[i * 5 + j] = (float)(rng.NextGaussian() * noise + (j % 3 == labels[i] ? 2.0 : 0.0));
        }
        return Dataset.ForClassification(features, 5, labels, 3);
    }

    /// <summary>Labels drawn independently of the features: anything learnt is over-fitting.</summary>
    private static Dataset RandomLabels(int count, int seed)
    {
        var rng = new Rng(seed);
        var features = new float[count * 5];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = rng.NextInt(3);
            for (int j = 0; j < 5; j++) features[i * 5 + j] = (float)rng.NextGaussian();
        }
        return Dataset.ForClassification(features, 5, labels, 3);
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]}, got {actual[i]}");
    }

    [Theory]
    [InlineData(4, 8, 32, 1)]   // one step of 4 full micro-batches
    [InlineData(3, 8, 48, 3)]   // two steps per epoch, three epochs
    [InlineData(3, 8, 20, 2)]   // micro-batches 8, 8, 4: weighted by size, still one batch of 20
    public void Accumulation_MatchesOneBigBatch(int k, int n, int rows, int epochs)
    {
        var data = MakeBlobs(rows, 7);
        var small = new Blobs(seed: 3);
        var big = new Blobs(seed: 3);
        var smallSgd = new Sgd(0.1f);
        var bigSgd = new Sgd(0.1f);
        var hs = small.Fit(data, epochs: epochs, batchSize: n, optimizer: smallSgd, seed: 9, accumulationSteps: k);
        var hb = big.Fit(data, epochs: epochs, batchSize: k * n, optimizer: bigSgd, seed: 9);
        Assert.Equal(bigSgd.StepCount, smallSgd.StepCount);
        AssertClose(big.Parameters, small.Parameters, 2e-6f);
        AssertClose(big.Gradients, small.Gradients, 1e-5f);
        for (int e = 0; e < epochs; e++) Assert.Equal(hb[e].TrainLoss, hs[e].TrainLoss, 5);
    }

    [Fact]
    public void AccumulateGradients_WeightedMicroBatches_EqualTheMeanGradient()
    {
        var data = MakeBlobs(24, 5);
        var a = new Blobs(seed: 2);
        var b = new Blobs(seed: 2);
        float bigLoss = a.TrainStep(data.Features, data.Targets, 24, new Sgd(0.5f));
        double loss = 0;
        for (int i = 0; i < 3; i++)
            loss += b.AccumulateGradients(data.Features.AsSpan(i * 8 * 5, 8 * 5), data.Targets.AsSpan(i * 8, 8), 8, 1f / 3) / 3;
        b.ApplyAccumulatedGradients(new Sgd(0.5f));
        Assert.Equal(bigLoss, (float)loss, 5);
        AssertClose(a.Gradients, b.Gradients, 1e-5f);
        AssertClose(a.Parameters, b.Parameters, 2e-6f);
        Assert.Throws<InvalidOperationException>(() => b.ApplyAccumulatedGradients(new Sgd(0.5f)));
    }

    [Fact]
    public void Penalties_ChangeTheGradientByExactlyLambdaSignAndLambdaP()
    {
        var data = MakeBlobs(16, 4);
        var plain = new Blobs(seed: 6);
        // Non-zero biases so that every element has a sign.
        var rng = new Rng(1);
        for (int i = 0; i < plain.ParameterCount; i++) plain.Parameters[i] += (float)rng.NextGaussian() * 0.01f;
        var p = plain.Parameters.ToArray();
        float basis = plain.TrainStep(data.Features, data.Targets, 16, new Sgd(0.1f));
        var g = plain.Gradients.ToArray();

        const float l1 = 0.03f, l2 = 0.2f;
        foreach (var (a, b) in new[] { (l1, 0f), (0f, l2), (l1, l2) })
        {
            var model = new Blobs(seed: 6);
            p.CopyTo(model.Parameters);
            float loss = model.TrainStep(data.Features, data.Targets, 16, new Sgd(0.1f), l1: a, l2: b);
            for (int i = 0; i < p.Length; i++)
                Assert.Equal(g[i] + (a * MathF.Sign(p[i]) + b * p[i]), model.Gradients[i]);   // bit-exact: the same float operations
            double penalty = a * p.Sum(v => Math.Abs((double)v)) + 0.5 * b * p.Sum(v => (double)v * v);
            Assert.Equal(basis + penalty, loss, 4);
            // SGD applied the penalised gradient: p' = p − lr·g'.
            for (int i = 0; i < p.Length; i++)
                Assert.Equal(p[i] - 0.1f * model.Gradients[i], model.Parameters[i], 1e-6f);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => plain.TrainStep(data.Features, data.Targets, 16, new Sgd(0.1f), l1: -1f));
    }

    [Fact]
    public void Penalties_ShrinkTheWeights_AndEnterTheReportedLoss()
    {
        var data = MakeBlobs(128, 8);
        var free = new Blobs(seed: 1);
        var penalised = new Blobs(seed: 1);
        var hf = free.Fit(data, epochs: 5, batchSize: 32, optimizer: new Sgd(0.1f), seed: 2);
        var hp = penalised.Fit(data, epochs: 5, batchSize: 32, optimizer: new Sgd(0.1f), seed: 2, l1: 1e-3f, l2: 1e-2f);
        double Norm(Blobs m) => m.Parameters.ToArray().Sum(v => (double)v * v);
        Assert.True(Norm(penalised) < Norm(free));
        Assert.True(hp[^1].TrainLoss > penalised.Evaluate(data).Loss, "the reported loss includes the penalty");
        Assert.NotEqual(hf[^1].TrainLoss, hp[^1].TrainLoss);
    }

    [Fact]
    public void EarlyStopping_StopsAfterPatience_AndRestoresTheBestEpoch()
    {
        var train = RandomLabels(30, 1);
        var validation = RandomLabels(300, 2);
        var model = new Blobs(seed: 4);
        var snapshots = new List<float[]>();
        var history = model.Fit(train, validation, epochs: 200, batchSize: 10, optimizer: new Adam(0.03f), seed: 1,
            onEpoch: _ => snapshots.Add(model.Parameters.ToArray()),
            earlyStopping: new EarlyStopping(EarlyStopMetric.ValidationLoss, patience: 3));

        Assert.True(history.StoppedEarly, history.ToString());
        Assert.Equal(history.Count, history.StoppedEpoch);
        Assert.True(history.Count < 200);
        int best = history.BestEpoch!.Value;
        // The best epoch is the first minimum of the validation loss, and exactly `patience` epochs follow it.
        float min = history.Min(r => r.ValidationLoss!.Value);
        Assert.Equal(min, history.BestValue);
        Assert.Equal(best, history.First(r => r.ValidationLoss == min).Epoch);
        Assert.Equal(best + 3, history.Count);
        Assert.True(history[^1].ValidationLoss > min);
        Assert.True(history.RestoredBestWeights);
        Assert.True(model.Parameters.SequenceEqual(snapshots[best - 1]), "parameters are not those of the best epoch");
        Assert.False(model.Parameters.SequenceEqual(snapshots[^1]));
        Assert.Equal(min, model.Evaluate(validation).Loss, 6);
    }

    [Fact]
    public void EarlyStopping_RestoresBatchNormRunningStatistics_WithTheBestWeights()
    {
        Dataset Data(int rows, int seed)
        {
            var rng = new ModelGen.Compute.Rng(seed);
            var x = new float[rows * 50];
            var labels = new int[rows];
            for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextGaussian() * 2 + 1);
            for (int i = 0; i < labels.Length; i++) labels[i] = rng.NextInt(3);
            return Dataset.ForClassification(x, 50, labels, 3);
        }
        var train = Data(30, 1);
        var validation = Data(200, 2);
        var model = new ModelGen.Tests.Models.BatchNormNet(seed: 4);
        var states = new List<float[]>();
        var history = model.Fit(train, validation, epochs: 200, batchSize: 10, optimizer: new Adam(0.03f), seed: 1,
            onEpoch: _ => states.Add(model.State.ToArray()),
            earlyStopping: new EarlyStopping(EarlyStopMetric.ValidationLoss, patience: 3));

        Assert.True(history.StoppedEarly && history.RestoredBestWeights, history.ToString());
        int best = history.BestEpoch!.Value;
        Assert.NotEqual(states[best - 1], states[^1]);
        Assert.Equal(states[best - 1], model.State.ToArray());
        // Inference uses the running statistics: with weights and statistics of the best epoch, its loss comes back.
        Assert.Equal(history.BestValue!.Value, model.Evaluate(validation).Loss, 5);
    }

    [Fact]
    public void EarlyStopping_WithoutRestore_KeepsTheLastParameters_AndMonitorsAccuracy()
    {
        var train = RandomLabels(30, 1);
        var validation = RandomLabels(300, 2);
        var model = new Blobs(seed: 4);
        float[]? last = null;
        var history = model.Fit(train, validation, epochs: 200, batchSize: 10, optimizer: new Adam(0.03f), seed: 1,
            onEpoch: _ => last = model.Parameters.ToArray(),
            earlyStopping: new EarlyStopping(EarlyStopMetric.ValidationAccuracy, patience: 2, restoreBestWeights: false));
        Assert.True(history.StoppedEarly);
        Assert.False(history.RestoredBestWeights);
        Assert.Equal(history.Max(r => r.ValidationAccuracy!.Value), history.BestValue);
        Assert.True(model.Parameters.SequenceEqual(last));
    }

    [Fact]
    public void EarlyStopping_NeedsAValidationSet_AndAnAccuracyForAccuracy()
    {
        var data = MakeBlobs(20, 1);
        var ex = Assert.Throws<ArgumentException>(() => new Blobs().Fit(data, earlyStopping: new EarlyStopping()));
        Assert.Equal("earlyStopping", ex.ParamName);
        Assert.Contains("pass 'validation'", ex.Message);

        var regression = Dataset.ForRegression(new float[4 * 3], 3, new float[4]);
        ex = Assert.Throws<ArgumentException>(() => new Linear().Fit(regression, regression,
            earlyStopping: new EarlyStopping(EarlyStopMetric.ValidationAccuracy)));
        Assert.Contains("no accuracy", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new EarlyStopping(patience: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Blobs().Fit(data, accumulationSteps: 0));
    }

    [Fact]
    public void AllFeaturesTogether_AreDeterministicForASeed()
    {
        var train = MakeBlobs(200, 3, noise: 1.5);
        var validation = MakeBlobs(100, 4, noise: 1.5);
        (float[], TrainingHistory) Train(int seed)
        {
            var model = new Blobs(seed);
            var history = model.Fit(train, validation, epochs: 6, batchSize: 16, optimizer: new AdamW(3e-3f), seed: seed,
                clipGradientNorm: 1f, schedule: new LinearWarmup(5, new CosineDecay(20, 1e-4f)), accumulationSteps: 3,
                earlyStopping: new EarlyStopping(patience: 2), l1: 1e-4f, l2: 1e-3f);
            return (model.Parameters.ToArray(), history);
        }
        var (a, ha) = Train(42);
        var (b, hb) = Train(42);
        var (c, _) = Train(43);
        Assert.True(a.AsSpan().SequenceEqual(b));
        Assert.Equal(ha.Select(r => r.TrainLoss), hb.Select(r => r.TrainLoss));
        Assert.Equal(ha.BestEpoch, hb.BestEpoch);
        Assert.False(a.AsSpan().SequenceEqual(c));
    }

    [Fact]
    public void AccumulationAndPenalties_AllocateNothingPerStep_AfterWarmUp()
    {
        var data = MakeBlobs(64, 2);
        var model = new Blobs(seed: 1);
        var optimizer = new Adam(1e-3f);
        var schedule = new LinearWarmup(10, new CosineDecay(1000));
        long step = 0;
        void Steps(int count)
        {
            for (int s = 0; s < count; s++)
            {
                optimizer.LearningRate = schedule.Rate(step++, 1e-3f);
                for (int m = 0; m < 4; m++)
                    model.AccumulateGradients(data.Features.AsSpan(m * 16 * 5, 16 * 5), data.Targets.AsSpan(m * 16, 16), 16, 0.25f);
                model.ApplyAccumulatedGradients(optimizer, clipGradientNorm: 1f, l1: 1e-4f, l2: 1e-3f);
                model.TrainStep(data.Features.AsSpan(0, 16 * 5), data.Targets.AsSpan(0, 16), 16, optimizer, 1f, 1e-4f, 1e-3f);
            }
        }
        Steps(3);
        long best = long.MaxValue;
        for (int window = 0; window < 5 && best > 0; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Steps(20);
            best = Math.Min(best, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(0, best);
    }
}
