using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Analyzers.Tests;

/// <summary>
/// One mistake in a model gives one error: its MG diagnostic, and no compiler error anywhere else. An invalid model
/// keeps its whole public surface (constructor, Fit, Evaluate, Predict, Save, …) as members that throw at run time,
/// so the user code that calls it adds no CS1739/CS1061 errors, and no declaration error of the compiler (which stops a
/// command-line build before any analyzer runs) hides the MG diagnostic.
/// </summary>
public class OneMistakeOneErrorTests
{
    /// <summary>What a user typically writes around a model: every call must still bind when the model is invalid.</summary>
    internal const string UserCode = """
        using System;
        using ModelGen;
        using ModelGen.Data;

        public static class Program
        {
            public static void Run(Dataset train, Dataset test)
            {
                var model = new M(seed: 1);
                TrainingHistory history = model.Fit(train, test, epochs: 3, batchSize: 8, optimizer: new Adam(1e-3f));
                Evaluation report = model.Evaluate(test);
                float[] outputs = model.Predict(test);
                int[] classes = model.PredictClasses(test);
                Console.WriteLine(model.Summary() + report + outputs.Length + classes.Length + history + M.TotalParameters);
                Console.WriteLine(model.InputSize + model.OutputSize + model.ParameterLayers.Count);
                model.Save("m.safetensors");
                model.Load("m.safetensors");
                model.ExportOnnx("m.onnx");
                var other = new M();
                Model asBase = other;
                Console.WriteLine(asBase.Loss);
            }
        }
        """;

    private static string Model(string header, string body) => $$"""
        using ModelGen;
        {{header}}
        {
        {{body}}
        }
        """;

    private const string Image = "[Model(Input = new[] { 1, 12, 12 })]\npublic partial class M";
    private const string Flat = "[Model(Input = new[] { 64 })]\npublic partial class M";

    /// <summary>Each deliberate mistake, the one MG diagnostic it must give and that diagnostic's span.</summary>
    public static IEnumerable<object[]> Mistakes() => new[]
    {
        // A layer method with a body, or not partial, or static.
        new object[] { "layer with a body", Model(Flat, "    [Dense(10)] private partial Tensor Out(Tensor x) => x;"), "MG0002", "Out" },
        new object[] { "layer not partial", Model(Flat, "    [Dense(10)] private Tensor Out(Tensor x) => x;"), "MG0002", "Out" },
        new object[] { "static layer", Model(Flat, "    [Dense(10)] private static partial Tensor Out(Tensor x);"), "MG0002", "Out" },
        new object[] { "layer of two tensors", Model(Flat, "    [Dense(10)] private partial Tensor Out(Tensor x, Tensor y);"), "MG0002", "Out" },
        new object[] { "layer returning float[]", Model(Flat, "    [Dense(10)] private partial float[] Out(Tensor x);"), "MG0002", "Out" },
        new object[] { "generic layer", Model(Flat, "    [Dense(10)] private partial Tensor Out<T>(Tensor x);"), "MG0002", "Out" },
        // Shape errors.
        new object[] { "declared In differs", Model(Flat, "    [Dense(10, In = 32)] private partial Tensor Out(Tensor x);"), "MG0007", "In = 32" },
        new object[] { "empty convolution output", Model(Image, "    [Conv2d(4, 13)] private partial Tensor C(Tensor x);\n    [Flatten] private partial Tensor F(Tensor x);\n    [Dense(10)] private partial Tensor Out(Tensor x);"), "MG0102", "Conv2d(4, 13)" },
        new object[] { "Dense on an image", Model(Image, "    [Dense(10)] private partial Tensor Out(Tensor x);"), "MG0014", "Dense(10)" },
        new object[] { "unequal residual", Model(Flat, "    [Dense(32)] private partial Tensor A(Tensor x);\n    [Dense(10)] private partial Tensor Out(Tensor x);\n    [Forward] private Tensor F(Tensor x) => Out(A(x) + x);"), "MG0008", "A(x) + x" },
        // Declarations of the model.
        new object[] { "invalid input shape", Model("[Model(Input = new[] { 8, 0 })]\npublic partial class M", "    [Dense(10)] private partial Tensor Out(Tensor x);"), "MG0003", "Input = new[] { 8, 0 }" },
        new object[] { "no layers", Model(Flat, "    private Tensor Out(Tensor x) => x;"), "MG0006", "M" },
        new object[] { "invalid Dense units", Model(Flat, "    [Dense(0)] private partial Tensor Out(Tensor x);"), "MG0004", "0" },
        // [Forward] of the wrong form, and constructs it does not support.
        new object[] { "second forward", Model(Flat, "    [Dense(10)] private partial Tensor Out(Tensor x);\n    [Forward] private Tensor F(Tensor x) => Out(x);\n    [Forward] private Tensor G(Tensor x) => Out(x);"), "MG0012", "G" },
        new object[] { "forward of wrong signature", Model(Flat, "    [Dense(10)] private partial Tensor Out(Tensor x);\n    [Forward] private float F(Tensor x) => 0;"), "MG0012", "F" },
        new object[] { "unequal product in forward", Model(Flat, "    [Dense(10)] private partial Tensor Out(Tensor x);\n    [Forward] private Tensor F(Tensor x) => Out(x) * x;\n    private static Tensor Helper(Tensor x) => x;"), "MG0008", "Out(x) * x" },
        new object[] { "helper call in forward", Model(Flat, "    [Dense(10)] private partial Tensor Out(Tensor x);\n    [Forward] private Tensor F(Tensor x) => Out(Helper(x));\n    private static Tensor Helper(Tensor x) => x;"), "MG0005", "Helper(x)" },
    };

