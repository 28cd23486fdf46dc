using System;
using ModelGen.Compute;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests;

/// <summary>
/// The generated training step of the upsampling layers against float64 central differences (the tolerances of
/// <see cref="GradientCheckTests"/>), and a small autoencoder that learns.
/// </summary>
public class UpsamplingModelTests
{
    public static TheoryData<string> Models => new() { nameof(ConvTransposeNet), nameof(UpsampleNet), nameof(TinyAutoencoder) };

    [Theory]
    [MemberData(nameof(Models))]
    public void AnalyticGradientsMatchCentralDifferences(string model)
    {
        (ModelGraph<double> graph, double[] parameters) = model switch
        {
            nameof(ConvTransposeNet) => GradientCheckTests.Create(new ConvTransposeNet.Graph<double>(4), ConvTransposeNet.TotalParameters, ConvTransposeNet.Initialize),
            nameof(UpsampleNet) => GradientCheckTests.Create(new UpsampleNet.Graph<double>(4), UpsampleNet.TotalParameters, UpsampleNet.Initialize),
            nameof(TinyAutoencoder) => GradientCheckTests.Create(new TinyAutoencoder.Graph<double>(4), TinyAutoencoder.TotalParameters, TinyAutoencoder.Initialize),
            _ => throw new ArgumentException(model),
        };
        GradientCheckTests.Check(model, graph, parameters);
    }

    [Fact]
    public void ParameterCount_UsesPyTorchsTransposedWeightShape()
    {
        // C: [4, 2, 3, 3] + 4; Up1: [4, 4/2, 3, 3] + 4; Up2: [4, 2, 2, 2]; Up3: [2, 2, 3, 3] + 2; Out: [2·19·31, 2] + 2.
        Assert.Equal(76 + 76 + 32 + 38 + (2 * 19 * 31 * 2 + 2), ConvTransposeNet.TotalParameters);
    }

    [Fact]
    public void Autoencoder_LearnsToReconstructSimpleImages()
    {
        // 8×8 images of one bright horizontal or vertical bar: the decoder must place it again.
        var rng = new Rng(7);
        const int count = 256;
        var images = new float[count * 64];
        for (int i = 0; i < count; i++)
        {
            int line = rng.NextInt(8);
            bool vertical = rng.NextInt(2) == 1;
            for (int k = 0; k < 8; k++) images[i * 64 + (vertical ? k * 8 + line : line * 8 + k)] = 1f;
        }
        var data = Dataset.ForRegression(images, 64, images, targetWidth: 64);
        var model = new TinyAutoencoder(seed: 3);
        float before = model.Evaluate(data).Loss;
        model.Fit(data, epochs: 60, batchSize: 32, optimizer: new Adam(1e-2f), seed: 3);
        float after = model.Evaluate(data).Loss;
        // A bar covers 8 of 64 pixels: predicting all zeros scores 0.125, the mean image about 0.11.
        Assert.True(after < 0.03f && after < before / 4, $"MSE {before} before training, {after} after");
    }
}
