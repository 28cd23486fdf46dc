using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace ModelGen.Data;

/// <summary>
/// Appends products of numeric columns up to <paramref name="degree"/>, in scikit-learn's <c>PolynomialFeatures</c> order
/// (degree 2 of a, b: <c>a^2</c>, <c>a*b</c>, <c>b^2</c>); the input columns stay. With <paramref name="interactionOnly"/>
/// only products of distinct columns (crosses) are made. A product of a column known after the outcome is too.
/// </summary>
/// <param name="degree">The highest total degree, ≥ 2.</param>
/// <param name="columns">The columns to multiply; every numeric feature column when null.</param>
/// <param name="interactionOnly">Leave out powers of a single column.</param>
public sealed class PolynomialFeatures(int degree = 2, IReadOnlyList<string>? columns = null, bool interactionOnly = false) : Transformer
{
    /// <summary>The highest total degree.</summary>
    public int Degree { get; } = degree >= 2 ? degree : throw new ArgumentOutOfRangeException(nameof(degree), degree, "The degree must be at least 2.");

    /// <summary>The columns given, or null for every numeric feature column.</summary>
    public IReadOnlyList<string>? Columns { get; } = columns?.ToArray();

    /// <summary>Whether only products of distinct columns are made.</summary>
    public bool InteractionOnly { get; } = interactionOnly;

    /// <inheritdoc/>
    public override Fitted Fit(Table<Train> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        var names = Prep.Resolve(train, Columns, nameof(PolynomialFeatures), ColumnType.Number);
        var terms = new List<int[]>();
        for (int d = 2; d <= Degree; d++) Combine(names.Length, d, 0, [], terms);
        return new Fitted(train, names, terms.ToArray());
    }

    /// <inheritdoc/>
    public override string ToString() => $"{nameof(PolynomialFeatures)}(degree {Degree}{(InteractionOnly ? ", interactions only" : "")})";

    private void Combine(int n, int left, int from, List<int> current, List<int[]> terms)
    {
        if (left == 0)
        {
            terms.Add(current.ToArray());
            return;
        }
        for (int i = from; i < n; i++)
        {
            current.Add(i);
            Combine(n, left - 1, InteractionOnly ? i + 1 : i, current, terms);
            current.RemoveAt(current.Count - 1);
        }
    }

    /// <summary>A fitted <see cref="PolynomialFeatures"/>: the product terms.</summary>
    public sealed class Fitted : FittedTransformer
    {
        private readonly string[] _columns;
        private readonly int[][] _terms;

        internal Fitted(FitOrigin origin, string[] columns, int[][] terms) : base(origin)
        {
            _columns = columns;
            _terms = terms;
        }

        /// <summary>The multiplied columns.</summary>
        public IReadOnlyList<string> Columns => _columns;

        /// <summary>The product terms: indices into <see cref="Columns"/>, one per factor.</summary>
        internal IReadOnlyList<int[]> Terms => _terms;

        /// <summary>The names of the appended columns, e.g. <c>a^2</c>, <c>a*b</c>, <c>a^2*b</c>.</summary>
        public IReadOnlyList<string> OutputColumns => _terms.Select(Name).ToArray();

        private string Name(int[] term) =>
            string.Join("*", term.GroupBy(i => i).Select(g => g.Count() == 1 ? _columns[g.Key] : _columns[g.Key] + "^" + g.Count().ToString(CultureInfo.InvariantCulture)));

        /// <inheritdoc/>
        protected override IReadOnlyList<TableColumn> TransformColumns(Table table)
        {
            var inputs = _columns.Select(n => Input(table, n, ColumnType.Number)).ToArray();
            var result = table.ColumnStorage.ToList();
            foreach (var term in _terms)
            {
                var y = new double[table.RowCount];
                Array.Fill(y, 1.0);
                foreach (int i in term)
                {
                    var v = inputs[i].Values;
                    for (int r = 0; r < y.Length; r++) y[r] *= v[r];
                }
                result.Add(TableColumn.FromStorage(Name(term), ColumnType.Number, Prep.DerivedRole(term.Select(i => inputs[i])), y));
            }
            return result;
        }
    }
}