    /// <summary>Mistakes in the declaration of the class itself, each with the user code that names the model as it is declared.</summary>
    public static IEnumerable<object[]> ClassMistakes() => new[]
    {
        new object[] { "another base class", "using ModelGen;\npublic class Service { }\n[Model(Input = new[] { 64 })]\npublic partial class M : Service\n{\n    [Dense(10)] private partial Tensor Out(Tensor x);\n}\n", "M", "MG0010", "M" },
        new object[] { "another base class without a parameterless constructor", "using ModelGen;\npublic abstract class Service { protected Service(string name, int port) { } }\n[Model(Input = new[] { 64 })]\npublic partial class M : Service\n{\n    [Dense(10)] private partial Tensor Out(Tensor x);\n}\n", "M", "MG0010", "M" },
        new object[] { "generic model", "using ModelGen;\n[Model(Input = new[] { 64 })]\npublic partial class M<TLabel>\n{\n    [Dense(10)] private partial Tensor Out(Tensor x);\n}\n", "M<int>", "MG0011", "M" },
        new object[] { "generic model with a constraint", "using ModelGen;\n[Model(Input = new[] { 64 })]\npublic partial class M<TLabel, TScore> where TLabel : struct\n{\n    [Dense(10)] private partial Tensor Out(Tensor x);\n}\n", "M<int, float>", "MG0011", "M" },
        new object[] { "model nested in a generic type", "using ModelGen;\npublic partial class Outer<T>\n{\n    [Model(Input = new[] { 64 })]\n    public partial class M\n    {\n        [Dense(10)] private partial Tensor Out(Tensor x);\n    }\n}\n", "Outer<int>.M", "MG0011", "M" },
        new object[] { "layer named like an abstract property", "using ModelGen;\n[Model(Input = new[] { 64 })]\npublic partial class M\n{\n    [Dense(10)] private partial Tensor InferenceGraph(Tensor x);\n}\n", "M", "MG0017", "InferenceGraph" },
        new object[] { "layer named like an abstract method", "using ModelGen;\n[Model(Input = new[] { 64 })]\npublic partial class M\n{\n    [Dense(10)] private partial Tensor CreateGraph(Tensor x);\n}\n", "M", "MG0017", "CreateGraph" },
        new object[] { "layer named like a generated member", "using ModelGen;\n[Model(Input = new[] { 64 })]\npublic partial class M\n{\n    [Dense(10)] private partial Tensor Initialize(Tensor x);\n}\n", "M", "MG0017", "Initialize" },
    };

    [Theory]
    [MemberData(nameof(ClassMistakes))]
    public async Task EachClassMistake_GivesExactlyItsDiagnostic_AndNoCompilerError(string mistake, string model, string typeName, string id, string span)
    {
        string user = UserCode.Replace("new M(", $"new {typeName}(").Replace("M.TotalParameters", $"{typeName}.TotalParameters");
        var compilation = Harness.Compile(model, user);
        var mg = await Harness.AnalyzeAsync(compilation);
        var (_, output) = Harness.Generate(compilation);
        var errors = Harness.Errors(output);
        string all = string.Join("\n", mg.Concat(errors).Select(d => $"{d.Id} '{Span(d)}': {d.GetMessage(CultureInfo.InvariantCulture)}"));

        Assert.True(mg.Count(x => x.Severity != DiagnosticSeverity.Hidden) == 1, $"{mistake}: expected only {id}, got:\n{all}");
        var d = mg.Single(x => x.Severity != DiagnosticSeverity.Hidden);
        Assert.True(d.Id == id && Span(d) == span, $"{mistake}: expected {id} on '{span}', got:\n{all}");
        Assert.True(errors.Count == 0, $"{mistake}: compiler errors beside {id}:\n{all}");
    }

