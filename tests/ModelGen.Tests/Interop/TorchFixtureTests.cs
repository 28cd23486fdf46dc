using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ModelGen.Compute;
using ModelGen.Serialization;
using Xunit;
using Xunit.Abstractions;

namespace ModelGen.Tests.Interop;

/// <summary>
/// The PyTorch twins of the models in InteropModels.cs against ModelGen: each twin's state_dict
/// (Fixtures/&lt;Name&gt;.torch.safetensors) is read by <see cref="Model.Load(string, bool)"/>, strictly, and the model's
/// outputs on the committed inputs must equal PyTorch's: float32 within 1e-5 of the output scale, float64 (the
/// generated Graph&lt;double&gt; on the loaded values against the twin in double) within 1e-12. Saving the loaded model
/// must give the state_dict back, tensor for tensor.
/// </summary>
public class TorchFixtureTests(ITestOutputHelper output)
{
    private const double Float32Tolerance = 1e-5;
    private const double Float64Tolerance = 1e-12;

    internal static string FixturePath(string file) => Path.Combine(AppContext.BaseDirectory, "Interop", "Fixtures", file);

    /// <summary>The models with PyTorch twins, in the fixture script's order.</summary>
    internal static readonly string[] ModelNames =
    [
        nameof(InteropActivations), nameof(InteropConv2d), nameof(InteropPooling), nameof(InteropConv1d), nameof(InteropEmbedding),
        nameof(InteropAttention), nameof(InteropCausalAttention), nameof(InteropMaskedEncoder), nameof(InteropMaskedTagger),
        nameof(InteropLstm), nameof(InteropGru), nameof(InteropResidual), nameof(InteropTwoInputs), nameof(InteropGeluExact),
        nameof(InteropConvTranspose), nameof(InteropUpsample),
    ];

    public static TheoryData<string> Models => new(ModelNames);

    internal static Model Create(string model, int seed = 0) => model switch
    {
        nameof(InteropActivations) => new InteropActivations(seed),
        nameof(InteropConv2d) => new InteropConv2d(seed),
        nameof(InteropPooling) => new InteropPooling(seed),
        nameof(InteropConv1d) => new InteropConv1d(seed),
        nameof(InteropEmbedding) => new InteropEmbedding(seed),
        nameof(InteropAttention) => new InteropAttention(seed),
        nameof(InteropCausalAttention) => new InteropCausalAttention(seed),
        nameof(InteropMaskedEncoder) => new InteropMaskedEncoder(seed),
        nameof(InteropMaskedTagger) => new InteropMaskedTagger(seed),
        nameof(InteropLstm) => new InteropLstm(seed),
        nameof(InteropGru) => new InteropGru(seed),
        nameof(InteropResidual) => new InteropResidual(seed),
        nameof(InteropTwoInputs) => new InteropTwoInputs(seed),
        nameof(InteropGeluExact) => new InteropGeluExact(seed),
        nameof(InteropConvTranspose) => new InteropConvTranspose(seed),
        nameof(InteropUpsample) => new InteropUpsample(seed),
        _ => throw new ArgumentException($"Unknown model '{model}'.", nameof(model)),
    };

    private static ModelGraph<double> Graph64(string model, int batch) => model switch
    {
        nameof(InteropActivations) => new InteropActivations.Graph<double>(batch),
        nameof(InteropConv2d) => new InteropConv2d.Graph<double>(batch),
        nameof(InteropPooling) => new InteropPooling.Graph<double>(batch),
        nameof(InteropConv1d) => new InteropConv1d.Graph<double>(batch),
        nameof(InteropEmbedding) => new InteropEmbedding.Graph<double>(batch),
        nameof(InteropAttention) => new InteropAttention.Graph<double>(batch),
        nameof(InteropCausalAttention) => new InteropCausalAttention.Graph<double>(batch),
        nameof(InteropMaskedEncoder) => new InteropMaskedEncoder.Graph<double>(batch),
        nameof(InteropMaskedTagger) => new InteropMaskedTagger.Graph<double>(batch),
        nameof(InteropLstm) => new InteropLstm.Graph<double>(batch),
        nameof(InteropGru) => new InteropGru.Graph<double>(batch),
        nameof(InteropResidual) => new InteropResidual.Graph<double>(batch),
        nameof(InteropTwoInputs) => new InteropTwoInputs.Graph<double>(batch),
        nameof(InteropGeluExact) => new InteropGeluExact.Graph<double>(batch),
        nameof(InteropConvTranspose) => new InteropConvTranspose.Graph<double>(batch),
        nameof(InteropUpsample) => new InteropUpsample.Graph<double>(batch),
        _ => throw new ArgumentException($"Unknown model '{model}'.", nameof(model)),
    };

