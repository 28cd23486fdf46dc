using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using ModelGen.Data;
using ModelGen.Serialization;

namespace ModelGen.Monitoring;

/// <summary>
/// Watches the inputs a deployed model sees for drift away from its training data. Built once from the training table,
/// it keeps per feature what the comparison needs — the sorted values of a numeric column, the level counts of a
/// categorical one — and compares windows of live rows with it: the two-sample Kolmogorov–Smirnov test for numeric
/// features, Pearson's chi-square for categorical ones, and the population stability index for both (definitions,
/// p-value methods and thresholds in docs/monitoring.md; checked against SciPy).
/// </summary>
/// <remarks>
/// <para>Memory: 8 bytes per training value of each numeric feature (the sorted values; the exact KS p-value needs all
/// of them) plus the PSI bins; a categorical feature keeps its levels and one count each. <see cref="ReferenceBytes"/> gives the figure.</para>
/// <para>Thread safety: a monitor is immutable once built; <see cref="Check(Table)"/> and <see cref="Check(ReadOnlySpan{double})"/>
/// may be called from any number of threads at once. <see cref="DriftWindow"/> (from <see cref="CreateWindow"/>) adds
/// rows and checks under its own lock.</para>
/// </remarks>
/// <example><code>
/// var monitor = DriftMonitor.Create(train);                 // numeric and categorical feature columns of the training table
/// monitor.Save("drift.json");                               // beside the model file
/// // in the service:
/// var window = DriftMonitor.Load("drift.json").CreateWindow(capacity: 1000);
/// window.Add(liveRows);                                     // a Table, or one row at a time: window.Add(row)
/// DriftReport report = window.Check();
/// Console.WriteLine(report);                                // which features drifted, with statistic, p-value and PSI
/// </code></example>
public sealed class DriftMonitor
{
    private readonly FeatureReference[] _features;
    private readonly Dictionary<string, int> _index;

    private DriftMonitor(FeatureReference[] features, int trainingRows, DriftOptions options)
    {
        _features = features;
        TrainingRows = trainingRows;
        Options = options;
        _index = new Dictionary<string, int>(features.Length, StringComparer.Ordinal);
        for (int i = 0; i < features.Length; i++) _index.Add(features[i].Name, i);
        Features = features.Select(f => f.Describe()).ToArray();
    }

    /// <summary>The number of training rows the reference holds.</summary>
    public int TrainingRows { get; }

    /// <summary>The thresholds and PSI binning in use.</summary>
    public DriftOptions Options { get; }

    /// <summary>The monitored features, in order: the order of a row given to <see cref="Check(ReadOnlySpan{double})"/> or <see cref="DriftWindow.Add(ReadOnlySpan{double})"/>.</summary>
    public IReadOnlyList<MonitoredFeature> Features { get; }

    /// <summary>The bytes the reference's arrays hold (sorted values, bins, counts, level names as UTF-16), without object overheads.</summary>
    public long ReferenceBytes => _features.Sum(f => f.Bytes);

    internal IReadOnlyList<FeatureReference> References => _features;

    /// <summary>
    /// A monitor of every feature column of <paramref name="training"/> (role <see cref="ColumnRole.Feature"/>): numeric
    /// columns as numeric features, category columns as categorical ones. Date columns are left out.
    /// </summary>
    /// <param name="training">The training rows.</param>
    /// <param name="options">Thresholds and PSI binning; the defaults when null.</param>
    /// <exception cref="ArgumentException">The table has no rows or no numeric or category feature column, a value is missing or not finite (the message names the column and row), or an option is out of range.</exception>
    public static DriftMonitor Create(Table<Train> training, DriftOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(training);
        var names = training.Columns.Where(c => c.Role == ColumnRole.Feature && c.Type != ColumnType.Date).Select(c => c.Name).ToArray();
        if (names.Length == 0)
            throw new ArgumentException($"The training table has no numeric or category column with the role {ColumnRole.Feature}; its columns are {training.ListColumns()}. Name the columns to monitor explicitly.", nameof(training));
        return Create(training, names, options);
    }

