using System;

namespace ModelGen.Cpu;

/// <summary>
/// The error function and the standard normal distribution in float64, for the exact GELU (.NET has no erf).
/// </summary>
/// <remarks>
/// For |x| &lt; 0.5, erf(x) = x·P(x²). From 0.5 on, erfc(x) = e^(−x²)·erfcx(x), where the scaled complement
/// erfcx(x) = e^(x²)·erfc(x) is smooth and slowly varying: a polynomial on each of [0.5, 1], [1, 2], [2, 4], [4, 8],
/// and x·erfcx(x) a polynomial in 64/x² from 8 on. Each polynomial interpolates its function at Chebyshev points,
/// within 2e-18 relative of it (within 1.2e-16 once its coefficients are rounded to float64);
/// tools/error-function/fit.py computes them with mpmath at 50 digits and prints the tables below. e^(−x²) is taken
/// as e^(−h)·(1 − l) with h + l = x² exactly (a fused multiply-add gives l), so the rounding of x², up to
/// x²·1.1e-16 relative in e^(−x²), does not reach the result. Complements are never formed by cancellation: erfc(x)
/// for x ≥ 0.5 and Φ(z) for z ≤ −√2/2 come from erfcx directly. The tests hold every function to 50-digit references.
/// </remarks>
internal static class ErrorFunction
{
    /// <summary>Where the small-argument polynomial hands over to erfcx.</summary>
    private const double SmallLimit = 0.5;

    /// <summary>erfc(x) is below half the smallest subnormal (it rounds to 0) beyond this (from 27.2260171…).</summary>
    private const double ErfcUnderflow = 27.23;

    private const double SqrtHalf = 0.70710678118654752440;
    private const double InvSqrtTwoPi = 0.39894228040143267794;
    private const double ExpMinus8 = 3.3546262790251183882e-4;

    /// <summary>erf(x) = 2/√π ∫₀ˣ e^(−t²) dt.</summary>
    public static double Erf(double x)
    {
        double a = Math.Abs(x);
        if (a < SmallLimit) return SmallErf(x);
        return Math.CopySign(1 - ErfcAbove(a), x);   // 1 − erfc(a) ≥ 0.52 here: no cancellation
    }

    /// <summary>erfc(x) = 1 − erf(x), without cancellation for large x.</summary>
    public static double Erfc(double x)
    {
        double a = Math.Abs(x);
        if (a < SmallLimit) return 1 - SmallErf(x);
        double tail = ErfcAbove(a);
        return x < 0 ? 2 - tail : tail;
    }

    /// <summary>Φ(z) = ½·erfc(−z/√2), the standard normal distribution function, accurate in both tails.</summary>
    public static double NormalCdf(double z) => ScaledNormalCdf(z, 1);

    /// <summary>φ(z) = e^(−z²/2)/√(2π), the standard normal density.</summary>
    public static double NormalPdf(double z)
    {
        double h = z * z;
        if (h > 1500) return 0;   // e^(−750) underflows; also keeps h = ∞ away from the correction below
        double l = Math.FusedMultiplyAdd(z, z, -h);
        return InvSqrtTwoPi * (Math.Exp(-0.5 * h) * (1 - 0.5 * l));
    }

    /// <summary>The exact GELU, z·Φ(z) (PyTorch's default <c>nn.GELU()</c>).</summary>
    public static double Gelu(double z) => ScaledNormalCdf(z, z);

    /// <summary>The exact GELU's derivative, Φ(z) + z·φ(z).</summary>
    public static double GeluDerivative(double z)
    {
        double u = z * SqrtHalf;
        if (!(u < -SmallLimit)) return NormalCdf(z) + z * NormalPdf(z);   // NaN too
        if (-u > ErfcUnderflow) return z * NormalPdf(z);                  // Φ(z) rounds to 0
        // Lower tail: both terms carry e^(−z²/2), applied last as in ScaledNormalCdf.
        double h = z * z, l = Math.FusedMultiplyAdd(z, z, -h);
        double scaled = Erfcx(-u);
        double rest = 0.5 * Math.FusedMultiplyAdd(-0.5 * l, scaled, scaled) + z * InvSqrtTwoPi * (1 - 0.5 * l);
        // Near z = −37.7, e^(−z²/2) alone is subnormal but the result is not: e^8 is taken out of it there (8 − h/2 is exact).
        return 0.5 * h > 700 ? rest * ExpMinus8 * Math.Exp(8 - 0.5 * h) : rest * Math.Exp(-0.5 * h);
    }

