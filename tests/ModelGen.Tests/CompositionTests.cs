using System;
using System.IO;
using System.Linq;
using System.Reflection;
using ModelGen.Compute;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests;

/// <summary>
/// Models used as layers of other models ([Submodel]): the composite and the instances share one parameter buffer; gradients
/// flow through the sub-models (float64 central differences, and the hand-chained step API of the separate models); freezing
/// one sub-model leaves its parameters and optimizer moments alone; Save and Load name its tensors "Sub.Layer.weight".
/// </summary>
public class CompositionTests
{
    private const double Eps = 1e-6, Atol = 1e-7, Rtol = 1e-5;

    [Fact]
    public void TheCompositeAndItsSubmodels_ReadAndWriteTheSameParameters()
    {
        var generator = new TinyGenerator(seed: 1);
        var discriminator = new TinyDiscriminator(seed: 2);
        float[] g0 = generator.Parameters.ToArray(), d0 = discriminator.Parameters.ToArray();
        var gan = new TinyGan(generator, discriminator);

        Assert.Equal(TinyGenerator.TotalParameters + TinyDiscriminator.TotalParameters, gan.ParameterCount);
        Assert.Same(generator, gan.GenerateModel);
        Assert.Same(discriminator, gan.JudgeModel);
        Assert.Same(gan, generator.Composite);
        Assert.Equal(new[] { ("Generate", 0, g0.Length), ("Judge", g0.Length, d0.Length) },
            gan.Submodels.Select(s => (s.Name, s.ParameterOffset, s.ParameterCount)));
        // The instances keep their values, which now lie in the composite's buffer.
        Assert.Equal(g0, generator.Parameters.ToArray());
        Assert.Equal(g0, gan.Parameters[..g0.Length].ToArray());
        Assert.Equal(d0, gan.Parameters[g0.Length..].ToArray());
        generator.Parameters[3] = 42f;
        Assert.Equal(42f, gan.Parameters[3]);
        gan.Parameters[g0.Length + 1] = -7f;
        Assert.Equal(-7f, discriminator.Parameters[1]);

        // The composite computes D(G(z)).
        var z = Latent(5, 4, seed: 3);
        var images = new float[5 * 6];
        generator.Predict(z, 5, images);
        var expected = new float[5];
        discriminator.Predict(images, 5, expected);
        var actual = new float[5];
        gan.Predict(z, 5, actual);
        for (int i = 0; i < 5; i++) Assert.Equal(expected[i], actual[i], 5);

        // Its layers are listed by sub-model, and the sub-model's name stands for all of them.
        Assert.Equal(new[] { "Generate.Hidden", "Generate.Pixels", "Judge.Hidden", "Judge.Real" }, gan.ParameterLayers.Select(l => l.Name));
        gan.Freeze("Judge");
        Assert.Equal(new[] { "Judge.Hidden", "Judge.Real" }, gan.FrozenLayers);
        Assert.Equal(TinyGenerator.TotalParameters, gan.TrainableParameterCount);
        gan.Unfreeze("Judge");
        Assert.Empty(gan.FrozenLayers);
        Assert.Equal(new[] { "Judge.Hidden" }, gan.SelectLayers("Judge.Hidden").Layers);
        var unknown = Assert.Throws<ArgumentException>(() => gan.Freeze("Jud"));
        Assert.Contains("Generate.Hidden, Generate.Pixels, Judge.Hidden, Judge.Real", unknown.Message);
    }

    [Fact]
    public void AModelBelongsToOneCompositeAtATime_AndTheSeededCompositeMakesItsOwn()
    {
        var generator = new TinyGenerator(seed: 1);
        var discriminator = new TinyDiscriminator(seed: 2);
        _ = new TinyGan(generator, discriminator);
        var error = Assert.Throws<InvalidOperationException>(() => new TinyGan(generator, new TinyDiscriminator(seed: 3)));
        Assert.Contains("already shares its parameters with a TinyGan", error.Message);
        Assert.Throws<ArgumentNullException>(() => new TinyGan(null!, new TinyDiscriminator()));

        // new TinyGan(seed) initialises every layer itself; its sub-models are views of its buffer.
        var gan = new TinyGan(seed: 5);
        Assert.Equal(gan.Parameters[..TinyGenerator.TotalParameters].ToArray(), gan.GenerateModel.Parameters.ToArray());
        Assert.Equal(new TinyGan(seed: 5).Parameters.ToArray(), gan.Parameters.ToArray());
        Assert.NotEqual(new TinyGan(seed: 6).Parameters.ToArray(), gan.Parameters.ToArray());
        gan.JudgeModel.Parameters[0] = 9f;
        Assert.Equal(9f, gan.Parameters[TinyGenerator.TotalParameters]);
    }

