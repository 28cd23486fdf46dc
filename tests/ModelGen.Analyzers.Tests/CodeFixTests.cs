using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using ModelGen.Analyzers;
using ModelGen.CodeFixes;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Analyzers.Tests;

/// <summary>Code fixes applied in a workspace: the result must be the expected text, analyze clean and compile.</summary>
public class CodeFixTests
{
    [Fact]
    public async Task MG0007_SetsInToTheInferredWidth()
    {
        const string before = """
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class M
            {
                [Dense(128, Activation.ReLU)] private partial Tensor A(Tensor x);
                [Dense(10, In = 64)] private partial Tensor B(Tensor x);
            }
            """;
        var (after, title) = await ApplyFirstFix(new DenseInWidthCodeFix(), before, "MG0007");
        Assert.Equal("Set In to 128 (the inferred width)", title);
        Assert.Equal(before.Replace("In = 64", "In = 128"), after);
        await AssertFixedCodeIsClean(after);
    }

    [Fact]
    public async Task MG0306_SetsARecurrentLayersInToTheFeaturesPerStep()
    {
        const string before = """
            using ModelGen;
            [Model(Input = new[] { 10, 4 })]
            public partial class M
            {
                [LSTM(8, In = 3)] private partial Tensor Encoder(Tensor x);
                [Dense(2)] private partial Tensor Out(Tensor x);
            }
            """;
        var (after, title) = await ApplyFirstFix(new DenseInWidthCodeFix(), before, "MG0306");
        Assert.Equal("Set In to 4 (the inferred size)", title);
        Assert.Equal(before.Replace("In = 3", "In = 4"), after);
        await AssertFixedCodeIsClean(after);
    }

    [Fact]
    public async Task MG0111_SetsATransposedConvolutionsInToTheInputChannels()
    {
        const string before = """
            using ModelGen;
            [Model(Input = new[] { 16, 2, 2 }, Loss = Loss.MeanSquaredError)]
            public partial class M
            {
                [ConvTranspose2d(8, 3, Stride = 2, Padding = 1, OutputPadding = 1, In = 32)] private partial Tensor Up(Tensor x);
                [Flatten] private partial Tensor Flat(Tensor x);
            }
            """;
        var (after, title) = await ApplyFirstFix(new DenseInWidthCodeFix(), before, "MG0111");
        Assert.Equal("Set In to 16 (the inferred channels)", title);
        Assert.Equal(before.Replace("In = 32", "In = 16"), after);
        await AssertFixedCodeIsClean(after);
    }

    [Fact]
    public async Task MG0014_InSequentialModel_InsertsFlattenBeforeTheDense()
    {
        const string before = """
            using ModelGen;
            [Model(Input = new[] { 1, 8, 8 })]
            public partial class Digits
            {
                [Dense(32, Activation.ReLU)] private partial Tensor Hidden(Tensor x);
                [Dense(10)] private partial Tensor Logits(Tensor x);
            }
            """;
        var (after, title) = await ApplyFirstFix(new InsertFlattenCodeFix(), before, "MG0014");
        Assert.Equal("Insert a [Flatten] layer before 'Hidden'", title);
        Assert.Equal(before.Replace(
            "    [Dense(32, Activation.ReLU)]",
            "    [Flatten] private partial Tensor Flat(Tensor x);\n    [Dense(32, Activation.ReLU)]"), after);
        await AssertFixedCodeIsClean(after, "Digits");
    }

    [Fact]
    public async Task MG0014_InForwardMethod_WrapsTheArgumentAndPicksAFreeName()
    {
        const string before = """
            using ModelGen;
            [Model(Input = new[] { 1, 28, 28 })]
            public partial class Digits
            {
                [Dense(64, Activation.ReLU)] private partial Tensor Flat(Tensor x);
                [Dense(10)] private partial Tensor Logits(Tensor x);
                [Forward] private Tensor F(Tensor image) => Logits(Flat(image));
            }
            """;
        var (after, _) = await ApplyFirstFix(new InsertFlattenCodeFix(), before, "MG0014");
        Assert.Contains("    [Flatten] private partial Tensor Flat2(Tensor x);\n    [Dense(64, Activation.ReLU)] private partial Tensor Flat(Tensor x);", after);
        Assert.Contains("=> Logits(Flat(Flat2(image)));", after);
        await AssertFixedCodeIsClean(after, "Digits");
    }

