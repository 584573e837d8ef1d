#!/usr/bin/env python3
"""Compares two .npy files: prints the max |difference| and fails above a
tolerance. Used to check a compiler option against the same model compiled
without it."""

import argparse
import sys

import numpy as np


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--relative", action="store_true",
                        help="tolerance relative to the largest |value| of b")
    args = parser.parse_args()
    a, b = np.load(args.a), np.load(args.b)
    if a.shape != b.shape:
        print(f"FAIL shapes differ: {a.shape} vs {b.shape}")
        return 1
    diff = float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64))))
    tol = args.tol
    if args.relative:
        tol *= float(np.max(np.abs(b.astype(np.float64))))
    verdict = "PASS" if diff <= tol else "FAIL"
    print(f"{verdict} shape {list(a.shape)} max|diff|={diff:.2g} (tol {tol:.2g})")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
