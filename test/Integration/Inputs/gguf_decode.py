#!/usr/bin/env python3
"""Decodes a program's quantized weights with the `gguf` package's own code.

  gguf_decode.py QUANTIZED.safetensors ORIGINAL.safetensors FORMAT

QUANTIZED is what `loomc --quantize=FORMAT --emit=weights` writes: each
quantized matrix NAME.FORMAT as its bytes (U8, a row of blocks per row).
Every such tensor is decoded by gguf-py (llama.cpp's Python package, an
independent reading of GGUF's layouts) and by quant_ref.py; the two must
agree exactly, and the decoded matrix must be the original weights
(ORIGINAL's NAME; a fused `p.{a,b}.w` the concatenation of p.a.w and
p.b.w) within the format's rounding error.
"""

import os
import re
import sys

import numpy as np
from gguf import GGMLQuantizationType
from gguf.quants import dequantize

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(HERE))
import quant_ref  # noqa: E402
import reference as ref  # noqa: E402

TYPES = {"q8_0": GGMLQuantizationType.Q8_0, "q4_0": GGMLQuantizationType.Q4_0,
         "q4_1": GGMLQuantizationType.Q4_1, "q4_k": GGMLQuantizationType.Q4_K}


def original(tensors, name):
    """The f32 matrix NAME stands for (parts of a fused name concatenated)."""
    match = re.fullmatch(r"(.*)\{(.*)\}(.*)", name)
    if not match:
        return tensors[name]
    head, parts, tail = match.groups()
    return np.concatenate([tensors[head + p + tail] for p in parts.split(",")])


def main():
    quantized = ref.load_safetensors(sys.argv[1])
    tensors = ref.load_safetensors(sys.argv[2])
    fmt = sys.argv[3]
    suffix = "." + fmt
    names = sorted(n for n in quantized if n.endswith(suffix))
    failures = 0
    for name in names:
        data = quantized[name]
        source = original(tensors, name[:-len(suffix)])
        k = source.shape[1]
        theirs = dequantize(data, TYPES[fmt]).reshape(source.shape)
        ours = quant_ref.dequantize(data, fmt, k)
        # Rounding error: well within a tenth of the largest weight.
        error = np.abs(theirs - source).max() / np.abs(source).max()
        ok = np.array_equal(theirs, ours) and error < 0.1
        failures += not ok
        print("%s %s: gguf decodes %s, max error %.3f of the largest weight"
              % ("PASS" if ok else "FAIL", name,
                 "as quant_ref does" if np.array_equal(theirs, ours)
                 else "differently", error))
    print("%s %d %s tensors" % ("PASS" if names and not failures else "FAIL",
                                len(names), fmt))
    return 1 if failures or not names else 0


if __name__ == "__main__":
    sys.exit(main())
