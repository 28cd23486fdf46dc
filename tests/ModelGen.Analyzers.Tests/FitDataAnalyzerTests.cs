using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Analyzers.Tests;

/// <summary>
/// MG0601–MG0604: data handed to Fit, Evaluate or Predict whose sizes the method body shows, checked against
/// the model it is handed to; each rule next to the nearest call that is right.
/// </summary>
public class FitDataAnalyzerTests
{
    private const string Models = """
        using ModelGen;

        [Model(Input = new[] { 1, 8, 8 })]
        public partial class Digits
        {
            [Flatten] private partial Tensor Flat(Tensor x);
            [Dense(32, Activation.ReLU)] private partial Tensor Hidden(Tensor x);
            [Dense(10)] private partial Tensor Logits(Tensor x);
        }

        [Model(Input = new[] { 4 }, Loss = Loss.MeanSquaredError)]
        public partial class Regressor
        {
            [Dense(8, Activation.Tanh)] private partial Tensor Hidden(Tensor x);
            [Dense(2)] private partial Tensor Out(Tensor x);
        }

        [Model(Input = new[] { 6 })]
        public partial class Normalised
        {
            [Dense(8)] private partial Tensor Hidden(Tensor x);
            [BatchNorm] private partial Tensor Norm(Tensor x);
            [Dense(3)] private partial Tensor Logits(Tensor x);
        }

        """;

    private static string Program(string body) => Models + """
        public static class Program
        {
            public static void Run()
            {
        """ + body + """

            }
        }
        """;

