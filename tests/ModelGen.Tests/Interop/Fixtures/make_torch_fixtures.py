"""PyTorch reference fixtures for ModelGen's weights interoperability (models in ../InteropModels.cs).

Run with Debian's PyTorch 1.13 (no `safetensors` module needed; the format is written here):

    /usr/bin/python3 make_torch_fixtures.py                         # (re)write the fixtures next to this script
    /usr/bin/python3 make_torch_fixtures.py --check-modelgen DIR    # load files ModelGen saved into the twins

For every model <Name> the first form writes
  <Name>.torch.safetensors  the twin's state_dict exactly as PyTorch names and lays it out (F32; BatchNorm's
                            num_batches_tracked I64, a scalar), with seeded random values;
  <Name>.io.safetensors     "input": the fixed inputs as ModelGen rows, [batch, *per-sample input shape], F32
                            (token ids are whole numbers stored as floats, as ModelGen takes them);
                            "output": the twin's outputs in float32, [batch, *per-sample output shape];
                            "output64": the same twin in float64 (twin.double(), same float32-valued weights
                            and inputs), for a tighter comparison.
ModelGen's Predict gives each sample's output flattened row-major, so `output` reshaped to [batch, -1] is
what Predict must return.

The second form is the reverse check. For every model it reads DIR/<Name>.modelgen.safetensors (weights
saved by ModelGen) into a fresh twin with load_state_dict(strict=True) (every name, shape and tensor must
be there, nothing else), and DIR/<Name>.modelgen-io.safetensors ("input": the inputs ModelGen ran, which
must equal this directory's committed "input"; "output": ModelGen's float32 outputs, any shape holding
batch × output-size values). It runs the twin on the input and writes one line per model to
modelgen_to_torch.txt next to this script (or --results PATH): max |twin − ModelGen|, the scale
max |twin|, and pass when the difference is at most 1e-5 × scale. A model whose files are missing is a
failure named "missing". The exit code is 0 only when every model passes.

Twins. Each twin is an nn.Module whose submodules are named exactly like the ModelGen layer methods, so
the state_dict keys are "<method>.<tensor>". Conversions between the state_dict and ModelGen's flat
parameter buffer (blocks in the declaration order of the layer methods; a layer called twice has one):
  Dense            nn.Linear: "weight" [out, in] is ModelGen's [in, out] transposed; then "bias" [out].
  Conv1d/Conv2d    nn.Conv1d/2d: "weight" [out, in/groups, k(, k)] as stored; then "bias". SamePadding is
                   padding="same" (even Conv1d kernel: the extra zero goes after, as PyTorch pads).
  MaxPool2d        nn.MaxPool2d (padding counts as −∞); AvgPool2d is nn.AvgPool2d(count_include_pad=True);
                   GlobalAvgPool is the mean over H and W. No tensors, nor for Flatten, Reshape, Dropout.
  BatchNorm        nn.BatchNorm1d ([features] or [channels, length]) / nn.BatchNorm2d ([C, H, W]) in eval
                   mode: "weight" (γ), "bias" (β) are parameters; "running_mean", "running_var" are
                   ModelGen's Model.State (mean then variance, layers in declaration order);
                   "num_batches_tracked" (I64 scalar) is ModelGen's Model.BatchesTracked.
  ConvTranspose2d  nn.ConvTranspose2d: "weight" [in, out/groups, k, k] as stored; then "bias" [out].
  Upsample         nn.Upsample(scale_factor=(sh, sw)): mode "nearest", or "bilinear" with align_corners as
                   AlignCorners. No tensors.
  LayerNorm        nn.LayerNorm(last dim): "weight", "bias".   GroupNorm: nn.GroupNorm: "weight", "bias".
  Embedding        nn.Embedding(padding_idx = PaddingIndex): "weight" [vocabulary, dim] as stored. The
                   padding row is deliberately not zero here: both sides read it in the forward pass.
  PositionalEmbedding  a submodule with one parameter "weight" [maxLength, width]; the first L rows are
                   added to a sequence of L positions (the tables are longer than the sequences).
  MultiHeadAttention  nn.MultiheadAttention(batch_first=True), query = key = value: "in_proj_weight"
                   [3d, d] is ModelGen's Wqkv [d, 3d] transposed (Q, K, V blocks, heads side by side in each);
                   "out_proj.weight" [d, d] is Wo transposed; then "in_proj_bias" [3d], "out_proj.bias" [d]
                   (ModelGen's block: Wqkv, Wo, bqkv, bo). Bias = false is bias=False (neither bias
                   exists). Causal is attn_mask = triu(ones(L, L), 1) as booleans.
  LSTM / GRU       nn.LSTM / nn.GRU(batch_first=True), one layer, zero initial state: per direction
                   (forward, then "_reverse") "weight_ih_l0" [G·h, in] and "weight_hh_l0" [G·h, h] are
                   ModelGen's W_ih [in, G·h] and W_hh [h, G·h] transposed; "bias_ih_l0", "bias_hh_l0"
                   [G·h] as stored; G = 4 (gates i, f, g, o) for LSTM, 3 (r, z, n) for GRU, in PyTorch's
                   order. ReturnSequences is the output [B, L, dirs·h] (forward half first); the last
                   state is h_n [dirs, B, h] permuted to [B, dirs, h] and flattened (forward first: the
                   forward state after the last step, the reverse state after the first).
  MaskPadding      the ids are right-padded with the padding id; a sample's length is one past its last
                   non-padding id (a padding id inside a sample counts as real). Attention gets
                   key_padding_mask = position ≥ length; LSTM/GRU get pack_padded_sequence(lengths,
                   enforce_sorted=False); a GRU returning every step is pad_packed_sequence(total_length=L),
                   so steps past a sample's end are 0 before the next layer.
  Activations      ReLU, LeakyReLU (NegativeSlope; ModelGen's double graph uses the decimal value, 0.2f
                   as 0.2, so the float64 twin does too), GELU with
                   approximate="tanh" (ModelGen's GELU is the tanh form), GELUExact as nn.GELU() (PyTorch's
                   default, approximate="none"), SiLU, Sigmoid, Tanh.
  [Forward] graphs '+' and '*' are element-wise; Tensor.Concat(a, b, …) is torch.cat on the last axis,
                   Tensor.Concat(0, …) on the first per-sample axis (dim 1 of the batch).
  Several inputs   one ModelGen row holds the [Input]s side by side in attribute declaration order.

Values: parameters, γ, β and embedding tables are drawn from U(−0.5, 0.5) so that every element matters;
running means from U(−0.5, 0.5), running variances from U(0.5, 1.5), num_batches_tracked = 17.
Float inputs are U(−2, 2); ids are uniform over the vocabulary. Every draw comes from a generator seeded
from the model's name, so running the script again rewrites identical files. The attention twins run
with autograd on: PyTorch 1.13's eval fast path refuses bias=False under no_grad, and this keeps every
attention model on the same (reference) code path.
"""
import argparse
import copy
import json
import os
import struct
import sys
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

