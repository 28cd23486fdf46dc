using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using ModelGen;
using ModelGen.Compute;

namespace Bench;

/// <summary>
/// Time per generated id: the key/value-cached Generate against the naive decode that re-runs the whole model once per
/// id (at the length decoded so far: the model of n positions, n passes), for n = 8, 16, 32, 64 ids, greedy, no end id.
/// The cached time includes one encoder pass per call, also timed alone (encode_ms), so the decoder's share per id is
/// (cached − encode) / n.
/// </summary>
public static class GenerateBench
{
    public static IEnumerable<string> Run(BenchOptions options)
    {
        var cached = new Seq2Seq64(seed: 1);
        var rng = new Rng(2);
        var source = new int[32];
        for (int i = 0; i < source.Length; i++) source[i] = 1 + rng.NextInt(95);
        var greedy = new GenerationOptions { StartId = 1 };
        foreach (int n in new[] { 8, 16, 32, 64 })
        {
            Model naive = n switch { 8 => new Seq2Seq8(), 16 => new Seq2Seq16(), 32 => new Seq2Seq32(), _ => new Seq2Seq64() };
            cached.Parameters.CopyTo(naive.Parameters);
            var tokens = new int[n];
            var naiveTokens = new int[n];
            var row = new float[32 + n];
            var logits = new float[n * 96];
            void Cached() => cached.Generate(source, tokens, greedy);
            void Naive()
            {
                for (int i = 0; i < 32; i++) row[i] = source[i];
                row.AsSpan(32).Clear();
                row[32] = greedy.StartId;
                for (int step = 0; step < n; step++)
                {
                    naive.Predict(row, 1, logits);
                    var at = logits.AsSpan(step * 96, 96);
                    int next = 0;
                    for (int c = 1; c < 96; c++) if (at[c] > at[next]) next = c;
                    naiveTokens[step] = next;
                    if (step + 1 < n) row[32 + step + 1] = next;
                }
            }
            Cached();
            Naive();
            // Both decode the same ids: the comparison is of the same work.
            if (!tokens.AsSpan().SequenceEqual(naiveTokens))
                throw new InvalidOperationException($"n = {n}: the cached and naive decodes differ.");
            var encoder = new Seq2Seq64.Graph<float>(1);
            var (encodeSeconds, _) = Median(() => encoder.Encode(cached.Parameters, source), options);
            var (cachedSeconds, cachedAlloc) = Median(Cached, options);
            var (naiveSeconds, _) = Median(Naive, options);
            yield return string.Create(CultureInfo.InvariantCulture,
                $"{{\"model\": \"seq2seq-generate\", \"mode\": \"generate\", \"tokens\": {n}, \"threads\": {options.Threads}, \"device\": \"cpu\", \"cached_ms_per_token\": {cachedSeconds * 1e3 / n:F4}, \"naive_ms_per_token\": {naiveSeconds * 1e3 / n:F4}, \"cached_ms\": {cachedSeconds * 1e3:F3}, \"encode_ms\": {encodeSeconds * 1e3:F3}, \"cached_decode_ms_per_token\": {(cachedSeconds - encodeSeconds) * 1e3 / n:F4}, \"naive_ms\": {naiveSeconds * 1e3:F3}, \"speedup\": {naiveSeconds / cachedSeconds:F2}, \"steps\": {options.Steps}, \"alloc_bytes_per_call\": {cachedAlloc:G4}, \"peer\": \"modelgen\"}}");
        }
    }

    /// <summary>Median seconds of one call over <c>Repeats</c> runs of <c>Steps</c> calls, after warm-up; bytes allocated per call.</summary>
    private static (double Seconds, double Allocated) Median(Action call, BenchOptions options)
    {
        for (int i = 0; i < 2; i++) call();
        var seconds = new double[options.Repeats];
        long allocated = 0;
        for (int r = 0; r < options.Repeats; r++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < options.Steps; i++) call();
            long end = Stopwatch.GetTimestamp();
            allocated += GC.GetTotalAllocatedBytes(precise: true) - before;
            seconds[r] = (end - start) / (double)Stopwatch.Frequency / options.Steps;
        }
        Array.Sort(seconds);
        return (seconds[seconds.Length / 2], (double)allocated / (options.Repeats * options.Steps));
    }
}
