using System;
using ModelGen.Compute;

namespace ModelGen;

// Evaluation and prediction: forward passes on the CPU graph, judged per head.
public abstract partial class Model
{
    /// <summary>
    /// Mean loss and, for classification losses, accuracy over <paramref name="data"/> (per position for a
    /// [sequence, classes] output: the share of all positions whose arg-max is the target). A model with several
    /// heads reports the weighted total loss, NaN accuracy, and each head's own loss and accuracy in
    /// <see cref="Evaluation.Heads"/>.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The data does not fit the model (inputs, widths, class range), has no rows, or holds NaN or ±∞ and was not made with
    /// <c>allowNonFinite: true</c> (the message names the row and column).
    /// </exception>
    /// <param name="data">The rows to evaluate.</param>
    /// <param name="batchSize">Rows per forward pass.</param>
    /// <param name="distributed">
    /// When given, every rank calls Evaluate with the same <paramref name="data"/>; each evaluates its contiguous block of the rows
    /// and the sums (losses, correct counts) are added over the ranks, so every rank returns the evaluation of all rows: counts and
    /// accuracy exactly those of one process, the loss to float32 rounding (the batches start at other rows).
    /// </param>
    public Evaluation Evaluate(Dataset data, int batchSize = 256, Distributed.Mpi? distributed = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckData(data, nameof(data));
        return EvaluateChecked(data, batchSize, distributed);
    }

    /// <summary>Evaluate on data already checked against the model (Fit checks its validation set once, before the first epoch).</summary>
    internal Evaluation EvaluateChecked(Dataset data, int batchSize = 256, Distributed.Mpi? distributed = null)
    {
        if (data.Count == 0) throw new ArgumentException("The evaluation set has no rows.", nameof(data));
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be ≥ 1.");
        var heads = Heads;
        // [loss sum, loss weight, each head's loss sum, each head's correct count]
        var sums = new double[2 + 2 * heads.Count];
        var (start, end) = distributed is null ? (0, data.Count) : Distributed.DataParallelStep.Block(data.Count, distributed.Rank, distributed.Size);
        if (end > start) EvaluationSums(data, start, end, Math.Min(batchSize, end - start), sums);
        distributed?.SumAcrossRanks(sums);
        bool masked = heads.Count == 1 && MasksLabels(heads[0]);
        double lossSum = sums[0], weightSum = sums[1];
        // Float divisions of exact counts, as one process has always computed them.
        float Accuracy(int h) =>
            !HasAccuracy(heads[h].Loss) ? float.NaN : masked ? (weightSum == 0 ? float.NaN : (float)sums[2 + heads.Count + h] / (long)weightSum) : (float)sums[2 + heads.Count + h] / ((long)data.Count * LabelsOf(heads[h]));
        if (heads.Count == 1)
            return new Evaluation(masked ? (weightSum == 0 ? 0f : (float)(lossSum / weightSum)) : (float)(lossSum / data.Count), Accuracy(0), data.Count);
        var perHead = new HeadEvaluation[heads.Count];
        for (int h = 0; h < heads.Count; h++)
            perHead[h] = new HeadEvaluation(heads[h].Name, heads[h].Loss, (float)(sums[2 + h] / data.Count), Accuracy(h));
        return new Evaluation((float)(lossSum / data.Count), float.NaN, data.Count) { Heads = perHead };
    }

    /// <summary>Adds the loss and correct-count sums of rows [<paramref name="first"/>, <paramref name="end"/>) to <paramref name="sums"/> (layout: see <see cref="Evaluate"/>).</summary>
    private void EvaluationSums(Dataset data, int first, int end, int batch, double[] sums)
    {
        var graph = GraphFor(batch);
        var heads = Heads;
        // Variable-length sequences: the loss is a mean over real positions, so batches weigh by those, not by rows.
        bool masked = heads.Count == 1 && MasksLabels(heads[0]);
        for (int start = first; start < end; start += batch)
        {
            int n = Math.Min(batch, end - start);
            var x = data.Features.AsSpan(start * InputSize, n * InputSize);
            var y = data.Targets.AsSpan(start * TargetSize, n * TargetSize);
            long weight = n;
            if (masked)
            {
                weight = 0;
                for (int r = 0; r < n; r++) weight += SampleLength(x.Slice(r * InputSize, InputSize));
            }
            sums[0] += (double)graph.Loss(_parameters, x, y, n) * weight;
            sums[1] += weight;
            if (heads.Count > 1)
                for (int h = 0; h < heads.Count; h++) sums[2 + h] += (double)graph.HeadLosses[h] * n;
            var outputs = graph.LastOutput(n);
            for (int h = 0; h < heads.Count; h++) sums[2 + heads.Count + h] += CountCorrect(heads[h], masked, x, outputs, y, n).Correct;
        }
    }