HERE = os.path.dirname(os.path.abspath(__file__))
TOLERANCE = 1e-5


# ----------------------------------------------------------------------------------------------------
# safetensors: 8-byte little-endian header length, a JSON header padded with spaces to a multiple of 8,
# then the tensors' raw little-endian bytes. 8-byte dtypes are placed first, then 4-byte ones, so each
# tensor starts at a multiple of its element size.

DTYPES = {torch.float32: ("F32", 4), torch.float64: ("F64", 8), torch.int64: ("I64", 8)}
PACK = {"F32": "f", "F64": "d", "I64": "q"}
FROM_NAME = {"F32": (torch.float32, 4), "F64": (torch.float64, 8), "I64": (torch.int64, 8), "I32": (torch.int32, 4)}


def write_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, tensor) in header order."""
    entries = []
    for name, tensor in tensors:
        if tensor.dtype not in DTYPES:
            raise ValueError(f"{name}: dtype {tensor.dtype} is not written by this script")
        dtype, size = DTYPES[tensor.dtype]
        values = tensor.detach().reshape(-1).tolist()
        data = struct.pack(f"<{len(values)}{PACK[dtype]}", *values)
        entries.append((name, dtype, size, list(tensor.shape), data))
    offsets, position = {}, 0
    for size in (8, 4):
        for name, _, element_size, _, data in entries:
            if element_size == size:
                offsets[name] = (position, position + len(data))
                position += len(data)
    header = {}
    if metadata:
        header["__metadata__"] = dict(sorted(metadata.items()))
    for name, dtype, _, shape, _ in entries:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": list(offsets[name])}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for size in (8, 4):
            for name, _, element_size, _, data in entries:
                if element_size == size:
                    f.write(data)


def read_safetensors(path):
    """Returns an ordered dict of name → tensor (F32, F64, I64, I32)."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: shorter than the 8-byte header length")
    (length,) = struct.unpack("<Q", raw[:8])
    if 8 + length > len(raw):
        raise ValueError(f"{path}: header length {length} runs past the end of the file")
    header = json.loads(raw[8:8 + length].decode("utf-8"))
    data = raw[8 + length:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] not in FROM_NAME:
            raise ValueError(f"{path}: tensor '{name}' has dtype {entry['dtype']}; this checker reads F32, F64, I64, I32")
        dtype, size = FROM_NAME[entry["dtype"]]
        begin, end = entry["data_offsets"]
        count = 1
        for d in entry["shape"]:
            count *= d
        if end - begin != count * size or end > len(data):
            raise ValueError(f"{path}: tensor '{name}' has offsets {begin}..{end} for shape {entry['shape']}")
        tensors[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=dtype).reshape(entry["shape"]) if count else torch.zeros(entry["shape"], dtype=dtype)
    return tensors


