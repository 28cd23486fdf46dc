using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests.Training;

/// <summary>Fit's <c>onEpochEnd</c> callback: it sees every epoch with the history so far and can end training.</summary>
public class EpochCallbackTests
{
    private static Dataset Blobs(int count, int seed) => FitFeatureTests.MakeBlobs(count, seed);

    [Fact]
    public void Callback_StopsTrainingAfterTheEpochItChooses_AndSeesTheHistory()
    {
        var seen = new List<(int Epoch, int HistoryCount, bool IsLast)>();
        var history = new Blobs(seed: 1).Fit(Blobs(40, 1), Blobs(20, 2), epochs: 10, batchSize: 8, seed: 3,
            onEpochEnd: (result, soFar) =>
            {
                seen.Add((result.Epoch, soFar.Count, ReferenceEquals(result, soFar[^1])));
                return result.Epoch == 3 ? EpochDecision.Stop : EpochDecision.Continue;
            });

        Assert.Equal(3, history.Count);
        Assert.True(history.StoppedByCallback);
        Assert.False(history.StoppedEarly);
        Assert.Equal(3, history.StoppedEpoch);
        Assert.Equal(new[] { (1, 1, true), (2, 2, true), (3, 3, true) }, seen);
    }

    [Fact]
    public void StopOnTheLastEpoch_IsNoStop()
    {
        var history = new Blobs(seed: 1).Fit(Blobs(40, 1), epochs: 2, batchSize: 8,
            onEpochEnd: (e, _) => e.Epoch == 2 ? EpochDecision.Stop : EpochDecision.Continue);
        Assert.Equal(2, history.Count);
        Assert.False(history.StoppedByCallback);
        Assert.Null(history.StoppedEpoch);
    }

