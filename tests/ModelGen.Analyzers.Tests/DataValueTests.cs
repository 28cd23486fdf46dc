using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Analyzers.Tests;

/// <summary>
/// MG0605 and MG0606: data values written as constants that the model or the Dataset factory cannot take — token ids
/// beyond an input embedding's vocabulary, labels that are not class indices — each next to its clean twin.
/// </summary>
public class DataValueTests
{
    internal const string Models = """
        using ModelGen;

        [Model(Input = new[] { 4 })]
        public partial class Tagger
        {
            [Embedding(100, 8)] private partial Tensor Tokens(Tensor ids);
            [Flatten] private partial Tensor Flat(Tensor x);
            [Dense(3)] private partial Tensor Logits(Tensor x);
        }

        [Model(Input = new[] { 4 })]
        public partial class Plain
        {
            [Dense(3)] private partial Tensor Logits(Tensor x);
        }

        """;

    internal static string Program(string body) => Models + """
        public static class Program
        {
            public static void Run(float[] pixels)
            {
        """ + body + """

            }
        }
        """;

    private static async Task<Diagnostic> Single(string body, string id, string span, string message)
    {
        var diagnostics = await Harness.AnalyzeAsync(Program(body));
        var d = Assert.Single(diagnostics);
        Assert.Equal(id, d.Id);
        Assert.Equal(span, d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan));
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Equal(message, d.GetMessage(CultureInfo.InvariantCulture));
        return d;
    }

    private static async Task Clean(string body)
    {
        string source = Program(body);
        Assert.Empty(await Harness.AnalyzeAsync(source));
        var (_, output) = Harness.Generate(Harness.Compile(source));
        Assert.Empty(Harness.Errors(output));
    }

    private static string Text(Location location) => location.SourceTree!.GetText().ToString(location.SourceSpan);

    [Fact]
    public async Task MG0605_AnIdAtTheVocabularySize_OnTheArgument_WithTheIdAsSecondLocation()
    {
        var d = await Single("""
                    var data = Dataset.ForClassification(new float[] { 3, 17, 42, 0, 5, 100, 9, 0 }, 4, new[] { 0, 2 });
                    new Tagger().Fit(data, epochs: 1);
            """, "MG0605", "data",
            "'Tagger' looks its input up in Embedding 'Tokens' of 100 rows (ids 0…99), but 'data' holds the id 100 (element 5 of the features, row 1, at line 19)");
        Assert.Equal("100", Text(Assert.Single(d.AdditionalLocations)));
    }

    [Fact]
    public async Task MG0605_NegativeAndFractionalIds_ThroughALocalArray_InEvaluateAndPredict()
    {
        await Single("""
                    float[] ids = { 1, 2, -1, 4 };
                    new Tagger().Evaluate(Dataset.ForClassification(ids, 4, new[] { 1 }));
            """, "MG0605", "Dataset.ForClassification(ids, 4, new[] { 1 })",
            "'Tagger' looks its input up in Embedding 'Tokens' of 100 rows (ids 0…99), but 'Dataset.ForClassification(ids, 4, new[] { 1 })' holds the id -1 (element 2 of the features, row 0, at line 19)");
        await Single("""
                    var data = Dataset.ForRegression(new[] { 1f, 2.5f, 3f, 4f }, 4, new float[3]);
                    new Tagger().Predict(data);
            """, "MG0605", "data",
            "'Tagger' looks its input up in Embedding 'Tokens' of 100 rows (ids 0…99), but 'data' holds the id 2.5 (element 1 of the features, row 0, at line 19)");
    }

    [Fact]
    public async Task MG0605_IsSilent_ForIdsInRange_ModelsWithoutAnInputEmbedding_AndArraysThatMayChange()
    {
        await Clean("""
                    var data = Dataset.ForClassification(new float[] { 3, 17, 42, 0, 5, 99, 9, 0 }, 4, new[] { 0, 2 });
                    new Tagger().Fit(data, epochs: 1);
                    new Plain().Fit(Dataset.ForClassification(new float[] { 3, 170, 42, 0 }, 4, new[] { 0 }), epochs: 1);
            """);
        // The array is written after it is made: its values at Fit time are not the initializer's.
        await Clean("""
                    float[] ids = { 1, 2, 300, 4 };
                    ids[2] = 3;
                    new Tagger().Fit(Dataset.ForClassification(ids, 4, new[] { 1 }), epochs: 1);
                    new Tagger().Fit(Dataset.ForClassification(pixels, 4, new[] { 1 }), epochs: 1);
            """);
    }

    [Fact]
    public async Task MG0606_ANegativeLabel_OnTheLabel_WithoutAnyModel()
    {
        await Single("""
                    var data = Dataset.ForClassification(pixels, 4, new[] { 1, -1, 1, -1 });
            """, "MG0606", "-1",
            "Label -1 (row 1 of the labels in Dataset.ForClassification) is not a class index: class labels are indices 0…classes − 1, never negative; map them to 0, 1, 2, … (e.g. −1/1 to 0/1) first");
    }

    [Fact]
    public async Task MG0606_ALabelNotBelowClassCount_AndPerPositionLabels_ThroughALocal()
    {
        await Single("""
                    var data = Dataset.ForClassification(pixels, 4, new[] { 0, 3, 1 }, classCount: 3);
            """, "MG0606", "3",
            "Label 3 (row 1 of the labels in Dataset.ForClassification) is not a class index: classCount: 3 gives the indices 0…2");
        await Single("""
                    int[] labels = { 0, 1, 2, -2 };
                    var data = Dataset.ForSequenceClassification(pixels, 4, labels, labelsPerRow: 2);
            """, "MG0606", "-2",
            "Label -2 (label 1 of row 1 of the labels in Dataset.ForSequenceClassification) is not a class index: class labels are indices 0…classes − 1, never negative; map them to 0, 1, 2, … (e.g. −1/1 to 0/1) first");
    }

    [Fact]
    public async Task MG0606_IsSilent_ForClassIndices_AndLabelsTheBodyMayChange()
    {
        await Clean("""
                    var a = Dataset.ForClassification(pixels, 4, new[] { 1, 0, 1, 0 });
                    var b = Dataset.ForClassification(pixels, 4, new[] { 0, 2, 1 }, classCount: 3);
                    int[] labels = { 0, -1 };
                    labels[1] = 1;
                    var c = Dataset.ForClassification(pixels, 4, labels);
                    var d = Dataset.ForRegression(pixels, 4, new[] { -1f, 1f });
            """);
    }
}