/// <summary>
/// Drops numeric columns whose training variance (population) is not above <paramref name="threshold"/>, as
/// scikit-learn's <c>VarianceThreshold</c>; with the default 0, constant columns go.
/// </summary>
/// <param name="threshold">Columns need a variance above this, ≥ 0.</param>
/// <param name="columns">The candidate columns; every numeric feature column when null.</param>
public sealed class VarianceThreshold(double threshold = 0, IReadOnlyList<string>? columns = null) : Transformer
{
    /// <summary>Columns need a training variance above this.</summary>
    public double Threshold { get; } = threshold >= 0 ? threshold : throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold must be ≥ 0.");

    /// <summary>The columns given, or null for every numeric feature column.</summary>
    public IReadOnlyList<string>? Columns { get; } = columns?.ToArray();

    /// <inheritdoc/>
    public override Fitted Fit(Table<Train> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        var names = Prep.Resolve(train, Columns, nameof(VarianceThreshold), ColumnType.Number);
        var variances = names.Select(n => Prep.Moments(train[n].Values).Variance).ToArray();
        var dropped = names.Where((_, i) => !(variances[i] > Threshold)).ToArray();
        return new Fitted(train, names, variances, dropped);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{nameof(VarianceThreshold)}({Prep.Format(Threshold)})";

    /// <summary>A fitted <see cref="VarianceThreshold"/>: the training variances and the dropped columns.</summary>
    public sealed class Fitted : FittedTransformer
    {
        private readonly string[] _columns, _dropped;
        private readonly double[] _variances;

        internal Fitted(FitOrigin origin, string[] columns, double[] variances, string[] dropped) : base(origin)
        {
            _columns = columns;
            _variances = variances;
            _dropped = dropped;
        }

        /// <summary>The candidate columns.</summary>
        public IReadOnlyList<string> Columns => _columns;

        /// <summary>The training variance of each candidate column (NaN when it had no value).</summary>
        public IReadOnlyList<double> Variances => _variances;

        /// <summary>The columns the transform drops.</summary>
        public IReadOnlyList<string> Dropped => _dropped;

        /// <inheritdoc/>
        protected override IReadOnlyList<TableColumn> TransformColumns(Table table)
        {
            foreach (var n in _dropped) Input(table, n, ColumnType.Number);
            return table.ColumnStorage.Where(c => !_dropped.Contains(c.Name)).ToArray();
        }
    }
}

/// <summary>The univariate score <see cref="SelectKBest"/> ranks columns by.</summary>
public enum FeatureScore
{
    /// <summary>The ANOVA F statistic between the column and the classes of the label (scikit-learn's <c>f_classif</c>).</summary>
    AnovaF = 0,

    /// <summary>The F statistic of the column's correlation with a numeric label, r² / (1 − r²) · (n − 2) (scikit-learn's <c>f_regression</c>).</summary>
    RegressionF,
}

/// <summary>
/// Keeps the <paramref name="k"/> numeric columns that score highest against the label on the training rows and drops
/// the other candidates, as scikit-learn's <c>SelectKBest</c>. Scoring on rows that include test rows is a leak.
/// Ties keep the earlier column; a constant column scores lowest.
/// </summary>
/// <param name="k">How many columns to keep, ≥ 1.</param>
/// <param name="score">The univariate score.</param>
/// <param name="columns">The candidate columns; every numeric feature column when null.</param>
public sealed class SelectKBest(int k, FeatureScore score = FeatureScore.AnovaF, IReadOnlyList<string>? columns = null) : Transformer
{
    /// <summary>How many columns to keep.</summary>
    public int K { get; } = k >= 1 ? k : throw new ArgumentOutOfRangeException(nameof(k), k, "At least one column must be kept.");

    /// <summary>The univariate score.</summary>
    public FeatureScore Score { get; } = Enum.IsDefined(score) ? score : throw new ArgumentOutOfRangeException(nameof(score), score, "Unknown score.");

