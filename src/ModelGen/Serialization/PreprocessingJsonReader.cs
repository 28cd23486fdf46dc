using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using ModelGen.Data;
using static ModelGen.Serialization.PreprocessingJsonWriter;

namespace ModelGen.Serialization;

/// <summary>
/// Reads what <see cref="PreprocessingJsonWriter"/> writes. Every field is checked (presence, JSON type, range, and the
/// lengths that must agree, e.g. one scale per column); every complaint is a <see cref="ModelFileException"/> naming the
/// field's path, what was expected and what was found.
/// </summary>
internal sealed class PreprocessingJsonReader
{
    private readonly string _source;

    private PreprocessingJsonReader(string source) => _source = source;

    /// <summary>The document in <paramref name="utf8"/>, checked; <paramref name="source"/> is the file or source errors name.</summary>
    public static PreprocessingDocument Read(ReadOnlySpan<byte> utf8, string source)
    {
        var root = PreprocessingJsonTree.Parse(utf8, source);
        return new PreprocessingJsonReader(source).Document(root);
    }

    private PreprocessingDocument Document(PreprocessingJsonTree root)
    {
        var o = new Fields(this, root, "a preprocessing document");
        // The version comes first: a newer document may differ in any other field.
        var versionNode = o.Required("version", "the format version (a whole number)");
        int version = Int(versionNode, int.MinValue, "the format version (a whole number)");
        if (version > PreprocessingDocument.FormatVersion)
            throw new ModelFileException(_source, string.Create(CultureInfo.InvariantCulture,
                $"version: the document has format version {version}, written by a newer ModelGen; this library reads format version {PreprocessingDocument.FormatVersion}. Update ModelGen to read it."));
        if (version < 1)
            throw Error(versionNode, string.Create(CultureInfo.InvariantCulture, $"format version {PreprocessingDocument.FormatVersion} (versions start at 1)"));
        var formatNode = o.Required("format", $"\"{Format}\"");
        if (formatNode.Kind != JsonTokenType.String || formatNode.Text != Format) throw Error(formatNode, $"the string \"{Format}\"");

        var inputs = Items(o.Required("inputs", "an array of input columns"), "an array of input columns", 0).Select(Input).ToArray();
        for (int i = 0; i < inputs.Length; i++)
            for (int j = 0; j < i; j++)
                if (inputs[j].Name == inputs[i].Name)
                    throw new ModelFileException(_source, string.Create(CultureInfo.InvariantCulture,
                        $"inputs[{i}].name: expected a column name not used before, found \"{inputs[i].Name}\", the name of inputs[{j}]"));

        var labelNode = o.Required("label", "the label column (an object) or null");
        ColumnSpec? label = labelNode.Kind == JsonTokenType.Null ? null : Label(labelNode);
        if (label is not null && inputs.Any(c => c.Name == label.Name))
            throw new ModelFileException(_source, $"label.name: expected a column other than the inputs, found \"{label.Name}\", which is also an input");

        var features = Names(o.Required("features", "the model's input columns (an array of names)"), 1);
        bool allowKnownAfterOutcome = Bool(o.Required("allowKnownAfterOutcome", "true or false"));
        var transformerNode = o.Required("preprocessing", "a fitted transformer (an object) or null");
        var preprocessing = transformerNode.Kind == JsonTokenType.Null ? null : Transformer(transformerNode);
        o.End();
        return PreprocessingDocument.Restore(inputs, label, features, allowKnownAfterOutcome, preprocessing, _source);
    }

    private ColumnSpec Input(PreprocessingJsonTree node)
    {
        var o = new Fields(this, node, "an input column");
        string name = Name(o.Required("name", "the column's name"));
        var type = ColumnTypeOf(o.Required("type", "the column's type"));
        var roleNode = o.Required("role", "the column's role");
        var role = Choice(roleNode, [("feature", ColumnRole.Feature), ("timestamp", ColumnRole.Timestamp), ("groupKey", ColumnRole.GroupKey), ("knownAfterOutcome", ColumnRole.KnownAfterOutcome)]);
        o.End();
        return new ColumnSpec(name, type, role) { MissingValues = MissingValues.NaN };
    }

    private ColumnSpec Label(PreprocessingJsonTree node)
    {
        var o = new Fields(this, node, "the label column");
        string name = Name(o.Required("name", "the label column's name"));
        var type = ColumnTypeOf(o.Required("type", "the label column's type"));
        string[]? classes = type == ColumnType.Category ? Names(o.Required("classes", "the class names (an array of strings), in class-index order"), 0) : null;
        o.End();
        return new ColumnSpec(name, type, ColumnRole.Label) { Levels = classes };
    }

