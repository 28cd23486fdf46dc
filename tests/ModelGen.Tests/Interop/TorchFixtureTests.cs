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
/// (Fixtures/&lt;Name&gt;.torch.safetensors) is copied into the model's flat buffers by the layout written out in
/// <see cref="Blocks"/> (the conversion a weights loader implements), and the model's outputs on the
/// committed inputs must equal PyTorch's: float32 within 1e-5 of the output scale, float64 (the generated
/// Graph&lt;double&gt; against the twin in double) within 1e-12.
/// </summary>
public class TorchFixtureTests(ITestOutputHelper output)
{
    private const double Float32Tolerance = 1e-5;
    private const double Float64Tolerance = 1e-12;

    private static string FixturePath(string file) => Path.Combine(AppContext.BaseDirectory, "Interop", "Fixtures", file);

    // ---- The layout: how each PyTorch tensor lands in ModelGen's parameter and state buffers ----

    /// <summary>One layer's tensors, in the order its block occupies the flat buffers.</summary>
    private abstract record Block(string Name);

    /// <summary>nn.Linear: weight [out, in] transposed to [in, out], then bias.</summary>
    private sealed record Dense(string Name, bool Bias = true) : Block(Name);

    /// <summary>Conv1d/Conv2d, LayerNorm, GroupNorm, Embedding, positions: the listed tensors as stored.</summary>
    private sealed record AsStored(string Name, params string[] Tensors) : Block(Name);

    /// <summary>nn.BatchNorm1d/2d: weight, bias into the parameters; running_mean, running_var into the state.</summary>
    private sealed record BatchNorm(string Name) : Block(Name);

    /// <summary>nn.MultiheadAttention: in_proj_weight ᵀ, out_proj.weight ᵀ, then in_proj_bias, out_proj.bias.</summary>
    private sealed record Attention(string Name, bool Bias = true) : Block(Name);

    /// <summary>nn.LSTM / nn.GRU, one layer: per direction (forward, then _reverse) weight_ih ᵀ, weight_hh ᵀ, bias_ih, bias_hh.</summary>
    private sealed record Recurrent(string Name, bool Bidirectional = false) : Block(Name);

    private static Block[] Blocks(string model) => model switch
    {
        nameof(InteropActivations) => [new Dense("Relu"), new Dense("Leaky"), new Dense("Gelu"), new Dense("Silu"), new Dense("Sigmoid"),
            new Dense("Tanh", Bias: false), new Dense("Linear"), new Dense("Head")],
        nameof(InteropConv2d) => [Conv("C1"), new BatchNorm("Norm"), new AsStored("C2", "weight"), Conv("C3"), new Dense("Logits")],
        nameof(InteropPooling) => [Conv("Wide"), Conv("Narrow"), Affine("Norm"), new BatchNorm("Stats"), new Dense("Out")],
        nameof(InteropConv1d) => [Conv("C1"), new BatchNorm("Norm"), Affine("Groups"), Conv("C2"), new AsStored("C3", "weight"), new Dense("Out")],
        nameof(InteropEmbedding) => [Table("Tokens"), Table("Positions"), Affine("Norm"), new Dense("Mix"), new Dense("Logits")],
        nameof(InteropAttention) => [Table("Tokens"), Table("Positions"), Affine("Norm1"), new Attention("Attention"), Affine("Norm2"),
            new Dense("Up"), new Dense("Down"), new Dense("Tags")],
        nameof(InteropCausalAttention) => [Table("Tokens"), Table("Positions"), new Attention("Attention", Bias: false), Affine("Norm"), new Dense("Logits")],
        nameof(InteropMaskedEncoder) => [Table("Tokens"), Table("Positions"), new Attention("Attention"), new Recurrent("Encoder", Bidirectional: true), new Dense("Logits")],
        nameof(InteropMaskedTagger) => [Table("Tokens"), new Recurrent("Encoder", Bidirectional: true), new Dense("Tags")],
        nameof(InteropLstm) => [new Recurrent("Encoder", Bidirectional: true), new Recurrent("Summarise"), new Dense("Out")],
        nameof(InteropGru) => [new Recurrent("Encoder"), new Recurrent("Summarise", Bidirectional: true), new Dense("Out")],
        nameof(InteropResidual) => [new Dense("Up"), new Dense("Down"), new Dense("Gate"), Affine("Norm"), new Dense("Head")],
        nameof(InteropTwoInputs) => [new Dense("Deep"), new BatchNorm("Norm"), new Dense("Logit")],
        nameof(InteropGeluExact) => [Conv("C"), new Dense("Exact"), new Dense("Approx"), new Dense("Out")],
        _ => throw new ArgumentException($"No layout for '{model}'.", nameof(model)),
    };

