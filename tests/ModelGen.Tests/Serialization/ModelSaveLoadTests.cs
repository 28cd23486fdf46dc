using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ModelGen.Compute;
using ModelGen.Serialization;
using ModelGen.Tests.Interop;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests.Serialization;

/// <summary>model.Save and model.Load: round trips for every layer family, strictness, the report, dtypes, atomic saves.</summary>
public sealed class ModelSaveLoadTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("modelgen-model-io-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string file) => Path.Combine(_folder, file);

    // ---- Helpers ----

    /// <summary>Everything a load may change, to assert that a failed one changed nothing.</summary>
    private sealed record Values(float[] Parameters, float[] State, long[] Counts)
    {
        public static Values Of(Model model) => new(model.Parameters.ToArray(), model.State.ToArray(), model.BatchesTracked.ToArray());

        public void AssertSameAs(Model model)
        {
            Assert.Equal(Parameters, model.Parameters.ToArray());
            Assert.Equal(State, model.State.ToArray());
            Assert.Equal(Counts, model.BatchesTracked.ToArray());
        }
    }

    /// <summary>Training forward passes (counting batches, moving the running statistics), then seeded values in every parameter.</summary>
    private static void MakeDistinct(Model model, float[] inputs, int batch, int seed)
    {
        var targets = new float[batch * model.TargetSize];
        model.AccumulateGradients(inputs, targets, batch);
        model.AccumulateGradients(inputs, targets, batch);
        var rng = new Rng(seed);
        foreach (ref float p in model.Parameters) p = (float)(rng.NextDouble() - 0.5);
    }

    private static float[] Uniform(int count, int seed, double low = -1, double high = 1)
    {
        var rng = new Rng(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(low + (high - low) * rng.NextDouble());
        return values;
    }

    /// <summary>A FeatureCnn with distinct values everywhere, saved to <paramref name="file"/>.</summary>
    private (FeatureCnn Model, string Path) SavedFeatureCnn(string file = "cnn.safetensors", int seed = 7)
    {
        var model = new FeatureCnn(seed);
        MakeDistinct(model, Uniform(4 * model.InputSize, seed), 4, seed);
        string path = PathOf(file);
        model.Save(path);
        return (model, path);
    }

    /// <summary>Rewrites a safetensors file with its tensors and metadata edited.</summary>
    private static void Rewrite(string source, string target, Action<List<SafetensorsTensor>> tensors, Action<Dictionary<string, string>>? metadata = null)
    {
        var file = SafetensorsFile.Read(source);
        var list = file.Tensors.ToList();
        tensors(list);
        var meta = new Dictionary<string, string>(file.Metadata);
        metadata?.Invoke(meta);
        SafetensorsFile.Write(target, list, meta);
    }

    private static void Replace(List<SafetensorsTensor> tensors, SafetensorsTensor replacement) =>
        tensors[tensors.FindIndex(t => t.Name == replacement.Name)] = replacement;

    // ---- Round trips ----

    public static TheoryData<string> RoundTripModels =>
    [
        .. TorchFixtureTests.ModelNames,
        nameof(MultiHeadNet), nameof(ContrastiveNet), nameof(ImageAndMetaNet), nameof(BatchNormNet), nameof(EmbeddingConcatNet),
        nameof(MaskedTagger), nameof(TwiceNormalised), nameof(FeatureCnn),
    ];

    /// <summary>A model of <paramref name="name"/> for a seed, inputs it accepts and their batch.</summary>
    private static (Func<int, Model> Create, float[] Inputs, int Batch) Case(string name)
    {
        if (TorchFixtureTests.ModelNames.Contains(name))
        {
            var (inputs, batch, _) = TorchFixtureTests.FixtureInputs(name);
            return (seed => TorchFixtureTests.Create(name, seed), inputs, batch);
        }
        Func<int, Model> create = name switch
        {
            nameof(MultiHeadNet) => seed => new MultiHeadNet(seed),
            nameof(ContrastiveNet) => seed => new ContrastiveNet(seed),
            nameof(ImageAndMetaNet) => seed => new ImageAndMetaNet(seed),
            nameof(BatchNormNet) => seed => new BatchNormNet(seed),
            nameof(EmbeddingConcatNet) => seed => new EmbeddingConcatNet(seed),
            nameof(MaskedTagger) => seed => new MaskedTagger(seed),
            nameof(TwiceNormalised) => seed => new TwiceNormalised(seed),
            nameof(FeatureCnn) => seed => new FeatureCnn(seed),
            _ => throw new ArgumentException($"Unknown model '{name}'.", nameof(name)),
        };
        const int rows = 4;
        int size = create(0).InputSize;
        float[] data = name switch
        {
            // ids a ∈ [0, 5), b ∈ [0, 4), then two numbers
            nameof(EmbeddingConcatNet) => [1, 3, 0.5f, -1, 4, 0, 2, 0.25f, 0, 2, -0.5f, 1, 3, 1, 0, 0],
            // right-padded ids of lengths 8, 3, 5, 1
            nameof(MaskedTagger) => [1, 2, 3, 4, 5, 6, 7, 8, 2, 4, 6, 0, 0, 0, 0, 0, 8, 0, 7, 1, 5, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0],
            _ => Uniform(rows * size, name.Length),
        };
        return (create, data, rows);
    }

    [Theory]
    [MemberData(nameof(RoundTripModels))]
    public void SaveThenLoadIntoAModelOfAnotherSeedGivesTheSameModel(string name)
    {
        var (create, inputs, batch) = Case(name);
        var original = create(1);
        MakeDistinct(original, inputs, batch, seed: 3);
        string path = PathOf(name + ".safetensors");
        original.Save(path);

        var copy = create(2);
        Assert.False(original.Parameters.SequenceEqual(copy.Parameters), "the seeds give the same parameters: the load would have nothing to do");
        var report = copy.Load(path);

        Assert.True(report.ArchitectureMatches);
        Assert.Equal(original.FileLayout.Model, report.SavedModel);
        Assert.Equal(original.FileLayout.Tensors.Select(t => t.Name), report.Loaded);
        Assert.Empty(report.Skipped);
        Assert.Empty(report.Unused);
        Values.Of(original).AssertSameAs(copy);
        if (original.FileLayout.BatchNormCalls.Count > 0) Assert.All(copy.BatchesTracked.ToArray(), count => Assert.True(count >= 2));
        var expected = new float[batch * original.OutputSize];
        var actual = new float[expected.Length];
        original.Predict(inputs, batch, expected);
        copy.Predict(inputs, batch, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void TheFileHoldsEveryTensorOnceWithPyTorchNamesShapesAndDTypes()
    {
        var (model, path) = SavedFeatureCnn();
        var file = SafetensorsFile.Read(path);
        Assert.Equal(
            ["C1.weight", "C1.bias", "Norm.weight", "Norm.bias", "Norm.running_mean", "Norm.running_var", "Norm.num_batches_tracked", "C2.weight", "C2.bias", "Head.weight", "Head.bias"],
            file.Tensors.Select(t => t.Name));
        Assert.Equal([4L, 2, 3, 3], file["C1.weight"].Shape);
        Assert.Equal([5L, 12], file["Head.weight"].Shape);   // PyTorch's [out, in]; ModelGen stores [12, 5]
        Assert.Empty(file["Norm.num_batches_tracked"].Shape);
        Assert.Equal(SafetensorsDType.Int64, file["Norm.num_batches_tracked"].DType);
        Assert.Equal(model.BatchesTracked[0], file["Norm.num_batches_tracked"].ToInt64()[0]);
        Assert.All(file.Tensors.Where(t => t.Name != "Norm.num_batches_tracked"), t => Assert.Equal(SafetensorsDType.Float32, t.DType));

        // Head.weight[o, i] is the stored [i, o] element: the transpose.
        var head = model.FileLayout.Tensors.Single(t => t.Name == "Head.weight");
        float[] saved = file["Head.weight"].ToFloat32();
        for (int o = 0; o < 5; o++)
            for (int i = 0; i < 12; i++)
                Assert.Equal(model.Parameters[head.Offset + i * 5 + o], saved[o * 12 + i]);
        Assert.Equal(model.Parameters.Slice(model.FileLayout.Tensors.Single(t => t.Name == "C1.weight").Offset, 72).ToArray(), file["C1.weight"].ToFloat32());
        Assert.Equal(model.State.Slice(4, 4).ToArray(), file["Norm.running_var"].ToFloat32());
    }

    [Fact]
    public void TheMetadataNamesTheModelItsShapesArchitectureAndVersions()
    {
        var (model, path) = SavedFeatureCnn();
        var metadata = SafetensorsFile.Read(path).Metadata;
        Assert.Equal(
            ["format", "modelgen.architecture", "modelgen.format_version", "modelgen.input_shape", "modelgen.model", "modelgen.output_shape", "modelgen.version"],
            metadata.Keys);
        Assert.Equal("pt", metadata["format"]);
        Assert.Equal("1", metadata[ModelFile.FormatVersionKey]);
        Assert.Equal(ModelFile.LibraryVersion, metadata[ModelFile.LibraryVersionKey]);
        Assert.Matches(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$", ModelFile.LibraryVersion);
        Assert.Equal("ModelGen.Tests.Serialization.FeatureCnn", metadata[ModelFile.ModelKey]);
        Assert.Equal("[2,6,6]", metadata[ModelFile.InputShapeKey]);
        Assert.Equal("[5]", metadata[ModelFile.OutputShapeKey]);
        Assert.Equal(model.FileLayout.Architecture, metadata[ModelFile.ArchitectureKey]);
        Assert.Matches("^[0-9a-f]{16}$", model.FileLayout.Architecture);
    }

    [Fact]
    public void ShapesOfNamedInputsHeadsPairsAndSequences()
    {
        Assert.Equal("{\"photo\":[1,4,4],\"meta\":[3]}", new ImageAndMetaNet().FileLayout.InputShape);
        Assert.Equal("{\"kind\":[3],\"size\":[1]}", new ImageAndMetaNet().FileLayout.OutputShape);
        Assert.Equal("{\"left\":[3],\"right\":[3]}", new ContrastiveNet().FileLayout.OutputShape);
        Assert.Equal("[8,4]", new MaskedTagger().FileLayout.OutputShape);
        Assert.Equal("{\"wide\":[3],\"deep\":[6]}", new InteropTwoInputs().FileLayout.InputShape);
    }

    [Fact]
    public void TheFingerprintFollowsTheArchitectureNotTheNameOrTheWeights()
    {
        Assert.Equal(new FeatureCnn(1).FileLayout.Architecture, new FeatureCnnCopy(2).FileLayout.Architecture);
        Assert.NotEqual(new FeatureCnn().FileLayout.Architecture, new FeatureCnnTanh().FileLayout.Architecture);
        Assert.NotEqual(new FeatureCnn().FileLayout.Architecture, new RenamedFeatureCnn().FileLayout.Architecture);
        Assert.NotEqual(new MaskedTagger().FileLayout.Architecture, new TaggerAtFive().FileLayout.Architecture);   // same tensors, other input
        Assert.NotEqual(new TaggerAtFive().FileLayout.Architecture, new TaggerAtTwo().FileLayout.Architecture);
        string[] all = TorchFixtureTests.ModelNames.Select(name => TorchFixtureTests.Create(name).FileLayout.Architecture).ToArray();
        Assert.Equal(all.Length, all.Distinct().Count());

        // A model of the same architecture under another name loads strictly.
        var (model, path) = SavedFeatureCnn();
        var copy = new FeatureCnnCopy(5);
        var report = copy.Load(path);
        Assert.True(report.ArchitectureMatches);
        Assert.Equal("ModelGen.Tests.Serialization.FeatureCnn", report.SavedModel);
        Assert.Equal(model.Parameters.ToArray(), copy.Parameters.ToArray());
    }

    // ---- Strict loads: one error listing every problem, and nothing changes ----

    public static TheoryData<string> Problems => ["missing", "unexpected", "shape", "dtype", "count dtype", "count shape", "negative count"];

    [Theory]
    [MemberData(nameof(Problems))]
    public void AStrictLoadNamesTheProblemAndChangesNothing(string problem)
    {
        var (_, path) = SavedFeatureCnn();
        string edited = PathOf("edited.safetensors");
        string expected = "";
        Rewrite(path, edited, tensors =>
        {
            switch (problem)
            {
                case "missing":
                    tensors.RemoveAll(t => t.Name == "C1.bias");
                    expected = "'C1.bias': missing, expected F32 [4]";
                    break;
                case "unexpected":
                    tensors.Add(SafetensorsTensor.FromFloat32("Extra.weight", [3], [1, 2, 3]));
                    expected = "'Extra.weight': unexpected F32 [3] (ModelGen.Tests.Serialization.FeatureCnn has no tensor of that name)";
                    break;
                case "shape":
                    Replace(tensors, SafetensorsTensor.FromFloat32("Head.weight", [12, 5], new float[60]));   // ModelGen's layout instead of PyTorch's
                    expected = "'Head.weight': found F32 [12, 5], expected [5, 12]";
                    break;
                case "dtype":
                    Replace(tensors, SafetensorsTensor.FromInt64("C2.bias", [3], [1, 2, 3]));
                    expected = "'C2.bias': found I64 [3], expected a float dtype (F32, F16, BF16 or F64) of shape [3]";
                    break;
                case "count dtype":
                    Replace(tensors, SafetensorsTensor.FromFloat32("Norm.num_batches_tracked", [], [2f]));
                    expected = "'Norm.num_batches_tracked': found F32 [], expected an I64 scalar []";
                    break;
                case "count shape":
                    Replace(tensors, SafetensorsTensor.FromInt64("Norm.num_batches_tracked", [1], [2]));
                    expected = "'Norm.num_batches_tracked': found I64 [1], expected an I64 scalar []";
                    break;
                case "negative count":
                    Replace(tensors, SafetensorsTensor.FromInt64("Norm.num_batches_tracked", [], [-4]));
                    expected = "'Norm.num_batches_tracked': found -4, expected a count of batches (0 or more)";
                    break;
            }
        });
        var model = new FeatureCnn(9);
        var before = Values.Of(model);
        var error = Assert.Throws<ModelFileException>(() => model.Load(edited));
        Assert.Equal(edited, error.FilePath);
        Assert.Equal(
            "the file does not fit ModelGen.Tests.Serialization.FeatureCnn; nothing was loaded. 1 problem:\n  " + expected +
            "\nTo load the tensors that fit and keep the model's values for the rest, call Load(path, strict: false).", error.Problem);
        before.AssertSameAs(model);
    }

    [Fact]
    public void EveryProblemIsListedInOneError()
    {
        var (_, path) = SavedFeatureCnn();
        string edited = PathOf("edited.safetensors");
        Rewrite(path, edited, tensors =>
        {
            tensors.RemoveAll(t => t.Name is "C1.bias" or "Norm.running_mean");
            Replace(tensors, SafetensorsTensor.FromFloat32("Head.weight", [12, 5], new float[60]));
            tensors.Add(SafetensorsTensor.FromFloat32("Head.scale", [1], [1]));
        });
        var model = new FeatureCnn(9);
        var before = Values.Of(model);
        var error = Assert.Throws<ModelFileException>(() => model.Load(edited));
        Assert.Contains("4 problems:", error.Message);
        Assert.Contains("'C1.bias': missing, expected F32 [4]", error.Message);
        Assert.Contains("'Norm.running_mean': missing, expected F32 [4]", error.Message);
        Assert.Contains("'Head.weight': found F32 [12, 5], expected [5, 12]", error.Message);
        Assert.Contains("'Head.scale': unexpected F32 [1]", error.Message);
        before.AssertSameAs(model);
    }

    [Fact]
    public void AnotherArchitectureIsRefusedNamingBothModelsAndTheWayAround()
    {
        var other = new FeatureCnnTanh(4);
        MakeDistinct(other, Uniform(4 * other.InputSize, 1), 4, 2);
        string path = PathOf("tanh.safetensors");
        other.Save(path);

        var model = new FeatureCnn(9);
        var before = Values.Of(model);
        var error = Assert.Throws<ModelFileException>(() => model.Load(path));
        Assert.Equal(
            $"the file holds the weights of ModelGen.Tests.Serialization.FeatureCnnTanh (architecture {other.FileLayout.Architecture}), " +
            $"not of ModelGen.Tests.Serialization.FeatureCnn (architecture {model.FileLayout.Architecture}); nothing was loaded. " +
            "To load the tensors whose names and shapes match anyway, call Load(path, strict: false), or LoadLayers(path, …) for chosen layers.",
            error.Problem);
        before.AssertSameAs(model);

        // Not strict: the tensors fit, so all of them load.
        var report = model.Load(path, strict: false);
        Assert.False(report.ArchitectureMatches);
        Assert.Equal(model.FileLayout.Tensors.Count, report.Loaded.Count);
        Values.Of(other).AssertSameAs(model);
    }

    [Fact]
    public void AFileFromAnEarlierDeclarationOfTheSameModelSaysSo()
    {
        var (_, path) = SavedFeatureCnn();
        string edited = PathOf("earlier.safetensors");
        Rewrite(path, edited, _ => { }, metadata => metadata[ModelFile.ArchitectureKey] = "0123456789abcdef");
        var model = new FeatureCnn(9);
        var before = Values.Of(model);
        var error = Assert.Throws<ModelFileException>(() => model.Load(edited));
        Assert.StartsWith(
            "the file was saved from an earlier declaration of ModelGen.Tests.Serialization.FeatureCnn (architecture 0123456789abcdef); " +
            $"its architecture is now {model.FileLayout.Architecture} (a layer, a layer option, the graph, the inputs or the loss changed); nothing was loaded.",
            error.Problem);
        before.AssertSameAs(model);
    }

    [Fact]
    public void AnotherModelsFileFailsStrictlyAndLoadsNothingThatDoesNotFit()
    {
        var gru = TorchFixtureTests.Create(nameof(InteropGru), 1);
        var rng = new Rng(5);
        foreach (ref float p in gru.Parameters) p = (float)(rng.NextDouble() - 0.5);
        string path = PathOf("gru.safetensors");
        gru.Save(path);
        var lstm = TorchFixtureTests.Create(nameof(InteropLstm), 2);
        var before = Values.Of(lstm);
        var error = Assert.Throws<ModelFileException>(() => lstm.Load(path));
        Assert.Contains("holds the weights of ModelGen.Tests.Interop.InteropGru", error.Message);
        before.AssertSameAs(lstm);

        // Not strict: the recurrent tensors have other shapes (LSTM gates are 4·h wide, GRU's 3·h); only Out.bias [2] fits.
        var report = lstm.Load(path, strict: false);
        Assert.Equal(["Out.bias"], report.Loaded);
        Assert.Equal(lstm.FileLayout.Tensors.Count - 1, report.Skipped.Count);
        Assert.Contains(report.Skipped, s => s.Name == "Encoder.weight_ih_l0" && s.Reason == "found F32 [12, 3], expected [20, 3]");
        Assert.Contains(report.Skipped, s => s.Name == "Encoder.weight_ih_l0_reverse" && s.Reason == "missing, expected F32 [20, 3]");
        Assert.Contains("Summarise.weight_ih_l0_reverse", report.Unused);
        var outBias = lstm.FileLayout.Tensors.Single(t => t.Name == "Out.bias");
        var gruOutBias = gru.FileLayout.Tensors.Single(t => t.Name == "Out.bias");
        Assert.Equal(gru.Parameters.Slice(gruOutBias.Offset, 2).ToArray(), lstm.Parameters.Slice(outBias.Offset, 2).ToArray());
        Assert.Equal(before.Parameters.AsSpan(0, outBias.Offset).ToArray(), lstm.Parameters.Slice(0, outBias.Offset).ToArray());
    }

    [Fact]
    public void ANewerFormatVersionIsRefusedNamingBothVersions()
    {
        var (_, path) = SavedFeatureCnn();
        string edited = PathOf("newer.safetensors");
        Rewrite(path, edited, _ => { }, metadata =>
        {
            metadata[ModelFile.FormatVersionKey] = "2";
            metadata[ModelFile.LibraryVersionKey] = "9.1.0";
        });
        var model = new FeatureCnn(9);
        var before = Values.Of(model);
        foreach (bool strict in new[] { true, false })
        {
            var error = Assert.Throws<ModelFileException>(() => model.Load(edited, strict));
            Assert.Equal(
                $"the file has model file format version 2, written by ModelGen 9.1.0; this library (ModelGen {ModelFile.LibraryVersion}) reads format version 1. " +
                "Load it with a ModelGen that reads version 2.", error.Problem);
        }
        Rewrite(path, edited, _ => { }, metadata => metadata[ModelFile.FormatVersionKey] = "one");
        Assert.Equal("metadata 'modelgen.format_version' is 'one'; expected a whole number from 1",
            Assert.Throws<ModelFileException>(() => model.Load(edited)).Problem);
        before.AssertSameAs(model);
    }

    [Fact]
    public void ATruncatedFileIsRefused()
    {
        var (_, path) = SavedFeatureCnn();
        byte[] bytes = File.ReadAllBytes(path);
        string truncated = PathOf("truncated.safetensors");
        File.WriteAllBytes(truncated, bytes[..^10]);
        var model = new FeatureCnn(9);
        var before = Values.Of(model);
        var error = Assert.Throws<ModelFileException>(() => model.Load(truncated));
        Assert.Equal(truncated, error.FilePath);
        Assert.Contains("past the end of the data section", error.Problem);
        before.AssertSameAs(model);
    }

    [Fact]
    public void AFileThatIsNotSafetensorsIsRefused()
    {
        string csv = PathOf("weights.safetensors");
        File.WriteAllText(csv, "layer,value\nC1,0.5\n");
        var model = new FeatureCnn(9);
        var before = Values.Of(model);
        var error = Assert.Throws<ModelFileException>(() => model.Load(csv));
        Assert.Equal(csv, error.FilePath);
        Assert.StartsWith("the header length is ", error.Problem);
        Assert.Throws<FileNotFoundException>(() => model.Load(PathOf("absent.safetensors")));
        before.AssertSameAs(model);
    }

    // ---- Non-strict loads ----

    [Fact]
    public void ANonStrictLoadTakesWhatFitsAndReportsTheRest()
    {
        var (source, path) = SavedFeatureCnn();
        string edited = PathOf("partial.safetensors");
        Rewrite(path, edited, tensors =>
        {
            tensors.RemoveAll(t => t.Name == "C1.bias");
            Replace(tensors, SafetensorsTensor.FromFloat32("Head.weight", [12, 5], new float[60]));
            tensors.Add(SafetensorsTensor.FromFloat32("Extra.weight", [3], [1, 2, 3]));
        });
        var model = new FeatureCnn(9);
        var before = Values.Of(model);
        var report = model.Load(edited, strict: false);

        Assert.Equal(["C1.weight", "Norm.weight", "Norm.bias", "Norm.running_mean", "Norm.running_var", "Norm.num_batches_tracked", "C2.weight", "C2.bias", "Head.bias"], report.Loaded);
        Assert.Equal(
            [new SkippedTensor("C1.bias", "C1.bias", "missing, expected F32 [4]"), new SkippedTensor("Head.weight", "Head.weight", "found F32 [12, 5], expected [5, 12]")],
            report.Skipped);
        Assert.Equal(["Extra.weight"], report.Unused);
        Assert.True(report.ArchitectureMatches);
        foreach (var slot in model.FileLayout.Tensors.Where(s => s.Source == TensorSource.Parameters))
        {
            var expected = slot.Name is "C1.bias" or "Head.weight" ? before.Parameters : source.Parameters.ToArray();
            Assert.Equal(expected.AsSpan(slot.Offset, slot.Count).ToArray(), model.Parameters.Slice(slot.Offset, slot.Count).ToArray());
        }
        Assert.Equal(source.State.ToArray(), model.State.ToArray());
        Assert.Equal(source.BatchesTracked.ToArray(), model.BatchesTracked.ToArray());
    }

    // ---- Element types ----

    [Theory]
    [InlineData(SafetensorsDType.Float64)]
    [InlineData(SafetensorsDType.Float16)]
    [InlineData(SafetensorsDType.BFloat16)]
    public void F64F16AndBF16TensorsLoadAsFloat32(SafetensorsDType dtype)
    {
        var (source, path) = SavedFeatureCnn();
        string narrow = PathOf("narrow.safetensors"), rounded = PathOf("rounded.safetensors");
        var converted = new List<SafetensorsTensor>();
        Rewrite(path, narrow, tensors =>
        {
            for (int i = 0; i < tensors.Count; i++)
                if (tensors[i].DType == SafetensorsDType.Float32)
                    tensors[i] = SafetensorsTensor.FromFloat32(tensors[i].Name, tensors[i].Shape.ToArray(), tensors[i].ToFloat32(), dtype);
            converted.AddRange(tensors);
        });
        // The same values as F32: what the narrow file must load as.
        Rewrite(path, rounded, tensors =>
        {
            for (int i = 0; i < tensors.Count; i++)
                if (tensors[i].DType == SafetensorsDType.Float32)
                    tensors[i] = SafetensorsTensor.FromFloat32(tensors[i].Name, tensors[i].Shape.ToArray(), converted[i].ToFloat32());
        });
        var fromNarrow = new FeatureCnn(9);
        var fromRounded = new FeatureCnn(10);
        fromNarrow.Load(narrow);
        fromRounded.Load(rounded);
        Values.Of(fromRounded).AssertSameAs(fromNarrow);
        float[] original = source.Parameters.ToArray(), loaded = fromNarrow.Parameters.ToArray();
        double tolerance = dtype == SafetensorsDType.Float64 ? 0 : dtype == SafetensorsDType.Float16 ? 1e-3 : 4e-3;
        for (int i = 0; i < original.Length; i++) Assert.True(Math.Abs(original[i] - loaded[i]) <= tolerance * Math.Max(1, Math.Abs(original[i])), $"element {i}");
        if (dtype != SafetensorsDType.Float64) Assert.False(original.SequenceEqual(loaded), "rounding to 16 bits changed nothing");
    }

    // ---- Saving ----

    [Fact]
    public void AFailedSaveLeavesTheOldFileIntact()
    {
        var (model, path) = SavedFeatureCnn();
        // The temporary's name is 22 characters longer than the target's, so a 240-character name cannot get one.
        string target = PathOf(new string('w', 240));
        File.Copy(path, target);
        byte[] old = File.ReadAllBytes(target);
        var changed = new FeatureCnn(3);
        Assert.ThrowsAny<IOException>(() => changed.Save(target));
        Assert.Equal(old, File.ReadAllBytes(target));
        Assert.Empty(AtomicFile.FindTemporaries(target));
        var reloaded = new FeatureCnn(4);
        reloaded.Load(target);
        Values.Of(model).AssertSameAs(reloaded);
    }

    [Fact]
    public void SavingTwiceWritesTheSameBytes()
    {
        var (model, path) = SavedFeatureCnn();
        string again = PathOf("again.safetensors");
        model.Save(again);
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(again));
    }

    [Fact]
    public void APreprocessingDocumentTravelsInTheMetadata()
    {
        const string json = """
            {"format":"modelgen.preprocessing","version":1,"inputs":[{"name":"a","type":"number","role":"feature"}],
             "label":null,"features":["a"],"allowKnownAfterOutcome":false,"preprocessing":null}
            """;
        var document = PreprocessingDocument.FromJson(json);
        var model = new FeatureCnn(1);
        string path = PathOf("with-document.safetensors");
        model.Save(path, preprocessing: document);
        Assert.Equal(document.ToJson(), SafetensorsFile.Read(path).Metadata[PreprocessingDocument.MetadataKey]);
        Assert.Equal(document.ToJson(), ModelFile.ReadPreprocessing(path)!.ToJson());
        Assert.Equal(document.ToJson(), new FeatureCnn(2).Load(path).Preprocessing!.ToJson());

        string without = PathOf("without-document.safetensors");
        model.Save(without);
        Assert.Null(ModelFile.ReadPreprocessing(without));
        Assert.Null(new FeatureCnn(2).Load(without).Preprocessing);
    }

    // ---- BatchNorm's count of batches ----

    [Fact]
    public void EveryTrainingForwardPassCountsOnceForEachBatchNormCall()
    {
        var twice = new TwiceNormalised(1);
        Assert.Equal([2], twice.FileLayout.BatchNormCalls);
        Assert.Equal([0L], twice.BatchesTracked.ToArray());
        float[] x = Uniform(4 * 4, 1), y = Uniform(4 * 2, 2);
        twice.TrainStep(x, y, 4, new Sgd(0.01f));
        Assert.Equal([2L], twice.BatchesTracked.ToArray());
        twice.AccumulateGradients(x, y, 4);
        twice.AccumulateGradients(x, y, 4);
        twice.ApplyAccumulatedGradients(new Sgd(0.01f));
        Assert.Equal([6L], twice.BatchesTracked.ToArray());
        twice.Predict(x, 4, new float[8]);
        twice.Evaluate(Dataset.ForRegression(x, 4, y, 2));
        Assert.Equal([6L], twice.BatchesTracked.ToArray());   // inference does not count
        twice.Fit(Dataset.ForRegression(Uniform(12 * 4, 3), 4, Uniform(12 * 2, 4), 2), epochs: 2, batchSize: 4, optimizer: new Sgd(0.01f));
        Assert.Equal([6L + 2 * 3 * 2], twice.BatchesTracked.ToArray());

        string path = PathOf("twice.safetensors");
        twice.Save(path);
        Assert.Equal(18, SafetensorsFile.Read(path)["Norm.num_batches_tracked"].ToInt64()[0]);
        var loaded = new TwiceNormalised(2);
        loaded.Load(path);
        Assert.Equal([18L], loaded.BatchesTracked.ToArray());

        var once = new FeatureCnn(1);
        once.TrainStep(Uniform(4 * once.InputSize, 5), new float[4], 4, new Sgd(0.01f));
        Assert.Equal([1L], once.BatchesTracked.ToArray());
        Assert.Empty(new InteropActivations().BatchesTracked.ToArray());
    }

    // ---- Chosen layers ----

    [Fact]
    public void LoadLayersCopiesTheChosenLayersIntoAModelWithANewHead()
    {
        var (source, path) = SavedFeatureCnn();
        var model = new FeatureCnnNewHead(5);
        var before = Values.Of(model);
        var report = model.LoadLayers(path, "C1", "Norm", "C2");

        Assert.Equal(["C1.weight", "C1.bias", "Norm.weight", "Norm.bias", "Norm.running_mean", "Norm.running_var", "Norm.num_batches_tracked", "C2.weight", "C2.bias"], report.Loaded);
        Assert.Empty(report.Skipped);
        Assert.Equal(["Head.weight", "Head.bias"], report.Unused);
        Assert.True(report.ArchitectureMatches == false);
        var sourceSlots = source.FileLayout.Tensors.ToDictionary(t => t.Name);
        foreach (var slot in model.FileLayout.Tensors.Where(t => t.Source == TensorSource.Parameters))
        {
            float[] expected = slot.Layer is "C1" or "Norm" or "C2"
                ? source.Parameters.Slice(sourceSlots[slot.Name].Offset, slot.Count).ToArray()
                : before.Parameters.AsSpan(slot.Offset, slot.Count).ToArray();
            Assert.Equal(expected, model.Parameters.Slice(slot.Offset, slot.Count).ToArray());
        }
        Assert.Equal(source.State.ToArray(), model.State.ToArray());
        Assert.Equal(source.BatchesTracked.ToArray(), model.BatchesTracked.ToArray());
    }

    [Fact]
    public void LoadLayersRefusesALayerThatDoesNotFitAndChangesNothing()
    {
        var (_, path) = SavedFeatureCnn();
        var model = new FeatureCnnNewHead(5);
        var before = Values.Of(model);
        var error = Assert.Throws<ModelFileException>(() => model.LoadLayers(path, "C1", "Head", "Hidden"));
        Assert.Equal(
            "layers C1, Head, Hidden of ModelGen.Tests.Serialization.FeatureCnnNewHead cannot be loaded from it; nothing was loaded. 4 problems:\n" +
            "  'Hidden.weight': missing, expected F32 [8, 12]\n" +
            "  'Hidden.bias': missing, expected F32 [8]\n" +
            "  'Head.weight': found F32 [5, 12], expected [1, 8]\n" +
            "  'Head.bias': found F32 [5], expected [1]\n" +
            "LoadOptions.RenameFrom reads a layer from tensors of another name.", error.Problem);
        // Not strict makes no difference for chosen layers.
        Assert.Throws<ModelFileException>(() => model.Load(path, new LoadOptions { Layers = ["Head"], Strict = false }));
        before.AssertSameAs(model);

        var unknown = Assert.Throws<ArgumentException>(() => model.LoadLayers(path, "C1", "Conv"));
        Assert.Equal("Layers names 'Conv', which is not a layer of ModelGen.Tests.Serialization.FeatureCnnNewHead with tensors; " +
                     "its layers with tensors are C1, Norm, C2, Hidden, Head. (Parameter 'options')", unknown.Message);
        Assert.Throws<ArgumentException>(() => model.LoadLayers(path, "Flat"));
        Assert.Throws<ArgumentException>(() => model.LoadLayers(path));
        before.AssertSameAs(model);
    }

    [Fact]
    public void RenameFromReadsALayerUnderItsNameInTheFile()
    {
        var (source, path) = SavedFeatureCnn();
        var model = new RenamedFeatureCnn(5);
        var rename = new Dictionary<string, string> { ["Features"] = "C1" };
        var report = model.Load(path, new LoadOptions { Layers = ["Features"], RenameFrom = rename });
        Assert.Equal(["Features.weight", "Features.bias"], report.Loaded);
        Assert.Equal(source.Parameters.Slice(0, 76).ToArray(), model.Parameters.Slice(0, 76).ToArray());

        // A whole non-strict load with the rename takes every tensor (the architecture differs: the layer's name is part of it).
        var all = new RenamedFeatureCnn(6).Load(path, new LoadOptions { Strict = false, RenameFrom = rename });
        Assert.False(all.ArchitectureMatches);
        Assert.Equal(11, all.Loaded.Count);
        Assert.Empty(all.Unused);

        var missing = Assert.Throws<ModelFileException>(() => new RenamedFeatureCnn(7).LoadLayers(path, "Features"));
        Assert.Contains("'Features.weight': missing, expected F32 [4, 2, 3, 3]", missing.Message);
        var renamedMissing = Assert.Throws<ModelFileException>(() =>
            new RenamedFeatureCnn(7).Load(path, new LoadOptions { Layers = ["Features"], RenameFrom = new Dictionary<string, string> { ["Features"] = "conv.0" } }));
        Assert.Contains("'Features.weight' (in the file 'conv.0.weight'): missing, expected F32 [4, 2, 3, 3]", renamedMissing.Message);
        Assert.Throws<ArgumentException>(() => model.Load(path, new LoadOptions { RenameFrom = new Dictionary<string, string> { ["C1"] = "C1" } }));
    }
}
