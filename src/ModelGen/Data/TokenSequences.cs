using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace ModelGen.Data;

/// <summary>Which end of a token sequence padding is added to, or tokens are cut from.</summary>
public enum SequenceSide
{
    /// <summary>After the last token (Keras <c>'post'</c>). Right padding is what <c>[Embedding(MaskPadding = true)]</c> expects.</summary>
    End = 0,

    /// <summary>Before the first token (Keras <c>'pre'</c>).</summary>
    Start,
}

/// <summary>
/// A token → id table for token sequences, with two reserved ids: <see cref="PadId"/> (0) and <see cref="UnknownId"/> (1).
/// The other ids go to the tokens seen at least the minimum number of times, most frequent first (equal counts in ordinal
/// order of the token, so the table is the same on every run), up to the maximum size. Build it from the training texts
/// only: tokens that first appear in the test texts must map to the unknown id there, as they would in production.
/// </summary>
public sealed class Vocabulary
{
    /// <summary>The id of padding: 0, the id <c>[Embedding(PaddingIndex = 0)]</c> and <see cref="TokenSequences.Pad"/> use by default.</summary>
    public const int PadId = 0;

    /// <summary>The id of every token not in the vocabulary: 1.</summary>
    public const int UnknownId = 1;

    private readonly string[] _tokens;
    private readonly int[] _counts;
    private readonly Dictionary<string, int> _ids;