    /// <summary>
    /// Every help page's "Wrong" model (the model-declaration and shape errors, MG0002–MG0409) with the user code around it:
    /// the build shows the page's diagnostic and no compiler error. MG0001 keeps the compiler's CS0260 (see below), MG0016
    /// is about the project setting, MG0214 is an error at a call of Generate (reported by the compiler through the generated
    /// member's [Obsolete]; the model itself is valid), and MG0601–MG0606 are about the data, not the model.
    /// </summary>
    public static IEnumerable<object[]> HelpPageMistakes()
    {
        foreach (var page in System.IO.Directory.GetFiles(System.IO.Path.Combine(Root, "docs/diagnostics"), "MG*.md").OrderBy(p => p, StringComparer.Ordinal))
        {
            string id = System.IO.Path.GetFileNameWithoutExtension(page);
            string text = System.IO.File.ReadAllText(page).Replace("\r\n", "\n");
            if (!text.Contains("| Severity | Error |") || text.Contains("| Category | ModelGen.Leakage |")
                || id is "MG0001" or "MG0016" or "MG0214" || string.CompareOrdinal(id, "MG0600") > 0) continue;
            yield return new object[] { id };
        }
    }

    [Theory]
    [MemberData(nameof(HelpPageMistakes))]
    public async Task EachHelpPagesWrongModel_WithUserCode_GivesOnlyItsDiagnostic(string id)
    {
        string page = System.IO.File.ReadAllText(System.IO.Path.Combine(Root, "docs/diagnostics", id + ".md")).Replace("\r\n", "\n");
        int at = page.IndexOf("## Wrong", StringComparison.Ordinal);
        int start = page.IndexOf("```csharp\n", at, StringComparison.Ordinal) + "```csharp\n".Length;
        string model = page.Substring(start, page.IndexOf("\n```", start, StringComparison.Ordinal) - start);
        var declared = System.Text.RegularExpressions.Regex.Match(model, @"\[Model[^\n]*\n(?:\[[^\n]*\n)*\s*public (?:partial )?class (\w+)(<[^>]*>)?");
        Assert.True(declared.Success, id);
        string typeName = declared.Groups[1].Value + (declared.Groups[2].Success ? "<" + string.Join(", ", declared.Groups[2].Value.Split(',').Select(_ => "int")) + ">" : "");
        string user = UserCode.Replace("new M(", $"new {typeName}(").Replace("M.TotalParameters", $"{typeName}.TotalParameters");

        var compilation = Harness.Compile(model, user);
        var mg = await Harness.AnalyzeAsync(compilation);
        var (_, output) = Harness.Generate(compilation);
        var errors = Harness.Errors(output);
        string all = string.Join("\n", mg.Concat(errors).Select(d => $"{d.Id} '{Span(d)}': {d.GetMessage(CultureInfo.InvariantCulture)}"));
        Assert.True(mg.Any() && mg.All(d => d.Id == id), $"{id}: expected only {id}, got:\n{all}");
        Assert.True(errors.Count == 0, $"{id}: compiler errors beside {id}:\n{all}");
    }

