#!/usr/bin/env python3
"""The DigitsCnn sample's network and recipe in PyTorch, on the same split, for comparison.

Usage: python3 samples/DigitsCnn/peer/digits_cnn_torch.py [samples/data/digits.csv.gz] [--validate]
Same data (first 1437 rows train, last 360 test, pixels / 16, images 1×8×8); every training image
also shifted by each offset up to one pixel (9 copies, zeros moved in); the same network
(Conv 32@3×3 ReLU, BatchNorm, MaxPool 2, Conv 64@3×3 ReLU, BatchNorm, MaxPool 2, Dropout 0.3,
Dense 128 ReLU, Dropout 0.3, Dense 10); Adam 1e-3 with cosine decay over all steps, batch 64,
15 epochs; three members (seeds s, s + 1000, s + 2000) summing their logits. Prints test accuracy
per seed, or with --validate the 5-fold cross-validation over contiguous blocks of the training rows.
"""
import gzip, sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
args = [a for a in sys.argv[1:] if not a.startswith("--")]
path = args[0] if args else "samples/data/digits.csv.gz"
data = np.loadtxt(gzip.open(path), delimiter=",")
images = (data[:, :64] / 16).astype(np.float32).reshape(-1, 1, 8, 8)
labels = data[:, 64].astype(np.int64)
x_train, y_train, x_test, y_test = images[:1437], labels[:1437], images[1437:], labels[1437:]


def all_shifts(x, y, radius=1):
    """Every image once per offset (dy, dx), dy then dx from -radius up; out[y, x] = in[y - dy, x - dx]."""
    copies = []
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            shifted = np.zeros_like(x)
            y0, y1, x0, x1 = max(dy, 0), 8 + min(dy, 0), max(dx, 0), 8 + min(dx, 0)
            shifted[:, :, y0:y1, x0:x1] = x[:, :, y0 - dy:y1 - dy, x0 - dx:x1 - dx]
            copies.append(shifted)
    return np.concatenate(copies), np.tile(y, len(copies))


def train_member(x, y, seed, epochs=15, batch=64):
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(32), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(64), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.3), nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs * -(-len(x) // batch))
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(x))
        for start in range(0, len(order), batch):
            rows = order[start:start + batch]
            optimizer.zero_grad()
            F.cross_entropy(model(x[rows]), y[rows]).backward()
            optimizer.step()
            schedule.step()
    return model.eval()


def train_ensemble(x, y, seed, members=3):
    x, y = all_shifts(x, y)
    x, y = torch.tensor(x), torch.tensor(y)
    return [train_member(x, y, seed + 1000 * m) for m in range(members)]


def accuracies(models, x, y):
    """(first member's accuracy, the ensemble's accuracy by summed logits)."""
    with torch.no_grad():
        logits = [m(torch.tensor(x)) for m in models]
    share = lambda l: (l.argmax(1).numpy() == y).mean()
    return share(logits[0]), share(sum(logits))


if "--validate" in sys.argv:
    bounds = [f * 1437 // 5 for f in range(6)]
    results = []
    for start, end in zip(bounds[:-1], bounds[1:]):
        rest = np.r_[0:start, end:1437]
        results.append(accuracies(train_ensemble(x_train[rest], y_train[rest], 42), x_train[start:end], y_train[start:end]))
        print(f"rows {start}..{end - 1}: first member {results[-1][0]:.4f}, ensemble {results[-1][1]:.4f}", flush=True)
    print("cross-validation accuracy: first member %.4f, ensemble %.4f" % tuple(np.mean(results, axis=0)))
else:
    for seed in (42, 1, 2):
        first, ensemble = accuracies(train_ensemble(x_train, y_train, seed), x_test, y_test)
        print(f"seed {seed}: test accuracy first member {first:.4f}, ensemble of 3 {ensemble:.4f}", flush=True)
