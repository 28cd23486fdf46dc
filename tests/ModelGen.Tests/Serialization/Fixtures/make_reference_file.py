"""Writes reference.safetensors from the format's definition, using only the standard library.

The file is an 8-byte little-endian header length, a compact JSON header padded with spaces to a
multiple of 8 bytes, then the tensors' little-endian bytes. The layout follows the documented order of
ModelGen's writer, so the C# test can compare bytes exactly: "__metadata__" first (keys sorted), the
tensors in the order listed below, and the data of 8-byte dtypes first, then 4-, 2- and 1-byte ones,
each group in list order.

Run: python3 make_reference_file.py   (rewrites reference.safetensors next to this script)
"""
import json
import os
import struct


def bf16(value):
    # The upper half of the float32; the values used are exact in bfloat16.
    bits = struct.unpack("<I", struct.pack("<f", value))[0]
    assert bits & 0xFFFF == 0, value
    return struct.pack("<H", bits >> 16)


# name, dtype, shape, element size, little-endian bytes
TENSORS = [
    ("layer.weight", "F32", [2, 3], 4, struct.pack("<6f", 0.5, -1.25, 3.0, 1024.0, -0.0, 0.15625)),
    ("layer.bias", "F32", [3], 4, struct.pack("<3f", 1.0, 2.0, -4.0)),
    ("half", "F16", [4], 2, struct.pack("<4e", 1.0, -2.5, 65504.0, 2.0 ** -14)),
    ("norm.num_batches_tracked", "I64", [], 8, struct.pack("<q", 7)),
    ("brain", "BF16", [2, 2], 2, b"".join(bf16(v) for v in (1.0, -3.5, 256.0, 0.0078125))),
    ("double", "F64", [2], 8, struct.pack("<2d", 2.0 ** 100, -0.375)),
    ("empty", "F32", [0, 4], 4, b""),
    ("ids", "I32", [3], 4, struct.pack("<3i", -1, 0, 2147483647)),
]
METADATA = {"producer": "make_reference_file.py", "format": "pt"}

offsets = {}
position = 0
for size in (8, 4, 2, 1):
    for name, _, _, element_size, data in TENSORS:
        if element_size == size:
            offsets[name] = (position, position + len(data))
            position += len(data)

header = {"__metadata__": dict(sorted(METADATA.items()))}
for name, dtype, shape, _, _ in TENSORS:
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": list(offsets[name])}
text = json.dumps(header, separators=(",", ":")).encode("utf-8")
text += b" " * (-len(text) % 8)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.safetensors")
with open(path, "wb") as f:
    f.write(struct.pack("<Q", len(text)))
    f.write(text)
    for size in (8, 4, 2, 1):
        for name, _, _, element_size, data in TENSORS:
            if element_size == size:
                f.write(data)
print(path, 8 + len(text) + position, "bytes")