/// <summary>Half-typed data code around MG0605 and MG0606: no prefix or single-token deletion may make an analyzer throw.</summary>
public class DataValueRobustnessTests
{
    private static readonly string Source = DataValueTests.Program("""
                    float[] ids = { 1, 2, 300, 4 };
                    var data = Dataset.ForClassification(ids, 4, new[] { 1, -1 }, classCount: 2);
                    new Tagger().Fit(data, epochs: 1);
                    var seq = Dataset.ForSequenceClassification(new float[] { 5, 6, 7, 800 }, 4, new[] { 0, 3 }, labelsPerRow: 2, classCount: 3);
                    new Tagger().Evaluate(seq);
            """);

    [Fact]
    public async Task EveryTokenPrefixAndDeletion_NeitherGeneratorNorAnalyzerThrows()
    {
        // The models come first and are covered elsewhere; the data code after them is what varies here.
        int start = Source.IndexOf("public static class Program", System.StringComparison.Ordinal);
        var tokens = Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(Source, Harness.ParseOptions).GetRoot().DescendantTokens()
            .Where(t => t.Span.Length > 0 && t.SpanStart >= start).ToList();
        var variants = tokens.Select(t => (Where: $"prefix to {t.Span.End}", Text: Source.Substring(0, t.Span.End)))
            .Concat(tokens.Select(t => (Where: $"without '{t.Text}' at {t.SpanStart}", Text: Source.Remove(t.SpanStart, t.Span.Length))))
            .ToList();
        Assert.True(variants.Count > 200, $"only {variants.Count} variants");
        await Harness.AssertNoCrashes(variants);
    }
}
