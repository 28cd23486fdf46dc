using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using ModelGen.Compute;

namespace ModelGen.Data;

/// <summary>What an encoder does with a level it did not see in the training rows.</summary>
public enum UnknownLevels
{
    /// <summary>Encode it as no level (one-hot: all zeros), as scikit-learn's <c>handle_unknown='ignore'</c>.</summary>
    Ignore = 0,

    /// <summary>Throw an <see cref="ArgumentException"/> naming the row, column and level.</summary>
    Error,
}

/// <summary>
/// Replaces each category (or discrete numeric) column by one 0/1 column per level seen in the training rows, named
/// <c>column=level</c>, in sorted level order (ordinal text order, or ascending numbers), as scikit-learn's
/// <c>OneHotEncoder</c>. A missing value, and by default an unseen level, gives all zeros.
/// </summary>
/// <param name="columns">The columns to encode; every category feature column when null.</param>
/// <param name="unknownLevels">What a level unseen in training does.</param>
public sealed class OneHotEncoder(IReadOnlyList<string>? columns = null, UnknownLevels unknownLevels = UnknownLevels.Ignore) : Transformer
{
    /// <summary>The columns given, or null for every category feature column.</summary>
    public IReadOnlyList<string>? Columns { get; } = columns?.ToArray();

    /// <summary>What a level unseen in training does.</summary>
    public UnknownLevels UnknownLevels { get; } = unknownLevels;

    /// <inheritdoc/>
    public override Fitted Fit(Table<Train> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        var names = Prep.Resolve(train, Columns, nameof(OneHotEncoder), Columns is null ? [ColumnType.Category] : [ColumnType.Category, ColumnType.Number]);
        var levels = new string[names.Length][];
        var types = new ColumnType[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            var c = train[names[i]];
            types[i] = c.Type;
            var seen = c.Values.ToArray().Where(x => !double.IsNaN(x)).Distinct();
            levels[i] = c.Type == ColumnType.Category
                ? seen.Select(x => c.Levels[(int)x]).Order(StringComparer.Ordinal).ToArray()
                : seen.Order().Select(Prep.Format).ToArray();
        }
        return new Fitted(train, names, types, levels, UnknownLevels);
    }

    /// <inheritdoc/>
    public override string ToString() => nameof(OneHotEncoder);

    /// <summary>A fitted <see cref="OneHotEncoder"/>: the training levels of each column.</summary>
    public sealed class Fitted : FittedTransformer
    {
        private readonly string[] _columns;
        private readonly ColumnType[] _types;
        private readonly string[][] _levels;
        private readonly UnknownLevels _unknown;

        internal Fitted(FitOrigin origin, string[] columns, ColumnType[] types, string[][] levels, UnknownLevels unknown) : base(origin)
        {
            _columns = columns;
            _types = types;
            _levels = levels;
            _unknown = unknown;
        }

        /// <summary>The encoded columns.</summary>
        public IReadOnlyList<string> Columns => _columns;

        /// <summary>The levels of column <paramref name="index"/> that got an output column, in output order.</summary>
        public IReadOnlyList<string> Levels(int index) => _levels[index];

        /// <summary>The type each encoded column had in the training table (category, or number for discrete numbers).</summary>
        internal IReadOnlyList<ColumnType> Types => _types;

        /// <summary>What a level unseen in training does.</summary>
        internal UnknownLevels UnknownLevels => _unknown;

        /// <summary>The names of the output columns, <c>column=level</c>, in order.</summary>
        public IReadOnlyList<string> OutputColumns => _columns.SelectMany((c, i) => _levels[i].Select(l => c + "=" + l)).ToArray();

        /// <inheritdoc/>
        protected override IReadOnlyList<TableColumn> TransformColumns(Table table)
        {
            var result = table.ColumnStorage.ToList();
            for (int i = 0; i < _columns.Length; i++)
            {
                var c = Input(table, _columns[i], _types[i]);
                var index = new Dictionary<string, int>(StringComparer.Ordinal);
                for (int l = 0; l < _levels[i].Length; l++) index.Add(_levels[i][l], l);
                var outputs = new double[_levels[i].Length][];
                for (int l = 0; l < outputs.Length; l++) outputs[l] = new double[table.RowCount];
                var v = c.Values;
                // Codes of this table's levels: category indices differ between tables, so go through the text.
                var codeOf = new Dictionary<double, int>();
                for (int r = 0; r < v.Length; r++)
                {
                    if (double.IsNaN(v[r])) continue;
                    if (!codeOf.TryGetValue(v[r], out int l))
                    {
                        string text = c.Format(r);
                        l = index.TryGetValue(text, out int found) ? found : -1;
                        codeOf.Add(v[r], l);
                    }
                    if (l >= 0) outputs[l][r] = 1;
                    else if (_unknown == UnknownLevels.Error)
                        throw new ArgumentException($"{nameof(OneHotEncoder)}: column '{c.Name}' is '{c.Format(r)}' in row {table.Provenance[r]} (row {r} of the {table.Role} table), a level unseen in training; the training levels are {Table.Quote(_levels[i])}.", nameof(table));
                }
                var encoded = _levels[i].Select((level, l) => TableColumn.FromStorage(c.Name + "=" + level, ColumnType.Number, c.Role, outputs[l])).ToArray();
                int at = result.FindIndex(x => x.Name == c.Name);
                result.RemoveAt(at);
                result.InsertRange(at, encoded);
            }
            return result;
        }
    }
}

