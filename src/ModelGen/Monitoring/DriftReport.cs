using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ModelGen.Monitoring;

/// <summary>Which test a <see cref="FeatureDrift"/> reports.</summary>
public enum DriftTest
{
    /// <summary>Two-sample Kolmogorov–Smirnov with the exact p-value (a numeric feature, both samples within <see cref="DriftOptions.KsExactSizeLimit"/>).</summary>
    KolmogorovSmirnovExact = 0,

    /// <summary>Two-sample Kolmogorov–Smirnov with the asymptotic p-value (a numeric feature, a sample above <see cref="DriftOptions.KsExactSizeLimit"/>).</summary>
    KolmogorovSmirnovAsymptotic,

    /// <summary>Pearson's chi-square goodness of fit of the window's level counts to the training proportions (a categorical feature).</summary>
    ChiSquare,

    /// <summary>No test could be made: a categorical feature with a single training level, or a window whose values all have levels unseen in training.</summary>
    None,
}

/// <summary>Why a feature was called drifted; several reasons can hold at once.</summary>
[Flags]
public enum DriftReasons
{
    /// <summary>Not drifted.</summary>
    None = 0,

    /// <summary>The test's p-value is below <see cref="DriftOptions.Alpha"/>.</summary>
    PValue = 1,

    /// <summary>The population stability index is at least <see cref="DriftOptions.PsiThreshold"/>.</summary>
    Psi = 2,

    /// <summary>The window holds levels of a categorical feature that no training row had.</summary>
    UnseenLevels = 4,
}

/// <summary>How one feature of a window compares with training.</summary>
public sealed class FeatureDrift
{
    internal FeatureDrift(string name, DriftFeatureKind kind, DriftTest test, double statistic, double pValue, int degreesOfFreedom,
        double psi, int windowCount, long unseenCount, IReadOnlyList<string> unseenLevels, DriftReasons reasons)
    {
        Name = name;
        Kind = kind;
        Test = test;
        Statistic = statistic;
        PValue = pValue;
        DegreesOfFreedom = degreesOfFreedom;
        Psi = psi;
        WindowCount = windowCount;
        UnseenCount = unseenCount;
        UnseenLevels = unseenLevels;
        Reasons = reasons;
    }

    /// <summary>The feature (column) name.</summary>
    public string Name { get; }

    /// <summary>Numeric or categorical.</summary>
    public DriftFeatureKind Kind { get; }

    /// <summary>The test that gave <see cref="Statistic"/> and <see cref="PValue"/>.</summary>
    public DriftTest Test { get; }

    /// <summary>The Kolmogorov–Smirnov D or the chi-square statistic; NaN when <see cref="Test"/> is <see cref="DriftTest.None"/>.</summary>
    public double Statistic { get; }

    /// <summary>The test's p-value; NaN when <see cref="Test"/> is <see cref="DriftTest.None"/>.</summary>
    public double PValue { get; }

    /// <summary>The chi-square test's degrees of freedom (training levels with at least one row, minus 1); 0 for the other tests.</summary>
    public int DegreesOfFreedom { get; }

    /// <summary>The population stability index of the window against training.</summary>
    public double Psi { get; }

    /// <summary>The number of window values compared.</summary>
    public int WindowCount { get; }

    /// <summary>How many window values of a categorical feature have a level no training row had (0 for numeric features).</summary>
    public long UnseenCount { get; }

    /// <summary>Up to 10 of those levels, most frequent first (ties by name).</summary>
    public IReadOnlyList<string> UnseenLevels { get; }

    /// <summary>Why the feature is drifted; <see cref="DriftReasons.None"/> when it is not.</summary>
    public DriftReasons Reasons { get; }

    /// <summary>Whether any drift rule fired.</summary>
    public bool IsDrifted => Reasons != DriftReasons.None;

