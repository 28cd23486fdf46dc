using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Analyzers.Tests;

/// <summary>
/// MG0039: each construct without CUDA kernels (cross-attention, noise, loss terms) is reported once, as information,
/// on its attribute or expression, in a model that builds; models without them, and models with errors, get none.
/// </summary>
public class CpuOnlyConstructTests
{
    private static string Text(Diagnostic d) => d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan);

    private const string Tail = "Fit with Device.Auto falls back to the CPU (and says why), Fit with Device.Cuda throws NotSupportedException";

    /// <summary>A small VAE: <paramref name="noise"/> is the reparameterised sample, <paramref name="losses"/> the AddLoss statements.</summary>
    private static string Vae(string noise = "Tensor.RandomNormal(like: logVar)", string losses = "", string decode = "[Dense(6)]") => $$"""
        using ModelGen;
        [Model(Input = new[] { 6 }, Loss = Loss.MeanSquaredError)]
        public partial class Vae
        {
            [Dense(3)] private partial Tensor Mu(Tensor x);
            [Dense(3)] private partial Tensor LogVar(Tensor x);
            {{decode}} private partial Tensor Decode(Tensor z);

            [Forward]
            private Tensor F(Tensor x)
            {
                var mu = Mu(x);
                var logVar = LogVar(x);
                var z = mu + Tensor.Exp(0.5f * logVar) * {{noise}};
                {{losses}}
                return Decode(z);
            }
        }
        """;

    private static string Seq2Seq(string cross = "[CrossAttention(4)]", string embedding = "[Embedding(12, 16)]") => $$"""
        using ModelGen;
        [Model(Loss = Loss.SoftmaxCrossEntropy)]
        [Input("source", 7)]
        [Input("target", 5)]
        public partial class Translator
        {
            {{embedding}} private partial Tensor SourceTokens(Tensor ids);
            [Embedding(12, 16)] private partial Tensor TargetTokens(Tensor ids);
            {{cross}} private partial Tensor Cross(Tensor query, Tensor memory);
            [Dense(12)] private partial Tensor Logits(Tensor x);

            [Forward]
            private Tensor Forward(Tensor source, Tensor target)
            {
                var x = TargetTokens(target);
                return Logits(x + Cross(x, SourceTokens(source)));
            }
        }
        """;

    [Fact]
    public async Task Noise_IsReportedOnceOnItsCall()
    {
        var d = Assert.Single(await Harness.AnalyzeAsync(Vae()));
        Assert.Equal("MG0039", d.Id);
        Assert.Equal(DiagnosticSeverity.Info, d.Severity);
        Assert.Equal("Tensor.RandomNormal(like: logVar)", Text(d));
        Assert.Equal($"Noise (Tensor.RandomNormal) has CPU kernels only for now, so 'Vae' trains and predicts on the CPU: {Tail}", d.GetMessage());
    }

    [Fact]
    public async Task EachLossTerm_IsReportedOnItsAddLossCall_AndTheNoiseOnce()
    {
        var diagnostics = await Harness.AnalyzeAsync(Vae(losses: """
            AddLoss("kl", -0.5f * Tensor.Sum(1f + logVar - Tensor.Square(mu) - Tensor.Exp(logVar)));
                    this.AddLoss(name: "l1-z", term: Tensor.Mean(Tensor.Abs(z)), weight: 1e-3f);
            """));
        Assert.All(diagnostics, d => Assert.Equal("MG0039", d.Id));
        Assert.Equal(new[]
        {
            "Tensor.RandomNormal(like: logVar)",
            "AddLoss(\"kl\", -0.5f * Tensor.Sum(1f + logVar - Tensor.Square(mu) - Tensor.Exp(logVar)))",
            "this.AddLoss(name: \"l1-z\", term: Tensor.Mean(Tensor.Abs(z)), weight: 1e-3f)",
        }, diagnostics.Select(Text));
        Assert.Equal($"Loss term \"kl\" has CPU kernels only for now, so 'Vae' trains and predicts on the CPU: {Tail}", diagnostics[1].GetMessage());
        Assert.StartsWith("Loss term \"l1-z\" has CPU kernels only for now", diagnostics[2].GetMessage());
    }

    [Fact]
    public async Task TwoNoiseCalls_AreTwoDiagnostics()
    {
        var diagnostics = await Harness.AnalyzeAsync(Vae(noise: "(Tensor.RandomNormal(like: logVar) + Tensor.RandomNormal(like: mu))"));
        Assert.Equal(new[] { "Tensor.RandomNormal(like: logVar)", "Tensor.RandomNormal(like: mu)" }, diagnostics.Select(Text));
        Assert.All(diagnostics, d => Assert.Equal("MG0039", d.Id));
    }

    [Fact]
    public async Task CrossAttention_IsReportedOnItsAttribute()
    {
        var d = Assert.Single(await Harness.AnalyzeAsync(Seq2Seq()));
        Assert.Equal("MG0039", d.Id);
        Assert.Equal("CrossAttention(4)", Text(d));
        Assert.Equal($"CrossAttention layer 'Cross' has CPU kernels only for now, so 'Translator' trains and predicts on the CPU: {Tail}", d.GetMessage());
    }

    [Fact]
    public async Task CleanTwins_WithoutTheConstructs_GetNothing()
    {
        // The same VAE without noise or loss terms, an encoder–decoder with self-attention instead of cross-attention,
        // and the upsampling layers, which have CUDA kernels.
        Assert.Empty(await Harness.AnalyzeAsync(Vae(noise: "logVar")));
        Assert.Empty(await Harness.AnalyzeAsync(Seq2Seq(cross: "[MultiHeadAttention(4)]").Replace("Cross(Tensor query, Tensor memory)", "Cross(Tensor query)").Replace("Cross(x, SourceTokens(source))", "Cross(x) + SourceTokens(source)").Replace("[Input(\"source\", 7)]", "[Input(\"source\", 5)]")));
        Assert.Empty(await Harness.AnalyzeAsync("""
            using ModelGen;
            [Model(Input = new[] { 1, 8, 8 }, Loss = Loss.MeanSquaredError)]
            public partial class Decoder
            {
                [Conv2d(8, 3, Activation.ReLU, Stride = 2, Padding = 1)] private partial Tensor Down(Tensor x);
                [ConvTranspose2d(4, 3, Activation.ReLU, Stride = 2, Padding = 1, OutputPadding = 1)] private partial Tensor Up1(Tensor x);
                [Upsample(2, Mode = UpsampleMode.Bilinear)] private partial Tensor Up2(Tensor x);
                [Conv2d(1, 3, Padding = 1)] private partial Tensor Pixels(Tensor x);
                [Flatten] private partial Tensor Flat(Tensor x);
            }
            """));
    }

    [Fact]
    public async Task AModelWithErrors_GetsNoCpuOnlyNote()
    {
        // The decoder's width is wrong (MG0007): the model does not build, so where it would run is not said.
        var diagnostics = await Harness.AnalyzeAsync(Vae(losses: "AddLoss(\"kl\", Tensor.Sum(mu));", decode: "[Dense(6, In = 4)]"));
        var d = Assert.Single(diagnostics);
        Assert.Equal("MG0007", d.Id);
    }
}