    /// <summary>The columns given, or null for every numeric feature column.</summary>
    public IReadOnlyList<string>? Columns { get; } = columns?.ToArray();

    /// <inheritdoc/>
    public override Fitted Fit(Table<Train> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        var names = Prep.Resolve(train, Columns, nameof(SelectKBest), ColumnType.Number);
        if (K > names.Length)
            throw new ArgumentOutOfRangeException(nameof(K), K, $"{nameof(SelectKBest)} is to keep {K} columns but has only {names.Length} candidates: {Table.Quote(names)}.");
        double[] scores;
        if (Score == FeatureScore.AnovaF)
        {
            var classes = Prep.Classes(train, nameof(SelectKBest), out int classCount);
            scores = names.Select(n => AnovaF(Values(train, n), classes, classCount)).ToArray();
        }
        else
        {
            var y = Prep.Targets(train, nameof(SelectKBest));
            scores = names.Select(n => RegressionF(Values(train, n), y)).ToArray();
        }
        var keep = Enumerable.Range(0, names.Length)
            .OrderByDescending(i => double.IsNaN(scores[i]) ? double.NegativeInfinity : scores[i]).ThenBy(i => i)
            .Take(K).ToHashSet();
        return new Fitted(train, names, scores, names.Where((_, i) => !keep.Contains(i)).ToArray());
    }

    /// <inheritdoc/>
    public override string ToString() => $"{nameof(SelectKBest)}({K}, {Score})";

    private static double[] Values(Table table, string name)
    {
        var c = table[name];
        for (int r = 0; r < c.Count; r++) if (c.IsMissing(r)) throw Prep.Missing(nameof(SelectKBest), c, table, r);
        return c.Values.ToArray();
    }

    internal static double AnovaF(double[] x, int[] classes, int classCount)
    {
        int n = x.Length;
        if (classCount < 2 || n <= classCount) return double.NaN;
        var sums = new double[classCount];
        var counts = new int[classCount];
        double total = 0;
        for (int r = 0; r < n; r++) { sums[classes[r]] += x[r]; counts[classes[r]]++; total += x[r]; }
        double mean = total / n, between = 0, within = 0;
        for (int c = 0; c < classCount; c++) between += counts[c] * Math.Pow(sums[c] / counts[c] - mean, 2);
        for (int r = 0; r < n; r++) within += Math.Pow(x[r] - sums[classes[r]] / counts[classes[r]], 2);
        return between / (classCount - 1) / (within / (n - classCount));
    }

    internal static double RegressionF(double[] x, double[] y)
    {
        int n = x.Length;
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int r = 0; r < n; r++)
        {
            sxy += (x[r] - mx) * (y[r] - my);
            sxx += (x[r] - mx) * (x[r] - mx);
            syy += (y[r] - my) * (y[r] - my);
        }
        double corr = sxy / Math.Sqrt(sxx * syy);
        return corr * corr / (1 - corr * corr) * (n - 2);
    }

    /// <summary>A fitted <see cref="SelectKBest"/>: each candidate's score and the dropped columns.</summary>
    public sealed class Fitted : FittedTransformer
    {
        private readonly string[] _columns, _dropped;
        private readonly double[] _scores;

        internal Fitted(FitOrigin origin, string[] columns, double[] scores, string[] dropped) : base(origin)
        {
            _columns = columns;
            _scores = scores;
            _dropped = dropped;
        }

        /// <summary>The candidate columns.</summary>
        public IReadOnlyList<string> Columns => _columns;

        /// <summary>The training score of each candidate (NaN for a constant column).</summary>
        public IReadOnlyList<double> Scores => _scores;

        /// <summary>The kept candidates, in table order.</summary>
        public IReadOnlyList<string> Selected => _columns.Where(c => !_dropped.Contains(c)).ToArray();

        /// <summary>The candidates the transform drops.</summary>
        public IReadOnlyList<string> Dropped => _dropped;

        /// <inheritdoc/>
        protected override IReadOnlyList<TableColumn> TransformColumns(Table table)
        {
            foreach (var n in _columns) Input(table, n, ColumnType.Number);
            return table.ColumnStorage.Where(c => !_dropped.Contains(c.Name)).ToArray();
        }
    }
}

