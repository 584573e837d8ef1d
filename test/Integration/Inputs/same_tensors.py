#!/usr/bin/env python3
"""Compares two safetensors files tensor by tensor:

  same_tensors.py A.safetensors B.safetensors [--tol T]

PASS (exit 0) if both hold the same names and shapes and every value of A
is within T times the largest magnitude of its tensor in B (default 1e-5)
of B's; else FAIL naming the first tensor that differs (exit 1)."""

import argparse
import os
import sys

import numpy as np

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import reference as ref  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--tol", type=float, default=1e-5)
    args = ap.parse_args()
    a, b = ref.load_safetensors(args.a), ref.load_safetensors(args.b)
    if sorted(a) != sorted(b):
        print("FAIL names differ: %s" % sorted(set(a) ^ set(b)))
        return 1
    for name in sorted(a):
        x = np.asarray(a[name], dtype=np.float64)
        y = np.asarray(b[name], dtype=np.float64)
        if x.shape != y.shape:
            print("FAIL %s: shapes %s and %s" % (name, x.shape, y.shape))
            return 1
        scale = max(float(np.abs(y).max()) if y.size else 0.0, 1e-30)
        diff = float(np.abs(x - y).max()) / scale if x.size else 0.0
        if not diff <= args.tol:
            print("FAIL %s: max difference %.3g of its largest value" %
                  (name, diff))
            return 1
    print("PASS %d tensors" % len(a))
    return 0


if __name__ == "__main__":
    sys.exit(main())
