using System.Linq;
using System.Threading.Tasks;
using ModelGen.FrontEnd;
using ModelGen.Testing;
using Xunit;

namespace ModelGen.Analyzers.Tests;

public class ShapeLatticeTests
{
    private static readonly Dim B = Dim.Batch, U = Dim.Unknown;
    private static Dim K(int v) => Dim.Known(v);

    [Fact]
    public void Unify_KeepsKnownOverUnknown_AndRejectsConflicts()
    {
        Assert.Equal(new[] { B, K(4) }, Dim.Unify(new[] { B, U }, new[] { B, K(4) }));
        Assert.Equal(new[] { B, K(4) }, Dim.Unify(new[] { B, K(4) }, new[] { U, U }));
        Assert.Equal(new[] { B, K(4) }, Dim.Unify(Dim.UnknownRank, new[] { B, K(4) }));
        Assert.Null(Dim.Unify(new[] { B, K(4) }, new[] { B, K(5) }));
        Assert.Null(Dim.Unify(new[] { B, K(4) }, new[] { B, K(2), K(2) }));   // no implicit reshape
        Assert.Null(Dim.Unify(new[] { B, K(4) }, new[] { K(4), K(4) }));      // a fixed size is not the batch
    }

    [Fact]
    public void Product_IsKnownOnlyWhenEveryFactorIs_AndInRange()
    {
        Assert.Equal(K(64), Dim.Product(new[] { K(1), K(8), K(8) }));
        Assert.Equal(U, Dim.Product(new[] { K(8), U }));
        Assert.Equal(U, Dim.Product(new[] { K(100000), K(100000) }));
        Assert.Equal("[batch, 64]", "[" + string.Join(", ", new[] { B, K(64) }.Select(d => d.ToString())) + "]");
    }

    [Fact]
    public void KnownSample_DropsTheBatch_AndIsEmptyWhenAnythingIsUnknown()
    {
        Assert.Equal(new[] { 1, 8, 8 }, Dim.KnownSample(new[] { B, K(1), K(8), K(8) }));
        Assert.Empty(Dim.KnownSample(new[] { B, K(8), U }));
    }

    [Fact]
    public async Task AnUnknownWidth_DoesNotCascadeIntoResidualErrors()
    {
        // 'Bad' has 0 units (MG0004): its width is unknown, so the residual '+' is not flagged as well.
        const string source = """
            using ModelGen;
            [Model(Input = new[] { 8 }, Loss = Loss.MeanSquaredError)]
            public partial class M
            {
                [Dense(0)] private partial Tensor Bad(Tensor x);
                [Dense(8)] private partial Tensor Good(Tensor x);
                [Forward] private Tensor F(Tensor x) => Good(x + Bad(x));
            }
            """;
        var diagnostics = await Harness.AnalyzeAsync(source);
        Assert.Equal(new[] { "MG0004" }, diagnostics.Select(d => d.Id));
    }
}