    private ColumnType ColumnTypeOf(PreprocessingJsonTree node) =>
        Choice(node, [("number", ColumnType.Number), ("category", ColumnType.Category), ("date", ColumnType.Date)]);

    private FittedTransformer Transformer(PreprocessingJsonTree node)
    {
        var o = new Fields(this, node, "a fitted transformer");
        var kindNode = o.Required("kind", "the transformer's kind");
        string[] kinds = [PipelineKind, StandardScalerKind, MinMaxScalerKind, ImputerKind, OneHotEncoderKind, TargetEncoderKind, FeatureHasherKind,
            PolynomialFeaturesKind, VarianceThresholdKind, SelectKBestKind, PcaKind, SamplerKind];
        string kind = Choice(kindNode, kinds.Select(k => (k, k)).ToArray());
        o.What = ("aeiou".Contains(kind[0]) ? "an " : "a ") + kind;
        var origin = FitOrigin.Restored(Int(o.Required("fittedRows", "the number of rows it was fitted on"), 0, "the number of rows it was fitted on (a whole number ≥ 0)"));
        FittedTransformer result;
        switch (kind)
        {
            case PipelineKind:
            {
                var steps = Items(o.Required("steps", "the fitted steps (an array)"), "the fitted steps (an array of at least one transformer)", 1).Select(Transformer).ToArray();
                result = new Pipeline.Fitted(origin, steps);
                break;
            }
            case StandardScalerKind:
            {
                var columns = Columns(o);
                var means = Numbers(o.Required("means", "the training means"), columns, "mean");
                var scalesNode = o.Required("scales", "the scales");
                var scales = Numbers(scalesNode, columns, "scale");
                for (int i = 0; i < scales.Length; i++)
                    if (!(scales[i] > 0)) throw Error(scalesNode.Items[i], "a scale > 0 (a standard deviation, or 1 for a constant column)");
                result = new StandardScaler.Fitted(origin, columns, means, scales);
                break;
            }
            case MinMaxScalerKind:
            {
                var columns = Columns(o);
                var lows = Numbers(o.Required("dataMin", "the training minima"), columns, "minimum");
                var highs = Numbers(o.Required("dataMax", "the training maxima"), columns, "maximum");
                double min = Number(o.Required("min", "the value the training minimum maps to"));
                var maxNode = o.Required("max", "the value the training maximum maps to");
                double max = Number(maxNode);
                if (!(min < max)) throw Error(maxNode, "a number above 'min' (" + min.ToString("R", CultureInfo.InvariantCulture) + ")");
                result = new MinMaxScaler.Fitted(origin, columns, lows, highs, min, max);
                break;
            }
            case ImputerKind:
            {
                var columns = Columns(o);
                result = new Imputer.Fitted(origin, columns, Numbers(o.Required("statistics", "the fill values"), columns, "fill value"));
                break;
            }
            case OneHotEncoderKind:
            {
                var columns = Columns(o);
                var types = EncodedTypes(o, columns);
                var levelsNode = o.Required("levels", "the training levels of each column");
                var levels = PerColumn(levelsNode, columns, "array of levels").Select(l => Names(l, 0)).ToArray();
                var unknown = Choice(o.Required("unknownLevels", "what an unseen level does"), [("ignore", UnknownLevels.Ignore), ("error", UnknownLevels.Error)]);
                result = new OneHotEncoder.Fitted(origin, columns, types, levels, unknown);
                break;
            }
            case TargetEncoderKind:
            {
                var columns = Columns(o);
                double prior = Number(o.Required("prior", "the training label mean"));
                var encodings = PerColumn(o.Required("encodings", "the encoding of each level, per column"), columns, "object of level encodings")
                    .Select(e =>
                    {
                        if (e.Kind != JsonTokenType.StartObject) throw Error(e, "an object mapping each training level to its encoding");
                        return e.Fields.ToDictionary(f => f.Key, f => Number(f.Value), StringComparer.Ordinal);
                    }).ToArray();
                result = new TargetEncoder.Fitted(origin, columns, encodings, prior);
                break;
            }
            case FeatureHasherKind:
            {
                var columns = Columns(o);
                var types = EncodedTypes(o, columns);
                int outputs = Int(o.Required("outputs", "the number of output columns"), 1,
                    string.Create(CultureInfo.InvariantCulture, $"the number of output columns (a whole number from 1 to {FeatureHasher.MaxOutputs})"), FeatureHasher.MaxOutputs);
                bool alternateSign = Bool(o.Required("alternateSign", "true or false"));
                string prefix = Name(o.Required("prefix", "the output columns' name prefix"));
                result = new FeatureHasher.Fitted(origin, columns, types, new FeatureHasher(outputs, null, alternateSign, prefix));
                break;
            }
            case PolynomialFeaturesKind:
            {
                var columns = Columns(o);
                var terms = Items(o.Required("terms", "the product terms"), "the product terms (an array of arrays of column indices)", 0).Select(t =>
                    Items(t, "a product term (an array of column indices)", 1)
                        .Select(i => Int(i, 0, string.Create(CultureInfo.InvariantCulture, $"a column index from 0 to {columns.Length - 1}"), columns.Length - 1)).ToArray()).ToArray();
                result = new PolynomialFeatures.Fitted(origin, columns, terms);
                break;
            }
            case VarianceThresholdKind:
            {
                var columns = Columns(o);
                var variances = Numbers(o.Required("variances", "the training variances"), columns, "variance");
                result = new VarianceThreshold.Fitted(origin, columns, variances, Dropped(o, columns));
                break;
            }
            case SelectKBestKind:
            {
                var columns = Columns(o);
                var scores = Numbers(o.Required("scores", "the training scores"), columns, "score");
                result = new SelectKBest.Fitted(origin, columns, scores, Dropped(o, columns));
                break;
            }
            case PcaKind:
            {
                var columns = Columns(o);
                var mean = Numbers(o.Required("mean", "the training means"), columns, "mean");
                var components = Items(o.Required("components", "the component loadings"), "the component loadings (an array of at least one array of numbers)", 1)
                    .Select(c => Numbers(c, columns, "loading")).ToArray();
                var varianceNode = o.Required("explainedVariance", "the variance along each component");
                var variance = Items(varianceNode, "the variance along each component", 0).Select(Number).ToArray();
                if (variance.Length != components.Length)
                    throw Error(varianceNode, string.Create(CultureInfo.InvariantCulture, $"{components.Length} numbers (one per component)"));
                double total = Number(o.Required("totalVariance", "the total training variance"));
                string prefix = Name(o.Required("prefix", "the output columns' name prefix"));
                result = new Pca.Fitted(origin, columns, mean, components, variance, total, prefix);
                break;
            }
            default: // SamplerKind: Choice admits nothing else.
                result = new Sampler.Identity(origin, Name(o.Required("sampler", "the sampler's name")));
                break;
        }
        o.End();
        return result;
    }