/// <summary>
/// Replaces each category column by the smoothed mean of the label per level (target or mean encoding):
/// <c>(sum of labels + smoothing · prior) / (count + smoothing)</c>, prior = the training label mean; missing and unseen
/// levels get the prior. The label must be a number or a two-level category (0/1). Computed on rows that include test
/// rows, it leaks the test labels; computed on a training row's own label, it overfits — so
/// <see cref="FitTransform"/> encodes each training row with statistics from the other folds only (cross-fitting),
/// while <see cref="Fit"/> and the fitted transform use all training rows.
/// </summary>
/// <param name="columns">The columns to encode; every category feature column when null.</param>
/// <param name="smoothing">Pseudo-count of the prior, ≥ 0 (0: the plain level mean).</param>
/// <param name="folds">Folds of the cross-fitting in <see cref="FitTransform"/>, ≥ 2.</param>
/// <param name="seed">Seed of the cross-fitting folds.</param>
public sealed class TargetEncoder(IReadOnlyList<string>? columns = null, double smoothing = 1, int folds = 5, long seed = 0) : Transformer
{
    /// <summary>The columns given, or null for every category feature column.</summary>
    public IReadOnlyList<string>? Columns { get; } = columns?.ToArray();

    /// <summary>Pseudo-count of the prior.</summary>
    public double Smoothing { get; } = smoothing >= 0 ? smoothing : throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "The smoothing must be ≥ 0.");

    /// <summary>Folds of the cross-fitting.</summary>
    public int Folds { get; } = folds >= 2 ? folds : throw new ArgumentOutOfRangeException(nameof(folds), folds, "Cross-fitting needs at least 2 folds.");

    /// <summary>Seed of the cross-fitting folds.</summary>
    public long Seed { get; } = seed;

    /// <inheritdoc/>
    public override Fitted Fit(Table<Train> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        var names = Prep.Resolve(train, Columns, nameof(TargetEncoder), ColumnType.Category);
        var y = Prep.Targets(train, nameof(TargetEncoder));
        var all = Enumerable.Range(0, train.RowCount).ToArray();
        var (encodings, prior) = Learn(train, names, y, all);
        return new Fitted(train, names, encodings, prior);
    }

    /// <summary>Fits on all training rows, and encodes each training row with encodings learned from the other folds only.</summary>
    public override (FittedTransformer Fitted, Table<Train> Output) FitTransform(Table<Train> train)
    {
        var fitted = Fit(train);
        var names = fitted.Columns.ToArray();
        var y = Prep.Targets(train, nameof(TargetEncoder));
        int n = train.RowCount;
        var order = Enumerable.Range(0, n).ToArray();
        var rng = new Rng(Seed, stream: 0x7E);
        rng.Shuffle(order.AsSpan());
        int k = Math.Min(Folds, n);
        var fold = new int[n];
        for (int i = 0; i < n; i++) fold[order[i]] = i % k;
        var outputs = names.Select(_ => new double[n]).ToArray();
        for (int f = 0; f < k; f++)
        {
            var fitRows = Enumerable.Range(0, n).Where(r => fold[r] != f).ToArray();
            var (encodings, prior) = Learn(train, names, y, fitRows);
            for (int i = 0; i < names.Length; i++)
            {
                var c = train[names[i]];
                for (int r = 0; r < n; r++)
                    if (fold[r] == f) outputs[i][r] = Encode(c, r, encodings[i], prior);
            }
        }
        var columns = Prep.ReplaceEach(train, names, name => train[name], (c, i) => TableColumn.FromStorage(c.Name, ColumnType.Number, c.Role, outputs[i]));
        return (fitted, train.WithColumns(columns));
    }

    /// <inheritdoc/>
    public override string ToString() => $"{nameof(TargetEncoder)}(smoothing {Prep.Format(Smoothing)})";

    private (Dictionary<string, double>[] Encodings, double Prior) Learn(Table table, string[] names, double[] y, int[] rows)
    {
        double prior = rows.Length == 0 ? 0 : rows.Average(r => y[r]);
        var encodings = new Dictionary<string, double>[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            var c = table[names[i]];
            var sums = new Dictionary<string, (double Sum, int Count)>(StringComparer.Ordinal);
            foreach (int r in rows)
            {
                string? level = c.Level(r);
                if (level is null) continue;
                sums.TryGetValue(level, out var s);
                sums[level] = (s.Sum + y[r], s.Count + 1);
            }
            encodings[i] = sums.ToDictionary(kv => kv.Key, kv => (kv.Value.Sum + Smoothing * prior) / (kv.Value.Count + Smoothing), StringComparer.Ordinal);
        }
        return (encodings, prior);
    }

    private static double Encode(TableColumn c, int row, Dictionary<string, double> encodings, double prior)
    {
        string? level = c.Level(row);
        return level is not null && encodings.TryGetValue(level, out double e) ? e : prior;
    }

    /// <summary>A fitted <see cref="TargetEncoder"/>: the encoding of each training level and the prior.</summary>
    public sealed class Fitted : FittedTransformer
    {
        private readonly string[] _columns;
        private readonly Dictionary<string, double>[] _encodings;

        internal Fitted(FitOrigin origin, string[] columns, Dictionary<string, double>[] encodings, double prior) : base(origin)
        {
            _columns = columns;
            _encodings = encodings;
            Prior = prior;
        }

        /// <summary>The encoded columns.</summary>
        public IReadOnlyList<string> Columns => _columns;

        /// <summary>The training label mean: the encoding of missing and unseen levels.</summary>
        public double Prior { get; }

        /// <summary>The encoding of each level of column <paramref name="index"/> seen in training.</summary>
        public IReadOnlyDictionary<string, double> Encodings(int index) => _encodings[index];

        /// <inheritdoc/>
        protected override IReadOnlyList<TableColumn> TransformColumns(Table table) =>
            Prep.ReplaceEach(table, _columns, name => Input(table, name, ColumnType.Category), (c, i) =>
            {
                var y = new double[c.Count];
                for (int r = 0; r < y.Length; r++) y[r] = Encode(c, r, _encodings[i], Prior);
                return TableColumn.FromStorage(c.Name, ColumnType.Number, c.Role, y);
            });
    }
}