    /// <summary>A monitor of the named columns of <paramref name="training"/> (numeric or category columns of any role, e.g. also the label).</summary>
    /// <param name="training">The training rows.</param>
    /// <param name="columns">The columns to monitor, in order.</param>
    /// <param name="options">Thresholds and PSI binning; the defaults when null.</param>
    /// <exception cref="ArgumentException">
    /// No column is named, a name is unknown, listed twice or a date column, the table has no rows, a value is missing or
    /// not finite (the message names the column and row), or an option is out of range.
    /// </exception>
    public static DriftMonitor Create(Table<Train> training, IReadOnlyList<string> columns, DriftOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(columns);
        options ??= new DriftOptions();
        options.Validate(nameof(options));
        if (columns.Count == 0) throw new ArgumentException("No column to monitor was given.", nameof(columns));
        if (training.RowCount == 0) throw new ArgumentException("The training table has no rows; the drift reference needs at least one.", nameof(training));
        var references = new FeatureReference[columns.Count];
        for (int j = 0; j < columns.Count; j++)
        {
            string name = columns[j] ?? throw new ArgumentException($"Column name {j} is null.", nameof(columns));
            for (int k = 0; k < j; k++)
                if (columns[k] == name) throw new ArgumentException($"Column '{name}' is listed twice (positions {k} and {j}).", nameof(columns));
            if (!training.HasColumn(name))
                throw new ArgumentException($"The training table has no column '{name}'; its columns are {training.ListColumns()}.", nameof(columns));
            var column = training[name];
            var values = column.Values;
            for (int r = 0; r < values.Length; r++)
                if (!double.IsFinite(values[r]))
                    throw new ArgumentException(
                        $"Column '{name}' is {(double.IsNaN(values[r]) ? "missing" : values[r] > 0 ? "+∞" : "−∞")} in row {training.Provenance[r]} (row {r} of the training table); " +
                        "the drift reference needs complete, finite values: drop or impute such rows first.", nameof(training));
            switch (column.Type)
            {
                case ColumnType.Number:
                {
                    var sorted = values.ToArray();
                    Array.Sort(sorted);
                    references[j] = new NumericReference(name, sorted, options.PsiBins);
                    break;
                }
                case ColumnType.Category:
                {
                    var counts = new long[column.Levels.Count];
                    foreach (double v in values) counts[(int)v]++;
                    references[j] = new CategoricalReference(name, column.Levels.ToArray(), counts);
                    break;
                }
                default:
                    throw new ArgumentException($"Column '{name}' is a date column; monitor numbers derived from it instead (e.g. the hour or weekday as a numeric column).", nameof(columns));
            }
        }
        return new DriftMonitor(references, training.RowCount, options);
    }

    /// <summary>A monitor of the (all numeric) features of a <see cref="Dataset"/>, e.g. the model inputs after preprocessing.</summary>
    /// <param name="training">The training samples.</param>
    /// <param name="featureNames">One name per feature column (<see cref="Dataset.FeatureCount"/> of them), in order.</param>
    /// <param name="options">Thresholds and PSI binning; the defaults when null.</param>
    /// <exception cref="ArgumentException">The names do not match the feature count or repeat, the set is empty, a value is not finite (the message names the feature and row), or an option is out of range.</exception>
    public static DriftMonitor Create(Dataset training, IReadOnlyList<string> featureNames, DriftOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(featureNames);
        options ??= new DriftOptions();
        options.Validate(nameof(options));
        int width = training.FeatureCount;
        if (featureNames.Count != width)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{featureNames.Count} feature names were given for a dataset of {width} features; give one name per feature column."), nameof(featureNames));
        if (training.Count == 0) throw new ArgumentException("The training dataset has no samples; the drift reference needs at least one.", nameof(training));
        var references = new FeatureReference[width];
        var x = training.Features;
        for (int j = 0; j < width; j++)
        {
            string name = featureNames[j];
            if (string.IsNullOrEmpty(name)) throw new ArgumentException($"Feature name {j} is null or empty.", nameof(featureNames));
            for (int k = 0; k < j; k++)
                if (featureNames[k] == name) throw new ArgumentException($"Feature name '{name}' is given twice (positions {k} and {j}).", nameof(featureNames));
            var sorted = new double[training.Count];
            for (int r = 0; r < sorted.Length; r++)
            {
                float v = x[r * width + j];
                if (!float.IsFinite(v))
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Feature '{name}' is {v} in sample {r} of the training dataset; the drift reference needs finite values."), nameof(training));
                sorted[r] = v;
            }
            Array.Sort(sorted);
            references[j] = new NumericReference(name, sorted, options.PsiBins);
        }
        return new DriftMonitor(references, training.Count, options);
    }

