using System;
using System.Linq;
using ModelGen.Compute;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests;

public class TrainingTests
{
    /// <summary>Three Gaussian blobs in 5 dimensions, labels 0..2.</summary>
    private static Dataset MakeBlobs(int count, int seed)
    {
        var rng = new Rng(seed);
        var features = new float[count * 5];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = rng.NextInt(3);
            for (int j = 0; j < 5; j++) features[i * 5 + j] = (float)(rng.NextGaussian() * 0.7 + (j % 3 == labels[i] ? 2.0 : 0.0));
        }
        return Dataset.ForClassification(features, 5, labels, 3);
    }

    [Fact]
    public void Fit_LearnsASeparableProblem_AndReportsHistory()
    {
        var train = MakeBlobs(600, 1);
        var test = MakeBlobs(300, 2);
        var model = new Blobs(seed: 5);
        float before = model.Evaluate(test).Loss;
        var history = model.Fit(train, test, epochs: 15, batchSize: 32, optimizer: new Adam(3e-3f), seed: 5);
        Assert.Equal(15, history.Count);
        Assert.True(history[^1].TrainLoss < history[0].TrainLoss * 0.5f, history.ToString());
        var evaluation = model.Evaluate(test);
        Assert.True(evaluation.Loss < before);
        Assert.True(evaluation.Accuracy > 0.95f, evaluation.ToString());
        Assert.Equal(evaluation.Accuracy, history[^1].ValidationAccuracy);
        var classes = model.PredictClasses(test);
        Assert.Equal(evaluation.Accuracy, classes.Where((c, i) => c == test.Label(i)).Count() / (float)test.Count);
    }

    [Fact]
    public void SameSeed_GivesBitIdenticalTraining_DifferentSeedDoesNot()
    {
        var train = MakeBlobs(300, 3);
        float[] Train(int seed)
        {
            var model = new Blobs(seed);
            model.Fit(train, epochs: 3, batchSize: 16, optimizer: new Sgd(0.05f, momentum: 0.9f, nesterov: true), seed: seed, clipGradientNorm: 1f);
            return model.Parameters.ToArray();
        }
        var a = Train(42);
        var b = Train(42);
        var c = Train(43);
        Assert.True(a.AsSpan().SequenceEqual(b), "same seed, different parameters");
        Assert.False(a.AsSpan().SequenceEqual(c));
    }

    [Fact]
    public void Tensor_ShapeIsValidated()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Tensor(new float[5], 2, 3));
        Assert.Contains("[2, 3] holds 6 elements, but the data has 5", ex.Message);
    }


    [Fact]
    public void EagerForwardMethod_MatchesTheFusedGraph()
    {
        var model = new GraphNet(seed: 2);
        var rng = new Rng(4);
        var x = new float[3 * 6];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        var eager = model.Forward(new Tensor(x, 3, 6));
        var fused = model.Predict(Dataset.ForRegression(x, 6, new float[3 * 2], 2));
        Assert.Equal(new[] { 3, 2 }, eager.Shape);
        for (int i = 0; i < fused.Length; i++) Assert.Equal(fused[i], eager.Data[i], 5);
    }

    [Fact]
    public void Regression_FitsALinearFunction()
    {
        var rng = new Rng(11);
        var features = new float[500 * 3];
        var targets = new float[500];
        for (int i = 0; i < 500; i++)
        {
            for (int j = 0; j < 3; j++) features[i * 3 + j] = (float)rng.NextGaussian();
            targets[i] = 2f * features[i * 3] - features[i * 3 + 1] + 0.5f * features[i * 3 + 2] + 1f;
        }
        var data = Dataset.ForRegression(features, 3, targets);
        var model = new Linear(seed: 0);
        model.Fit(data, epochs: 40, batchSize: 25, optimizer: new Adam(0.05f));
        var evaluation = model.Evaluate(data);
        Assert.True(evaluation.Loss < 1e-3f, evaluation.ToString());
        Assert.True(float.IsNaN(evaluation.Accuracy));
        // Weights [3, 1] then bias.
        Assert.Equal(2f, model.Parameters[0], 1);
        Assert.Equal(-1f, model.Parameters[1], 1);
        Assert.Equal(1f, model.Parameters[3], 1);
    }

    [Fact]
    public void Fit_RejectsDataOfTheWrongShape_WithAClearMessage()
    {
        // The analyzer sees these sizes at build time (MG0601–MG0603); this test is about the run-time check
        // that guards data whose sizes only show at run time.
#pragma warning disable MG0601, MG0602, MG0603
        var model = new Blobs(seed: 0);
        var wrongWidth = Dataset.ForClassification(new float[4 * 3], 3, new int[4]);
        var ex = Assert.Throws<ArgumentException>(() => model.Fit(wrongWidth));
        Assert.Contains("'train' has 3 features per row, but Blobs takes inputs of 5", ex.Message);

        var regression = Dataset.ForRegression(new float[4 * 5], 5, new float[4 * 2], 2);
        ex = Assert.Throws<ArgumentException>(() => model.Evaluate(regression));
        Assert.Contains("needs one class index per row", ex.Message);

        var tooManyClasses = Dataset.ForClassification(new float[2 * 5], 5, new[] { 0, 7 });
        ex = Assert.Throws<ArgumentException>(() => model.Fit(tooManyClasses));
        Assert.Contains("labels up to 7", ex.Message);
#pragma warning restore MG0601, MG0602, MG0603

#pragma warning disable MG0606 // the run-time check is under test; the build reports the same label
        ex = Assert.Throws<ArgumentException>(() => Dataset.ForClassification(new float[2 * 5], 5, new[] { 0, -1 }));
#pragma warning restore MG0606
        Assert.Contains("row 1", ex.Message);
    }

    [Fact]
    public void Initialisation_FollowsTheLayerRules()
    {
        var model = new WideNet(seed: 3);
        var p = model.Parameters;
        // Hidden: ReLU → Kaiming normal, std √(2/256).
        var w1 = p[..(256 * 512)].ToArray();
        double std = Math.Sqrt(w1.Select(v => (double)v * v).Average());
        Assert.InRange(std, Math.Sqrt(2.0 / 256) * 0.97, Math.Sqrt(2.0 / 256) * 1.03);
        Assert.True(p.Slice(256 * 512, 512).ToArray().All(v => v == 0f), "bias must start at zero");
        // Hidden2: Tanh → Xavier uniform, |w| ≤ √(6/(512+256)).
        int offset = 256 * 512 + 512;
        var w2 = p.Slice(offset, 512 * 256).ToArray();
        double limit = Math.Sqrt(6.0 / (512 + 256));
        Assert.True(w2.All(v => Math.Abs(v) <= limit));
        Assert.True(w2.Max() > limit * 0.99);
        Assert.False(new WideNet(seed: 4).Parameters.SequenceEqual(model.Parameters));
    }

    [Fact]
    public void Summary_ListsLayersShapesAndTotals()
    {
        string summary = new Blobs().Summary();
        Assert.Contains("Hidden (Dense, ReLU)", summary);
        Assert.Contains("[batch, 32]", summary);
        Assert.Contains("Total params: " + Blobs.TotalParameters.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), summary);
        Assert.Equal(5 * 32 + 32 + 32 * 3 + 3, Blobs.TotalParameters);
    }

    [Fact]
    public void TensorAdd_RefusesToBroadcast()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Tensor(new float[6], 2, 3) + new Tensor(new float[3], 1, 3));
        Assert.Contains("[2, 3] and [1, 3]", ex.Message);
    }

    [Fact]
    public void ClipByGlobalNorm_ScalesToTheLimit()
    {
        var g = new float[] { 3f, 4f };
        float norm = GradientClipping.ClipByGlobalNorm(g, 1f);
        Assert.Equal(5f, norm, 5);
        Assert.Equal(1f, MathF.Sqrt(g[0] * g[0] + g[1] * g[1]), 4);
        Assert.Equal(4f / 3f, g[1] / g[0], 5);   // direction kept
    }
}