/// <summary>
/// The hashing trick, as scikit-learn's <c>FeatureHasher</c> on dictionaries: each category value becomes the feature
/// <c>column=level</c> with value 1 and each numeric value the feature <c>column</c> with its value; a feature goes to
/// output column |h| mod n (h its signed 32-bit MurmurHash3 of the UTF-8 text, seed 0), with the sign of h when
/// <paramref name="alternateSign"/>. The input columns are replaced by <c>hash0</c> … <c>hash{n−1}</c>. Nothing is
/// learned, so fitting sees nothing but the column list.
/// </summary>
/// <param name="outputs">Number of output columns, from 1 to <see cref="MaxOutputs"/>.</param>
/// <param name="columns">The columns to hash; every category feature column when null.</param>
/// <param name="alternateSign">Give each feature the sign of its hash, so collisions cancel out on average.</param>
/// <param name="prefix">The output columns' name prefix.</param>
public sealed class FeatureHasher(int outputs, IReadOnlyList<string>? columns = null, bool alternateSign = true, string prefix = "hash") : Transformer
{
    /// <summary>The most output columns a hasher makes: 2^20, scikit-learn's default, already far wider than a model's input.</summary>
    public const int MaxOutputs = 1 << 20;

    /// <summary>Number of output columns.</summary>
    public int Outputs { get; } = outputs is >= 1 and <= MaxOutputs ? outputs
        : throw new ArgumentOutOfRangeException(nameof(outputs), outputs, $"The number of output columns must be from 1 to {MaxOutputs}.");

    /// <summary>The columns given, or null for every category feature column.</summary>
    public IReadOnlyList<string>? Columns { get; } = columns?.ToArray();

    /// <summary>Whether each feature gets the sign of its hash.</summary>
    public bool AlternateSign { get; } = alternateSign;

    /// <summary>The output columns' name prefix.</summary>
    public string Prefix { get; } = string.IsNullOrEmpty(prefix) ? throw new ArgumentException("The prefix cannot be empty.", nameof(prefix)) : prefix;

