using System;
using System.Collections.Generic;
using ModelGen;
using ModelGen.Compute;

namespace Seq2Seq;

/// <summary>
/// The task: sort <see cref="Length"/> random digits. A row holds the source ids, then the decoder's input (the start id,
/// then the sorted digits shifted by one); its labels are the sorted digits, then the end id.
/// </summary>
public static class DigitSorting
{
    /// <summary>Digits per source sequence.</summary>
    public const int Length = 8;

    /// <summary>The decoder's first input.</summary>
    public const int StartId = 1;

    /// <summary>The last label: the sequence is complete.</summary>
    public const int EndId = 2;

    /// <summary>Digit d has id <c>FirstDigitId + d</c> (id 0 is never used).</summary>
    public const int FirstDigitId = 3;

    /// <summary>Ids 0…12.</summary>
    public const int Vocabulary = FirstDigitId + 10;

    /// <summary>Decoder positions, and labels per row: the sorted digits, then the end id.</summary>
    public const int TargetLength = Length + 1;

    /// <summary>Features per row: the source, then the decoder input.</summary>
    public const int RowWidth = Length + TargetLength;

    /// <summary>
    /// A training set and a held-out set of distinct sources that are not in the training set (so never trained on),
    /// drawn with <paramref name="seed"/>: digits uniform in 0…9, independently.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is below 1, or together they exceed 10⁷ (a tenth of the possible sources, so that unseen ones stay quick to find).</exception>
    public static (Dataset Train, Dataset HeldOut) Draw(int trainCount, int heldOutCount, int seed)
    {
        if (trainCount < 1) throw new ArgumentOutOfRangeException(nameof(trainCount), trainCount, "Draw at least one training pair.");
        if (heldOutCount < 1) throw new ArgumentOutOfRangeException(nameof(heldOutCount), heldOutCount, "Draw at least one held-out pair.");
        if ((long)trainCount + heldOutCount > 10_000_000)
            throw new ArgumentOutOfRangeException(nameof(heldOutCount), heldOutCount, $"{trainCount} training and {heldOutCount} held-out pairs exceed 10,000,000, a tenth of the 10^{Length} sources.");
        var trained = new HashSet<long>();
        var train = Pairs(trainCount, new Rng(seed, stream: 1), key => { trained.Add(key); return true; });
        var heldOut = new HashSet<long>();
        var test = Pairs(heldOutCount, new Rng(seed, stream: 2), key => !trained.Contains(key) && heldOut.Add(key));
        return (train, test);
    }

    /// <summary><paramref name="count"/> rows whose sources <paramref name="accept"/> takes (it sees each source as a base-10 number).</summary>
    private static Dataset Pairs(int count, Rng rng, Func<long, bool> accept)
    {
        var rows = new float[count * RowWidth];
        var labels = new int[count * TargetLength];
        Span<int> digits = stackalloc int[Length];
        for (int i = 0; i < count;)
        {
            long key = 0;
            for (int s = 0; s < Length; s++) key = key * 10 + (digits[s] = rng.NextInt(10));
            if (!accept(key)) continue;
            var row = rows.AsSpan(i * RowWidth, RowWidth);
            for (int s = 0; s < Length; s++) row[s] = FirstDigitId + digits[s];
            digits.Sort();
            row[Length] = StartId;
            for (int s = 0; s < Length; s++)
            {
                labels[i * TargetLength + s] = FirstDigitId + digits[s];
                row[Length + 1 + s] = FirstDigitId + digits[s];   // the decoder reads label s at position s + 1
            }
            labels[i * TargetLength + Length] = EndId;
            i++;
        }
        return Dataset.ForSequenceClassification(rows, RowWidth, labels, labelsPerRow: TargetLength, classCount: Vocabulary)
            .WithInputs(("source", Length), ("target", TargetLength));
    }