    /// <summary>
    /// scale·Φ(z). In the lower tail the factor e^(−z²/2) is applied last, so the product keeps full precision where
    /// Φ(z) alone would be subnormal (z·Φ(z) is still a normal number down to z ≈ −37.6).
    /// </summary>
    private static double ScaledNormalCdf(double z, double scale)
    {
        double u = z * SqrtHalf;
        if (Math.Abs(u) < SmallLimit) return scale * (0.5 + 0.5 * SmallErf(u));
        // Φ ≥ 0.76 above: erfc of the rounded u is close enough. NaN takes this branch too.
        if (!(z < 0)) return scale * (1 - 0.5 * ErfcAbove(u));
        if (-u > ErfcUnderflow) return scale * 0.0;
        // ½·erfc(−u) = ½·e^(−(h + l)/2)·erfcx(−u) with the exact square z² = h + l, not the square of the rounded u.
        double h = z * z;
        double scaled = Erfcx(-u);
        return 0.5 * scale * Math.FusedMultiplyAdd(-0.5 * Math.FusedMultiplyAdd(z, z, -h), scaled, scaled) * Math.Exp(-0.5 * h);
    }

    /// <summary>erf(x) = x·P(x²) for |x| &lt; 0.5.</summary>
    private static double SmallErf(double x) => x * Polynomial(SmallErfCoefficients, x * x);

    /// <summary>erfc(a) for a ≥ 0.5 (NaN gives NaN).</summary>
    private static double ErfcAbove(double a)
    {
        if (a > ErfcUnderflow) return 0;
        double square = a * a;
        double scaled = Erfcx(a);
        // e^(−a²) = e^(−square)·(1 − squareLow) to within squareLow² (below 1e-30), with a² = square + squareLow exactly.
        return Math.Exp(-square) * Math.FusedMultiplyAdd(-Math.FusedMultiplyAdd(a, a, -square), scaled, scaled);
    }

    /// <summary>erfcx(a) = e^(a²)·erfc(a) for a ≥ 0.5 (NaN gives NaN).</summary>
    private static double Erfcx(double a)
    {
        // The centres and half widths are powers of two, so each t is exact.
        if (a < 1) return Polynomial(Erfcx0, (a - 0.75) * 4);
        if (a < 2) return Polynomial(Erfcx1, (a - 1.5) * 2);
        if (a < 4) return Polynomial(Erfcx2, a - 3);
        if (a < 8) return Polynomial(Erfcx3, (a - 6) * 0.5);
        return Polynomial(ErfcxTail, 64 / (a * a)) / a;
    }

    /// <summary>Horner's rule; <paramref name="coefficients"/> from the highest degree down.</summary>
    private static double Polynomial(ReadOnlySpan<double> coefficients, double t)
    {
        double p = coefficients[0];
        for (int i = 1; i < coefficients.Length; i++) p = p * t + coefficients[i];
        return p;
    }

    // ---- Printed by tools/error-function/fit.py ----

    /// <summary>P(s), erf(x) = x·P(x²) for |x| &lt; 0.5; degree 9, relative error 2.3e-20 (1.4e-17 with the coefficients rounded to float64).</summary>
    private static ReadOnlySpan<double> SmallErfCoefficients =>
    [
        -1.462091340945175e-07, 1.637123442577e-06, -1.4923003368152099e-05, 0.00012055286202005714,
        -0.0008548326510724796, 0.0052239776220169365, -0.02686617064499972, 0.1128379167095487, -0.3761263890318375,
        1.1283791670955126,
    ];

