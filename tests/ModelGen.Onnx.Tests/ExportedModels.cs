using System;
using System.Collections.Generic;
using System.Linq;
using ModelGen.Export;
using ModelGen.Tests.Interop;
using ModelGen.Tests.Models;

namespace ModelGen.Onnx.Tests;

/// <summary>The models whose ONNX export is run in ONNX Runtime, by name, and the ones whose export is refused.</summary>
public static class ExportedModels
{
    private static readonly Dictionary<string, Func<Model>> Exportable = new()
    {
        // The PyTorch twins' models: together every layer family with non-default options.
        ["InteropActivations"] = () => new InteropActivations(1),
        ["InteropGeluExact"] = () => new InteropGeluExact(1),
        ["InteropConv2d"] = () => new InteropConv2d(1),
        ["InteropPooling"] = () => new InteropPooling(1),
        ["InteropConv1d"] = () => new InteropConv1d(1),
        ["InteropEmbedding"] = () => new InteropEmbedding(1),
        ["InteropAttention"] = () => new InteropAttention(1),
        ["InteropCausalAttention"] = () => new InteropCausalAttention(1),
        ["InteropLstm"] = () => new InteropLstm(1),
        ["InteropGru"] = () => new InteropGru(1),
        ["InteropResidual"] = () => new InteropResidual(1),
        ["InteropTwoInputs"] = () => new InteropTwoInputs(1),
        ["InteropConvTranspose"] = () => new InteropConvTranspose(1),
        ["InteropUpsample"] = () => new InteropUpsample(1),
        // Several inputs, heads, contrastive pairs, concat axes, ids through several embeddings.
        ["TwoInputNet"] = () => new TwoInputNet(2),
        ["ConcatOrderNet"] = () => new ConcatOrderNet(2),
        ["ConcatAxisNet"] = () => new ConcatAxisNet(2),
        ["MultiHeadNet"] = () => new MultiHeadNet(2),
        ["WeightedHeadsNet"] = () => new WeightedHeadsNet(2),
        ["ContrastiveNet"] = () => new ContrastiveNet(2),
        ["EmbeddingConcatNet"] = () => new EmbeddingConcatNet(2),
        ["ImageAndMetaNet"] = () => new ImageAndMetaNet(2),
        // Arithmetic in [Forward]: every element-wise function, subtraction, scalar constants; noise (zero at inference); sums, means and loss terms.
        ["ArithmeticNet"] = () => new ArithmeticNet(2),
        ["SelfDifferenceNet"] = () => new SelfDifferenceNet(2),
        ["ReparameterizedNet"] = () => new ReparameterizedNet(2),
        ["LossTermNet"] = () => new LossTermNet(2),
        // Composites: sub-models inlined, a [Forward] sub-model called twice, a composite of a composite.
        ["TinyGan"] = () => new TinyGan(2),
        ["StackedNet"] = () => new StackedNet(2),
        ["NestedGan"] = () => new NestedGan(2),
        // Sequences and recurrent layers of the runtime tests (shared recurrent layers, Conv1d into an LSTM, reshapes).
        ["EmbeddingNet"] = () => new EmbeddingNet(3),
        ["PaddedEmbeddingNet"] = () => new PaddedEmbeddingNet(3),
        ["PositionsNet"] = () => new PositionsNet(3),
        ["AttentionNet"] = () => new AttentionNet(3),
        ["CausalAttentionNet"] = () => new CausalAttentionNet(3),
        ["SequenceDenseNormNet"] = () => new SequenceDenseNormNet(3),
        ["SequenceDropoutNet"] = () => new SequenceDropoutNet(3),
        ["TransformerBlockNet"] = () => new TransformerBlockNet(3),
        ["LstmLastNet"] = () => new LstmLastNet(3),
        ["LstmSequenceNet"] = () => new LstmSequenceNet(3),
        ["LstmBidirectionalNet"] = () => new LstmBidirectionalNet(3),
        ["LstmBidirectionalSequenceNet"] = () => new LstmBidirectionalSequenceNet(3),
        ["GruLastNet"] = () => new GruLastNet(3),
        ["GruSequenceNet"] = () => new GruSequenceNet(3),
        ["GruBidirectionalNet"] = () => new GruBidirectionalNet(3),
        ["GruBidirectionalSequenceNet"] = () => new GruBidirectionalSequenceNet(3),
        ["Conv1dNet"] = () => new Conv1dNet(3),
        ["GroupNormNet"] = () => new GroupNormNet(3),
        ["ReshapeNet"] = () => new ReshapeNet(3),
        ["ReshapeGraphNet"] = () => new ReshapeGraphNet(3),
        ["ConvLstmNet"] = () => new ConvLstmNet(3),
        ["SequenceClassifier"] = () => new SequenceClassifier(3),
        ["GroupNormImageNet"] = () => new GroupNormImageNet(3),
        ["Conv1dSameNet"] = () => new Conv1dSameNet(3),
        ["SharedGruNet"] = () => new SharedGruNet(3),
        ["SharedLstmNet"] = () => new SharedLstmNet(3),
        // The fixed-length twins of the masked models (same layers without MaskPadding).
        ["TaggerAtFive"] = () => new TaggerAtFive(4),
        ["LstmClassifierAtThree"] = () => new LstmClassifierAtThree(4),
        ["GruTaggerAtFour"] = () => new GruTaggerAtFour(4),
        // The five benchmark models (shared/bench/MODELS.md).
        ["bench digits-mlp"] = () => new global::Bench.DigitsMlp(5),
        ["bench mnist-mlp"] = () => new global::Bench.MnistMlp(5),
        ["bench lenet5"] = () => new global::Bench.LeNet5(5),
        ["bench tiny-transformer"] = () => new global::Bench.TinyTransformer(5),
        ["bench wide-deep"] = () => new global::Bench.WideDeep(5),
        // Every sample's model.
        ["sample BreastCancer"] = () => new global::BreastCancer.TumourClassifier(6),
        ["sample Digits"] = () => new global::Digits.DigitsMlp(6),
        ["sample DigitsCnn"] = () => new global::DigitsCnn.DigitsLeNet(6),
        ["sample FineTune LowDigits"] = () => new global::FineTune.LowDigits(6),
        ["sample FineTune HighDigits"] = () => new global::FineTune.HighDigits(6),
        ["sample WideDeep"] = () => new global::WideDeep.TumourWideDeep(6),
        ["sample TumourModel (Serving, Predict)"] = () => new global::TumourModel.TumourNet(6),
    };