    /// <summary>The test as text: "KS exact", "KS asymptotic", "chi-square(3)" or "none".</summary>
    public string TestName => Test switch
    {
        DriftTest.KolmogorovSmirnovExact => "KS exact",
        DriftTest.KolmogorovSmirnovAsymptotic => "KS asymptotic",
        DriftTest.ChiSquare => string.Create(CultureInfo.InvariantCulture, $"chi-square({DegreesOfFreedom})"),
        _ => "none",
    };

    /// <summary>One line: name, test, statistic, p-value, PSI and the verdict.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"'{Name}': {TestName} statistic {Format(Statistic)}, p = {Format(PValue)}, PSI {Format(Psi)}: {Verdict()}");

    internal string Verdict()
    {
        if (!IsDrifted) return "no drift";
        var why = new List<string>();
        if ((Reasons & DriftReasons.PValue) != 0) why.Add("p-value");
        if ((Reasons & DriftReasons.Psi) != 0) why.Add("PSI");
        if ((Reasons & DriftReasons.UnseenLevels) != 0)
            why.Add(string.Create(CultureInfo.InvariantCulture, $"{UnseenCount} value{(UnseenCount == 1 ? "" : "s")} of unseen levels ({string.Join(", ", UnseenLevels.Select(l => "'" + l + "'"))})"));
        return "DRIFT (" + string.Join("; ", why) + ")";
    }

    internal static string Format(double x) =>
        double.IsNaN(x) ? "n/a"
        : double.IsPositiveInfinity(x) ? "∞"
        : x != 0 && Math.Abs(x) < 1e-3 ? x.ToString("0.00e+0", CultureInfo.InvariantCulture)
        : x.ToString("0.####", CultureInfo.InvariantCulture);
}

/// <summary>
/// The result of comparing one window of live rows with the training data: a <see cref="FeatureDrift"/> per monitored
/// feature, which of them drifted, and the thresholds used. <see cref="ToString"/> is a table for people;
/// <see cref="ToJson"/> is a JSON object for a service's response (shape in docs/monitoring.md).
/// </summary>
public sealed class DriftReport
{
    internal DriftReport(int trainingRows, int windowRows, DriftOptions options, FeatureDrift[] features)
    {
        TrainingRows = trainingRows;
        WindowRows = windowRows;
        Alpha = options.Alpha;
        PsiThreshold = options.PsiThreshold;
        Features = features;
        Drifted = features.Where(f => f.IsDrifted).ToArray();
    }

    /// <summary>The number of training rows the monitor was built from.</summary>
    public int TrainingRows { get; }

    /// <summary>The number of rows in the window.</summary>
    public int WindowRows { get; }

    /// <summary>The p-value threshold used (<see cref="DriftOptions.Alpha"/>).</summary>
    public double Alpha { get; }

    /// <summary>The PSI threshold used (<see cref="DriftOptions.PsiThreshold"/>).</summary>
    public double PsiThreshold { get; }

    /// <summary>Every monitored feature, in the monitor's order.</summary>
    public IReadOnlyList<FeatureDrift> Features { get; }

    /// <summary>The drifted features, in the monitor's order.</summary>
    public IReadOnlyList<FeatureDrift> Drifted { get; }

    /// <summary>Whether any feature drifted.</summary>
    public bool HasDrift => Drifted.Count > 0;

    /// <summary>The feature named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No monitored feature has that name.</exception>
    public FeatureDrift this[string name] =>
        Features.FirstOrDefault(f => f.Name == name)
        ?? throw new ArgumentException($"The report has no feature '{name}'; its features are {string.Join(", ", Features.Select(f => "'" + f.Name + "'"))}.", nameof(name));

