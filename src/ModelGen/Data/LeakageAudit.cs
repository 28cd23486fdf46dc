using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using ModelGen.Metrics;

namespace ModelGen.Data;

/// <summary>What a <see cref="LeakageAudit"/> finding is about.</summary>
public enum LeakageKind
{
    /// <summary>Held-out rows are also training rows: the same provenance on both sides.</summary>
    HeldOutRowsInTraining = 0,

    /// <summary>Synthetic training rows were made from held-out rows (oversampling before the split).</summary>
    SyntheticFromHeldOutRows,

    /// <summary>Held-out rows have exactly the feature values of a training row, though their provenance differs (duplicates in the data).</summary>
    DuplicateFeatureRows,

    /// <summary>Groups of the group-key column have rows on both sides.</summary>
    SharedGroups,

    /// <summary>Held-out rows are dated before the latest training row.</summary>
    HeldOutBeforeTraining,

    /// <summary>A single feature predicts the label almost perfectly: a likely target proxy or a value known only after the outcome.</summary>
    TargetProxy,

    /// <summary>Fitted preprocessing learned its statistics from rows that include held-out rows.</summary>
    PreprocessingSawHeldOutRows,
}

/// <summary>What a <see cref="LeakageAudit"/> does with findings.</summary>
public enum LeakageSeverity
{
    /// <summary>Return the report; the caller decides (the default).</summary>
    Warning = 0,

    /// <summary>Throw a <see cref="LeakageException"/> carrying the report when there is any finding.</summary>
    Error,
}

/// <summary>Settings of <see cref="LeakageAudit.Check(Table{Train}, Table{Test}, AuditOptions?)"/>.</summary>
public sealed record AuditOptions
{
    /// <summary>The defaults: findings are warnings; a proxy needs single-feature ROC-AUC, rule accuracy or |correlation| ≥ 0.99 over ≥ 20 rows.</summary>
    public static AuditOptions Default { get; } = new();

    /// <summary>Whether findings are returned (warning) or thrown (<see cref="LeakageException"/>).</summary>
    public LeakageSeverity Severity { get; init; } = LeakageSeverity.Warning;

    /// <summary>
    /// How well one feature must predict the label to be reported as a likely proxy: its ROC-AUC (binary label, numeric
    /// feature, either direction), the held-out accuracy of its per-level majority rule learned on the training rows
    /// (category or few-valued feature), or its |Pearson correlation| (numeric label).
    /// </summary>
    public double ProxyThreshold { get; init; } = 0.99;

    /// <summary>Fewest rows (held-out rows, for a rule) on which a proxy is judged; smaller tables are not checked for proxies.</summary>
    public int MinimumRowsForProxy { get; init; } = 20;

    /// <summary>How many rows, groups or values each finding names in its message (all are in <see cref="LeakageFinding.Rows"/>).</summary>
    public int MaxNamed { get; init; } = 5;
}

/// <summary>One problem an audit found.</summary>
/// <param name="Kind">What the problem is.</param>
/// <param name="Message">A sentence naming the rows, groups or columns, and what to do.</param>
/// <param name="Rows">The held-out rows concerned (for synthetic training rows, those rows).</param>
/// <param name="Columns">The columns concerned.</param>
public sealed record LeakageFinding(LeakageKind Kind, string Message, IReadOnlyList<RowProvenance> Rows, IReadOnlyList<string> Columns)
{
    /// <summary><c>[Kind] message</c>.</summary>
    public override string ToString() => "[" + Kind + "] " + Message;
}

/// <summary>The findings of a <see cref="LeakageAudit"/>, and which checks could not run.</summary>
public sealed class LeakageReport
{
    internal LeakageReport(string trainDescription, string heldOutDescription, IReadOnlyList<LeakageFinding> findings, IReadOnlyList<string> notChecked)
    {
        TrainDescription = trainDescription;
        HeldOutDescription = heldOutDescription;
        Findings = findings;
        NotChecked = notChecked;
    }

    /// <summary>The audited training table, e.g. "train (455 rows)".</summary>
    public string TrainDescription { get; }

    /// <summary>The audited held-out table, e.g. "test (114 rows)".</summary>
    public string HeldOutDescription { get; }

