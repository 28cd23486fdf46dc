using System;
using System.Collections.Generic;
using System.Linq;

namespace ModelGen.Data;

/// <summary>
/// Standardises numeric columns: <c>(x − mean) / standard deviation</c>, with the mean and the population standard
/// deviation (as scikit-learn's <c>StandardScaler</c>) of the training rows; a constant column is only centred.
/// Missing values are ignored when fitting and stay missing.
/// </summary>
/// <param name="columns">The columns to scale; every numeric feature column when null.</param>
public sealed class StandardScaler(IReadOnlyList<string>? columns = null) : Transformer
{
    /// <summary>The columns given, or null for every numeric feature column.</summary>
    public IReadOnlyList<string>? Columns { get; } = columns?.ToArray();

    /// <inheritdoc/>
    public override Fitted Fit(Table<Train> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        var names = Prep.Resolve(train, Columns, nameof(StandardScaler), ColumnType.Number);
        var means = new double[names.Length];
        var scales = new double[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            var (mean, variance, n) = Prep.Moments(train[names[i]].Values);
            if (n == 0) throw Prep.AllMissing(nameof(StandardScaler), names[i], train);
            means[i] = mean;
            scales[i] = variance > 0 ? Math.Sqrt(variance) : 1;
        }
        return new Fitted(train, names, means, scales);
    }

    /// <inheritdoc/>
    public override string ToString() => nameof(StandardScaler);

    /// <summary>A fitted <see cref="StandardScaler"/>: the training means and standard deviations.</summary>
    public sealed class Fitted : FittedTransformer
    {
        private readonly string[] _columns;
        private readonly double[] _means, _scales;

        internal Fitted(FitOrigin origin, string[] columns, double[] means, double[] scales) : base(origin)
        {
            _columns = columns;
            _means = means;
            _scales = scales;
        }

        /// <summary>The scaled columns.</summary>
        public IReadOnlyList<string> Columns => _columns;

        /// <summary>The training mean of each column.</summary>
        public IReadOnlyList<double> Means => _means;

        /// <summary>The divisor of each column: the training population standard deviation, or 1 for a constant column.</summary>
        public IReadOnlyList<double> Scales => _scales;

        /// <inheritdoc/>
        protected override IReadOnlyList<TableColumn> TransformColumns(Table table) =>
            Prep.ReplaceEach(table, _columns, name => Input(table, name, ColumnType.Number), (c, i) =>
            {
                var v = c.Values;
                var y = new double[v.Length];
                for (int r = 0; r < y.Length; r++) y[r] = (v[r] - _means[i]) / _scales[i];
                return TableColumn.FromStorage(c.Name, ColumnType.Number, c.Role, y);
            });
    }
}

/// <summary>
/// Rescales numeric columns linearly so that the training minimum and maximum map to <paramref name="min"/> and
/// <paramref name="max"/> (as scikit-learn's <c>MinMaxScaler</c>); other rows may fall outside that range. A constant
/// column is only shifted. Missing values are ignored when fitting and stay missing.
/// </summary>
/// <param name="columns">The columns to scale; every numeric feature column when null.</param>
/// <param name="min">The value the training minimum maps to.</param>
/// <param name="max">The value the training maximum maps to; greater than <paramref name="min"/>.</param>
public sealed class MinMaxScaler(IReadOnlyList<string>? columns = null, double min = 0, double max = 1) : Transformer
{
    /// <summary>The columns given, or null for every numeric feature column.</summary>
    public IReadOnlyList<string>? Columns { get; } = columns?.ToArray();

    /// <summary>The value the training minimum maps to.</summary>
    public double Min { get; } = min < max ? min : throw new ArgumentOutOfRangeException(nameof(min), min, $"The range's minimum must be below its maximum ({max}).");

    /// <summary>The value the training maximum maps to.</summary>
    public double Max { get; } = max;

