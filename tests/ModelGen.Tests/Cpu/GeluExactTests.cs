using System;
using System.Globalization;
using System.IO;
using System.Linq;
using ModelGen.Cpu;
using Xunit;
using Xunit.Abstractions;

namespace ModelGen.Tests.Cpu;

/// <summary>
/// The exact GELU (<see cref="Activation.GELUExact"/>, PyTorch's default <c>nn.GELU()</c>) and the error function under
/// it, against Fixtures/gelu_exact_reference.csv: 50-digit mpmath values rounded to float64, and PyTorch 1.13's float64
/// <c>F.gelu</c> and its gradient (written by Fixtures/make_gelu_exact_reference.py). Tolerances: float64 within 1e-15
/// relative of the reference; float32 within one float32 ulp of it.
/// </summary>
public unsafe class GeluExactTests(ITestOutputHelper output)
{
    private const double Relative64 = 1e-15;

    /// <summary>Below the smallest normal float64 a relative bound means nothing; these results are held to 1e-320.</summary>
    private const double Subnormal = 1e-320;

    private sealed record Row(double X, double Erf, double Erfc, double Gelu, double GeluGrad, double TorchGelu, double TorchGeluGrad);

    private static readonly Lazy<Row[]> Table = new(() =>
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Cpu", "Fixtures", "gelu_exact_reference.csv");
        var lines = File.ReadAllLines(path);
        Assert.Equal("x,erf,erfc,gelu,gelu_grad,torch_gelu,torch_gelu_grad", lines[0]);
        return lines.Skip(1).Select(line =>
        {
            var v = line.Split(',').Select(s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
            return new Row(v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
        }).ToArray();
    });

    private static Row[] Rows
    {
        get
        {
            var rows = Table.Value;
            Assert.True(rows.Length > 300, $"the reference table has {rows.Length} rows");
            return rows;
        }
    }

    /// <summary>Asserts the bound; returns the relative error (0 where the reference is subnormal or 0).</summary>
    private static double AssertRelative(string what, double x, double expected, double actual)
    {
        double error = Math.Abs(actual - expected);
        Assert.True(error <= Relative64 * Math.Abs(expected) || error <= Subnormal,
            $"{what}({x:R}) = {actual:R}, reference {expected:R}: relative error {error / Math.Abs(expected):G3} > {Relative64:G}");
        return Math.Abs(expected) >= 2.2250738585072014e-308 ? error / Math.Abs(expected) : 0;
    }

    [Fact]
    public void Erf_And_Erfc_MatchTheReference()
    {
        double erf = 0, erfc = 0;
        foreach (var row in Rows)
        {
            erf = Math.Max(erf, AssertRelative("erf", row.X, row.Erf, ErrorFunction.Erf(row.X)));
            erfc = Math.Max(erfc, AssertRelative("erfc", row.X, row.Erfc, ErrorFunction.Erfc(row.X)));
        }
        output.WriteLine($"max relative error: erf {erf:G3}, erfc {erfc:G3}");
    }

    [Fact]
    public void Forward_Float64_MatchesTheReference()
    {
        var rows = Rows;
        double[] z = rows.Select(r => r.X).ToArray(), y = new double[z.Length];
        fixed (double* pz = z, py = y) ActivationKernels.Forward(Activation.GELUExact, pz, py, z.Length, 0.0);
        double worst = 0;
        for (int i = 0; i < rows.Length; i++) worst = Math.Max(worst, AssertRelative("GELUExact", z[i], rows[i].Gelu, y[i]));
        output.WriteLine($"max relative error: {worst:G3}");
    }

    [Fact]
    public void Forward_Float32_WithinOneUlpOfTheReference()
    {
        var rows = Rows;
        float[] z = rows.Select(r => (float)r.X).ToArray(), y = new float[z.Length];
        fixed (float* pz = z, py = y) ActivationKernels.Forward(Activation.GELUExact, pz, py, z.Length, 0f);
        double worst = 0;
        for (int i = 0; i < rows.Length; i++)
        {
            float expected = (float)rows[i].Gelu;
            float ulp = MathF.BitIncrement(MathF.Abs(expected)) - MathF.Abs(expected);
            double error = Math.Abs((double)y[i] - rows[i].Gelu);
            Assert.True(error <= ulp, $"float32 GELUExact({z[i]:R}) = {y[i]:R}, reference {rows[i].Gelu:R} (one ulp there is {ulp:G3})");
            worst = Math.Max(worst, error / ulp);
        }
        output.WriteLine($"max error: {worst:G3} float32 ulp");
    }

    [Fact]
    public void Backward_Float64_MatchesTheReferenceDerivative()
    {
        var rows = Rows;
        double[] z = rows.Select(r => r.X).ToArray(), y = new double[z.Length], dy = new double[z.Length], dz = new double[z.Length];
        Array.Fill(dy, 1.0);
        fixed (double* pz = z, py = y, pdy = dy, pdz = dz)
        {
            ActivationKernels.Forward(Activation.GELUExact, pz, py, z.Length, 0.0);
            ActivationKernels.Backward(Activation.GELUExact, pz, py, pdy, pdz, z.Length, 0.0);
        }
        double worst = 0;
        for (int i = 0; i < rows.Length; i++)
        {
            // Φ(x) + x·φ(x) cancels near its root (x ≈ −0.75): the bound is relative to the size of its two terms.
            double x = z[i];
            double terms = Math.Abs(rows[i].Gelu / x) + Math.Abs(x) * Math.Exp(-x * x / 2) / Math.Sqrt(2 * Math.PI);
            if (x == 0) terms = 0.5;
            double error = Math.Abs(dz[i] - rows[i].GeluGrad);
            Assert.True(error <= Relative64 * terms || error <= Subnormal,
                $"GELUExact'({x:R}) = {dz[i]:R}, reference {rows[i].GeluGrad:R}: error {error:G3} > {Relative64:G}·{terms:G3}");
            if (terms >= 2.2250738585072014e-308) worst = Math.Max(worst, error / terms);
        }
        output.WriteLine($"max error: {worst:G3} × (|Φ(x)| + |x·φ(x)|)");
    }

    [Fact]
    public void Backward_MatchesCentralDifferencesOfForward()
    {
        // Truncation h²·|f‴|/6 and rounding 1e-16·|f|/h are both near 1e-10 here.
        const double h = 1e-5;
        for (double x = -9; x <= 9; x += 0.0625)
        {
            double slope = (ActivationKernels.Apply(Activation.GELUExact, x + h, 0.0) - ActivationKernels.Apply(Activation.GELUExact, x - h, 0.0)) / (2 * h);
            double derivative = ActivationKernels.Derivative(Activation.GELUExact, x, ActivationKernels.Apply(Activation.GELUExact, x, 0.0), 0.0);
            Assert.True(Math.Abs(derivative - slope) <= 1e-9, $"GELUExact'({x}) = {derivative:R}, central difference {slope:R}");
        }
    }

    [Fact]
    public void MatchesPyTorchFloat64_AndDiffersFromTheTanhForm()
    {
        double worstTanh = 0, worstGelu = 0, worstGrad = 0;
        foreach (var row in Rows)
        {
            double x = row.X;
            // PyTorch forms 0.5·x·(1 + erf(x/√2)): a few 1e-16 absolute in 1 + erf, times |x|.
            double gelu = ActivationKernels.Apply(Activation.GELUExact, x, 0.0);
            Assert.True(Math.Abs(gelu - row.TorchGelu) <= 5e-16 * Math.Abs(x),
                $"GELUExact({x:R}) = {gelu:R}, PyTorch {row.TorchGelu:R}");
            if (x != 0) worstGelu = Math.Max(worstGelu, Math.Abs(gelu - row.TorchGelu) / Math.Abs(x));
            double grad = ActivationKernels.Derivative(Activation.GELUExact, x, gelu, 0.0);
            Assert.True(Math.Abs(grad - row.TorchGeluGrad) <= 5e-16 * (1 + Math.Abs(x)),
                $"GELUExact'({x:R}) = {grad:R}, PyTorch {row.TorchGeluGrad:R}");
            worstGrad = Math.Max(worstGrad, Math.Abs(grad - row.TorchGeluGrad) / (1 + Math.Abs(x)));
            worstTanh = Math.Max(worstTanh, Math.Abs(ActivationKernels.Apply(Activation.GELU, x, 0.0) - row.TorchGelu));
        }
        output.WriteLine($"max |ModelGen − PyTorch|: GELUExact {worstGelu:G3}·|x|, derivative {worstGrad:G3}·(1 + |x|); tanh GELU − PyTorch's exact {worstTanh:G3}");
        // The table tells the two forms apart: ModelGen's GELU is PyTorch's approximate="tanh", not nn.GELU().
        Assert.True(worstTanh > 1e-4, $"GELU (tanh) is within {worstTanh:G3} of PyTorch's exact GELU everywhere in the table");
    }

    [Fact]
    public void SpecialValues_FollowTheFormula()
    {
        double Gelu(double x) => ActivationKernels.Apply(Activation.GELUExact, x, 0.0);
        double Grad(double x) => ActivationKernels.Derivative(Activation.GELUExact, x, Gelu(x), 0.0);

        Assert.True(double.IsNaN(Gelu(double.NaN)));
        Assert.True(double.IsNaN(Grad(double.NaN)));
        Assert.Equal(double.PositiveInfinity, Gelu(double.PositiveInfinity));
        // x·Φ(x) at −∞ is −∞·0, NaN, as in PyTorch's F.gelu (and ModelGen's tanh GELU); finite x underflow to −0.
        Assert.True(double.IsNaN(Gelu(double.NegativeInfinity)));
        Assert.True(double.IsNaN(Grad(double.PositiveInfinity)) && double.IsNaN(Grad(double.NegativeInfinity)));   // ±∞·0, as PyTorch
        Assert.True(double.IsNegative(Gelu(-40)) && Gelu(-40) == 0);
        Assert.True(double.IsNegative(Gelu(-1e300)) && Gelu(-1e300) == 0);
        Assert.Equal(1e300, Gelu(1e300));
        Assert.Equal(0.0, Gelu(0.0));
        Assert.Equal(0.5, Grad(0.0));
        Assert.Equal(1.0, Grad(1e300));
        Assert.Equal(0.0, Grad(-1e300));
        Assert.Equal(float.PositiveInfinity, ActivationKernels.Apply(Activation.GELUExact, float.PositiveInfinity, 0f));
        Assert.True(float.IsNaN(ActivationKernels.Apply(Activation.GELUExact, float.NaN, 0f)));

        Assert.Equal(1.0, ErrorFunction.Erf(double.PositiveInfinity));
        Assert.Equal(-1.0, ErrorFunction.Erf(double.NegativeInfinity));
        Assert.Equal(0.0, ErrorFunction.Erfc(double.PositiveInfinity));
        Assert.Equal(2.0, ErrorFunction.Erfc(double.NegativeInfinity));
        Assert.True(double.IsNaN(ErrorFunction.Erf(double.NaN)) && double.IsNaN(ErrorFunction.Erfc(double.NaN)));
        Assert.True(double.IsNaN(ErrorFunction.NormalCdf(double.NaN)) && double.IsNaN(ErrorFunction.NormalPdf(double.NaN)));
        Assert.Equal(0.0, ErrorFunction.NormalPdf(double.PositiveInfinity));
        Assert.True(double.IsNegative(ErrorFunction.Erf(-0.0)) && ErrorFunction.Erf(-0.0) == 0);
    }
}
