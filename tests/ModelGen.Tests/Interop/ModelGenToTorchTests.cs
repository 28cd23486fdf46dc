using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using ModelGen.Compute;
using ModelGen.Serialization;
using Xunit;

namespace ModelGen.Tests.Interop;

/// <summary>
/// The reverse direction: files written by <see cref="Model.Save"/> load into the PyTorch twins. The files are committed
/// in Fixtures/modelgen (&lt;Name&gt;.modelgen.safetensors and &lt;Name&gt;.modelgen-io.safetensors with the committed
/// input and ModelGen's outputs on it); make_torch_fixtures.py --check-modelgen loads them into the twins with
/// load_state_dict(strict=True) and records the result in Fixtures/modelgen_to_torch.txt. These tests keep that record
/// valid: Save must still write exactly the committed bytes, and every model must have passed.
/// </summary>
public class ModelGenToTorchTests
{
    private const string Regenerate =
        "Regenerate with: MODELGEN_ACCEPT=1 dotnet test tests/ModelGen.Tests -c Release --filter FullyQualifiedName~ModelGenToTorchTests, " +
        "then /usr/bin/python3 tests/ModelGen.Tests/Interop/Fixtures/make_torch_fixtures.py --check-modelgen tests/ModelGen.Tests/Interop/Fixtures/modelgen, " +
        "and commit the files and modelgen_to_torch.txt together.";

    private static string Fixtures([CallerFilePath] string testFile = "") => Path.Combine(Path.GetDirectoryName(testFile)!, "Fixtures");

    /// <summary>Training steps run before the values are set, so every BatchNorm layer has a count of batches to save.</summary>
    private const int Steps = 3;

    /// <summary>
    /// The model whose file is committed: <see cref="Steps"/> training forward passes on the committed input (they count
    /// batches), then every parameter and state element set from a seeded stream (exact on every machine, so the file's
    /// bytes are too), parameters U(−0.5, 0.5), running means U(−0.5, 0.5), running variances U(0.5, 1.5).
    /// </summary>
    internal static Model SavedModel(string name)
    {
        var (inputs, batch, _) = TorchFixtureTests.FixtureInputs(name);
        var model = TorchFixtureTests.Create(name, seed: 11);
        var targets = new float[batch * model.TargetSize];   // class 0, target 0: valid for every loss here
        for (int step = 0; step < Steps; step++) model.AccumulateGradients(inputs, targets, batch);
        var rng = new Rng(2026, stream: name.Length);
        foreach (ref float p in model.Parameters) p = (float)(rng.NextDouble() - 0.5);
        foreach (var slot in model.FileLayout.Tensors.Where(s => s.Source == TensorSource.State))
        {
            float low = slot.Key == "running_var" ? 0.5f : -0.5f;
            foreach (ref float s in model.State.Slice(slot.Offset, slot.Count)) s = low + (float)rng.NextDouble();
        }
        return model;
    }

    [Theory]
    [MemberData(nameof(TorchFixtureTests.Models), MemberType = typeof(TorchFixtureTests))]
    public void TheCommittedModelGenFilesAreWhatSaveWritesNow(string name)
    {
        var model = SavedModel(name);
        var (inputs, batch, inputTensor) = TorchFixtureTests.FixtureInputs(name);
        var outputs = new float[batch * model.OutputSize];
        model.Predict(inputs, batch, outputs);
        string folder = Path.Combine(Fixtures(), "modelgen");
        string weights = Path.Combine(folder, $"{name}.modelgen.safetensors");
        string io = Path.Combine(folder, $"{name}.modelgen-io.safetensors");

        if (Environment.GetEnvironmentVariable("MODELGEN_ACCEPT") == "1")
        {
            Directory.CreateDirectory(folder);
            model.Save(weights);
            SafetensorsFile.Write(io,
            [
                SafetensorsTensor.FromFloat32("input", inputTensor.Shape.ToArray(), inputs),
                SafetensorsTensor.FromFloat32("output", [batch, model.OutputSize], outputs),
            ]);
            return;
        }

        Assert.True(File.Exists(weights), $"{weights} is missing. {Regenerate}");
        string temporary = Path.Combine(Path.GetTempPath(), $"modelgen-{name}-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(temporary);
            Assert.True(File.ReadAllBytes(weights).AsSpan().SequenceEqual(File.ReadAllBytes(temporary)),
                $"Save no longer writes the bytes of the committed {Path.GetFileName(weights)}, so modelgen_to_torch.txt no longer describes it. {Regenerate}");
        }
        finally
        {
            File.Delete(temporary);
        }

        // The outputs are float32 sums whose order may differ between machines: equal to the committed ones within the check's tolerance.
        var recorded = SafetensorsFile.Read(io);
        Assert.Equal(inputs, recorded["input"].ToFloat32());
        float[] committed = recorded["output"].ToFloat32();
        double scale = committed.Max(v => Math.Abs((double)v));
        double difference = TorchFixtureTests.MaxDifference(outputs.Select(v => (double)v), committed.Select(v => (double)v));
        Assert.True(difference <= 1e-6 * scale, $"{name}: Predict differs from the committed outputs by {difference:E3} (scale {scale:G4}). {Regenerate}");
    }

    [Fact]
    public void EveryModelGenFilePassedThePyTorchCheck()
    {
        string results = Path.Combine(Fixtures(), "modelgen_to_torch.txt");
        Assert.True(File.Exists(results), $"{results} is missing. {Regenerate}");
        var lines = File.ReadAllLines(results).Where(l => !l.StartsWith('#') && l.Length > 0).ToList();
        foreach (string name in TorchFixtureTests.ModelNames)
        {
            string? line = lines.SingleOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal));
            Assert.True(line is not null, $"modelgen_to_torch.txt has no line for {name}. {Regenerate}");
            Assert.StartsWith(name + ": pass", line);
        }
        Assert.Equal(TorchFixtureTests.ModelNames.Length, lines.Count);
    }
}
