using System;
using System.Collections.Generic;
using ModelGen.Compute;
using ModelGen.Cpu;
using Xunit;

namespace ModelGen.Tests.Cpu;

/// <summary>
/// A built-in optimizer's update split across threads (large buffers) against the same update on one thread: every
/// parameter and state element must have the same bits, for whole buffers and for the ranges of frozen models.
/// </summary>
[Collection(SerialCollection.Name)]
public class OptimizerSplitTests
{
    private const int Steps = 4;

    public static IEnumerable<object[]> Cases()
    {
        foreach (int length in new[] { 1, 7, 33, 1000, 4099 })
            foreach (string kind in new[] { "sgd", "adam", "adamw", "rmsprop", "adagrad" })
                yield return new object[] { kind, length };
    }

    private static Optimizer Create(string kind) => kind switch
    {
        "sgd" => new Sgd(0.05f, momentum: 0.9f, nesterov: true, weightDecay: 0.01f),
        "adam" => new Adam(0.01f, weightDecay: 0.02f),
        "adamw" => new AdamW(0.01f),
        "rmsprop" => new RmsProp(0.01f, momentum: 0.5f, centered: true, weightDecay: 0.01f),
        "adagrad" => new Adagrad(0.05f, learningRateDecay: 0.01f, initialAccumulatorValue: 0.1f),
        _ => throw new ArgumentException(kind),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void SplitUpdate_SameBitsAsOneThread(string kind, int length)
    {
        var (expected, expectedState) = Run(kind, length, threads: 1, ranges: null);
        foreach (int threads in new[] { 2, 3, 7 })
        {
            var (actual, actualState) = Run(kind, length, threads, ranges: null);
            TestData.AssertBitwiseEqual(expected, actual, $"{kind}, {length} parameters, {threads} threads");
            for (int b = 0; b < expectedState.Count; b++)
                TestData.AssertBitwiseEqual(expectedState[b], actualState[b], $"{kind} state {b}, {threads} threads");
        }
    }

    [Theory]
    [InlineData("adam", 33)]
    [InlineData("sgd", 1000)]
    [InlineData("rmsprop", 4099)]
    public void SplitUpdateOfRanges_SameBitsAsOneThread_AndLeavesTheRestAlone(string kind, int length)
    {
        // Two trainable ranges with a frozen gap between them, as a model with a frozen middle layer gives.
        var ranges = new[] { new ParameterRange(0, 5), new ParameterRange(12, length - 12) };
        var (expected, expectedState) = Run(kind, length, threads: 1, ranges);
        var (actual, actualState) = Run(kind, length, threads: 3, ranges);
        TestData.AssertBitwiseEqual(expected, actual, $"{kind}, ranges, 3 threads");
        for (int b = 0; b < expectedState.Count; b++)
            TestData.AssertBitwiseEqual(expectedState[b], actualState[b], $"{kind} state {b}, ranges");
        var untouched = Parameters(length);
        for (int i = 5; i < 12; i++) Assert.Equal(untouched[i], actual[i]);
    }

    private static (float[] Parameters, List<float[]> State) Run(string kind, int length, int threads, ParameterRange[]? ranges)
    {
        int saved = CpuParallel.ThreadCount;
        try
        {
            Optimizer.ParallelThresholdOverride = 1;
            CpuParallel.ThreadCount = threads;
            CpuParallel.ResetStallBackoff();
            var optimizer = Create(kind);
            var parameters = Parameters(length);
            var rng = new Rng(5);
            for (int t = 0; t < Steps; t++)
            {
                var gradients = new float[length];
                for (int i = 0; i < length; i++) gradients[i] = (float)rng.NextGaussian();
                if (ranges is null) optimizer.Step(parameters, gradients, 0.01f * (t + 1));
                else optimizer.Step(parameters, gradients, 0.01f * (t + 1), ranges);
            }
            var state = new List<float[]>();
            foreach (var buffer in optimizer.StateBuffers(length)) state.Add((float[])buffer.Values.Clone());
            return (parameters, state);
        }
        finally
        {
            Optimizer.ParallelThresholdOverride = 0;
            CpuParallel.ThreadCount = saved;
        }
    }

    private static float[] Parameters(int length)
    {
        var rng = new Rng(3);
        var parameters = new float[length];
        for (int i = 0; i < length; i++) parameters[i] = (float)rng.NextGaussian();
        return parameters;
    }
}