    /// <summary>
    /// Compares the rows of <paramref name="window"/> with training. Columns are matched by name; the window may have
    /// other columns too, which are ignored.
    /// </summary>
    /// <param name="window">Live rows with every monitored column (numeric features as number columns, categorical ones as category columns).</param>
    /// <returns>A report with one entry per monitored feature.</returns>
    /// <exception cref="ArgumentException">The window has no rows, lacks a monitored column or has it with another type, or a value is missing or not finite (the message names the column and row).</exception>
    public DriftReport Check(Table window)
    {
        ArgumentNullException.ThrowIfNull(window);
        var data = new WindowData(this, window.RowCount);
        AddTable(data, window, nameof(window));
        return Evaluate(data, nameof(window));
    }

    /// <summary>
    /// Compares a window given as a row-major matrix (rows × <see cref="Features"/>.Count, in <see cref="Features"/>
    /// order) with training. A categorical feature's value is the index of its training level in <see cref="MonitoredFeature.Levels"/>.
    /// </summary>
    /// <param name="rows">The window's values, row after row.</param>
    /// <returns>A report with one entry per monitored feature.</returns>
    /// <exception cref="ArgumentException">The window is empty or not a whole number of rows, or a value is not finite or not a training level index (the message names the feature and row).</exception>
    public DriftReport Check(ReadOnlySpan<double> rows)
    {
        int width = _features.Length;
        if (rows.Length % width != 0)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The window has {rows.Length} values, not a whole number of rows of {width} features ({FeatureList()})."), nameof(rows));
        var data = new WindowData(this, rows.Length / width);
        for (int r = 0; r < rows.Length / width; r++) AddRow(data, rows.Slice(r * width, width), r, nameof(rows));
        return Evaluate(data, nameof(rows));
    }

    /// <summary>A thread-safe sliding window of the last <paramref name="capacity"/> rows, checked against this monitor.</summary>
    /// <param name="capacity">How many of the most recent rows the window keeps (≥ 1).</param>
    public DriftWindow CreateWindow(int capacity) => new(this, capacity);

    internal string FeatureList() => Table.Quote(_features.Select(f => f.Name).ToArray());

    /// <summary>Adds every row of a table to <paramref name="data"/>, checking columns, types and values.</summary>
    internal void AddTable(IWindowSink data, Table window, string parameter)
    {
        var columns = new TableColumn[_features.Length];
        for (int j = 0; j < _features.Length; j++)
        {
            var f = _features[j];
            if (!window.HasColumn(f.Name))
                throw new ArgumentException($"The window has no column '{f.Name}' (a {Describe(f.Kind)} feature of the drift monitor); its columns are {window.ListColumns()}.", parameter);
            var c = window[f.Name];
            var expected = f.Kind == DriftFeatureKind.Numeric ? ColumnType.Number : ColumnType.Category;
            if (c.Type != expected)
                throw new ArgumentException($"Column '{f.Name}' of the window is a {c.Type} column, but the monitor's feature '{f.Name}' is {Describe(f.Kind)} (it needs a {expected} column).", parameter);
            columns[j] = c;
        }
        for (int r = 0; r < window.RowCount; r++)
        {
            for (int j = 0; j < _features.Length; j++)
            {
                double v = columns[j][r];
                if (!double.IsFinite(v))
                    throw new ArgumentException(
                        $"Column '{_features[j].Name}' is {(double.IsNaN(v) ? "missing" : v > 0 ? "+∞" : "−∞")} in row {window.Provenance[r]} (row {r} of the window); drift is measured on complete, finite values.", parameter);
                if (_features[j] is CategoricalReference categorical)
                {
                    string level = columns[j].Levels[(int)v];
                    int code = categorical.IndexOf(level);
                    if (code >= 0) data.AddLevel(j, code);
                    else data.AddUnseen(j, level);
                }
                else data.AddNumber(j, v);
            }
            data.EndRow();
        }
    }

