using System;
using System.Linq;
using ModelGen.Compute;
using ModelGen.Tests.Interop;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests.Serialization;

/// <summary>model.PredictProbabilities: softmax per row or position, sigmoid per output, refused where outputs are not scores.</summary>
public class ModelPredictProbabilitiesTests
{
    private static float[] Uniform(int count, int seed, double scale = 1)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(scale * (2 * rng.NextDouble() - 1))).ToArray();
    }

    private static Dataset Rows(Model model, int rows, int seed, double scale = 1) =>
        Dataset.ForRegression(Uniform(rows * model.InputSize, seed, scale), model.InputSize, new float[rows * model.TargetSize], model.TargetSize);

    private static void AssertSoftmax(ReadOnlySpan<float> logits, ReadOnlySpan<float> probabilities)
    {
        double max = double.NegativeInfinity;
        foreach (float v in logits) max = Math.Max(max, v);
        double sum = 0;
        foreach (float v in logits) sum += Math.Exp(v - max);
        double total = 0;
        for (int j = 0; j < logits.Length; j++)
        {
            Assert.Equal(Math.Exp(logits[j] - max) / sum, probabilities[j], 1e-6);   // a tolerance: rounding both to 6 digits fails when they straddle a boundary
            total += probabilities[j];
        }
        Assert.Equal(1.0, total, 5);
    }

    [Fact]
    public void ASoftmaxClassifierGivesASoftmaxPerRow()
    {
        var model = new FeatureCnn(3);
        var data = Rows(model, 6, 1);
        float[] logits = model.Predict(data), probabilities = model.PredictProbabilities(data);
        Assert.Equal(logits.Length, probabilities.Length);
        for (int r = 0; r < 6; r++) AssertSoftmax(logits.AsSpan(r * 5, 5), probabilities.AsSpan(r * 5, 5));
        var classes = model.PredictClasses(data);
        for (int r = 0; r < 6; r++)
        {
            int best = 0;
            for (int j = 1; j < 5; j++) if (probabilities[r * 5 + j] > probabilities[r * 5 + best]) best = j;
            Assert.Equal(classes[r], best);
        }
    }

    [Fact]
    public void LargeLogitsDoNotOverflowTheSoftmax()
    {
        var model = new FeatureCnn(3);
        var bias = model.FileLayout.Tensors.Single(t => t.Name == "Head.bias");
        new[] { 200f, -200f, 150f, 0f, 90f }.CopyTo(model.Parameters.Slice(bias.Offset, 5));
        var data = Rows(model, 3, 1);
        float[] logits = model.Predict(data), probabilities = model.PredictProbabilities(data);
        Assert.True(logits.Max() > 100, "the logits are not large");
        Assert.All(probabilities, p => Assert.True(float.IsFinite(p)));
        for (int r = 0; r < 3; r++) AssertSoftmax(logits.AsSpan(r * 5, 5), probabilities.AsSpan(r * 5, 5));
    }

    [Fact]
    public void ASequenceOutputGivesASoftmaxPerPosition()
    {
        var model = TorchFixtureTests.Create(nameof(InteropAttention), 2);   // [5 positions, 3 classes]
        var (inputs, batch, _) = TorchFixtureTests.FixtureInputs(nameof(InteropAttention));
        var data = Dataset.ForSequenceClassification(inputs, model.InputSize, new int[batch * 5], 5);
        float[] logits = model.Predict(data), probabilities = model.PredictProbabilities(data);
        for (int row = 0; row < batch * 5; row++) AssertSoftmax(logits.AsSpan(row * 3, 3), probabilities.AsSpan(row * 3, 3));
    }

    [Fact]
    public void PositionsPastAVariableLengthSampleAreZero()
    {
        var model = new MaskedTagger(4);   // [seq ≤ 8, 4 classes]
        float[] ids = [1, 2, 3, 0, 0, 0, 0, 0, 5, 0, 6, 7, 8, 1, 2, 3];   // lengths 3 and 8
        var data = Dataset.ForSequenceClassification(ids, 8, new int[16], 8);
        float[] logits = model.Predict(data), probabilities = model.PredictProbabilities(data);
        for (int position = 0; position < 16; position++)
        {
            bool real = position < 3 || position >= 8;
            if (real) AssertSoftmax(logits.AsSpan(position * 4, 4), probabilities.AsSpan(position * 4, 4));
            else Assert.All(probabilities.AsSpan(position * 4, 4).ToArray(), p => Assert.Equal(0f, p));
        }
    }

    [Fact]
    public void BinaryCrossEntropyGivesTheSigmoidOfEachOutputWithoutOverflow()
    {
        var model = new BceNet(2);
        var data = Rows(model, 5, 3, scale: 60);   // large inputs push the logits far out
        float[] logits = model.Predict(data), probabilities = model.PredictProbabilities(data);
        for (int i = 0; i < logits.Length; i++)
        {
            Assert.Equal(1 / (1 + Math.Exp(-logits[i])), probabilities[i], 1e-6);
            Assert.InRange(probabilities[i], 0f, 1f);
        }
        Assert.Contains(logits, v => Math.Abs(v) > 20);
    }

    [Fact]
    public void RegressionAndContrastiveModelsAreRefused()
    {
        var mse = new MseNet(1);
        var error = Assert.Throws<InvalidOperationException>(() => mse.PredictProbabilities(Rows(mse, 2, 1)));
        Assert.Equal("MseNet is trained with Loss.MeanSquaredError, a regression loss: its outputs are the predicted values themselves, not scores of classes. " +
                     "Use Predict; probabilities come from SoftmaxCrossEntropy and BinaryCrossEntropy.", error.Message);
        var pairs = new ContrastiveNet(1);
        var data = Rows(pairs, 2, 1).WithInputs(("left", 4), ("right", 4));
        Assert.Contains("Loss.Contrastive", Assert.Throws<InvalidOperationException>(() => pairs.PredictProbabilities(data)).Message);
    }

    [Fact]
    public void ModelsWithSeveralHeadsGiveProbabilitiesPerHead()
    {
        var model = new MultiHeadNet(3);
        var data = Rows(model, 4, 2);
        var error = Assert.Throws<InvalidOperationException>(() => model.PredictProbabilities(data));
        Assert.Equal("MultiHeadNet has 3 heads; take each head's probabilities with PredictProbabilities(data, \"kind\") and so on.", error.Message);

        float[] kind = model.PredictProbabilities(data, "kind"), kindLogits = model.PredictHead(data, "kind");
        for (int r = 0; r < 4; r++) AssertSoftmax(kindLogits.AsSpan(r * 3, 3), kind.AsSpan(r * 3, 3));
        float[] flag = model.PredictProbabilities(data, "flag"), flagLogits = model.PredictHead(data, "flag");
        for (int r = 0; r < 4; r++) Assert.Equal(1 / (1 + Math.Exp(-flagLogits[r])), flag[r], 6);
        Assert.Contains("head 'score' of MultiHeadNet is trained with Loss.MeanSquaredError",
            Assert.Throws<InvalidOperationException>(() => model.PredictProbabilities(data, "score")).Message);
        Assert.Equal("MultiHeadNet has no head 'size'; its heads are kind, score, flag. (Parameter 'head')",
            Assert.Throws<ArgumentException>(() => model.PredictProbabilities(data, "size")).Message);
    }

    [Fact]
    public void TheSpanOverloadGivesTheSameProbabilitiesAsTheDatasetOne()
    {
        var softmax = new FeatureCnn(3);
        var data = Rows(softmax, 7, 4);
        var into = new float[7 * softmax.OutputSize + 3];   // a longer buffer keeps its tail
        into.AsSpan(7 * softmax.OutputSize).Fill(-1f);
        softmax.PredictProbabilities(data.Features, 7, into);
        Assert.Equal(softmax.PredictProbabilities(data), into[..(7 * softmax.OutputSize)]);
        Assert.All(into[(7 * softmax.OutputSize)..], v => Assert.Equal(-1f, v));

        var masked = new MaskedTagger(4);
        float[] ids = [1, 2, 3, 0, 0, 0, 0, 0, 5, 0, 6, 7, 8, 1, 2, 3];
        var sequences = Dataset.ForSequenceClassification(ids, 8, new int[16], 8);
        var maskedInto = new float[2 * masked.OutputSize];
        masked.PredictProbabilities(ids, 2, maskedInto);
        Assert.Equal(masked.PredictProbabilities(sequences), maskedInto);

        var binary = new BceNet(2);
        var binaryData = Rows(binary, 5, 3, scale: 60);
        var binaryInto = new float[5 * binary.OutputSize];
        binary.PredictProbabilities(binaryData.Features, 5, binaryInto);
        Assert.Equal(binary.PredictProbabilities(binaryData), binaryInto);

        var mse = new MseNet(1);
        Assert.Throws<InvalidOperationException>(() => mse.PredictProbabilities(new float[mse.InputSize], 1, new float[mse.OutputSize]));
        Assert.Throws<ArgumentException>(() => softmax.PredictProbabilities(data.Features, 7, new float[6 * softmax.OutputSize]));
    }
}