    private Vocabulary(string[] tokens, int[] counts, int distinctSeen, int minCount, int maxSize)
    {
        _tokens = tokens;
        _counts = counts;
        _ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++) _ids[tokens[i]] = i;
        DistinctTokensSeen = distinctSeen;
        MinCount = minCount;
        MaxSize = maxSize;
    }

    /// <summary>Counts the tokens of <paramref name="sequences"/> and gives ids to the frequent ones.</summary>
    /// <param name="sequences">Tokenised texts (e.g. words), the training texts only.</param>
    /// <param name="minCount">A token needs at least this many occurrences to get an id of its own, ≥ 1.</param>
    /// <param name="maxSize">The most ids in all, the two reserved ones included, ≥ 2; the least frequent tokens are left out first.</param>
    /// <param name="padToken">The text shown for <see cref="PadId"/>.</param>
    /// <param name="unknownToken">The text shown for <see cref="UnknownId"/>; the same text in the data maps to it.</param>
    /// <exception cref="ArgumentException">A sequence or token is null, the reserved texts are empty or equal, or the data contains <paramref name="padToken"/> (which would encode as padding).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minCount"/> is below 1 or <paramref name="maxSize"/> below 2.</exception>
    public static Vocabulary Build(IEnumerable<IEnumerable<string>> sequences, int minCount = 1, int maxSize = int.MaxValue,
                                   string padToken = "<pad>", string unknownToken = "<unk>")
    {
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentException.ThrowIfNullOrEmpty(padToken);
        ArgumentException.ThrowIfNullOrEmpty(unknownToken);
        if (padToken == unknownToken) throw new ArgumentException($"The pad and unknown tokens are both '{padToken}'; they need different texts.", nameof(unknownToken));
        if (minCount < 1) throw new ArgumentOutOfRangeException(nameof(minCount), minCount, "A token needs at least 1 occurrence to get an id.");
        if (maxSize < 2) throw new ArgumentOutOfRangeException(nameof(maxSize), maxSize, "The vocabulary holds at least the 2 reserved ids (pad and unknown).");
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        int s = 0;
        foreach (var sequence in sequences)
        {
            if (sequence is null) throw new ArgumentException($"Sequence {s} is null.", nameof(sequences));
            int t = 0;
            foreach (var token in sequence)
            {
                if (token is null) throw new ArgumentException($"Token {t} of sequence {s} is null.", nameof(sequences));
                if (token == padToken)
                    throw new ArgumentException($"Token {t} of sequence {s} is '{padToken}', the pad token's text; it would encode as padding. Pass another padToken.", nameof(sequences));
                if (token != unknownToken) counts[token] = counts.GetValueOrDefault(token) + 1;
                t++;
            }
            s++;
        }
        var kept = counts.Where(kv => kv.Value >= minCount)
                         .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
                         .Take(maxSize - 2).ToArray();
        string[] tokens = [padToken, unknownToken, .. kept.Select(kv => kv.Key)];
        int[] tokenCounts = [0, 0, .. kept.Select(kv => kv.Value)];
        return new Vocabulary(tokens, tokenCounts, counts.Count, minCount, maxSize);
    }

    /// <summary>Number of ids, the two reserved ones included: the <c>[Embedding]</c> vocabulary size to declare.</summary>
    public int Count => _tokens.Length;

    /// <summary>The tokens by id: the pad text, the unknown text, then the kept tokens, most frequent first.</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>Distinct tokens counted in the data (the reserved texts aside), kept or not.</summary>
    public int DistinctTokensSeen { get; }

    /// <summary>The minimum count the vocabulary was built with.</summary>
    public int MinCount { get; }

    /// <summary>The maximum size the vocabulary was built with.</summary>
    public int MaxSize { get; }

    /// <summary>The id of <paramref name="token"/>, or <see cref="UnknownId"/> when it has none.</summary>
    public int IdOf(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _ids.TryGetValue(token, out int id) ? id : UnknownId;
    }

    /// <summary>Whether <paramref name="token"/> has an id of its own (the reserved texts count).</summary>
    public bool Contains(string token) => token is not null && _ids.ContainsKey(token);

    /// <summary>The token of <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is not below <see cref="Count"/>.</exception>
    public string TokenOf(int id)
    {
        if ((uint)id >= (uint)_tokens.Length) throw new ArgumentOutOfRangeException(nameof(id), id, $"The vocabulary has ids 0…{_tokens.Length - 1}.");
        return _tokens[id];
    }

    /// <summary>How often the token of <paramref name="id"/> occurred in the data the vocabulary was built from (0 for the reserved ids).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is not below <see cref="Count"/>.</exception>
    public int CountOf(int id)
    {
        if ((uint)id >= (uint)_counts.Length) throw new ArgumentOutOfRangeException(nameof(id), id, $"The vocabulary has ids 0…{_counts.Length - 1}.");
        return _counts[id];
    }

    /// <summary>The ids of <paramref name="tokens"/>, unknown tokens as <see cref="UnknownId"/>.</summary>
    /// <exception cref="ArgumentException">A token is null.</exception>
    public int[] Encode(IEnumerable<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var ids = new List<int>();
        foreach (var token in tokens)
            ids.Add(token is null ? throw new ArgumentException($"Token {ids.Count} is null.", nameof(tokens)) : IdOf(token));
        return ids.ToArray();
    }

    /// <summary>The ids of each sequence of <paramref name="sequences"/>; pad them with <see cref="TokenSequences.Pad"/> or <see cref="TokenSequences.ToTable"/>.</summary>
    /// <exception cref="ArgumentException">A sequence or token is null.</exception>
    public int[][] Encode(IEnumerable<IEnumerable<string>> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        return sequences.Select((sequence, i) => sequence is null ? throw new ArgumentException($"Sequence {i} is null.", nameof(sequences)) : Encode(sequence)).ToArray();
    }

    /// <summary>A summary, e.g. <c>vocabulary of 1002 ids: 0 '&lt;pad&gt;', 1 '&lt;unk&gt;', 1000 of 5230 distinct tokens (min count 2, max size 1002)</c>.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        string limits = MaxSize == int.MaxValue ? string.Create(c, $"min count {MinCount}") : string.Create(c, $"min count {MinCount}, max size {MaxSize}");
        return string.Create(c, $"vocabulary of {Count} ids: {PadId} '{_tokens[PadId]}', {UnknownId} '{_tokens[UnknownId]}', {Count - 2} of {DistinctTokensSeen} distinct tokens ({limits})");
    }
}