    private static bool HasAccuracy(Loss loss) => loss is Loss.SoftmaxCrossEntropy or Loss.BinaryCrossEntropy;

    /// <summary>Whether Fit reports a training accuracy: one head, with a classification loss (as <see cref="Evaluate"/> has one).</summary>
    internal bool HasSingleAccuracy => Heads.Count == 1 && HasAccuracy(Heads[0].Loss);

    /// <summary>
    /// The labels of a batch's outputs that <see cref="Evaluate"/> judges, and how many of them are right, for a model with
    /// <see cref="HasSingleAccuracy"/>: <paramref name="outputs"/> are n × <see cref="OutputSize"/>, <paramref name="inputs"/>
    /// and <paramref name="targets"/> the batch's rows. Allocates nothing.
    /// </summary>
    internal (int Correct, int Judged) CountCorrect(ReadOnlySpan<float> inputs, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets, int n)
    {
        var head = Heads[0];
        return CountCorrect(head, MasksLabels(head), inputs, outputs, targets, n);
    }

    private (int Correct, int Judged) CountCorrect(ModelHead head, bool masked, ReadOnlySpan<float> x, ReadOnlySpan<float> outputs, ReadOnlySpan<float> y, int n)
    {
        // A softmax head may label every position of a [sequence, classes] output; each label is judged.
        int labels = LabelsOf(head), width = head.OutputSize / labels, targetWidth = head.TargetSize / labels;
        int correct = 0, judgedTotal = 0;
        for (int r = 0; r < n; r++)
        {
            int judged = masked ? SampleLength(x.Slice(r * InputSize, InputSize)) : labels;
            judgedTotal += judged;
            for (int l = 0; l < judged; l++)
                if (IsCorrect(head.Loss, outputs.Slice(r * OutputSize + head.OutputOffset + l * width, width), y.Slice(r * TargetSize + head.TargetOffset + l * targetWidth, targetWidth)))
                    correct++;
        }
        return (correct, judgedTotal);
    }

    /// <summary>Labels a head's target holds per sample: one per position for softmax cross-entropy, else one.</summary>
    private static int LabelsOf(ModelHead head) => head.Loss == Loss.SoftmaxCrossEntropy ? head.TargetSize : 1;

    /// <summary>Runs the model on <paramref name="count"/> samples and writes count × <see cref="OutputSize"/> raw outputs (logits for classification losses).</summary>
    /// <remarks>
    /// Prediction runs in buffers this instance owns (its graph for the batch size), so one instance must not predict on two
    /// threads at once: a service gives each concurrent request its own instance (e.g. a pool of models loaded from one file).
    /// </remarks>
    /// <param name="inputs">count × <see cref="InputSize"/> features, row-major.</param>
    /// <param name="count">Number of samples.</param>
    /// <param name="outputs">Receives count × <see cref="OutputSize"/> values.</param>
    /// <param name="allowNonFinite">
    /// Pass NaN and ±∞ inputs to the model; without it they are an error naming the sample and column (checked in one
    /// vectorised pass, without allocating).
    /// </param>
    /// <exception cref="ArgumentException">The spans do not hold <paramref name="count"/> samples, or an input is NaN or ±∞.</exception>
    public void Predict(ReadOnlySpan<float> inputs, int count, Span<float> outputs, bool allowNonFinite = false)
    {
        CheckPredictSpans(inputs, count, outputs.Length);
        if (!allowNonFinite) CheckFiniteInputs(inputs, nameof(inputs));
        CheckTokenIds(inputs, count, nameof(inputs), "sample");
        PredictChecked(inputs, count, outputs);
    }