    private static async Task<Diagnostic> Single(string body, string id, string span, params string[] messageParts)
    {
        var diagnostics = await Harness.AnalyzeAsync(Program(body));
        var d = Assert.Single(diagnostics);
        Assert.Equal(id, d.Id);
        Assert.Equal(span, d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan));
        Assert.Equal(Harness.Rules.Single(r => r.Id == id).DefaultSeverity, d.Severity);
        string message = d.GetMessage(CultureInfo.InvariantCulture);
        foreach (var part in messageParts) Assert.True(message.Contains(part), $"'{part}' is not in: {message}");
        return d;
    }

    private static async Task Clean(string body)
    {
        string source = Program(body);
        Assert.Empty(await Harness.AnalyzeAsync(source));
        var (_, output) = Harness.Generate(Harness.Compile(source));
        Assert.Empty(Harness.Errors(output));
    }

    [Fact]
    public async Task MG0601_FeatureCountDiffersFromTheInput_OnTheArgument_WithTheFactoryAsSecondLocation()
    {
        var d = await Single("""
                    var data = Dataset.ForClassification(new float[100 * 63], 63, new int[100]);
                    new Digits().Fit(data, epochs: 1);
            """, "MG0601", "data",
            "'Digits' takes 64 features per sample (input [1, 8, 8]), but 'data' has 63 per row (featureCount: 63 in Dataset.ForClassification at line 28)");
        var origin = Assert.Single(d.AdditionalLocations);
        Assert.StartsWith("Dataset.ForClassification(", origin.SourceTree!.GetText().ToString(origin.SourceSpan));
    }

    [Fact]
    public async Task MG0601_IsNotReported_ForTheRightWidth() => await Clean("""
                var data = Dataset.ForClassification(new float[100 * 64], 64, new int[100]);
                new Digits().Fit(data, epochs: 1);
        """);

    [Fact]
    public async Task MG0601_FollowsSplitSliceAndMapFeatures_IntoEvaluateAndPredict()
    {
        await Single("""
                    var (train, test) = Dataset.ForClassification(new float[100 * 60], 60, new int[100]).MapFeatures(v => v / 16f).Split(80);
                    var model = new Digits();
                    model.Evaluate(test.Slice(0, 10));
            """, "MG0601", "test.Slice(0, 10)", "but 'test.Slice(0, 10)' has 60 per row");
        await Single("""
                    var all = Dataset.ForRegression(new float[10 * 5], 5, new float[10 * 2], targetWidth: 2);
                    new Regressor().Predict(all);
            """, "MG0601", "all", "'Regressor' takes 4 features per sample (input [4])");
    }

    [Fact]
    public async Task MG0601_IsSilent_WhenTheSizeIsNotKnownAtBuildTime()
    {
        // Read from elsewhere, written twice, or a width that is not a constant: the run-time check decides.
        await Clean("""
                    int width = System.Environment.ProcessorCount;
                    var unknown = Dataset.ForClassification(new float[width], width, new int[1]);
                    var twice = Dataset.ForClassification(new float[63], 63, new int[1]);
                    twice = Dataset.ForClassification(new float[64], 64, new int[1]);
                    var model = new Digits();
                    model.Evaluate(unknown);
                    model.Evaluate(twice);
            """);
    }

    [Fact]
    public async Task MG0602_TargetWidthDiffersFromTheOutput_ForARegressionLoss()
    {
        await Single("""
                    var data = Dataset.ForRegression(new float[10 * 4], 4, new float[10]);
                    new Regressor().Fit(data, epochs: 1);
            """, "MG0602", "data",
            "'Regressor' uses MeanSquaredError and needs 2 targets (its output width) per row, but 'data' has 1 target(s) per row (targetWidth is 1 by default in Dataset.ForRegression at line 28)");
        await Clean("""
                    var data = Dataset.ForRegression(new float[10 * 4], 4, new float[10 * 2], 2);
                    new Regressor().Fit(data, epochs: 1);
            """);
    }

    [Fact]
    public async Task MG0602_ClassificationModel_FedSeveralTargetsPerRow()
    {
        await Single("""
                    var data = Dataset.ForRegression(new float[10 * 64], 64, new float[10 * 10], targetWidth: 10);
                    new Digits().Evaluate(data);
            """, "MG0602", "data", "'Digits' uses SoftmaxCrossEntropy and needs one class index per row, but 'data' has 10 target(s) per row");
    }

    [Fact]
    public async Task MG0603_LabelsBeyondTheOutputs_FromClassCountOrAConstantLabelArray()
    {
        await Single("""
                    var data = Dataset.ForClassification(new float[3 * 64], 64, new int[3], classCount: 12);
                    new Digits().Fit(data, epochs: 1);
            """, "MG0603", "data", "'data' has class labels up to 11 (classCount: 12 in Dataset.ForClassification at line 28), but 'Digits' has 10 outputs (classes 0…9)");
        await Single("""
                    new Digits().Evaluate(Dataset.ForClassification(new float[3 * 64], 64, new[] { 0, 4, 10 }));
            """, "MG0603", "Dataset.ForClassification(new float[3 * 64], 64, new[] { 0, 4, 10 })", "class labels up to 10 (the label array in Dataset.ForClassification");
        await Clean("""
                    new Digits().Evaluate(Dataset.ForClassification(new float[3 * 64], 64, new[] { 0, 4, 9 }, classCount: 10));
            """);
    }

    [Fact]
    public async Task MG0604_BatchNormWithABatchOfOne()
    {
        await Single("""
                    var data = Dataset.ForClassification(new float[40 * 6], 6, new int[40]);
                    new Normalised().Fit(data, epochs: 1, batchSize: 1);
            """, "MG0604", "batchSize: 1", "'Normalised' has BatchNorm layer 'Norm', which needs at least 2 rows per training batch, but the batch size is 1");
        await Single("""
                    var data = Dataset.ForClassification(new float[41 * 6], 6, new int[41]);
                    new Normalised().Fit(data, epochs: 1, batchSize: 8);
            """, "MG0604", "batchSize: 8", "the last micro-batch of every epoch has 1 row (41 rows = 5·8 + 1)");
        await Single("""
                    var data = Dataset.ForClassification(new float[41 * 6], 6, new int[41]);
                    new Normalised().Fit(data, epochs: 1, batchSize: 4, accumulationSteps: 2);
            """, "MG0604", "batchSize: 4", "(41 rows = 10·4 + 1)");
    }

    [Fact]
    public async Task MG0604_IsNotReported_WhenNoMicroBatchHasOneRow_OrTheModelHasNoBatchNorm()
    {
        await Clean("""
                    var data = Dataset.ForClassification(new float[42 * 6], 6, new int[42]);
                    new Normalised().Fit(data, epochs: 1, batchSize: 8);
                    new Normalised().Fit(data, epochs: 1, batchSize: 4, accumulationSteps: 3);
                    var digits = Dataset.ForClassification(new float[41 * 64], 64, new int[41]);
                    new Digits().Fit(digits, epochs: 1, batchSize: 1);
            """);
    }
}