/// <summary>
/// Token-id sequences of varying length made into fixed-length rows: padded and cut to one length, as a row-major id
/// matrix or as a typed <see cref="Table{TRole}"/> whose splits, transformers and leakage checks apply as to any table.
/// </summary>
public static class TokenSequences
{
    /// <summary>Each sequence padded with <paramref name="padId"/> or cut to <paramref name="length"/> ids: a row-major sequences × length matrix.</summary>
    /// <param name="sequences">The id sequences, e.g. from <see cref="Vocabulary.Encode(IEnumerable{IEnumerable{string}})"/>.</param>
    /// <param name="length">The length of every row, ≥ 1.</param>
    /// <param name="padId">The id that fills short rows; <see cref="Vocabulary.PadId"/> unless set.</param>
    /// <param name="padAt">Where short sequences are padded: <see cref="SequenceSide.End"/> (what masked embeddings expect) unless set.</param>
    /// <param name="truncateAt">Where long sequences lose ids: at the <see cref="SequenceSide.End"/> (the first ids are kept) unless set.</param>
    /// <exception cref="ArgumentException">A sequence is null or holds a negative id.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is below 1 or <paramref name="padId"/> is negative.</exception>
    public static int[] Pad(IReadOnlyList<IReadOnlyList<int>> sequences, int length, int padId = Vocabulary.PadId,
                            SequenceSide padAt = SequenceSide.End, SequenceSide truncateAt = SequenceSide.End)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(length), length, "Rows need a length of 1 or more.");
        if (padId < 0) throw new ArgumentOutOfRangeException(nameof(padId), padId, "Ids are 0 or more.");
        if (!Enum.IsDefined(padAt)) throw new ArgumentOutOfRangeException(nameof(padAt), padAt, "Unknown side.");
        if (!Enum.IsDefined(truncateAt)) throw new ArgumentOutOfRangeException(nameof(truncateAt), truncateAt, "Unknown side.");
        var rows = new int[checked(sequences.Count * length)];
        for (int s = 0; s < sequences.Count; s++)
        {
            var sequence = sequences[s] ?? throw new ArgumentException($"Sequence {s} is null.", nameof(sequences));
            var row = rows.AsSpan(s * length, length);
            int kept = Math.Min(sequence.Count, length);
            int from = truncateAt == SequenceSide.Start ? sequence.Count - kept : 0;
            int to = padAt == SequenceSide.Start ? length - kept : 0;
            row.Fill(padId);
            for (int i = 0; i < kept; i++)
            {
                int id = sequence[from + i];
                if (id < 0) throw new ArgumentException($"Id {from + i} of sequence {s} is {id}; ids are 0 or more.", nameof(sequences));
                row[to + i] = id;
            }
        }
        return rows;
    }

    /// <summary>
    /// The sequences as an <see cref="Unsplit"/> table: <paramref name="length"/> numeric feature columns
    /// <c>t0</c>, <c>t1</c>, … holding the padded ids (see <see cref="Pad"/>), and the label column when given. Row
    /// <c>i</c> has the provenance <c>source[i]</c>; <see cref="Table.ToDataset(TargetKind)"/> gives the model's rows.
    /// </summary>
    /// <param name="source">The name the rows' provenance gives this data.</param>
    /// <param name="sequences">The id sequences.</param>
    /// <param name="length">The length of every row, ≥ 1.</param>
    /// <param name="label">One value per sequence (e.g. <see cref="TableColumn.Categories"/> of the class names), given the role <see cref="ColumnRole.Label"/>; none when null.</param>
    /// <param name="padId">The id that fills short rows.</param>
    /// <param name="padAt">Where short sequences are padded.</param>
    /// <param name="truncateAt">Where long sequences lose ids.</param>
    /// <param name="columnPrefix">The id columns' name before the position.</param>
    /// <exception cref="ArgumentException">As for <see cref="Pad"/>; or the label's length differs from the number of sequences, or its name is an id column's.</exception>
    public static Table<Unsplit> ToTable(string source, IReadOnlyList<IReadOnlyList<int>> sequences, int length, TableColumn? label = null,
                                         int padId = Vocabulary.PadId, SequenceSide padAt = SequenceSide.End, SequenceSide truncateAt = SequenceSide.End,
                                         string columnPrefix = "t")
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        ArgumentException.ThrowIfNullOrEmpty(columnPrefix);
        var ids = Pad(sequences, length, padId, padAt, truncateAt);
        if (label is not null && label.Count != sequences.Count)
            throw new ArgumentException($"The label '{label.Name}' has {label.Count} values for {sequences.Count} sequences; give one per sequence.", nameof(label));
        var columns = new List<TableColumn>(length + 1);
        var values = new double[sequences.Count];
        for (int p = 0; p < length; p++)
        {
            for (int s = 0; s < values.Length; s++) values[s] = ids[s * length + p];
            columns.Add(TableColumn.Numbers(columnPrefix + p.ToString(CultureInfo.InvariantCulture), values));
        }
        if (label is not null)
        {
            if (columns.Any(c => c.Name == label.Name))
                throw new ArgumentException($"The label is named '{label.Name}', as an id column is; rename it or pass another columnPrefix.", nameof(label));
            columns.Add(label.WithRole(ColumnRole.Label));
        }
        return Table.Create(source, columns);
    }
}
