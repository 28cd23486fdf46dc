using System;
using System.Linq;
using ModelGen.Compute;
using ModelGen.Tests.Models;
using Xunit;

namespace ModelGen.Tests;

/// <summary>
/// Generate on encoder–decoder models: the key/value-cached decoder against the full forward pass re-run once per
/// token (the naive decode), per step and per token; sampling, the end id, the limits, and no allocation per call.
/// </summary>
[Collection(ModelGen.Tests.Cpu.SerialCollection.Name)]
public class GenerateTests
{
    /// <summary>A model with its parameters spread out, so the logits differ clearly between ids and steps.</summary>
    private static T Perturbed<T>(T model, int seed) where T : Model
    {
        var rng = new Rng(seed);
        var parameters = model.Parameters;
        for (int i = 0; i < parameters.Length; i++) parameters[i] += (float)(0.5 * rng.NextGaussian());
        return model;
    }

    /// <summary>Greedy decoding by re-running the whole model on the decoder ids so far, one forward pass per token.</summary>
    private static int[] NaiveGreedy(Model model, int[] source, int sourceLength, int targetLength, int classes, int start, int maxLength, int end = -1)
    {
        var row = new float[sourceLength + targetLength];
        for (int i = 0; i < source.Length; i++) row[i] = source[i];
        row[sourceLength] = start;
        var output = new float[targetLength * classes];
        var tokens = new System.Collections.Generic.List<int>();
        for (int step = 0; step < maxLength; step++)
        {
            model.Predict(row, 1, output);
            var logits = output.AsSpan(step * classes, classes);
            int next = 0;
            for (int c = 1; c < classes; c++) if (logits[c] > logits[next]) next = c;
            tokens.Add(next);
            if (next == end) break;
            if (step + 1 < targetLength) row[sourceLength + step + 1] = next;
        }
        return tokens.ToArray();
    }

