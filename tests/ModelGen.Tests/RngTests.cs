using ModelGen.Compute;
using Xunit;

namespace ModelGen.Tests;

public class RngTests
{
    [Fact]
    public void SameSeedGivesSameSequence_DifferentStreamsDiffer()
    {
        var a = new Rng(42); var b = new Rng(42); var c = new Rng(42, stream: 1);
        for (int i = 0; i < 100; i++)
        {
            ulong x = a.NextUInt64();
            Assert.Equal(x, b.NextUInt64());
            Assert.NotEqual(x, c.NextUInt64());
        }
    }

    [Fact]
    public void GaussianHasUnitMoments()
    {
        var rng = new Rng(7);
        double sum = 0, sq = 0; const int n = 200_000;
        for (int i = 0; i < n; i++) { double g = rng.NextGaussian(); sum += g; sq += g * g; }
        Assert.InRange(sum / n, -0.01, 0.01);
        Assert.InRange(sq / n, 0.98, 1.02);
    }
}
