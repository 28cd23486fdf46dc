using System;
using System.Linq;
using ModelGen.Compute;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests;

/// <summary>
/// Arithmetic in [Forward]: float64 central-difference gradient checks of the generated code (eps 1e-6, atol 1e-5,
/// rtol 1e-3), the eager Tensor operators against the fused Predict, and the eager operators' own results.
/// </summary>
public class ArithmeticTests
{
    private const int Batch = 4;

    [Theory]
    [InlineData(nameof(ArithmeticNet))]
    [InlineData(nameof(SelfDifferenceNet))]
    [InlineData(nameof(ReparameterizedNet))]
    [InlineData(nameof(LossTermNet))]
    public void AnalyticGradientsMatchCentralDifferences(string model)
    {
        (ModelGraph<double> graph, double[] parameters) = model switch
        {
            nameof(ArithmeticNet) => GradientCheckTests.Create(new ArithmeticNet.Graph<double>(Batch), ArithmeticNet.TotalParameters, ArithmeticNet.Initialize),
            nameof(SelfDifferenceNet) => GradientCheckTests.Create(new SelfDifferenceNet.Graph<double>(Batch), SelfDifferenceNet.TotalParameters, SelfDifferenceNet.Initialize),
            nameof(ReparameterizedNet) => GradientCheckTests.Create(new ReparameterizedNet.Graph<double>(Batch), ReparameterizedNet.TotalParameters, ReparameterizedNet.Initialize),
            nameof(LossTermNet) => GradientCheckTests.Create(new LossTermNet.Graph<double>(Batch), LossTermNet.TotalParameters, LossTermNet.Initialize),
            _ => throw new ArgumentException(model),
        };
        var rng = new Rng(17);
        var input = new double[Batch * graph.InputSize];
        for (int i = 0; i < input.Length; i++) input[i] = rng.NextGaussian();
        var targets = new double[Batch * graph.TargetSize];
        for (int i = 0; i < targets.Length; i++) targets[i] = rng.NextGaussian();
        GradientCheckTests.AssertGradientsMatch(model, graph, parameters, input, targets, Batch, rng);
    }

    [Fact]
    public void EagerForward_MatchesTheFusedOutputs()
    {
        var model = new ArithmeticNet(seed: 5);
        var rng = new Rng(8);
        var x = new float[5 * 6];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        var eager = model.Forward(new Tensor(x, 5, 6));
        var fused = new float[5 * 3];
        model.Predict(x, 5, fused);
        Assert.Equal([5, 3], eager.Shape);
        for (int i = 0; i < fused.Length; i++) Assert.Equal(eager.Data[i], fused[i], 4);
    }

    [Fact]
    public void EagerOperators_ComputeTheirFormulas()
    {
        var x = new Tensor([-2f, -0.5f, 0f, 1.5f], 2, 2);
        var y = new Tensor([1f, 2f, 3f, 4f], 2, 2);
        Assert.Equal([-3f, -2.5f, -3f, -2.5f], (x - y).Data);
        Assert.Equal([2f, 0.5f, -0f, -1.5f], (-x).Data);
        Assert.Equal([-1f, -0.25f, 0f, 0.75f], (0.5f * x).Data);
        Assert.Equal((0.5f * x).Data, (x * 0.5f).Data);
        Assert.Equal((0.5f * x).Data, (x / 2f).Data);
        Assert.Equal([-1f, 0.5f, 1f, 2.5f], (x + 1f).Data);
        Assert.Equal((x + 1f).Data, (1f + x).Data);
        Assert.Equal([-3f, -1.5f, -1f, 0.5f], (x - 1f).Data);
        Assert.Equal([3f, 1.5f, 1f, -0.5f], (1f - x).Data);
        Assert.Equal([MathF.Exp(-2f), MathF.Exp(-0.5f), 1f, MathF.Exp(1.5f)], Tensor.Exp(x).Data);
        Assert.Equal([0f, MathF.Log(2f), MathF.Log(3f), MathF.Log(4f)], Tensor.Log(y).Data);
        Assert.Equal([1f, MathF.Sqrt(2f), MathF.Sqrt(3f), 2f], Tensor.Sqrt(y).Data);
        Assert.Equal([4f, 0.25f, 0f, 2.25f], Tensor.Square(x).Data);
        Assert.Equal([2f, 0.5f, 0f, 1.5f], Tensor.Abs(x).Data);
        Assert.Equal([-1f, -0.5f, 0f, 1f], Tensor.Clamp(x, -1f, 1f).Data);
        Assert.Equal([0f, 0f, 0f, 1.5f], Tensor.ReLU(x).Data);
        Assert.Equal([-0.4f, -0.1f, 0f, 1.5f], Tensor.LeakyReLU(x, 0.2f).Data);
        Assert.Equal(0.5f, Tensor.Sigmoid(x).Data[2]);
        Assert.Equal(MathF.Tanh(1.5f), Tensor.Tanh(x).Data[3]);
        Assert.Equal(1.5f / (1 + MathF.Exp(-1.5f)), Tensor.SiLU(x).Data[3], 6);
        Assert.Equal([2, 2], Tensor.GELU(x).Shape);
        Assert.Throws<ArgumentException>(() => Tensor.Clamp(x, 1f, -1f));
        Assert.Throws<ArgumentException>(() => x - new Tensor([1f, 2f], 2, 1));
    }