    /// <summary>A one-line summary followed by a table with one line per feature.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{(HasDrift ? "DRIFT" : "No drift")}: {Drifted.Count} of {Features.Count} features drifted");
        if (HasDrift) sb.Append(" (").AppendJoin(", ", Drifted.Select(f => "'" + f.Name + "'")).Append(')');
        sb.Append(CultureInfo.InvariantCulture,
            $"; window of {WindowRows} rows vs {TrainingRows} training rows; drifted = p < {FeatureDrift.Format(Alpha)} or PSI ≥ {FeatureDrift.Format(PsiThreshold)} or unseen levels").AppendLine();
        string[] header = ["feature", "test", "statistic", "p-value", "PSI", "verdict"];
        var rows = Features.Select(f => new[] { f.Name, f.TestName, FeatureDrift.Format(f.Statistic), FeatureDrift.Format(f.PValue), FeatureDrift.Format(f.Psi), f.Verdict() }).ToList();
        rows.Insert(0, header);
        var widths = Enumerable.Range(0, header.Length).Select(j => rows.Max(r => r[j].Length)).ToArray();
        foreach (var r in rows)
        {
            sb.Append("  ");
            for (int j = 0; j < r.Length; j++)
            {
                // Names and the verdict read left to right; numbers line up on the right.
                bool left = j is 0 or 1 or 5;
                if (j == r.Length - 1) sb.Append(r[j]);
                else sb.Append(left ? r[j].PadRight(widths[j]) : r[j].PadLeft(widths[j])).Append("  ");
            }
            sb.Append('\n');
        }
        return sb.ToString().TrimEnd(' ', '\n');
    }

    /// <summary>The report as an indented JSON object (NaN as null); see docs/monitoring.md for the fields.</summary>
    public string ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            WriteTo(writer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Writes the report as one JSON object (e.g. into an HTTP response's writer); no reflection.</summary>
    /// <param name="writer">Where to write.</param>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteBoolean("hasDrift", HasDrift);
        writer.WriteNumber("trainingRows", TrainingRows);
        writer.WriteNumber("windowRows", WindowRows);
        Number(writer, "alpha", Alpha);
        Number(writer, "psiThreshold", PsiThreshold);
        writer.WriteStartArray("drifted");
        foreach (var f in Drifted) writer.WriteStringValue(f.Name);
        writer.WriteEndArray();
        writer.WriteStartArray("features");
        foreach (var f in Features)
        {
            writer.WriteStartObject();
            writer.WriteString("name", f.Name);
            writer.WriteString("kind", f.Kind == DriftFeatureKind.Numeric ? "numeric" : "categorical");
            writer.WriteString("test", f.Test switch
            {
                DriftTest.KolmogorovSmirnovExact => "ks-exact",
                DriftTest.KolmogorovSmirnovAsymptotic => "ks-asymptotic",
                DriftTest.ChiSquare => "chi-square",
                _ => "none",
            });
            Number(writer, "statistic", f.Statistic);
            Number(writer, "pValue", f.PValue);
            if (f.Test == DriftTest.ChiSquare) writer.WriteNumber("degreesOfFreedom", f.DegreesOfFreedom);
            Number(writer, "psi", f.Psi);
            writer.WriteNumber("windowCount", f.WindowCount);
            writer.WriteBoolean("drifted", f.IsDrifted);
            writer.WriteStartArray("reasons");
            if ((f.Reasons & DriftReasons.PValue) != 0) writer.WriteStringValue("pValue");
            if ((f.Reasons & DriftReasons.Psi) != 0) writer.WriteStringValue("psi");
            if ((f.Reasons & DriftReasons.UnseenLevels) != 0) writer.WriteStringValue("unseenLevels");
            writer.WriteEndArray();
            if (f.Kind == DriftFeatureKind.Categorical)
            {
                writer.WriteNumber("unseenCount", f.UnseenCount);
                writer.WriteStartArray("unseenLevels");
                foreach (var l in f.UnseenLevels) writer.WriteStringValue(l);
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    // JSON numbers cannot hold NaN or ∞: a missing statistic is null, a threshold turned off is the string "Infinity".
    private static void Number(Utf8JsonWriter writer, string name, double x)
    {
        if (double.IsNaN(x)) writer.WriteNull(name);
        else if (double.IsPositiveInfinity(x)) writer.WriteString(name, "Infinity");
        else writer.WriteNumber(name, x);
    }
}
