"""PyTorch reference for ModelGen's CrossAttentionKernels (tests/ModelGen.Tests/Layers/CrossAttentionKernelTests.cs).

Run with Debian's PyTorch 1.13:

    /usr/bin/python3 make_cross_attention_reference.py     # (re)writes cross_attention_reference.txt next to this script

nn.MultiheadAttention(d, heads, batch_first=True) in float64 with seeded weights, called as
attention(query, memory, memory, key_padding_mask=position >= length). The file holds one tensor per line,
"name shape: v v v ...", values with 17 significant digits, row-major in ModelGen's layout:
  wqkv  [d, 3d]  in_proj_weight transposed (Q, K, V column blocks)
  bqkv  [3d]     in_proj_bias
  wo    [d, d]   out_proj.weight transposed
  bo    [d]      out_proj.bias
  query [B, Sq, d], memory [B, Sk, d], lengths [B] (valid memory positions), output [B, Sq, d]
Sizes are odd on purpose (Sq = 5, Sk = 7, d = 6, 2 heads of 3); sample 1's memory has 4 valid positions.
"""
import os
import torch

B, SQ, SK, D, HEADS = 2, 5, 7, 6, 2
LENGTHS = [7, 4]

torch.manual_seed(20261206)
attention = torch.nn.MultiheadAttention(D, HEADS, batch_first=True).double()
with torch.no_grad():
    attention.in_proj_bias.normal_(0, 0.3)
    attention.out_proj.bias.normal_(0, 0.3)
query = torch.randn(B, SQ, D, dtype=torch.float64)
memory = torch.randn(B, SK, D, dtype=torch.float64)
mask = torch.arange(SK)[None, :] >= torch.tensor(LENGTHS)[:, None]
with torch.no_grad():
    output, _ = attention(query, memory, memory, key_padding_mask=mask, need_weights=False)

tensors = [
    ("wqkv", attention.in_proj_weight.detach().t().contiguous()),
    ("bqkv", attention.in_proj_bias.detach()),
    ("wo", attention.out_proj.weight.detach().t().contiguous()),
    ("bo", attention.out_proj.bias.detach()),
    ("query", query),
    ("memory", memory),
    ("lengths", torch.tensor(LENGTHS, dtype=torch.float64)),
    ("output", output),
]
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cross_attention_reference.txt")
with open(path, "w") as f:
    f.write("# nn.MultiheadAttention(6, 2, batch_first=True) in float64, torch %s; written by make_cross_attention_reference.py\n" % torch.__version__)
    for name, t in tensors:
        shape = ",".join(str(s) for s in t.shape)
        f.write("%s [%s]: %s\n" % (name, shape, " ".join("%.17g" % v for v in t.reshape(-1).tolist())))
print("wrote", path)