public class ConvolutionModelTests
{
    [Fact]
    public void EagerConvolutionLayers_MatchTheFusedGraph()
    {
        var model = new ModelGen.Tests.Models.ConvNet(seed: 3);
        var rng = new ModelGen.Compute.Rng(5);
        var x = new float[2 * 2 * 7 * 7];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        var fused = model.Predict(Dataset.ForClassification(x, 2 * 7 * 7, new[] { 0, 1 }, 3));
        var eager = model.EagerForward(new Tensor(x, 2, 2, 7, 7));
        Assert.Equal(new[] { 2, 3 }, eager.Shape);
        for (int i = 0; i < fused.Length; i++) Assert.Equal(fused[i], eager.Data[i], 4);
    }

    [Fact]
    public void EagerPoolingLayers_MatchTheFusedGraph()
    {
        var model = new ModelGen.Tests.Models.PoolNet(seed: 4);
        var rng = new ModelGen.Compute.Rng(6);
        var x = new float[3 * 2 * 7 * 7];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        var fused = model.Predict(Dataset.ForClassification(x, 2 * 7 * 7, new[] { 0, 1, 2 }, 3));
        var eager = model.EagerForward(new Tensor(x, 3, 2, 7, 7));
        for (int i = 0; i < fused.Length; i++) Assert.Equal(fused[i], eager.Data[i], 4);
    }

