"""The polynomial pieces of ModelGen's error function (src/ModelGen/Cpu/ErrorFunction.cs), fitted with mpmath.

    /usr/bin/python3 tools/error-function/fit.py     # prints the C# tables, each piece's degree and error

Pieces, for x >= 0 (erf is odd, erfc(-x) = 2 - erfc(x)):
  erf(x)     = x * P(x^2)                      x in [0, 0.5)
  erfcx(x)   = exp(x^2) * erfc(x) = C(t)       t = (x - m) / r in [-1, 1], on [0.5, 1], [1, 2], [2, 4], [4, 8]
                                               (m the centre, r the half width: both powers of two, so t is exact)
  x*erfcx(x) = Q(t)                            t = 64 / x^2 in (0, 1], x >= 8 (tends to 1/sqrt(pi) as x grows)
and erfc(x) = exp(-x^2) * erfcx(x) from 0.5 on. Each polynomial interpolates its function at Chebyshev points
(mpmath.chebyfit at 50 digits). Its degree is the smallest whose interpolant stays within TARGET relative error
of the function on 2001 points of the piece, measured in 50-digit arithmetic. Each table states that error and
the error once the coefficients are rounded to float64 (about half a float64 ulp, from the constant term); the
rounding of the float64 evaluation comes on top (the tests measure the whole).
"""
import mpmath as mp

mp.mp.dps = 50
TARGET = mp.mpf("2e-18")   # about 1/50 of float64's unit roundoff (1.1e-16)
POINTS = 2001


def to_double(v):
    """The float64 nearest to v (Python's float() of a decimal string rounds correctly)."""
    return float(mp.nstr(v, 40))


def erfcx(x):
    return mp.exp(x * x) * mp.erfc(x)


def small_p(s):   # erf(sqrt(s)) / sqrt(s), 2/sqrt(pi) at s = 0
    return 2 / mp.sqrt(mp.pi) if s == 0 else mp.erf(mp.sqrt(s)) / mp.sqrt(s)


def tail_q(t):    # x*erfcx(x) at x = 8/sqrt(t), 1/sqrt(pi) at t = 0
    if t == 0:
        return 1 / mp.sqrt(mp.pi)
    x = 8 / mp.sqrt(t)
    return x * erfcx(x)


def fit(f, a, b):
    """The lowest-degree Chebyshev interpolant of f on [a, b] (a polynomial in the piece's own variable) within TARGET;
    returns its coefficients rounded to float64, the interpolant's error and the error with the rounded coefficients."""
    points = [a + (b - a) * mp.mpf(i) / (POINTS - 1) for i in range(POINTS)]
    values = [f(p) for p in points]

    def worst(poly):
        return max(abs(mp.polyval(poly, p) - v) / abs(v) for p, v in zip(points, values))

    for n in range(4, 40):
        poly = mp.chebyfit(f, [a, b], n)
        error = worst(poly)
        if error <= TARGET:
            rounded = [to_double(c) for c in poly]   # what the C# source holds
            return rounded, error, worst([mp.mpf(c) for c in rounded])
    raise RuntimeError(f"no degree below 40 reaches {TARGET} on [{a}, {b}]")


def table(name, comment, fitted):
    coefficients, error, rounded_error = fitted
    print(f"    /// <summary>{comment}; degree {len(coefficients) - 1}, relative error {mp.nstr(error, 2)} "
          f"({mp.nstr(rounded_error, 2)} with the coefficients rounded to float64).</summary>")
    print(f"    private static ReadOnlySpan<double> {name} =>")
    print("    [")
    line = "       "
    for c in coefficients:
        item = f" {c!r},"
        if len(line) + len(item) > 120:
            print(line)
            line = "       "
        line += item
    print(line)
    print("    ];")
    print()


def main():
    table("SmallErfCoefficients", "P(s), erf(x) = x·P(x²) for |x| &lt; 0.5", fit(small_p, mp.mpf(0), mp.mpf("0.25")))
    for index, (a, b) in enumerate([(0.5, 1), (1, 2), (2, 4), (4, 8)]):
        m, r = mp.mpf(a + b) / 2, mp.mpf(b - a) / 2
        table(f"Erfcx{index}", f"erfcx(x) on [{a}, {b}] in t = (x − {mp.nstr(m, 3)})/{mp.nstr(r, 3)}",
              fit(lambda t: erfcx(m + r * t), mp.mpf(-1), mp.mpf(1)))
    table("ErfcxTail", "x·erfcx(x) for x ≥ 8 in t = 64/x²", fit(tail_q, mp.mpf(0), mp.mpf(1)))
    # erfc(x) rounds to 0 (below half the smallest subnormal, 2^-1075) from here on.
    underflow = mp.findroot(lambda x: mp.log(mp.erfc(x)) + 1075 * mp.log(2), 27.2)
    print(f"    // erfc(x) < 2^-1075 for x > {mp.nstr(underflow, 17)}")


if __name__ == "__main__":
    main()