    private void CheckPredictSpans(ReadOnlySpan<float> inputs, int count, int outputLength)
    {
        if (inputs.Length != count * InputSize)
            throw new ArgumentException($"The inputs have {inputs.Length} elements; {count} samples of {InputSize} need {count * InputSize}.", nameof(inputs));
        if (outputLength < count * OutputSize)
            throw new ArgumentException($"The output buffer has {outputLength} elements; {count} samples need {count * OutputSize}.", "outputs");
    }

    /// <summary>Forward passes on inputs already checked (sizes and values).</summary>
    private void PredictChecked(ReadOnlySpan<float> inputs, int count, Span<float> outputs)
    {
        if (count == 0) return;
        const int chunk = 256;
        var graph = GraphFor(Math.Min(count, chunk));
        for (int start = 0; start < count; start += graph.MaxBatch)
        {
            int n = Math.Min(graph.MaxBatch, count - start);
            graph.Forward(_parameters, inputs.Slice(start * InputSize, n * InputSize), n)
                 .CopyTo(outputs.Slice(start * OutputSize, n * OutputSize));
        }
    }

    /// <summary>Raw outputs for every sample of <paramref name="data"/> (count × <see cref="OutputSize"/>).</summary>
    /// <exception cref="ArgumentException">
    /// The rows do not fit the model's inputs, or a feature is NaN or ±∞ and the set was not made with <c>allowNonFinite: true</c>.
    /// </exception>
    public float[] Predict(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckFeatures(data, nameof(data));
        data.CheckFinite("features", null, nameof(data), Inputs);
        CheckTokenIds(data.Features, data.Count, nameof(data), "row");
        return PredictChecked(data);
    }

    /// <summary>Predict on a set already checked against the model.</summary>
    internal float[] PredictChecked(Dataset data)
    {
        var outputs = new float[data.Count * OutputSize];
        PredictChecked(data.Features, data.Count, outputs);
        return outputs;
    }

    /// <summary>Raw outputs for one sample.</summary>
    /// <param name="sample"><see cref="InputSize"/> features.</param>
    /// <param name="allowNonFinite">Pass NaN and ±∞ inputs to the model; without it they are an error naming the column.</param>
    /// <exception cref="ArgumentException">The sample is not <see cref="InputSize"/> wide, or a value is NaN or ±∞.</exception>
    public float[] Predict(ReadOnlySpan<float> sample, bool allowNonFinite = false)
    {
        var outputs = new float[OutputSize];
        Predict(sample, 1, outputs, allowNonFinite);
        return outputs;
    }

    /// <summary>
    /// The predicted class of each sample: arg-max of the outputs, or output &gt; 0 for a single binary logit.
    /// A model with several <see cref="LabelsPerSample"/> gives one class per position (count × LabelsPerSample, row-major);
    /// with variable-length sequences (<see cref="MaskPaddingIndex"/>), −1 at the positions past each sample's length.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model has several heads (use <see cref="PredictHead"/>) or compares pairs (<see cref="Loss.Contrastive"/>).</exception>
    public int[] PredictClasses(Dataset data)
    {
        if (Heads.Count > 1 || Loss == Loss.Contrastive)
            throw new InvalidOperationException(Heads.Count > 1
                ? $"{GetType().Name} has {Heads.Count} heads; take each head's outputs with PredictHead(data, \"{Heads[0].Name}\") and so on."
                : $"{GetType().Name} outputs pairs of embeddings (Loss.Contrastive), not classes; Predict gives both embeddings of each pair.");
        var outputs = Predict(data);
        int labels = Loss == Loss.SoftmaxCrossEntropy ? LabelsPerSample : 1;
        int width = OutputSize / labels;
        var classes = new int[data.Count * labels];
        for (int r = 0; r < classes.Length; r++) classes[r] = PredictedClass(outputs.AsSpan(r * width, width));
        if (MasksLabels(Heads[0]))
            for (int r = 0; r < data.Count; r++)
            {
                int length = SampleLength(data.Features.AsSpan(r * InputSize, InputSize));
                classes.AsSpan(r * labels + length, labels - length).Fill(-1);
            }
        return classes;
    }