    [Fact]
    public void Noise_IsDrawnFromTheSeedWhileTraining_AndZeroAtInference()
    {
        var (graph, parameters) = GradientCheckTests.Create(new ReparameterizedNet.Graph<double>(Batch), ReparameterizedNet.TotalParameters, ReparameterizedNet.Initialize);
        var rng = new Rng(4);
        var input = new double[Batch * 6];
        for (int i = 0; i < input.Length; i++) input[i] = rng.NextGaussian();
        var targets = new double[Batch * 6];
        double Loss(long seed)
        {
            graph.SetRandomSeed(seed);
            return graph.TrainingLoss(parameters, input, targets, Batch);
        }
        Assert.Equal(Loss(1), Loss(1));
        Assert.NotEqual(Loss(1), Loss(2));
        // Each training step draws new noise from the stream: two steps in a row differ.
        graph.SetRandomSeed(1);
        double first = graph.TrainingLoss(parameters, input, targets, Batch);
        double second = graph.TrainingLoss(parameters, input, targets, Batch);
        Assert.NotEqual(first, second);
        // Inference takes the mean: the loss is that of z = μ, the same for every seed, and below no training loss in general.
        graph.SetRandomSeed(1);
        double inference = graph.Loss(parameters, input, targets, Batch);
        graph.SetRandomSeed(2);
        Assert.Equal(inference, graph.Loss(parameters, input, targets, Batch));
        Assert.NotEqual(inference, first);
    }

    [Fact]
    public void Noise_EagerForwardIsTheInferenceValue()
    {
        var model = new ReparameterizedNet(seed: 2);
        var x = new float[3 * 6];
        var rng = new Rng(3);
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        var fused = new float[3 * 6];
        model.Predict(x, 3, fused);
        var eager = model.Forward(new Tensor(x, 3, 6));
        for (int i = 0; i < fused.Length; i++) Assert.Equal(eager.Data[i], fused[i], 5);
        Assert.All(Tensor.RandomNormal(new Tensor(x, 3, 6)).Data, v => Assert.Equal(0f, v));
        var drawn = Tensor.RandomNormal(new Tensor(x, 3, 6), seed: 9);
        Assert.Equal(drawn.Data, Tensor.RandomNormal(new Tensor(x, 3, 6), seed: 9).Data);
        Assert.Contains(drawn.Data, v => v != 0);
    }

    [Fact]
    public void Fit_WithNoise_IsDeterministic_ForAnyThreadCount()
    {
        var rng = new Rng(6);
        var x = new float[40 * 6];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        var data = Dataset.ForRegression(x, 6, x, 6);
        float[] Train(int threads)
        {
            int before = ModelGen.Cpu.CpuParallel.ThreadCount;
            ModelGen.Cpu.CpuParallel.ThreadCount = threads;
            try
            {
                var model = new ReparameterizedNet(seed: 1);
                model.Fit(data, epochs: 3, batchSize: 8, seed: 11);
                return model.Parameters.ToArray();
            }
            finally { ModelGen.Cpu.CpuParallel.ThreadCount = before; }
        }
        var one = Train(1);
        Assert.Equal(one, Train(4));
        Assert.Equal(one, Train(1));
    }