    [Fact]
    public void ACompositeOfAComposite_MovesTheInnerSubmodelsAlong()
    {
        var generator = new TinyGenerator(seed: 1);
        var gan = new TinyGan(generator, new TinyDiscriminator(seed: 2));
        float[] g0 = generator.Parameters.ToArray();
        var nested = new NestedGan(gan, seed: 4);
        int offset = nested.Submodels[0].ParameterOffset;
        Assert.Equal(3 * 4 + 4, offset);
        Assert.Equal(g0, nested.Parameters.Slice(offset, g0.Length).ToArray());
        nested.Parameters[offset + 2] = 5f;
        Assert.Equal(5f, generator.Parameters[2]);
        Assert.Equal(5f, gan.Parameters[2]);
        Assert.Equal("Gan.Generate.Hidden", nested.ParameterLayers[1].Name);
    }

    public static TheoryData<string> Composites => new() { nameof(TinyGan), nameof(StackedNet), nameof(NestedGan) };

    [Theory]
    [MemberData(nameof(Composites))]
    public void Gradients_MatchCentralDifferences_ForEverySubmodelsParameters_AndTheInput(string name)
    {
        var (model, graph, initialize) = Create(name);
        var parameters = new double[model.ParameterCount];
        initialize(parameters, 7);
        var rng = new Rng(321);
        for (int i = 0; i < parameters.Length; i++) parameters[i] += 0.1 * rng.NextGaussian();
        const int batch = 3;
        var input = new double[batch * graph.InputSize];
        for (int i = 0; i < input.Length; i++) input[i] = rng.NextGaussian();
        var targets = new double[batch * model.TargetSize];
        for (int r = 0; r < batch; r++)
            targets[r] = model.Loss == Loss.SoftmaxCrossEntropy ? rng.NextInt(model.OutputSize) : rng.NextInt(2);

        graph.TrainingForward(parameters, input, batch);
        graph.OutputLoss(targets, batch);
        var gradients = new double[parameters.Length];
        var inputGradient = new double[input.Length];
        graph.Backward(parameters, gradients, input, default, inputGradient, batch);
        double LossNow() => graph.TrainingLoss(parameters, input, targets, batch);

        void Check(double[] values, double[] analytic, string what)
        {
            for (int i = 0; i < values.Length; i++)
            {
                double original = values[i];
                values[i] = original + Eps;
                double plus = LossNow();
                values[i] = original - Eps;
                double minus = LossNow();
                values[i] = original;
                double numeric = (plus - minus) / (2 * Eps);
                double error = Math.Abs(analytic[i] - numeric);
                Assert.True(error <= Atol + Rtol * Math.Abs(numeric), $"{name}: {what} {i}: analytic {analytic[i]:G10}, numeric {numeric:G10}, error {error:G3}");
            }
        }
        Check(parameters, gradients, "parameter");
        Check(input, inputGradient, "input");
        // Every sub-model's block gets a gradient.
        foreach (var block in model.Submodels)
            Assert.Contains(gradients.Skip(block.ParameterOffset).Take(block.ParameterCount), g => g != 0);
    }

