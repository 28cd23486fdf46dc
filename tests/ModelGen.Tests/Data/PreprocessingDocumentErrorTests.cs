using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json.Nodes;
using ModelGen.Data;
using ModelGen.Serialization;
using Xunit;
using static ModelGen.Tests.Data.PreprocessingFixture;

namespace ModelGen.Tests.Data;

/// <summary>Damaged preprocessing documents: each is a <see cref="ModelFileException"/> naming the field, what was expected and what was found.</summary>
public class PreprocessingDocumentErrorTests
{
    private const string Source = "bad.json";

    private static readonly Lazy<(string Json, TrainTestSplit Data)> Valid = new(() =>
    {
        // Steps: 0 imputer, 1 oneHotEncoder, 2 targetEncoder, 3 polynomialFeatures, 4 standardScaler, 5 sampler,
        // 6 varianceThreshold, 7 minMaxScaler, 8 selectKBest, 9 pca.
        var data = Load("breast_cancer.csv", missing: true);
        var (fitted, output) = LongPipeline().FitTransform(data.Train);
        return (PreprocessingDocument.Create(data.Train, fitted, ModelFeatures(output)).ToJson(), data);
    });

    private static JsonObject Document() => JsonNode.Parse(Valid.Value.Json)!.AsObject();

    private static JsonObject Step(JsonObject document, int i) => document["preprocessing"]!["steps"]![i]!.AsObject();

    private static string Edit(Action<JsonObject> edit)
    {
        var document = Document();
        edit(document);
        return document.ToJsonString();
    }

    private static ModelFileException Rejects(string json, params string[] fragments)
    {
        var e = Assert.Throws<ModelFileException>(() => PreprocessingDocument.FromJson(json, Source));
        Assert.Equal(Source, e.FilePath);
        Assert.StartsWith("'bad.json': ", e.Message);
        foreach (var f in fragments) Assert.Contains(f, e.Message);
        return e;
    }

    [Fact]
    public void TheValidDocumentReads() => Assert.Equal(6, PreprocessingDocument.FromJson(Valid.Value.Json, Source).Features.Count);

    [Fact]
    public void LengthsThatDisagreeNameTheFieldAndBothCounts()
    {
        int columns = Step(Document(), 4)["columns"]!.AsArray().Count;
        Rejects(Edit(d => Step(d, 4)["scales"]!.AsArray().Add(1.0)),
            "preprocessing.steps[4].scales: expected " + columns + " scales (one per entry of 'columns'), found an array of " + (columns + 1) + " items");
        Rejects(Edit(d => Step(d, 9)["components"]![1]!.AsArray().RemoveAt(0)), "preprocessing.steps[9].components[1]: expected ", " loadings (one per entry of 'columns')");
        Rejects(Edit(d => Step(d, 9)["explainedVariance"]!.AsArray().RemoveAt(0)), "preprocessing.steps[9].explainedVariance: expected 6 numbers (one per component), found an array of 5 items");
        Rejects(Edit(d => Step(d, 1)["types"]!.AsArray().Add("category")), "preprocessing.steps[1].types: expected 1 column type (one per entry of 'columns'), found an array of 2 items");
        Rejects(Edit(d => Step(d, 2)["encodings"]!.AsArray().Add(new JsonObject())), "preprocessing.steps[2].encodings: expected 1 object of level encodings");
    }

    [Fact]
    public void MissingFieldsAreNamed()
    {
        Rejects(Edit(d => Step(d, 4).Remove("means")), "preprocessing.steps[4].means: expected the training means, found no such field in a standardScaler at preprocessing.steps[4]");
        Rejects(Edit(d => d.Remove("version")), "version: expected the format version (a whole number), found no such field in a preprocessing document");
        Rejects(Edit(d => d.Remove("features")), "features: expected the model's input columns");
        Rejects(Edit(d => Step(d, 0).Remove("kind")), "preprocessing.steps[0].kind: expected the transformer's kind, found no such field");
        Rejects(Edit(d => d["inputs"]![0]!.AsObject().Remove("type")), "inputs[0].type: expected the column's type, found no such field in an input column at inputs[0]");
    }

