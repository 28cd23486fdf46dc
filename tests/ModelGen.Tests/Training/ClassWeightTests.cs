using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using ModelGen.Cpu;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests.Training;

/// <summary>
/// Class weights: the weighted loss kernel against PyTorch 1.13's <c>cross_entropy(weight=w, reduction="mean")</c>
/// (Fixtures/class_weight_reference.csv, written by Fixtures/make_class_weight_reference.py), Fit's use of it, and
/// scikit-learn's balanced formula.
/// </summary>
public unsafe class ClassWeightTests
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    [Fact]
    public void WeightedKernel_MatchesPyTorchLossAndGradient()
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Training", "Fixtures", "class_weight_reference.csv"))
            .Select(l => l.Split(',')).ToList();
        float[] weights = lines.Where(f => f[0] == "weight").Select(f => (float)double.Parse(f[2], Invariant)).ToArray();
        double[] labels = lines.Where(f => f[0] == "label").Select(f => double.Parse(f[2], Invariant)).ToArray();
        double[] logits = lines.Where(f => f[0] == "logit").Select(f => double.Parse(f[3], Invariant)).ToArray();
        double[] expectedGrad = lines.Where(f => f[0] == "grad").Select(f => double.Parse(f[3], Invariant)).ToArray();
        double expectedLoss = double.Parse(lines.Single(f => f[0] == "loss")[3], Invariant);
        Assert.Equal(4, weights.Length);
        Assert.Equal(6, labels.Length);

        var grad = new double[logits.Length];
        double loss;
        using (new ClassWeightScope(weights))
            fixed (double* x = logits, y = labels, g = grad) loss = LossKernels.SoftmaxCrossEntropy(x, y, g, 6, 4);
        Assert.Null(ClassWeightScope.Current);
        Assert.Equal(expectedLoss, loss, 1e-14);
        for (int i = 0; i < grad.Length; i++) Assert.True(Math.Abs(expectedGrad[i] - grad[i]) <= 1e-15, $"gradient {i}: expected {expectedGrad[i]}, got {grad[i]}");

        // The same inputs without the scope: the plain mean, which differs from PyTorch's weighted figure.
        fixed (double* x = logits, y = labels, g = grad) loss = LossKernels.SoftmaxCrossEntropy(x, y, g, 6, 4);
        Assert.True(Math.Abs(expectedLoss - loss) > 1e-3);
    }

    [Fact]
    public void WeightedKernel_AllRowsWeightZero_GivesZeroLossAndGradient()
    {
        double[] logits = { 1, 2, 3, -1, 0, 1 }, labels = { 2, 2 };
        var grad = new double[6];
        Array.Fill(grad, 9.0);
        double loss;
        using (new ClassWeightScope(new[] { 1f, 1f, 0f }))
            fixed (double* x = logits, y = labels, g = grad) loss = LossKernels.SoftmaxCrossEntropy(x, y, g, 2, 3);
        Assert.Equal(0.0, loss);
        Assert.All(grad, v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void Balanced_IsSamplesOverClassesTimesCount()
    {
        int[] labels = { 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 0 };   // counts 2, 6, 4 of 12
        var data = Dataset.ForClassification(new float[labels.Length], 1, labels, 3);
        var weights = ClassWeights.Balanced(data);
        Assert.Equal(new[] { 12f / (3 * 2), 12f / (3 * 6), 12f / (3 * 4) }, weights);
        // Each class then weighs as much in total: count × weight = n / classes.
        Assert.Equal(4.0, 2 * weights[0], 5);
        Assert.Equal(4.0, 6 * weights[1], 5);
    }

    [Fact]
    public void Balanced_ClassWithoutRows_IsRefusedByName()
    {
        var data = Dataset.ForClassification(new float[4], 1, new[] { 0, 0, 2, 2 }, 3);
        var e = Assert.Throws<ArgumentException>(() => ClassWeights.Balanced(data));
        Assert.Contains("Class 1", e.Message);
    }

    [Fact]
    public void Fit_WeightOnlyOnOneClass_StepsAsTrainingOnThatClassAlone()
    {
        // One full-batch SGD step: weights (1, 0, 0) make the weighted mean the mean over class-0 rows alone.
        var data = FitFeatureTests.MakeBlobs(30, 4);
        var classZero = Enumerable.Range(0, data.Count).Where(r => data.Label(r) == 0).ToArray();
        var subset = Dataset.ForClassification(classZero.SelectMany(r => data.Features.Skip(r * 5).Take(5)).ToArray(), 5,
            classZero.Select(_ => 0).ToArray(), 3);
        var weighted = new Blobs(seed: 5);
        var alone = new Blobs(seed: 5);
        weighted.Fit(data, epochs: 1, batchSize: data.Count, optimizer: new Sgd(0.5f), seed: 1, classWeights: new[] { 1f, 0f, 0f });
        alone.Fit(subset, epochs: 1, batchSize: subset.Count, optimizer: new Sgd(0.5f), seed: 1);
        AssertClose(alone.Gradients, weighted.Gradients, 1e-5f);
        AssertClose(alone.Parameters, weighted.Parameters, 1e-6f);
    }

    [Fact]
    public void Fit_ScalingEveryWeight_ChangesNothing()
    {
        var data = FitFeatureTests.MakeBlobs(40, 8);
        var a = new Blobs(seed: 2);
        var b = new Blobs(seed: 2);
        var ha = a.Fit(data, epochs: 2, batchSize: 8, optimizer: new Sgd(0.2f), seed: 3, classWeights: new[] { 1f, 2f, 4f });
        var hb = b.Fit(data, epochs: 2, batchSize: 8, optimizer: new Sgd(0.2f), seed: 3, classWeights: new[] { 4f, 8f, 16f });
        AssertClose(a.Parameters, b.Parameters, 1e-6f);
        Assert.Equal(ha[1].TrainLoss, hb[1].TrainLoss, 5);
        // And the weights do change training: unweighted ends elsewhere.
        var c = new Blobs(seed: 2);
        c.Fit(data, epochs: 2, batchSize: 8, optimizer: new Sgd(0.2f), seed: 3);
        Assert.True(a.Parameters.ToArray().Zip(c.Parameters.ToArray(), (x, y) => Math.Abs(x - y)).Max() > 1e-3f);
    }

    [Fact]
    public void Fit_AccumulatedWeightedMicroBatches_MatchOneWeightedBatch()
    {
        // Micro-batches weigh by their share of the step's class weights, not of its rows.
        var data = FitFeatureTests.MakeBlobs(24, 6);
        var small = new Blobs(seed: 3);
        var big = new Blobs(seed: 3);
        float[] weights = { 0.2f, 5f, 1f };
        var hs = small.Fit(data, epochs: 2, batchSize: 8, optimizer: new Sgd(0.1f), seed: 9, accumulationSteps: 3, classWeights: weights);
        var hb = big.Fit(data, epochs: 2, batchSize: 24, optimizer: new Sgd(0.1f), seed: 9, classWeights: weights);
        AssertClose(big.Parameters, small.Parameters, 2e-6f);
        Assert.Equal(hb[1].TrainLoss, hs[1].TrainLoss, 5);
    }

    [Fact]
    public void Fit_BadClassWeights_AreRefusedByName()
    {
        var data = FitFeatureTests.MakeBlobs(12, 1);
        var model = new Blobs(seed: 1);
        var before = model.Parameters.ToArray();
        void Refused(float[] weights, string expected)
        {
            var e = Assert.Throws<ArgumentException>(() => model.Fit(data, epochs: 1, classWeights: weights));
            Assert.Equal("classWeights", e.ParamName);
            Assert.Contains(expected, e.Message);
        }
        Refused(new[] { 1f, 2f }, "3 classes, but 2 class weights");
        Refused(new[] { 1f, -1f, 1f }, "Class weight 1 is -1");
        Refused(new[] { 1f, float.NaN, 1f }, "Class weight 1 is NaN");
        Refused(new[] { 0f, 0f, 0f }, "Every class weight is 0");
        Assert.Equal(before, model.Parameters.ToArray());

        var regression = Dataset.ForRegression(new float[8], 4, new float[4], targetWidth: 2);
        var mse = new MseNet();
        var e = Assert.Throws<ArgumentException>(() => mse.Fit(regression, epochs: 1, classWeights: new[] { 1f }));
        Assert.Contains("softmax cross-entropy", e.Message);
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]}, got {actual[i]}");
    }
}
