using System;

namespace ModelGen.Monitoring;

/// <summary>
/// The tail probabilities the drift tests need: the chi-square survival function and the survival function of the
/// one-sample two-sided Kolmogorov statistic D_n (the distribution SciPy calls <c>kstwo</c>). Everything is in double
/// precision; docs/monitoring.md says which method serves which range.
/// </summary>
internal static class Distributions
{
    private const double LogSqrtTwoPi = 0.91893853320467274178032973640562;
    private const double SqrtTwoPi = 2.5066282746310005024157652848110;
    private static readonly double TwoTo128 = Math.ScaleB(1.0, 128), TwoToMinus128 = Math.ScaleB(1.0, -128);

    /// <summary>P(X ≥ <paramref name="x"/>) for X ~ χ² with <paramref name="degreesOfFreedom"/> degrees of freedom: Q(df/2, x/2).</summary>
    public static double ChiSquareSurvival(double x, int degreesOfFreedom)
    {
        if (degreesOfFreedom < 1) throw new ArgumentOutOfRangeException(nameof(degreesOfFreedom), degreesOfFreedom, "A chi-square distribution needs at least 1 degree of freedom.");
        if (double.IsNaN(x)) return double.NaN;
        if (double.IsPositiveInfinity(x)) return 0;
        return RegularizedUpperGamma(0.5 * degreesOfFreedom, 0.5 * x);
    }

