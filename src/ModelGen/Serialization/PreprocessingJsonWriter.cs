using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using ModelGen.Data;

namespace ModelGen.Serialization;

/// <summary>
/// Writes a <see cref="PreprocessingDocument"/> as JSON with <see cref="Utf8JsonWriter"/> (no reflection). The shape is
/// described in docs/serialization.md; <see cref="PreprocessingJsonReader"/> reads it back.
/// </summary>
internal static class PreprocessingJsonWriter
{
    /// <summary>The value of the document's "format" field.</summary>
    public const string Format = "modelgen.preprocessing";

    // Transformer kinds, as the "kind" field spells them.
    public const string StandardScalerKind = "standardScaler";
    public const string MinMaxScalerKind = "minMaxScaler";
    public const string ImputerKind = "imputer";
    public const string OneHotEncoderKind = "oneHotEncoder";
    public const string TargetEncoderKind = "targetEncoder";
    public const string FeatureHasherKind = "featureHasher";
    public const string PolynomialFeaturesKind = "polynomialFeatures";
    public const string VarianceThresholdKind = "varianceThreshold";
    public const string SelectKBestKind = "selectKBest";
    public const string PcaKind = "pca";
    public const string PipelineKind = "pipeline";
    public const string SamplerKind = "sampler";

    /// <summary>The JSON spelling of the special doubles JSON numbers cannot hold.</summary>
    public const string NaN = "NaN", PositiveInfinity = "Infinity", NegativeInfinity = "-Infinity";

    /// <summary>Whether <paramref name="fitted"/> (and every step of a fitted pipeline) is of a kind the document can hold.</summary>
    public static string? Unsupported(FittedTransformer fitted) => fitted switch
    {
        Pipeline.Fitted p => p.Steps.Select(Unsupported).FirstOrDefault(u => u is not null),
        StandardScaler.Fitted or MinMaxScaler.Fitted or Imputer.Fitted or OneHotEncoder.Fitted or TargetEncoder.Fitted
            or FeatureHasher.Fitted or PolynomialFeatures.Fitted or VarianceThreshold.Fitted or SelectKBest.Fitted
            or Pca.Fitted or Sampler.Identity => null,
        _ => fitted.GetType().FullName ?? fitted.GetType().Name,
    };

