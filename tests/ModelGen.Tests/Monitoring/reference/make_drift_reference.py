#!/usr/bin/python3
"""Reference numbers for the drift monitoring tests, computed with SciPy and NumPy on fixed inputs.

Run from anywhere:  /usr/bin/python3 tests/ModelGen.Tests/Monitoring/reference/make_drift_reference.py
It rewrites drift_reference.json beside this script. The tests read that file (inputs and expected outputs both
come from it), so they never need Python. Debian: apt-get install python3-scipy.

- scipy.stats.ks_2samp(a, b) with its defaults (two-sided, method='auto': exact when both samples have at most
  10000 values, otherwise kstwo.sf(D, round(n1*n2/(n1+n2)))); scipy.stats.kstwo.sf on a grid that reaches every
  branch of its method choice; scipy.stats.chisquare and scipy.stats.chi2.sf.
- The population stability index has no SciPy function; it is computed here by its definition (docs/monitoring.md):
  numeric bins from the training quantiles at k/10 (linear interpolation, checked against numpy.quantile), a value v
  in the bin with edge[i-1] < v <= edge[i], proportions of 0 replaced by 1e-4, PSI = sum((a - e) * ln(a / e)).
"""
import json
import os

import numpy as np
import scipy
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.RandomState(20261206)
EPS = 1e-4
BINS = 10


def L(a):
    return [float(v) for v in np.asarray(a, dtype=float)]


def ks_case(name, a, b):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    r = stats.ks_2samp(a, b)
    method = "exact" if max(len(a), len(b)) <= 10000 else "asymptotic"
    return {"name": name, "a": L(a), "b": L(b), "statistic": float(r.statistic), "pvalue": float(r.pvalue), "method": method}


out = {"scipy": scipy.__version__, "numpy": np.__version__, "epsilon": EPS, "bins": BINS}

# --- Two-sample Kolmogorov-Smirnov -------------------------------------------------------------
ks = []
ks.append(ks_case("small unequal sizes", np.round(rng.randn(8), 3), np.round(rng.randn(13) + 0.5, 3)))
ks.append(ks_case("ties (integers)", rng.randint(0, 6, size=40), rng.randint(1, 7, size=25)))
ks.append(ks_case("equal sizes, shifted", np.round(rng.randn(50), 3), np.round(rng.randn(50) + 0.8, 3)))
ks.append(ks_case("disjoint samples (tiny p)", np.arange(30), np.arange(20) + 100))
same = np.round(rng.randn(15), 3)
ks.append(ks_case("identical samples", same, same.copy()))
ks.append(ks_case("one value each", [1.0], [2.0]))
ks.append(ks_case("medium with ties", np.round(rng.randn(2000), 2), np.round(rng.randn(700) * 1.1, 2)))
ks.append(ks_case("exact at the size limit", np.round(rng.randn(10000), 3), np.round(rng.randn(300) + 0.12, 3)))
ks.append(ks_case("asymptotic just above the limit", np.round(rng.randn(10001), 3), np.round(rng.randn(300) + 0.12, 3)))
ks.append(ks_case("asymptotic, n below 141", np.round(rng.randn(12000), 3), np.round(rng.randn(100) + 0.25, 3)))
ks.append(ks_case("asymptotic, large samples", np.round(rng.randn(20000), 3), np.round(rng.randn(15000) * 1.03, 3)))
ks.append(ks_case("asymptotic, upper tail", np.round(rng.randn(11000), 3), np.round(rng.randn(400) + 0.5, 3)))
out["ks_2samp"] = ks

grid = []
for n in [1, 2, 5, 20, 100, 140, 141, 291, 1000, 8571, 100001]:
    xs = {0.3 / n, 0.8 / n, 0.6, 0.95, 1 - 0.5 / n}
    for t in [0.05, 0.1, 0.3, 0.75, 1.5, 3.0, 5.0, 30.0, 400.0]:
        xs.add(np.sqrt(t / n))
    for x in sorted(xs):
        if 0 < x < 1:
            grid.append({"n": n, "x": float(x), "sf": float(stats.kstwo.sf(x, n))})
out["kstwo_sf"] = grid

# --- Chi-square --------------------------------------------------------------------------------
chi = []
for obs, exp in [([16, 18, 16, 14, 12, 12], [88 / 6] * 6),
                 ([30, 5, 15], [20, 15, 15]),
                 ([200, 10, 10], [220 / 3, 220 / 3, 220 / 3]),
                 ([10, 30], [20, 20]),
                 ([5, 0, 7, 3], [3.75, 3.75, 3.75, 3.75])]:
    r = stats.chisquare(obs, exp)
    chi.append({"observed": L(obs), "expected": L(exp), "statistic": float(r.statistic), "pvalue": float(r.pvalue)})