    /// <summary>Models with masked variable-length sequences and the layer the refusal must name.</summary>
    private static readonly Dictionary<string, (Func<Model> Create, string Layer)> Refused = new()
    {
        ["InteropMaskedEncoder"] = (() => new InteropMaskedEncoder(1), "Tokens"),
        ["InteropMaskedTagger"] = (() => new InteropMaskedTagger(1), "Tokens"),
        ["MaskedTagger"] = (() => new MaskedTagger(1), "Tokens"),
        ["MaskedLstmClassifier"] = (() => new MaskedLstmClassifier(1), "Tokens"),
        ["MaskedGruTagger"] = (() => new MaskedGruTagger(1), "Tokens"),
        ["MaskedCausalNet"] = (() => new MaskedCausalNet(1), "Tokens"),
    };

    public static IEnumerable<object[]> ExportableNames => Exportable.Keys.Select(k => new object[] { k });

    public static IEnumerable<object[]> RefusedNames => Refused.Keys.Select(k => new object[] { k });

    /// <summary>
    /// The model, its parameters moved by a seeded U(−0.1, 0.1) and its BatchNorm statistics set from the same stream
    /// (means U(−0.5, 0.5), variances U(0.5, 1.5)), so zero biases, unit γ and fresh statistics hide no mistake.
    /// </summary>
    public static Model Create(string name)
    {
        var model = Exportable[name]();
        var random = new Random(17);
        var parameters = model.Parameters;
        for (int i = 0; i < parameters.Length; i++) parameters[i] += (float)(random.NextDouble() * 0.2 - 0.1);
        foreach (var slot in model.FileLayout.Tensors)
        {
            if (slot.Source != Serialization.TensorSource.State) continue;
            bool variance = slot.Key == "running_var";
            var state = model.State.Slice(slot.Offset, slot.Count);
            for (int i = 0; i < state.Length; i++) state[i] = (float)(random.NextDouble() + (variance ? 0.5 : -0.5));
        }
        return model;
    }

    public static (Model Model, string Layer) CreateRefused(string name) => (Refused[name].Create(), Refused[name].Layer);

    /// <summary>
    /// Seeded packed input rows: token ids (whole numbers below the vocabulary) for inputs read by an Embedding,
    /// standard-normal values otherwise.
    /// </summary>
    public static float[] Inputs(Model model, int count, int seed)
    {
        var random = new Random(seed);
        var graph = model.InferenceGraph;
        var rows = new float[count * model.InputSize];
        foreach (var block in model.Inputs)
        {
            int vocabulary = Vocabulary(model, block.Name);
            for (int r = 0; r < count; r++)
                for (int i = 0; i < block.Width; i++)
                    rows[r * model.InputSize + block.Offset + i] = vocabulary > 0
                        ? random.Next(vocabulary)
                        : (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        }
        return rows;
    }

    /// <summary>The vocabulary of the Embedding that reads input <paramref name="input"/>, or 0 when none does.</summary>
    private static int Vocabulary(Model model, string input)
    {
        var graph = model.InferenceGraph;
        for (int n = 0; n < graph.Nodes.Count; n++)
        {
            var node = graph.Nodes[n];
            if (node.Op != InferenceOp.Layer || graph.Layers[node.Layer].Type != LayerType.Embedding) continue;
            if (graph.Nodes[node.Inputs[0]].Name != input || graph.Nodes[node.Inputs[0]].Op != InferenceOp.Input) continue;
            var table = model.FileLayout.Tensors.First(t => t.Name == graph.Layers[node.Layer].Name + ".weight");
            return table.FileShape[0];
        }
        return 0;
    }
}

/// <summary>An encoder–decoder with CrossAttention, which this version does not export.</summary>
[Model(Loss = Loss.SoftmaxCrossEntropy)]
[Input("source", 5)]
[Input("target", 4)]
public partial class ExportCrossAttention
{
    [Embedding(9, 8)] private partial Tensor SourceTokens(Tensor ids);
    [Embedding(9, 8)] private partial Tensor TargetTokens(Tensor ids);
    [CrossAttention(2)] private partial Tensor Cross(Tensor query, Tensor memory);
    [Dense(9)] private partial Tensor Logits(Tensor x);

    [Forward]
    private Tensor Forward(Tensor source, Tensor target) => Logits(Cross(TargetTokens(target), SourceTokens(source)));
}