/// <summary>
/// Principal component analysis: replaces the numeric columns by their projections on the <paramref name="components"/>
/// directions of largest training variance, <c>pc1</c> … <c>pcK</c>, as scikit-learn's <c>PCA</c> (centred, not
/// whitened; variances with n − 1). Each component's sign makes its largest-magnitude loading positive (scikit-learn
/// may choose the opposite sign). Missing values are an error: impute first.
/// </summary>
/// <param name="components">Number of components, from 1 to the number of columns.</param>
/// <param name="columns">The columns to project; every numeric feature column when null.</param>
/// <param name="prefix">The output columns' name prefix.</param>
public sealed class Pca(int components, IReadOnlyList<string>? columns = null, string prefix = "pc") : Transformer
{
    /// <summary>Number of components.</summary>
    public int Components { get; } = components >= 1 ? components : throw new ArgumentOutOfRangeException(nameof(components), components, "At least one component is needed.");

    /// <summary>The columns given, or null for every numeric feature column.</summary>
    public IReadOnlyList<string>? Columns { get; } = columns?.ToArray();

    /// <summary>The output columns' name prefix.</summary>
    public string Prefix { get; } = string.IsNullOrEmpty(prefix) ? throw new ArgumentException("The prefix cannot be empty.", nameof(prefix)) : prefix;