# ----------------------------------------------------------------------------------------------------
# Twins

def gelu(x):
    return F.gelu(x, approximate="tanh")


exact_gelu = nn.GELU()   # PyTorch's default GELU, 0.5·x·(1 + erf(x/√2)): ModelGen's GELUExact


class LearnedPositions(nn.Module):
    """ModelGen's PositionalEmbedding: adds the first L rows of a [maxLength, width] table."""

    def __init__(self, max_length, width):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(max_length, width))

    def forward(self, x):
        return x + self.weight[: x.shape[1]]


def self_attention(attention, x, causal=False, key_padding_mask=None):
    length = x.shape[1]
    mask = torch.triu(torch.ones(length, length, dtype=torch.bool), 1) if causal else None
    out, _ = attention(x, x, x, need_weights=False, attn_mask=mask, key_padding_mask=key_padding_mask)
    return out


def last_state(h_n):
    """h_n [dirs, B, h] → [B, dirs·h], forward direction first."""
    return h_n.permute(1, 0, 2).reshape(h_n.shape[1], -1)


def lengths_of(ids, padding):
    """One past the last non-padding id of each right-padded sample."""
    positions = torch.arange(1, ids.shape[1] + 1).expand_as(ids)
    return torch.where(ids != padding, positions, torch.zeros_like(positions)).max(dim=1).values


class InteropActivations(nn.Module):
    input_shape = (6,)

    def __init__(self):
        super().__init__()
        self.Relu = nn.Linear(6, 5)
        self.Leaky = nn.Linear(6, 5)
        self.Gelu = nn.Linear(6, 5)
        self.Silu = nn.Linear(6, 5)
        self.Sigmoid = nn.Linear(6, 5)
        self.Tanh = nn.Linear(6, 5, bias=False)
        self.Linear = nn.Linear(6, 5)
        self.Head = nn.Linear(35, 4)

    def forward(self, x):
        return self.Head(torch.cat([
            F.relu(self.Relu(x)), F.leaky_relu(self.Leaky(x), 0.2), gelu(self.Gelu(x)), F.silu(self.Silu(x)),
            torch.sigmoid(self.Sigmoid(x)), torch.tanh(self.Tanh(x)), self.Linear(x)], dim=-1))


class InteropGeluExact(nn.Module):
    input_shape = (3, 8)

    def __init__(self):
        super().__init__()
        self.C = nn.Conv1d(3, 4, 3, padding=1)
        self.Exact = nn.Linear(32, 6)
        self.Approx = nn.Linear(32, 6)
        self.Out = nn.Linear(12, 3)

    def forward(self, x):
        features = exact_gelu(self.C(x)).flatten(1)
        return self.Out(torch.cat([exact_gelu(self.Exact(features)), gelu(self.Approx(features))], dim=-1))