    /// <inheritdoc/>
    public override Fitted Fit(Table<Train> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        var names = Prep.Resolve(train, Columns, nameof(FeatureHasher), Columns is null ? [ColumnType.Category] : [ColumnType.Category, ColumnType.Number]);
        return new Fitted(train, names, names.Select(n => train[n].Type).ToArray(), this);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{nameof(FeatureHasher)}({Outputs})";

    /// <summary>MurmurHash3 (x86, 32-bit) of <paramref name="data"/>, as a signed integer (scikit-learn's <c>murmurhash3_32(..., positive=False)</c>).</summary>
    internal static int Murmur3(ReadOnlySpan<byte> data, uint seed = 0)
    {
        const uint c1 = 0xcc9e2d51, c2 = 0x1b873593;
        uint h = seed;
        int blocks = data.Length / 4;
        for (int i = 0; i < blocks; i++)
        {
            uint k = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i * 4, 4));
            k *= c1;
            k = uint.RotateLeft(k, 15);
            k *= c2;
            h ^= k;
            h = uint.RotateLeft(h, 13);
            h = h * 5 + 0xe6546b64;
        }
        var tail = data[(blocks * 4)..];
        uint k1 = 0;
        switch (tail.Length)
        {
            case 3: k1 ^= (uint)tail[2] << 16; goto case 2;
            case 2: k1 ^= (uint)tail[1] << 8; goto case 1;
            case 1:
                k1 ^= tail[0];
                k1 *= c1;
                k1 = uint.RotateLeft(k1, 15);
                k1 *= c2;
                h ^= k1;
                break;
        }
        h ^= (uint)data.Length;
        h ^= h >> 16;
        h *= 0x85ebca6b;
        h ^= h >> 13;
        h *= 0xc2b2ae35;
        h ^= h >> 16;
        return unchecked((int)h);
    }

    /// <summary>The output column and sign of the feature named <paramref name="feature"/>.</summary>
    internal (int Index, double Sign) Bucket(string feature)
    {
        int h = Murmur3(Encoding.UTF8.GetBytes(feature));
        int index = h == int.MinValue ? (int.MaxValue - (Outputs - 1)) % Outputs : Math.Abs(h) % Outputs;
        return (index, AlternateSign && h < 0 ? -1 : 1);
    }

    /// <summary>A fitted <see cref="FeatureHasher"/> (nothing learned but the column list).</summary>
    public sealed class Fitted : FittedTransformer
    {
        private readonly string[] _columns;
        private readonly ColumnType[] _types;
        private readonly FeatureHasher _hasher;

        internal Fitted(FitOrigin origin, string[] columns, ColumnType[] types, FeatureHasher hasher) : base(origin)
        {
            _columns = columns;
            _types = types;
            _hasher = hasher;
        }

        /// <summary>The hashed columns.</summary>
        public IReadOnlyList<string> Columns => _columns;

        /// <summary>The type each hashed column had in the training table.</summary>
        internal IReadOnlyList<ColumnType> Types => _types;

        /// <summary>The hashing settings: output count, sign and prefix.</summary>
        internal FeatureHasher Hasher => _hasher;

        /// <inheritdoc/>
        protected override IReadOnlyList<TableColumn> TransformColumns(Table table)
        {
            int n = table.RowCount, m = _hasher.Outputs;
            var outputs = new double[m][];
            for (int j = 0; j < m; j++) outputs[j] = new double[n];
            var sources = new List<TableColumn>();
            for (int i = 0; i < _columns.Length; i++)
            {
                var c = Input(table, _columns[i], _types[i]);
                sources.Add(c);
                var v = c.Values;
                if (c.Type == ColumnType.Number)
                {
                    var (index, sign) = _hasher.Bucket(c.Name);
                    for (int r = 0; r < n; r++) if (!double.IsNaN(v[r])) outputs[index][r] += sign * v[r];
                }
                else
                {
                    var buckets = c.Levels.Select(l => _hasher.Bucket(c.Name + "=" + l)).ToArray();
                    for (int r = 0; r < n; r++)
                    {
                        if (double.IsNaN(v[r])) continue;
                        var (index, sign) = buckets[(int)v[r]];
                        outputs[index][r] += sign;
                    }
                }
            }
            var role = Prep.DerivedRole(sources);
            var hashed = Enumerable.Range(0, m)
                .Select(j => TableColumn.FromStorage(_hasher.Prefix + j.ToString(CultureInfo.InvariantCulture), ColumnType.Number, role, outputs[j])).ToArray();
            return Prep.Splice(table, _columns, hashed);
        }
    }
}