    [Fact]
    public void TheCompositesGradient_IsTheHandChainedGradientOfTheSeparateModels()
    {
        var generator = new TinyGenerator(seed: 11);
        var discriminator = new TinyDiscriminator(seed: 12);
        const int batch = 8;
        var z = Latent(batch, 4, seed: 13);
        var ones = Enumerable.Repeat(1f, batch).ToArray();

        // The step API on the two models: D's input gradient is G's output gradient.
        var fake = generator.ForwardTraining(z, batch).ToArray();
        discriminator.ForwardTraining(fake, batch);
        float handLoss = discriminator.OutputLoss(ones, batch);
        var imageGradient = new float[batch * 6];
        discriminator.Backward(fake, batch, inputGradient: imageGradient);
        generator.Backward(z, batch, outputGradient: imageGradient);
        float[] handG = generator.Gradients.ToArray(), handD = discriminator.Gradients.ToArray();

        var gan = new TinyGan(generator, discriminator);
        gan.ForwardTraining(z, batch);
        float loss = gan.OutputLoss(ones, batch);
        gan.Backward(z, batch);
        Assert.Equal(handLoss, loss, 6);
        var composite = gan.Gradients.ToArray();
        AssertClose(handG, composite[..handG.Length], "generator");
        AssertClose(handD, composite[handG.Length..], "discriminator");
    }

    [Fact]
    public void AStepWithTheDiscriminatorFrozen_ChangesOnlyTheGenerator_AndAllocatesNothing()
    {
        var generator = new TinyGenerator(seed: 21);
        var discriminator = new TinyDiscriminator(seed: 22);
        var gan = new TinyGan(generator, discriminator);
        gan.Freeze("Judge");
        var optimizerG = new Adam(1e-2f);
        var optimizerD = new Adam(1e-2f);
        const int batch = 8;
        var z = Latent(batch, 4, seed: 23);
        var ones = Enumerable.Repeat(1f, batch).ToArray();
        var images = new float[2 * batch * 6];
        var imageTargets = Enumerable.Range(0, 2 * batch).Select(r => r < batch ? 1f : 0f).ToArray();
        for (int i = 0; i < images.Length; i++) images[i] = (i * 7 % 11) / 11f;

        void DiscriminatorStep() => discriminator.TrainStep(images, imageTargets, 2 * batch, optimizerD);
        void GeneratorStep() => gan.TrainStep(z, ones, batch, optimizerG);
        DiscriminatorStep();
        GeneratorStep();

        float[] g0 = generator.Parameters.ToArray(), d0 = discriminator.Parameters.ToArray();
        float[] m0 = optimizerD.Moments.First!.ToArray(), v0 = optimizerD.Moments.Second!.ToArray();
        GeneratorStep();
        Assert.NotEqual(g0, generator.Parameters.ToArray());
        Assert.Equal(d0, discriminator.Parameters.ToArray());
        Assert.Equal(m0, optimizerD.Moments.First!);
        Assert.Equal(v0, optimizerD.Moments.Second!);
        // The generator's optimizer keeps no moments for the frozen block.
        Assert.All(optimizerG.Moments.First![TinyGenerator.TotalParameters..], m => Assert.Equal(0f, m));

        // D trained on its own changes the composite's D block, not G.
        g0 = generator.Parameters.ToArray();
        DiscriminatorStep();
        Assert.Equal(g0, gan.Parameters[..g0.Length].ToArray());
        Assert.Equal(discriminator.Parameters.ToArray(), gan.Parameters[g0.Length..].ToArray());
        Assert.NotEqual(d0, discriminator.Parameters.ToArray());

        // The step API with a subset: the same update as the frozen flags.
        var generatorLayers = gan.SelectLayers("Generate");
        gan.ForwardTraining(z, batch);
        gan.OutputLoss(ones, batch);
        gan.Backward(z, batch);
        gan.Step(optimizerG, generatorLayers);

        var windows = new System.Collections.Generic.List<long>();
        for (int window = 0; window < 3 && (windows.Count == 0 || windows[^1] != 0); window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++)
            {
                DiscriminatorStep();
                GeneratorStep();
            }
            windows.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(windows[^1] == 0, $"Bytes allocated per window of 10 GAN steps: {string.Join(", ", windows)}.");
    }

