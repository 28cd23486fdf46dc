using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;
using Xunit.Abstractions;

namespace ModelGen.Onnx.Tests;

/// <summary>
/// Every exportable model is exported, loaded in ONNX Runtime and run on fixed inputs at a batch of several rows and of
/// one row (the batch axis is symbolic); each named output must match Predict within 1e-5 of the output's scale.
/// </summary>
public sealed class OnnxExportTests(ITestOutputHelper log)
{
    private const double Tolerance = 1e-5;

    [Theory]
    [MemberData(nameof(ExportedModels.ExportableNames), MemberType = typeof(ExportedModels))]
    public void ExportedModel_ComputesWhatPredictComputes(string name)
    {
        var model = ExportedModels.Create(name);
        byte[] onnx = Export(model);
        // For Checker/check_onnx.py: a folder to leave the exported files in.
        if (Environment.GetEnvironmentVariable("MODELGEN_ONNX_DUMP") is { Length: > 0 } dump)
            File.WriteAllBytes(Path.Combine(Directory.CreateDirectory(dump).FullName, name.Replace(' ', '_') + ".onnx"), onnx);
        using var session = new InferenceSession(onnx);
        var outputs = DeclaredOutputs(model);
        foreach (int batch in new[] { 7, 1 })
        {
            var rows = ExportedModels.Inputs(model, batch, seed: 100 + batch);
            var expected = new float[batch * model.OutputSize];
            model.Predict(rows, batch, expected);
            var actual = Run(session, model, rows, batch);
            Assert.Equal(outputs.Select(o => o.Name), actual.Keys);
            // Predict packs the outputs side by side in each row, in the order the file's outputs have.
            int offset = 0;
            foreach (var (output, shape) in outputs)
            {
                int size = shape.Aggregate(1, (a, b) => a * b);
                var values = actual[output];
                Assert.Equal(batch * size, values.Length);
                double scale = 0, difference = 0;
                for (int r = 0; r < batch; r++)
                    for (int i = 0; i < size; i++)
                    {
                        float want = expected[r * model.OutputSize + offset + i], got = values[r * size + i];
                        Assert.True(float.IsFinite(got), $"{name}, batch {batch}, output '{output}'[{r}, {i}] is {got}.");
                        scale = Math.Max(scale, Math.Abs(want));
                        difference = Math.Max(difference, Math.Abs(want - got));
                    }
                log.WriteLine($"{name}, batch {batch}, '{output}': max |ONNX Runtime − Predict| = {difference:G3}, scale {scale:G3}, ratio {difference / scale:G3}");
                Assert.True(scale > 0, $"{name}: output '{output}' is all zeros, which would check nothing.");
                Assert.True(difference <= Tolerance * scale,
                    $"{name}, batch {batch}, output '{output}': ONNX Runtime differs from Predict by {difference:G3}, more than {Tolerance:G1} × the output scale {scale:G3}.");
                offset += size;
            }
            Assert.Equal(model.OutputSize, offset);
        }
    }

    [Theory]
    [MemberData(nameof(ExportedModels.ExportableNames), MemberType = typeof(ExportedModels))]
    public void ExportedModel_HasTheDeclaredInputsAndOutputs_WithASymbolicBatch(string name)
    {
        var model = ExportedModels.Create(name);
        using var session = new InferenceSession(Export(model));
        // The model file's metadata states the per-sample shapes: "[1,28,28]", or {"wide":[3],"deep":[6]} for named ones.
        var inputs = DeclaredShapes(model.FileLayout.InputShape, single: "input");
        var outputs = DeclaredOutputs(model);
        Assert.Equal(inputs.Select(i => i.Name), session.InputMetadata.Keys);
        Assert.Equal(outputs.Select(o => o.Name), session.OutputMetadata.Keys);
        foreach (var (key, shape) in inputs)
            Assert.Equal(new[] { -1 }.Concat(shape), session.InputMetadata[key].Dimensions);
        foreach (var (key, shape) in outputs)
            Assert.Equal(new[] { -1 }.Concat(shape), session.OutputMetadata[key].Dimensions);
        foreach (var metadata in session.InputMetadata.Values.Concat(session.OutputMetadata.Values))
        {
            Assert.Equal(typeof(float), metadata.ElementType);
            Assert.Equal("batch", metadata.SymbolicDimensions[0]);
        }
        Assert.Equal(model.FileLayout.Model, session.ModelMetadata.GraphName);
        Assert.Equal("ModelGen", session.ModelMetadata.ProducerName);
        Assert.Equal(model.FileLayout.Architecture, session.ModelMetadata.CustomMetadataMap["modelgen.architecture"]);
    }

