using System;
using System.Collections.Generic;
using System.Linq;
using ModelGen.Export;

namespace ModelGen;

// Checks of data against the model, with messages that name the argument and what the model expects.
public abstract partial class Model
{
    private string HeadTargetText() => string.Join(", ", Heads.Select(h => $"{h.Name}: {h.TargetSize}"));

    /// <summary>Named blocks of the data must be the model's inputs, in order; a model with several inputs needs them named.</summary>
    private void CheckInputs(Dataset data, string name)
    {
        var inputs = Inputs;
        if (data.Inputs is null)
        {
            if (inputs.Count > 1)
                throw new ArgumentException($"'{name}' has plain rows, but {GetType().Name} takes the inputs {Dataset.InputText(inputs)} side by side; " +
                    $"name the blocks with WithInputs({string.Join(", ", inputs.Select(i => $"(\"{i.Name}\", {i.Width})"))}).", name);
            return;
        }
        bool same = data.Inputs.Count == inputs.Count && data.Inputs.Zip(inputs).All(p => p.First.Name == p.Second.Name && p.First.Width == p.Second.Width);
        // A set named for another single-input model still has the right rows; only several inputs can be mixed up.
        if (!same && inputs.Count > 1)
            throw new ArgumentException($"'{name}' holds the inputs {Dataset.InputText(data.Inputs)}, but {GetType().Name} takes {Dataset.InputText(inputs)} in that order.", name);
    }

    private void CheckFeatures(Dataset data, string name)
    {
        CheckInputs(data, name);
        if (data.FeatureCount != InputSize)
            throw new ArgumentException($"'{name}' has {data.FeatureCount} features per row, but {GetType().Name} takes inputs of {InputSize}.", name);
    }

    /// <summary>
    /// Refuses NaN and ±∞ in the samples handed to Predict as a span (one vectorised pass, no allocation);
    /// the message names the sample, the column and, for a model of several inputs, the input.
    /// </summary>
    private void CheckFiniteInputs(ReadOnlySpan<float> inputs, string name)
    {
        if (NonFiniteValues.IndexOf(inputs) is not (int at and >= 0)) return;
        throw new ArgumentException(
            $"'{name}' holds {NonFiniteValues.Describe(inputs[at])} at {NonFiniteValues.Locate(at, InputSize, Inputs, "sample")}; " +
            $"{GetType().Name} would compute a meaningless output from it. Fill missing values first, or pass allowNonFinite: true if the model is meant to see such values.", name);
    }

    /// <summary>Refuses a training micro-batch of one row when a layer needs batch statistics.</summary>
    /// <summary>The first BatchNorm layer's name, or null (see <see cref="BatchStatisticsLayer"/>).</summary>
    internal string? BatchStatisticsLayerName => BatchStatisticsLayer;

    internal void CheckBatchStatistics(int rows, int batch, int group)
    {
        if (BatchStatisticsLayer is not { } layer) return;
        int lastGroup = rows % group == 0 ? group : rows % group;
        int lastBatch = lastGroup % batch == 0 ? batch : lastGroup % batch;
        if (batch > 1 && lastBatch > 1) return;
        string where = rows == 1 ? "the training set has 1 row"
            : batch == 1 ? "the batch size is 1"
            : $"the last micro-batch of every epoch has 1 row ({rows} rows = {(rows - 1) / batch}·{batch} + 1)";
        throw new ArgumentException(
            $"{GetType().Name}.{layer} is a BatchNorm layer and needs at least 2 rows per training batch, but {where}; " +
            "choose a batch size that does not leave a single row, or drop or add rows.", "batchSize");
    }

    /// <summary>Features and targets of <paramref name="data"/> fit this model (inputs, widths, class range, finite values).</summary>
    internal void CheckData(Dataset data, string name)
    {
        CheckFeatures(data, name);
        // The arrays are the caller's and may have changed since the set was made: one pass over them, before any step.
        data.CheckFinite("features", "targets", name, Inputs);
        if (data.TargetWidth != TargetSize)
            throw new ArgumentException(Heads.Count > 1
                ? $"'{name}' has {data.TargetWidth} targets per row; {GetType().Name} needs {TargetSize}, its heads' targets side by side ({HeadTargetText()})."
                : Loss == Loss.SoftmaxCrossEntropy && LabelsPerSample > 1
                ? $"'{name}' has {data.TargetWidth} targets per row; {GetType().Name} classifies each of its {LabelsPerSample} positions and needs {LabelsPerSample} class indices per row (Dataset.ForSequenceClassification)."
                : Loss == Loss.SoftmaxCrossEntropy
                ? $"'{name}' has {data.TargetWidth} targets per row; {GetType().Name} uses {Loss} and needs one class index per row (Dataset.ForClassification)."
                : Loss == Loss.Contrastive
                ? $"'{name}' has {data.TargetWidth} targets per row; {GetType().Name} uses {Loss} and needs one 0/1 similarity label per pair."
                : $"'{name}' has {data.TargetWidth} targets per row; {GetType().Name} uses {Loss} and needs {TargetSize} (its output width).", name);
        CheckTokenIds(data.Features, data.Count, name, "row");
        if (Heads.Count == 1 && Loss == Loss.SoftmaxCrossEntropy && data.ClassCount > ClassWidth)
            throw new ArgumentException(LabelsPerSample > 1
                ? $"'{name}' has labels up to {data.ClassCount - 1}, but {GetType().Name} has {ClassWidth} outputs per label (classes 0…{ClassWidth - 1})."
                : $"'{name}' has labels up to {data.ClassCount - 1}, but {GetType().Name} has {OutputSize} outputs (classes 0…{OutputSize - 1}).", name);
    }

    /// <summary>An Embedding that reads a model input directly: its ids lie in columns [Offset, Offset + Width) of each row.</summary>
    private sealed record TokenColumns(string Layer, string Input, int Offset, int Width, int Vocabulary);

    private TokenColumns[]? _tokenColumns;

    /// <summary>The embeddings fed straight from the data (from the inference graph and the tables' sizes); empty for most models.</summary>
    private TokenColumns[] TokenInputs => _tokenColumns ??= FindTokenInputs();

    private TokenColumns[] FindTokenInputs()
    {
        var graph = InferenceGraph;
        var inputs = Inputs;
        var found = new List<TokenColumns>();
        foreach (var node in graph.Nodes)
        {
            if (node.Op != InferenceOp.Layer || graph.Layers[node.Layer].Type != LayerType.Embedding || node.Inputs.Count != 1) continue;
            var source = graph.Nodes[node.Inputs[0]];
            if (source.Op != InferenceOp.Input) continue;
            var block = inputs.Count == 1 ? inputs[0] : inputs.FirstOrDefault(b => b.Name == source.Name);
            string layer = graph.Layers[node.Layer].Name;
            var table = FileLayout.Tensors.FirstOrDefault(t => t.Layer == layer && t.FileShape.Count == 2);
            if (block is null || table is null) continue;
            found.Add(new TokenColumns(layer, block.Name, block.Offset, block.Width, table.FileShape[0]));
        }
        return found.ToArray();
    }

    /// <summary>
    /// Refuses token ids that an embedding cannot look up (negative, fractional, or at or beyond its vocabulary) before the
    /// first step: the embedding kernel would otherwise stop training in the middle of an epoch, naming only a row of its batch.
    /// The message names the row, the column, the id, the layer and its vocabulary size.
    /// </summary>
    private void CheckTokenIds(ReadOnlySpan<float> features, int rows, string name, string rowWord)
    {
        var tokens = TokenInputs;
        if (tokens.Length == 0) return;
        int width = InputSize;
        foreach (var t in tokens)
            for (int r = 0; r < rows; r++)
            {
                var ids = features.Slice(r * width + t.Offset, t.Width);
                for (int i = 0; i < ids.Length; i++)
                {
                    float id = ids[i];
                    // NaN is the finite-value check's to report (or let in, with allowNonFinite).
                    if (float.IsNaN(id) || (id >= 0 && id < t.Vocabulary && id == MathF.Floor(id))) continue;
                    string where = Inputs.Count > 1 ? $" (position {i} of input '{t.Input}')" : "";
                    string why = id < 0 || id != MathF.Floor(id) || float.IsInfinity(id)
                        ? "token ids are whole numbers from 0"
                        : "the id is at or beyond the vocabulary: build the Vocabulary with maxSize: " + t.Vocabulary.ToString(System.Globalization.CultureInfo.InvariantCulture) +
                          " (it counts the padding and unknown ids), or declare the embedding with the vocabulary's Count";
                    throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                        $"'{name}' holds the token id {id} at {rowWord} {r}, column {t.Offset + i}{where}, but Embedding '{t.Layer}' of {GetType().Name} " +
                        $"has a vocabulary of {t.Vocabulary} (ids 0…{t.Vocabulary - 1}); {why}."), name);
                }
            }
    }
}
