#!/usr/bin/env python3
"""Checks quant_ref.py's Q6_K against the `gguf` package's decoder.

The runtime reads Q6_K tensors from GGUF files and decodes them at load;
the tests write such files with quant_ref.py's bytes and compare with
checkpoints rounded by quant_ref.py's decoder. This checks that decoder,
and the bytes' layout, against llama.cpp's own Python code.
"""

import os
import sys

import numpy as np
from gguf import GGMLQuantizationType
from gguf.quants import dequantize

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(HERE))
import quant_ref  # noqa: E402


def main():
    rng = np.random.default_rng(6)
    w = (rng.standard_normal((8, 768)) * 0.05).astype(np.float32)
    data = quant_ref.quantize(w, "q6_k")
    ours = quant_ref.dequantize(data, "q6_k", 768)
    theirs = dequantize(data, GGMLQuantizationType.Q6_K).reshape(w.shape)
    error = np.abs(ours - w).max() / np.abs(w).max()
    ok = np.array_equal(ours, theirs) and error < 0.05
    print("%s q6_k: gguf decodes %s, max error %.4f of the largest weight"
          % ("PASS" if ok else "FAIL",
             "as quant_ref does" if np.array_equal(ours, theirs)
             else "differently", error))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
