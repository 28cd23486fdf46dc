#!/usr/bin/python3
"""Reference numbers for the ModelGen data API tests, computed with scikit-learn on fixed inputs.

Run from anywhere:  /usr/bin/python3 tests/ModelGen.Tests/Data/reference/make_reference.py
It rewrites reference.json beside this script. The tests read that file (inputs and expected
outputs both come from it), so they never need Python. Debian: apt-get install python3-sklearn.
Metrics without a scikit-learn function (precision@k, average precision@k, expected calibration
error, the multi-class Brier score, smoothed target encoding in scikit-learn < 1.3) are computed here
by their definitions.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.decomposition import PCA
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_selection import SelectKBest, VarianceThreshold, f_classif, f_regression
from sklearn.impute import SimpleImputer
from sklearn.metrics import (accuracy_score, average_precision_score, brier_score_loss, confusion_matrix,
                             log_loss, mean_absolute_error, mean_squared_error, precision_recall_fscore_support,
                             r2_score, roc_auc_score, top_k_accuracy_score)
from sklearn.calibration import calibration_curve
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, PolynomialFeatures, StandardScaler, label_binarize

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
rng = np.random.RandomState(20240515)


def L(a):
    """A JSON-ready nested list of floats (NaN as null)."""
    a = np.asarray(a, dtype=float)
    return [None if np.isnan(v) else float(v) for v in a] if a.ndim == 1 else [L(row) for row in a]


out = {"sklearn": sklearn.__version__, "numpy": np.__version__}

# --- Classification metrics -------------------------------------------------------------------
y_true = rng.randint(0, 3, size=40)
y_pred = np.where(rng.rand(40) < 0.7, y_true, rng.randint(0, 3, size=40))
c = {"actual": y_true.tolist(), "predicted": y_pred.tolist(), "accuracy": accuracy_score(y_true, y_pred),
     "confusion": confusion_matrix(y_true, y_pred, labels=[0, 1, 2]).tolist()}
for avg in ("macro", "micro", "weighted"):
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=[0, 1, 2], average=avg, zero_division=0)
    c[avg] = [p, r, f]
out["classification"] = c

# --- Binary scores: ROC-AUC, average precision, log-loss, calibration --------------------------
yb = rng.randint(0, 2, size=60)
# Rounded to 2 decimals so that there are ties in the scores.
prob = np.round(np.clip(0.35 * yb + 0.65 * rng.rand(60), 0, 1), 2)
b = {"actual": yb.tolist(), "probability": L(prob), "roc_auc": roc_auc_score(yb, prob),
     "average_precision": average_precision_score(yb, prob), "log_loss": log_loss(yb, prob)}
for bins in (5, 10):
    frac, mean_pred = calibration_curve(yb, prob, n_bins=bins, strategy="uniform")
    edges = np.linspace(0.0, 1.0, bins + 1)
    ids = np.searchsorted(edges[1:-1], prob)
    counts = np.bincount(ids, minlength=bins)
    nonempty = counts > 0
    ece = float(np.sum(counts[nonempty] / len(yb) * np.abs(frac - mean_pred)))
    b["calibration_%d" % bins] = {"fraction_positive": L(frac), "mean_predicted": L(mean_pred),
                                  "counts": counts.tolist(), "ece": ece}
out["binary"] = b

# --- Multi-class log-loss ---------------------------------------------------------------------
raw = rng.rand(25, 3) + 0.05
probs = raw / raw.sum(axis=1, keepdims=True)
ym = rng.randint(0, 3, size=25)
out["multiclass_log_loss"] = {"actual": ym.tolist(), "probabilities": L(probs.ravel()),
                              "log_loss": log_loss(ym, probs, labels=[0, 1, 2])}

# --- Regression metrics -----------------------------------------------------------------------
yr = rng.randn(30) * 3 + 1
pr = yr + rng.randn(30)
out["regression"] = {"actual": L(yr), "predicted": L(pr), "mse": mean_squared_error(yr, pr),
                     "mae": mean_absolute_error(yr, pr), "rmse": float(np.sqrt(mean_squared_error(yr, pr))),
                     "r2": r2_score(yr, pr)}

# --- Ranking: precision@k and average precision@k (by definition, stable order on ties) -------
rel = rng.randint(0, 2, size=20)
sc = np.round(rng.rand(20), 1)   # ties on purpose
order = np.argsort(-sc, kind="stable")
rk = {"relevant": rel.tolist(), "scores": L(sc), "k": [1, 3, 5, 10, 20], "precision_at_k": [], "ap_at_k": []}
for k in rk["k"]:
    top = rel[order[:k]]
    rk["precision_at_k"].append(float(top.sum()) / k)
    hits, s = 0, 0.0
    for i, r in enumerate(top):
        if r:
            hits += 1
            s += hits / (i + 1)
    rk["ap_at_k"].append(s / min(k, rel.sum()) if rel.sum() else 0.0)
out["ranking"] = rk

# --- Transformers on a small numeric table ----------------------------------------------------
X = np.round(rng.randn(24, 4) * [1.0, 5.0, 0.1, 2.0] + [0.0, 10.0, 1.0, -3.0], 3)
X[:, 2] = np.round(X[:, 2], 1)
X_test = np.round(rng.randn(6, 4) * [1.0, 5.0, 0.1, 2.0] + [0.0, 10.0, 1.0, -3.0], 3)
yc = (X[:, 0] + 0.2 * X[:, 1] + rng.randn(24) > 2).astype(int)
yc[:3] = [0, 1, 2]      # three classes for f_classif
yreg = X[:, 0] * 2 - X[:, 3] + rng.randn(24) * 0.5
t = {"x": L(X), "x_test": L(X_test), "y_class": yc.tolist(), "y_value": L(yreg)}
s = StandardScaler().fit(X)
t["standard"] = {"mean": L(s.mean_), "scale": L(s.scale_), "test": L(s.transform(X_test))}
m = MinMaxScaler(feature_range=(-1, 2)).fit(X)
t["minmax"] = {"min": L(m.data_min_), "max": L(m.data_max_), "test": L(m.transform(X_test))}
Xn = X.copy()
Xn[[1, 5, 9], 0] = np.nan
Xn[[2, 3], 1] = np.nan
Xn[[0, 7, 8, 11], 3] = np.nan
t["x_missing"] = L(Xn)
for strategy in ("mean", "median"):
    imp = SimpleImputer(strategy=strategy).fit(Xn)
    t["impute_" + strategy] = {"statistics": L(imp.statistics_), "train": L(imp.transform(Xn))}
vt = VarianceThreshold(threshold=0.5).fit(X)
t["variance_threshold"] = {"threshold": 0.5, "variances": L(vt.variances_), "support": vt.get_support().tolist()}
kb = SelectKBest(f_classif, k=2).fit(X, yc)
t["kbest_classif"] = {"k": 2, "scores": L(kb.scores_), "support": kb.get_support().tolist()}
kr = SelectKBest(f_regression, k=2).fit(X, yreg)
t["kbest_regression"] = {"k": 2, "scores": L(kr.scores_), "support": kr.get_support().tolist()}
for degree, inter in ((2, False), (3, False), (2, True)):
    pf = PolynomialFeatures(degree=degree, interaction_only=inter, include_bias=False).fit(X[:, :3])
    t["poly_%d%s" % (degree, "_inter" if inter else "")] = {
        "names": pf.get_feature_names_out(["a", "b", "c"]).tolist(), "test": L(pf.transform(X_test[:, :3]))}
p = PCA(n_components=2).fit(X)
t["pca"] = {"explained_variance": L(p.explained_variance_), "explained_variance_ratio": L(p.explained_variance_ratio_),
            "components": L(p.components_), "mean": L(p.mean_), "test": L(p.transform(X_test))}
out["table"] = t

# --- Categorical encoders ---------------------------------------------------------------------
colors = ["red", "green", "blue", "green", "red", "red", "blue", "green", "yellow", "red", "green", "blue"]
sizes = ["S", "M", "L", "M", "S", "XL", "M", "S", "L", "M", "S", "L"]
target = [1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1]
test_colors = ["red", "purple", "blue", "green"]
test_sizes = ["M", "S", "XXL", "L"]
enc = OneHotEncoder(handle_unknown="ignore").fit(np.array([colors, sizes]).T)
cat = {"color": colors, "size": sizes, "target": target, "test_color": test_colors, "test_size": test_sizes,
       "onehot_categories": [list(cs) for cs in enc.categories_],
       "onehot_test": L(enc.transform(np.array([test_colors, test_sizes]).T).toarray())}
smooth = 2.0
prior = float(np.mean(target))
te = {}
for lvl in sorted(set(colors)):
    ys = [y for cc, y in zip(colors, target) if cc == lvl]
    te[lvl] = (sum(ys) + smooth * prior) / (len(ys) + smooth)
cat["target_encoding"] = {"smoothing": smooth, "prior": prior, "color": te}
fh = FeatureHasher(n_features=8, input_type="dict")
rows = [{"color": cc, "size": ss} for cc, ss in zip(test_colors, test_sizes)]
cat["hash_8"] = L(fh.transform(rows).toarray())
fh_num = FeatureHasher(n_features=16, input_type="dict")
nums = [2.5, -1.0, 0.0, 4.0]
cat["hash_numeric_16"] = {"weight": nums,
                          "matrix": L(fh_num.transform([{"color": cc, "weight": w} for cc, w in zip(test_colors, nums)]).toarray())}
out["categorical"] = cat

# --- The breast cancer file, read by the project's loader in the tests ---------------------------
bc = np.loadtxt(os.path.join(REPO, "samples", "data", "breast_cancer.csv"), delimiter=",", skiprows=1)
bx, by = bc[:, :-1], bc[:, -1].astype(int)
bs = StandardScaler().fit(bx)
out["breast_cancer"] = {"rows": int(bx.shape[0]), "mean": L(bs.mean_), "scale": L(bs.scale_),
                        "class_counts": np.bincount(by).tolist(),
                        "single_feature_auc": L([roc_auc_score(by, bx[:, j]) for j in range(bx.shape[1])])}

# --- Multi-class probability metrics ---------------------------------------------------------
# A generator of its own, so that the sections above keep their numbers. The probabilities are float32 values
# (as Model.PredictProbabilities returns them) held in float64, so both sides score exactly the same numbers;
# the raw scores are rounded to one decimal before normalising, so rows hold ties (top-k) and columns too (AUC).
mrng = np.random.RandomState(20261206)
n_classes, n_samples = 4, 90
ym = mrng.choice(n_classes, size=n_samples, p=[0.4, 0.3, 0.2, 0.1])
raw = np.round(mrng.rand(n_samples, n_classes), 1) + 0.05
raw[np.arange(n_samples), ym] += np.round(0.6 * mrng.rand(n_samples), 1)
pm = (raw / raw.sum(axis=1, keepdims=True)).astype(np.float32).astype(np.float64)
labels = list(range(n_classes))
conf, pred = pm.max(axis=1), pm.argmax(axis=1)
correct = (pred == ym).astype(int)
onehot = np.eye(n_classes)[ym]
mc = {"actual": ym.tolist(), "probabilities": L(pm.ravel()), "class_count": n_classes,
      "roc_auc_per_class": [roc_auc_score((ym == c).astype(int), pm[:, c]) for c in labels],
      "average_precision_per_class": [average_precision_score((ym == c).astype(int), pm[:, c]) for c in labels],
      "support": np.bincount(ym, minlength=n_classes).tolist(),
      "log_loss": log_loss(ym, pm, labels=labels),
      "brier": float(np.mean(np.sum((pm - onehot) ** 2, axis=1))),
      "top_k": {str(k): top_k_accuracy_score(ym, pm, k=k, labels=labels) for k in (1, 2, 3)},
      "confusion": confusion_matrix(ym, pred, labels=labels).tolist(), "accuracy": accuracy_score(ym, pred)}
for avg in ("macro", "weighted"):
    mc["roc_auc_" + avg] = roc_auc_score(ym, pm, multi_class="ovr", average=avg, labels=labels)
    # One-vs-rest through the indicator matrix, the form every scikit-learn version scores.
    mc["average_precision_" + avg] = average_precision_score(label_binarize(ym, classes=labels), pm, average=avg)
for bins in (5, 10):
    frac, mean_pred = calibration_curve(correct, conf, n_bins=bins, strategy="uniform")
    ids = np.searchsorted(np.linspace(0.0, 1.0, bins + 1)[1:-1], conf)
    counts = np.bincount(ids, minlength=bins)
    ece = float(np.sum(counts[counts > 0] / n_samples * np.abs(frac - mean_pred)))
    mc["top_label_calibration_%d" % bins] = {"fraction_positive": L(frac), "mean_predicted": L(mean_pred),
                                             "counts": counts.tolist(), "ece": ece}
out["multiclass_probabilities"] = mc
out["binary"]["brier"] = brier_score_loss(yb, prob)

with open(os.path.join(HERE, "reference.json"), "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print("wrote", os.path.join(HERE, "reference.json"))