    /// <summary>The problems found; empty when clean.</summary>
    public IReadOnlyList<LeakageFinding> Findings { get; }

    /// <summary>Checks that could not run and why (e.g. no group-key column).</summary>
    public IReadOnlyList<string> NotChecked { get; }

    /// <summary>Whether nothing was found.</summary>
    public bool IsClean => Findings.Count == 0;

    /// <summary>Whether a finding of <paramref name="kind"/> is present.</summary>
    public bool Has(LeakageKind kind) => Findings.Any(f => f.Kind == kind);

    /// <summary>A heading line, then one line per finding and per check not run.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder($"Leakage audit of {TrainDescription} against {HeldOutDescription}: ");
        sb.Append(IsClean ? "no leakage found." : Findings.Count == 1 ? "1 finding." : $"{Findings.Count} findings.");
        foreach (var f in Findings) sb.Append("\n  ").Append(f);
        foreach (var n in NotChecked) sb.Append("\n  (not checked: ").Append(n).Append(')');
        return sb.ToString();
    }
}

/// <summary>An audit with <see cref="LeakageSeverity.Error"/> found leakage.</summary>
public sealed class LeakageException : Exception
{
    /// <summary>Creates the exception for <paramref name="report"/>; the message is the report's text.</summary>
    public LeakageException(LeakageReport report) : base((report ?? throw new ArgumentNullException(nameof(report))).ToString()) => Report = report;

    /// <summary>The audit's findings.</summary>
    public LeakageReport Report { get; }
}

/// <summary>
/// The run-time leakage audit: compares training rows with held-out (test or validation) rows and reports rows seen
/// on both sides (by provenance, including synthetic rows made from held-out rows), exact duplicate feature rows,
/// groups on both sides, held-out rows dated before the latest training row, and single features that predict the
/// label almost perfectly. The messages name the rows and columns.
/// </summary>
public static class LeakageAudit
{
    /// <summary>Audits a training table against a test table.</summary>
    /// <param name="train">The training rows (after any resampling, to catch oversampling before the split).</param>
    /// <param name="test">The test rows.</param>
    /// <param name="options">Severity and thresholds; <see cref="AuditOptions.Default"/> when null.</param>
    /// <exception cref="LeakageException">Something was found and <see cref="AuditOptions.Severity"/> is <see cref="LeakageSeverity.Error"/>.</exception>
    public static LeakageReport Check(Table<Train> train, Table<Test> test, AuditOptions? options = null) => Run(train, test, options);

    /// <summary>Audits a training table against a validation table.</summary>
    /// <param name="train">The training rows.</param>
    /// <param name="validation">The validation rows.</param>
    /// <param name="options">Severity and thresholds; <see cref="AuditOptions.Default"/> when null.</param>
    /// <exception cref="LeakageException">Something was found and <see cref="AuditOptions.Severity"/> is <see cref="LeakageSeverity.Error"/>.</exception>
    public static LeakageReport Check(Table<Train> train, Table<Validation> validation, AuditOptions? options = null) => Run(train, validation, options);

    /// <summary>Audits a cross-validation fold.</summary>
    /// <param name="fold">The fold.</param>
    /// <param name="options">Severity and thresholds; <see cref="AuditOptions.Default"/> when null.</param>
    /// <exception cref="LeakageException">Something was found and <see cref="AuditOptions.Severity"/> is <see cref="LeakageSeverity.Error"/>.</exception>
    public static LeakageReport Check(Fold fold, AuditOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(fold);
        return Run(fold.Train, fold.Validation, options);
    }

    /// <summary>
    /// Audits fitted preprocessing against test rows: reports when the transformer (or any step of a fitted
    /// <see cref="Pipeline"/>) was fitted on rows that include test rows, e.g. a scaler fitted before the split.
    /// Transformers restored from a saved document (<see cref="FittedTransformer.IsRestored"/>) do not know their
    /// training rows: they are listed in <see cref="LeakageReport.NotChecked"/>, never reported clean or leaking.
    /// </summary>
    /// <param name="preprocessing">The fitted transformer; its <see cref="FittedTransformer.FittedOn"/> is checked.</param>
    /// <param name="test">The test rows.</param>
    /// <param name="options">Severity; <see cref="AuditOptions.Default"/> when null.</param>
    /// <exception cref="LeakageException">Something was found and <see cref="AuditOptions.Severity"/> is <see cref="LeakageSeverity.Error"/>.</exception>
    public static LeakageReport Check(FittedTransformer preprocessing, Table<Test> test, AuditOptions? options = null) => RunFitted(preprocessing, test, options);

