using System;
using System.Linq;
using ModelGen.Compute;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests.Training;

/// <summary>
/// The step API (ForwardTraining, OutputLoss, Backward, Step): put together it is TrainStep bit for bit; an optimizer step
/// on a subset of layers leaves the others (and their optimizer state) untouched; nothing allocates per step.
/// </summary>
[Collection(ModelGen.Tests.Cpu.SerialCollection.Name)]
public class StepApiTests
{
    private static (float[] X, float[] Y) Batch(Model model, int batch, int seed)
    {
        var rng = new Rng(seed);
        var x = new float[batch * model.InputSize];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        var y = new float[batch];
        for (int i = 0; i < batch; i++) y[i] = rng.NextInt(model.OutputSize);
        return (x, y);
    }

    [Fact]
    public void ForwardLossBackwardStep_EqualsTrainStep_BitForBit()
    {
        // NormDropoutNet draws dropout masks: both models start their streams at the same seed and must draw the same ones.
        var byTrainStep = new NormDropoutNet(seed: 3);
        var bySteps = new NormDropoutNet(seed: 3);
        var optimizerA = new Adam(1e-2f);
        var optimizerB = new Adam(1e-2f);
        const int batch = 8;
        for (int step = 0; step < 20; step++)
        {
            var (x, y) = Batch(byTrainStep, batch, seed: 100 + step % 3);
            float expected = byTrainStep.TrainStep(x, y, batch, optimizerA, clipGradientNorm: 1f, l2: 1e-3f);
            bySteps.ForwardTraining(x, batch);
            float loss = bySteps.OutputLoss(y, batch);
            bySteps.Backward(x, batch);
            loss += bySteps.Step(optimizerB, clipGradientNorm: 1f, l2: 1e-3f);
            Assert.Equal(expected, loss);
        }
        Assert.Equal(byTrainStep.Parameters.ToArray(), bySteps.Parameters.ToArray());
        Assert.Equal(byTrainStep.Gradients.ToArray(), bySteps.Gradients.ToArray());
    }

    [Fact]
    public void BackwardFromTheLossGradientGivenByHand_EqualsBackwardFromTheLoss()
    {
        // Mean squared error: d(mean over batch·outputs of (o − t)²)/d o = 2(o − t)/(batch·outputs).
        var model = new MseNet(seed: 2);
        var rng = new Rng(4);
        const int batch = 5;
        var x = new float[batch * model.InputSize];
        var t = new float[batch * model.OutputSize];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        for (int i = 0; i < t.Length; i++) t[i] = (float)rng.NextGaussian();
        var outputs = model.ForwardTraining(x, batch).ToArray();
        model.OutputLoss(t, batch);
        model.Backward(x, batch);
        var fromLoss = model.Gradients.ToArray();
        var outputGradient = outputs.Select((o, i) => 2f * (o - t[i]) / t.Length).ToArray();
        model.ForwardTraining(x, batch);
        model.Backward(x, batch, outputGradient);
        for (int i = 0; i < fromLoss.Length; i++) Assert.Equal(fromLoss[i], model.Gradients[i], 6);
        Assert.Contains(fromLoss, g => g != 0);
    }

    [Fact]
    public void StepOnASubset_LeavesEveryOtherParameterAndItsMomentsUntouched()
    {
        var model = new WideNet(seed: 5);
        var subset = model.SelectLayers("Hidden2");
        Assert.Equal(new[] { "Hidden2" }, subset.Layers);
        var before = model.Parameters.ToArray();
        var optimizer = new Adam(1e-2f);
        var (x, y) = Batch(model, 16, 7);
        for (int step = 0; step < 3; step++)
        {
            model.ForwardTraining(x, 16);
            model.OutputLoss(y, 16);
            model.Backward(x, 16);
            model.Step(optimizer, subset, clipGradientNorm: 1f, l2: 1e-2f);
        }
        var layer = model.ParameterLayers.Single(l => l.Name == "Hidden2");
        var after = model.Parameters.ToArray();
        var moments = optimizer.Moments.First!;
        for (int i = 0; i < after.Length; i++)
        {
            bool inside = i >= layer.Offset && i < layer.Offset + layer.Count;
            if (!inside)
            {
                Assert.Equal(before[i], after[i]);
                Assert.Equal(0f, moments[i]);
            }
        }
        Assert.Contains(Enumerable.Range(layer.Offset, layer.Count), i => after[i] != before[i]);

        // A frozen layer inside the subset is left out too; a subset of another model is refused.
        model.Freeze("Hidden2");
        var frozen = model.Parameters.ToArray();
        model.ForwardTraining(x, 16);
        model.OutputLoss(y, 16);
        model.Backward(x, 16);
        model.Step(optimizer, subset);
        Assert.Equal(frozen, model.Parameters.ToArray());
        Assert.Throws<ArgumentException>(() => new WideNet(seed: 5).Step(optimizer, subset));
        Assert.Contains("layers with parameters are Hidden, Hidden2, Logits",
            Assert.Throws<ArgumentException>(() => model.SelectLayers("Hiden")).Message);
    }

    [Fact]
    public void BackwardWithoutAForwardPass_OrForAnotherBatch_IsRefused()
    {
        var model = new WideNet(seed: 1);
        var (x, y) = Batch(model, 4, 1);
        Assert.Contains("Run ForwardTraining", Assert.Throws<InvalidOperationException>(() => model.Backward(x, 4)).Message);
        model.ForwardTraining(x, 4);
        Assert.Contains("4 samples; this call says 3", Assert.Throws<ArgumentException>(() => model.Backward(x, 3)).Message);
        model.Predict(x, 4, new float[40]);   // another pass overwrites what backward would need
        Assert.Throws<InvalidOperationException>(() => model.OutputLoss(y, 4));
    }

    [Fact]
    public void StepApiAndInputGradients_AllocateNothingAfterWarmUp()
    {
        var model = new WideNet(seed: 1);
        const int batch = 32;
        var (x, y) = Batch(model, batch, 9);
        var optimizer = new Adam(1e-3f);
        var subset = model.SelectLayers("Hidden", "Logits");
        var outputGradient = new float[batch * model.OutputSize];
        var inputGradient = new float[batch * model.InputSize];
        void Round()
        {
            model.ForwardTraining(x, batch);
            model.OutputLoss(y, batch);
            model.Backward(x, batch, default, inputGradient);
            model.Step(optimizer, subset, clipGradientNorm: 1f);
            model.ForwardTraining(x, batch);
            model.Backward(x, batch, outputGradient, inputGradient, parameterGradients: false);
            model.Step(optimizer);
            model.InputGradient(x, y, batch, inputGradient);
            model.ScoreGradient(x, batch, 3, inputGradient);
        }
        for (int i = 0; i < 5; i++) Round();
        var windows = new System.Collections.Generic.List<long>();
        for (int window = 0; window < 3 && (windows.Count == 0 || windows[^1] != 0); window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 5; i++) Round();
            windows.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(windows[^1] == 0, $"Bytes allocated per window of 5 rounds: {string.Join(", ", windows)}.");
    }
}