    [Fact]
    public async Task MG0007_FixAll_FixesEveryLayerInTheDocument()
    {
        const string before = """
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class M
            {
                [Dense(128, Activation.ReLU)] private partial Tensor A(Tensor x);
                [Dense(32, In = 64)] private partial Tensor B(Tensor x);
                [Dense(10, In = 64)] private partial Tensor C(Tensor x);
            }

            [Model(Input = new[] { 5 })]
            public partial class N
            {
                [Dense(3, In = 4)] private partial Tensor D(Tensor x);
            }
            """;
        var document = CreateDocument(before);
        var diagnostics = await Diagnostics(document, "MG0007");
        Assert.Equal(3, diagnostics.Length);
        var fix = new DenseInWidthCodeFix();
        var context = new FixAllContext(document, fix, FixAllScope.Document, "MG0007.SetIn", new[] { "MG0007" },
            new FixedDiagnostics(diagnostics), CancellationToken.None);
        var action = await fix.GetFixAllProvider().GetFixAsync(context);
        string after = await Apply(document, action!);
        Assert.Equal(before.Replace("[Dense(32, In = 64)]", "[Dense(32, In = 128)]").Replace("[Dense(10, In = 64)]", "[Dense(10, In = 32)]").Replace("In = 4", "In = 5"), after);
        await AssertFixedCodeIsClean(after);
    }

    // ───────────── leakage ─────────────

    [Fact]
    public async Task MG0026_ReplacesTheShuffledKindWithTimeOrdered()
    {
        const string before = """
            using ModelGen.Data;
            public static class Experiment
            {
                public static void Run()
                {
                    var visits = CsvReader.ReadTable("visits.csv", new TableSchema(new ColumnSpec("visit", ColumnType.Date, ColumnRole.Timestamp)));
                    var (train, test) = Split.TrainTest(visits, 0.2, SplitKind.Random, seed: 1);
                    var folds = Split.KFold(train, 5, SplitKind.Stratified, seed: 1);
                }
            }
            """;
        var (after, title) = await ApplyFirstFix(new SplitKindCodeFix(), before, "MG0026");
        Assert.Equal("Use SplitKind.TimeOrdered", title);
        Assert.Equal(before.Replace("SplitKind.Random", "SplitKind.TimeOrdered"), after);
        // Fix All: both splits of the time-ordered rows.
        string fixedAll = await FixAll(new SplitKindCodeFix(), before, "MG0026", "ModelGen.SplitKind.TimeOrdered");
        Assert.Equal(before.Replace("SplitKind.Random", "SplitKind.TimeOrdered").Replace("SplitKind.Stratified", "SplitKind.TimeOrdered"), fixedAll);
        await AssertLeakageFixedCodeIsClean(fixedAll);
    }

    [Fact]
    public async Task MG0027_ReplacesAKindVariableWithGroup_SimplifiedToTheFilesUsings()
    {
        const string before = """
            using ModelGen.Data;
            public static class Experiment
            {
                public static void Run(Table<Unsplit> visits)
                {
                    var grouped = visits.WithRole("patient", ColumnRole.GroupKey);
                    var kind = SplitKind.Stratified;
                    var split = Split.TrainTest(grouped, 0.2, kind, seed: 1);
                }
            }
            """;
        var (after, title) = await ApplyFirstFix(new SplitKindCodeFix(), before, "MG0027");
        Assert.Equal("Use SplitKind.Group", title);
        Assert.Equal(before.Replace("0.2, kind, seed", "0.2, SplitKind.Group, seed"), after);
        await AssertLeakageFixedCodeIsClean(after);
    }

    [Fact]
    public async Task MG0019_FitsOnTheTrainingPartInsteadOfAsTrain()
    {
        const string before = """
            using System;
            using ModelGen.Data;
            public static class Experiment
            {
                public static void Run(Table<Unsplit> patients)
                {
                    var (train, test) = Split.TrainTest(patients, 0.2, SplitKind.Random, seed: 1);
                    var scaler = new StandardScaler().Fit(patients.AsTrain());
                    Console.WriteLine(scaler.Transform(test));
                }
            }
            """;
        var (after, title) = await ApplyFirstFix(new FitOnTrainPartCodeFix(), before, "MG0019");
        Assert.Equal("Fit on 'train', the training part of the split", title);
        Assert.Equal(before.Replace("Fit(patients.AsTrain())", "Fit(train)"), after);
        await AssertLeakageFixedCodeIsClean(after);
    }