class InteropConv2d(nn.Module):
    input_shape = (4, 9, 9)

    def __init__(self):
        super().__init__()
        self.C1 = nn.Conv2d(4, 8, 3, groups=2, padding=1)
        self.Norm = nn.BatchNorm2d(8)
        self.P1 = nn.MaxPool2d(3, stride=2, padding=1)
        self.C2 = nn.Conv2d(8, 8, 3, dilation=2, padding="same", groups=4, bias=False)
        self.P2 = nn.AvgPool2d(2, stride=1, padding=1, count_include_pad=True)
        self.C3 = nn.Conv2d(8, 6, 2, stride=2)
        self.Logits = nn.Linear(54, 5)

    def forward(self, x):
        x = self.P1(self.Norm(F.relu(self.C1(x))))
        x = self.P2(F.silu(self.C2(x)))
        x = torch.tanh(self.C3(x))
        return self.Logits(x.flatten(1))


class InteropPooling(nn.Module):
    input_shape = (3, 9, 9)

    def __init__(self):
        super().__init__()
        self.Wide = nn.Conv2d(3, 4, 3, stride=2, padding=1)
        self.Narrow = nn.Conv2d(3, 2, 1, stride=2)
        self.Norm = nn.GroupNorm(3, 6)
        self.Stats = nn.BatchNorm1d(6)
        self.Out = nn.Linear(6, 2)

    def forward(self, x):
        x = torch.cat([F.relu(self.Wide(x)), F.leaky_relu(self.Narrow(x), 0.01)], dim=1)
        x = self.Norm(x).mean(dim=(2, 3))
        return self.Out(self.Stats(x))


class InteropConv1d(nn.Module):
    input_shape = (4, 16)

    def __init__(self):
        super().__init__()
        self.C1 = nn.Conv1d(4, 6, 3, groups=2, dilation=2, padding=2)
        self.Norm = nn.BatchNorm1d(6)
        self.Groups = nn.GroupNorm(3, 6)
        self.C2 = nn.Conv1d(6, 4, 4, padding="same")
        self.C3 = nn.Conv1d(4, 4, 2, stride=2, groups=4, bias=False)
        self.Drop = nn.Dropout(0.3)
        self.Out = nn.Linear(32, 3)

    def forward(self, x):
        x = self.Groups(self.Norm(gelu(self.C1(x))))
        x = self.C3(torch.tanh(self.C2(x)))
        return torch.sigmoid(self.Out(self.Drop(x.flatten(1))))


class InteropEmbedding(nn.Module):
    input_shape = (6,)
    vocabulary = 11
    inner_padding = 3   # the padding id, also placed inside the sequences

    def __init__(self):
        super().__init__()
        self.Tokens = nn.Embedding(11, 4, padding_idx=3)
        self.Positions = LearnedPositions(10, 4)
        self.Norm = nn.LayerNorm(4)
        self.Mix = nn.Linear(4, 5)
        self.Logits = nn.Linear(30, 3)

    def forward(self, ids):
        x = self.Norm(self.Positions(self.Tokens(ids.long())))
        return self.Logits(gelu(self.Mix(x)).flatten(1))


class InteropAttention(nn.Module):
    input_shape = (5,)
    vocabulary = 13

    def __init__(self):
        super().__init__()
        self.Tokens = nn.Embedding(13, 8)
        self.Positions = LearnedPositions(7, 8)
        self.Norm1 = nn.LayerNorm(8)
        self.Attention = nn.MultiheadAttention(8, 2, batch_first=True)
        self.Norm2 = nn.LayerNorm(8)
        self.Up = nn.Linear(8, 16)
        self.Down = nn.Linear(16, 8)
        self.Tags = nn.Linear(8, 3)

    def forward(self, ids):
        x = self.Positions(self.Tokens(ids.long()))
        x = x + self_attention(self.Attention, self.Norm1(x))
        x = x + self.Down(gelu(self.Up(self.Norm2(x))))
        return self.Tags(x)


