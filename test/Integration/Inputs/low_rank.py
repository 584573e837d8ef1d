#!/usr/bin/env python3
"""The independent reference of --low-rank: writes the checkpoint in which
each factored weight is replaced by its best rank-r approximation.

    low_rank.py SOURCE.safetensors TARGET.safetensors RANK PATTERN

Every 2-D tensor whose name matches the regular expression PATTERN, and
whose factors at RANK would be smaller than it (RANK * (N + K) < N * K), is
replaced by U_r S_r V_r^T (numpy's SVD, float64). Every other tensor is
copied as it is. The model that reads TARGET computes what the factored
program computes, up to the rounding of two thin products against one.
"""

import re
import sys

import numpy as np

from f32_safetensors import read, write


def main():
    source, target, rank, pattern = sys.argv[1:5]
    rank = int(rank)
    tensors = dict(read(source))
    factored = 0
    for name, w in tensors.items():
        if w.ndim != 2 or not re.search(pattern, name):
            continue
        n, k = w.shape
        if rank * (n + k) >= n * k:
            continue
        u, s, vt = np.linalg.svd(w.astype(np.float64), full_matrices=False)
        tensors[name] = ((u[:, :rank] * s[:rank]) @ vt[:rank]).astype(np.float32)
        factored += 1
    print(f"factored {factored} weights at rank {rank}")
    write(target, tensors)


if __name__ == "__main__":
    main()
