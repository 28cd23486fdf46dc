using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ModelGen.Compute;
using ModelGen.Cpu;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests.Training;

/// <summary>
/// <see cref="EpochResult.TrainAccuracy"/>: counted from the outputs of the epoch's own training steps (no extra pass), judged as
/// <see cref="Model.Evaluate"/> judges; NaN without one accuracy; and user metrics on the training set.
/// </summary>
public class TrainingAccuracyTests
{
    private static Dataset Blobs(int count, int seed) => FitFeatureTests.MakeBlobs(count, seed, noise: 1.5);

    [Fact]
    public void OneStepPerEpoch_TheAccuracyIsThatOfTheParametersTheEpochStartedWith()
    {
        // With the whole set in one step, the step's outputs are those of the parameters before the epoch's update: epoch e's
        // training accuracy is the accuracy after epoch e − 1, and not the one after epoch e (an extra pass would give that).
        var train = Blobs(60, 1);
        var model = new Blobs(seed: 2);
        var after = new List<float> { model.Evaluate(train).Accuracy };
        var history = model.Fit(train, epochs: 6, batchSize: 60, optimizer: new Sgd(0.5f), seed: 3,
            onEpoch: _ => after.Add(model.Evaluate(train).Accuracy));

        for (int e = 0; e < history.Count; e++) Assert.Equal(after[e], history[e].TrainAccuracy, 6);
        Assert.Contains(Enumerable.Range(0, history.Count), e => after[e] != after[e + 1]);   // training changed what is judged
    }

    /// <summary>An optimizer whose steps leave every parameter as it is: 1e-30 × a gradient is below half an ulp of the weights.</summary>
    private static Sgd Still() => new(1e-30f);

    [Fact]
    public void ManyStepsAtRateZero_CountEveryRowOnce_WithAndWithoutAccumulation()
    {
        var train = Blobs(50, 4);
        var model = new Blobs(seed: 5);
        float expected = model.Evaluate(train).Accuracy;
        Assert.InRange(expected, 0.05f, 0.95f);
        var plain = model.Fit(train, epochs: 2, batchSize: 8, optimizer: Still(), seed: 1);
        var accumulated = model.Fit(train, epochs: 1, batchSize: 4, accumulationSteps: 3, optimizer: Still(), seed: 1);
        Assert.All(plain, e => Assert.Equal(expected, e.TrainAccuracy, 6));
        Assert.Equal(expected, accumulated[0].TrainAccuracy, 6);
    }

    [Fact]
    public void SequenceLabels_AreJudgedAtRealPositionsOnly()
    {
        var rng = new Rng(12);
        int[] lengths = { 8, 3, 6, 1, 5, 2 };
        var ids = new List<float>();
        foreach (int n in lengths)
            for (int s = 0; s < 8; s++) ids.Add(s < n ? 1 + rng.NextInt(8) : 0);
        var labels = Enumerable.Range(0, ids.Count).Select(_ => rng.NextInt(4)).ToArray();
        var data = Dataset.ForSequenceClassification(ids.ToArray(), 8, labels, labelsPerRow: 8, classCount: 4);
        var model = new MaskedTagger(seed: 4);
        float expected = model.Evaluate(data).Accuracy;
        var history = model.Fit(data, epochs: 1, batchSize: 4, optimizer: Still());
        Assert.Equal(expected, history[0].TrainAccuracy, 6);
    }

    [Fact]
    public void BinaryCrossEntropy_HasOne_Regression_HasNone()
    {
        var rng = new Rng(3);
        var x = Enumerable.Range(0, 40 * 4).Select(_ => (float)rng.NextGaussian()).ToArray();
        var y = Enumerable.Range(0, 40 * 3).Select(i => x[i / 3 * 4 + i % 3] > 0 ? 1f : 0f).ToArray();
        var flags = Dataset.ForRegression(x, 4, y, 3);
        var bce = new BceNet(seed: 1);
        float expected = bce.Evaluate(flags).Accuracy;
        Assert.Equal(expected, bce.Fit(flags, epochs: 1, batchSize: 16, optimizer: Still())[0].TrainAccuracy, 6);

        var values = Dataset.ForRegression(x, 4, y.Take(80).ToArray(), 2);
        var regression = new MseNet(seed: 1).Fit(values, epochs: 2, batchSize: 16);
        Assert.All(regression, e => Assert.True(float.IsNaN(e.TrainAccuracy)));
        var csv = new StringWriter();
        regression.WriteCsv(csv);
        Assert.StartsWith("1,", csv.ToString().Split('\n')[1]);
        Assert.Equal("", csv.ToString().Split('\n')[1].Split(',')[2]);   // train_accuracy: an empty cell
        Assert.DoesNotContain(" acc ", regression[0].ToString());
    }

