using System;
using System.Linq;
using ModelGen.Compute;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests;

/// <summary>
/// Generated code of encoder–decoder models with CrossAttention: float64 gradient checks of the whole model (two
/// inputs of odd lengths; a padded memory), the eager layer method against the fused graph.
/// </summary>
[Collection(ModelGen.Tests.Cpu.SerialCollection.Name)]
public class CrossAttentionModelTests
{
    [Fact]
    public void TinySeq2Seq_AnalyticGradientsMatchCentralDifferences()
    {
        const int batch = 3;
        var graph = new TinySeq2Seq.Graph<double>(batch);
        Assert.Equal(7 + 5, graph.InputSize);
        Assert.Equal(5, graph.TargetSize);   // a class per decoder position
        var parameters = new double[TinySeq2Seq.TotalParameters];
        TinySeq2Seq.Initialize<double>(parameters, 7);
        var rng = new Rng(5);
        var input = new double[batch * graph.InputSize];
        for (int i = 0; i < input.Length; i++) input[i] = rng.NextInt(9);
        var targets = new double[batch * graph.TargetSize];
        for (int i = 0; i < targets.Length; i++) targets[i] = rng.NextInt(9);
        for (int i = 0; i < parameters.Length; i++) parameters[i] += 0.1 * rng.NextGaussian();
        GradientCheckTests.Check(nameof(TinySeq2Seq), graph, parameters, input, targets, batch);
    }

    [Fact]
    public void MaskedCrossNet_AnalyticGradientsMatchCentralDifferences_WithPaddedMemories()
    {
        const int batch = 3;
        var graph = new MaskedCrossNet.Graph<double>(batch);
        var parameters = new double[MaskedCrossNet.TotalParameters];
        MaskedCrossNet.Initialize<double>(parameters, 3);
        var rng = new Rng(17);
        // Lengths 8, 3 and 5: ids 1…8, then the padding id 0.
        int[] lengths = { 8, 3, 5 };
        var ids = new double[batch * 8];
        for (int b = 0; b < batch; b++)
        for (int s = 0; s < lengths[b]; s++)
            ids[b * 8 + s] = 1 + rng.NextInt(8);
        var targets = new double[batch * 8];
        for (int i = 0; i < targets.Length; i++) targets[i] = rng.NextInt(4);
        for (int i = 0; i < parameters.Length; i++) parameters[i] += 0.1 * rng.NextGaussian();
        // The padding row (id 0) never learns.
        GradientCheckTests.Check(nameof(MaskedCrossNet), graph, parameters, ids, targets, batch, noGradient: i => i < 6);
    }

    [Fact]
    public void MaskedCrossNet_APaddedSample_IsItsFixedLengthTwin()
    {
        // A sample of length 3 padded to 8 gives, at its 3 real positions, exactly what the unmasked twin at 3 positions gives:
        // no query attends to a padded key.
        Assert.Equal(MaskedCrossNet.TotalParameters, CrossNetAtThree.TotalParameters);
        var parameters = new double[MaskedCrossNet.TotalParameters];
        MaskedCrossNet.Initialize<double>(parameters, 4);
        double[] padded = { 3, 5, 2, 0, 0, 0, 0, 0 };
        var masked = new MaskedCrossNet.Graph<double>(1).Forward(parameters, padded, 1).ToArray();
        var twin = new CrossNetAtThree.Graph<double>(1).Forward(parameters, padded.AsSpan(0, 3), 1).ToArray();
        for (int i = 0; i < 3 * 4; i++) Assert.Equal(twin[i], masked[i], 12);
    }

    [Fact]
    public void TinySeq2Seq_EagerForwardEqualsPredict()
    {
        var model = new TinySeq2Seq(seed: 11);
        var rng = new Rng(2);
        const int batch = 2;
        var source = new float[batch * 7];
        var target = new float[batch * 5];
        for (int i = 0; i < source.Length; i++) source[i] = rng.NextInt(9);
        for (int i = 0; i < target.Length; i++) target[i] = rng.NextInt(9);
        var eager = model.RunEagerly(new Tensor(source, batch, 7), new Tensor(target, batch, 5));
        Assert.Equal(new[] { batch, 5, 9 }, eager.Shape);
        // Rows hold the inputs side by side in [Input] order.
        var rows = Enumerable.Range(0, batch).SelectMany(b => source.AsSpan(b * 7, 7).ToArray().Concat(target.AsSpan(b * 5, 5).ToArray())).ToArray();
        var fused = new float[batch * 5 * 9];
        model.Predict(rows, batch, fused);
        for (int i = 0; i < fused.Length; i++) Assert.Equal(fused[i], eager.Data[i], 4);
    }

    /// <summary>
    /// Teacher forcing on (source, shifted target) pairs: Fit on 1,500 reversals, then held-out pairs decoded greedily
    /// one token at a time (each step a full forward pass of the decoder inputs so far).
    /// </summary>
    [Fact]
    public void DigitReverser_TrainsTeacherForced_AndDecodesHeldOutSequencesGreedily()
    {
        const int start = 1, end = 2, length = 6;
        (float[] Rows, int[] Labels) Pairs(int count, int seed)
        {
            var rng = new Rng(seed);
            var rows = new float[count * (length + length + 1)];
            var labels = new int[count * (length + 1)];
            for (int i = 0; i < count; i++)
            {
                var digits = Enumerable.Range(0, length).Select(_ => 3 + rng.NextInt(10)).ToArray();
                var row = rows.AsSpan(i * 13, 13);
                for (int s = 0; s < length; s++) row[s] = digits[s];
                row[length] = start;
                for (int s = 0; s < length; s++) row[length + 1 + s] = digits[length - 1 - s];
                for (int s = 0; s < length; s++) labels[i * 7 + s] = digits[length - 1 - s];
                labels[i * 7 + length] = end;
            }
            return (rows, labels);
        }
        var (trainRows, trainLabels) = Pairs(1500, seed: 1);
        var train = Dataset.ForSequenceClassification(trainRows, 13, trainLabels, labelsPerRow: 7, classCount: 13).WithInputs(("source", 6), ("target", 7));
        var model = new DigitReverser(seed: 3);
        var history = model.Fit(train, epochs: 12, batchSize: 32, optimizer: new Adam(3e-3f), seed: 5);
        Assert.True(history[^1].TrainLoss < 0.1f * history[0].TrainLoss, $"loss {history[0].TrainLoss} → {history[^1].TrainLoss}");

        // Greedy decoding of held-out sources: the decoder input grows by the argmax of the last filled position.
        var (testRows, testLabels) = Pairs(100, seed: 2);
        int exact = 0;
        var output = new float[7 * 13];
        for (int i = 0; i < 100; i++)
        {
            var row = testRows.AsSpan(i * 13, 13).ToArray();
            row.AsSpan(length + 1).Fill(0);   // nothing of the target is known but the start id
            bool right = true;
            for (int step = 0; step <= length; step++)
            {
                model.Predict(row, 1, output);
                var logits = output.AsSpan(step * 13, 13);
                int next = 0;
                for (int c = 1; c < 13; c++) if (logits[c] > logits[next]) next = c;
                right &= next == testLabels[i * 7 + step];
                if (step < length) row[length + 1 + step] = next;
            }
            if (right) exact++;
        }
        Assert.True(exact >= 95, $"{exact} of 100 held-out sequences reversed exactly");
    }
}
