#!/usr/bin/env python3
"""Writes a safetensors checkpoint as a GGUF file (version 3), for tests.

  to_gguf.py IN.safetensors OUT.gguf [--quantize REGEX=FORMAT ...]
             [--rounded OUT.safetensors]

Tensors keep their names; 2-D tensors whose name matches a --quantize
pattern are stored in that block format (q8_0, q4_0, q4_1, q4_k, q6_k; quant_ref.py's
bytes), the rest as F32. With --rounded, also writes the same checkpoint as
safetensors with those tensors rounded through their format (the f32 values
a program decodes from the GGUF file), to compare runs exactly. With
--halve-q8, Q8_0 blocks store their integers halved and their scale doubled
(valid, but not what rounding to nearest writes), so that a test can tell
bytes used as stored from bytes decoded and rounded again; --dump NAME
prints that tensor's stored bytes in hex. --break-scale NAME gives the
second block of that quantized tensor's second row an infinite scale (a
damaged file).
"""

import argparse
import os
import re
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(HERE))
import quant_ref  # noqa: E402
import reference as ref  # noqa: E402

GGML_TYPE = {"f32": 0, "q4_0": 2, "q4_1": 3, "q8_0": 8, "q4_k": 12,
             "q6_k": 14}
ALIGNMENT = 32
BLOCK_WEIGHTS = {"q4_0": 32, "q4_1": 32, "q8_0": 32, "q4_k": 256}


def gguf_string(text):
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("source")
    ap.add_argument("target")
    ap.add_argument("--quantize", action="append", default=[])
    ap.add_argument("--rounded")
    ap.add_argument("--halve-q8", action="store_true")
    ap.add_argument("--dump")
    ap.add_argument("--break-scale")
    args = ap.parse_args()
    rules = []
    for rule in args.quantize:
        pattern, fmt = rule.rsplit("=", 1)
        rules.append((re.compile(pattern), fmt))

    tensors = ref.load_safetensors(args.source)
    records, blobs, rounded = [], [], {}
    for name in sorted(tensors):
        value = np.asarray(tensors[name], dtype=np.float32)
        fmt = "f32"
        if value.ndim == 2:
            for pattern, candidate in rules:
                if pattern.search(name):
                    fmt = candidate
                    break
        if fmt == "f32":
            blob = np.ascontiguousarray(value).tobytes()
            rounded[name] = value
        else:
            data = quant_ref.quantize(value, fmt)
            if fmt == "q8_0" and args.halve_q8:
                blocks = data.reshape(data.shape[0], -1, 34)
                d = blocks[..., 0:2].copy().view(np.float16) * np.float16(2)
                q = (blocks[..., 2:].view(np.int8) // 2).astype(np.int8)
                blocks[..., 0:2] = d.view(np.uint8)
                blocks[..., 2:] = q.view(np.uint8)
            if name == args.break_scale:
                # Every format here keeps a block's f16 scale first.
                row = data.reshape(data.shape[0], -1)[1]
                block = len(row) // (value.shape[1] // BLOCK_WEIGHTS[fmt])
                row[block:block + 2] = np.frombuffer(
                    np.float16(np.inf).tobytes(), dtype=np.uint8)
            blob = data.tobytes()
            stored = np.frombuffer(blob, dtype=np.uint8)
            with np.errstate(invalid="ignore"):  # --break-scale's block
                rounded[name] = quant_ref.dequantize(
                    stored.reshape(value.shape[0], -1), fmt, value.shape[1])
        records.append((name, list(reversed(value.shape)), GGML_TYPE[fmt]))
        blobs.append(blob)

    out = bytearray(b"GGUF")
    out += struct.pack("<IQQ", 3, len(records), 2)
    out += gguf_string("general.architecture") + struct.pack("<I", 8)
    out += gguf_string("test")
    out += gguf_string("general.alignment") + struct.pack("<II", 4, ALIGNMENT)
    offset = 0
    offsets = []
    for (name, dims, kind), blob in zip(records, blobs):
        out += gguf_string(name) + struct.pack("<I", len(dims))
        out += b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", kind, offset)
        offsets.append(offset)
        offset = (offset + len(blob) + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT
    out += b"\0" * (-len(out) % ALIGNMENT)
    start = len(out)
    out += b"\0" * offset
    for position, blob in zip(offsets, blobs):
        out[start + position:start + position + len(blob)] = blob
    with open(args.target, "wb") as f:
        f.write(out)
    if args.dump:
        print(blobs[[r[0] for r in records].index(args.dump)].hex())
    if args.rounded:
        ref.save_safetensors(args.rounded, rounded)
    return 0


if __name__ == "__main__":
    sys.exit(main())
