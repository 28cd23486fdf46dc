using System;
using System.Linq;
using ModelGen.Compute;
using ModelGen.Tests.Models;
using Xunit;
using Xunit.Abstractions;

namespace ModelGen.Tests.Training;

/// <summary>Several inputs and heads at run time: eager Tensor.Concat, data with named inputs, Fit, per-head Evaluate and Predict.</summary>
public class GraphModelTests(ITestOutputHelper output)
{
    private static float[] Gaussian(int count, int seed)
    {
        var rng = new Rng(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)rng.NextGaussian();
        return values;
    }

    [Fact]
    public void TensorConcat_JoinsTheLastAxisByDefault_AndAnyAxisWhenAsked()
    {
        var a = new Tensor([1, 2, 3, 4, 5, 6], 2, 3);
        var b = new Tensor([7, 8, 9, 10], 2, 2);
        var joined = Tensor.Concat(a, b);
        Assert.Equal([2, 5], joined.Shape);
        Assert.Equal([1f, 2, 3, 7, 8, 4, 5, 6, 9, 10], joined.Data);

        // Per-sample [2, 2] blocks stacked on axis 0 give [4, 2]; on axis 1 (= −1) they give [2, 4].
        var p = new Tensor([1, 2, 3, 4, 5, 6, 7, 8], 2, 2, 2);
        var q = new Tensor([-1, -2, -3, -4, -5, -6, -7, -8], 2, 2, 2);
        var rows = Tensor.Concat(0, p, q);
        Assert.Equal([2, 4, 2], rows.Shape);
        Assert.Equal([1f, 2, 3, 4, -1, -2, -3, -4, 5, 6, 7, 8, -5, -6, -7, -8], rows.Data);
        var columns = Tensor.Concat(-1, p, q);
        Assert.Equal([2, 2, 4], columns.Shape);
        Assert.Equal([1f, 2, -1, -2, 3, 4, -3, -4, 5, 6, -5, -6, 7, 8, -7, -8], columns.Data);

        var taller = Tensor.Zeros(2, 3, 2);
        Assert.Equal([2, 5, 2], Tensor.Concat(0, p, taller).Shape);
        Assert.Throws<ArgumentException>(() => Tensor.Concat(1, p, taller));      // axis 0 differs: 2 vs 3
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Concat(1, a, b)); // [3] has only axis 0
    }

    [Fact]
    public void EagerForward_MatchesTheFusedOutputs()
    {
        var model = new MultiHeadNet(seed: 3);
        var x = Gaussian(4 * 5, 1);
        var (kind, score, flag) = model.Forward(new Tensor(x, 4, 5));
        var packed = new float[4 * 6];
        model.Predict(x, 4, packed);
        for (int r = 0; r < 4; r++)
        {
            var eager = kind.Data.Skip(3 * r).Take(3).Concat(score.Data.Skip(2 * r).Take(2)).Append(flag.Data[r]).ToArray();
            for (int j = 0; j < 6; j++) Assert.Equal(eager[j], packed[6 * r + j], 4);
        }

        var two = new TwoInputNet(seed: 2);
        var wide = Gaussian(3 * 3, 2);
        var deep = Gaussian(3 * 4, 3);
        var outputs = new float[3 * 2];
        two.Predict(Dataset.PackInputs(3, (wide, 3), (deep, 4)), 3, outputs);
        var expected = two.Forward(new Tensor(wide, 3, 3), new Tensor(deep, 3, 4)).Data;
        for (int i = 0; i < outputs.Length; i++) Assert.Equal(expected[i], outputs[i], 4);
    }

    [Fact]
    public void Model_DescribesItsInputsAndHeads()
    {
        var two = new TwoInputNet();
        Assert.Equal([new InputBlock("wide", 0, 3), new InputBlock("deep", 3, 4)], two.Inputs);
        Assert.Equal(7, two.InputSize);
        var heads = new MultiHeadNet().Heads;
        Assert.Equal(["kind", "score", "flag"], heads.Select(h => h.Name));
        Assert.Equal([1f, 0.5f, 2f], heads.Select(h => h.Weight));
        Assert.Equal([0, 3, 5], heads.Select(h => h.OutputOffset));
        Assert.Equal([0, 1, 3], heads.Select(h => h.TargetOffset));
        Assert.Equal(4, new MultiHeadNet().TargetSize);
        Assert.Equal(1, new ContrastiveNet().TargetSize);
        Assert.Equal("output", Assert.Single(new ReluNet().Heads).Name);
    }

    [Fact]
    public void Fit_OnNamedInputs_LowersTheLoss_AndChecksTheBlocks()
    {
        const int rows = 64;
        var wide = Gaussian(rows * 3, 4);
        var deep = Gaussian(rows * 4, 5);
        // Targets a fixed function of both inputs, so the model can learn them.
        var targets = new float[rows * 2];
        for (int r = 0; r < rows; r++)
        {
            targets[2 * r] = wide[3 * r] - 0.5f * deep[4 * r + 1];
            targets[2 * r + 1] = MathF.Tanh(deep[4 * r + 2] + wide[3 * r + 2]);
        }
        var plain = Dataset.ForRegression(Dataset.PackInputs(rows, (wide, 3), (deep, 4)), 7, targets, 2);
        var data = plain.WithInputs(("wide", 3), ("deep", 4));
        var model = new TwoInputNet(seed: 1);
        float before = model.Evaluate(data).Loss;
        model.Fit(data, epochs: 40, batchSize: 16, optimizer: new Adam(0.01f), seed: 3);
        float after = model.Evaluate(data).Loss;
        Assert.True(after < 0.5f * before, $"loss {before} → {after}");

        var plainError = Assert.Throws<ArgumentException>(() => model.Evaluate(plain));
        Assert.Contains("WithInputs((\"wide\", 3), (\"deep\", 4))", plainError.Message);
        var swapped = Dataset.ForRegression(Dataset.PackInputs(rows, (deep, 4), (wide, 3)), 7, targets, 2).WithInputs(("deep", 4), ("wide", 3));
        Assert.Contains("takes wide[3], deep[4] in that order", Assert.Throws<ArgumentException>(() => model.Fit(swapped, epochs: 1)).Message);
        Assert.Throws<ArgumentException>(() => plain.WithInputs(("wide", 3), ("deep", 5)));
        // Slices and splits keep the blocks.
        Assert.Equal(data.Inputs, data.Split(10).Remaining.Inputs);
    }

    [Fact]
    public void Evaluate_ReportsEveryHead_AndTheWeightedTotal()
    {
        const int rows = 40;
        var x = Gaussian(rows * 5, 6);
        var targets = new float[rows * 4];
        var noise = Gaussian(rows * 2, 7);
        for (int r = 0; r < rows; r++)
        {
            targets[4 * r] = x[5 * r] > 0 ? (x[5 * r + 1] > 0 ? 2 : 1) : 0;
            targets[4 * r + 1] = x[5 * r + 2];
            targets[4 * r + 2] = noise[2 * r];
            targets[4 * r + 3] = x[5 * r + 3] > 0 ? 1 : 0;
        }
        var data = Dataset.ForRegression(x, 5, targets, 4);
        var model = new MultiHeadNet(seed: 4);
        var before = model.Evaluate(data);
        model.Fit(data, epochs: 60, batchSize: 8, optimizer: new Adam(0.01f), seed: 1);
        var after = model.Evaluate(data);

        Assert.Equal(["kind", "score", "flag"], after.Heads.Select(h => h.Name));
        Assert.True(float.IsNaN(after.Accuracy));
        Assert.True(float.IsNaN(after.Heads[1].Accuracy));   // regression head
        Assert.InRange(after.Heads[0].Accuracy, 0.7f, 1f);
        Assert.InRange(after.Heads[2].Accuracy, 0.8f, 1f);
        Assert.Equal(after.Heads[0].MeanLoss + 0.5f * after.Heads[1].MeanLoss + 2f * after.Heads[2].MeanLoss, after.Loss, 4);
        Assert.All(after.Heads.Zip(before.Heads), p => Assert.True(p.First.MeanLoss < p.Second.MeanLoss, $"{p.First.Name}: {p.Second.MeanLoss} → {p.First.MeanLoss}"));
        Assert.Contains("kind: loss", after.ToString());

        var flags = model.PredictHead(data, "flag");
        var packed = model.Predict(data);
        Assert.Equal(rows, flags.Length);
        for (int r = 0; r < rows; r++) Assert.Equal(packed[6 * r + 5], flags[r]);
        Assert.Throws<ArgumentException>(() => model.PredictHead(data, "price"));
        Assert.Contains("PredictHead(data, \"kind\")", Assert.Throws<InvalidOperationException>(() => model.PredictClasses(data)).Message);
        Assert.Throws<ArgumentException>(() => model.Fit(data, data, epochs: 1, earlyStopping: new EarlyStopping(EarlyStopMetric.ValidationAccuracy)));
    }

    [Fact]
    public void Contrastive_Fit_PullsSimilarPairsTogetherAndPushesOthersApart()
    {
        // Pairs of noisy copies of one of four prototypes: similar when both come from the same prototype.
        const int rows = 96;
        var rng = new Rng(11);
        var prototypes = Gaussian(4 * 4, 12);
        var features = new float[rows * 8];
        var labels = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            int a = rng.NextInt(4), b = r % 2 == 0 ? a : (a + 1 + rng.NextInt(3)) % 4;
            labels[r] = a == b ? 1 : 0;
            for (int j = 0; j < 4; j++)
            {
                features[8 * r + j] = prototypes[4 * a + j] + 0.1f * (float)rng.NextGaussian();
                features[8 * r + 4 + j] = prototypes[4 * b + j] + 0.1f * (float)rng.NextGaussian();
            }
        }
        var data = Dataset.ForRegression(features, 8, labels).WithInputs(("left", 4), ("right", 4));
        var model = new ContrastiveNet(seed: 5);
        float before = model.Evaluate(data).Loss;
        model.Fit(data, epochs: 80, batchSize: 16, optimizer: new Adam(0.01f), seed: 2);
        var after = model.Evaluate(data);
        Assert.True(after.Loss < 0.3f * before, $"loss {before} → {after.Loss}");
        Assert.True(float.IsNaN(after.Accuracy));

        // Distances between the two embeddings: similar pairs end up well inside the margin (2), dissimilar ones near or beyond it.
        var outputs = model.Predict(data);
        double Distance(int r) => Math.Sqrt(Enumerable.Range(0, 3).Sum(j => Math.Pow(outputs[6 * r + j] - outputs[6 * r + 3 + j], 2)));
        double similar = Enumerable.Range(0, rows).Where(r => labels[r] == 1).Average(Distance);
        double dissimilar = Enumerable.Range(0, rows).Where(r => labels[r] == 0).Average(Distance);
        Assert.True(similar < 0.5 && dissimilar > 1.5, $"mean distance: similar {similar:F3}, dissimilar {dissimilar:F3}");
    }

    [Fact]
    public void WideDeepBenchmark_LossFallsOver50AdamSteps()
    {
        // Synthetic rows as the benchmark's: 8 ids of 0…999 then 16 standard-normal floats; the label depends on
        // both parts (the parity of the first id and the sign of the first float), so there is something to learn.
        const int batch = 128;
        var rng = new Rng(2026);
        var inputs = new float[batch * 24];
        var labels = new float[batch];
        for (int r = 0; r < batch; r++)
        {
            for (int j = 0; j < 8; j++) inputs[24 * r + j] = rng.NextInt(1000);
            for (int j = 8; j < 24; j++) inputs[24 * r + j] = (float)rng.NextGaussian();
            labels[r] = ((int)inputs[24 * r] % 2 == 0) == (inputs[24 * r + 8] > 0) ? 1 : 0;
        }
        var model = new Bench.WideDeep(seed: 0);   // as the benchmark program declares it
        Assert.Equal(8 * 1000 * 16 + 144 * 256 + 256 + 256 * 128 + 128 + 128 + 1 + 16 + 1, model.ParameterCount);
        Assert.Equal(24, model.InputSize);
        var optimizer = new Adam(1e-3f, 0.9f, 0.999f, 1e-8f);
        var losses = new float[50];
        for (int i = 0; i < losses.Length; i++) losses[i] = model.TrainStep(inputs, labels, batch, optimizer);
        Assert.InRange(losses[0], 0.5f, 1.5f);   // about ln 2 = 0.69 at the start
        output.WriteLine($"wide-deep, batch {batch}: loss {losses[0]:F4} → {losses[9]:F4} (step 10) → {losses[^1]:F4} (step 50)");
        Assert.True(losses[^1] < 0.5f * losses[0], $"loss {losses[0]} → {losses[9]} (step 10) → {losses[^1]} (step 50)");
    }
}
