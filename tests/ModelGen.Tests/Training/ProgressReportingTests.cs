using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests.Training;

/// <summary>Fit's progress hook and the console renderer.</summary>
public class ProgressReportingTests
{
    private sealed class Collect : IProgress<TrainingProgressReport>
    {
        public readonly List<TrainingProgressReport> Reports = new();
        public void Report(TrainingProgressReport value) => Reports.Add(value);
    }

    private static Dataset Blobs(int count, int seed) => FitFeatureTests.MakeBlobs(count, seed);

    [Fact]
    public void EveryEpoch_EndsWithAReportOfItsFigures()
    {
        var sink = new Collect();
        var history = new Blobs(seed: 1).Fit(Blobs(40, 1), Blobs(20, 2), epochs: 3, batchSize: 8, seed: 3, progress: sink);

        var completed = sink.Reports.Where(r => r.Completed is not null).ToList();
        Assert.Equal(history, completed.Select(r => r.Completed!));
        foreach (var r in completed)
        {
            Assert.Equal(3, r.Epochs);
            Assert.Equal(5, r.Steps);
            Assert.Equal(5, r.Step);
            Assert.Equal(r.Completed!.TrainLoss, r.RunningLoss, 6);
            Assert.Equal(TimeSpan.Zero, r.Remaining);
            Assert.True(r.SamplesPerSecond > 0);
        }
        // During an epoch: the epoch's last step is always reported, before its completion report.
        for (int e = 1; e <= 3; e++)
        {
            var during = sink.Reports.Where(r => r.Epoch == e && r.Completed is null).ToList();
            Assert.NotEmpty(during);
            Assert.Equal(5, during[^1].Step);
            Assert.True(during.Count <= 5);
        }
    }

    [Fact]
    public void Redirected_WritesOnePlainLinePerEpoch()
    {
        var text = new StringWriter();
        var history = new Blobs(seed: 1).Fit(Blobs(40, 1), Blobs(20, 2), epochs: 3, batchSize: 8, seed: 3,
            metrics: [new EpochMetric("first", (outputs, _) => outputs[0])], progress: new ConsoleProgress(text, live: false));

        string output = text.ToString();
        Assert.DoesNotContain('\r', output);
        var lines = output.Split('\n');
        Assert.Equal(4, lines.Length);
        Assert.Equal("", lines[3]);
        for (int i = 0; i < 3; i++)
        {
            var e = history[i];
            string expected = string.Create(CultureInfo.InvariantCulture,
                $"epoch {i + 1}/3  loss {e.TrainLoss:F4}  acc {e.TrainAccuracy:F4}  val_loss {e.ValidationLoss:F4}  val_acc {e.ValidationAccuracy:F4}  first {e.Metrics["first"]:F4}  ");
            Assert.StartsWith(expected, lines[i]);
            Assert.Matches(@"  \d+ samples/s  \d+\.\ds$", lines[i]);
        }
    }

    [Fact]
    public void Live_RewritesOneLine_AndEndsEachEpochWithANewLine()
    {
        var text = new StringWriter();
        new Blobs(seed: 1).Fit(Blobs(40, 1), epochs: 2, batchSize: 8, seed: 3, progress: new ConsoleProgress(text, live: true));
        var lines = text.ToString().Split('\n');
        Assert.Equal(3, lines.Length);
        for (int i = 0; i < 2; i++)
        {
            var parts = lines[i].Split('\r');
            Assert.Equal("", parts[0]);
            Assert.Contains(parts[1..^1], p => p.StartsWith($"epoch {i + 1}/2  step ", StringComparison.Ordinal) && p.Contains("  acc ") && p.Contains(" ETA "));
            Assert.StartsWith($"epoch {i + 1}/2  loss ", parts[^1]);
        }
    }

    [Fact]
    public void WithoutProgress_AnOptimizerStepOfFitAllocatesNothing()
    {
        var model = new Blobs(seed: 1);
        long Measure(Dataset data)
        {
            long best = long.MaxValue;
            for (int attempt = 0; attempt < 3; attempt++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                model.Fit(data, epochs: 1, batchSize: 8, optimizer: new Sgd(0.01f));
                best = Math.Min(best, GC.GetAllocatedBytesForCurrentThread() - before);
            }
            return best;
        }
        long few = Measure(Blobs(64, 1)), many = Measure(Blobs(640, 1));   // 8 and 80 optimizer steps
        // Fit's set-up is the same for both; only the row order (one int per row) grows with the data, nothing per step.
        Assert.Equal(sizeof(int) * (640 - 64), many - few);
    }
}