    [Fact]
    public void TwoInputs_AreNamedAsDeclared_AndTheirShapesAreTheDeclaredShapes()
    {
        using var session = new InferenceSession(Export(ExportedModels.Create("InteropTwoInputs")));
        Assert.Equal(new[] { "wide", "deep" }, session.InputMetadata.Keys);
        Assert.Equal(new[] { -1, 3 }, session.InputMetadata["wide"].Dimensions);
        Assert.Equal(new[] { -1, 6 }, session.InputMetadata["deep"].Dimensions);
        Assert.Equal(new[] { "output" }, session.OutputMetadata.Keys);
    }

    [Fact]
    public void ContrastivePairs_BecomeTwoNamedOutputs()
    {
        var model = ExportedModels.Create("ContrastiveNet");
        using var session = new InferenceSession(Export(model));
        // Returned as (left, right) from the inputs left and right: an ONNX value has one name, so the outputs get a suffix.
        Assert.Equal(new[] { "left", "right" }, session.InputMetadata.Keys);
        Assert.Equal(new[] { "left_output", "right_output" }, session.OutputMetadata.Keys);
    }

    [Fact]
    public void Heads_BecomeNamedOutputs()
    {
        using var session = new InferenceSession(Export(ExportedModels.Create("MultiHeadNet")));
        Assert.Equal(new[] { "kind", "score", "flag" }, session.OutputMetadata.Keys);
    }

    [Fact]
    public void ImageInputs_KeepTheirShape()
    {
        using var session = new InferenceSession(Export(ExportedModels.Create("bench lenet5")));
        Assert.Equal(new[] { -1, 1, 28, 28 }, session.InputMetadata["input"].Dimensions);
        Assert.Equal(new[] { -1, 10 }, session.OutputMetadata["output"].Dimensions);
    }

    [Fact]
    public void CrossAttention_IsRefused_NamingTheLayer_AndNothingIsWritten()
    {
        var model = new ExportCrossAttention(seed: 1);
        using var stream = new MemoryStream();
        var error = Assert.Throws<NotSupportedException>(() => model.ExportOnnx(stream));
        Assert.Contains("layer 'Cross' (CrossAttention)", error.Message);
        Assert.Contains("docs/export.md", error.Message);
        Assert.Equal(0, stream.Length);
    }