    /// <summary>Audits fitted preprocessing against validation rows; see <see cref="Check(FittedTransformer, Table{Test}, AuditOptions?)"/>.</summary>
    /// <param name="preprocessing">The fitted transformer; its <see cref="FittedTransformer.FittedOn"/> is checked.</param>
    /// <param name="validation">The validation rows.</param>
    /// <param name="options">Severity; <see cref="AuditOptions.Default"/> when null.</param>
    /// <exception cref="LeakageException">Something was found and <see cref="AuditOptions.Severity"/> is <see cref="LeakageSeverity.Error"/>.</exception>
    public static LeakageReport Check(FittedTransformer preprocessing, Table<Validation> validation, AuditOptions? options = null) => RunFitted(preprocessing, validation, options);

    private static LeakageReport RunFitted(FittedTransformer preprocessing, Table heldOut, AuditOptions? options)
    {
        ArgumentNullException.ThrowIfNull(preprocessing);
        ArgumentNullException.ThrowIfNull(heldOut);
        options ??= AuditOptions.Default;
        var findings = new List<LeakageFinding>();
        var heldOutIds = new Dictionary<RowId, int>();
        for (int r = 0; r < heldOut.RowCount; r++) heldOutIds.TryAdd(heldOut.ProvenanceStorage[r].Id, r);
        var steps = new List<FittedTransformer> { preprocessing };
        for (int i = 0; i < steps.Count; i++)
            if (steps[i] is Pipeline.Fitted pipeline) steps.AddRange(pipeline.Steps);
        var restored = new List<string>();
        foreach (var step in steps)
        {
            if (step is Pipeline.Fitted) continue;
            if (step.IsRestored)
            {
                // A restored transformer knows how many rows it learned from, not which; nothing can be concluded.
                restored.Add(StepName(step) + string.Create(CultureInfo.InvariantCulture, $" (fitted on {step.FittedRowCount} rows)"));
                continue;
            }
            var seen = new SortedSet<int>();
            foreach (var p in step.FittedOn)
                foreach (var id in p.IsSynthetic ? p.Parents : [p.Id])
                    if (heldOutIds.TryGetValue(id, out int r)) seen.Add(r);
            if (seen.Count == 0) continue;
            string name = StepName(step);
            findings.Add(new LeakageFinding(LeakageKind.PreprocessingSawHeldOutRows,
                $"{name} was fitted on {seen.Count} of the {heldOut.RowCount} {heldOut.Role} rows: {Name(seen.Select(r => heldOut.ProvenanceStorage[r].ToString()), seen.Count, options.MaxNamed)}. " +
                "Its statistics carry information about them into training; fit preprocessing on training rows only (for cross-validation, a Pipeline inside each fold).",
                seen.Select(r => heldOut.ProvenanceStorage[r]).ToArray(), []));
        }
        string described = StepName(preprocessing)
                           + string.Create(CultureInfo.InvariantCulture, $" ({(preprocessing.IsRestored ? "restored, " : "")}fitted on {preprocessing.FittedRowCount} rows)");
        string[] notChecked = restored.Count == 0 ? [] :
        [
            $"whether {string.Join(", ", restored)} learned from {heldOut.Role} rows: restored from a saved document, which keeps the number of training rows but not their provenance",
        ];
        var report = new LeakageReport(described, Describe(heldOut), findings, notChecked);
        if (options.Severity == LeakageSeverity.Error && !report.IsClean) throw new LeakageException(report);
        return report;
    }

    private static string StepName(FittedTransformer step) =>
        step is Sampler.Identity sampler ? sampler.Sampler : step.GetType().DeclaringType?.Name ?? step.GetType().Name;

