using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace ModelGen.Analyzers.Tests;

/// <summary>
/// Several findings in one body come out in source order, and each message names the source of its test rows that comes
/// first in the file: the analyzer orders its test sources, its events and its findings by position (a stable sort), so
/// an order that depended on dictionaries or on the rules' order would show here as another message or another span.
/// </summary>
public partial class LeakageTests
{
    [Fact]
    public async Task SeveralFindingsInOneBody_AreInSourceOrder_AndNameTheFirstTestSource()
    {
        var ds = await Analyze("""
            public static class Experiment
            {
                public static void Run(Table<Unsplit> data)
                {
                    var scaler = new StandardScaler().Fit(data.AsTrain());
                    var (train, test) = Split.TrainTest(data, 0.2, SplitKind.Stratified, 1);
                    var parts = Split.TrainValidationTest(data, 0.2, 0.2, SplitKind.Stratified, 2);
                    var pca = new Pca(2).Fit(data.AsTrain());
                    var first = new Net(1);
                    var second = new Net(2);
                    first.Fit(train.ToDataset(TargetKind.ClassIndex));
                    second.Fit(train.ToDataset(TargetKind.ClassIndex));
                    Console.WriteLine(first.Evaluate(test.ToDataset(TargetKind.ClassIndex)));
                    Console.WriteLine(second.Evaluate(test.ToDataset(TargetKind.ClassIndex)));
                    Console.WriteLine(scaler.Transform(parts.Test) + " " + pca.Transform(test));
                }
            }
            """);
        var shown = ds.Select(d => $"{d.Id} [{SpanText(d)}] {d.GetMessage(CultureInfo.InvariantCulture)}").ToArray();
        Assert.True(shown.Length == 3, Show(ds));
        Assert.StartsWith("MG0019 [new StandardScaler().Fit(data.AsTrain())] 'StandardScaler.Fit' is fitted on every row of 'data', which include the rows that 'Split.TrainTest' holds out", shown[0]);
        Assert.StartsWith("MG0019 [new Pca(2).Fit(data.AsTrain())] 'Pca.Fit' is fitted on every row of 'data', which include the rows that 'Split.TrainTest' holds out", shown[1]);
        Assert.StartsWith("MG0024 [second.Evaluate(test.ToDataset(TargetKind.ClassIndex))] ", shown[2]);
        Assert.Contains("a second model evaluated on the test data (after 'first.Evaluate')", shown[2]);
        // Each finding shows the split it names as its related location.
        Assert.Equal("Split.TrainTest(data, 0.2, SplitKind.Stratified, 1)", ds[0].AdditionalLocations.Single().SourceTree!.GetText().ToString(ds[0].AdditionalLocations.Single().SourceSpan));
        Assert.Equal("Split.TrainTest(data, 0.2, SplitKind.Stratified, 1)", ds[1].AdditionalLocations.Single().SourceTree!.GetText().ToString(ds[1].AdditionalLocations.Single().SourceSpan));
    }
}
