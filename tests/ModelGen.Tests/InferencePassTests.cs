using System;
using System.Collections.Generic;
using ModelGen.Compute;
using ModelGen.Cpu;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests;

/// <summary>
/// Predict runs the generated inference pass (RunInference: activations written in place, nothing kept for backward);
/// the loss path still runs the training forward in inference mode. Both must give the same bits, for any thread count.
/// </summary>
[Collection(ModelGen.Tests.Cpu.SerialCollection.Name)]
public class InferencePassTests
{
    /// <summary>The models compared: wide-deep, a transformer block, convolutions, BatchNorm and Dropout, composites.</summary>
    public static IEnumerable<object[]> Models() => new[]
    {
        new object[] { "SmallWideDeep" },
        new object[] { "WideActivationsMlp" },
        new object[] { "TransformerBlockNet" },
        new object[] { "ConvNet" },
        new object[] { "ImageAndMetaNet" },
        new object[] { "BatchNormNet" },
        new object[] { "NormDropoutNet" },
        new object[] { "StackedNet" },
        new object[] { "NestedGan" },
    };

    private static (Model Model, Func<Rng, float> Value, int[] IdColumns, int[] Vocabulary) Create(string name) => name switch
    {
        "SmallWideDeep" => (new SmallWideDeep(seed: 3), Gaussian, new[] { 0, 1, 2 }, new[] { 50, 40, 30 }),
        "WideActivationsMlp" => (new WideActivationsMlp(seed: 3), Gaussian, Array.Empty<int>(), Array.Empty<int>()),
        "TransformerBlockNet" => (new TransformerBlockNet(seed: 3), Gaussian, new[] { 0, 1, 2, 3, 4, 5 }, new[] { 13, 13, 13, 13, 13, 13 }),
        "ConvNet" => (new ConvNet(seed: 3), Gaussian, Array.Empty<int>(), Array.Empty<int>()),
        "ImageAndMetaNet" => (new ImageAndMetaNet(seed: 3), Gaussian, Array.Empty<int>(), Array.Empty<int>()),
        "BatchNormNet" => (new BatchNormNet(seed: 3), Gaussian, Array.Empty<int>(), Array.Empty<int>()),
        "NormDropoutNet" => (new NormDropoutNet(seed: 3), Gaussian, Array.Empty<int>(), Array.Empty<int>()),
        "StackedNet" => (new StackedNet(seed: 3), Gaussian, Array.Empty<int>(), Array.Empty<int>()),
        "NestedGan" => (new NestedGan(seed: 3), Gaussian, Array.Empty<int>(), Array.Empty<int>()),
        _ => throw new ArgumentException(name),
    };

    private static float Gaussian(Rng rng) => (float)rng.NextGaussian();

    private static float[] Inputs(Model model, int batch, Func<Rng, float> value, int[] idColumns, int[] vocabulary, int seed)
    {
        var rng = new Rng(seed);
        var x = new float[batch * model.InputSize];
        for (int i = 0; i < x.Length; i++) x[i] = value(rng);
        for (int r = 0; r < batch; r++)
            for (int c = 0; c < idColumns.Length; c++)
                x[r * model.InputSize + idColumns[c]] = rng.NextInt(vocabulary[c]);
        return x;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Predict_GivesTheTrainingForwardsBits_ForAnyBatchAndThreadCount(string name)
    {
        var (model, value, idColumns, vocabulary) = Create(name);
        int saved = CpuParallel.ThreadCount;
        try
        {
            // A few training steps first, so BatchNorm's running statistics and the weights are not their initial values.
            CpuParallel.ThreadCount = 1;
            var train = Inputs(model, 8, value, idColumns, vocabulary, seed: 1);
            var optimizer = new Adam(1e-2f);
            for (int step = 0; step < 3; step++) model.TrainStep(train, new float[8 * model.TargetSize], 8, optimizer);

            foreach (int batch in new[] { 1, 7, 33 })
            {
                var x = Inputs(model, batch, value, idColumns, vocabulary, seed: 100 + batch);
                var other = Inputs(model, batch, value, idColumns, vocabulary, seed: 200 + batch);
                var targets = new float[batch * model.TargetSize];
                CpuParallel.ThreadCount = 1;
                var graph = model.GraphFor(batch);
                graph.Loss(model.Parameters, x, targets, batch);
                float[] expected = graph.LastOutput(batch).ToArray();
                Assert.Contains(expected, v => v != 0f);
                foreach (int threads in new[] { 1, 2, 3, 7 })
                {
                    // The buffers Predict shares with the training forward first hold another input's values, so a
                    // value Predict failed to write shows as a difference.
                    CpuParallel.ThreadCount = 1;
                    GemmCore.ParallelThresholdOverride = 0;
                    graph.Loss(model.Parameters, other, targets, batch);
                    CpuParallel.ThreadCount = threads;
                    CpuParallel.ResetStallBackoff();
                    // Split even small products, so every partition of the in-place epilogues is exercised.
                    GemmCore.ParallelThresholdOverride = threads == 1 ? 0 : 1;
                    var actual = new float[batch * model.OutputSize];
                    model.Predict(x, batch, actual);
                    Cpu.TestData.AssertBitwiseEqual(expected, actual, $"{name}, batch {batch}, {threads} threads");
                }
            }
        }
        finally
        {
            GemmCore.ParallelThresholdOverride = 0;
            CpuParallel.ThreadCount = saved;
        }
    }

    [Fact]
    public void Predict_AllocatesNothingAfterTheFirstCall_TwoThreads()
    {
        var model = new SmallWideDeep(seed: 1);
        int saved = CpuParallel.ThreadCount;
        try
        {
            CpuParallel.ThreadCount = 2;
            foreach (int batch in new[] { 1, 33 })
            {
                var x = Inputs(model, batch, Gaussian, new[] { 0, 1, 2 }, new[] { 50, 40, 30 }, seed: 4);
                var outputs = new float[batch * model.OutputSize];
                GemmCore.ParallelThresholdOverride = 1;
                model.Predict(x, batch, outputs);
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 20; i++) model.Predict(x, batch, outputs);
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.True(allocated == 0, $"batch {batch}: {allocated} bytes allocated by 20 Predict calls after the first.");
            }
        }
        finally
        {
            GemmCore.ParallelThresholdOverride = 0;
            CpuParallel.ThreadCount = saved;
        }
    }
}