    private static AsStored Conv(string name) => new(name, "weight", "bias");
    private static AsStored Affine(string name) => new(name, "weight", "bias");
    private static AsStored Table(string name) => new(name, "weight");

    /// <summary>The model's parameter and state buffers filled from the twin's state_dict; every tensor of the file must be used.</summary>
    private static (float[] Parameters, float[] State) Convert(SafetensorsFile file, Block[] blocks)
    {
        var parameters = new List<float>();
        var state = new List<float>();
        var used = new HashSet<string>();

        SafetensorsTensor Take(string name)
        {
            Assert.True(used.Add(name), $"'{name}' used twice");
            return file[name];
        }
        float[] AsStoredValues(string name) => Take(name).ToFloat32();
        float[] Transposed(string name)
        {
            var tensor = Take(name);
            Assert.Equal(2, tensor.Shape.Count);
            return Transpose(tensor.ToFloat32(), (int)tensor.Shape[0], (int)tensor.Shape[1]);
        }

        foreach (var block in blocks)
        {
            string n = block.Name;
            switch (block)
            {
                case Dense dense:
                    parameters.AddRange(Transposed($"{n}.weight"));
                    if (dense.Bias) parameters.AddRange(AsStoredValues($"{n}.bias"));
                    break;
                case AsStored stored:
                    foreach (var tensor in stored.Tensors) parameters.AddRange(AsStoredValues($"{n}.{tensor}"));
                    break;
                case BatchNorm:
                    parameters.AddRange(AsStoredValues($"{n}.weight"));
                    parameters.AddRange(AsStoredValues($"{n}.bias"));
                    state.AddRange(AsStoredValues($"{n}.running_mean"));
                    state.AddRange(AsStoredValues($"{n}.running_var"));
                    var tracked = Take($"{n}.num_batches_tracked");   // no ModelGen counterpart
                    Assert.Equal(SafetensorsDType.Int64, tracked.DType);
                    Assert.Empty(tracked.Shape);
                    break;
                case Attention attention:
                    parameters.AddRange(Transposed($"{n}.in_proj_weight"));
                    parameters.AddRange(Transposed($"{n}.out_proj.weight"));
                    if (attention.Bias)
                    {
                        parameters.AddRange(AsStoredValues($"{n}.in_proj_bias"));
                        parameters.AddRange(AsStoredValues($"{n}.out_proj.bias"));
                    }
                    break;
                case Recurrent recurrent:
                    foreach (var suffix in recurrent.Bidirectional ? new[] { "_l0", "_l0_reverse" } : new[] { "_l0" })
                    {
                        parameters.AddRange(Transposed($"{n}.weight_ih{suffix}"));
                        parameters.AddRange(Transposed($"{n}.weight_hh{suffix}"));
                        parameters.AddRange(AsStoredValues($"{n}.bias_ih{suffix}"));
                        parameters.AddRange(AsStoredValues($"{n}.bias_hh{suffix}"));
                    }
                    break;
            }
        }
        var unused = file.Tensors.Select(t => t.Name).Where(name => !used.Contains(name)).ToArray();
        Assert.True(unused.Length == 0, $"tensors of the file left unused: {string.Join(", ", unused)}");
        return (parameters.ToArray(), state.ToArray());
    }

