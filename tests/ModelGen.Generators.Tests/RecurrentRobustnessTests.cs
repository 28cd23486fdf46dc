using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CSharp;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Generators.Tests;

/// <summary>Half-typed sequence models: no prefix or single-token deletion may crash the generator or the analyzer.</summary>
public class RecurrentRobustnessTests
{
    private const string SequenceGraph = """
        using ModelGen;

        namespace Sequences;

        [Model(Input = new[] { 48 }, Loss = Loss.SoftmaxCrossEntropy)]
        public partial class Tagger
        {
            [Reshape(-1, 4)] private partial Tensor Steps(Tensor x);
            [Reshape(4, 12)] private partial Tensor Channels(Tensor x);
            [Conv1d(4, 3, Activation.ReLU, Padding = 1, Stride = 1, Dilation = 1, Groups = 2, In = 4)] private partial Tensor Conv(Tensor x);
            [GroupNorm(2, Epsilon = 1e-3f)] private partial Tensor Norm(Tensor x);
            [LSTM(6, Bidirectional = true, ReturnSequences = true, In = 4)] private partial Tensor Encoder(Tensor x);
            [GRU(5, In = 12)] private partial Tensor Summary2(Tensor x);
            [GRU(3)] private partial Tensor Unused(Tensor x);
            [Dense(3)] private partial Tensor Logits(Tensor x);

            [Forward]
            private Tensor Forward(Tensor x)
            {
                var c = Norm(Conv(Channels(x)));
                var s = Encoder(Steps(x));
                return Logits(Summary2(s));
            }
        }
        """;

    [Fact]
    public async Task EveryTokenPrefix_NeitherGeneratorNorAnalyzerThrows()
    {
        var tokens = CSharpSyntaxTree.ParseText(SequenceGraph, Harness.ParseOptions).GetRoot().DescendantTokens().ToList();
        var prefixes = tokens.Select(t => t.Span.End).Where(end => end > 0).Distinct()
            .Select(end => (Where: $"prefix to {end}", Text: SequenceGraph.Substring(0, end))).ToList();
        await Harness.AssertNoCrashes(prefixes);
    }

    [Fact]
    public async Task EveryTokenDeleted_NeitherGeneratorNorAnalyzerThrows()
    {
        var tokens = CSharpSyntaxTree.ParseText(SequenceGraph, Harness.ParseOptions).GetRoot().DescendantTokens().Where(t => t.Span.Length > 0).ToList();
        var variants = tokens.Select(t => (Where: $"without '{t.Text}' at {t.SpanStart}", Text: SequenceGraph.Remove(t.SpanStart, t.Span.Length))).ToList();
        await Harness.AssertNoCrashes(variants);
    }

    [Fact]
    public async Task TheFullModel_WarnsOnlyAboutItsUnusedLayers_AndCompiles()
    {
        var diagnostics = await Harness.AnalyzeAsync(SequenceGraph);
        // 'Unused' is never called, and 'Conv' feeds a local that is never returned (MG0013 names layers with weights).
        Assert.Equal(new[] { "MG0013", "MG0013" }, diagnostics.Select(d => d.Id));
        Assert.StartsWith("Layer 'Conv'", diagnostics[0].GetMessage());
        Assert.StartsWith("Layer 'Unused'", diagnostics[1].GetMessage());
        var (_, output) = Harness.Generate(Harness.Compile(SequenceGraph));
        Assert.Empty(Harness.Errors(output));
    }
}
