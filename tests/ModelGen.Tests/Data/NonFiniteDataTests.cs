using System;
using System.Linq;
using ModelGen.Compute;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests.Data;

/// <summary>A small ReLU classifier: NaN inputs reach its weights through the gradients while max(0, x) can keep the loss finite.</summary>
[Model(Input = new[] { 4 }, Loss = Loss.SoftmaxCrossEntropy)]
public partial class ReluClassifier
{
    [Dense(25, Activation.ReLU)] private partial Tensor Hidden(Tensor x);
    [Dense(3)] private partial Tensor Logits(Tensor x);
}

/// <summary>NaN and ±∞ never train, evaluate or predict silently; <c>allowNonFinite</c> is the one way to let them in.</summary>
public class NonFiniteDataTests
{
    private static (float[] X, int[] Labels) Blobs(int rows, int seed)
    {
        var rng = new Rng(seed);
        var x = new float[rows * 4];
        var labels = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            labels[r] = r % 3;
            for (int j = 0; j < 4; j++) x[r * 4 + j] = labels[r] + 0.5f * (float)rng.NextGaussian();
        }
        return (x, labels);
    }

    [Fact]
    public void NaNInputs_AreRefusedWhereTheSetIsMade_NamingRowAndColumn()
    {
        // The reported case: NaN features in a ReLU classifier's data used to train to NaN weights and a constant prediction.
        var (x, labels) = Blobs(60, 1);
        x[3 * 4 + 1] = float.NaN;
        var error = Assert.Throws<ArgumentException>(() => Dataset.ForClassification(x, 4, labels));
        Assert.Equal("features", error.ParamName);
        Assert.StartsWith("Feature row 3, column 1 is NaN; fill or drop missing values first (Imputer), or pass allowNonFinite: true", error.Message);
    }

    [Fact]
    public void NaNInputsAllowedOnPurpose_StopFit_SayingTheDataIsTheCause()
    {
        var (x, labels) = Blobs(60, 1);
        x[3 * 4 + 1] = float.NaN;
        var data = Dataset.ForClassification(x, 4, labels, allowNonFinite: true);
        Assert.True(data.AllowsNonFinite);
        var model = new ReluClassifier(seed: 2);
        var error = Assert.Throws<InvalidOperationException>(() => model.Fit(data, epochs: 3, batchSize: 8, optimizer: new Adam(0.01f), seed: 1));
        // ReLU keeps the loss finite here (max(0, NaN) is 0 in the forward pass), but the gradients carry the NaN into the weights.
        Assert.StartsWith("After epoch 1, parameter ", error.Message);
        Assert.Contains("of layer 'Hidden'", error.Message);
        Assert.Contains("is NaN, though the loss stayed finite: the training set was made with allowNonFinite: true and holds non-finite values (feature row 3, column 1 is NaN)", error.Message);
        Assert.DoesNotContain("diverged", error.Message);
    }

    [Fact]
    public void ANaNTargetAllowedOnPurpose_MakesTheLossNaN_AndTheMessageNamesTheTarget()
    {
        var x = new float[20 * 3];
        var y = new float[20];
        for (int i = 0; i < x.Length; i++) x[i] = i % 7 * 0.1f;
        y[5] = float.NaN;
        var data = Dataset.ForRegression(x, 3, y, allowNonFinite: true);
        var error = Assert.Throws<InvalidOperationException>(() => new Linear(seed: 1).Fit(data, epochs: 2, batchSize: 5, optimizer: new Sgd(0.01f), seed: 1));
        Assert.Matches(@"^The training loss became NaN in epoch 1, step [1-4] of 4 \(learning rate 0\.01\): the training set was made with allowNonFinite: true " +
                       @"and holds non-finite values \(target row 5, column 0 is NaN\), which reach the loss\.", error.Message);
    }

    [Fact]
    public void ADivergingFit_OnCheckedData_NamesEpochStepAndRate_AndSuggestsALowerRate()
    {
        var rng = new Rng(3);
        var x = new float[64 * 3];
        var y = new float[64];
        for (int i = 0; i < x.Length; i++) x[i] = 100f * (float)rng.NextGaussian();
        for (int i = 0; i < y.Length; i++) y[i] = 1000f * (float)rng.NextGaussian();
        var data = Dataset.ForRegression(x, 3, y);
        var model = new Linear(seed: 1);
        var error = Assert.Throws<InvalidOperationException>(() => model.Fit(data, epochs: 50, batchSize: 16, optimizer: new Sgd(10f), seed: 1));
        Assert.Matches(@"^The training loss became (NaN|\+∞) in epoch \d+, step \d of 4 \(learning rate 10\): the data is finite \(checked before training\), so the training diverged\. Lower the learning rate \(e\.g\. 1\), clip gradients \(clipGradientNorm: 1f\)", error.Message);
    }

    [Fact]
    public void InfiniteTargets_AreRefused_NamingRowAndTargetColumn()
    {
        var x = new float[6 * 3];
        var y = new float[6 * 2];
        y[2 * 2 + 1] = float.NegativeInfinity;
        var error = Assert.Throws<ArgumentException>(() => Dataset.ForRegression(x, 3, y, targetWidth: 2));
        Assert.Equal("targets", error.ParamName);
        Assert.StartsWith("Target row 2, column 1 is −∞; drop the rows without a target", error.Message);
        Assert.True(Dataset.ForRegression(x, 3, y, targetWidth: 2, allowNonFinite: true).AllowsNonFinite);
    }

    [Fact]
    public void ValuesChangedAfterTheSetWasMade_AreCaughtByFitEvaluateAndPredict_NamingTheArgument()
    {
        var (x, labels) = Blobs(30, 4);
        var train = Dataset.ForClassification(x, 4, labels);
        var (valid, _) = Blobs(30, 5);
        var validation = Dataset.ForClassification(valid, 4, labels);
        var model = new ReluClassifier(seed: 1);
        // The arrays are the caller's: a write after the set was made is seen where a model reads the set.
        x[7 * 4 + 2] = float.PositiveInfinity;
        var fit = Assert.Throws<ArgumentException>(() => model.Fit(train, epochs: 1));
        Assert.Equal("train", fit.ParamName);
        Assert.StartsWith("Feature row 7, column 2 of 'train' is +∞", fit.Message);
        var before = model.Parameters.ToArray();
        Assert.Equal(before, model.Parameters.ToArray());
        Assert.StartsWith("Feature row 7, column 2 of 'data' is +∞", Assert.Throws<ArgumentException>(() => model.Evaluate(train)).Message);
        Assert.StartsWith("Feature row 7, column 2 of 'data' is +∞", Assert.Throws<ArgumentException>(() => model.Predict(train)).Message);
        Assert.StartsWith("Feature row 7, column 2 of 'data' is +∞", Assert.Throws<ArgumentException>(() => model.PredictClasses(train)).Message);
        x[7 * 4 + 2] = 0f;
        valid[0] = float.NaN;
        var validationError = Assert.Throws<ArgumentException>(() => model.Fit(train, validation, epochs: 1));
        Assert.Equal("validation", validationError.ParamName);
        Assert.StartsWith("Feature row 0, column 0 of 'validation' is NaN", validationError.Message);
    }

    [Fact]
    public void PredictOnASpan_RefusesNaN_NamingSampleColumnAndInput_UnlessAllowed()
    {
        var model = new ReluClassifier(seed: 1);
        var inputs = new float[3 * 4];
        inputs[2 * 4 + 3] = float.NaN;
        var outputs = new float[3 * 3];
        var error = Assert.Throws<ArgumentException>(() => model.Predict(inputs, 3, outputs));
        Assert.Equal("inputs", error.ParamName);
        Assert.StartsWith("'inputs' holds NaN at sample 2, column 3; ReluClassifier would compute a meaningless output from it.", error.Message);
        Assert.Throws<ArgumentException>(() => model.Predict(inputs.AsSpan(8, 4)));
        Assert.Throws<ArgumentException>(() => model.PredictProbabilities(inputs, 3, outputs));
        model.Predict(inputs, 3, outputs, allowNonFinite: true);
        Assert.True(float.IsFinite(outputs[0]), "the finite samples still get their outputs");

        // A model of several inputs: the message says which input the column belongs to.
        var twoInputs = new TwoInputNet(seed: 1);
        var rows = new float[2 * 7];
        rows[1 * 7 + 4] = float.PositiveInfinity;   // columns 0…2 are 'wide', 3…6 are 'deep'
        var named = Assert.Throws<ArgumentException>(() => twoInputs.Predict(rows, 2, new float[2 * 2]));
        Assert.StartsWith("'inputs' holds +∞ at sample 1, column 4 (value 1 of input 'deep')", named.Message);
    }

    [Fact]
    public void ASetOfSeveralInputs_NamesTheInputOfTheBadValue_WhereAModelReadsIt()
    {
        var x = new float[4 * 7];
        var y = new float[4 * 2];
        var data = Dataset.ForRegression(x, 7, y, targetWidth: 2).WithInputs(("wide", 3), ("deep", 4));
        x[2 * 7 + 1] = float.NaN;
        var model = new TwoInputNet(seed: 1);
        var error = Assert.Throws<ArgumentException>(() => model.Fit(data, epochs: 1));
        Assert.StartsWith("Feature row 2, column 1 (value 1 of input 'wide') of 'train' is NaN", error.Message);
    }

    [Fact]
    public void TheOptOut_TravelsWithTheRows_AndMapFeaturesIsCheckedWithoutIt()
    {
        var (x, labels) = Blobs(10, 6);
        var allowed = Dataset.ForClassification(x, 4, labels, allowNonFinite: true);
        Assert.True(allowed.Slice(0, 5).AllowsNonFinite);
        Assert.True(allowed.Split(4).Remaining.AllowsNonFinite);
        Assert.True(allowed.WithClassNames(new[] { "a", "b", "c" }).AllowsNonFinite);
        Assert.True(allowed.WithInputs(("input", 4)).AllowsNonFinite);
        Assert.True(float.IsNegativeInfinity(allowed.MapFeatures(v => v == x[0] ? float.NegativeInfinity : v).Features[0]));

        var checkedSet = Dataset.ForClassification(x, 4, labels);
        Assert.False(checkedSet.Slice(0, 5).AllowsNonFinite);
        x[5] = 0f;
        var error = Assert.Throws<ArgumentException>(() => checkedSet.MapFeatures(MathF.Log));
        Assert.Equal("map", error.ParamName);
        Assert.Contains("(row 1, column 1) into −∞", error.Message);
    }

    [Fact]
    public void NegativeLabels_NameTheRealClassRange()
    {
        // The build reports these constant labels too (MG0606); here the run-time check is under test.
#pragma warning disable MG0606
        var x = new float[4 * 4];
        var inferred = Assert.Throws<ArgumentException>(() => Dataset.ForClassification(x, 4, new[] { 0, 2, -1, 1 }));
        Assert.StartsWith("Label of row 2 is -1; class labels are indices 0…classes − 1 (here 0…2, as the largest label is 2), never negative.", inferred.Message);
        Assert.DoesNotContain("2147483647", inferred.Message);
        var given = Assert.Throws<ArgumentException>(() => Dataset.ForClassification(x, 4, new[] { 0, 2, 3, 1 }, classCount: 3));
        Assert.Equal("Label of row 2 is 3; 3 classes take the class indices 0…2. (Parameter 'labels')", given.Message);
        var perPosition = Assert.Throws<ArgumentException>(() => Dataset.ForSequenceClassification(x, 4, new[] { 0, 1, 1, 0, -1, 1, 0, 0 }, 2));
        Assert.StartsWith("Label 0 of row 2 is -1;", perPosition.Message);
#pragma warning restore MG0606
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void TheVectorisedScan_FindsTheFirstBadValue_AtEveryPosition(float bad)
    {
        for (int length = 0; length <= 70; length++)
        {
            var values = Enumerable.Range(0, length).Select(i => i * 0.5f - 3f).ToArray();
            Assert.Equal(-1, NonFiniteValues.IndexOf(values));
            for (int at = 0; at < length; at++)
            {
                values[at] = bad;
                if (at + 3 < length) values[at + 3] = float.NaN;   // only the first one counts
                Assert.Equal(at, NonFiniteValues.IndexOf(values));
                values[at] = 1f;
                if (at + 3 < length) values[at + 3] = 1f;
            }
        }
        Assert.Equal(-1, NonFiniteValues.IndexOf(new[] { float.MaxValue, float.MinValue, float.Epsilon, -0f }));
    }
}