    [Fact]
    public void TheAccuracyIsInEveryReport_AndTheSameForAnyThreadCount()
    {
        var images = FitReproducibilityTests.Images(96, 256, 6);
        var train = Dataset.ForClassification(images.Features, 256, Enumerable.Range(0, 96).Select(images.Label).ToArray(), 10);
        TrainingHistory Run(int threads)
        {
            int saved = CpuParallel.ThreadCount;
            try
            {
                CpuParallel.ThreadCount = threads;
                return new WideNet(seed: 1).Fit(train, epochs: 2, batchSize: 32, optimizer: new Adam(1e-2f), seed: 2);
            }
            finally { CpuParallel.ThreadCount = saved; }
        }
        var one = Run(1);
        var two = Run(2);
        Assert.Equal(one.Select(e => e.TrainAccuracy), two.Select(e => e.TrainAccuracy));
        Assert.All(one, e => Assert.InRange(e.TrainAccuracy, 0f, 1f));
        var e1 = one[0];
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"  acc {e1.TrainAccuracy:F4}"), e1.ToString());
        string json = one.ToJson();
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"\"trainAccuracy\": {e1.TrainAccuracy.ToString("R", CultureInfo.InvariantCulture)}"), json);
        var csv = new StringWriter();
        one.WriteCsv(csv);
        var lines = csv.ToString().Split('\n');
        Assert.Equal("epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,duration_s", lines[0]);
        Assert.Equal(e1.TrainAccuracy, float.Parse(lines[1].Split(',')[2], CultureInfo.InvariantCulture));
    }

    [Fact]
    public void UserMetrics_OnTheTrainingSet_AreThoseOfTheEpochsFinalParameters()
    {
        var train = Blobs(40, 7);
        var validation = Blobs(20, 8);
        var model = new Blobs(seed: 9);
        static float MeanFirstOutput(float[] outputs, float[] targets) => outputs.Where((_, i) => i % 3 == 0).Average();
        var expected = new List<float>();
        var history = model.Fit(train, validation, epochs: 3, batchSize: 8, seed: 1,
            metrics: [new EpochMetric("first", MeanFirstOutput) { OnTrainingSet = true }],
            onEpoch: _ => expected.Add(MeanFirstOutput(model.Predict(train), train.Targets)));
        for (int e = 0; e < 3; e++)
        {
            Assert.Equal(expected[e], history[e].TrainMetrics["first"]);
            Assert.Equal(MeanFirstOutput(model.Predict(validation), validation.Targets), history[^1].Metrics["first"]);
            Assert.NotEqual(history[e].Metrics["first"], history[e].TrainMetrics["first"]);
        }
        Assert.Contains("  train_first ", history[0].ToString());
        var csv = new StringWriter();
        history.WriteCsv(csv);
        Assert.EndsWith(",first,train_first", csv.ToString().Split('\n')[0]);

        // Training set only: no validation set needed.
        var trainOnly = new Blobs(seed: 9).Fit(train, epochs: 1, batchSize: 8,
            metrics: [new EpochMetric("first", MeanFirstOutput) { OnTrainingSet = true, OnValidationSet = false }]);
        Assert.Empty(trainOnly[0].Metrics);
        Assert.Single(trainOnly[0].TrainMetrics);

        var needsValidation = Assert.Throws<ArgumentException>(() => new Blobs(seed: 9).Fit(train, epochs: 1,
            metrics: [new EpochMetric("first", MeanFirstOutput) { OnTrainingSet = true }]));
        Assert.Contains("Metric \"first\" is computed on the validation set", needsValidation.Message);
        var neither = Assert.Throws<ArgumentException>(() => new Blobs(seed: 9).Fit(train, validation, epochs: 1,
            metrics: [new EpochMetric("first", MeanFirstOutput) { OnValidationSet = false }]));
        Assert.Contains("computed on neither set", neither.Message);
    }

    [Fact]
    public void ACheckpointKeepsTheTrainingFigures()
    {
        string dir = Path.Combine(Path.GetTempPath(), "modelgen-acc-" + Guid.NewGuid().ToString("N"));
        try
        {
            var train = Blobs(40, 10);
            var metric = new EpochMetric("first", (o, _) => o[0]) { OnTrainingSet = true, OnValidationSet = false };
            var full = new Blobs(seed: 1).Fit(train, epochs: 3, batchSize: 8, seed: 2, metrics: [metric]);
            new Blobs(seed: 1).Fit(train, epochs: 2, batchSize: 8, seed: 2, metrics: [metric], checkpoints: new CheckpointOptions(dir));
            var resumed = new Blobs(seed: 1).Fit(train, epochs: 3, batchSize: 8, seed: 2, metrics: [metric], resumeFrom: Checkpoint.Latest(dir)!);
            Assert.Equal(full.Select(e => e.TrainAccuracy), resumed.Select(e => e.TrainAccuracy));
            Assert.Equal(full.Select(e => e.TrainMetrics["first"]), resumed.Select(e => e.TrainMetrics["first"]));
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
    }
}
