#!/usr/bin/env python3
"""The digits sample's network and recipe in PyTorch, on the same split, for comparison.

Usage: python3 samples/Digits/peer/digits_torch.py [samples/data/digits.csv.gz]
Same data (first 1437 rows train, last 360 test, pixels / 16), same network
(64 → 128 ReLU → 64 ReLU → 10), Adam 1e-3, batch 64, 30 epochs; prints test accuracy per seed.
"""
import gzip, sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

path = sys.argv[1] if len(sys.argv) > 1 else "samples/data/digits.csv.gz"
data = np.loadtxt(gzip.open(path), delimiter=",")
x = torch.tensor(data[:, :64] / 16, dtype=torch.float32)
y = torch.tensor(data[:, 64], dtype=torch.long)
x_train, y_train, x_test, y_test = x[:1437], y[:1437], x[1437:], y[1437:]
for seed in (0, 1, 42):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(30):
        order = torch.randperm(len(x_train))
        for start in range(0, len(order), 64):
            rows = order[start:start + 64]
            optimizer.zero_grad()
            F.cross_entropy(model(x_train[rows]), y_train[rows]).backward()
            optimizer.step()
    accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    print(f"seed {seed}: test accuracy {accuracy:.4f}")
