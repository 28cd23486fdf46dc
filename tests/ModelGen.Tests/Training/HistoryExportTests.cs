using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;
using System.Threading;
using Xunit;

namespace ModelGen.Tests.Training;

/// <summary>TrainingHistory's CSV and JSON exports, asserted field by field on a history of known figures.</summary>
public class HistoryExportTests
{
    private static TrainingHistory Known()
    {
        var history = new TrainingHistory { StoppedByCallback = true, StoppedEpoch = 2, BestEpoch = 1, BestValue = 0.25f };
        history.Add(new EpochResult(1, 0.5f, 0.25f, 0.75f, TimeSpan.FromMilliseconds(1500)) { LearningRate = 0.001f, TrainAccuracy = 0.625f,
            Metrics = new Dictionary<string, float> { ["f1"] = 0.125f }, TrainMetrics = new Dictionary<string, float> { ["f1"] = 0.5f } });
        history.Add(new EpochResult(2, 1.5f, null, float.NaN, TimeSpan.FromSeconds(2)) { LearningRate = float.NaN,
            Metrics = new Dictionary<string, float> { ["f1"] = 0.375f, ["auc"] = 0.9f } });
        return history;
    }

    [Fact]
    public void Csv_HasAHeaderAndOneInvariantLinePerEpoch_EmptyCellsForMissingFigures()
    {
        var previous = Thread.CurrentThread.CurrentCulture;
        Thread.CurrentThread.CurrentCulture = new CultureInfo("de-DE"); // decimal comma: the export must not follow it
        try
        {
            var text = new StringWriter();
            Known().WriteCsv(text);
            Assert.Equal(
                "epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,duration_s,f1,auc,train_f1\n" +
                "1,0.5,0.625,0.25,0.75,0.001,1.5,0.125,,0.5\n" +
                "2,1.5,,,,,2,0.375,0.9,\n", text.ToString());
        }
        finally { Thread.CurrentThread.CurrentCulture = previous; }

        string path = Path.Combine(Path.GetTempPath(), "modelgen-history-" + Guid.NewGuid().ToString("N") + ".csv");
        try
        {
            Known().ToCsv(path);
            Assert.StartsWith("epoch,train_loss,", File.ReadAllText(path));
            Assert.Equal(3, File.ReadAllLines(path).Length);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Json_HoldsEveryFigure_NullForMissingOrNaN()
    {
        string path = Path.Combine(Path.GetTempPath(), "modelgen-history-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            Known().ToJson(path);
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            Assert.False(root.GetProperty("stoppedEarly").GetBoolean());
            Assert.True(root.GetProperty("stoppedByCallback").GetBoolean());
            Assert.Equal(2, root.GetProperty("stoppedEpoch").GetInt32());
            Assert.Equal(1, root.GetProperty("bestEpoch").GetInt32());
            Assert.Equal(0.25f, root.GetProperty("bestValue").GetSingle());
            var epochs = root.GetProperty("epochs");
            Assert.Equal(2, epochs.GetArrayLength());
            var first = epochs[0];
            Assert.Equal(1, first.GetProperty("epoch").GetInt32());
            Assert.Equal(0.5f, first.GetProperty("trainLoss").GetSingle());
            Assert.Equal(0.625f, first.GetProperty("trainAccuracy").GetSingle());
            Assert.Equal(0.5f, first.GetProperty("trainMetrics").GetProperty("f1").GetSingle());
            Assert.Equal(0.25f, first.GetProperty("validationLoss").GetSingle());
            Assert.Equal(0.75f, first.GetProperty("validationAccuracy").GetSingle());
            Assert.Equal(0.001f, first.GetProperty("learningRate").GetSingle());
            Assert.Equal(1.5, first.GetProperty("durationSeconds").GetDouble());
            Assert.Equal(0.125f, first.GetProperty("metrics").GetProperty("f1").GetSingle());
            var second = epochs[1];
            Assert.Equal(JsonValueKind.Null, second.GetProperty("validationLoss").ValueKind);
            Assert.Equal(JsonValueKind.Null, second.GetProperty("trainAccuracy").ValueKind);
            Assert.Equal(JsonValueKind.Null, second.GetProperty("validationAccuracy").ValueKind);
            Assert.Equal(JsonValueKind.Null, second.GetProperty("learningRate").ValueKind);
            Assert.Equal(0.9f, second.GetProperty("metrics").GetProperty("auc").GetSingle());
            Assert.Equal(File.ReadAllText(path), Known().ToJson());
        }
        finally { File.Delete(path); }
    }
}