    [Fact]
    public async Task MG0019_NoFix_WhenTheFitComesBeforeTheSplit_OrTheTrainingPartIsNotInALocal()
    {
        const string before = """
            using System;
            using ModelGen.Data;
            public static class Experiment
            {
                public static void Early(Table<Unsplit> patients)
                {
                    var scaler = new StandardScaler().Fit(patients.AsTrain());
                    var (train, test) = Split.TrainTest(patients, 0.2, SplitKind.Random, seed: 1);
                    Console.WriteLine(scaler.Transform(test));
                }

                public static void NoLocal(Table<Unsplit> patients)
                {
                    var test = Split.TrainTest(patients, 0.2, SplitKind.Random, seed: 1).Test;
                    var scaler = new StandardScaler().Fit(patients.AsTrain());
                    Console.WriteLine(scaler.Transform(test));
                }
            }
            """;
        var document = CreateDocument(before);
        var diagnostics = await Diagnostics(document, "MG0019");
        Assert.Equal(2, diagnostics.Length);
        foreach (var diagnostic in diagnostics)
        {
            var actions = new List<CodeAction>();
            await new FitOnTrainPartCodeFix().RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (a, _) => actions.Add(a), CancellationToken.None));
            Assert.Empty(actions);
        }
    }

    [Fact]
    public async Task MG0403_RenamesAMisspeltInputToTheParameterWithoutOne()
    {
        const string before = """
            using ModelGen;
            [Model(Loss = Loss.BinaryCrossEntropy)]
            [Input("wide", 10)]
            [Input("dense", 20)]
            public partial class M
            {
                [Dense(16, Activation.ReLU)] private partial Tensor Hidden(Tensor x);
                [Dense(1)] private partial Tensor Logit(Tensor x);
                [Forward] private Tensor F(Tensor wide, Tensor deep) => Logit(Tensor.Concat(wide, Hidden(deep)));
            }
            """;
        var (after, title) = await ApplyFirstFix(new RenameToMatchCodeFix(), before, "MG0403");
        Assert.Equal("Rename to 'deep' (the parameter without an [Input])", title);
        Assert.Equal(before.Replace("[Input(\"dense\", 20)]", "[Input(\"deep\", 20)]"), after);
        await AssertFixedCodeIsClean(after);
    }

    [Fact]
    public async Task MG0406_RenamesAMisspeltHeadToTheOutputWithoutOne()
    {
        const string before = """
            using ModelGen;
            [Model(Input = new[] { 12 })]
            [Head("kind", Loss.SoftmaxCrossEntropy)]
            [Head("cost", Loss.MeanSquaredError)]
            public partial class M
            {
                [Dense(4)] private partial Tensor Kind(Tensor x);
                [Dense(1)] private partial Tensor Price(Tensor x);
                [Forward] private (Tensor kind, Tensor price) F(Tensor x) => (Kind(x), Price(x));
            }
            """;
        var (after, title) = await ApplyFirstFix(new RenameToMatchCodeFix(), before, "MG0406");
        Assert.Equal("Rename to 'price' (the output without a [Head])", title);
        Assert.Equal(before.Replace("[Head(\"cost\",", "[Head(\"price\","), after);
        await AssertFixedCodeIsClean(after);
    }

    [Fact]
    public async Task MG0403_WithTwoCandidates_OffersNoRename()
    {
        const string source = """
            using ModelGen;
            [Model(Loss = Loss.BinaryCrossEntropy)]
            [Input("other", 10)]
            public partial class M
            {
                [Dense(1)] private partial Tensor Logit(Tensor x);
                [Forward] private Tensor F(Tensor wide, Tensor deep) => Logit(Tensor.Concat(wide, deep));
            }
            """;
        var document = CreateDocument(source);
        var diagnostic = Assert.Single(await Diagnostics(document, "MG0403"));
        var actions = new List<CodeAction>();
        await new RenameToMatchCodeFix().RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (a, _) => actions.Add(a), CancellationToken.None));
        Assert.Empty(actions);
    }

    [Theory]
    [InlineData("public class M", "public partial class M")]
    [InlineData("public sealed class M", "public sealed partial class M")]
    [InlineData("class M", "partial class M")]
    public async Task MG0001_AddsPartialToTheModelClass(string declaration, string fixedDeclaration)
    {
        string before = $$"""
            using ModelGen;
            [Model(Input = new[] { 64 })]
            {{declaration}}
            {
                [Dense(10)] private partial Tensor Out(Tensor x);
            }
            """;
        var (after, title) = await ApplyFirstFix(new MakePartialCodeFix(), before, "MG0001");
        Assert.Equal("Make 'M' partial", title);
        Assert.Equal(before.Replace(declaration, fixedDeclaration), after);
        await AssertFixedCodeIsClean(after);
    }

    [Fact]
    public async Task MG0001_OnTheContainingType_AddsPartialThere()
    {
        const string before = """
            using ModelGen;
            /// <summary>Models of the shop.</summary>
            internal static class Shop
            {
                [Model(Input = new[] { 64 })]
                public partial class M
                {
                    [Dense(10)] private partial Tensor Out(Tensor x);
                }
            }
            """;
        var (after, title) = await ApplyFirstFix(new MakePartialCodeFix(), before, "MG0001");
        Assert.Equal("Make 'Shop' partial", title);
        Assert.Equal(before.Replace("internal static class Shop", "internal static partial class Shop"), after);
        await AssertFixedCodeIsClean(after, "Shop+M");
    }

    [Fact]
    public async Task CS0260_OfAModelClass_GetsTheSameFix()
    {
        // A command-line build stops at the compiler's CS0260 before the analyzers run, so the fix answers it too.
        const string before = """
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public class M
            {
                [Dense(10)] private partial Tensor Out(Tensor x);
            }
            """;
        var document = CreateDocument(before);
        var (_, output) = Harness.Generate((CSharpCompilation)(await document.Project.GetCompilationAsync())!);
        var diagnostic = Assert.Single(output.GetDiagnostics(), d => d.Id == "CS0260");
        var actions = new List<CodeAction>();
        await new MakePartialCodeFix().RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (a, _) => actions.Add(a), CancellationToken.None));
        var after = await Apply(document, Assert.Single(actions));
        Assert.Equal(before.Replace("public class M", "public partial class M"), after);
    }

    internal static async Task<string> FixAll(CodeFixProvider fix, string source, string id, string equivalenceKey)
    {
        var document = CreateDocument(source);
        var diagnostics = await Diagnostics(document, id);
        var context = new FixAllContext(document, fix, FixAllScope.Document, equivalenceKey, new[] { id },
            new FixedDiagnostics(diagnostics), CancellationToken.None);
        var action = await fix.GetFixAllProvider()!.GetFixAsync(context);
        return await Apply(document, action!);
    }

    private static async Task AssertLeakageFixedCodeIsClean(string source)
    {
        Assert.Empty(await Harness.AnalyzeAsync(source));
        var (_, output) = Harness.Generate(Harness.Compile(source));
        Assert.Empty(Harness.Errors(output));
    }

    internal static Document CreateDocument(string source)
    {
        var workspace = new AdhocWorkspace();
        var project = workspace.AddProject("User", LanguageNames.CSharp)
            .WithCompilationOptions(new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true))
            .WithParseOptions(Harness.ParseOptions)
            .WithMetadataReferences(Harness.MetadataReferences);
        return project.AddDocument("Model.cs", source);
    }

    internal static async Task<ImmutableArray<Diagnostic>> Diagnostics(Document document, string id)
    {
        var compilation = (CSharpCompilation)(await document.Project.GetCompilationAsync())!;
        var (_, output) = Harness.Generate(compilation);
        var all = await output.WithAnalyzers(Harness.Analyzers).GetAnalyzerDiagnosticsAsync();
        return all.Where(d => d.Id == id).OrderBy(d => d.Location.SourceSpan.Start).ToImmutableArray();
    }

    internal static async Task<(string After, string Title)> ApplyFirstFix(CodeFixProvider fix, string source, string id)
    {
        var document = CreateDocument(source);
        var diagnostic = (await Diagnostics(document, id)).First();
        var actions = new List<CodeAction>();
        await fix.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (a, _) => actions.Add(a), CancellationToken.None));
        var action = Assert.Single(actions);
        return (await Apply(document, action), action.Title);
    }

    internal static async Task<string> Apply(Document document, CodeAction action)
    {
        var operations = await action.GetOperationsAsync(CancellationToken.None);
        var solution = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution;
        return (await solution.GetDocument(document.Id)!.GetTextAsync()).ToString();
    }

    private static async Task AssertFixedCodeIsClean(string source, string model = "M")
    {
        Assert.Empty(await Harness.AnalyzeAsync(source));
        var (_, output) = Harness.Generate(Harness.Compile(source));
        Assert.Empty(Harness.Errors(output));
        Assert.Equal("ModelGen.Model", output.GetTypeByMetadataName(model)!.BaseType!.ToDisplayString());
    }

    private sealed class FixedDiagnostics : FixAllContext.DiagnosticProvider
    {
        private readonly ImmutableArray<Diagnostic> _diagnostics;
        public FixedDiagnostics(ImmutableArray<Diagnostic> diagnostics) => _diagnostics = diagnostics;
        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken) => Task.FromResult<IEnumerable<Diagnostic>>(_diagnostics);
        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) => Task.FromResult<IEnumerable<Diagnostic>>(_diagnostics);
        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) => Task.FromResult<IEnumerable<Diagnostic>>(_diagnostics);
    }
}