    [Theory]
    [MemberData(nameof(ExportedModels.RefusedNames), MemberType = typeof(ExportedModels))]
    public void MaskedVariableLengthSequences_AreRefused_NamingTheLayer_AndNoFileIsWritten(string name)
    {
        var (model, layer) = ExportedModels.CreateRefused(name);
        string folder = Directory.CreateTempSubdirectory("modelgen-onnx-").FullName;
        try
        {
            string path = Path.Combine(folder, "model.onnx");
            File.WriteAllText(path, "the previous file");
            var error = Assert.Throws<NotSupportedException>(() => model.ExportOnnx(path));
            Assert.Contains($"layer '{layer}' (Embedding)", error.Message);
            Assert.Contains("MaskPadding = true", error.Message);
            Assert.Contains("variable length", error.Message);
            Assert.Equal("the previous file", File.ReadAllText(path));
            Assert.Equal(new[] { "model.onnx" }, Directory.GetFiles(folder).Select(Path.GetFileName));

            using var stream = new MemoryStream();
            Assert.Throws<NotSupportedException>(() => model.ExportOnnx(stream));
            Assert.Equal(0, stream.Length);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void ExportToAFile_WritesTheSameBytesAsToAStream_AndTwiceTheSame()
    {
        var model = ExportedModels.Create("InteropConv2d");
        string folder = Directory.CreateTempSubdirectory("modelgen-onnx-").FullName;
        try
        {
            string path = Path.Combine(folder, "conv.onnx");
            model.ExportOnnx(path);
            Assert.Equal(Export(model), File.ReadAllBytes(path));
            Assert.Equal(Export(model), Export(model));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void ExportOnnx_RefusesAnEmptyPathAndANullStream()
    {
        var model = ExportedModels.Create("InteropResidual");
        Assert.Throws<ArgumentException>(() => model.ExportOnnx(""));
        Assert.Throws<ArgumentNullException>(() => model.ExportOnnx((Stream)null!));
    }

    /// <summary>Names and per-sample shapes from a model file's shape metadata: an array (one value) or an object of named ones.</summary>
    internal static List<(string Name, int[] Shape)> DeclaredShapes(string json, string single = "output")
    {
        using var document = JsonDocument.Parse(json);
        static int[] Dims(JsonElement array) => array.EnumerateArray().Select(d => d.GetInt32()).ToArray();
        return document.RootElement.ValueKind == JsonValueKind.Array
            ? new List<(string, int[])> { (single, Dims(document.RootElement)) }
            : document.RootElement.EnumerateObject().Select(p => (p.Name, Dims(p.Value))).ToList();
    }

    /// <summary>The outputs the metadata declares; one named like an input is exported as name_output (docs/export.md).</summary>
    internal static List<(string Name, int[] Shape)> DeclaredOutputs(Model model)
    {
        var inputs = DeclaredShapes(model.FileLayout.InputShape, single: "input").Select(i => i.Name).ToHashSet();
        return DeclaredShapes(model.FileLayout.OutputShape).Select(o => (inputs.Contains(o.Name) ? o.Name + "_output" : o.Name, o.Shape)).ToList();
    }

    internal static byte[] Export(Model model)
    {
        using var stream = new MemoryStream();
        model.ExportOnnx(stream);
        return stream.ToArray();
    }

    /// <summary>Runs the session on packed rows, split into the named inputs; the outputs by name, flattened.</summary>
    internal static Dictionary<string, float[]> Run(InferenceSession session, Model model, float[] rows, int batch)
    {
        var inputs = new List<NamedOnnxValue>();
        foreach (var block in model.Inputs)
        {
            var values = new float[batch * block.Width];
            for (int r = 0; r < batch; r++)
                Array.Copy(rows, r * model.InputSize + block.Offset, values, r * block.Width, block.Width);
            var dims = session.InputMetadata[block.Name].Dimensions.Select((d, i) => i == 0 ? batch : d).ToArray();
            inputs.Add(NamedOnnxValue.CreateFromTensor(block.Name, new DenseTensor<float>(values, dims)));
        }
        using var results = session.Run(inputs);
        return results.ToDictionary(r => r.Name, r => r.AsTensor<float>().ToArray());
    }
}

/// <summary>The structure of exported files, read back from their bytes.</summary>
public sealed class OnnxStructureTests
{
    [Theory]
    [MemberData(nameof(ExportedModels.ExportableNames), MemberType = typeof(ExportedModels))]
    public void File_IsIrVersion8_Opset17_WithoutDropout_AndBatchNormInInferenceForm(string name)
    {
        var model = ExportedModels.Create(name);
        var file = OnnxFileReader.Read(OnnxExportTests.Export(model));
        Assert.Equal(8, file.IrVersion);
        Assert.Equal(new[] { ("", 17L) }, file.Opsets);
        Assert.DoesNotContain(file.Nodes, n => n.Op == "Dropout");
        bool hasBatchNorm = model.FileLayout.Tensors.Any(t => t.Key == "running_mean");
        Assert.Equal(hasBatchNorm, file.Nodes.Any(n => n.Op == "BatchNormalization"));
        // Inference form: the running statistics are inputs and the normalised value is the only output.
        Assert.All(file.Nodes.Where(n => n.Op == "BatchNormalization"), n =>
        {
            Assert.Equal(5, n.Inputs.Count);
            Assert.EndsWith(".running_mean", n.Inputs[3]);
            Assert.EndsWith(".running_var", n.Inputs[4]);
            Assert.Single(n.Outputs);
        });
        // Every value is produced once, and every node reads only graph inputs, initializers and earlier outputs
        // (an empty name is an optional input left out, as Resize's region of interest).
        var known = new HashSet<string>(model.Inputs.Select(i => i.Name).Concat(file.Initializers));
        foreach (var node in file.Nodes)
        {
            foreach (string input in node.Inputs.Where(i => i.Length > 0)) Assert.True(known.Contains(input), $"{name}: {node.Op} reads '{input}' before it exists.");
            foreach (string output in node.Outputs) Assert.True(known.Add(output), $"{name}: '{output}' is produced twice.");
        }
        // Every model tensor the export needs is an initializer under its model-file name (recurrent layers excepted).
        foreach (var slot in model.FileLayout.Tensors)
            if (slot.Key != "num_batches_tracked" && !slot.Key.Contains("_l0"))
                Assert.Contains(slot.Name, file.Initializers);
    }
}