    [Fact]
    public void LossTerms_AreAddedWithTheirWeights()
    {
        var (graph, parameters) = GradientCheckTests.Create(new LossTermNet.Graph<double>(Batch), LossTermNet.TotalParameters, LossTermNet.Initialize);
        var rng = new Rng(12);
        for (int i = 0; i < parameters.Length; i++) parameters[i] += 0.1 * rng.NextGaussian();
        var input = new double[Batch * 6];
        var targets = new double[Batch * 6];
        for (int i = 0; i < input.Length; i++) (input[i], targets[i]) = (rng.NextGaussian(), rng.NextGaussian());
        double total = graph.Loss(parameters, input, targets, Batch);
        double kl = graph.LossTermValues[0], l1 = graph.LossTermValues[1];
        var output = graph.Forward(parameters, input, Batch).ToArray();
        double mse = 0;
        for (int i = 0; i < output.Length; i++) mse += (output[i] - targets[i]) * (output[i] - targets[i]);
        mse /= output.Length;
        Assert.Equal(2, graph.LossTermValues.Length);
        Assert.True(kl > 0 && l1 > 0, $"kl {kl}, l1 {l1}");
        Assert.Equal(mse + 0.5 * kl + l1, total, 12);
    }

    [Fact]
    public void LossTerms_AreReportedPerEpoch_InTheHistoryAndItsExports()
    {
        var model = new LossTermNet(seed: 4);
        Assert.Equal(["kl", "l1"], model.LossTerms);
        var rng = new Rng(2);
        var x = new float[16 * 6];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
        // One step per epoch over all 16 rows: the first epoch's KL is that of these rows under the initial parameters.
        var (mu, logVar) = model.Encode(new Tensor(x, 16, 6));
        var history = model.Fit(Dataset.ForRegression(x, 6, x, 6), epochs: 2, batchSize: 16, optimizer: new Sgd(0.01f), seed: 1);
        double expected = 0;
        for (int i = 0; i < mu.Data.Length; i++)
            expected += -0.5 * (1 + logVar.Data[i] - mu.Data[i] * mu.Data[i] - Math.Exp(logVar.Data[i]));
        expected /= 16;
        Assert.Equal(expected, history[0].LossTerms["kl"], 4);
        Assert.True(history[0].LossTerms["l1"] > 0);
        Assert.Contains("  kl ", history[0].ToString());
        var csv = new System.IO.StringWriter();
        history.WriteCsv(csv);
        var lines = csv.ToString().Split('\n');
        Assert.EndsWith(",loss_kl,loss_l1", lines[0]);
        Assert.Equal(lines[0].Split(',').Length, lines[1].Split(',').Length);
        Assert.Contains("\"lossTerms\"", history.ToJson());
        Assert.Contains("\"kl\"", history.ToJson());
    }

    [Fact]
    public void LossTerms_SurviveACheckpointAndResume_Exactly()
    {
        // Three epochs in one Fit against two, a checkpoint, and a resumed third: every epoch's terms (and loss) are equal to the bit.
        string dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "modelgen-terms-" + Guid.NewGuid().ToString("N"));
        try
        {
            var rng = new Rng(5);
            var x = new float[24 * 6];
            for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextGaussian();
            var data = Dataset.ForRegression(x, 6, x, 6);
            var full = new LossTermNet(seed: 4).Fit(data, epochs: 3, batchSize: 8, optimizer: new Adam(1e-2f), seed: 1);
            new LossTermNet(seed: 4).Fit(data, epochs: 2, batchSize: 8, optimizer: new Adam(1e-2f), seed: 1, checkpoints: new CheckpointOptions(dir));
            var resumed = new LossTermNet(seed: 4).Fit(data, epochs: 3, batchSize: 8, optimizer: new Adam(1e-2f), seed: 1, resumeFrom: Checkpoint.Latest(dir)!);
            Assert.Equal(3, resumed.Count);
            Assert.Equal(full.Select(e => e.TrainLoss), resumed.Select(e => e.TrainLoss));
            foreach (var term in new[] { "kl", "l1" })
                Assert.Equal(full.Select(e => e.LossTerms[term]), resumed.Select(e => e.LossTerms[term]));
            var csv = new System.IO.StringWriter();
            resumed.WriteCsv(csv);
            var first = csv.ToString().Split('\n')[1].TrimEnd('\r').Split(',');   // the restored first epoch has its loss_kl and loss_l1 cells
            Assert.NotEqual("", first[^2]);
            Assert.NotEqual("", first[^1]);
        }
        finally { if (System.IO.Directory.Exists(dir)) System.IO.Directory.Delete(dir, recursive: true); }
    }
}