    private static LeakageReport Run(Table train, Table heldOut, AuditOptions? options)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(heldOut);
        options ??= AuditOptions.Default;
        var findings = new List<LeakageFinding>();
        var notChecked = new List<string>();
        var flagged = SharedRows(train, heldOut, options, findings);
        DuplicateRows(train, heldOut, options, findings, notChecked, flagged);
        SharedGroups(train, heldOut, options, findings, notChecked);
        TimeOrder(train, heldOut, options, findings, notChecked);
        Proxies(train, heldOut, options, findings, notChecked);
        var report = new LeakageReport(Describe(train), Describe(heldOut), findings, notChecked);
        if (options.Severity == LeakageSeverity.Error && !report.IsClean) throw new LeakageException(report);
        return report;
    }

    private static string Describe(Table t) => string.Create(CultureInfo.InvariantCulture, $"{t.Role} ({t.RowCount} rows)");

    private static string Name(IEnumerable<string> items, int total, int max)
    {
        var shown = items.Take(max).ToArray();
        return string.Join(", ", shown) + (total > shown.Length ? string.Create(CultureInfo.InvariantCulture, $" and {total - shown.Length} more") : "");
    }

    private static string Rows(int n) => n == 1 ? "1 row" : string.Create(CultureInfo.InvariantCulture, $"{n} rows");

    /// <summary>Held-out rows whose provenance (or, for synthetic training rows, whose parents) appear in training.</summary>
    private static HashSet<int> SharedRows(Table train, Table heldOut, AuditOptions options, List<LeakageFinding> findings)
    {
        var originals = new HashSet<RowId>();
        foreach (var p in train.ProvenanceStorage) if (!p.IsSynthetic) originals.Add(p.Id);
        var heldOutIds = new Dictionary<RowId, int>();
        for (int r = 0; r < heldOut.RowCount; r++) heldOutIds.TryAdd(heldOut.ProvenanceStorage[r].Id, r);

        var shared = new HashSet<int>();
        var sharedList = new List<int>();
        for (int r = 0; r < heldOut.RowCount; r++)
        {
            var p = heldOut.ProvenanceStorage[r];
            bool inTraining = p.IsSynthetic ? p.Parents.Any(originals.Contains) : originals.Contains(p.Id);
            if (inTraining && shared.Add(r)) sharedList.Add(r);
        }
        if (sharedList.Count > 0)
        {
            var rows = sharedList.Select(r => heldOut.ProvenanceStorage[r]).ToArray();
            findings.Add(new LeakageFinding(LeakageKind.HeldOutRowsInTraining,
                $"{Rows(rows.Length)} of the {heldOut.Role} table {(rows.Length == 1 ? "is" : "are")} also in the {train.Role} table (same source row): " +
                $"{Name(rows.Select(p => p.ToString()), rows.Length, options.MaxNamed)}. Held-out rows must not be trained on; split once and keep the parts apart.",
                rows, []));
        }

        var synthetic = new List<RowProvenance>();
        var parentsInHeldOut = new List<RowProvenance>();
        foreach (var p in train.ProvenanceStorage)
        {
            if (!p.IsSynthetic) continue;
            bool any = false;
            foreach (var parent in p.Parents)
                if (heldOutIds.TryGetValue(parent, out int r))
                {
                    any = true;
                    if (shared.Add(r)) parentsInHeldOut.Add(heldOut.ProvenanceStorage[r]);
                }
            if (any) synthetic.Add(p);
        }
        if (synthetic.Count > 0)
        {
            findings.Add(new LeakageFinding(LeakageKind.SyntheticFromHeldOutRows,
                $"{synthetic.Count} synthetic {train.Role} row{(synthetic.Count == 1 ? " was" : "s were")} made from {heldOut.Role} rows: " +
                $"{Name(synthetic.Select(p => p.ToString()), synthetic.Count, options.MaxNamed)}. Oversample after the split, on training rows only (a Sampler in the pipeline).",
                parentsInHeldOut, []));
        }
        return shared;
    }

    /// <summary>Held-out rows whose values in every shared feature column equal a training row's.</summary>
    private static void DuplicateRows(Table train, Table heldOut, AuditOptions options, List<LeakageFinding> findings, List<string> notChecked, HashSet<int> alreadyFlagged)
    {
        var columns = train.Columns
            .Where(c => c.Role == ColumnRole.Feature && heldOut.HasColumn(c.Name) && heldOut[c.Name].Type == c.Type && heldOut[c.Name].Role == ColumnRole.Feature)
            .Select(c => c.Name).ToArray();
        if (columns.Length == 0)
        {
            notChecked.Add("duplicate feature rows: the tables share no feature column");
            return;
        }
        var levelIds = new Dictionary<string, double>(StringComparer.Ordinal);
        double[] Key(Table t, int r)
        {
            var key = new double[columns.Length];
            for (int j = 0; j < columns.Length; j++)
            {
                var c = t[columns[j]];
                double v = c[r];
                if (c.Type == ColumnType.Category && !double.IsNaN(v))
                {
                    string level = c.Levels[(int)v];
                    if (!levelIds.TryGetValue(level, out v)) levelIds.Add(level, v = levelIds.Count);
                }
                key[j] = v;
            }
            return key;
        }
        var seen = new Dictionary<double[], int>(RowComparer.Instance);
        for (int r = 0; r < train.RowCount; r++) seen.TryAdd(Key(train, r), r);
        var pairs = new List<(int HeldOut, int Train)>();
        for (int r = 0; r < heldOut.RowCount; r++)
            if (!alreadyFlagged.Contains(r) && seen.TryGetValue(Key(heldOut, r), out int t)) pairs.Add((r, t));
        if (pairs.Count == 0) return;
        findings.Add(new LeakageFinding(LeakageKind.DuplicateFeatureRows,
            $"{Rows(pairs.Count)} of the {heldOut.Role} table {(pairs.Count == 1 ? "has" : "have")} exactly the values of a {train.Role} row in all {columns.Length} feature columns: " +
            Name(pairs.Select(p => $"{heldOut.ProvenanceStorage[p.HeldOut]} = {train.ProvenanceStorage[p.Train]}"), pairs.Count, options.MaxNamed) +
            ". Duplicates across the split reward memorising; remove duplicates before splitting, or split by a group key.",
            pairs.Select(p => heldOut.ProvenanceStorage[p.HeldOut]).ToArray(), columns));
    }

    private static void SharedGroups(Table train, Table heldOut, AuditOptions options, List<LeakageFinding> findings, List<string> notChecked)
    {
        var trainKey = train.GroupKey;
        var heldKey = heldOut.GroupKey;
        if (trainKey is null || heldKey is null)
        {
            notChecked.Add("groups on both sides: no GroupKey column" + (trainKey is null && heldKey is null ? "" : $" in the {(trainKey is null ? train.Role : heldOut.Role)} table"));
            return;
        }
        var trainCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int r = 0; r < train.RowCount; r++)
        {
            if (trainKey.IsMissing(r)) continue;
            string k = trainKey.Format(r);
            trainCounts[k] = trainCounts.GetValueOrDefault(k) + 1;
        }
        var shared = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int r = 0; r < heldOut.RowCount; r++)
        {
            if (heldKey.IsMissing(r)) continue;
            string k = heldKey.Format(r);
            if (!trainCounts.ContainsKey(k)) continue;
            if (!shared.TryGetValue(k, out var rows)) shared.Add(k, rows = []);
            rows.Add(r);
        }
        if (shared.Count == 0) return;
        var described = shared.Select(g =>
            $"'{g.Key}' ({trainCounts[g.Key]} {train.Role}, {g.Value.Count} {heldOut.Role}: {Name(g.Value.Select(r => heldOut.ProvenanceStorage[r].ToString()), g.Value.Count, 3)})");
        findings.Add(new LeakageFinding(LeakageKind.SharedGroups,
            $"{shared.Count} group{(shared.Count == 1 ? "" : "s")} of '{heldKey.Name}' {(shared.Count == 1 ? "has" : "have")} rows on both sides: {Name(described, shared.Count, options.MaxNamed)}. " +
            "Rows of one group resemble each other, so this overstates the score on new groups; split with SplitKind.Group.",
            shared.Values.SelectMany(rows => rows).Select(r => heldOut.ProvenanceStorage[r]).ToArray(), [heldKey.Name]));
    }

    private static void TimeOrder(Table train, Table heldOut, AuditOptions options, List<LeakageFinding> findings, List<string> notChecked)
    {
        var trainTime = train.Timestamp;
        var heldTime = heldOut.Timestamp;
        if (trainTime is null || heldTime is null)
        {
            notChecked.Add("time order: no Timestamp column" + (trainTime is null && heldTime is null ? "" : $" in the {(trainTime is null ? train.Role : heldOut.Role)} table"));
            return;
        }
        int latest = -1;
        for (int r = 0; r < train.RowCount; r++)
            if (!trainTime.IsMissing(r) && (latest < 0 || trainTime[r] > trainTime[latest])) latest = r;
        if (latest < 0) return;
        var early = Enumerable.Range(0, heldOut.RowCount).Where(r => !heldTime.IsMissing(r) && heldTime[r] < trainTime[latest]).OrderBy(r => heldTime[r]).ToArray();
        if (early.Length == 0) return;
        findings.Add(new LeakageFinding(LeakageKind.HeldOutBeforeTraining,
            $"{Rows(early.Length)} of the {heldOut.Role} table {(early.Length == 1 ? "is" : "are")} dated before the latest {train.Role} row " +
            $"({train.ProvenanceStorage[latest]}, '{trainTime.Name}' {trainTime.Format(latest)}): " +
            Name(early.Select(r => $"{heldOut.ProvenanceStorage[r]} {heldTime.Format(r)}"), early.Length, options.MaxNamed) +
            ". The model is scored on a past it was trained after; train on earlier rows, test on later ones (SplitKind.TimeOrdered).",
            early.Select(r => heldOut.ProvenanceStorage[r]).ToArray(), [heldTime.Name]));
    }

    private static void Proxies(Table train, Table heldOut, AuditOptions options, List<LeakageFinding> findings, List<string> notChecked)
    {
        var label = train.Label;
        if (label is null || !heldOut.HasColumn(label.Name) || heldOut[label.Name].Role != ColumnRole.Label)
        {
            notChecked.Add("target proxies: no Label column common to both tables");
            return;
        }
        var heldLabel = heldOut[label.Name];
        int total = train.RowCount + heldOut.RowCount;
        if (total < options.MinimumRowsForProxy)
        {
            notChecked.Add(string.Create(CultureInfo.InvariantCulture, $"target proxies: {total} rows, fewer than {options.MinimumRowsForProxy}"));
            return;
        }
        // The label of both tables as one sequence of values (category labels by level text).
        var y = new List<double>(total);
        var levelIds = new Dictionary<string, double>(StringComparer.Ordinal);
        double LabelValue(TableColumn c, int r)
        {
            if (c.IsMissing(r)) return double.NaN;
            if (c.Type != ColumnType.Category) return c[r];
            string level = c.Levels[(int)c[r]];
            if (!levelIds.TryGetValue(level, out double id)) levelIds.Add(level, id = levelIds.Count);
            return id;
        }
        for (int r = 0; r < train.RowCount; r++) y.Add(LabelValue(label, r));
        for (int r = 0; r < heldOut.RowCount; r++) y.Add(LabelValue(heldLabel, r));
        var classes = y.Where(v => !double.IsNaN(v)).Distinct().ToArray();
        bool discrete = label.Type == ColumnType.Category || classes.All(v => v == Math.Floor(v)) && classes.Length <= 50;

        foreach (var c in train.Columns)
        {
            if (c.Role != ColumnRole.Feature || !heldOut.HasColumn(c.Name)) continue;
            var h = heldOut[c.Name];
            if (h.Type != c.Type || c.Type == ColumnType.Date) continue;
            string? evidence = null;
            if (c.Type == ColumnType.Number && discrete && classes.Length == 2)
            {
                var (values, score) = Pairs(c, h, y);
                double positive = classes.Max();
                var actual = values.Select(v => v == positive ? 1 : 0).ToArray();
                if (actual.Length >= options.MinimumRowsForProxy && actual.Distinct().Count() == 2)
                {
                    double auc = RankingMetrics.RocAuc(actual, score);
                    double best = Math.Max(auc, 1 - auc);
                    if (best >= options.ProxyThreshold)
                        evidence = string.Create(CultureInfo.InvariantCulture, $"alone separates the classes of '{label.Name}' with ROC-AUC {best:F4} over {actual.Length} rows");
                }
            }
            else if (c.Type == ColumnType.Number && !discrete)
            {
                var (actual, score) = Pairs(c, h, y);
                if (actual.Length >= options.MinimumRowsForProxy)
                {
                    double r = Correlation(score, actual);
                    if (Math.Abs(r) >= options.ProxyThreshold)
                        evidence = string.Create(CultureInfo.InvariantCulture, $"alone correlates with '{label.Name}' at r = {r:F4} over {actual.Length} rows");
                }
            }
            if (evidence is null && discrete && (c.Type == ColumnType.Category || DistinctCount(c) <= 50))
            {
                // The majority label of each value, learned on the training rows and scored on the held-out rows: an id-like column does not pass.
                var majority = new Dictionary<string, Dictionary<double, int>>(StringComparer.Ordinal);
                for (int r = 0; r < train.RowCount; r++)
                {
                    if (c.IsMissing(r) || double.IsNaN(y[r])) continue;
                    string k = c.Format(r);
                    if (!majority.TryGetValue(k, out var counts)) majority.Add(k, counts = []);
                    counts[y[r]] = counts.GetValueOrDefault(y[r]) + 1;
                }
                int scored = 0, right = 0;
                for (int r = 0; r < heldOut.RowCount; r++)
                {
                    double yr = y[train.RowCount + r];
                    if (h.IsMissing(r) || double.IsNaN(yr)) continue;
                    scored++;
                    if (majority.TryGetValue(h.Format(r), out var counts) && counts.MaxBy(kv => kv.Value).Key == yr) right++;
                }
                double accuracy = scored == 0 ? 0 : (double)right / scored;
                if (scored >= options.MinimumRowsForProxy && accuracy >= options.ProxyThreshold)
                    evidence = string.Create(CultureInfo.InvariantCulture,
                        $"alone predicts '{label.Name}' for {right} of {scored} {heldOut.Role} rows (accuracy {accuracy:F4}) by the majority label of each of its {majority.Count} values in the {train.Role} rows");
            }
            if (evidence is not null)
                findings.Add(new LeakageFinding(LeakageKind.TargetProxy,
                    $"Feature '{c.Name}' {evidence}: a likely target proxy, or a value known only after the outcome. " +
                    $"Check how it is recorded; if it is only known after the outcome, mark it {ColumnRole.KnownAfterOutcome} (it is then refused as a model input).",
                    [], [c.Name]));
        }
    }

    /// <summary>The (label, feature) pairs of both tables where both are present.</summary>
    private static (double[] Actual, double[] Score) Pairs(TableColumn train, TableColumn heldOut, List<double> y)
    {
        var actual = new List<double>();
        var score = new List<double>();
        for (int r = 0; r < train.Count; r++)
            if (!train.IsMissing(r) && !double.IsNaN(y[r])) { actual.Add(y[r]); score.Add(train[r]); }
        for (int r = 0; r < heldOut.Count; r++)
            if (!heldOut.IsMissing(r) && !double.IsNaN(y[train.Count + r])) { actual.Add(y[train.Count + r]); score.Add(heldOut[r]); }
        return (actual.ToArray(), score.ToArray());
    }

    private static double Correlation(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx == 0 || syy == 0 ? 0 : sxy / Math.Sqrt(sxx * syy);
    }

    private static int DistinctCount(TableColumn c)
    {
        var set = new HashSet<double>();
        foreach (double v in c.Values) if (!double.IsNaN(v)) set.Add(v);
        return set.Count;
    }

    private sealed class RowComparer : IEqualityComparer<double[]>
    {
        public static readonly RowComparer Instance = new();

        public bool Equals(double[]? a, double[]? b)
        {
            if (a is null || b is null || a.Length != b.Length) return false;
            for (int i = 0; i < a.Length; i++)
                if (!(a[i] == b[i] || (double.IsNaN(a[i]) && double.IsNaN(b[i])))) return false;
            return true;
        }

        public int GetHashCode(double[] row)
        {
            var h = new HashCode();
            foreach (double v in row) h.Add(double.IsNaN(v) ? double.NaN : v == 0 ? 0.0 : v);
            return h.ToHashCode();
        }
    }
}
