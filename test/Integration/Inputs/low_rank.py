#!/usr/bin/env python3
"""The independent reference of --low-rank: writes the checkpoint in which
each factored weight is replaced by its best rank-r approximation.

    low_rank.py SOURCE.safetensors TARGET.safetensors RANK PATTERN [STATS]

RANK is a rank, or `energy=E`: each tensor's own rank, the smallest whose
largest singular values (of W diag(s) with STATS) keep E of their squares'
sum.

Every 2-D tensor whose name matches the regular expression PATTERN, and
whose factors at RANK would be smaller than it (RANK * (N + K) < N * K), is
replaced by U_r S_r V_r^T (numpy's SVD, float64); with STATS (a
--calibrate output), activation-aware: the rank-r approximation of
W diag(s), times diag(s)^-1, with s the square roots of the tensor
`<name>.importance` floored at 1e-5 of their largest. Every other tensor is
copied as it is. The model that reads TARGET computes what the factored
program computes, up to the rounding of two thin products against one.
"""

import re
import sys

import numpy as np

from f32_safetensors import read, write


def whitening(importance):
    """The column scales of an activation-aware decomposition."""
    importance = importance.astype(np.float64)
    return np.sqrt(np.maximum(importance, 1e-10 * importance.max()))


def main():
    source, target, rank, pattern = sys.argv[1:5]
    energy = float(rank[len("energy="):]) if rank.startswith("energy=") \
        else None
    stats = read(sys.argv[5]) if len(sys.argv) > 5 else None
    tensors = dict(read(source))
    factored, ranks = 0, []
    for name, w in sorted(tensors.items()):
        if w.ndim != 2 or not re.search(pattern, name):
            continue
        n, k = w.shape
        scales = np.ones(k)
        if stats is not None:
            scales = whitening(stats[name + ".importance"])
        u, s, vt = np.linalg.svd(w.astype(np.float64) * scales,
                                 full_matrices=False)
        r = int(rank) if energy is None else int(np.searchsorted(
            np.cumsum(s ** 2), energy * (s ** 2).sum()) + 1)
        if r * (n + k) >= n * k:
            continue
        approx = (u[:, :r] * s[:r]) @ vt[:r] / scales
        tensors[name] = approx.astype(np.float32)
        factored += 1
        ranks.append(r)
    if energy is None:
        print(f"factored {factored} weights at rank {rank}")
    else:
        print(f"factored {factored} weights at ranks "
              f"{min(ranks)}-{max(ranks)} ({len(set(ranks))} distinct)")
    write(target, tensors)


if __name__ == "__main__":
    main()
