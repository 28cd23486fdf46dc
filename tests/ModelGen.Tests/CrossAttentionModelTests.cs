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

    // MaskedSeq2Seq's parameters, layer by layer: SourceTokens [9, 6], TargetTokens [9, 6], SourcePositions [8, 6], ...
    private const int SourcePositionRows = 2 * 9 * 6;

    /// <summary>Two samples' rows: sources 4 and 7 long (padded to 7 with id 0), then 5 decoder ids each.</summary>
    private static double[] PaddedSeq2SeqRows(out double[] fourLongTwin)
    {
        double[] sources = { 3, 5, 2, 7, 0, 0, 0, /**/ 4, 8, 1, 6, 6, 2, 5 };
        double[] targets = { 1, 4, 4, 8, 2, /**/ 1, 3, 7, 5, 6 };
        var rows = new double[2 * 12];
        for (int b = 0; b < 2; b++)
        {
            sources.AsSpan(b * 7, 7).CopyTo(rows.AsSpan(b * 12));
            targets.AsSpan(b * 5, 5).CopyTo(rows.AsSpan(b * 12 + 7));
        }
        fourLongTwin = rows.AsSpan(0, 4).ToArray().Concat(targets.AsSpan(0, 5).ToArray()).ToArray();
        return rows;
    }

    [Fact]
    public void MaskedSeq2Seq_APaddedSource_GivesWhatItsUnpaddedTwinGives()
    {
        // Source 0 has 4 ids and 3 padding positions: the decoder's logits equal those of the same model reading just
        // the 4 ids (an unmasked cross-attention or encoder would attend to the 3 padded keys and differ).
        Assert.Equal(MaskedSeq2Seq.TotalParameters, Seq2SeqWithFourSourceIds.TotalParameters);
        var parameters = new double[MaskedSeq2Seq.TotalParameters];
        MaskedSeq2Seq.Initialize<double>(parameters, 4);
        var rng = new Rng(8);
        for (int i = 0; i < parameters.Length; i++) parameters[i] += 0.2 * rng.NextGaussian();
        var rows = PaddedSeq2SeqRows(out var twinRow);
        var masked = new MaskedSeq2Seq.Graph<double>(2).Forward(parameters, rows, 2).ToArray();
        var twin = new Seq2SeqWithFourSourceIds.Graph<double>(1).Forward(parameters, twinRow, 1).ToArray();
        Assert.Equal(5 * 9, twin.Length);
        for (int i = 0; i < twin.Length; i++) Assert.Equal(twin[i], masked[i], 12);
    }

    [Fact]
    public void MaskedSeq2Seq_WhatSitsAtPaddedSourcePositions_DoesNotChangeTheOutput()
    {
        var parameters = new double[MaskedSeq2Seq.TotalParameters];
        MaskedSeq2Seq.Initialize<double>(parameters, 5);
        var rows = PaddedSeq2SeqRows(out _);
        var graph = new MaskedSeq2Seq.Graph<double>(2);
        var before = graph.Forward(parameters, rows, 2).ToArray();
        // The positional rows 4…6 are added at source 0's padded positions (and at real positions of source 1):
        // changing them moves only sample 1.
        for (int i = SourcePositionRows + 4 * 6; i < SourcePositionRows + 7 * 6; i++) parameters[i] += 1.5;
        var after = graph.Forward(parameters, rows, 2).ToArray();
        for (int i = 0; i < 5 * 9; i++) Assert.Equal(before[i], after[i], 12);
        Assert.True(Enumerable.Range(5 * 9, 5 * 9).Max(i => Math.Abs(before[i] - after[i])) > 1e-3, "the positional rows matter to the full-length source");
        // The padding id's embedding row likewise.
        for (int i = 0; i < 6; i++) parameters[i] = 3.0 + i;
        var padding = graph.Forward(parameters, rows, 2).ToArray();
        for (int i = 0; i < 5 * 9; i++) Assert.Equal(before[i], padding[i], 12);
    }

    [Fact]
    public void MaskedSeq2Seq_AnalyticGradientsMatchCentralDifferences_WithPaddedSources()
    {
        const int batch = 3;
        var graph = new MaskedSeq2Seq.Graph<double>(batch);
        var parameters = new double[MaskedSeq2Seq.TotalParameters];
        MaskedSeq2Seq.Initialize<double>(parameters, 6);
        var rng = new Rng(21);
        int[] lengths = { 7, 2, 5 };
        var rows = new double[batch * 12];
        for (int b = 0; b < batch; b++)
        {
            for (int s = 0; s < lengths[b]; s++) rows[b * 12 + s] = 1 + rng.NextInt(8);
            for (int s = 0; s < 5; s++) rows[b * 12 + 7 + s] = rng.NextInt(9);
        }
        var targets = new double[batch * 5];
        for (int i = 0; i < targets.Length; i++) targets[i] = rng.NextInt(9);
        for (int i = 0; i < parameters.Length; i++) parameters[i] += 0.1 * rng.NextGaussian();
        // The source's padding row (id 0) never learns.
        GradientCheckTests.Check(nameof(MaskedSeq2Seq), graph, parameters, rows, targets, batch, noGradient: i => i < 6);
    }

    [Fact]
    public void MaskedSeq2Seq_KeepsEveryDecoderLabel()
    {
        // The mask ends in the memory: the decoder's 5 labels per sample all count, whatever the source's length.
        var model = new MaskedSeq2Seq(seed: 1);
        Assert.Equal(-1, model.MaskPaddingIndex);
        Assert.Equal(5, model.LabelsPerSample);
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
        int exact = 0, generatedExact = 0;
        var output = new float[7 * 13];
        var options = new GenerationOptions { StartId = start, EndId = end };
        var naiveIds = new int[7];
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
                naiveIds[step] = next;
                if (step < length) row[length + 1 + step] = next;
            }
            if (right) exact++;
            // The cached decoder gives the same ids, up to the end id where the naive decode went on.
            var source = testRows.AsSpan(i * 13, length).ToArray().Select(v => (int)v).ToArray();
            var generated = model.Generate(source, maxLength: 7, options);
            int stop = Array.IndexOf(naiveIds, end);
            Assert.Equal(naiveIds.Take(stop < 0 ? 7 : stop + 1), generated);
            if (generated.SequenceEqual(Enumerable.Range(0, 7).Select(s => testLabels[i * 7 + s]))) generatedExact++;
        }
        Assert.True(exact >= 95, $"{exact} of 100 held-out sequences reversed exactly");
        Assert.Equal(exact, generatedExact);
    }
}