    [Fact]
    public void CallbackStop_WritesThatEpochsCheckpoint_AndAResumedFitGoesOn_BitForBit()
    {
        string folder = Path.Combine(Path.GetTempPath(), "modelgen-callback-stop-" + Guid.NewGuid().ToString("N"));
        try
        {
            var whole = new Blobs(seed: 1);
            var wholeHistory = whole.Fit(Blobs(40, 1), Blobs(20, 2), epochs: 5, batchSize: 8, optimizer: new Adam(1e-2f), seed: 3);

            var first = new Blobs(seed: 1);
            var stopped = first.Fit(Blobs(40, 1), Blobs(20, 2), epochs: 5, batchSize: 8, optimizer: new Adam(1e-2f), seed: 3,
                checkpoints: new CheckpointOptions(folder, everyEpochs: 10),
                onEpochEnd: (e, _) => e.Epoch == 2 ? EpochDecision.Stop : EpochDecision.Continue);
            Assert.Equal(2, stopped.Count);
            // The stop is not every-10th nor the last epoch: its checkpoint is written because training ended there.
            string file = Path.Combine(folder, Checkpoint.FileName(2));
            Assert.True(File.Exists(file));

            var resumed = new Blobs(seed: 99);
            var resumedHistory = resumed.Fit(Blobs(40, 1), Blobs(20, 2), epochs: 5, batchSize: 8, optimizer: new Adam(1e-2f), seed: 3,
                resumeFrom: file);
            Assert.Equal(5, resumedHistory.Count);
            Assert.False(resumedHistory.StoppedByCallback);
            Assert.Null(resumedHistory.StoppedEpoch);
            Assert.Equal(wholeHistory.Select(e => e.TrainLoss), resumedHistory.Select(e => e.TrainLoss));
            Assert.Equal(wholeHistory.Select(e => e.ValidationLoss), resumedHistory.Select(e => e.ValidationLoss));
            Assert.True(whole.Parameters.SequenceEqual(resumed.Parameters));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void EarlyStopping_SeesTheEpochBeforeTheCallback()
    {
        var bestEpochsSeen = new List<int?>();
        var history = new Blobs(seed: 4).Fit(Blobs(30, 1), Blobs(30, 2), epochs: 50, batchSize: 10, optimizer: new Adam(0.05f), seed: 1,
            earlyStopping: new EarlyStopping(patience: 50),
            onEpochEnd: (e, soFar) => { bestEpochsSeen.Add(soFar.BestEpoch); return e.Epoch == 2 ? EpochDecision.Stop : EpochDecision.Continue; });
        Assert.Equal(2, history.Count);
        Assert.True(history.StoppedByCallback);
        Assert.False(history.StoppedEarly);
        Assert.Equal(1, bestEpochsSeen[0]);
        Assert.NotNull(bestEpochsSeen[1]);
    }

    private static float Accuracy(float[] outputs, float[] targets)
    {
        int classes = outputs.Length / targets.Length, correct = 0;
        for (int row = 0; row < targets.Length; row++)
        {
            var scores = outputs.AsSpan(row * classes, classes);
            int best = 0;
            for (int c = 1; c < classes; c++) if (scores[c] > scores[best]) best = c;
            if (best == (int)targets[row]) correct++;
        }
        return (float)correct / targets.Length;
    }

    [Fact]
    public void UserMetrics_AreComputedOnTheValidationSet_AfterEveryEpoch_ByName()
    {
        var validation = Blobs(25, 2);
        var model = new Blobs(seed: 1);
        var firstOutputs = new List<float>();
        var history = model.Fit(Blobs(40, 1), validation, epochs: 4, batchSize: 8, optimizer: new Adam(1e-2f), seed: 3,
            metrics: [new EpochMetric("acc", Accuracy), new EpochMetric("first_output", (outputs, _) => outputs[0])],
            onEpoch: _ => firstOutputs.Add(model.Predict(validation)[0]));

        Assert.Equal(4, history.Count);
        for (int i = 0; i < history.Count; i++)
        {
            Assert.Equal(new[] { "acc", "first_output" }, history[i].Metrics.Keys);
            // The built-in validation accuracy is the same figure computed by Evaluate.
            Assert.Equal(history[i].ValidationAccuracy!.Value, history[i].Metrics["acc"], 6);
            Assert.Equal(firstOutputs[i], history[i].Metrics["first_output"]);
        }
        Assert.NotEqual(history[0].Metrics["first_output"], history[^1].Metrics["first_output"]);
        Assert.Contains("first_output", history[0].ToString());
    }

    [Fact]
    public void UserMetrics_SurviveACheckpoint_AndAreCheckedBeforeTraining()
    {
        string folder = Path.Combine(Path.GetTempPath(), "modelgen-metrics-" + Guid.NewGuid().ToString("N"));
        try
        {
            var metric = new EpochMetric("first_output", (outputs, _) => outputs[0]);
            var first = new Blobs(seed: 1).Fit(Blobs(40, 1), Blobs(20, 2), epochs: 2, batchSize: 8, seed: 3, metrics: [metric],
                checkpoints: new CheckpointOptions(folder));
            var resumed = new Blobs(seed: 5).Fit(Blobs(40, 1), Blobs(20, 2), epochs: 3, batchSize: 8, seed: 3, metrics: [metric],
                resumeFrom: Checkpoint.Latest(folder));
            Assert.Equal(first[0].Metrics["first_output"], resumed[0].Metrics["first_output"]);
            Assert.Equal(first[1].Metrics["first_output"], resumed[1].Metrics["first_output"]);
            Assert.True(resumed[2].Metrics.ContainsKey("first_output"));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }

        var noValidation = Assert.Throws<ArgumentException>(() => new Blobs().Fit(Blobs(10, 1), metrics: [new EpochMetric("m", (_, _) => 0)]));
        Assert.Equal("metrics", noValidation.ParamName);
        var twice = Assert.Throws<ArgumentException>(() => new Blobs().Fit(Blobs(10, 1), Blobs(10, 2),
            metrics: [new EpochMetric("m", (_, _) => 0), new EpochMetric("m", (_, _) => 1)]));
        Assert.Contains("\"m\"", twice.Message);
        Assert.Throws<ArgumentException>(() => new EpochMetric("val loss", (_, _) => 0));
    }
}