    /// <summary>erfcx(x) on [0.5, 1] in t = (x − 0.75)/0.25; degree 14, relative error 1.8e-19 (1.2e-16 with the coefficients rounded to float64).</summary>
    private static ReadOnlySpan<double> Erfcx0 =>
    [
        1.7310702436308993e-14, -2.149720777127483e-13, 2.5250183778041673e-12, -2.940238691685661e-11,
        3.306876440008758e-10, -3.5801452026870127e-09, 3.719539411742085e-08, -3.6935621693335953e-07,
        3.488573893088815e-06, -3.114966996112664e-05, 0.00026090055674831184, -0.0020286884686699707,
        0.014434883221956143, -0.09199317291394885, 0.5069376502931449,
    ];

    /// <summary>erfcx(x) on [1, 2] in t = (x − 1.5)/0.5; degree 16, relative error 1.4e-18 (5.5e-17 with the coefficients rounded to float64).</summary>
    private static ReadOnlySpan<double> Erfcx1 =>
    [
        2.0206514750441873e-13, -1.512018061489917e-12, 1.0201594788774491e-11, -7.257032617086992e-11,
        5.04654734183512e-10, -3.405938587821499e-09, 2.2328417586062252e-08, -1.4191186135917107e-07,
        8.72304473829848e-07, -5.171328672722121e-06, 2.947085745299996e-05, -0.0001608111733699307,
        0.0008360838095667121, -0.004116363162445659, 0.01903775996386935, -0.08181145886628002, 0.3215854164543175,
    ];

    /// <summary>erfcx(x) on [2, 4] in t = (x − 3.0)/1.0; degree 19, relative error 7.6e-19 (3.3e-17 with the coefficients rounded to float64).</summary>
    private static ReadOnlySpan<double> Erfcx2 =>
    [
        -3.32463503923892e-13, 1.6647790649164353e-12, -6.555844952443731e-12, 3.165046186861128e-11,
        -1.539306000137148e-10, 7.206556491473509e-10, -3.312780752600577e-09, 1.4977112890287265e-08,
        -6.646690382092543e-08, 2.8926692938101366e-07, -1.2333677143104898e-06, 5.146436493852072e-06,
        -2.0989464462229973e-05, 8.355413963925958e-05, -0.00032412554449670324, 0.0012230390523759822,
        -0.00447943101837258, 0.01588437115987136, -0.05437226000717287, 0.17900115118138996,
    ];

    /// <summary>erfcx(x) on [4, 8] in t = (x − 6.0)/2.0; degree 21, relative error 1.2e-18 (1.0e-16 with the coefficients rounded to float64).</summary>
    private static ReadOnlySpan<double> Erfcx3 =>
    [
        -8.531174133610087e-13, 3.2022608063710063e-12, -7.239925121260971e-12, 2.6516574843772023e-11,
        -1.0748095480327166e-10, 3.8895066124089896e-10, -1.381112199354957e-09, 4.913089106099897e-09,
        -1.7340406794222963e-08, 6.062505372899759e-08, -2.1004725830730658e-07, 7.210766433107766e-07,
        -2.45204695315907e-06, 8.257487438143972e-06, -2.7531014707775387e-05, 9.08505314291635e-05,
        -0.00029664123220931536, 0.0009580615952121717, -0.0030595855557640408, 0.009657787464897682,
        -0.030120706978104643, 0.09277656780053835,
    ];

    /// <summary>x·erfcx(x) for x ≥ 8 in t = 64/x²; degree 9, relative error 5.0e-19 (1.4e-17 with the coefficients rounded to float64).</summary>
    private static ReadOnlySpan<double> ErfcxTail =>
    [
        -1.069664303012812e-12, 1.3973333769057147e-11, -1.333601218518879e-10, 1.3320783896050056e-09,
        -1.5516369125551022e-08, 2.206856890168534e-07, -4.035398341407184e-06, 0.00010330619815750289,
        -0.0044077311214667896, 0.5641895835477563,
    ];
}