class InteropCausalAttention(nn.Module):
    input_shape = (6,)
    vocabulary = 10

    def __init__(self):
        super().__init__()
        self.Tokens = nn.Embedding(10, 8)
        self.Positions = LearnedPositions(6, 8)
        self.Attention = nn.MultiheadAttention(8, 4, bias=False, batch_first=True)
        self.Norm = nn.LayerNorm(8)
        self.Logits = nn.Linear(8, 10)

    def forward(self, ids):
        x = self.Positions(self.Tokens(ids.long()))
        return self.Logits(self.Norm(x + self_attention(self.Attention, x, causal=True)))


class InteropMaskedEncoder(nn.Module):
    input_shape = (7,)
    vocabulary = 9
    padding = 0
    lengths = (7, 3, 5, 1, 4)
    inner_padding = 0   # also placed inside the longer samples: it counts as a real position

    def __init__(self):
        super().__init__()
        self.Tokens = nn.Embedding(9, 6, padding_idx=0)
        self.Positions = LearnedPositions(7, 6)
        self.Attention = nn.MultiheadAttention(6, 2, batch_first=True)
        self.Encoder = nn.LSTM(6, 5, batch_first=True, bidirectional=True)
        self.Logits = nn.Linear(10, 3)

    def forward(self, ids):
        ids = ids.long()
        lengths = lengths_of(ids, self.padding)
        padded = torch.arange(ids.shape[1])[None, :] >= lengths[:, None]
        x = self.Positions(self.Tokens(ids))
        x = x + self_attention(self.Attention, x, key_padding_mask=padded)
        _, (h_n, _) = self.Encoder(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
        return self.Logits(last_state(h_n))


class InteropMaskedTagger(nn.Module):
    input_shape = (6,)
    vocabulary = 8
    padding = 0
    lengths = (6, 2, 4, 1, 3)
    inner_padding = 0

    def __init__(self):
        super().__init__()
        self.Tokens = nn.Embedding(8, 4, padding_idx=0)
        self.Encoder = nn.GRU(4, 3, batch_first=True, bidirectional=True)
        self.Tags = nn.Linear(6, 4)

    def forward(self, ids):
        ids = ids.long()
        lengths = lengths_of(ids, self.padding)
        packed, _ = self.Encoder(pack_padded_sequence(self.Tokens(ids), lengths, batch_first=True, enforce_sorted=False))
        steps, _ = pad_packed_sequence(packed, batch_first=True, total_length=ids.shape[1])
        return self.Tags(steps)


class InteropLstm(nn.Module):
    input_shape = (12,)

    def __init__(self):
        super().__init__()
        self.Encoder = nn.LSTM(3, 5, batch_first=True, bidirectional=True)
        self.Summarise = nn.LSTM(10, 4, batch_first=True)
        self.Out = nn.Linear(4, 2)

    def forward(self, x):
        steps, _ = self.Encoder(x.reshape(x.shape[0], 4, 3))
        _, (h_n, _) = self.Summarise(steps)
        return self.Out(last_state(h_n))


class InteropGru(nn.Module):
    input_shape = (5, 3)

    def __init__(self):
        super().__init__()
        self.Encoder = nn.GRU(3, 4, batch_first=True)
        self.Summarise = nn.GRU(4, 3, batch_first=True, bidirectional=True)
        self.Out = nn.Linear(6, 2)

    def forward(self, x):
        steps, _ = self.Encoder(x)
        _, h_n = self.Summarise(steps)
        return torch.tanh(self.Out(last_state(h_n)))


class InteropResidual(nn.Module):
    input_shape = (8,)

    def __init__(self):
        super().__init__()
        self.Up = nn.Linear(8, 12)
        self.Down = nn.Linear(12, 8)
        self.Gate = nn.Linear(8, 8)
        self.Norm = nn.LayerNorm(8)
        self.Head = nn.Linear(24, 3)

    def forward(self, x):
        h = x + self.Down(gelu(self.Up(x)))
        h = self.Norm(h * torch.sigmoid(self.Gate(h)))
        return self.Head(torch.cat([h, self.Down(gelu(self.Up(h))), x], dim=-1))


class InteropTwoInputs(nn.Module):
    input_shape = (9,)   # [wide (3) | deep (6)]

    def __init__(self):
        super().__init__()
        self.Deep = nn.Linear(6, 5)
        self.Norm = nn.BatchNorm1d(5)
        self.Drop = nn.Dropout(0.5)
        self.Logit = nn.Linear(8, 2)

    def forward(self, row):
        wide, deep = row[:, :3], row[:, 3:]
        return self.Logit(torch.cat([wide, self.Drop(self.Norm(F.relu(self.Deep(deep))))], dim=-1))


class InteropConvTranspose(nn.Module):
    input_shape = (4, 3, 5)

    def __init__(self):
        super().__init__()
        self.Up1 = nn.ConvTranspose2d(4, 6, 3, stride=3, padding=1, output_padding=2, groups=2)
        self.Up2 = nn.ConvTranspose2d(6, 4, 2, dilation=2, output_padding=1, bias=False)
        self.Up3 = nn.ConvTranspose2d(4, 2, 3, padding=2)

    def forward(self, x):
        return self.Up3(torch.tanh(self.Up2(F.relu(self.Up1(x)))))


class InteropUpsample(nn.Module):
    input_shape = (3, 4, 5)

    def __init__(self):
        super().__init__()
        self.Near = nn.Upsample(scale_factor=(3, 2), mode="nearest")
        self.C1 = nn.Conv2d(3, 4, 3, padding=1)
        self.Corners = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
        self.P1 = nn.MaxPool2d(4)
        self.Smooth = nn.Upsample(scale_factor=(2, 3), mode="bilinear", align_corners=False)
        self.Logits = nn.Linear(4 * 12 * 15, 3)

    def forward(self, x):
        x = self.Smooth(self.P1(self.Corners(self.C1(self.Near(x)))))
        return self.Logits(x.flatten(1))


MODELS = [InteropActivations, InteropConv2d, InteropPooling, InteropConv1d, InteropEmbedding, InteropAttention,
          InteropCausalAttention, InteropMaskedEncoder, InteropMaskedTagger, InteropLstm, InteropGru,
          InteropResidual, InteropTwoInputs, InteropGeluExact, InteropConvTranspose, InteropUpsample]
BATCH = 4


# ----------------------------------------------------------------------------------------------------
# Values

def generator_for(name, purpose):
    return torch.Generator().manual_seed(zlib.crc32(f"{name}/{purpose}".encode()))


def uniform(shape, low, high, generator):
    return low + (high - low) * torch.rand(shape, generator=generator, dtype=torch.float32)


def randomise(model, name):
    g = generator_for(name, "weights")
    state = {}
    for key, value in model.state_dict().items():
        if key.endswith("num_batches_tracked"):
            state[key] = torch.tensor(17, dtype=torch.int64)
        elif key.endswith("running_var"):
            state[key] = uniform(value.shape, 0.5, 1.5, g)
        else:
            state[key] = uniform(value.shape, -0.5, 0.5, g)
    model.load_state_dict(state, strict=True)


def make_inputs(cls):
    name = cls.__name__
    g = generator_for(name, "inputs")
    if not hasattr(cls, "vocabulary"):
        return uniform((BATCH,) + cls.input_shape, -2.0, 2.0, g)
    (length,) = cls.input_shape
    if not hasattr(cls, "lengths"):
        ids = torch.randint(0, cls.vocabulary, (BATCH, length), generator=g)
        if hasattr(cls, "inner_padding"):
            ids[0, 1] = ids[2, length - 2] = cls.inner_padding   # the padding id inside sequences
        return ids.to(torch.float32)
    ids = torch.zeros((len(cls.lengths), length), dtype=torch.int64)
    for b, n in enumerate(cls.lengths):
        ids[b, :n] = torch.randint(1, cls.vocabulary, (n,), generator=g)
        if n >= 4:
            ids[b, n // 2] = cls.inner_padding   # inside the sample: still a real position
    return ids.to(torch.float32)


def run(model, x):
    # Autograd stays on (see the module docstring); outputs are detached.
    with torch.enable_grad():
        return model(x).detach()


def build(cls):
    torch.manual_seed(zlib.crc32(cls.__name__.encode()))   # construction draws initial values; all are replaced
    model = cls()
    randomise(model, cls.__name__)
    model.eval()
    return model


def write_fixtures(directory):
    torch.set_num_threads(1)
    total = 0
    for cls in MODELS:
        name = cls.__name__
        model = build(cls)
        inputs = make_inputs(cls)
        output = run(model, inputs)
        twin64 = copy.deepcopy(model).double()
        output64 = run(twin64, inputs if hasattr(cls, "vocabulary") else inputs.double())
        weights = os.path.join(directory, f"{name}.torch.safetensors")
        io = os.path.join(directory, f"{name}.io.safetensors")
        metadata = {"model": name, "producer": "make_torch_fixtures.py", "torch": torch.__version__}
        write_safetensors(weights, list(model.state_dict().items()), dict(metadata, format="pt"))
        write_safetensors(io, [("input", inputs), ("output", output), ("output64", output64)], metadata)
        size = os.path.getsize(weights) + os.path.getsize(io)
        total += size
        parameters = sum(p.numel() for p in model.parameters())
        print(f"{name:24} {parameters:6d} parameters  input {list(inputs.shape)}  output {list(output.shape)}  "
              f"max|out| {output.abs().max().item():.4g}  |f32 - f64| {(output.double() - output64).abs().max().item():.2e}  {size} bytes")
    print(f"total {total} bytes")


# ----------------------------------------------------------------------------------------------------
# Reverse check: files saved by ModelGen, loaded into the twins

def check_modelgen(directory, results_path):
    torch.set_num_threads(1)
    lines, failures = [], 0
    for cls in MODELS:
        name = cls.__name__
        weights = os.path.join(directory, f"{name}.modelgen.safetensors")
        io = os.path.join(directory, f"{name}.modelgen-io.safetensors")
        if not (os.path.exists(weights) and os.path.exists(io)):
            lines.append(f"{name}: FAIL missing {os.path.basename(weights) if not os.path.exists(weights) else os.path.basename(io)}")
            failures += 1
            continue
        try:
            model = cls()
            saved = read_safetensors(weights)
            for key, value in model.state_dict().items():   # load_state_dict would convert a wrong dtype silently
                if key in saved and saved[key].dtype != value.dtype:
                    raise ValueError(f"'{key}' is {saved[key].dtype}, expected {value.dtype}")
            model.load_state_dict(saved, strict=True)
            model.eval()
            recorded = read_safetensors(io)
            committed = read_safetensors(os.path.join(HERE, f"{name}.io.safetensors"))["input"]
            inputs = recorded["input"].to(torch.float32).reshape(committed.shape)
            if not torch.equal(inputs, committed):
                raise ValueError("its input differs from the committed fixture input")
            expected = run(model, inputs).reshape(inputs.shape[0], -1)
            actual = recorded["output"].to(torch.float32).reshape(expected.shape)
            difference = (expected - actual).abs().max().item()
            scale = expected.abs().max().item()
            ok = difference <= TOLERANCE * scale
            failures += 0 if ok else 1
            lines.append(f"{name}: {'pass' if ok else 'FAIL'} max|torch - modelgen| {difference:.3e} scale {scale:.4g} "
                         f"relative {difference / scale if scale else float('inf'):.3e} (tolerance {TOLERANCE:g})")
        except Exception as error:   # a wrong name, shape or dtype: report it as this model's failure
            failures += 1
            lines.append(f"{name}: FAIL {type(error).__name__}: {error}".replace("\n", " "))
    text = "\n".join([f"# ModelGen-saved weights loaded into PyTorch {torch.__version__} twins (make_torch_fixtures.py --check-modelgen)"] + lines) + "\n"
    with open(results_path, "w") as f:
        f.write(text)
    print(text, end="")
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check-modelgen", metavar="DIR", help="load <Name>.modelgen.safetensors files from DIR into the twins")
    parser.add_argument("--results", metavar="PATH", default=os.path.join(HERE, "modelgen_to_torch.txt"))
    parser.add_argument("--out", metavar="DIR", default=HERE, help="where the fixtures are written (default: next to this script)")
    args = parser.parse_args()
    if args.check_modelgen:
        sys.exit(check_modelgen(args.check_modelgen, args.results))
    write_fixtures(args.out)


if __name__ == "__main__":
    main()
