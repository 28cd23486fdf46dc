using System;
using ModelGen.Compute;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests.Training;

public class LearningRateScheduleTests
{
    [Fact]
    public void StepDecay_MultipliesByGammaEveryStepSize()
    {
        var s = new StepDecay(stepSize: 10, gamma: 0.5f);
        Assert.Equal(0.1f, s.Rate(0, 0.1f));
        Assert.Equal(0.1f, s.Rate(9, 0.1f));
        Assert.Equal(0.05f, s.Rate(10, 0.1f), 7);
        Assert.Equal(0.025f, s.Rate(29, 0.1f), 7);
        Assert.Equal(0.0125f, s.Rate(30, 0.1f), 7);
    }

    [Fact]
    public void CosineDecay_FollowsTheHalfCosine_ThenStaysAtTheMinimum()
    {
        var s = new CosineDecay(totalSteps: 100, minRate: 0.01f);
        Assert.Equal(1f, s.Rate(0, 1f), 6);
        Assert.Equal(0.01f + 0.99f * 0.5f, s.Rate(50, 1f), 6);
        Assert.Equal(0.01f + 0.99f * 0.5f * (1 + MathF.Cos(MathF.PI * 0.25f)), s.Rate(25, 1f), 6);
        Assert.Equal(0.01f, s.Rate(100, 1f), 6);
        Assert.Equal(0.01f, s.Rate(1000, 1f), 6);
    }

    [Fact]
    public void LinearWarmup_RampsThenHandsOverToCosine()
    {
        var s = new LinearWarmup(warmupSteps: 4, then: new CosineDecay(totalSteps: 10));
        Assert.Equal(0.25f, s.Rate(0, 1f), 6);
        Assert.Equal(0.5f, s.Rate(1, 1f), 6);
        Assert.Equal(1f, s.Rate(3, 1f), 6);
        Assert.Equal(1f, s.Rate(4, 1f), 6);            // cosine step 0
        Assert.Equal(0.5f, s.Rate(9, 1f), 6);          // cosine step 5 of 10
        Assert.Equal(0f, s.Rate(14, 1f), 6);           // cosine finished
        Assert.Equal(2f, new LinearWarmup(3).Rate(7, 2f)); // no follow-up: base rate
    }

    [Fact]
    public void Schedules_RejectBadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecay(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineDecay(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineDecay(5, -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinearWarmup(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecay(3).Rate(-1, 1f));
    }

    [Fact]
    public void Fit_AppliesTheSchedulePerOptimizerStep_AndLeavesTheBaseRate()
    {
        var data = FitFeatureTests.MakeBlobs(64, 1);
        var model = new Blobs(seed: 1);
        var sgd = new Sgd(0.2f);
        // 4 steps per epoch; StepDecay(4, 0.5): the last step of epoch e is step 4e − 1 → 0.2·0.5^(e−1).
        var history = model.Fit(data, epochs: 3, batchSize: 16, optimizer: sgd, schedule: new StepDecay(4, 0.5f));
        Assert.Equal(0.2f, history[0].LearningRate, 6);
        Assert.Equal(0.1f, history[1].LearningRate, 6);
        Assert.Equal(0.05f, history[2].LearningRate, 6);
        Assert.Equal(0.2f, sgd.LearningRate);
        Assert.Equal(12, sgd.StepCount);

        // With accumulation the schedule counts optimizer steps: 2 per epoch here.
        var accumulated = new Blobs(seed: 1).Fit(data, epochs: 3, batchSize: 16, optimizer: new Sgd(0.2f),
            schedule: new StepDecay(2, 0.5f), accumulationSteps: 2);
        Assert.Equal(0.05f, accumulated[2].LearningRate, 6);
    }
}
