using System;
using System.Linq;
using ModelGen.Compute;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests;

/// <summary>
/// The float64 gradient check with frozen layers (<see cref="ModelGraph{T}.SetFrozenLayers"/>): every trainable parameter's
/// gradient still matches central differences, and every frozen one is exactly 0. The cases freeze a layer with a trainable
/// layer before it (the gradient must flow through it; its weight gradient is skipped) and layers with none (their whole
/// backward is skipped), for every kind of layer with parameters and for a layer called twice.
/// </summary>
public class FrozenGradientCheckTests
{
    public static TheoryData<string, string> Cases => new()
    {
        { nameof(ConvNet), "C2" },                    // a convolution between two that train
        { nameof(ConvNet), "C1,C2" },                 // the first layers: nothing before them trains
        { nameof(ConvResidualNet), "A" },             // inside a residual block
        { nameof(NormDropoutNet), "Hidden" },         // Dense between two LayerNorms, dropout after it
        { nameof(NormDropoutNet), "RowNorm,Norm" },   // LayerNorm
        { nameof(GraphNet), "Shared" },               // a layer called twice
        { nameof(BatchNormNet), "Bn1,Hidden" },       // BatchNorm and the Dense after it
        { nameof(GroupNormNet), "C,Norm" },           // Conv1d and GroupNorm after a GroupNorm that trains
        { nameof(ReshapeNet), "Encoder" },            // a GRU after a Dense that trains
        { nameof(LstmBidirectionalSequenceNet), "Summary2" },   // an LSTM after one that trains
        { nameof(AttentionNet), "Attention" },        // attention after an embedding that trains
        { nameof(PositionsNet), "Positions" },        // a position table after an embedding that trains
        { nameof(PositionsNet), "Tokens,Logits" },    // an embedding: its backward is skipped
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TrainableParametersMatchCentralDifferences_FrozenOnesGetExactlyZero(string modelName, string frozenNames)
    {
        var (model, graph, initialize) = Create(modelName);
        var frozenSet = frozenNames.Split(',');
        var layers = model.ParameterLayers;
        Assert.All(frozenSet, name => Assert.Contains(layers, l => l.Name == name));
        graph.SetFrozenLayers(layers.Select(l => frozenSet.Contains(l.Name)).ToArray());

        var parameters = new double[model.ParameterCount];
        initialize(parameters, 7);
        var rng = new Rng(123);
        const int batch = 4;
        var input = new double[batch * graph.InputSize];
        int vocabulary = modelName switch { nameof(AttentionNet) => 7, nameof(PositionsNet) => 9, _ => 0 };
        for (int i = 0; i < input.Length; i++) input[i] = vocabulary > 0 ? rng.NextInt(vocabulary) : rng.NextGaussian();
        var targets = new double[batch * graph.TargetSize];
        int classes = model.Loss == Loss.SoftmaxCrossEntropy ? graph.OutputSize / model.LabelsPerSample : 0;
        for (int i = 0; i < targets.Length; i++) targets[i] = classes > 0 ? rng.NextInt(classes) : rng.NextGaussian();
        for (int i = 0; i < parameters.Length; i++) parameters[i] += 0.1 * rng.NextGaussian();

        bool Frozen(int i) => layers.Any(l => frozenSet.Contains(l.Name) && i >= l.Offset && i < l.Offset + l.Count);
        GradientCheckTests.Check($"{modelName} with {frozenNames} frozen", graph, parameters, input, targets, batch, Frozen);

        // Freezing changes nothing for the layers that train: their gradients equal the unfrozen graph's, bit for bit.
        var all = new double[parameters.Length];
        var some = new double[parameters.Length];
        graph.SetRandomSeed(99);
        graph.TrainStep(parameters, some, input, targets, batch);
        graph.SetFrozenLayers(new bool[layers.Count]);
        graph.SetRandomSeed(99);
        graph.TrainStep(parameters, all, input, targets, batch);
        for (int i = 0; i < parameters.Length; i++) Assert.Equal(Frozen(i) ? 0 : all[i], some[i]);
        Assert.Contains(Enumerable.Range(0, parameters.Length), i => Frozen(i) && all[i] != 0);
    }

    [Fact]
    public void FlagsOfTheWrongLength_AreRefused()
    {
        var graph = new ConvNet.Graph<double>(2);
        Assert.Equal(4, graph.ParameterLayerCount);
        var error = Assert.Throws<ArgumentException>(() => graph.SetFrozenLayers([true, false]));
        Assert.Contains("4 layers with parameters; 2 flags", error.Message);
    }

    private static (Model Model, ModelGraph<double> Graph, GradientCheckTests.InitializeAction Initialize) Create(string name) => name switch
    {
        nameof(ConvNet) => (new ConvNet(), new ConvNet.Graph<double>(4), ConvNet.Initialize),
        nameof(ConvResidualNet) => (new ConvResidualNet(), new ConvResidualNet.Graph<double>(4), ConvResidualNet.Initialize),
        nameof(NormDropoutNet) => (new NormDropoutNet(), new NormDropoutNet.Graph<double>(4), NormDropoutNet.Initialize),
        nameof(GraphNet) => (new GraphNet(), new GraphNet.Graph<double>(4), GraphNet.Initialize),
        nameof(BatchNormNet) => (new BatchNormNet(), new BatchNormNet.Graph<double>(4), BatchNormNet.Initialize),
        nameof(GroupNormNet) => (new GroupNormNet(), new GroupNormNet.Graph<double>(4), GroupNormNet.Initialize),
        nameof(ReshapeNet) => (new ReshapeNet(), new ReshapeNet.Graph<double>(4), ReshapeNet.Initialize),
        nameof(LstmBidirectionalSequenceNet) => (new LstmBidirectionalSequenceNet(), new LstmBidirectionalSequenceNet.Graph<double>(4), LstmBidirectionalSequenceNet.Initialize),
        nameof(AttentionNet) => (new AttentionNet(), new AttentionNet.Graph<double>(4), AttentionNet.Initialize),
        nameof(PositionsNet) => (new PositionsNet(), new PositionsNet.Graph<double>(4), PositionsNet.Initialize),
        _ => throw new ArgumentException(name),
    };
}