    [Fact]
    public void NormAndDropout_EagerMatchesInference_AndTrainingDiffersByTheMask()
    {
        var model = new ModelGen.Tests.Models.NormDropoutNet(seed: 8);
        var rng = new ModelGen.Compute.Rng(9);
        var x = new float[4 * 24];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        var data = Dataset.ForClassification(x, 24, new[] { 0, 1, 2, 1 }, 3);
        var fused = model.Predict(data);
        var eager = model.EagerForward(new Tensor(x, 4, 2, 3, 4));
        for (int i = 0; i < fused.Length; i++) Assert.Equal(fused[i], eager.Data[i], 4);

        // Training mode draws masks from the seed: the same seed gives the same loss, another seed another.
        var graph = new ModelGen.Tests.Models.NormDropoutNet.Graph<float>(4);
        graph.SetRandomSeed(1);
        float a = graph.TrainingLoss(model.Parameters, x, data.Targets, 4);
        graph.SetRandomSeed(1);
        float b = graph.TrainingLoss(model.Parameters, x, data.Targets, 4);
        graph.SetRandomSeed(2);
        float c = graph.TrainingLoss(model.Parameters, x, data.Targets, 4);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.NotEqual(a, graph.Loss(model.Parameters, x, data.Targets, 4));
    }

    [Fact]
    public void BatchNorm_RunningStatisticsAreLearnedByTraining_UsedAtInference_AndKept()
    {
        var model = new ModelGen.Tests.Models.BatchNormNet(seed: 2);
        // State: per BatchNorm layer, running mean then running variance (3 + 3, then 6 + 6).
        Assert.Equal(2 * 3 + 2 * 6, model.State.Length);
        Assert.True(model.State[..3].ToArray().All(v => v == 0f) && model.State[3..6].ToArray().All(v => v == 1f));

        var rng = new ModelGen.Compute.Rng(3);
        var x = new float[40 * 50];
        var labels = new int[40];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextGaussian() * 2 + 1);
        for (int i = 0; i < labels.Length; i++) labels[i] = rng.NextInt(3);
        var data = Dataset.ForClassification(x, 50, labels, 3);

        var eagerBefore = model.EagerForward(new Tensor(x[..100], 2, 2, 5, 5));
        model.Fit(data, epochs: 3, batchSize: 8, optimizer: new Adam(1e-2f), seed: 1);
        var state = model.State.ToArray();
        Assert.False(state[..3].All(v => v == 0f), "running means were not updated");

        // Inference uses the running statistics: the eager path (which only knows them) agrees.
        var fused = model.Predict(Dataset.ForClassification(x[..100], 50, new[] { 0, 1 }, 3));
        var eager = model.EagerForward(new Tensor(x[..100], 2, 2, 5, 5));
        for (int i = 0; i < fused.Length; i++) Assert.Equal(fused[i], eager.Data[i], 3);
        Assert.NotEqual(eagerBefore.Data[0], eager.Data[0]);

        // A larger batch rebuilds the graph; the running statistics come along.
        model.Evaluate(Dataset.ForClassification(x, 50, labels, 3), batchSize: 40);
        Assert.Equal(state, model.State.ToArray());
    }
    [Theory]
    [InlineData(41, 8, 1, "the last micro-batch of every epoch has 1 row (41 rows = 5·8 + 1)")]
    [InlineData(40, 1, 1, "the batch size is 1")]
    [InlineData(1, 8, 1, "the training set has 1 row")]
    [InlineData(41, 4, 2, "the last micro-batch of every epoch has 1 row (41 rows = 10·4 + 1)")]
    public void BatchNorm_RefusesATrainingBatchOfOneRow_BeforeTraining(int rows, int batchSize, int accumulationSteps, string why)
    {
        var model = new ModelGen.Tests.Models.BatchNormNet(seed: 2);
        var before = model.Parameters.ToArray();
        var data = Dataset.ForClassification(new float[rows * 50], 50, new int[rows], 3);
        var error = Assert.Throws<ArgumentException>(() => model.Fit(data, epochs: 1, batchSize: batchSize, accumulationSteps: accumulationSteps));
        Assert.Equal("batchSize", error.ParamName);
        Assert.Contains("BatchNormNet.", error.Message);
        Assert.Contains(why, error.Message);
        Assert.Equal(before, model.Parameters.ToArray());   // nothing trained
    }

    [Theory]
    [InlineData(42, 8, 1)]   // last batch 2
    [InlineData(42, 4, 3)]   // groups of 12: 42 = 3·12 + 6, last micro-batches 4 and 2
    public void BatchNorm_TrainsWhenNoMicroBatchHasOneRow(int rows, int batchSize, int accumulationSteps)
    {
        var model = new ModelGen.Tests.Models.BatchNormNet(seed: 2);
        var data = Dataset.ForClassification(new float[rows * 50], 50, new int[rows], 3);
        Assert.Single(model.Fit(data, epochs: 1, batchSize: batchSize, accumulationSteps: accumulationSteps));
    }
}
