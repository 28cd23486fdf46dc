using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CSharp;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Analyzers.Tests;

/// <summary>
/// Half-typed versions of the programs of <see cref="LeakageTests"/>' input, choice, order and augmentation rules: every
/// token prefix and every single-token deletion of a program that has each of their forms (label cells through Zip,
/// loops, conditionals and a helper; lists computed from the schema; LINQ choices over test scores; shuffles and cuts by
/// position; augmented training on validation rows) must leave the generator and every analyzer running (no AD0001).
/// </summary>
public class LeakageRobustnessTests
{
    internal const string InputsChoicesAndOrders = """
        using System;
        using System.Linq;
        using ModelGen;
        using ModelGen.Data;

        [Model(Input = new[] { 2 })]
        public partial class Net { [Dense(2)] private partial Tensor Out(Tensor x); }

        public static class Experiment
        {
            static TableColumn Flag(Table<Unsplit> t) => TableColumn.Numbers("flag", Enumerable.Range(0, t.RowCount).Select(i => t["y"][i] > 3 ? 1.0 : 0.0).ToArray());
            static string[] AllBut(Table<Train> t, string dropped) => t.Columns.Select(c => c.Name).Where(n => n != dropped).ToArray();
            static Net Best(Net[] ms, Dataset d) => ms.OrderByDescending(m => m.Evaluate(d).Accuracy).First();
            static Table<Unsplit> Shuffled(Table<Unsplit> t, Random rng) => t.Rows(Enumerable.Range(0, t.RowCount).OrderBy(_ => rng.Next()).ToArray());

            public static float Run()
            {
                var rows = CsvReader.ReadTable("r.csv", new TableSchema(new ColumnSpec("x"), new ColumnSpec("late", Role: ColumnRole.KnownAfterOutcome),
                    new ColumnSpec("day", ColumnType.Date, ColumnRole.Timestamp), new ColumnSpec("y", ColumnType.Number, ColumnRole.Label)));
                var ratio = rows["x"].Values.ToArray().Zip(rows.Label!.Values.ToArray(), (a, b) => b / a).ToArray();
                var copy = new double[rows.RowCount];
                for (int i = 0; i < rows.RowCount; i++) copy[i] = rows["y"][i] > 0 ? 1 : 0;
                rows = rows.WithColumn(TableColumn.Numbers("ratio", ratio)).WithColumn(TableColumn.Numbers("copy", copy)).WithColumn(Flag(rows));
                int[] order = Enumerable.Range(0, rows.RowCount).ToArray();
                new Random(3).Shuffle(order);
                var mixed = rows.Rows(order);
                var first = mixed.Rows(Enumerable.Range(0, 10).ToArray()).Where(r => r.Index < 5);
                var data = Shuffled(rows, new Random(1)).ToDataset(["x"], TargetKind.Value);
                var (early, late) = data.Split(data.Count / 2);
                var (train, test) = Split.TrainTest(rows, 0.2, SplitKind.TimeOrdered, seed: 1);
                var (fit, check) = Split.TrainValidation(train, 0.2, SplitKind.TimeOrdered, seed: 2);
                var inputs = train.Columns.Where(c => c.Role != ColumnRole.Label && !new[] { "id" }.Contains(c.Name)).Select(c => c.Name).Except(["day"]).ToList();
                var trainData = train.ToDataset(inputs, TargetKind.ClassIndex, allowKnownAfterOutcome: true);
                var testData = test.ToDataset(AllBut(train, "y"), TargetKind.ClassIndex, allowKnownAfterOutcome: true);
                var nets = new[] { new Net(1), new Net(2) };
                foreach (var n in nets) n.Fit(trainData, check.ToDataset(TargetKind.ClassIndex), augment: new ImageAugmentation(1, 1, 2) { HorizontalFlip = true }, sampling: ClassSampling.Balanced);
                var scores = nets.Select(m => m.Evaluate(testData).Accuracy).ToArray();
                float best = 0;
                foreach (var n in nets) best = Math.Max(best, n.Evaluate(testData).Accuracy);
                return nets.MaxBy(m => m.Evaluate(testData).Loss)!.Evaluate(testData).Accuracy + scores.Max() + Best(nets, testData).Evaluate(testData).Loss + best;
            }
        }
        """;

    [Fact]
    public async Task TheProgram_IsDiagnosedNotCrashedOn()
    {
        var found = (await Harness.AnalyzeAsync(InputsChoicesAndOrders)).Where(d => d.Descriptor.Category == "ModelGen.Leakage").Select(d => d.Id).Distinct().OrderBy(id => id).ToArray();
        Assert.Equal(new[] { "MG0024", "MG0028", "MG0029", "MG0030", "MG0031" }, found);
    }

    [Fact]
    public async Task EveryTokenPrefix_NeitherGeneratorNorAnalyzerThrows()
    {
        string source = InputsChoicesAndOrders;
        var tokens = CSharpSyntaxTree.ParseText(source, Harness.ParseOptions).GetRoot().DescendantTokens().ToList();
        var prefixes = tokens.Select(t => t.Span.End).Where(end => end > 0).Distinct()
            .Select(end => (Where: $"prefix to {end}", Text: source.Substring(0, end))).ToList();
        Assert.True(prefixes.Count > 500, $"only {prefixes.Count} cut points");
        await Harness.AssertNoCrashes(prefixes);
    }

    [Fact]
    public async Task EveryTokenDeleted_NeitherGeneratorNorAnalyzerThrows()
    {
        string source = InputsChoicesAndOrders;
        var tokens = CSharpSyntaxTree.ParseText(source, Harness.ParseOptions).GetRoot().DescendantTokens().Where(t => t.Span.Length > 0).ToList();
        var variants = tokens.Select(t => (Where: $"without '{t.Text}' at {t.SpanStart}", Text: source.Remove(t.SpanStart, t.Span.Length))).ToList();
        await Harness.AssertNoCrashes(variants);
    }
}