    [Fact]
    public void Fit_TrainsTheCompositeAndTheSharedSubmodel()
    {
        var block = new ResidualBlockModel(seed: 3);
        var net = new StackedNet(block, seed: 4);
        var rng = new Rng(5);
        const int rows = 96;
        var x = new float[rows * 4];
        var y = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < 4; c++) x[r * 4 + c] = (float)rng.NextGaussian();
            y[r] = x[r * 4] > 0.5f ? 2 : x[r * 4] < -0.5f ? 0 : 1;
        }
        float[] before = block.Parameters.ToArray();
        var history = net.Fit(Dataset.ForClassification(x, 4, y, 3), epochs: 30, batchSize: 16, optimizer: new Adam(1e-2f), seed: 1);
        Assert.True(history[^1].TrainLoss < 0.5f * history[0].TrainLoss, $"loss {history[0].TrainLoss} → {history[^1].TrainLoss}");
        Assert.NotEqual(before, block.Parameters.ToArray());
        Assert.Equal(block.Parameters.ToArray(), net.Parameters.Slice(net.Submodels[0].ParameterOffset, ResidualBlockModel.TotalParameters).ToArray());
    }

    [Fact]
    public void SaveAndLoad_NameTheSubmodelsTensors_AndLoadingTheCompositeLoadsTheInstances()
    {
        string path = Path.Combine(Path.GetTempPath(), $"modelgen-composite-{Guid.NewGuid():N}.safetensors");
        try
        {
            var gan = new TinyGan(new TinyGenerator(seed: 1), new TinyDiscriminator(seed: 2));
            gan.Save(path);
            var names = gan.FileLayout.Tensors.Select(t => t.Name).ToArray();
            Assert.Equal(new[] { "Generate.Hidden.weight", "Generate.Hidden.bias", "Generate.Pixels.weight", "Generate.Pixels.bias",
                "Judge.Hidden.weight", "Judge.Hidden.bias", "Judge.Real.weight", "Judge.Real.bias" }, names);

            var generator = new TinyGenerator(seed: 8);
            var discriminator = new TinyDiscriminator(seed: 9);
            var loaded = new TinyGan(generator, discriminator);
            loaded.Load(path);
            Assert.Equal(gan.Parameters.ToArray(), loaded.Parameters.ToArray());
            Assert.Equal(gan.GenerateModel.Parameters.ToArray(), generator.Parameters.ToArray());
            Assert.Equal(gan.JudgeModel.Parameters.ToArray(), discriminator.Parameters.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void TheEagerSubmodelMethod_RunsTheInstance()
    {
        var gan = new TinyGan(seed: 2);
        var judge = typeof(TinyGan).GetMethod("Judge", BindingFlags.Instance | BindingFlags.NonPublic)!;
        var images = new Tensor(Enumerable.Range(0, 12).Select(i => i / 12f).ToArray(), 2, 6);
        var result = (Tensor)judge.Invoke(gan, new object[] { images })!;
        Assert.Equal(new[] { 2, 1 }, result.Shape);
        var expected = new float[2];
        gan.JudgeModel.Predict(images.Data, 2, expected);
        Assert.Equal(expected, result.Data);
        var wrong = Assert.Throws<TargetInvocationException>(() => judge.Invoke(gan, new object[] { new Tensor(new float[8], 2, 4) }));
        Assert.Contains("Submodel 'Judge' (TinyDiscriminator) takes [batch, …] with 6 values per sample but got [2, 4]", wrong.InnerException!.Message);
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6f + 1e-5f * Math.Abs(expected[i]), $"{what} gradient {i}: hand-chained {expected[i]:G9}, composite {actual[i]:G9}");
        Assert.Contains(actual, g => g != 0);
    }

    private static float[] Latent(int rows, int width, int seed)
    {
        var rng = new Rng(seed);
        var z = new float[rows * width];
        for (int i = 0; i < z.Length; i++) z[i] = (float)rng.NextGaussian();
        return z;
    }

    private static (Model Model, ModelGraph<double> Graph, Action<double[], int> Initialize) Create(string name) => name switch
    {
        nameof(TinyGan) => (new TinyGan(seed: 1), new TinyGan.Graph<double>(3), (p, s) => TinyGan.Initialize<double>(p, s)),
        nameof(StackedNet) => (new StackedNet(seed: 1), new StackedNet.Graph<double>(3), (p, s) => StackedNet.Initialize<double>(p, s)),
        nameof(NestedGan) => (new NestedGan(seed: 1), new NestedGan.Graph<double>(3), (p, s) => NestedGan.Initialize<double>(p, s)),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}