    private string[] Columns(Fields o) => Names(o.Required("columns", "the columns it was fitted on (an array of names)"), 1);

    private ColumnType[] EncodedTypes(Fields o, string[] columns) =>
        PerColumn(o.Required("types", "the type of each column"), columns, "column type")
            .Select(t => Choice(t, [("category", ColumnType.Category), ("number", ColumnType.Number)])).ToArray();

    private string[] Dropped(Fields o, string[] columns)
    {
        var node = o.Required("dropped", "the columns the transform drops");
        var dropped = Names(node, 0);
        for (int i = 0; i < dropped.Length; i++)
            if (Array.IndexOf(columns, dropped[i]) < 0)
                throw Error(node.Items[i], "one of the names in 'columns'");
        return dropped;
    }

    /// <summary>The items of an array that must have one item per column.</summary>
    private IReadOnlyList<PreprocessingJsonTree> PerColumn(PreprocessingJsonTree node, string[] columns, string item)
    {
        var items = Items(node, "an array", 0);
        if (items.Count != columns.Length)
            throw Error(node, string.Create(CultureInfo.InvariantCulture, $"{Count(columns.Length, item)} (one per entry of 'columns')"));
        return items;
    }

    private double[] Numbers(PreprocessingJsonTree node, string[] columns, string item)
    {
        var items = PerColumn(node, columns, item);
        var result = new double[items.Count];
        for (int i = 0; i < result.Length; i++) result[i] = Number(items[i]);
        return result;
    }

    private static string Count(int n, string item) => n == 1 ? "1 " + item : string.Create(CultureInfo.InvariantCulture, $"{n} {item}s");

    private IReadOnlyList<PreprocessingJsonTree> Items(PreprocessingJsonTree node, string expected, int minimum)
    {
        if (node.Kind != JsonTokenType.StartArray || node.Items.Count < minimum) throw Error(node, expected);
        return node.Items;
    }