    /// <inheritdoc/>
    public override Fitted Fit(Table<Train> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        var names = Prep.Resolve(train, Columns, nameof(MinMaxScaler), ColumnType.Number);
        var lows = new double[names.Length];
        var highs = new double[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
            foreach (double x in train[names[i]].Values)
            {
                if (double.IsNaN(x)) continue;
                lo = Math.Min(lo, x);
                hi = Math.Max(hi, x);
            }
            if (lo > hi) throw Prep.AllMissing(nameof(MinMaxScaler), names[i], train);
            lows[i] = lo;
            highs[i] = hi;
        }
        return new Fitted(train, names, lows, highs, Min, Max);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{nameof(MinMaxScaler)}({Prep.Format(Min)}..{Prep.Format(Max)})";

    /// <summary>A fitted <see cref="MinMaxScaler"/>: the training minimum and maximum of each column.</summary>
    public sealed class Fitted : FittedTransformer
    {
        private readonly string[] _columns;
        private readonly double[] _lows, _highs;
        private readonly double _min, _max;

        internal Fitted(FitOrigin origin, string[] columns, double[] lows, double[] highs, double min, double max) : base(origin)
        {
            _columns = columns;
            _lows = lows;
            _highs = highs;
            _min = min;
            _max = max;
        }

        /// <summary>The scaled columns.</summary>
        public IReadOnlyList<string> Columns => _columns;

        /// <summary>The training minimum of each column.</summary>
        public IReadOnlyList<double> DataMin => _lows;

        /// <summary>The training maximum of each column.</summary>
        public IReadOnlyList<double> DataMax => _highs;

        /// <summary>The value the training minimum maps to.</summary>
        internal double RangeMin => _min;

        /// <summary>The value the training maximum maps to.</summary>
        internal double RangeMax => _max;

        /// <inheritdoc/>
        protected override IReadOnlyList<TableColumn> TransformColumns(Table table) =>
            Prep.ReplaceEach(table, _columns, name => Input(table, name, ColumnType.Number), (c, i) =>
            {
                double range = _highs[i] - _lows[i];
                double scale = (_max - _min) / (range > 0 ? range : 1);
                var v = c.Values;
                var y = new double[v.Length];
                for (int r = 0; r < y.Length; r++) y[r] = (v[r] - _lows[i]) * scale + _min;
                return TableColumn.FromStorage(c.Name, ColumnType.Number, c.Role, y);
            });
    }
}

/// <summary>The statistic an <see cref="Imputer"/> fills missing values with.</summary>
public enum ImputeStrategy
{
    /// <summary>The mean of the training values.</summary>
    Mean = 0,

    /// <summary>The median of the training values (the mean of the two middle ones for an even count).</summary>
    Median,
}

/// <summary>
/// Fills missing values (NaN) of numeric columns with the mean or median of the column's training values, as
/// scikit-learn's <c>SimpleImputer</c>. Computing that statistic before the split would leak the test rows into it.
/// </summary>
/// <param name="strategy">Mean or median.</param>
/// <param name="columns">The columns to fill; every numeric feature column when null.</param>
public sealed class Imputer(ImputeStrategy strategy = ImputeStrategy.Mean, IReadOnlyList<string>? columns = null) : Transformer
{
    /// <summary>Mean or median.</summary>
    public ImputeStrategy Strategy { get; } = Enum.IsDefined(strategy) ? strategy : throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "Unknown strategy.");

    /// <summary>The columns given, or null for every numeric feature column.</summary>
    public IReadOnlyList<string>? Columns { get; } = columns?.ToArray();

    /// <inheritdoc/>
    public override Fitted Fit(Table<Train> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        var names = Prep.Resolve(train, Columns, nameof(Imputer), ColumnType.Number);
        var fill = new double[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            var present = train[names[i]].Values.ToArray().Where(x => !double.IsNaN(x)).ToArray();
            if (present.Length == 0) throw Prep.AllMissing(nameof(Imputer), names[i], train);
            fill[i] = Strategy == ImputeStrategy.Mean ? Prep.Moments(present).Mean : Median(present);
        }
        return new Fitted(train, names, fill);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{nameof(Imputer)}({Strategy})";

    internal static double Median(double[] values)
    {
        Array.Sort(values);
        int n = values.Length;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }

    /// <summary>A fitted <see cref="Imputer"/>: the value each column's missing entries get.</summary>
    public sealed class Fitted : FittedTransformer
    {
        private readonly string[] _columns;
        private readonly double[] _fill;

        internal Fitted(FitOrigin origin, string[] columns, double[] fill) : base(origin)
        {
            _columns = columns;
            _fill = fill;
        }

        /// <summary>The filled columns.</summary>
        public IReadOnlyList<string> Columns => _columns;

        /// <summary>The fill value of each column (the training mean or median).</summary>
        public IReadOnlyList<double> Statistics => _fill;

        /// <inheritdoc/>
        protected override IReadOnlyList<TableColumn> TransformColumns(Table table) =>
            Prep.ReplaceEach(table, _columns, name => Input(table, name, ColumnType.Number), (c, i) =>
            {
                var y = c.Values.ToArray();
                for (int r = 0; r < y.Length; r++) if (double.IsNaN(y[r])) y[r] = _fill[i];
                return TableColumn.FromStorage(c.Name, ColumnType.Number, c.Role, y);
            });
    }
}
