using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Encodings.Web;
using System.Text.Json;
using ModelGen.Serialization;

namespace ModelGen.Monitoring;

/// <summary>
/// The saved form of a <see cref="DriftMonitor"/>'s reference: JSON written with <see cref="Utf8JsonWriter"/> and read
/// through <see cref="PreprocessingJsonTree"/> (no reflection), in the style of the preprocessing document. Every
/// complaint is a <see cref="ModelFileException"/> naming the field's path.
/// </summary>
internal static class DriftJson
{
    public const string Format = "modelgen.drift";
    public const int FormatVersion = 1;

    public static byte[] Write(DriftMonitor monitor)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteNumber("version", FormatVersion);
            w.WriteNumber("trainingRows", monitor.TrainingRows);
            w.WriteStartObject("options");
            Number(w, "alpha", monitor.Options.Alpha);
            Number(w, "psiThreshold", monitor.Options.PsiThreshold);
            w.WriteNumber("psiBins", monitor.Options.PsiBins);
            Number(w, "psiEpsilon", monitor.Options.PsiEpsilon);
            w.WriteNumber("ksExactSizeLimit", monitor.Options.KsExactSizeLimit);
            w.WriteEndObject();
            w.WriteStartArray("features");
            foreach (var f in monitor.References)
            {
                w.WriteStartObject();
                w.WriteString("name", f.Name);
                switch (f)
                {
                    case NumericReference n:
                        w.WriteString("kind", "numeric");
                        // One raw line: the writer does not indent raw values, and a long array stays readable.
                        w.WritePropertyName("sortedValues");
                        w.WriteRawValue("[" + string.Join(", ", n.Sorted.Select(PreprocessingJsonWriter.NumberText)) + "]");
                        break;
                    case CategoricalReference c:
                        w.WriteString("kind", "categorical");
                        w.WriteStartArray("levels");
                        foreach (var l in c.Levels) w.WriteStringValue(l);
                        w.WriteEndArray();
                        w.WritePropertyName("counts");
                        w.WriteRawValue("[" + string.Join(", ", c.Counts.Select(k => k.ToString(CultureInfo.InvariantCulture))) + "]");
                        break;
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void Number(Utf8JsonWriter w, string name, double x)
    {
        w.WritePropertyName(name);
        w.WriteRawValue(PreprocessingJsonWriter.NumberText(x));
    }

    public static DriftMonitor Read(ReadOnlySpan<byte> utf8, string source)
    {
        var root = PreprocessingJsonTree.Parse(utf8, source);
        var r = new Reader(source);
        r.Object(root, "a drift reference");
        var versionNode = r.Field(root, "version", "the format version (a whole number)");
        int version = r.Int(versionNode, 1, "the format version (a whole number ≥ 1)");
        if (version > FormatVersion)
            throw new ModelFileException(source, string.Create(CultureInfo.InvariantCulture,
                $"version: the drift reference has format version {version}, written by a newer ModelGen; this library reads format version {FormatVersion}. Update ModelGen to read it."));
        var formatNode = r.Field(root, "format", $"\"{Format}\"");
        if (formatNode.Kind != JsonTokenType.String || formatNode.Text != Format) throw r.Error(formatNode, $"the string \"{Format}\"");
        int trainingRows = r.Int(r.Field(root, "trainingRows", "the number of training rows"), 1, "the number of training rows (a whole number ≥ 1)");

        var optionsNode = r.Field(root, "options", "the drift options (an object)");
        r.Object(optionsNode, "the drift options");
        var options = new DriftOptions
        {
            Alpha = r.Number(r.Field(optionsNode, "alpha", "the p-value threshold")),
            PsiThreshold = r.Number(r.Field(optionsNode, "psiThreshold", "the PSI threshold")),
            PsiBins = r.Int(r.Field(optionsNode, "psiBins", "the number of PSI bins"), 2, "the number of PSI bins (a whole number from 2 to 1000)", 1000),
            PsiEpsilon = r.Number(r.Field(optionsNode, "psiEpsilon", "the empty-bin proportion")),
            KsExactSizeLimit = r.Int(r.Field(optionsNode, "ksExactSizeLimit", "the largest sample size with an exact KS p-value"), 0, "the largest sample size with an exact KS p-value (a whole number ≥ 0)"),
        };
        r.NoOtherFields(optionsNode, "alpha", "psiThreshold", "psiBins", "psiEpsilon", "ksExactSizeLimit");
        try
        {
            options.Validate("options");
        }
        catch (ArgumentException e)
        {
            throw new ModelFileException(source, "options: " + e.Message, e);
        }

        var featuresNode = r.Field(root, "features", "the monitored features (an array)");
        if (featuresNode.Kind != JsonTokenType.StartArray || featuresNode.Items.Count == 0) throw r.Error(featuresNode, "an array of at least one feature");
        var features = new FeatureReference[featuresNode.Items.Count];
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < features.Length; i++)
        {
            var node = featuresNode.Items[i];
            r.Object(node, "a monitored feature");
            var nameNode = r.Field(node, "name", "the feature's name");
            string name = r.Name(nameNode);
            if (!names.Add(name)) throw r.Error(nameNode, "a feature name not used before");
            var kindNode = r.Field(node, "kind", "\"numeric\" or \"categorical\"");
            switch (kindNode.Text)
            {
                case "numeric" when kindNode.Kind == JsonTokenType.String:
                {
                    var valuesNode = r.Field(node, "sortedValues", "the sorted training values");
                    if (valuesNode.Kind != JsonTokenType.StartArray || valuesNode.Items.Count != trainingRows)
                        throw r.Error(valuesNode, string.Create(CultureInfo.InvariantCulture, $"an array of {trainingRows} numbers (one per training row)"));
                    var sorted = new double[trainingRows];
                    for (int k = 0; k < sorted.Length; k++)
                    {
                        sorted[k] = r.Number(valuesNode.Items[k]);
                        if (!double.IsFinite(sorted[k])) throw r.Error(valuesNode.Items[k], "a finite number");
                        if (k > 0 && sorted[k] < sorted[k - 1]) throw r.Error(valuesNode.Items[k], "a number ≥ the one before (the values are sorted)");
                    }
                    r.NoOtherFields(node, "name", "kind", "sortedValues");
                    features[i] = new NumericReference(name, sorted, options.PsiBins);
                    break;
                }
                case "categorical" when kindNode.Kind == JsonTokenType.String:
                {
                    var levelsNode = r.Field(node, "levels", "the training levels");
                    if (levelsNode.Kind != JsonTokenType.StartArray || levelsNode.Items.Count == 0) throw r.Error(levelsNode, "an array of at least one level");
                    var levels = new string[levelsNode.Items.Count];
                    for (int k = 0; k < levels.Length; k++)
                    {
                        levels[k] = r.Name(levelsNode.Items[k]);
                        if (Array.IndexOf(levels, levels[k], 0, k) >= 0) throw r.Error(levelsNode.Items[k], "a level not listed before");
                    }
                    var countsNode = r.Field(node, "counts", "the training count of each level");
                    if (countsNode.Kind != JsonTokenType.StartArray || countsNode.Items.Count != levels.Length)
                        throw r.Error(countsNode, string.Create(CultureInfo.InvariantCulture, $"an array of {levels.Length} counts (one per level)"));
                    var counts = new long[levels.Length];
                    for (int k = 0; k < counts.Length; k++) counts[k] = r.Int(countsNode.Items[k], 0, "a count (a whole number ≥ 0)");
                    if (counts.Sum() != trainingRows)
                        throw r.Error(countsNode, string.Create(CultureInfo.InvariantCulture, $"counts that add up to trainingRows ({trainingRows})"));
                    r.NoOtherFields(node, "name", "kind", "levels", "counts");
                    features[i] = new CategoricalReference(name, levels, counts);
                    break;
                }
                default:
                    throw r.Error(kindNode, "one of \"numeric\", \"categorical\"");
            }
        }
        r.NoOtherFields(root, "format", "version", "trainingRows", "options", "features");
        return DriftMonitor.Restore(features, trainingRows, options);
    }

    /// <summary>Field access with messages that name the path, what was expected and what was found.</summary>
    private sealed class Reader(string source)
    {
        public PreprocessingJsonTree Object(PreprocessingJsonTree node, string what)
        {
            if (node.Kind != JsonTokenType.StartObject) throw Error(node, what + " (a JSON object)");
            return node;
        }

        public PreprocessingJsonTree Field(PreprocessingJsonTree node, string name, string expected)
        {
            foreach (var (key, value) in node.Fields)
                if (key == name) return value;
            throw new ModelFileException(source, $"{PreprocessingJsonTree.FieldPath(node.Path, name)}: expected {expected}, found no such field");
        }

        public void NoOtherFields(PreprocessingJsonTree node, params string[] known)
        {
            foreach (var (key, value) in node.Fields)
                if (Array.IndexOf(known, key) < 0)
                    throw new ModelFileException(source, $"{value.Path}: unexpected field; expected only the fields {string.Join(", ", known.Select(k => "'" + k + "'"))}");
        }

        public string Name(PreprocessingJsonTree node)
        {
            if (node.Kind != JsonTokenType.String || string.IsNullOrEmpty(node.Text)) throw Error(node, "a non-empty string");
            return node.Text;
        }

        public int Int(PreprocessingJsonTree node, int minimum, string expected, int maximum = int.MaxValue)
        {
            if (node.Kind == JsonTokenType.Number && int.TryParse(node.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value)
                && value >= minimum && value <= maximum)
                return value;
            throw Error(node, expected);
        }

        /// <summary>A JSON number, or the strings "NaN", "Infinity", "-Infinity" the writer uses for what JSON numbers cannot hold.</summary>
        public double Number(PreprocessingJsonTree node)
        {
            const string expected = "a number (or \"Infinity\")";
            if (node.Kind == JsonTokenType.String)
                return node.Text switch
                {
                    PreprocessingJsonWriter.NaN => double.NaN,
                    PreprocessingJsonWriter.PositiveInfinity => double.PositiveInfinity,
                    PreprocessingJsonWriter.NegativeInfinity => double.NegativeInfinity,
                    _ => throw Error(node, expected),
                };
            if (node.Kind != JsonTokenType.Number) throw Error(node, expected);
            double value = double.Parse(node.Text!, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (!double.IsFinite(value)) throw Error(node, "a number within the range of a double");
            return value;
        }

        public ModelFileException Error(PreprocessingJsonTree node, string expected) =>
            new(source, $"{(node.Path.Length == 0 ? "the document" : node.Path)}: expected {expected}, found {node.Describe()}");
    }
}
