"""Reference values of class-weighted softmax cross-entropy for ClassWeightTests (writes class_weight_reference.csv here).

    /usr/bin/python3 make_class_weight_reference.py     # identical bytes on a rerun

PyTorch 1.13's torch.nn.functional.cross_entropy(logits, labels, weight=w, reduction="mean") on float64: the loss
sum(w[y_i] * l_i) / sum(w[y_i]) and its autograd gradient with respect to the logits. Fixed inputs: 6 rows, 4 classes,
seeded logits, labels that leave class 3 out of the batch and use class 1 three times.
Rows of the CSV: "weight,c,w" per class, "label,r,y" per row, "logit,r,j,x" and "grad,r,j,g" per element, "loss,,,v".
Values are written with repr(): the shortest decimal that reads back as the same float64.
"""
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))

generator = torch.Generator().manual_seed(1234)
logits = (torch.randn(6, 4, generator=generator, dtype=torch.float64) * 2).requires_grad_(True)
labels = torch.tensor([1, 0, 2, 1, 1, 0])
weights = torch.tensor([0.5, 3.0, 1.25, 7.0], dtype=torch.float64)

loss = F.cross_entropy(logits, labels, weight=weights, reduction="mean")
loss.backward()

lines = []
for c, w in enumerate(weights.tolist()):
    lines.append(f"weight,{c},{w!r}")
for r, y in enumerate(labels.tolist()):
    lines.append(f"label,{r},{y}")
for r in range(6):
    for j in range(4):
        lines.append(f"logit,{r},{j},{logits[r, j].item()!r}")
for r in range(6):
    for j in range(4):
        lines.append(f"grad,{r},{j},{logits.grad[r, j].item()!r}")
lines.append(f"loss,,,{loss.item()!r}")
with open(os.path.join(HERE, "class_weight_reference.csv"), "w", newline="\n") as f:
    f.write("\n".join(lines) + "\n")