    [Fact]
    public void WrongTypesAndValuesAreNamed()
    {
        Rejects(Edit(d => Step(d, 4)["means"] = "abc"), "preprocessing.steps[4].means: expected an array, found the string \"abc\"");
        Rejects(Edit(d => Step(d, 4)["means"]![3] = "abc"), "preprocessing.steps[4].means[3]: expected a number (or \"NaN\", \"Infinity\", \"-Infinity\"), found the string \"abc\"");
        Rejects(Edit(d => Step(d, 4)["means"]![3] = true), "preprocessing.steps[4].means[3]: expected a number", "found true");
        Rejects(Edit(d => Step(d, 4)["means"]![3] = JsonNode.Parse("1e400")), "preprocessing.steps[4].means[3]: expected a number within the range of a double, found the number 1e400");
        Rejects(Edit(d => Step(d, 4)["scales"]![0] = 0), "preprocessing.steps[4].scales[0]: expected a scale > 0", "found the number 0");
        Rejects(Edit(d => Step(d, 4)["scales"]![0] = "NaN"), "preprocessing.steps[4].scales[0]: expected a scale > 0", "found the string \"NaN\"");
        Rejects(Edit(d => Step(d, 0)["fittedRows"] = -1), "preprocessing.steps[0].fittedRows: expected the number of rows it was fitted on (a whole number ≥ 0), found the number -1");
        Rejects(Edit(d => Step(d, 0)["fittedRows"] = 2.5), "preprocessing.steps[0].fittedRows", "found the number 2.5");
        Rejects(Edit(d => Step(d, 3)["terms"]![0]![0] = 99), "preprocessing.steps[3].terms[0][0]: expected a column index from 0 to 1, found the number 99");
        Rejects(Edit(d => Step(d, 8)["dropped"]![0] = "nope"), "preprocessing.steps[8].dropped[0]: expected one of the names in 'columns', found the string \"nope\"");
        Rejects(Edit(d => Step(d, 7)["max"] = -5), "preprocessing.steps[7].max: expected a number above 'min' (0), found the number -5");
        Rejects(Edit(d => Step(d, 1)["levels"]![0]!.AsArray().Add("low")), "preprocessing.steps[1].levels[0][3]: expected a name not listed before (item ", "found the string \"low\"");
        Rejects(Edit(d => Step(d, 1)["unknownLevels"] = "warn"), "preprocessing.steps[1].unknownLevels: expected one of \"ignore\", \"error\", found the string \"warn\"");
        Rejects(Edit(d => Step(d, 0)["columns"] = new JsonArray()), "preprocessing.steps[0].columns: expected an array of at least 1 name, found an array of 0 items");
        Rejects(Edit(d => d["preprocessing"]!["steps"] = new JsonArray()), "preprocessing.steps: expected the fitted steps (an array of at least one transformer), found an array of 0 items");
        Rejects(Edit(d => d["label"]!["classes"]![1] = "malignant"), "label.classes[1]: expected a name not listed before (item 0 has the same), found the string \"malignant\"");
        Rejects(Edit(d => d["inputs"]![0]!["role"] = "label"), "inputs[0].role: expected one of \"feature\", \"timestamp\", \"groupKey\", \"knownAfterOutcome\", found the string \"label\"");
        Rejects(Edit(d => d["allowKnownAfterOutcome"] = "no"), "allowKnownAfterOutcome: expected true or false, found the string \"no\"");
        Rejects(Edit(d => d["format"] = "modelgen.weights"), "format: expected the string \"modelgen.preprocessing\", found the string \"modelgen.weights\"");
    }

    [Fact]
    public void AHasherTooWideToBuildIsRefusedBeforeAnythingIsAllocated()
    {
        var (train, _) = Load("wine_data.csv", missing: false);
        var fitted = new FeatureHasher(4, ["band"]).Fit(train);
        var json = JsonNode.Parse(PreprocessingDocument.Create(train, fitted, ["hash0", "hash3"]).ToJson())!.AsObject();
        json["preprocessing"]!["outputs"] = 2_000_000_000;
        Rejects(json.ToJsonString(), "preprocessing.outputs: expected the number of output columns (a whole number from 1 to 1048576), found the number 2000000000");
        Assert.Throws<ArgumentOutOfRangeException>(() => new FeatureHasher(FeatureHasher.MaxOutputs + 1));
        Assert.Equal(FeatureHasher.MaxOutputs, new FeatureHasher(FeatureHasher.MaxOutputs).Outputs);
    }

    [Fact]
    public void UnknownKindsAndFieldsAreRejected()
    {
        Rejects(Edit(d => Step(d, 2)["kind"] = "robustScaler"), "preprocessing.steps[2].kind: expected one of \"pipeline\", \"standardScaler\"", "found the string \"robustScaler\"");
        Rejects(Edit(d => Step(d, 0)["strategy"] = "median"), "preprocessing.steps[0].strategy: unexpected field in an imputer at preprocessing.steps[0]; expected only the fields 'kind', 'fittedRows', 'columns', 'statistics'");
        Rejects(Edit(d => d["comment"] = "x"), "comment: unexpected field in a preprocessing document");
        string json = Valid.Value.Json;
        int at = json.IndexOf("\"kind\": \"imputer\",", StringComparison.Ordinal);
        Rejects(json.Insert(at, "\"kind\": \"imputer\", "), "preprocessing.steps[0].kind: the field appears twice in the same object");
    }