    private static readonly string Root = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new System.IO.DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (System.IO.File.Exists(System.IO.Path.Combine(dir.FullName, "ModelGen.sln"))) return dir.FullName;
        throw new InvalidOperationException("ModelGen.sln not found above " + AppContext.BaseDirectory);
    }

    [Theory]
    [MemberData(nameof(Mistakes))]
    public async Task EachMistake_GivesExactlyItsDiagnostic_AndNoCompilerError(string mistake, string model, string id, string span)
    {
        var compilation = Harness.Compile(model, UserCode);
        var mg = await Harness.AnalyzeAsync(compilation);
        var (_, output) = Harness.Generate(compilation);
        var errors = Harness.Errors(output);
        string all = string.Join("\n", mg.Concat(errors).Select(d => $"{d.Id} '{Span(d)}': {d.GetMessage(CultureInfo.InvariantCulture)}"));

        var d = Assert.Single(mg.Where(x => x.Severity != DiagnosticSeverity.Hidden));
        Assert.True(d.Id == id && Span(d) == span, $"{mistake}: expected {id} on '{span}', got:\n{all}");
        Assert.True(errors.Count == 0, $"{mistake}: compiler errors beside {id}:\n{all}");
    }

    /// <summary>
    /// A class without 'partial' cannot be helped into compiling: the compiler's own CS0260 on the class name remains
    /// (errors cannot be suppressed). The generated part turns the CS0751 and CS8795 on every layer method, and the
    /// CS1061 on every use, into that one error; MG0001 (with its code fix) says the same in the IDE.
    /// </summary>
    [Theory]
    [InlineData("[Model(Input = new[] { 64 })]\npublic class M", "M")]
    [InlineData("public class Outer { }\n[Model(Input = new[] { 64 })]\npublic partial class M", null)]
    public async Task ModelNotPartial_GivesMG0001_AndOnlyTheCompilersCS0260OnTheClass(string header, string? span)
    {
        string model = span is null
            ? "using ModelGen;\npublic class Outer\n{\n    [Model(Input = new[] { 64 })]\n    public partial class M\n    {\n        [Dense(10)] private partial Tensor Out(Tensor x);\n    }\n}\n"
            : Model(header, "    [Dense(10)] private partial Tensor Out(Tensor x);");
        string user = span is null ? UserCode.Replace("new M(", "new Outer.M(").Replace("M.TotalParameters", "Outer.M.TotalParameters") : UserCode;
        span ??= "Outer";
        var compilation = Harness.Compile(model, user);
        var mg = await Harness.AnalyzeAsync(compilation);
        var (_, output) = Harness.Generate(compilation);
        var errors = Harness.Errors(output);
        string all = string.Join("\n", mg.Concat(errors).Select(d => $"{d.Id} '{Span(d)}': {d.GetMessage(CultureInfo.InvariantCulture)}"));

        var d = Assert.Single(mg);
        Assert.True(d.Id == "MG0001" && Span(d) == span, all);
        var error = Assert.Single(errors);
        Assert.True(error.Id == "CS0260" && Span(error) == span && error.Location.SourceTree!.FilePath == "Model0.cs", all);
    }

    [Fact]
    public async Task UnsafeBlocksDisabled_GivesOnlyMG0016()
    {
        var compilation = Harness.Compile(allowUnsafe: false, Model(Flat, "    [Dense(10)] private partial Tensor Out(Tensor x);"), UserCode);
        var mg = await Harness.AnalyzeAsync(compilation);
        var (_, output) = Harness.Generate(compilation);
        Assert.Equal("MG0016", Assert.Single(mg).Id);
        Assert.Empty(Harness.Errors(output));
    }

    [Fact]
    public void TheUserCode_CompilesAgainstAValidModel()
    {
        // The twin: the same user code against the same model without the mistake.
        var (_, output) = Harness.Generate(Harness.Compile(Model(Flat, "    [Dense(10)] private partial Tensor Out(Tensor x);"), UserCode));
        Assert.Empty(Harness.Errors(output));
    }

    [Fact]
    public void AnInvalidModel_ThrowsAtRunTime_NamingTheModelAndItsDiagnostics()
    {
        var model = Model(Flat, "    [Dense(10, In = 32)] private partial Tensor Out(Tensor x);\n    [Dense(4)] private partial Tensor Extra(Tensor x) => x;");
        var (_, output) = Harness.Generate(Harness.Compile(model));
        var type = Load(output).GetType("M")!;
        Assert.Equal("ModelGen.Model", type.BaseType!.FullName);

        var thrown = Assert.Throws<TargetInvocationException>(() => Activator.CreateInstance(type, 1));
        var error = Assert.IsType<InvalidOperationException>(thrown.InnerException);
        Assert.Equal("The model 'M' has build errors (MG0002, MG0007); fix them to generate its code.", error.Message);

        var total = Assert.Throws<TargetInvocationException>(() => type.GetProperty("TotalParameters")!.GetValue(null));
        Assert.Equal(error.Message, total.InnerException!.Message);
    }

    private static Assembly Load(Compilation compilation)
    {
        using var stream = new System.IO.MemoryStream();
        var result = compilation.Emit(stream);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        return Assembly.Load(stream.ToArray());
    }

    private static string Span(Diagnostic d) =>
        d.Location.SourceTree is { } tree ? tree.GetText().ToString(d.Location.SourceSpan) : "";
}
