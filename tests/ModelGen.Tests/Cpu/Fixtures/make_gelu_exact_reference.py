"""Reference values of erf, erfc and the exact GELU for ErrorFunctionTests (writes gelu_exact_reference.csv here).

    /usr/bin/python3 make_gelu_exact_reference.py     # identical bytes on a rerun

One row per x; every x is a float32 value, so one table serves the float64 and float32 checks. Columns:
  x           the argument
  erf, erfc   erf(x), erfc(x)
  gelu        x * Phi(x) = 0.5 * x * erfc(-x / sqrt(2)), PyTorch's default nn.GELU() (approximate="none")
  gelu_grad   its derivative Phi(x) + x * phi(x), phi the standard normal density
  torch_gelu, torch_gelu_grad
              torch.nn.functional.gelu on float64 and its autograd gradient, from Debian's PyTorch 1.13
The first four are computed with mpmath at 50 significant digits and rounded to the nearest float64 (through a
40-digit decimal string, which Python's float() rounds correctly); the torch columns are PyTorch's own float64
results, errors included (it forms 1 + erf(x/sqrt(2)), which loses relative precision where Phi(x) is small).
Values are written with repr(): the shortest decimal that reads back as the same float64.

The x values: a grid of step 1/4 over [-40, 10] (the negative tail reaches erfc's underflow near 27.3 and
Phi's near -38.6); 150 seeded random float32 values in [-9, 9]; each piece boundary of the C# error function
(erf's at 0.5, 1, 2, 4, 8 and GELU's at sqrt(2) times them) with its float32 neighbours on both sides, in both
signs; and a few tiny arguments.
"""
import os
import random
import struct

import mpmath as mp
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
mp.mp.dps = 50


def float32(v):
    return struct.unpack("<f", struct.pack("<f", v))[0]


def neighbours32(v):
    """v rounded to float32 and the float32 values on each side of it."""
    bits = struct.unpack("<i", struct.pack("<f", float32(v)))[0]
    return [struct.unpack("<f", struct.pack("<i", bits + d))[0] for d in (-1, 0, 1)] if v > 0 else []


def to_double(v):
    return float(mp.nstr(v, 40))


def arguments():
    xs = {k / 4 for k in range(-160, 41)}
    rng = random.Random(20261206)
    xs |= {float32(rng.uniform(-9, 9)) for _ in range(150)}
    for boundary in (0.5, 1, 2, 4, 8):
        for scale in (1, float(mp.sqrt(2))):
            for v in neighbours32(boundary * scale):
                xs |= {v, -v}
    xs |= {float32(v) for v in (1e-30, -1e-30, 1e-10, -1e-10, 1e-5, -1e-5)}
    assert all(float32(x) == x for x in xs)
    return sorted(xs)


def main():
    xs = arguments()
    inputs = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    output = F.gelu(inputs)
    output.backward(torch.ones_like(output))
    torch_gelu, torch_grad = output.detach().tolist(), inputs.grad.tolist()

    lines = ["x,erf,erfc,gelu,gelu_grad,torch_gelu,torch_gelu_grad"]
    worst = 0.0
    for x, tg, tgg in zip(xs, torch_gelu, torch_grad):
        m = mp.mpf(x)
        cdf = mp.erfc(-m / mp.sqrt(2)) / 2
        pdf = mp.exp(-m * m / 2) / mp.sqrt(2 * mp.pi)
        gelu = m * cdf
        row = [x, to_double(mp.erf(m)), to_double(mp.erfc(m)), to_double(gelu), to_double(cdf + m * pdf), tg, tgg]
        lines.append(",".join(repr(v) for v in row))
        worst = max(worst, abs(tg - float(gelu)) / max(1.0, abs(x)))
    path = os.path.join(HERE, "gelu_exact_reference.csv")
    with open(path, "w", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{len(xs)} rows -> {path}; max |torch - reference| / max(1, |x|) = {worst:.3g}")


if __name__ == "__main__":
    main()