out["chisquare"] = chi
out["chi2_sf"] = [{"df": df, "x": float(x), "sf": float(stats.chi2.sf(x, df))}
                  for df in [1, 2, 3, 5, 10, 30, 100]
                  for x in [0.01, 0.5, 1.0, float(df), 2.0 * df, 5.0 * df + 20, 200.0]]


# --- Population stability index -----------------------------------------------------------------
def edges_of(train, bins=BINS):
    s = np.sort(np.asarray(train, dtype=float))
    last = len(s) - 1
    edges = []
    for k in range(1, bins):
        low, rem = divmod(k * last, bins)
        e = s[low] if rem == 0 else s[low] + rem / bins * (s[low + 1] - s[low])
        assert abs(e - np.quantile(s, k / bins)) <= 1e-12 * max(1.0, abs(e))
        if not edges or e > edges[-1]:
            edges.append(e)
    return np.array(edges)


def proportions(values, edges):
    bins = np.searchsorted(edges, np.asarray(values, dtype=float), side="left")
    return np.bincount(bins, minlength=len(edges) + 1) / len(values)


def psi(expected, actual):
    e = np.maximum(expected, EPS)
    a = np.maximum(actual, EPS)
    return float(np.sum((a - e) * np.log(a / e)))


psi_cases = []
for name, train, window in [
        ("shifted and wider", np.round(rng.randn(1000), 3), np.round(rng.randn(300) * 1.3 + 0.4, 3)),
        ("ties collapse deciles", rng.randint(0, 4, size=200), rng.randint(0, 5, size=80)),
        ("window in the top bins only", np.round(rng.randn(500), 3), np.round(2.0 + rng.rand(50), 3))]:
    edges = edges_of(train)
    e, a = proportions(train, edges), proportions(window, edges)
    psi_cases.append({"name": name, "train": L(train), "window": L(window), "edges": L(edges),
                      "train_proportions": L(e), "window_proportions": L(a), "psi": psi(e, a)})
out["psi"] = psi_cases

# --- A monitor end to end: two numeric features and one categorical with an unseen level ----------
levels = ["red", "green", "blue", "black"]
train_n = 600
train = {"x": np.round(rng.randn(train_n), 2),
         "count": rng.poisson(3.0, size=train_n).astype(float),
         "color": list(rng.choice(levels, size=train_n, p=[0.4, 0.3, 0.2, 0.1]))}
win_n = 150
window = {"x": np.round(rng.randn(win_n) + 0.4, 2),
          "count": rng.poisson(3.0, size=win_n).astype(float),
          "color": list(rng.choice(levels, size=win_n, p=[0.25, 0.3, 0.3, 0.15]))}
for i in (7, 70, 140):
    window["color"][i] = "purple"

expect = {}
for col in ("x", "count"):
    r = stats.ks_2samp(train[col], window[col])
    edges = edges_of(train[col])
    expect[col] = {"statistic": float(r.statistic), "pvalue": float(r.pvalue),
                   "psi": psi(proportions(train[col], edges), proportions(window[col], edges))}
train_counts = np.array([train["color"].count(l) for l in levels], dtype=float)
seen_counts = np.array([window["color"].count(l) for l in levels], dtype=float)
unseen = win_n - seen_counts.sum()
share = train_counts / train_counts.sum()
r = stats.chisquare(seen_counts, share * seen_counts.sum())
expect["color"] = {"statistic": float(r.statistic), "pvalue": float(r.pvalue), "df": len(levels) - 1,
                   "psi": psi(np.append(share, 0.0), np.append(seen_counts, unseen) / win_n), "unseen": int(unseen)}
out["monitor"] = {"train": {"x": L(train["x"]), "count": L(train["count"]), "color": train["color"]},
                  "window": {"x": L(window["x"]), "count": L(window["count"]), "color": window["color"]},
                  "expected": expect}

with open(os.path.join(HERE, "drift_reference.json"), "w") as f:
    # One line per case keeps the long sample arrays from taking a line per number.
    f.write("{\n")
    keys = list(out)
    for i, k in enumerate(keys):
        v = out[k]
        if isinstance(v, list):
            f.write(" %s: [\n" % json.dumps(k))
            f.write(",\n".join("  " + json.dumps(item) for item in v))
            f.write("\n ]")
        else:
            f.write(" %s: %s" % (json.dumps(k), json.dumps(v)))
        f.write(",\n" if i < len(keys) - 1 else "\n")
    f.write("}\n")
print("wrote", os.path.join(HERE, "drift_reference.json"))