    [Fact]
    public void VersionsAreCheckedFirst()
    {
        // A newer document may have any other shape: the version is what the message is about.
        Rejects(Edit(d => { d["version"] = 2; d.Remove("inputs"); }), "version: the document has format version 2, written by a newer ModelGen; this library reads format version 1");
        Rejects(Edit(d => d["version"] = 0), "version: expected format version 1 (versions start at 1), found the number 0");
        Rejects(Edit(d => d["version"] = "1"), "version: expected the format version (a whole number), found the string \"1\"");
    }

    [Fact]
    public void PreprocessingThatDoesNotFitTheInputsOrFeaturesIsRejected()
    {
        Rejects(Edit(d => d["features"]![0] = "nope"), "preprocessing: the saved preprocessing does not make the saved features from the saved inputs", "'nope'");
        Rejects(Edit(d => d["inputs"]!.AsArray().RemoveAt(5)), "preprocessing: the saved preprocessing does not make the saved features", "'f5'");
        Rejects(Edit(d => d["inputs"]![3]!["type"] = "category"), "preprocessing: the saved preprocessing does not make the saved features", "'f3'");
        Rejects(Edit(d => d["inputs"]![1]!["name"] = "f0"), "inputs[1].name: expected a column name not used before, found \"f0\", the name of inputs[0]");
        Rejects(Edit(d => d["label"]!["name"] = "f0"), "label.name: expected a column other than the inputs, found \"f0\"");
        Rejects(Edit(d => d["inputs"]![0]!["role"] = "knownAfterOutcome"), "preprocessing: the saved preprocessing does not make the saved features", "known only after the outcome");
    }

