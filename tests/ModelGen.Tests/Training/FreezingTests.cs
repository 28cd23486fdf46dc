using System;
using System.Collections.Generic;
using System.Linq;
using ModelGen.Compute;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests.Training;

/// <summary>
/// Frozen layers (<see cref="Model.Freeze"/>, <c>Trainable = false</c>): their parameters keep every bit under every
/// optimizer, penalty and clipping, they get no gradient, the others train exactly as they would, and the names are checked.
/// </summary>
public class FreezingTests
{
    private static Dataset Blobs(int rows, int seed) => FitFeatureTests.MakeBlobs(rows, seed);

    [Fact]
    public void DeclaredTrainableFalse_StartsFrozen_AndSummaryCountsLikeKeras()
    {
        var model = new FrozenBaseNet(seed: 1);
        Assert.Equal(["Base", "Middle", "Head"], model.ParameterLayers.Select(l => l.Name));
        Assert.Equal([false, true, true], model.ParameterLayers.Select(l => l.DeclaredTrainable));
        Assert.Equal(["Base"], model.FrozenLayers);
        int baseCount = 5 * 8 + 8, rest = 8 * 8 + 8 + 8 * 3 + 3;
        Assert.Equal(rest, model.TrainableParameterCount);
        Assert.Equal(baseCount + rest, model.ParameterCount);
        string summary = model.Summary();
        Assert.Contains($"Total params: {baseCount + rest}", summary);
        Assert.Contains($"\nTrainable params: {rest}\nNon-trainable params: {baseCount}\nLoss: SoftmaxCrossEntropy", summary);

        model.Unfreeze("Base");
        Assert.Empty(model.FrozenLayers);
        Assert.Contains($"Trainable params: {baseCount + rest}\nNon-trainable params: 0\n", model.Summary());
        model.Freeze("Middle", "Head");
        Assert.Equal(["Middle", "Head"], model.FrozenLayers);
        Assert.Equal(baseCount, model.TrainableParameterCount);
    }

    [Fact]
    public void UnknownOrMissingNames_AreRefusedWithTheLayerList()
    {
        var model = new Blobs(seed: 1);
        var error = Assert.Throws<ArgumentException>(() => model.Freeze("Hidden", "Flatten"));
        Assert.Contains("no layer with parameters named 'Flatten'", error.Message);
        Assert.Contains("Hidden, Logits", error.Message);
        Assert.Equal("layers", error.ParamName);
        Assert.Empty(model.FrozenLayers);   // a refused call changes nothing, not even the names before the bad one
        Assert.Throws<ArgumentException>(() => model.Unfreeze());
        Assert.Throws<ArgumentNullException>(() => model.Freeze(null!));
    }

    /// <summary>Optimizers with every kind of state and decay, under L1/L2 and clipping: the frozen layer must not move at all.</summary>
    public static TheoryData<string> Optimizers => new() { "sgd", "sgd-momentum", "adam", "adamw", "rmsprop", "rmsprop-centered", "adagrad" };

    private static Optimizer Create(string name) => name switch
    {
        "sgd" => new Sgd(0.1f, weightDecay: 0.01f),
        "sgd-momentum" => new Sgd(0.1f, momentum: 0.9f, nesterov: true, weightDecay: 0.01f),
        "adam" => new Adam(1e-2f, weightDecay: 0.01f),
        "adamw" => new AdamW(1e-2f, weightDecay: 0.1f),
        "rmsprop" => new RmsProp(1e-2f, momentum: 0.5f, weightDecay: 0.01f),
        "rmsprop-centered" => new RmsProp(1e-2f, centered: true),
        _ => new Adagrad(0.05f, weightDecay: 0.01f, initialAccumulatorValue: 0.1f),
    };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void AFrozenLayer_KeepsEveryBit_WhileMomentumDecayAndPenaltiesWork(string name)
    {
        var model = new FrozenBaseNet(seed: 2);
        model.Unfreeze("Base");
        var optimizer = Create(name);
        var data = Blobs(40, 3);
        // One epoch with everything training gives the frozen layer momentum and moments that would keep moving it.
        model.Fit(data, epochs: 1, batchSize: 8, optimizer: optimizer, seed: 1, l1: 1e-3f, l2: 1e-2f, clipGradientNorm: 0.5f);
        model.Freeze("Middle");
        var middle = model.ParameterLayers[1];
        var frozenBefore = model.Parameters.Slice(middle.Offset, middle.Count).ToArray();
        var stateBefore = optimizer.StateBuffers(model.ParameterCount).Select(b => b.Values.AsSpan(middle.Offset, middle.Count).ToArray()).ToList();
        var othersBefore = model.Parameters.ToArray();

        model.Fit(data, epochs: 2, batchSize: 8, optimizer: optimizer, seed: 2, l1: 1e-3f, l2: 1e-2f, clipGradientNorm: 0.5f);

        Assert.Equal(frozenBefore, model.Parameters.Slice(middle.Offset, middle.Count).ToArray());
        var stateAfter = optimizer.StateBuffers(model.ParameterCount).Select(b => b.Values.AsSpan(middle.Offset, middle.Count).ToArray()).ToList();
        for (int b = 0; b < stateAfter.Count; b++) Assert.Equal(stateBefore[b], stateAfter[b]);
        Assert.All(model.Gradients.Slice(middle.Offset, middle.Count).ToArray(), g => Assert.Equal(0f, g));
        // The layers on both sides trained.
        foreach (var layer in new[] { model.ParameterLayers[0], model.ParameterLayers[2] })
            Assert.NotEqual(othersBefore.AsSpan(layer.Offset, layer.Count).ToArray(), model.Parameters.Slice(layer.Offset, layer.Count).ToArray());
    }