    /// <summary>The committed input rows of <paramref name="model"/> (batch × input size) and the batch.</summary>
    internal static (float[] Inputs, int Batch, SafetensorsTensor Tensor) FixtureInputs(string model)
    {
        var tensor = SafetensorsFile.Read(FixturePath($"{model}.io.safetensors"))["input"];
        return (tensor.ToFloat32(), (int)tensor.Shape[0], tensor);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void TheTorchStateDictLoadsStrictlyAndGivesTorchOutputs(string name)
    {
        string weights = FixturePath($"{name}.torch.safetensors");
        var io = SafetensorsFile.Read(FixturePath($"{name}.io.safetensors"));
        var (inputs, batch, _) = FixtureInputs(name);
        float[] expected = io["output"].ToFloat32();
        double[] expected64 = ToFloat64(io["output64"]);

        var model = Create(name, seed: 3);
        var report = model.Load(weights);
        var file = SafetensorsFile.Read(weights);
        Assert.Equal(file.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal), report.Loaded.Order(StringComparer.Ordinal));
        Assert.Empty(report.Skipped);
        Assert.Empty(report.Unused);
        Assert.Null(report.ArchitectureMatches);   // a PyTorch file has no fingerprint
        Assert.Null(report.SavedModel);
        foreach (long tracked in model.BatchesTracked) Assert.Equal(17, tracked);
        Assert.Equal(batch * model.InputSize, inputs.Length);
        Assert.Equal(batch * model.OutputSize, expected.Length);

        var actual = new float[expected.Length];
        model.Predict(inputs, batch, actual);
        double scale = expected.Max(v => Math.Abs((double)v));
        double difference = MaxDifference(actual.Select(v => (double)v), expected.Select(v => (double)v));

        var graph64 = Graph64(name, batch);
        for (int i = 0; i < model.State.Length; i++) graph64.State[i] = model.State[i];
        var parameters64 = model.Parameters.ToArray().Select(v => (double)v).ToArray();
        var actual64 = graph64.Forward(parameters64, inputs.Select(v => (double)v).ToArray(), batch).ToArray();
        double scale64 = expected64.Max(Math.Abs);
        double difference64 = MaxDifference(actual64, expected64);

        output.WriteLine($"{name}: float32 max|ModelGen − PyTorch| {difference:E2} = {difference / scale:E2} × scale {scale:G4}; " +
                         $"float64 {difference64:E2} = {difference64 / scale64:E2} × scale");
        Assert.True(scale > 0.05, $"outputs too small to compare ({scale})");
        Assert.True(difference <= Float32Tolerance * scale, $"{name} float32: max difference {difference:E3} exceeds {Float32Tolerance:G} × {scale:G4}");
        Assert.True(difference64 <= Float64Tolerance * scale64, $"{name} float64: max difference {difference64:E3} exceeds {Float64Tolerance:G} × {scale64:G4}");
    }

    /// <summary>The generated table lists the tensors in the twin's state_dict order (its submodules are registered in declaration order).</summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void TheTensorTableFollowsTheStateDictOrder(string name)
    {
        var file = SafetensorsFile.Read(FixturePath($"{name}.torch.safetensors"));
        Assert.Equal(file.Tensors.Select(t => t.Name), Create(name).FileLayout.Tensors.Select(t => t.Name));
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void SavingTheLoadedModelWritesTheStateDictBack(string name)
    {
        string folder = Directory.CreateTempSubdirectory("modelgen-interop-").FullName;
        try
        {
            var model = Create(name);
            model.Load(FixturePath($"{name}.torch.safetensors"));
            string saved = Path.Combine(folder, name + ".safetensors");
            model.Save(saved);

            var torch = SafetensorsFile.Read(FixturePath($"{name}.torch.safetensors"));
            var file = SafetensorsFile.Read(saved);
            Assert.Equal(torch.Tensors.Select(t => t.Name), file.Tensors.Select(t => t.Name));
            foreach (var expected in torch.Tensors)
            {
                var actual = file[expected.Name];
                Assert.Equal(expected.DType, actual.DType);
                Assert.Equal(expected.Shape, actual.Shape);
                Assert.True(expected.Bytes.Span.SequenceEqual(actual.Bytes.Span), $"{name}: '{expected.Name}' differs from the state_dict's");
            }
            Assert.Equal("pt", file.Metadata["format"]);
            Assert.Equal(model.FileLayout.Architecture, file.Metadata[ModelFile.ArchitectureKey]);
            Assert.Equal("ModelGen.Tests.Interop." + name, file.Metadata[ModelFile.ModelKey]);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    internal static double MaxDifference(IEnumerable<double> actual, IEnumerable<double> expected) =>
        actual.Zip(expected, (a, e) => double.IsFinite(a) ? Math.Abs(a - e) : double.PositiveInfinity).Max();

    private static double[] ToFloat64(SafetensorsTensor tensor)
    {
        Assert.Equal(SafetensorsDType.Float64, tensor.DType);
        var bytes = tensor.Bytes.Span;
        var values = new double[tensor.ElementCount];
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadDoubleLittleEndian(bytes.Slice(8 * i));
        return values;
    }
}
