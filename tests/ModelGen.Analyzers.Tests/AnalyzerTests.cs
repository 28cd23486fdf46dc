using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ModelGen.Analyzers;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Analyzers.Tests;

/// <summary>
/// Every ModelGen diagnostic on a declaration that breaks its rule (ID, exact span, the numbers in the message),
/// next to the nearest declaration that is right (no diagnostic, and the generated code compiles).
/// </summary>
public class AnalyzerTests
{
    // ───────────── helpers ─────────────

    private static string SpanText(Diagnostic d) => d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan);

    private static void AssertDiagnostic(Diagnostic d, string id, string span, params string[] messageParts)
    {
        Assert.Equal(id, d.Id);
        Assert.Equal(span, SpanText(d));
        var expectedSeverity = Harness.Rules.Single(x => x.Id == id).DefaultSeverity;
        Assert.Equal(expectedSeverity, d.Severity);
        string message = d.GetMessage(CultureInfo.InvariantCulture);
        foreach (var part in messageParts) Assert.Contains(part, message);
    }

    /// <summary>The source has exactly one MG diagnostic, and it is this one.</summary>
    private static async Task<Diagnostic> AssertSingle(string source, string id, string span, params string[] messageParts)
    {
        var d = Assert.Single(await Harness.AnalyzeAsync(source));
        AssertDiagnostic(d, id, span, messageParts);
        return d;
    }

    /// <summary>
    /// The build shows ModelGen's diagnostic and nothing else: the generated stubs fill every layer method,
    /// so there is no CS8795 or error in generated code to bury it.
    /// </summary>
    private static void AssertNoCompilerErrors(string source, bool allowUnsafe = true)
    {
        var (_, output) = Harness.Generate(Harness.Compile(allowUnsafe, source));
        Assert.Empty(Harness.Errors(output));
    }

    /// <summary>No MG diagnostic, and the real model code (deriving from ModelGen.Model) is generated and compiles.</summary>
    private static async Task AssertClean(string source, string modelMetadataName = "M")
    {
        Assert.Empty(await Harness.AnalyzeAsync(source));
        var (_, output) = Harness.Generate(Harness.Compile(source));
        Assert.Empty(Harness.Errors(output));
        var model = output.GetTypeByMetadataName(modelMetadataName);
        Assert.NotNull(model);
        Assert.Equal("ModelGen.Model", model!.BaseType?.ToDisplayString());
    }

    /// <summary>Errors of the compiler located in generated files (a generator bug, never the user's).</summary>
    private static List<Diagnostic> GeneratedCodeErrors(string source)
    {
        var (run, output) = Harness.Generate(Harness.Compile(source));
        var generated = run.GeneratedTrees.ToHashSet();
        return Harness.Errors(output).Where(e => e.Location.SourceTree is { } t && generated.Contains(t)).ToList();
    }

    // ───────────── MG0001: model class must be partial ─────────────

    [Fact]
    public async Task MG0001_ModelClassNotPartial_IsReportedOnTheClassName()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public class Digits
            {
                [Dense(10)] private partial Tensor Logits(Tensor x);
            }
            """;
        await AssertSingle(source, "MG0001", "Digits", "'Digits' must be declared 'partial'");
        Assert.Empty(GeneratedCodeErrors(source));
    }

    [Fact]
    public async Task MG0001_ContainingClassNotPartial_IsReportedOnTheContainingClass()
    {
        const string source = """
            using ModelGen;
            namespace Zoo;
            public class Outer
            {
                [Model(Input = new[] { 64 })]
                public partial class Digits
                {
                    [Dense(10)] private partial Tensor Logits(Tensor x);
                }
            }
            """;
        await AssertSingle(source, "MG0001", "Outer", "'Outer' must be declared 'partial'", "(it contains the model 'Digits')");
    }

    [Fact]
    public async Task MG0001_Twin_PartialModel_NestedInPartialClass_IsClean()
    {
        const string source = """
            using ModelGen;
            namespace Zoo;
            public partial class Outer
            {
                [Model(Input = new[] { 64 })]
                public partial class Digits
                {
                    [Dense(10)] private partial Tensor Logits(Tensor x);
                }
            }
            """;
        await AssertClean(source, "Zoo.Outer+Digits");
    }

    [Fact]
    public async Task MG0001_Twin_PartialModel_NestedInPartialStruct_IsClean()
    {
        const string source = """
            using ModelGen;
            public partial struct Outer
            {
                [Model(Input = new[] { 64 })]
                public partial class Digits
                {
                    [Dense(10)] private partial Tensor Logits(Tensor x);
                }
            }
            """;
        await AssertClean(source, "Outer+Digits");
    }

    // ───────────── MG0002: layer method has the wrong form ─────────────

    [Theory]
    [InlineData("private partial Tensor A(Tensor x) => x;", "must not have a body (ModelGen writes it)")]
    [InlineData("private Tensor A(Tensor x) => x;", "must be 'partial' with no body")]
    [InlineData("private static partial Tensor A(Tensor x);", "must not be static")]
    [InlineData("private partial Tensor A<T>(Tensor x);", "must not be generic")]
    [InlineData("private partial Tensor A(float[] x);", "must take exactly one parameter of type Tensor")]
    [InlineData("private partial Tensor A(Tensor x, Tensor y);", "must take exactly one parameter of type Tensor")]
    [InlineData("private partial Tensor A(ref Tensor x);", "must take exactly one parameter of type Tensor")]
    [InlineData("private partial float[] A(Tensor x);", "must return Tensor")]
    public async Task MG0002_LayerMethodOfWrongForm_IsReportedOnTheMethodName(string declaration, string problem)
    {
        string source = $$"""
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class M
            {
                [Dense(10)] {{declaration}}
            }
            """;
        await AssertSingle(source, "MG0002", "A", "Layer method 'A' " + problem, "declare it as 'private partial Tensor A(Tensor x);'");
    }

    [Fact]
    public async Task MG0002_Twin_PrivatePartialTensorMethod_IsClean()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class M
            {
                [Dense(10)] private partial Tensor A(Tensor x);
            }
            """;
        await AssertClean(source);
    }

    // ───────────── MG0003: input shape ─────────────

    [Theory]
    [InlineData("Input = new int[0]", "[]", "declare the per-sample input shape, e.g. Input = new[] { 64 }")]
    [InlineData("Input = null", "[]", "declare the per-sample input shape")]
    [InlineData("Input = new[] { 8, 0 }", "[8, 0]", "every dimension must be at least 1")]
    [InlineData("Input = new[] { -3 }", "[-3]", "every dimension must be at least 1")]
    public async Task MG0003_InvalidInputShape_IsReportedOnTheInputArgument(string input, string shape, string why)
    {
        string source = $$"""
            using ModelGen;
            [Model({{input}})]
            public partial class M
            {
                [Dense(10)] private partial Tensor A(Tensor x);
            }
            """;
        await AssertSingle(source, "MG0003", input, $"Model 'M' has input shape {shape}: {why}");
        AssertNoCompilerErrors(source);
    }

    [Fact]
    public async Task MG0003_MissingInput_IsReportedOnTheClassName()
    {
        const string source = """
            using ModelGen;
            [Model(Loss = Loss.MeanSquaredError)]
            public partial class M
            {
                [Dense(10)] private partial Tensor A(Tensor x);
            }
            """;
        await AssertSingle(source, "MG0003", "M", "Model 'M' has input shape []");
    }

    [Fact]
    public async Task MG0003_Twin_PositiveInputShape_IsClean()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 8 }, Loss = Loss.MeanSquaredError)]
            public partial class M
            {
                [Dense(10)] private partial Tensor A(Tensor x);
            }
            """;
        await AssertClean(source);
    }

    // ───────────── MG0004: invalid argument ─────────────

    [Theory]
    [InlineData("[Dense(0)]", "0", "Dense 'A': Dense needs at least 1 unit, but units = 0")]
    [InlineData("[Dense(-5, Activation.ReLU)]", "-5", "units = -5")]
    [InlineData("[Dense(units: 0)]", "units: 0", "units = 0")]
    [InlineData("[Dense(10, (Activation)99)]", "(Activation)99", "Dense 'A': activation value 99 is not a ModelGen.Activation")]
    [InlineData("[Dense(10, In = -1)]", "In = -1", "Dense 'A': In = -1 must be positive (or 0 to infer it)")]
    [InlineData("[Dense(10, Activation.LeakyReLU, NegativeSlope = float.NaN)]", "NegativeSlope = float.NaN", "Dense 'A': NegativeSlope must be a finite number")]
    public async Task MG0004_InvalidLayerArgument_IsReportedOnTheArgument(string attribute, string span, string message)
    {
        string source = $$"""
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class M
            {
                {{attribute}} private partial Tensor A(Tensor x);
            }
            """;
        await AssertSingle(source, "MG0004", span, message);
        AssertNoCompilerErrors(source);
    }

    [Fact]
    public async Task MG0004_ZeroUnits_DoesNotCascadeIntoWidthErrorsDownstream()
    {
        // 'B' states In = 5; with A's width unknown there is nothing to compare it to, so only MG0004 is reported.
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class M
            {
                [Dense(0)] private partial Tensor A(Tensor x);
                [Dense(10, In = 5)] private partial Tensor B(Tensor x);
            }
            """;
        await AssertSingle(source, "MG0004", "0", "units = 0");
    }

    [Theory]
    [InlineData("PosWeight = 0", "Model 'M': PosWeight = 0 must be a positive finite number")]
    [InlineData("PosWeight = float.PositiveInfinity", "must be a positive finite number")]
    [InlineData("Loss = (Loss)7", "Model 'M': Loss = 7 is not a ModelGen.Loss value")]
    public async Task MG0004_InvalidModelArgument_IsReportedOnTheArgument(string argument, string message)
    {
        string source = $$"""
            using ModelGen;
            [Model(Input = new[] { 64 }, {{argument}})]
            public partial class M
            {
                [Dense(2)] private partial Tensor A(Tensor x);
            }
            """;
        await AssertSingle(source, "MG0004", argument, message);
        // An unknown loss once reached the emitter and produced 'Loss.7' in generated code.
        AssertNoCompilerErrors(source);
    }

    [Fact]
    public async Task MG0004_Twin_ValidArguments_AreClean()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 64 }, Loss = Loss.BinaryCrossEntropy, PosWeight = 2.5f)]
            public partial class M
            {
                [Dense(units: 16, activation: Activation.LeakyReLU, NegativeSlope = 0.2f, In = 64)] private partial Tensor A(Tensor x);
                [Dense(1, Bias = false)] private partial Tensor B(Tensor x);
            }
            """;
        await AssertClean(source);
    }

    // ───────────── MG0005: unsupported construct in [Forward] ─────────────

    private static string ForwardModel(string forward) => $$"""
        using ModelGen;
        [Model(Input = new[] { 64 }, Loss = Loss.MeanSquaredError)]
        public partial class M
        {
            private readonly Tensor Scale = Tensor.Zeros(1, 64);
            [Dense(64)] private partial Tensor A(Tensor x);
            private static Tensor Helper(Tensor t) => t;
            [Forward] private Tensor F(Tensor x){{forward}}
        }
        """;

    [Theory]
    [InlineData(" { if (x.Shape.Length > 1) x = A(x); return A(x); }", "if (x.Shape.Length > 1) x = A(x);", "cannot use the statement 'if (x.Shape.Length > 1) x = A(x);'")]
    [InlineData(" { for (int i = 0; i < 2; i++) x = A(x); return x; }", "for (int i = 0; i < 2; i++) x = A(x);", "cannot use the statement 'for (int i = 0; i < 2; i++) x = A(x);'")]
    [InlineData(" => A(Helper(x));", "Helper(x)", "cannot use the call 'Helper(x)', which is not a call of one of its layer methods")]
    [InlineData(" => A(x) + Scale;", "Scale", "cannot use 'Scale', which is neither the input nor a local holding a layer's result")]
    [InlineData(" { var h = A(x); return h; throw null; }", "throw null;", "cannot use statements after 'return'")]
    public async Task MG0005_UnsupportedForwardConstruct_IsReportedOnTheConstruct(string forward, string span, string what)
    {
        await AssertSingle(ForwardModel(forward), "MG0005", span, "[Forward] of 'M' " + what, "it supports calls of layer methods, arithmetic of tensors and float constants, the Tensor functions, locals");
    }

    [Fact]
    public async Task MG0005_LocalFromAnUnsupportedCall_IsReportedOnce()
    {
        // 'h' holds a value that already failed; its later uses are not reported a second time.
        await AssertSingle(ForwardModel(" { var h = Helper(x); h = A(h); return A(h) + h; }"), "MG0005", "Helper(x)", "the call 'Helper(x)'");
    }

    [Fact]
    public async Task MG0005_Twin_LocalsReassignmentThisCallsAddAndMultiply_AreClean()
    {
        await AssertClean(ForwardModel(" { var h = A(x); h = A(h) + x; return this.A(h) * h; }"));
    }

    // ───────────── MG0006: no layers ─────────────

    [Theory]
    [InlineData("new[] { 64 }")]
    [InlineData("new[] { 8, 8 }")]   // a rank-2 input once added an MG0009 about the "output", which is only the input
    public async Task MG0006_ModelWithoutLayers_IsReportedOnTheClassName(string input)
    {
        string source = $$"""
            using ModelGen;
            [Model(Input = {{input}})]
            public partial class Empty
            {
                private Tensor NotALayer(Tensor x) => x;
            }
            """;
        await AssertSingle(source, "MG0006", "Empty", "Model 'Empty' declares no layer methods", "'[Dense(10)] private partial Tensor Output(Tensor x);'");
        AssertNoCompilerErrors(source);
    }

    [Fact]
    public async Task MG0006_Twin_OneLayer_IsClean()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class Empty
            {
                [Dense(10)] private partial Tensor Output(Tensor x);
            }
            """;
        await AssertClean(source, "Empty");
    }

    // ───────────── MG0007: Dense In mismatch ─────────────

    [Fact]
    public async Task MG0007_InAfterAnotherLayer_ShowsBothWidths()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class M
            {
                [Dense(128, Activation.ReLU)] private partial Tensor Hidden(Tensor x);
                [Dense(10, In = 64)] private partial Tensor Logits(Tensor x);
            }
            """;
        await AssertSingle(source, "MG0007", "In = 64", "Dense 'Logits' declares In = 64, but its input is 128 wide ('Hidden' (Dense 128))");
        AssertNoCompilerErrors(source);
    }

    [Fact]
    public async Task MG0007_InOnTheFirstLayer_IsComparedWithTheModelInput()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 32 })]
            public partial class M
            {
                [Dense(10, Activation.ReLU, In = 64)] private partial Tensor First(Tensor x);
            }
            """;
        await AssertSingle(source, "MG0007", "In = 64", "Dense 'First' declares In = 64, but its input is 32 wide (the model input)");
    }

    [Fact]
    public async Task MG0007_InForward_IsStillReportedOnTheInArgument()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class M
            {
                [Dense(128)] private partial Tensor Up(Tensor x);
                [Dense(10, In = 64)] private partial Tensor Out(Tensor x);
                [Forward] private Tensor F(Tensor x) { var h = Up(x); return Out(h); }
            }
            """;
        await AssertSingle(source, "MG0007", "In = 64", "declares In = 64, but its input is 128 wide ('Up' (Dense 128))");
    }

    [Fact]
    public async Task MG0007_Twin_InEqualToTheInferredWidth_IsClean()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class M
            {
                [Dense(128, Activation.ReLU, In = 64)] private partial Tensor Hidden(Tensor x);
                [Dense(10, In = 128)] private partial Tensor Logits(Tensor x);
            }
            """;
        await AssertClean(source);
    }

    // ───────────── MG0008: element-wise shapes ─────────────

    private static string Residual(int downUnits, string forward) => $$"""
        using ModelGen;
        [Model(Input = new[] { 64 }, Loss = Loss.MeanSquaredError)]
        public partial class ResidualBlock
        {
            [Dense(128, Activation.GELU)] private partial Tensor Up(Tensor x);
            [Dense({{downUnits}})] private partial Tensor Down(Tensor x);
            [Forward] private Tensor Forward(Tensor x) {{forward}}
        }
        """;

    [Fact]
    public async Task MG0008_AddOfUnequalWidths_IsReportedOnTheAddExpression()
    {
        string source = Residual(32, "=> x + Down(Up(x));");
        await AssertSingle(source, "MG0008", "x + Down(Up(x))",
            "'x + Down(Up(x))' needs operands of equal shape, but the input 'x' is [64] and 'Down' (Dense 32) is [32]", "never broadcasts");
        AssertNoCompilerErrors(source);
    }

    [Fact]
    public async Task MG0008_MultiplyOfLocals_IsReportedOnTheMultiplyExpression()
    {
        await AssertSingle(Residual(64, "{ var h = Up(x); var r = h * x; return Down(r); }"), "MG0008", "h * x",
            "'h * x' needs operands of equal shape, but 'Up' (Dense 128) is [128] and the input 'x' is [64]");
    }

    [Fact]
    public async Task MG0008_Twin_EqualWidths_AreClean()
    {
        await AssertClean(Residual(64, "=> x + Down(Up(x));"), "ResidualBlock");
        await AssertClean(Residual(64, "{ var h = Down(Up(x)); return h * x + h; }"), "ResidualBlock");
    }

    // ───────────── MG0009: loss vs output ─────────────

    [Fact]
    public async Task MG0009_SoftmaxCrossEntropyOnOneOutput_WarnsOnTheLossArgument()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 30 }, Loss = Loss.SoftmaxCrossEntropy)]
            public partial class Tumour
            {
                [Dense(16, Activation.ReLU)] private partial Tensor Hidden(Tensor x);
                [Dense(1)] private partial Tensor Logit(Tensor x);
            }
            """;
        await AssertSingle(source, "MG0009", "Loss = Loss.SoftmaxCrossEntropy",
            "Loss SoftmaxCrossEntropy on output [1] of 'Tumour'", "softmax over a single output is always 1", "use Loss.BinaryCrossEntropy");
        // A warning does not stop the generator: the real code is there and compiles.
        var (_, output) = Harness.Generate(Harness.Compile(source));
        Assert.Empty(Harness.Errors(output));
        Assert.Equal("ModelGen.Model", output.GetTypeByMetadataName("Tumour")!.BaseType!.ToDisplayString());
    }

    [Fact]
    public async Task MG0009_DefaultLossOnOneOutput_WarnsOnTheClassName()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 30 })]
            public partial class Tumour
            {
                [Dense(1)] private partial Tensor Logit(Tensor x);
            }
            """;
        await AssertSingle(source, "MG0009", "Tumour", "Loss SoftmaxCrossEntropy on output [1] of 'Tumour'");
    }

    [Theory]
    [InlineData("Loss.BinaryCrossEntropy", 1)]
    [InlineData("Loss.SoftmaxCrossEntropy", 2)]
    public async Task MG0009_Twin_BinaryCrossEntropyOrTwoClasses_IsClean(string loss, int outputs)
    {
        string source = $$"""
            using ModelGen;
            [Model(Input = new[] { 30 }, Loss = {{loss}})]
            public partial class Tumour
            {
                [Dense(16, Activation.ReLU)] private partial Tensor Hidden(Tensor x);
                [Dense({{outputs}})] private partial Tensor Logit(Tensor x);
            }
            """;
        await AssertClean(source, "Tumour");
    }

    // ───────────── MG0010: another base class ─────────────

    [Fact]
    public async Task MG0010_OtherBaseClass_IsReportedOnTheClassName()
    {
        const string source = """
            using ModelGen;
            public class Service { }
            [Model(Input = new[] { 64 })]
            public partial class M : Service
            {
                [Dense(10)] private partial Tensor A(Tensor x);
            }
            """;
        await AssertSingle(source, "MG0010", "M", "'M' derives from 'Service', but a model derives from ModelGen.Model");
        AssertNoCompilerErrors(source);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" : Model")]
    [InlineData(" : ModelGen.Model, System.IComparable")]
    public async Task MG0010_Twin_NoBaseOrModelBase_IsClean(string bases)
    {
        string source = $$"""
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class M{{bases}}
            {
                [Dense(10)] private partial Tensor A(Tensor x);
                {{(bases.Contains("IComparable") ? "public int CompareTo(object? other) => 0;" : "")}}
            }
            """;
        await AssertClean(source);
    }

    // ───────────── MG0011: generic models ─────────────

    [Fact]
    public async Task MG0011_GenericModel_IsReportedOnTheClassName()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class M<T>
            {
                [Dense(10)] private partial Tensor A(Tensor x);
            }
            """;
        await AssertSingle(source, "MG0011", "M", "'M' is generic or nested in a generic type");
        // A non-generic stub part once declared a second type 'M' and failed with CS0759 in generated code.
        Assert.Empty(GeneratedCodeErrors(source));
    }

    [Fact]
    public async Task MG0011_ModelNestedInGenericType_IsReportedOnTheModelName()
    {
        const string source = """
            using ModelGen;
            public partial class Outer<T>
            {
                [Model(Input = new[] { 64 })]
                public partial class M
                {
                    [Dense(10)] private partial Tensor A(Tensor x);
                }
            }
            """;
        await AssertSingle(source, "MG0011", "M", "'M' is generic or nested in a generic type", "sizes must be fixed at compile time");
        Assert.Empty(GeneratedCodeErrors(source));
    }

    [Fact]
    public async Task MG0011_Twin_NonGenericNestedModel_IsClean()
    {
        const string source = """
            using ModelGen;
            public partial class Outer
            {
                [Model(Input = new[] { 64 })]
                public partial class M
                {
                    [Dense(10)] private partial Tensor A(Tensor x);
                }
            }
            """;
        await AssertClean(source, "Outer+M");
    }

    // ───────────── MG0012: [Forward] method form ─────────────

    [Fact]
    public async Task MG0012_SecondForward_IsReportedOnTheSecondMethod()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class M
            {
                [Dense(10)] private partial Tensor A(Tensor x);
                [Forward] private Tensor F(Tensor x) => A(x);
                [Forward] private Tensor G(Tensor x) => A(x);
            }
            """;
        await AssertSingle(source, "MG0012", "G", "[Forward] method 'G' is a second [Forward] method ('F' is the first); keep one");
        AssertNoCompilerErrors(source);
    }

    [Theory]
    [InlineData("private Tensor F(Tensor x, int y) => A(x);")]
    [InlineData("private Tensor F(float[] x) => A(new Tensor(x, 1, 64));")]
    [InlineData("private float[] F(Tensor x) => A(x).Data;")]
    public async Task MG0012_ForwardOfWrongSignature_IsReportedOnTheMethodName(string forward)
    {
        string source = $$"""
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class M
            {
                [Dense(10)] private partial Tensor A(Tensor x);
                [Forward] {{forward}}
            }
            """;
        await AssertSingle(source, "MG0012", "F", "[Forward] method 'F' must take Tensor parameters and return Tensor (or a tuple of Tensors)");
    }

    [Fact]
    public async Task MG0012_ForwardWithoutReturn_IsReportedOnTheMethodName()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class M
            {
                [Dense(10)] private partial Tensor A(Tensor x);
                [Forward] private Tensor F(Tensor x) { var h = A(x); }
            }
            """;
        await AssertSingle(source, "MG0012", "F", "[Forward] method 'F' must end with 'return <expression>;'");
    }

    [Fact]
    public async Task MG0012_ForwardWithoutBody_IsReportedOnTheMethodName()
    {
        // Without a graph the generator writes stubs only; this once happened with no ModelGen diagnostic at all.
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class M
            {
                [Dense(10)] private partial Tensor A(Tensor x);
                [Forward] private partial Tensor F(Tensor x);
            }
            """;
        await AssertSingle(source, "MG0012", "F", "[Forward] method 'F' has no body; write the graph in it, e.g. '=> Output(x);'");
    }

    [Fact]
    public async Task MG0012_Twin_PartialForwardWithImplementationPart_IsClean()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class M
            {
                [Dense(10)] private partial Tensor A(Tensor x);
                [Forward] private partial Tensor F(Tensor x);
                private partial Tensor F(Tensor x) => A(x);
            }
            """;
        await AssertClean(source);
    }

    [Theory]
    [InlineData("=> x;", "x")]
    [InlineData("{ var h = A(x); return x + x; }", "x + x")]
    public async Task MG0012_ForwardReturningNoLayerResult_IsReportedOnTheReturnedExpression(string body, string returned)
    {
        // The generator once emitted code for these that referenced buffers it never declared (CS0103).
        string source = $$"""
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class M
            {
                [Dense(64)] private partial Tensor A(Tensor x);
                [Forward] private Tensor F(Tensor x) {{body}}
            }
            """;
        await AssertSingle(source, "MG0012", returned, $"[Forward] method 'F' returns '{returned}', which no layer computes");
        AssertNoCompilerErrors(source);
    }

    [Fact]
    public async Task MG0012_Twin_OneForwardReturningALayerResult_IsClean()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class M
            {
                [Dense(10)] private partial Tensor A(Tensor x);
                [Forward] private Tensor F(Tensor x) { var h = A(x); return h; }
            }
            """;
        await AssertClean(source);
    }

    // ───────────── MG0013: unused layer ─────────────

    private const string UnusedLayer = """
        using ModelGen;
        [Model(Input = new[] { 64 })]
        public partial class M
        {
            [Dense(32, Activation.ReLU)] private partial Tensor Spare(Tensor x);
            [Dense(10)] private partial Tensor Out(Tensor x);
            [Forward] private Tensor F(Tensor x) => Out(x);
        }
        """;

    [Fact]
    public async Task MG0013_LayerNeverCalled_WarnsOnItsAttribute()
    {
        await AssertSingle(UnusedLayer, "MG0013", "Dense(32, Activation.ReLU)",
            "Layer 'Spare' is never reached from the value [Forward] returns; its parameters are never trained");
        // Only a warning: the real code is generated and compiles.
        var (_, output) = Harness.Generate(Harness.Compile(UnusedLayer));
        Assert.Empty(Harness.Errors(output));
    }

    [Fact]
    public async Task MG0013_LayerOnlyInADeadLocal_CountsItsParameters()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class M
            {
                [Dense(32)] private partial Tensor Spare(Tensor x);
                [Dense(10)] private partial Tensor Out(Tensor x);
                [Forward] private Tensor F(Tensor x) { var dead = Spare(x); return Out(x); }
            }
            """;
        // 64·32 weights + 32 biases.
        await AssertSingle(source, "MG0013", "Dense(32)", "Layer 'Spare'", "its 2,080 parameters are never trained");
    }

    [Fact]
    public async Task MG0013_Twin_EveryLayerOnThePath_IsClean()
    {
        await AssertClean(UnusedLayer.Replace("=> Out(x);", "=> Out(Spare(x));"));
    }

    [Fact]
    public async Task MG0013_PragmaWarningDisable_SuppressesOnlyTheEnclosedLayer()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class M
            {
            #pragma warning disable MG0013 // kept for the next experiment
                [Dense(32)] private partial Tensor Spare(Tensor x);
            #pragma warning restore MG0013
                [Dense(16)] private partial Tensor Other(Tensor x);
                [Dense(10)] private partial Tensor Out(Tensor x);
                [Forward] private Tensor F(Tensor x) => Out(x);
            }
            """;
        var reported = await Harness.AnalyzeAsync(source);
        AssertDiagnostic(Assert.Single(reported), "MG0013", "Dense(16)", "Layer 'Other'");

        // As an IDE sees it: the suppressed one is still produced, marked as suppressed.
        var all = await Harness.AnalyzeAsync(Harness.Compile(source), reportSuppressed: true);
        Assert.Equal(2, all.Length);
        AssertDiagnostic(all[0], "MG0013", "Dense(32)", "Layer 'Spare'");
        Assert.True(all[0].IsSuppressed);
        Assert.False(all[1].IsSuppressed);
    }

    [Fact]
    public async Task MG0013_SeverityFromOptions_ErrorOrNone()
    {
        // What `dotnet_diagnostic.MG0013.severity = error | none` in .editorconfig turns into.
        var compilation = Harness.Compile(UnusedLayer);
        var asError = compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions(
            new Dictionary<string, ReportDiagnostic> { ["MG0013"] = ReportDiagnostic.Error }));
        var d = Assert.Single(await Harness.AnalyzeAsync(asError));
        Assert.Equal("MG0013", d.Id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Equal("Dense(32, Activation.ReLU)", SpanText(d));

        var silenced = compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions(
            new Dictionary<string, ReportDiagnostic> { ["MG0013"] = ReportDiagnostic.Suppress }));
        Assert.Empty(await Harness.AnalyzeAsync(silenced));
    }

    [Fact]
    public async Task MG0007_SeverityFromOptions_CanBeLoweredToWarning()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class M
            {
                [Dense(10, In = 32)] private partial Tensor A(Tensor x);
            }
            """;
        var compilation = Harness.Compile(source);
        compilation = compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions(
            new Dictionary<string, ReportDiagnostic> { ["MG0007"] = ReportDiagnostic.Warn }));
        var d = Assert.Single(await Harness.AnalyzeAsync(compilation));
        Assert.Equal("MG0007", d.Id);
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
    }

    // ───────────── MG0014: Dense on a non-flat input ─────────────

    [Fact]
    public async Task MG0014_Rank3InputIntoSequentialDense_IsReportedOnTheLayerAttribute()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 1, 8, 8 })]
            public partial class Digits
            {
                [Dense(10)] private partial Tensor Logits(Tensor x);
            }
            """;
        await AssertSingle(source, "MG0014", "Dense(10)",
            "Dense 'Logits' gets an input of shape [1, 8, 8] (rank 3)", "put a [Flatten] layer before it (→ [64])");
        AssertNoCompilerErrors(source);
    }

    [Fact]
    public async Task MG0014_Rank3InputIntoForwardCall_IsReportedOnTheCall()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 1, 28, 28 })]
            public partial class Digits
            {
                [Dense(10)] private partial Tensor Logits(Tensor x);
                [Forward] private Tensor F(Tensor image) => Logits(image);
            }
            """;
        await AssertSingle(source, "MG0014", "Logits(image)", "gets an input of shape [1, 28, 28] (rank 3)", "put a [Flatten] layer before it (→ [784])");
    }

    [Fact]
    public async Task MG0014_Twin_Rank2Input_IsASequence_DenseActsPerPosition()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 28, 28 }, Loss = Loss.MeanSquaredError)]
            public partial class Rows
            {
                [Dense(10)] private partial Tensor Logits(Tensor x);
                [Forward] private Tensor F(Tensor image) => Logits(image);
            }
            """;
        await AssertClean(source, "Rows");
    }

    [Fact]
    public async Task MG0014_Twin_FlattenBeforeDense_IsClean()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 1, 8, 8 })]
            public partial class Digits
            {
                [Flatten] private partial Tensor Flat(Tensor x);
                [Dense(10)] private partial Tensor Logits(Tensor x);
            }
            """;
        await AssertClean(source, "Digits");
    }

    [Fact]
    public async Task MG0014_Twin_FlatInput_IsClean()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class Digits
            {
                [Dense(10)] private partial Tensor Logits(Tensor x);
            }
            """;
        await AssertClean(source, "Digits");
    }

    // ───────────── MG0015: shared layer on different widths ─────────────

    [Fact]
    public async Task MG0015_SharedLayerOnTwoWidths_IsReportedOnTheSecondCall()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 64 }, Loss = Loss.MeanSquaredError)]
            public partial class Siamese
            {
                [Dense(32)] private partial Tensor Project(Tensor x);
                [Dense(16)] private partial Tensor Shared(Tensor x);
                [Forward] private Tensor F(Tensor x) { var p = Project(x); return Shared(p) + Shared(x); }
            }
            """;
        await AssertSingle(source, "MG0015", "Shared(x)",
            "Layer 'Shared' is called on inputs 32 and 64 wide", "shares its weights and needs one input width");
        AssertNoCompilerErrors(source);
    }

    [Fact]
    public async Task MG0015_Twin_SharedLayerOnEqualWidths_IsClean()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 64 }, Loss = Loss.MeanSquaredError)]
            public partial class Siamese
            {
                [Dense(32)] private partial Tensor Left(Tensor x);
                [Dense(32)] private partial Tensor Right(Tensor x);
                [Dense(16)] private partial Tensor Shared(Tensor x);
                [Forward] private Tensor F(Tensor x) => Shared(Left(x)) + Shared(Right(x));
            }
            """;
        await AssertClean(source, "Siamese");
    }

    // ───────────── MG0016: unsafe blocks ─────────────

    private const string Mlp = """
        using ModelGen;
        [Model(Input = new[] { 64 })]
        public partial class DigitsMlp
        {
            [Dense(128, Activation.ReLU)] private partial Tensor Hidden(Tensor x);
            [Dense(10)] private partial Tensor Logits(Tensor x);
        }
        """;

    [Fact]
    public async Task MG0016_UnsafeBlocksDisabled_IsReportedOnTheClassName()
    {
        var d = Assert.Single(await Harness.AnalyzeAsync(Harness.Compile(allowUnsafe: false, Mlp)));
        AssertDiagnostic(d, "MG0016", "DigitsMlp", "The code generated for 'DigitsMlp' works on pinned buffers", "<AllowUnsafeBlocks>true</AllowUnsafeBlocks>");
        // Stubs without pointers: MG0016 is the only error, not CS0227 in generated code.
        AssertNoCompilerErrors(Mlp, allowUnsafe: false);
    }

    [Fact]
    public async Task MG0016_Twin_UnsafeBlocksAllowed_IsClean()
    {
        await AssertClean(Mlp, "DigitsMlp");
    }

    // ───────────── cross-cutting ─────────────

    [Fact]
    public async Task SeveralMistakes_AreEachReportedAtTheirOwnPlace()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 64 }, Loss = Loss.SoftmaxCrossEntropy)]
            public partial class M
            {
                [Dense(128)] private partial Tensor Up(Tensor x);
                [Dense(32, In = 64)] private partial Tensor Down(Tensor x);
                [Dense(8)] private partial Tensor Unused(Tensor x);
                [Forward] private Tensor F(Tensor x) => x + Down(Up(x));
            }
            """;
        var all = await Harness.AnalyzeAsync(source);
        Assert.Equal(new[] { "MG0007", "MG0013", "MG0008" }, all.Select(d => d.Id));
        Assert.Equal(new[] { "In = 64", "Dense(8)", "x + Down(Up(x))" }, all.Select(SpanText));
    }

    [Fact]
    public async Task DuplicateDenseAttribute_LeavesItToTheCompiler()
    {
        // CS0579 is the compiler's; a second layer of the same name once added a flood of errors in generated code.
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 64 })]
            public partial class M
            {
                [Dense(10)][Dense(5)] private partial Tensor A(Tensor x);
            }
            """;
        Assert.Empty(await Harness.AnalyzeAsync(source));
        var (_, output) = Harness.Generate(Harness.Compile(source));
        Assert.Equal(new[] { "CS0579" }, Harness.Errors(output).Select(e => e.Id));
    }

    // ───────────── MG0017: reserved layer name ─────────────

    [Theory]
    [InlineData("Loss")]
    [InlineData("Graph")]
    [InlineData("Summary")]
    [InlineData("TotalParameters")]
    public async Task MG0017_LayerNamedLikeAGeneratedMember_IsReportedOnTheMethodName(string name)
    {
        string source = $$"""
            using ModelGen;
            [Model(Input = new[] { 4 })]
            public partial class M
            {
                [Dense(2)] private partial Tensor {{name}}(Tensor x);
            }
            """;
        await AssertSingle(source, "MG0017", name, $"Layer method '{name}' has the name of a member every model gets");
        AssertNoCompilerErrors(source);
    }

    [Fact]
    public async Task MG0017_Twin_KeywordAndCaseOnlyDifferentNames_AreCleanAndCompile()
    {
        // '@class' must be written back with its '@', and 'A'/'a' must not collide in generated locals.
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 4 })]
            public partial class M
            {
                [Dense(3, Activation.ReLU)] private partial Tensor @class(Tensor @in);
                [Dense(3, Activation.ReLU)] private partial Tensor A(Tensor x);
                [Dense(2)] private partial Tensor a(Tensor x);
                [Forward] private Tensor F(Tensor x) => a(A(@class(x)));
            }
            """;
        await AssertClean(source);
    }

    // ───────────── MG0018: model too large ─────────────

    [Fact]
    public async Task MG0018_ParameterCountBeyondOneBuffer_IsReportedOnTheClass()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 100000 })]
            public partial class M
            {
                [Dense(100000)] private partial Tensor A(Tensor x);
            }
            """;
        await AssertSingle(source, "MG0018", "M", "'M' needs 10,000,100,000 parameters");
        AssertNoCompilerErrors(source);
    }

    [Fact]
    public async Task MG0018_Twin_ALargeModelThatFits_IsClean()
    {
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 10000 })]
            public partial class M
            {
                [Dense(10000)] private partial Tensor A(Tensor x);
            }
            """;
        await AssertClean(source);
    }
}