    [Fact]
    public void TrainableLayers_GetTheGradientsTheyGetWithoutFreezing_FrozenOnesExactlyZero()
    {
        var data = Blobs(16, 4);
        var all = new FrozenBaseNet(seed: 3);
        all.Unfreeze("Base");
        var some = new FrozenBaseNet(seed: 3);
        some.Unfreeze("Base");
        some.Freeze("Middle");
        all.AccumulateGradients(data.Features, data.Targets, data.Count);
        some.AccumulateGradients(data.Features, data.Targets, data.Count);
        var middle = some.ParameterLayers[1];
        for (int i = 0; i < all.ParameterCount; i++)
        {
            bool frozen = i >= middle.Offset && i < middle.Offset + middle.Count;
            // Base lies before the frozen layer: the gradient still flows through Middle to reach it.
            Assert.Equal(frozen ? 0f : all.Gradients[i], some.Gradients[i]);
        }
        Assert.Contains(all.Gradients.Slice(middle.Offset, middle.Count).ToArray(), g => g != 0);
    }

    [Fact]
    public void ClippingAndPenalties_CountTheTrainableParametersOnly()
    {
        // Plain SGD at rate 1 moves the trainable parameters by exactly the clipped gradient, whose norm is then the limit:
        // a penalty gradient on the frozen layer, counted in the norm, would leave less for them.
        var model = new FrozenBaseNet(seed: 4);
        var data = Blobs(16, 5);
        var before = model.Parameters.ToArray();
        var baseLayer = model.ParameterLayers[0];
        model.TrainStep(data.Features, data.Targets, data.Count, new Sgd(1f), clipGradientNorm: 0.01f, l2: 10f);
        double moved = 0;
        for (int i = 0; i < before.Length; i++) moved += Math.Pow(model.Parameters[i] - (double)before[i], 2);
        Assert.Equal(0.01, Math.Sqrt(moved), 4);
        Assert.Equal(before.AsSpan(baseLayer.Offset, baseLayer.Count).ToArray(), model.Parameters.Slice(baseLayer.Offset, baseLayer.Count).ToArray());

        // The penalty reported with the loss is the trainable layers' too: with λ₂ = 2 it adds Σp² over them.
        var fresh = new FrozenBaseNet(seed: 4);
        float plain = fresh.AccumulateGradients(data.Features, data.Targets, data.Count);
        double squares = 0;
        for (int i = baseLayer.Count; i < before.Length; i++) squares += (double)before[i] * before[i];
        float withPenalty = new FrozenBaseNet(seed: 4).TrainStep(data.Features, data.Targets, data.Count, new Sgd(1e-3f), l2: 2f);
        Assert.Equal(plain + squares, withPenalty, 3);
    }

    [Fact]
    public void AnOptimizerOfAnotherLibrary_IsRefusedWhileLayersAreFrozen()
    {
        var model = new FrozenBaseNet(seed: 5);
        var data = Blobs(8, 6);
        var before = model.Parameters.ToArray();
        var error = Assert.Throws<NotSupportedException>(() => model.Fit(data, epochs: 1, optimizer: new HalvingOptimizer()));
        Assert.Contains("frozen layers (Base)", error.Message);
        Assert.Equal(before, model.Parameters.ToArray());
        Assert.Throws<NotSupportedException>(() => model.TrainStep(data.Features, data.Targets, data.Count, new HalvingOptimizer()));
        model.Unfreeze("Base");
        model.TrainStep(data.Features, data.Targets, data.Count, new HalvingOptimizer());   // nothing frozen: it may update the whole buffer
    }

    private sealed class HalvingOptimizer() : Optimizer(0.1f)
    {
        protected override void Update(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate, long step)
        {
            for (int i = 0; i < parameters.Length; i++) parameters[i] -= learningRate * gradients[i];
        }
    }

    [Fact]
    public void FrozenFlags_ReachEveryGraph_TheModelMakes()
    {
        // A validation set larger than the batch makes Fit build a larger graph mid-training; it must keep the frozen flags.
        var model = new FrozenBaseNet(seed: 6);
        var frozen = model.Parameters.Slice(0, model.ParameterLayers[0].Count).ToArray();
        model.Fit(Blobs(30, 7), Blobs(300, 8), epochs: 2, batchSize: 4, optimizer: new Adam(1e-2f));
        model.TrainStep(Blobs(300, 9).Features, Blobs(300, 9).Targets, 300, new Adam(1e-2f));
        Assert.Equal(frozen, model.Parameters.Slice(0, frozen.Length).ToArray());
        Assert.All(model.Gradients.Slice(0, frozen.Length).ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void DropoutStream_GoesOnWhenTheModelBuildsALargerGraph()
    {
        // Evaluate with more rows than the training batch replaces the graph; the masks must continue, not restart.
        var model = new DropoutBatchNormBlobs(seed: 1);
        model.Fit(Blobs(24, 1), epochs: 1, batchSize: 8, seed: 5);
        var stream = model.DropoutState.State;
        Assert.NotEqual(new Rng(0, 0xD209).State, stream);
        model.Evaluate(Blobs(600, 2));
        Assert.Equal(stream, model.DropoutState.State);
    }
}