    [Fact]
    public void TextThatIsNotJsonIsRejected()
    {
        string json = Valid.Value.Json;
        Rejects(json[..(json.Length / 2)], "the document is not well-formed JSON");
        Rejects("", "not well-formed JSON");
        Rejects("[]", "the document: expected a preprocessing document (a JSON object), found an array of 0 items");
        Rejects("{\"version\": 1,}", "not well-formed JSON");
        Rejects(json + "{}", "not well-formed JSON");
        Rejects("{\"version\": 1 /* note */}", "not well-formed JSON");
        Rejects(string.Concat(Enumerable.Repeat("[", 100)) + string.Concat(Enumerable.Repeat("]", 100)), "not well-formed JSON");

        using var dir = new TestFiles.TempDirectory();
        string path = Path.Combine(dir.Path, "broken.json");
        var bytes = Encoding.UTF8.GetBytes(json).ToList();
        bytes.InsertRange(json.IndexOf("imputer", StringComparison.Ordinal), [0xFF, 0xFE]);
        File.WriteAllBytes(path, bytes.ToArray());
        var e = Assert.Throws<ModelFileException>(() => PreprocessingDocument.Load(path));
        Assert.Equal(path, e.FilePath);
        // A byte-order mark is not damage.
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(json)]);
        Assert.Equal(6, PreprocessingDocument.Load(path).Features.Count);
    }

    /// <summary>
    /// Thousands of seeded mutations of valid documents (structural: fields removed, renamed, replaced, array items
    /// dropped, repeated or swapped; textual: characters deleted, inserted, replaced, text cut): reading throws nothing but
    /// <see cref="ModelFileException"/>, and a document that still reads transforms held-out rows or refuses them with an
    /// <see cref="ArgumentException"/>, never anything else.
    /// </summary>
    [Fact]
    public void MutatedDocumentsFailOnlyWithModelFileException()
    {
        var (longJson, breast) = Valid.Value;
        var wine = Load("wine_data.csv", missing: true);
        var (hashed, hashedRows) = new Pipeline(new Pipeline(new Imputer(), new StandardScaler()), new FeatureHasher(6, ["band", "level", "f4"]), new RandomUnderSampler(2)).FitTransform(wine.Train);
        string hashJson = PreprocessingDocument.Create(wine.Train, hashed, ModelFeatures(hashedRows)).ToJson();
        var bases = new[] { (Json: longJson, Test: breast.Test), (Json: hashJson, Test: wine.Test) };

        var random = new Random(20240611);
        int rejected = 0, accepted = 0, refusedRows = 0;
        const int Mutations = 3000;
        for (int i = 0; i < Mutations; i++)
        {
            var (json, test) = bases[i % bases.Length];
            string mutated = random.Next(2) == 0 ? MutateStructure(json, random) : MutateText(json, random);
            PreprocessingDocument document;
            try
            {
                document = PreprocessingDocument.FromJson(mutated, "fuzz");
            }
            catch (ModelFileException e)
            {
                Assert.StartsWith("'fuzz': ", e.Message);
                rejected++;
                continue;
            }
            catch (Exception e)
            {
                Assert.Fail($"mutation {i} threw {e.GetType().Name}: {e.Message}\n{mutated}");
                throw;
            }
            accepted++;
            try
            {
                document.ToFeatureMatrix(test);
                Assert.Equal(document.ToJson(), PreprocessingDocument.FromJson(document.ToJson()).ToJson());
            }
            catch (ArgumentException)
            {
                refusedRows++;
            }
            catch (Exception e)
            {
                Assert.Fail($"mutation {i} read, then transforming threw {e.GetType().Name}: {e.Message}\n{mutated}");
            }
        }
        // The mutations must exercise both outcomes, or the test proves nothing.
        Assert.True(rejected > Mutations / 2, $"{rejected} rejected, {accepted} accepted");
        Assert.True(accepted > 50, $"{rejected} rejected, {accepted} accepted ({refusedRows} refused the rows)");
    }

    private static readonly string[] Names = ["kind", "columns", "means", "scales", "steps", "version", "features", "inputs", "zzz", "levels", "terms", "dropped", "name", "type"];

    private static JsonNode?[] Replacements(JsonNode root) =>
    [
        null, true, false, 0, -1, 1, 2, 2.5, 1e308, JsonNode.Parse("1e400"), "NaN", "Infinity", "", "x", "f0", "category", "label",
        new JsonArray(), new JsonObject(), new JsonArray(1, 2), new JsonArray("a", "a"), JsonNode.Parse("{\"kind\":\"pipeline\",\"fittedRows\":1,\"steps\":[]}"),
    ];

    private static string MutateStructure(string json, Random random)
    {
        var root = JsonNode.Parse(json)!;
        var nodes = new List<JsonNode>();
        Collect(root, nodes);
        var node = nodes[random.Next(1, nodes.Count)];
        var parent = node.Parent!;
        var candidates = Replacements(root);
        JsonNode? replacement = random.Next(4) == 0 ? nodes[random.Next(nodes.Count)].DeepClone() : candidates[random.Next(candidates.Length)]?.DeepClone();
        switch (random.Next(5))
        {
            case 0: // remove
                if (parent is JsonObject po) po.Remove(node.GetPropertyName());
                else parent.AsArray().Remove(node);
                break;
            case 1: // replace
                node.ReplaceWith(replacement);
                break;
            case 2: // rename, or repeat an array item
                if (parent is JsonObject o)
                {
                    string name = node.GetPropertyName(), other = Names[random.Next(Names.Length)];
                    o.Remove(name);
                    o[other] = node;
                }
                else parent.AsArray().Insert(node.GetElementIndex(), node.DeepClone());
                break;
            case 3: // swap with a sibling
                if (parent is JsonArray a && a.Count > 1)
                {
                    int i = node.GetElementIndex(), j = random.Next(a.Count);
                    var x = a[i]?.DeepClone();
                    a[i] = a[j]?.DeepClone();
                    a[j] = x;
                }
                else node.ReplaceWith(replacement);
                break;
            default: // add a field or item
                if (node is JsonObject target) target[Names[random.Next(Names.Length)]] = replacement;
                else if (node is JsonArray array) array.Add(replacement);
                else node.ReplaceWith(replacement);
                break;
        }
        return root.ToJsonString();
    }

    private static void Collect(JsonNode node, List<JsonNode> nodes)
    {
        nodes.Add(node);
        if (node is JsonObject o) foreach (var (_, v) in o) { if (v is not null) Collect(v, nodes); }
        else if (node is JsonArray a) foreach (var v in a) { if (v is not null) Collect(v, nodes); }
    }

    private const string Characters = "{}[],:\"0123456789-.eE ntfalsru\\";

    private static string MutateText(string json, Random random)
    {
        int at = random.Next(json.Length);
        return random.Next(5) switch
        {
            0 => json.Remove(at, 1),
            1 => json.Insert(at, Characters[random.Next(Characters.Length)].ToString()),
            2 => json.Remove(at, 1).Insert(at, Characters[random.Next(Characters.Length)].ToString()),
            3 => json[..at],
            _ => json.Insert(at, json.Substring(random.Next(json.Length - 10), 10)),
        };
    }
}