    /// <summary>
    /// Probabilities for every sample of <paramref name="data"/> (count × <see cref="OutputSize"/>): under
    /// <see cref="Loss.SoftmaxCrossEntropy"/> a softmax over the classes of each sample (of each position for a
    /// [sequence, classes] output; with variable-length sequences the positions past a sample's length are 0), under
    /// <see cref="Loss.BinaryCrossEntropy"/> the sigmoid of each output. A model with several heads takes
    /// <see cref="PredictProbabilities(Dataset, string)"/> per head.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// The loss is a regression loss (the outputs are the predictions themselves: use <see cref="Predict(Dataset)"/>), the
    /// model compares pairs (<see cref="Loss.Contrastive"/>), or it has several heads.
    /// </exception>
    public float[] PredictProbabilities(Dataset data)
    {
        if (Heads.Count > 1)
            throw new InvalidOperationException($"{GetType().Name} has {Heads.Count} heads; take each head's probabilities with PredictProbabilities(data, \"{Heads[0].Name}\") and so on.");
        return PredictProbabilities(data, Heads[0].Name);
    }

    /// <summary>
    /// Probabilities of head <paramref name="head"/> for every sample of <paramref name="data"/> (count × the head's output
    /// size), by the head's loss as <see cref="PredictProbabilities(Dataset)"/> describes.
    /// </summary>
    /// <exception cref="ArgumentException">The model has no head of that name.</exception>
    /// <exception cref="InvalidOperationException">The head's loss gives no probabilities (a regression loss, or contrastive pairs).</exception>
    public float[] PredictProbabilities(Dataset data, string head)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(head);
        ModelHead? h = null;
        foreach (var candidate in Heads)
            if (candidate.Name == head) h = candidate;
        if (h is null)
            throw new ArgumentException($"{GetType().Name} has no head '{head}'; its heads are {string.Join(", ", System.Linq.Enumerable.Select(Heads, x => x.Name))}.", nameof(head));
        CheckScores(h);
        float[] outputs = Heads.Count > 1 ? PredictHead(data, head) : Predict(data);
        ToProbabilities(h, outputs, data.Features, data.Count);
        return outputs;
    }

    /// <summary>
    /// Probabilities of <paramref name="count"/> samples into <paramref name="probabilities"/> (count × <see cref="OutputSize"/>),
    /// as <see cref="PredictProbabilities(Dataset)"/> computes them; allocates nothing once the graph for the batch exists.
    /// Like <see cref="Predict(ReadOnlySpan{float}, int, Span{float}, bool)"/>, it uses this instance's buffers: give each thread its own model.
    /// </summary>
    /// <param name="inputs">count × <see cref="InputSize"/> features, row-major.</param>
    /// <param name="count">Number of samples.</param>
    /// <param name="probabilities">Receives count × <see cref="OutputSize"/> values.</param>
    /// <param name="allowNonFinite">Pass NaN and ±∞ inputs to the model, as for <see cref="Predict(ReadOnlySpan{float}, int, Span{float}, bool)"/>.</param>
    /// <exception cref="ArgumentException">The spans do not hold <paramref name="count"/> samples, or an input is NaN or ±∞.</exception>
    /// <exception cref="InvalidOperationException">As for <see cref="PredictProbabilities(Dataset)"/>: several heads, a regression loss or contrastive pairs.</exception>
    public void PredictProbabilities(ReadOnlySpan<float> inputs, int count, Span<float> probabilities, bool allowNonFinite = false)
    {
        if (Heads.Count > 1)
            throw new InvalidOperationException($"{GetType().Name} has {Heads.Count} heads; take each head's probabilities with PredictProbabilities(data, \"{Heads[0].Name}\") and so on.");
        CheckScores(Heads[0]);
        Predict(inputs, count, probabilities, allowNonFinite);
        ToProbabilities(Heads[0], probabilities[..(count * OutputSize)], inputs, count);
    }

    /// <summary>Refuses a head whose outputs are not scores of classes.</summary>
    private void CheckScores(ModelHead h)
    {
        string which = Heads.Count > 1 ? $"head '{h.Name}' of {GetType().Name}" : GetType().Name;
        if (h.Loss == Loss.Contrastive)
            throw new InvalidOperationException($"{which} outputs pairs of embeddings (Loss.Contrastive), not scores; Predict gives both embeddings of each pair.");
        if (h.Loss != Loss.SoftmaxCrossEntropy && h.Loss != Loss.BinaryCrossEntropy)
            throw new InvalidOperationException($"{which} is trained with Loss.{h.Loss}, a regression loss: its outputs are the predicted values themselves, not scores of classes. Use Predict{(Heads.Count > 1 ? "Head" : "")}; probabilities come from SoftmaxCrossEntropy and BinaryCrossEntropy.");
    }

    /// <summary>Turns one head's outputs of <paramref name="count"/> samples into probabilities in place (sigmoid, or softmax per class group).</summary>
    private void ToProbabilities(ModelHead h, Span<float> outputs, ReadOnlySpan<float> inputs, int count)
    {
        if (h.Loss == Loss.BinaryCrossEntropy)
        {
            for (int i = 0; i < outputs.Length; i++) outputs[i] = Sigmoid(outputs[i]);
            return;
        }
        int labels = LabelsOf(h), width = h.OutputSize / labels;
        for (int r = 0; r < outputs.Length / width; r++) Softmax(outputs.Slice(r * width, width));
        if (MasksLabels(h))
            for (int r = 0; r < count; r++)
            {
                int length = SampleLength(inputs.Slice(r * InputSize, InputSize));
                outputs.Slice((r * labels + length) * width, (labels - length) * width).Clear();
            }
    }

    /// <summary>1 / (1 + e^−x), without overflow for large |x|.</summary>
    private static float Sigmoid(float x)
    {
        if (x >= 0f) return 1f / (1f + MathF.Exp(-x));
        float e = MathF.Exp(x);
        return e / (1f + e);
    }

    /// <summary>In-place softmax of one row, shifted by its maximum so no exponential overflows.</summary>
    private static void Softmax(Span<float> row)
    {
        float max = float.NegativeInfinity;
        foreach (float v in row) max = MathF.Max(max, v);
        double sum = 0;
        for (int j = 0; j < row.Length; j++)
        {
            row[j] = MathF.Exp(row[j] - max);
            sum += row[j];
        }
        float scale = (float)(1.0 / sum);
        for (int j = 0; j < row.Length; j++) row[j] *= scale;
    }

    private static int PredictedClass(ReadOnlySpan<float> outputs)
    {
        if (outputs.Length == 1) return outputs[0] > 0f ? 1 : 0;
        int best = 0;
        for (int j = 1; j < outputs.Length; j++) if (outputs[j] > outputs[best]) best = j;
        return best;
    }

    private static bool IsCorrect(Loss loss, ReadOnlySpan<float> outputs, ReadOnlySpan<float> targets)
    {
        switch (loss)
        {
            case Loss.SoftmaxCrossEntropy:
                return PredictedClass(outputs) == (int)targets[0];
            case Loss.BinaryCrossEntropy:
                for (int j = 0; j < outputs.Length; j++)
                    if ((outputs[j] > 0f) != (targets[j] > 0.5f)) return false;
                return true;
            default:
                return false;
        }
    }

    /// <summary>The length of one sample of a MaskPadding model: one past its last non-padding id.</summary>
    private int SampleLength(ReadOnlySpan<float> ids) => Cpu.EmbeddingKernels.Length(ids, MaskPaddingIndex);

    /// <summary>Whether per-position labels stop at each sample's length (a MaskPadding model labelling every position).</summary>
    private bool MasksLabels(ModelHead head) => MaskPaddingIndex >= 0 && head.Loss == Loss.SoftmaxCrossEntropy && head.TargetSize > 1;
}