    /// <summary>Adds one row given in <see cref="Features"/> order (categories as training level indices).</summary>
    internal void AddRow(IWindowSink data, ReadOnlySpan<double> row, long rowNumber, string parameter)
    {
        if (row.Length != _features.Length)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The row has {row.Length} values; the drift monitor expects {_features.Length}, one per feature: {FeatureList()}."), parameter);
        for (int j = 0; j < row.Length; j++)
        {
            double v = row[j];
            var f = _features[j];
            if (!double.IsFinite(v))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Feature '{f.Name}' is {(double.IsNaN(v) ? "NaN" : v > 0 ? "+∞" : "−∞")} in row {rowNumber} of the window; drift is measured on finite values."), parameter);
            if (f is CategoricalReference categorical)
            {
                if (v < 0 || v >= categorical.Levels.Length || v != Math.Floor(v))
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                        $"Feature '{f.Name}' is {v} in row {rowNumber} of the window; a categorical feature in a numeric row is the index of a training level, 0 to {categorical.Levels.Length - 1} ({Table.Quote(categorical.Levels)}). Pass a Table to report levels unseen in training."), parameter);
                data.AddLevel(j, (int)v);
            }
            else data.AddNumber(j, v);
        }
        data.EndRow();
    }

    private static string Describe(DriftFeatureKind kind) => kind == DriftFeatureKind.Numeric ? "numeric" : "categorical";

    /// <summary>The report for a filled window.</summary>
    internal DriftReport Evaluate(WindowData data, string parameter)
    {
        if (data.Rows == 0) throw new ArgumentException("The window has no rows; drift needs at least one row to compare.", parameter);
        var results = new FeatureDrift[_features.Length];
        for (int j = 0; j < _features.Length; j++)
            results[j] = _features[j] switch
            {
                NumericReference numeric => CompareNumeric(numeric, data.Numbers(j)),
                CategoricalReference categorical => CompareCategorical(categorical, data.LevelCounts(j), data.Unseen(j)),
                _ => throw new InvalidOperationException("Unknown feature reference."),
            };
        return new DriftReport(TrainingRows, data.Rows, Options, results);
    }

    private FeatureDrift CompareNumeric(NumericReference reference, double[] window)
    {
        Array.Sort(window);
        var ks = DriftStatistics.KolmogorovSmirnovSorted(reference.Sorted, window, Options.KsExactSizeLimit);
        double psi = DriftStatistics.PopulationStabilityIndex(reference.Proportions, NumericReference.BinProportions(window, reference.Edges), Options.PsiEpsilon);
        var reasons = DriftReasons.None;
        if (ks.PValue < Options.Alpha) reasons |= DriftReasons.PValue;
        if (psi >= Options.PsiThreshold) reasons |= DriftReasons.Psi;
        var test = ks.Method == KolmogorovSmirnovMethod.Exact ? DriftTest.KolmogorovSmirnovExact : DriftTest.KolmogorovSmirnovAsymptotic;
        return new FeatureDrift(reference.Name, DriftFeatureKind.Numeric, test, ks.Statistic, ks.PValue, 0, psi, window.Length, 0, [], reasons);
    }

    /// <summary>
    /// Chi-square over the training levels that have rows (a level no training row has counts as unseen), on the window
    /// values with such a level; expected counts are the training proportions times that number. PSI bins are the same
    /// levels plus one bin for every unseen level, whose training proportion is 0 (so ε).
    /// </summary>
    private FeatureDrift CompareCategorical(CategoricalReference reference, long[] levelCounts, Dictionary<string, long> unseen)
    {
        var observed = new List<double>();
        var trainingShare = new List<double>();
        long seen = 0, unseenCount = unseen.Values.Sum();
        var unseenLevels = new List<(string Level, long Count)>(unseen.Select(kv => (kv.Key, kv.Value)));
        for (int i = 0; i < reference.Levels.Length; i++)
        {
            if (reference.Counts[i] == 0)
            {
                if (levelCounts[i] > 0)
                {
                    unseenLevels.Add((reference.Levels[i], levelCounts[i]));
                    unseenCount += levelCounts[i];
                }
                continue;
            }
            observed.Add(levelCounts[i]);
            trainingShare.Add((double)reference.Counts[i] / reference.Total);
            seen += levelCounts[i];
        }
        long windowCount = seen + unseenCount;

        double statistic = double.NaN, pValue = double.NaN;
        int degrees = 0;
        var test = DriftTest.None;
        if (observed.Count >= 2 && seen > 0)
        {
            var expected = trainingShare.Select(s => s * seen).ToArray();
            var chi = DriftStatistics.ChiSquare(observed.ToArray(), expected);
            (statistic, pValue, degrees, test) = (chi.Statistic, chi.PValue, chi.DegreesOfFreedom, DriftTest.ChiSquare);
        }

        var windowShare = observed.Select(o => o / windowCount).Append((double)unseenCount / windowCount).ToArray();
        double psi = DriftStatistics.PopulationStabilityIndex(trainingShare.Append(0).ToArray(), windowShare, Options.PsiEpsilon);

        var reasons = DriftReasons.None;
        if (pValue < Options.Alpha) reasons |= DriftReasons.PValue;
        if (psi >= Options.PsiThreshold) reasons |= DriftReasons.Psi;
        if (unseenCount > 0) reasons |= DriftReasons.UnseenLevels;
        var shown = unseenLevels.OrderByDescending(u => u.Count).ThenBy(u => u.Level, StringComparer.Ordinal).Take(10).Select(u => u.Level).ToArray();
        return new FeatureDrift(reference.Name, DriftFeatureKind.Categorical, test, statistic, pValue, degrees, psi, (int)windowCount, unseenCount, shown, reasons);
    }

    /// <summary>The reference as indented UTF-8 JSON (format in docs/monitoring.md): the options, and per feature the sorted training values or the level counts.</summary>
    public string ToJson() => Encoding.UTF8.GetString(DriftJson.Write(this));

    /// <summary>Reads a reference written by <see cref="ToJson"/>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">What errors call the source, e.g. a file name.</param>
    /// <exception cref="ModelFileException">The text is not a drift reference of a version this library reads; the message names the field, what was expected and what was found.</exception>
    public static DriftMonitor FromJson(string json, string source = "drift reference")
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(source);
        return DriftJson.Read(Encoding.UTF8.GetBytes(json), source);
    }

    /// <summary>Writes the reference to <paramref name="path"/> atomically (a reader sees the old file or the new one), conventionally beside the model file.</summary>
    /// <param name="path">The file, conventionally <c>*.drift.json</c>.</param>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] json = DriftJson.Write(this);
        AtomicFile.Write(path, stream => stream.Write(json));
    }

    /// <summary>Reads a reference written by <see cref="Save"/>.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="ModelFileException">The content is not a valid drift reference; see <see cref="FromJson"/>.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static DriftMonitor Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return DriftJson.Read(File.ReadAllBytes(path), path);
    }

    /// <summary>A monitor rebuilt from saved parts (used by <see cref="DriftJson"/>).</summary>
    internal static DriftMonitor Restore(FeatureReference[] features, int trainingRows, DriftOptions options) => new(features, trainingRows, options);
}