    /// <summary>Non-empty strings, each once.</summary>
    private string[] Names(PreprocessingJsonTree node, int minimum)
    {
        var items = Items(node, minimum == 0 ? "an array of names" : string.Create(CultureInfo.InvariantCulture, $"an array of at least {minimum} name{(minimum == 1 ? "" : "s")}"), minimum);
        var names = new string[items.Count];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = Name(items[i]);
            int same = Array.IndexOf(names, names[i], 0, i);
            if (same >= 0)
                throw Error(items[i], string.Create(CultureInfo.InvariantCulture, $"a name not listed before (item {same} has the same)"));
        }
        return names;
    }

    private string Name(PreprocessingJsonTree node)
    {
        if (node.Kind != JsonTokenType.String || string.IsNullOrEmpty(node.Text)) throw Error(node, "a non-empty string");
        return node.Text;
    }

    private bool Bool(PreprocessingJsonTree node) => node.Kind switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw Error(node, "true or false"),
    };

    private int Int(PreprocessingJsonTree node, int minimum, string expected, int maximum = int.MaxValue)
    {
        if (node.Kind == JsonTokenType.Number && int.TryParse(node.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value)
            && value >= minimum && value <= maximum)
            return value;
        throw Error(node, expected);
    }

    /// <summary>A double: a JSON number that fits one exactly as written, or one of the strings "NaN", "Infinity", "-Infinity".</summary>
    private double Number(PreprocessingJsonTree node)
    {
        const string expected = "a number (or \"NaN\", \"Infinity\", \"-Infinity\")";
        if (node.Kind == JsonTokenType.String)
            return node.Text switch
            {
                PreprocessingJsonWriter.NaN => double.NaN,
                PositiveInfinity => double.PositiveInfinity,
                NegativeInfinity => double.NegativeInfinity,
                _ => throw Error(node, expected),
            };
        if (node.Kind != JsonTokenType.Number) throw Error(node, expected);
        double value = double.Parse(node.Text!, NumberStyles.Float, CultureInfo.InvariantCulture);
        // A writer spells infinity as a string; a number this large is a damaged document, not a value.
        if (!double.IsFinite(value)) throw Error(node, "a number within the range of a double");
        return value;
    }

    private T Choice<T>(PreprocessingJsonTree node, (string Name, T Value)[] choices)
    {
        if (node.Kind == JsonTokenType.String)
            foreach (var (name, value) in choices)
                if (node.Text == name) return value;
        throw Error(node, "one of " + string.Join(", ", choices.Select(c => "\"" + c.Name + "\"")));
    }

    private ModelFileException Error(PreprocessingJsonTree node, string expected) =>
        new(_source, $"{Where(node.Path)}: expected {expected}, found {node.Describe()}");

    private static string Where(string path) => path.Length == 0 ? "the document" : path;

    /// <summary>The fields of one object: each asked for once, and none left over.</summary>
    private sealed class Fields
    {
        private readonly PreprocessingJsonReader _reader;
        private readonly PreprocessingJsonTree _node;
        private readonly List<string> _read = [];

        public Fields(PreprocessingJsonReader reader, PreprocessingJsonTree node, string what)
        {
            _reader = reader;
            _node = node;
            What = what;
            if (node.Kind != JsonTokenType.StartObject) throw reader.Error(node, what + " (a JSON object)");
        }

        /// <summary>What the object is, in messages: "a standardScaler", "an input column".</summary>
        public string What { get; set; }

        public PreprocessingJsonTree Required(string name, string expected)
        {
            _read.Add(name);
            foreach (var (key, value) in _node.Fields)
                if (key == name) return value;
            throw new ModelFileException(_reader._source,
                $"{PreprocessingJsonTree.FieldPath(_node.Path, name)}: expected {expected}, found no such field in {What}{At()}");
        }

        /// <summary>Rejects a field nobody asked for: a misspelt name, or a field of another version or kind.</summary>
        public void End()
        {
            foreach (var (key, value) in _node.Fields)
                if (!_read.Contains(key))
                    throw new ModelFileException(_reader._source,
                        $"{value.Path}: unexpected field in {What}{At()}; expected only the fields {string.Join(", ", _read.Select(n => "'" + n + "'"))}");
        }

        private string At() => _node.Path.Length == 0 ? "" : " at " + _node.Path;
    }
}