    /// <inheritdoc/>
    public override Fitted Fit(Table<Train> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        var names = Prep.Resolve(train, Columns, nameof(Pca), ColumnType.Number);
        int d = names.Length, n = train.RowCount;
        if (Components > d) throw new ArgumentOutOfRangeException(nameof(Components), Components, $"{nameof(Pca)} asks for {Components} components of {d} columns.");
        if (n < 2) throw new ArgumentException($"{nameof(Pca)} needs at least 2 training rows; the {train.Role} table has {n}.", nameof(train));
        var x = new double[d][];
        var mean = new double[d];
        for (int j = 0; j < d; j++)
        {
            var c = train[names[j]];
            for (int r = 0; r < n; r++) if (c.IsMissing(r)) throw Prep.Missing(nameof(Pca), c, train, r);
            x[j] = c.Values.ToArray();
            mean[j] = x[j].Average();
            for (int r = 0; r < n; r++) x[j][r] -= mean[j];
        }
        var cov = new double[d, d];
        for (int a = 0; a < d; a++)
            for (int b = a; b < d; b++)
            {
                double s = 0;
                for (int r = 0; r < n; r++) s += x[a][r] * x[b][r];
                cov[a, b] = cov[b, a] = s / (n - 1);
            }
        double total = 0;
        for (int j = 0; j < d; j++) total += cov[j, j];
        var (values, vectors) = SymmetricEigen(cov);
        var order = Enumerable.Range(0, d).OrderByDescending(i => values[i]).ThenBy(i => i).Take(Components).ToArray();
        var loadings = new double[Components][];
        var variance = new double[Components];
        for (int k = 0; k < Components; k++)
        {
            int i = order[k];
            variance[k] = Math.Max(values[i], 0);
            loadings[k] = new double[d];
            int biggest = 0;
            for (int j = 0; j < d; j++)
            {
                loadings[k][j] = vectors[j, i];
                if (Math.Abs(vectors[j, i]) > Math.Abs(vectors[biggest, i])) biggest = j;
            }
            if (loadings[k][biggest] < 0) for (int j = 0; j < d; j++) loadings[k][j] = -loadings[k][j];
        }
        return new Fitted(train, names, mean, loadings, variance, total, Prefix);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{nameof(Pca)}({Components})";

    /// <summary>Eigenvalues and eigenvectors (columns) of a symmetric matrix, by cyclic Jacobi rotations.</summary>
    internal static (double[] Values, double[,] Vectors) SymmetricEigen(double[,] matrix)
    {
        int d = matrix.GetLength(0);
        var a = (double[,])matrix.Clone();
        var v = new double[d, d];
        for (int i = 0; i < d; i++) v[i, i] = 1;
        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0, diag = 0;
            for (int p = 0; p < d; p++)
            {
                diag += a[p, p] * a[p, p];
                for (int q = p + 1; q < d; q++) off += a[p, q] * a[p, q];
            }
            if (off <= 1e-30 * Math.Max(diag, double.Epsilon)) break;
            for (int p = 0; p < d - 1; p++)
                for (int q = p + 1; q < d; q++)
                {
                    double apq = a[p, q];
                    if (apq == 0) continue;
                    double theta = (a[q, q] - a[p, p]) / (2 * apq);
                    double t = Math.Sign(theta == 0 ? 1 : theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < d; k++)
                    {
                        double akp = a[k, p], akq = a[k, q];
                        a[k, p] = c * akp - s * akq;
                        a[k, q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < d; k++)
                    {
                        double apk = a[p, k], aqk = a[q, k];
                        a[p, k] = c * apk - s * aqk;
                        a[q, k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < d; k++)
                    {
                        double vkp = v[k, p], vkq = v[k, q];
                        v[k, p] = c * vkp - s * vkq;
                        v[k, q] = s * vkp + c * vkq;
                    }
                }
        }
        var values = new double[d];
        for (int i = 0; i < d; i++) values[i] = a[i, i];
        return (values, v);
    }

    /// <summary>A fitted <see cref="Pca"/>: the training mean, the component loadings and their variances.</summary>
    public sealed class Fitted : FittedTransformer
    {
        private readonly string[] _columns;
        private readonly double[] _mean, _variance;
        private readonly double[][] _loadings;
        private readonly double _total;
        private readonly string _prefix;

        internal Fitted(FitOrigin origin, string[] columns, double[] mean, double[][] loadings, double[] variance, double total, string prefix) : base(origin)
        {
            _columns = columns;
            _mean = mean;
            _loadings = loadings;
            _variance = variance;
            _total = total;
            _prefix = prefix;
        }

        /// <summary>The projected columns.</summary>
        public IReadOnlyList<string> Columns => _columns;

        /// <summary>The training mean of each column.</summary>
        public IReadOnlyList<double> Mean => _mean;

        /// <summary>Component <paramref name="k"/>'s unit loading vector, one weight per column.</summary>
        public IReadOnlyList<double> Component(int k) => _loadings[k];

        /// <summary>The training variance along each component (the covariance eigenvalues, n − 1 denominator).</summary>
        public IReadOnlyList<double> ExplainedVariance => _variance;

        /// <summary>Number of components.</summary>
        internal int ComponentCount => _loadings.Length;

        /// <summary>The total training variance of the columns (the covariance trace).</summary>
        internal double TotalVariance => _total;

        /// <summary>The output columns' name prefix.</summary>
        internal string Prefix => _prefix;

        /// <summary>Each component's share of the total training variance.</summary>
        public IReadOnlyList<double> ExplainedVarianceRatio => _variance.Select(v => _total > 0 ? v / _total : 0).ToArray();

        /// <inheritdoc/>
        protected override IReadOnlyList<TableColumn> TransformColumns(Table table)
        {
            var inputs = _columns.Select(n => Input(table, n, ColumnType.Number)).ToArray();
            int n = table.RowCount;
            var role = Prep.DerivedRole(inputs);
            var outputs = new TableColumn[_loadings.Length];
            for (int k = 0; k < _loadings.Length; k++)
            {
                var y = new double[n];
                for (int j = 0; j < inputs.Length; j++)
                {
                    var v = inputs[j].Values;
                    double w = _loadings[k][j], m = _mean[j];
                    for (int r = 0; r < n; r++)
                    {
                        if (double.IsNaN(v[r])) throw Prep.Missing(nameof(Pca), inputs[j], table, r);
                        y[r] += (v[r] - m) * w;
                    }
                }
                outputs[k] = TableColumn.FromStorage(_prefix + (k + 1).ToString(CultureInfo.InvariantCulture), ColumnType.Number, role, y);
            }
            return Prep.Splice(table, _columns, outputs);
        }
    }
}
