using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Analyzers.Tests;

/// <summary>
/// Arithmetic in [Forward]: every supported form is clean and compiles; each misuse gives exactly one diagnostic
/// (MG0005 on the construct, MG0008 on a difference of unequal shapes) with its span and the reason in the message.
/// </summary>
public class ArithmeticShapeTests
{
    private static string Model(string forward) => $$"""
        using ModelGen;
        [Model(Input = new[] { 64 }, Loss = Loss.MeanSquaredError)]
        public partial class M
        {
            [Dense(32)] private partial Tensor A(Tensor x);
            [Dense(32)] private partial Tensor B(Tensor x);
            [Forward] private Tensor F(Tensor x){{forward}}
        }
        """;

    private static async Task<Diagnostic> Single(string source, string id, string span, string messagePart)
    {
        var d = Assert.Single(await Harness.AnalyzeAsync(source));
        Assert.Equal(id, d.Id);
        Assert.Equal(span, d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan));
        Assert.Contains(messagePart, d.GetMessage(CultureInfo.InvariantCulture));
        return d;
    }

    [Theory]
    [InlineData(" => 0.5f * A(x) + 1f + B(x);")]
    [InlineData(" => A(x) * 2 - 1.5f - B(x);")]
    [InlineData(" => (1f - A(x)) / 4f + (-B(x));")]
    [InlineData(" => A(x) - B(x);")]
    [InlineData(" { var mu = A(x); var logVar = B(x); return mu + Tensor.Exp(0.5f * logVar) * Tensor.Sigmoid(logVar); }")]
    [InlineData(" => Tensor.Log(Tensor.Exp(A(x)) + 1e-3f) + Tensor.Sqrt(Tensor.Square(B(x))) + Tensor.Abs(A(x));")]
    [InlineData(" => Tensor.Clamp(A(x), -1f, 1f) + Tensor.LeakyReLU(B(x), 0.2f) + Tensor.LeakyReLU(B(x));")]
    [InlineData(" => Tensor.ReLU(A(x)) + Tensor.GELU(A(x)) + Tensor.GELUExact(A(x)) + Tensor.SiLU(A(x)) + Tensor.Tanh(A(x)) + ModelGen.Tensor.Sigmoid(B(x));")]
    [InlineData(" => A(x) * (1f / 64) + 2f * 3f + B(x);")]
    [InlineData(" { const float Low = -1f; var beta = 0.5f; return Tensor.Clamp(A(x), Low, 1f) * beta + (beta - B(x)); }")]
    public async Task SupportedArithmetic_IsCleanAndCompiles(string forward)
    {
        string source = Model(forward);
        Assert.Empty(await Harness.AnalyzeAsync(source));
        var (_, output) = Harness.Generate(Harness.Compile(source));
        Assert.Empty(Harness.Errors(output));
        Assert.Equal("ModelGen.Model", output.GetTypeByMetadataName("M")!.BaseType?.ToDisplayString());
    }

    [Fact]
    public async Task Difference_OfUnequalShapes_IsMG0008OnTheExpression()
    {
        var d = await Single(Model(" { var b = B(x); return A(x) - x + b; }"), "MG0008", "A(x) - x", "'A(x) - x' needs operands of equal shape");
        Assert.Contains("[32]", d.GetMessage(CultureInfo.InvariantCulture));
        Assert.Contains("[64]", d.GetMessage(CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData(" => A(x) + Tensor.Exp(2f * 3f);", "2f * 3f", "Tensor.Exp of the constant '2f * 3f'")]
    [InlineData(" => 1f / A(x);", "1f / A(x)", "by a tensor")]
    [InlineData(" => A(x) / B(x);", "A(x) / B(x)", "by a tensor")]
    [InlineData(" => A(x) / 0f;", "0f", "by zero")]
    [InlineData(" => Tensor.Clamp(A(x), 1f, -1f);", "Tensor.Clamp(A(x), 1f, -1f)", "lower bound is above its upper bound")]
    [InlineData(" => Tensor.Zeros(1, 32);", "Tensor.Zeros(1, 32)", "'Tensor.Zeros', which is not one of its Tensor functions")]
    public async Task UnsupportedArithmetic_IsOneMG0005OnTheConstruct(string forward, string span, string messagePart)
    {
        await Single(Model(forward), "MG0005", span, messagePart);
    }

    [Fact]
    public async Task ConstantLocal_WhereATensorIsExpected_IsOneMG0005()
    {
        await Single(Model(" { var beta = 0.5f; return A(x) + Tensor.Exp(beta); }"), "MG0005", "beta", "Tensor.Exp of the constant 'beta'");
    }

    [Fact]
    public async Task FunctionOfAConstant_IsMG0005OnTheConstant()
    {
        // The compiler also rejects a float where a Tensor is expected; ModelGen says why the graph cannot use it.
        var d = await Single(Model(" => A(x) + Tensor.Log(2f);"), "MG0005", "2f", "Tensor.Log of the constant '2f'");
        Assert.Contains("it applies to a tensor", d.GetMessage(CultureInfo.InvariantCulture));
    }

    // ───────────── noise and loss terms ─────────────

    private static string Vae(string body) => $$"""
        using ModelGen;
        [Model(Input = new[] { 64 }, Loss = Loss.BinaryCrossEntropy)]
        public partial class M
        {
            [Dense(8)] private partial Tensor Mu(Tensor x);
            [Dense(8)] private partial Tensor LogVar(Tensor x);
            [Dense(64)] private partial Tensor Decode(Tensor z);
            [Forward]
            private Tensor F(Tensor x)
            {
                var mu = Mu(x);
                var logVar = LogVar(x);
                var z = mu + Tensor.Exp(0.5f * logVar) * Tensor.RandomNormal(like: logVar);
                {{body}}
                return Decode(z);
            }
        }
        """;

    [Theory]
    [InlineData("AddLoss(\"kl\", -0.5f * Tensor.Sum(1f + logVar - Tensor.Square(mu) - Tensor.Exp(logVar)));")]
    [InlineData("AddLoss(\"kl\", Tensor.Mean(Tensor.Square(mu)), weight: 0.5f); this.AddLoss(name: \"l1-z\", term: Tensor.Mean(Tensor.Abs(z)), weight: 1e-3f);")]
    public async Task NoiseAndLossTerms_AreCleanAndCompile(string body)
    {
        // Clean but for the notes that noise and each loss term keep the model on the CPU (MG0039, information; see CpuOnlyConstructTests).
        string source = Vae(body);
        var notes = await Harness.AnalyzeAsync(source);
        Assert.All(notes, d => Assert.Equal("MG0039", d.Id));
        Assert.Equal(1 + body.Split("AddLoss(").Length - 1, notes.Length);
        var (_, output) = Harness.Generate(Harness.Compile(source));
        Assert.Empty(Harness.Errors(output));
    }

    [Fact]
    public async Task LossTerm_OfAVector_IsMG0038OnTheTerm()
    {
        var d = await Single(Vae("AddLoss(\"kl\", Tensor.Square(mu));"), "MG0038", "Tensor.Square(mu)", "Loss term \"kl\" needs one value per sample ([1]), but 'Tensor.Square(mu)' is [8]");
        Assert.Contains("is [8]", d.GetMessage(CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("AddLoss(\"kl\", Tensor.Sum(mu), weight: -1f);", "weight: -1f", "has weight -1; a weight must be a positive finite number")]
    [InlineData("AddLoss(\"kl\", Tensor.Sum(mu)); AddLoss(\"kl\", Tensor.Sum(z));", "\"kl\"", "is added twice")]
    [InlineData("AddLoss(\"k l\", Tensor.Sum(mu));", "\"k l\"", "letters, digits")]
    public async Task InvalidLossTerm_IsOneMG0037(string body, string span, string messagePart)
    {
        var diagnostics = await Harness.AnalyzeAsync(Vae(body));
        var d = Assert.Single(diagnostics);
        Assert.Equal("MG0037", d.Id);
        Assert.Equal(span, d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan));
        Assert.Contains(messagePart, d.GetMessage(CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("var eps = Tensor.RandomNormal(mu, 3);", "3", "a seed for 'Tensor.RandomNormal(mu, 3)'")]
    [InlineData("var eps = Tensor.RandomNormal(like: 1f);", "like: 1f", "Tensor.RandomNormal like the constant")]
    [InlineData("AddLoss(\"kl\", Tensor.Sum(mu), weight: mu.Batch);", "weight: mu.Batch", "which is not a float constant")]
    public async Task UnsupportedNoiseOrTerm_IsOneMG0005(string body, string span, string messagePart)
    {
        await Single(Vae(body), "MG0005", span, messagePart);
    }
}