    private static float[] Transpose(float[] values, int rows, int columns)
    {
        var result = new float[values.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                result[c * rows + r] = values[r * columns + c];
        return result;
    }

    // ---- The models ----

    public static TheoryData<string> Models =>
    [
        nameof(InteropActivations), nameof(InteropConv2d), nameof(InteropPooling), nameof(InteropConv1d), nameof(InteropEmbedding),
        nameof(InteropAttention), nameof(InteropCausalAttention), nameof(InteropMaskedEncoder), nameof(InteropMaskedTagger),
        nameof(InteropLstm), nameof(InteropGru), nameof(InteropResidual), nameof(InteropTwoInputs), nameof(InteropGeluExact),
    ];

    private static (Model Model, ModelGraph<double> Graph64) Create(string model, int batch) => model switch
    {
        nameof(InteropActivations) => (new InteropActivations(), new InteropActivations.Graph<double>(batch)),
        nameof(InteropConv2d) => (new InteropConv2d(), new InteropConv2d.Graph<double>(batch)),
        nameof(InteropPooling) => (new InteropPooling(), new InteropPooling.Graph<double>(batch)),
        nameof(InteropConv1d) => (new InteropConv1d(), new InteropConv1d.Graph<double>(batch)),
        nameof(InteropEmbedding) => (new InteropEmbedding(), new InteropEmbedding.Graph<double>(batch)),
        nameof(InteropAttention) => (new InteropAttention(), new InteropAttention.Graph<double>(batch)),
        nameof(InteropCausalAttention) => (new InteropCausalAttention(), new InteropCausalAttention.Graph<double>(batch)),
        nameof(InteropMaskedEncoder) => (new InteropMaskedEncoder(), new InteropMaskedEncoder.Graph<double>(batch)),
        nameof(InteropMaskedTagger) => (new InteropMaskedTagger(), new InteropMaskedTagger.Graph<double>(batch)),
        nameof(InteropLstm) => (new InteropLstm(), new InteropLstm.Graph<double>(batch)),
        nameof(InteropGru) => (new InteropGru(), new InteropGru.Graph<double>(batch)),
        nameof(InteropResidual) => (new InteropResidual(), new InteropResidual.Graph<double>(batch)),
        nameof(InteropTwoInputs) => (new InteropTwoInputs(), new InteropTwoInputs.Graph<double>(batch)),
        nameof(InteropGeluExact) => (new InteropGeluExact(), new InteropGeluExact.Graph<double>(batch)),
        _ => throw new ArgumentException($"Unknown model '{model}'.", nameof(model)),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void ModelFilledFromTheTorchStateDictGivesTorchOutputs(string name)
    {
        var weights = SafetensorsFile.Read(FixturePath($"{name}.torch.safetensors"));
        var io = SafetensorsFile.Read(FixturePath($"{name}.io.safetensors"));
        var inputTensor = io["input"];
        int batch = (int)inputTensor.Shape[0];
        float[] inputs = inputTensor.ToFloat32();
        float[] expected = io["output"].ToFloat32();
        double[] expected64 = ToFloat64(io["output64"]);

        var (model, graph64) = Create(name, batch);
        var (parameters, state) = Convert(weights, Blocks(name));
        Assert.Equal(model.ParameterCount, parameters.Length);
        Assert.Equal(model.State.Length, state.Length);
        Assert.Equal(batch * model.InputSize, inputs.Length);
        Assert.Equal(batch * model.OutputSize, expected.Length);
        parameters.CopyTo(model.Parameters);
        state.CopyTo(model.State);

        var actual = new float[expected.Length];
        model.Predict(inputs, batch, actual);
        double scale = expected.Max(v => Math.Abs((double)v));
        double difference = MaxDifference(actual.Select(v => (double)v), expected.Select(v => (double)v));

        for (int i = 0; i < state.Length; i++) graph64.State[i] = state[i];
        var actual64 = graph64.Forward(parameters.Select(v => (double)v).ToArray(), inputs.Select(v => (double)v).ToArray(), batch).ToArray();
        double scale64 = expected64.Max(Math.Abs);
        double difference64 = MaxDifference(actual64, expected64);

        output.WriteLine($"{name}: float32 max|ModelGen − PyTorch| {difference:E2} = {difference / scale:E2} × scale {scale:G4}; " +
                         $"float64 {difference64:E2} = {difference64 / scale64:E2} × scale");
        Assert.True(scale > 0.05, $"outputs too small to compare ({scale})");
        Assert.True(difference <= Float32Tolerance * scale, $"{name} float32: max difference {difference:E3} exceeds {Float32Tolerance:G} × {scale:G4}");
        Assert.True(difference64 <= Float64Tolerance * scale64, $"{name} float64: max difference {difference64:E3} exceeds {Float64Tolerance:G} × {scale64:G4}");
    }

    private static double MaxDifference(IEnumerable<double> actual, IEnumerable<double> expected) =>
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
