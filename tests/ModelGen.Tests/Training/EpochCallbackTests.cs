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
}