    /// <summary>Q(a, x) = Γ(a, x)/Γ(a), the regularized upper incomplete gamma function, for a &gt; 0.</summary>
    public static double RegularizedUpperGamma(double a, double x)
    {
        if (x <= 0) return 1;
        double logPrefix = -x + a * Math.Log(x) - LogGamma(a);
        if (x < a + 1)
        {
            // The power series of P(a, x) converges fast here, and Q = 1 − P is not small enough to lose digits.
            double term = 1 / a, sum = term;
            for (int n = 1; n < 10_000; n++)
            {
                term *= x / (a + n);
                sum += term;
                if (term < sum * 1e-17) break;
            }
            return Math.Clamp(1 - sum * Math.Exp(logPrefix), 0, 1);
        }
        // Continued fraction for Q itself (modified Lentz), accurate in the far tail.
        const double tiny = 1e-300;
        double b = x + 1 - a, c = 1 / tiny, d = 1 / b, f = d;
        for (int i = 1; i < 10_000; i++)
        {
            double an = -i * (i - a);
            b += 2;
            d = an * d + b;
            if (Math.Abs(d) < tiny) d = tiny;
            c = b + an / c;
            if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            double delta = d * c;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-15) break;
        }
        return Math.Clamp(Math.Exp(logPrefix) * f, 0, 1);
    }

    /// <summary>ln Γ(a) for a &gt; 0: Stirling's series with terms to 1/a¹⁵, after shifting a above 10 by the recurrence.</summary>
    public static double LogGamma(double a)
    {
        if (!(a > 0)) throw new ArgumentOutOfRangeException(nameof(a), a, "ln Γ is only needed for a > 0.");
        double shift = 0;
        while (a < 10)
        {
            shift -= Math.Log(a);
            a += 1;
        }
        double r = 1 / a, r2 = r * r;
        // Bernoulli numbers B2k / (2k (2k − 1)), k = 1…8.
        double series = r * (1.0 / 12 + r2 * (-1.0 / 360 + r2 * (1.0 / 1260 + r2 * (-1.0 / 1680 + r2 * (1.0 / 1188
            + r2 * (-691.0 / 360360 + r2 * (1.0 / 156 + r2 * (-3617.0 / 122400))))))));
        return shift + (a - 0.5) * Math.Log(a) - a + LogSqrtTwoPi + series;
    }

    /// <summary>ln(n!) for a whole number n ≥ 0.</summary>
    public static double LogFactorial(int n) => n < 2 ? 0 : LogGamma(n + 1.0);

    /// <summary>
    /// P(D_n ≥ <paramref name="x"/>) for the two-sided one-sample Kolmogorov–Smirnov statistic D_n = sup|F_n − F| of
    /// <paramref name="n"/> observations, choosing the method by n and n·x² as Simard and L'Ecuyer (2011) do: closed
    /// forms at the ends of the range, the Durbin matrix (Marsaglia–Tsang–Wang) where it is exact and cheap, twice the
    /// one-sided Smirnov tail in the upper tail, and the Pelz–Good expansion for large n.
    /// </summary>
    public static double KolmogorovSurvival(int n, double x)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "The Kolmogorov distribution needs n ≥ 1.");
        if (double.IsNaN(x)) return double.NaN;
        if (x >= 1) return 0;
        if (x <= 0) return 1;
        double t = n * x;
        if (t <= 1)
        {
            // Ruben and Gambino: P(D_n ≤ x) = n!/nⁿ (2t − 1)ⁿ for 1/(2n) ≤ x ≤ 1/n.
            if (t <= 0.5) return 1;
            double cdf = 1, factor = 2 * t - 1;
            for (int i = 1; i <= n; i++) cdf *= i * (1.0 / n) * factor;
            return Clip(1 - cdf);
        }
        if (t >= n - 1) return Clip(2 * Math.Pow(1 - x, n));
        // Above one half the two one-sided excursions cannot both happen, so the tail is exactly twice the one-sided one.
        if (x >= 0.5) return Clip(2 * SmirnovSurvival(n, x));
        double nxSquared = t * x;
        if (n <= 140)
        {
            if (nxSquared <= 4) return Clip(1 - DurbinCdf(n, x));
            return Clip(2 * SmirnovSurvival(n, x));
        }
        if (nxSquared >= 370) return 0;
        // Twice the one-sided tail leaves out only P(both excursions), below 1e-7 of the tail from here on.
        if (nxSquared >= 2.2) return Clip(2 * SmirnovSurvival(n, x));
        double lower = n <= 100_000 && n * Math.Pow(x, 1.5) <= 1.4 ? DurbinCdf(n, x) : PelzGoodCdf(n, x);
        return Clip(1 - lower);
    }

    private static double Clip(double p) => Math.Clamp(p, 0, 1);

    /// <summary>
    /// P(D_n⁺ ≥ x), the one-sided Smirnov tail, by the Birnbaum–Tingey sum
    /// x Σ_{j=0}^{⌊n(1−x)⌋} C(n, j) (1 − x − j/n)^{n−j} (x + j/n)^{j−1}. Every term is positive, so it is summed in logs
    /// without cancellation.
    /// </summary>
    public static double SmirnovSurvival(int n, double x)
    {
        if (x <= 0) return 1;
        if (x >= 1) return 0;
        int last = (int)Math.Floor(n * (1 - x));
        var logTerms = new double[last + 1];
        double logN = LogFactorial(n), logX = Math.Log(x), max = double.NegativeInfinity;
        for (int j = 0; j <= last; j++)
        {
            double low = 1 - x - (double)j / n;
            double logTerm;
            if (low <= 0) logTerm = j == n ? 0 : double.NegativeInfinity;
            else logTerm = (n - j) * Math.Log(low);
            logTerm += logN - LogFactorial(j) - LogFactorial(n - j) + (j - 1) * Math.Log(x + (double)j / n) + logX;
            logTerms[j] = logTerm;
            if (logTerm > max) max = logTerm;
        }
        if (double.IsNegativeInfinity(max)) return 0;
        double sum = 0;
        foreach (double l in logTerms) sum += Math.Exp(l - max);
        return Clip(Math.Exp(max) * sum);
    }

    /// <summary>
    /// P(D_n &lt; x) exactly, by Durbin's matrix: with k = ⌈n·x⌉, h = k − n·x and m = 2k − 1, it is n!/nⁿ times the
    /// (k, k) entry of Hⁿ for an m×m matrix H of reciprocal factorials corrected by powers of h in its first column and
    /// last row (Marsaglia, Tsang and Wang 2003). The power is taken by squaring with a separate binary exponent, so
    /// nothing overflows.
    /// </summary>
    public static double DurbinCdf(int n, double x)
    {
        double nx = n * x;
        if (x >= 1) return 1;
        if (nx <= 0.5) return 0;
        int k = (int)Math.Ceiling(nx);
        double h = k - nx;
        int m = 2 * k - 1;
        var inverseFactorial = new double[m + 1];
        inverseFactorial[0] = 1;
        for (int i = 1; i <= m; i++) inverseFactorial[i] = inverseFactorial[i - 1] / i;

        var matrix = new double[m, m];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
                matrix[i, j] = i - j + 1 >= 0 ? inverseFactorial[i - j + 1] : 0;
        for (int i = 0; i < m; i++)
        {
            matrix[i, 0] = (1 - Math.Pow(h, i + 1)) * inverseFactorial[i + 1];
            matrix[m - 1, i] = (1 - Math.Pow(h, m - i)) * inverseFactorial[m - i];
        }
        matrix[m - 1, 0] = (1 - 2 * Math.Pow(h, m) + Math.Pow(Math.Max(0, 2 * h - 1), m)) * inverseFactorial[m];

        var power = Identity(m);
        int powerExponent = 0, matrixExponent = 0;
        for (int remaining = n; remaining > 0; remaining >>= 1)
        {
            if ((remaining & 1) != 0)
            {
                power = Multiply(power, matrix);
                powerExponent += matrixExponent;
            }
            if (remaining > 1)
            {
                matrix = Multiply(matrix, matrix);
                matrixExponent *= 2;
                if (Math.Abs(matrix[k - 1, k - 1]) > TwoTo128)
                {
                    ScaleInPlace(matrix, -128);
                    matrixExponent += 128;
                }
            }
        }
        double p = power[k - 1, k - 1];
        for (int i = 1; i <= n; i++)
        {
            p = i * p / n;
            if (Math.Abs(p) < TwoToMinus128)
            {
                p = Math.ScaleB(p, 128);
                powerExponent -= 128;
            }
        }
        return Clip(Math.ScaleB(p, powerExponent));
    }

    private static double[,] Identity(int m)
    {
        var r = new double[m, m];
        for (int i = 0; i < m; i++) r[i, i] = 1;
        return r;
    }

    private static double[,] Multiply(double[,] a, double[,] b)
    {
        int m = a.GetLength(0);
        var r = new double[m, m];
        for (int i = 0; i < m; i++)
            for (int l = 0; l < m; l++)
            {
                double ail = a[i, l];
                if (ail == 0) continue;
                for (int j = 0; j < m; j++) r[i, j] += ail * b[l, j];
            }
        return r;
    }

    private static void ScaleInPlace(double[,] a, int exponent)
    {
        int m = a.GetLength(0);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++) a[i, j] = Math.ScaleB(a[i, j], exponent);
    }

    /// <summary>
    /// The Pelz–Good (1976) approximation of P(D_n ≤ x): Li-Chien and Korolyuk's expansion K0 + K1/√n + K2/n + K3/n^{3/2}
    /// in z = x√n, each K rewritten with Jacobi's theta transformation into sums of q^{(2k−1)²}, q = exp(−π²/(8z²)),
    /// that converge fast for the small z where it is used. The sums run to k = ⌈16z/π⌉.
    /// </summary>
    public static double PelzGoodCdf(int n, double x)
    {
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        double z = Math.Sqrt(n) * x;
        double z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2, z8 = z4 * z4;
        double logQ = -Math.PI * Math.PI / 8 / z2;
        if (logQ < -708) return 0;
        double pi2 = Math.PI * Math.PI, pi4 = pi2 * pi2, pi6 = pi4 * pi2;
        int terms = (int)Math.Ceiling(16 * z / Math.PI);

        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int k = 1; k <= terms; k++)
        {
            double odd = 2 * k - 1, o2 = odd * odd, o4 = o2 * o2, o6 = o4 * o2;
            double weight = Math.Exp(logQ * o2);
            s0 += weight;
            s1 += (pi2 * o2 / 4 - z2) * weight;
            s2 += (6 * z6 + 2 * z4 + (2 * z4 - 5 * z2) * pi2 * o2 / 4 + pi4 * (1 - 2 * z2) * o4 / 16) * weight;
            s3 += (-30 * z6 - 90 * z8 + pi2 * (135 * z4 - 96 * z6) * o2 / 4 + pi4 * (212 * z4 - 60 * z2) * o4 / 16
                   + pi6 * (5 - 30 * z2) * o6 / 64) * weight;
        }
        double k0 = SqrtTwoPi * s0 / z;
        double k1 = SqrtTwoPi * s1 / (6 * z4);
        double k2 = SqrtTwoPi * s2 / (72 * z6 * z);
        double k3 = SqrtTwoPi * s3 / (6480 * z6 * z4);

        // K2 and K3 also carry sums over all integers k of k² exp(−π²k²/(2z²)).
        double extra2 = 0, extra3 = 0;
        for (int k = 1; k <= terms; k++)
        {
            double kk = (double)k * k, weight = Math.Exp(-pi2 * kk / 2 / z2);
            extra2 += kk * weight;
            extra3 += (3 * z2 - pi2 * kk) * kk * weight;
        }
        k2 += extra2 * pi2 * SqrtTwoPi / (-36 * z3);
        k3 += extra3 * pi2 * SqrtTwoPi / (216 * z6);
        double sqrtN = Math.Sqrt(n);
        return k0 + k1 / sqrtN + k2 / n + k3 / (n * sqrtN);
    }
}