    private static int[][] Sources(int count, int length, int vocabulary, int seed, int minLength = -1)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            int n = minLength < 0 ? length : minLength + rng.NextInt(length - minLength + 1);
            return Enumerable.Range(0, n).Select(_ => 1 + rng.NextInt(vocabulary - 1)).ToArray();
        }).ToArray();
    }

    [Fact]
    public void TinySeq2Seq_GreedyGenerate_EqualsTheNaiveReRunPerToken()
    {
        var model = Perturbed(new TinySeq2Seq(seed: 3), 4);
        var options = new GenerationOptions { StartId = 1 };
        int differentSequences = 0;
        int[]? first = null;
        foreach (var source in Sources(12, 7, 9, seed: 5))
        {
            var generated = model.Generate(source, maxLength: 5, options);
            Assert.Equal(NaiveGreedy(model, source, 7, 5, 9, start: 1, maxLength: 5), generated);
            if (first is null) first = generated;
            else if (!first.SequenceEqual(generated)) differentSequences++;
        }
        Assert.True(differentSequences > 0, "the sources lead to different outputs, so equality is not about a constant");
    }

    [Fact]
    public void MaskedSeq2Seq_GreedyGenerate_EqualsTheNaiveDecode_ForPaddedSources()
    {
        var model = Perturbed(new MaskedSeq2Seq(seed: 6), 7);
        var options = new GenerationOptions { StartId = 2 };
        foreach (var source in Sources(12, 7, 9, seed: 8, minLength: 1))
        {
            // A shorter source is padded with id 0 by Generate, as the naive row is.
            Assert.Equal(NaiveGreedy(model, source, 7, 5, 9, start: 2, maxLength: 5), model.Generate(source, maxLength: 5, options));
        }
    }

    [Fact]
    public void TinySeq2Seq_EachDecodeStep_EqualsTheFullForwardAtThatPosition()
    {
        var parameters = new double[TinySeq2Seq.TotalParameters];
        TinySeq2Seq.Initialize<double>(parameters, 9);
        var rng = new Rng(10);
        for (int i = 0; i < parameters.Length; i++) parameters[i] += 0.3 * rng.NextGaussian();
        var graph = new TinySeq2Seq.Graph<double>(1);
        int[] source = { 4, 8, 1, 1, 7, 3, 6 };
        int[] decoderIds = { 1, 5, 0, 8, 2 };
        var row = source.Concat(decoderIds).Select(i => (double)i).ToArray();
        var full = graph.Forward(parameters, row, 1).ToArray();
        graph.Encode(parameters, source);
        for (int position = 0; position < 5; position++)
        {
            var step = graph.Decode(parameters, decoderIds[position]).ToArray();
            for (int c = 0; c < 9; c++) Assert.Equal(full[position * 9 + c], step[c], 10);
        }
        var past = Assert.Throws<InvalidOperationException>(() => graph.Decode(parameters, 1));
        Assert.Equal("All 5 positions of 'target' are decoded; Encode a source to start again.", past.Message);
        Assert.Equal("Encode a source before decoding.", Assert.Throws<InvalidOperationException>(() => new TinySeq2Seq.Graph<double>(1).Decode(parameters, 1)).Message);
    }

    [Fact]
    public void MaskedSeq2Seq_EachDecodeStep_EqualsTheFullForward_InFloat()
    {
        var model = Perturbed(new MaskedSeq2Seq(seed: 2), 3);
        var graph = new MaskedSeq2Seq.Graph<float>(1);
        int[] source = { 5, 2, 7 };   // 4 padded positions
        int[] decoderIds = { 1, 3, 3, 6, 4 };
        var row = new float[12];
        for (int i = 0; i < 3; i++) row[i] = source[i];
        for (int i = 0; i < 5; i++) row[7 + i] = decoderIds[i];
        var full = new float[5 * 9];
        model.Predict(row, 1, full);
        graph.Encode(model.Parameters, source);
        for (int position = 0; position < 5; position++)
        {
            var step = graph.Decode(model.Parameters, decoderIds[position]);
            for (int c = 0; c < 9; c++) Assert.True(Math.Abs(full[position * 9 + c] - step[c]) <= 1e-4f * (1 + Math.Abs(full[position * 9 + c])), $"position {position}, id {c}: {step[c]} vs {full[position * 9 + c]}");
        }
    }

    [Fact]
    public void Sampling_IsDeterministicForASeed_DiffersForAnother_AndNearZeroTemperatureIsGreedy()
    {
        var model = Perturbed(new TinySeq2Seq(seed: 12), 13);
        var sources = Sources(8, 7, 9, seed: 14);
        var seeded = new GenerationOptions { StartId = 1, Temperature = 1.5f, Seed = 42 };
        var otherSeed = new GenerationOptions { StartId = 1, Temperature = 1.5f, Seed = 43 };
        var almostGreedy = new GenerationOptions { StartId = 1, Temperature = 1e-6f, Seed = 42 };
        int differing = 0;
        foreach (var source in sources)
        {
            var a = model.Generate(source, 5, seeded);
            Assert.Equal(a, model.Generate(source, 5, seeded));
            if (!a.SequenceEqual(model.Generate(source, 5, otherSeed))) differing++;
            Assert.Equal(model.Generate(source, 5, new GenerationOptions { StartId = 1 }), model.Generate(source, 5, almostGreedy));
        }
        Assert.True(differing >= 4, $"{differing} of 8 sources sampled differently under another seed");
        Assert.Throws<ArgumentOutOfRangeException>(() => new GenerationOptions { Temperature = -1f });
    }

    [Fact]
    public void TheEndId_StopsGeneration_AndIsTheLastId()
    {
        var model = Perturbed(new TinySeq2Seq(seed: 15), 16);
        var source = new[] { 1, 2, 3, 4, 5, 6, 7 };
        var all = model.Generate(source, 5, new GenerationOptions { StartId = 1 });
        // End at the id greedy decoding produced at step 2 (its first occurrence there or before).
        int end = all[2];
        int stop = Array.IndexOf(all, end);
        var stopped = model.Generate(source, 5, new GenerationOptions { StartId = 1, EndId = end });
        Assert.Equal(all.Take(stop + 1), stopped);
        Span<int> buffer = stackalloc int[5];
        Assert.Equal(stop + 1, model.Generate(source, buffer, new GenerationOptions { StartId = 1, EndId = end }));
    }

    [Fact]
    public void Limits_AreClearErrorsNamingTheParameter()
    {
        var model = new TinySeq2Seq(seed: 1);
        var source = new[] { 1, 2, 3, 4, 5, 6, 7 };
        var tooLong = Assert.Throws<ArgumentOutOfRangeException>(() => model.Generate(source, maxLength: 6));
        Assert.Equal("maxLength", tooLong.ParamName);
        Assert.Contains("maxLength = 6 is beyond the decoder's 5 positions: the input 'target' is declared with length 5", tooLong.Message);
        Assert.Equal("maxLength", Assert.Throws<ArgumentOutOfRangeException>(() => model.Generate(source, maxLength: 0)).ParamName);
        Assert.Equal("tokens", Assert.Throws<ArgumentOutOfRangeException>(() => model.Generate(source, new int[9])).ParamName);
        var shortSource = Assert.Throws<ArgumentException>(() => model.Generate(source.AsSpan(0, 6), 3));
        Assert.Contains("The source has 6 ids, but the input 'source' is declared with 7", shortSource.Message);
        Assert.Contains("not an id", Assert.Throws<ArgumentException>(() => model.Generate(new[] { 1, 2, 3, 4, 5, 6, 9 }, 3)).Message);
        Assert.Equal("options.StartId", Assert.Throws<ArgumentOutOfRangeException>(() => model.Generate(source, 3, new GenerationOptions { StartId = 9 })).ParamName);
    }

    [Fact]
    public void TheSpanOverload_AllocatesNothingAfterWarmUp()
    {
        var model = Perturbed(new MaskedSeq2Seq(seed: 17), 18);
        var greedy = new GenerationOptions { StartId = 1 };
        var sampled = new GenerationOptions { StartId = 1, Temperature = 0.7f, Seed = 3 };
        var source = new[] { 3, 1, 4, 1, 5 };
        var tokens = new int[5];
        model.Generate(source, tokens, greedy);   // warm-up: the decoder's buffers
        model.Generate(source, tokens, sampled);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            model.Generate(source, tokens, greedy);
            model.Generate(source, tokens, sampled);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