    public static void Write(Utf8JsonWriter w, PreprocessingDocument document)
    {
        w.WriteStartObject();
        w.WriteString("format", Format);
        w.WriteNumber("version", PreprocessingDocument.FormatVersion);
        w.WriteStartArray("inputs");
        foreach (var c in document.Inputs)
        {
            w.WriteStartObject();
            w.WriteString("name", c.Name);
            w.WriteString("type", Name(c.Type));
            w.WriteString("role", Name(c.Role));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (document.Label is { } label)
        {
            w.WriteStartObject("label");
            w.WriteString("name", label.Name);
            w.WriteString("type", Name(label.Type));
            if (label.Type == ColumnType.Category) Strings(w, "classes", label.Levels!);
            w.WriteEndObject();
        }
        else w.WriteNull("label");
        Strings(w, "features", document.Features);
        w.WriteBoolean("allowKnownAfterOutcome", document.AllowKnownAfterOutcome);
        w.WritePropertyName("preprocessing");
        if (document.Preprocessing is { } p) Transformer(w, p);
        else w.WriteNullValue();
        w.WriteEndObject();
    }

    private static void Transformer(Utf8JsonWriter w, FittedTransformer fitted)
    {
        w.WriteStartObject();
        switch (fitted)
        {
            case Pipeline.Fitted p:
                Header(w, PipelineKind, p);
                w.WriteStartArray("steps");
                foreach (var step in p.Steps) Transformer(w, step);
                w.WriteEndArray();
                break;
            case StandardScaler.Fitted s:
                Header(w, StandardScalerKind, s);
                Strings(w, "columns", s.Columns);
                Numbers(w, "means", s.Means);
                Numbers(w, "scales", s.Scales);
                break;
            case MinMaxScaler.Fitted m:
                Header(w, MinMaxScalerKind, m);
                Strings(w, "columns", m.Columns);
                Numbers(w, "dataMin", m.DataMin);
                Numbers(w, "dataMax", m.DataMax);
                Number(w, "min", m.RangeMin);
                Number(w, "max", m.RangeMax);
                break;
            case Imputer.Fitted i:
                Header(w, ImputerKind, i);
                Strings(w, "columns", i.Columns);
                Numbers(w, "statistics", i.Statistics);
                break;
            case OneHotEncoder.Fitted o:
                Header(w, OneHotEncoderKind, o);
                Strings(w, "columns", o.Columns);
                Strings(w, "types", o.Types.Select(Name).ToArray());
                w.WriteStartArray("levels");
                for (int c = 0; c < o.Columns.Count; c++) Strings(w, null, o.Levels(c));
                w.WriteEndArray();
                w.WriteString("unknownLevels", Name(o.UnknownLevels));
                break;
            case TargetEncoder.Fitted t:
                Header(w, TargetEncoderKind, t);
                Strings(w, "columns", t.Columns);
                Number(w, "prior", t.Prior);
                w.WriteStartArray("encodings");
                for (int c = 0; c < t.Columns.Count; c++)
                {
                    // Sorted, so that the same fit always gives the same text.
                    w.WriteStartObject();
                    foreach (var (level, value) in t.Encodings(c).OrderBy(kv => kv.Key, StringComparer.Ordinal)) Number(w, level, value);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                break;
            case FeatureHasher.Fitted h:
                Header(w, FeatureHasherKind, h);
                Strings(w, "columns", h.Columns);
                Strings(w, "types", h.Types.Select(Name).ToArray());
                w.WriteNumber("outputs", h.Hasher.Outputs);
                w.WriteBoolean("alternateSign", h.Hasher.AlternateSign);
                w.WriteString("prefix", h.Hasher.Prefix);
                break;
            case PolynomialFeatures.Fitted p:
                Header(w, PolynomialFeaturesKind, p);
                Strings(w, "columns", p.Columns);
                w.WritePropertyName("terms");
                w.WriteRawValue("[" + string.Join(", ", p.Terms.Select(t => "[" + string.Join(", ", t.Select(i => i.ToString(CultureInfo.InvariantCulture))) + "]")) + "]");
                break;
            case VarianceThreshold.Fitted v:
                Header(w, VarianceThresholdKind, v);
                Strings(w, "columns", v.Columns);
                Numbers(w, "variances", v.Variances);
                Strings(w, "dropped", v.Dropped);
                break;
            case SelectKBest.Fitted k:
                Header(w, SelectKBestKind, k);
                Strings(w, "columns", k.Columns);
                Numbers(w, "scores", k.Scores);
                Strings(w, "dropped", k.Dropped);
                break;
            case Pca.Fitted p:
                Header(w, PcaKind, p);
                Strings(w, "columns", p.Columns);
                Numbers(w, "mean", p.Mean);
                NumberArrays(w, "components", Enumerable.Range(0, p.ComponentCount).Select(p.Component));
                Numbers(w, "explainedVariance", p.ExplainedVariance);
                Number(w, "totalVariance", p.TotalVariance);
                w.WriteString("prefix", p.Prefix);
                break;
            case Sampler.Identity s:
                Header(w, SamplerKind, s);
                w.WriteString("sampler", s.Sampler);
                break;
            default:
                throw new ArgumentException($"{fitted.GetType().Name} has no saved form; only the transformers of ModelGen.Data can be saved.", nameof(fitted));
        }
        w.WriteEndObject();
    }

    private static void Header(Utf8JsonWriter w, string kind, FittedTransformer fitted)
    {
        w.WriteString("kind", kind);
        w.WriteNumber("fittedRows", fitted.FittedRowCount);
    }

    private static void Strings(Utf8JsonWriter w, string? name, IReadOnlyList<string> values)
    {
        if (name is null) w.WriteStartArray(); else w.WriteStartArray(name);
        foreach (var s in values) w.WriteStringValue(s);
        w.WriteEndArray();
    }

    // Numbers go out as raw text, formatted here rather than by the writer, so that the round-trip format is explicit.
    // An array of numbers is one raw value (one line): the writer does not indent raw values inside an array.

    private static void Numbers(Utf8JsonWriter w, string name, IReadOnlyList<double> values)
    {
        w.WritePropertyName(name);
        w.WriteRawValue(NumberArray(values));
    }

    private static void NumberArrays(Utf8JsonWriter w, string name, IEnumerable<IReadOnlyList<double>> arrays)
    {
        w.WritePropertyName(name);
        w.WriteRawValue("[" + string.Join(", ", arrays.Select(NumberArray)) + "]");
    }

    private static string NumberArray(IReadOnlyList<double> values) => "[" + string.Join(", ", values.Select(NumberText)) + "]";

    private static void Number(Utf8JsonWriter w, string name, double x)
    {
        w.WritePropertyName(name);
        w.WriteRawValue(NumberText(x));
    }

    /// <summary>A finite double as its shortest round-trip text (parsing it gives the same bits, −0 included); NaN and ±∞, which JSON numbers cannot hold, as strings.</summary>
    internal static string NumberText(double x) =>
        double.IsNaN(x) ? "\"" + NaN + "\""
        : double.IsPositiveInfinity(x) ? "\"" + PositiveInfinity + "\""
        : double.IsNegativeInfinity(x) ? "\"" + NegativeInfinity + "\""
        : x.ToString("R", CultureInfo.InvariantCulture);

    public static string Name(ColumnType type) => type switch
    {
        ColumnType.Number => "number",
        ColumnType.Category => "category",
        ColumnType.Date => "date",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown column type."),
    };

    public static string Name(ColumnRole role) => role switch
    {
        ColumnRole.Feature => "feature",
        ColumnRole.Label => "label",
        ColumnRole.Timestamp => "timestamp",
        ColumnRole.GroupKey => "groupKey",
        ColumnRole.KnownAfterOutcome => "knownAfterOutcome",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown column role."),
    };

    public static string Name(UnknownLevels unknown) => unknown switch
    {
        UnknownLevels.Ignore => "ignore",
        UnknownLevels.Error => "error",
        _ => throw new ArgumentOutOfRangeException(nameof(unknown), unknown, "Unknown policy."),
    };
}