    /// <summary>
    /// The sample's recipe: teacher-forced <see cref="Model.Fit"/> with Adam at <paramref name="learningRate"/>, a linear warm-up over
    /// the first tenth of the steps (at most 500), then a cosine decay to a fiftieth of the rate; gradients clipped to norm 1.
    /// </summary>
    public static TrainingHistory Train(Model model, Dataset train, int epochs, int batchSize, float learningRate, int seed,
        IProgress<TrainingProgressReport>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        if (epochs < 1) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "Train at least one epoch.");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be ≥ 1.");
        long steps = (long)epochs * ((train.Count + batchSize - 1) / batchSize);
        long warmup = Math.Max(1, Math.Min(500, steps / 10));
        var schedule = new LinearWarmup(warmup, then: new CosineDecay(Math.Max(1, steps - warmup), minRate: learningRate / 50));
        return model.Fit(train, epochs: epochs, batchSize: batchSize, optimizer: new Adam(learningRate), seed: seed,
            schedule: schedule, clipGradientNorm: 1f, progress: progress);
    }

    /// <summary>
    /// Greedy decoding with the model's generated <c>Generate</c>: the encoder runs once per source, then the decoder
    /// one position per id, reusing its cached keys and values. All <see cref="TargetLength"/> positions are decoded
    /// (no early stop at the end id), so the result lines up with the labels. Returns count × <see cref="TargetLength"/> ids.
    /// </summary>
    public static int[] DecodeGreedily(Model model, Dataset data)
    {
        var options = new GenerationOptions { StartId = StartId };
        var source = new int[Length];
        var decoded = new int[data.Count * TargetLength];
        for (int i = 0; i < data.Count; i++)
        {
            var row = data.Features.AsSpan(i * RowWidth, Length);
            for (int p = 0; p < Length; p++) source[p] = (int)row[p];
            var ids = decoded.AsSpan(i * TargetLength, TargetLength);
            int count = model switch
            {
                DigitSorter sorter => sorter.Generate(source, ids, options),
                SmallDigitSorter sorter => sorter.Generate(source, ids, options),
                _ => throw new ArgumentException($"{model.GetType().Name} is not one of the sample's sorters.", nameof(model)),
            };
            if (count != TargetLength) throw new InvalidOperationException($"Generate returned {count} ids for row {i}, not {TargetLength}.");
        }
        return decoded;
    }

    /// <summary>
    /// Greedy decoding without the cache, as a cross-check of <see cref="DecodeGreedily"/>: the decoder input starts as
    /// the start id, and each step runs the whole model once on every row and writes the arg-max at the step's position
    /// into the next decoder position (the causal self-attention keeps the not-yet-decoded positions, held at 0, from
    /// reaching the positions before them). Returns count × <see cref="TargetLength"/> ids.
    /// </summary>
    public static int[] DecodeByRerunning(Model model, Dataset data)
    {
        int count = data.Count;
        var rows = new float[count * RowWidth];
        var logits = new float[count * TargetLength * Vocabulary];
        var decoded = new int[count * TargetLength];
        for (int i = 0; i < count; i++)
        {
            data.Features.AsSpan(i * RowWidth, Length).CopyTo(rows.AsSpan(i * RowWidth));
            rows[i * RowWidth + Length] = StartId;
        }
        for (int step = 0; step < TargetLength; step++)
        {
            model.Predict(rows, count, logits);
            for (int i = 0; i < count; i++)
            {
                var scores = logits.AsSpan((i * TargetLength + step) * Vocabulary, Vocabulary);
                int next = 0;
                for (int id = 1; id < Vocabulary; id++) if (scores[id] > scores[next]) next = id;
                decoded[i * TargetLength + step] = next;
                if (step + 1 < TargetLength) rows[i * RowWidth + Length + 1 + step] = next;
            }
        }
        return decoded;
    }

    /// <summary>Rows whose every decoded id (digits and end id) is its label, and the right ids at each position.</summary>
    public static (int ExactMatches, int[] RightAtPosition) Score(int[] decoded, int[] labels)
    {
        if (decoded.Length != labels.Length || labels.Length % TargetLength != 0)
            throw new ArgumentException($"Decoded ids ({decoded.Length}) and labels ({labels.Length}) must both be rows of {TargetLength}.", nameof(decoded));
        int exact = 0;
        var right = new int[TargetLength];
        for (int i = 0; i < labels.Length / TargetLength; i++)
        {
            bool all = true;
            for (int p = 0; p < TargetLength; p++)
            {
                bool ok = decoded[i * TargetLength + p] == labels[i * TargetLength + p];
                if (ok) right[p]++;
                all &= ok;
            }
            if (all) exact++;
        }
        return (exact, right);
    }

    /// <summary>Ids as text: digits, "$" for the end id, "?" for an id that is neither.</summary>
    public static string Format(ReadOnlySpan<int> ids)
    {
        var text = new char[ids.Length];
        for (int i = 0; i < ids.Length; i++)
            text[i] = ids[i] == EndId ? '$' : ids[i] >= FirstDigitId && ids[i] < Vocabulary ? (char)('0' + ids[i] - FirstDigitId) : '?';
        return new string(text);
    }
}
