#!/usr/bin/env python3
"""The independent reference of --prune-ffn: writes the checkpoint of a
Llama-style model whose gated MLPs keep `keep` neurons of each layer.

    prune_ffn.py SOURCE.safetensors TARGET.safetensors KEEP [STATS]

Scores (numpy, float64): |up[j,:]| * |down[:,j]| * |gate[j,:]| (L2 norms),
or with STATS (a --calibrate output), |down[:,j]| * sqrt(importance[j])
with importance the tensor `<down weight>.importance`. Each layer keeps the
KEEP neurons of highest score (ties: the lower index), in their order.
Every other tensor is copied as it is.
"""

import sys

import numpy as np

from f32_safetensors import read, write


def main():
    source, target, keep = sys.argv[1:4]
    keep = int(keep)
    stats = read(sys.argv[4]) if len(sys.argv) > 4 else None
    tensors = dict(read(source))
    for name in list(tensors):
        if not name.endswith("mlp.up_proj.weight"):
            continue
        prefix = name[:-len("up_proj.weight")]
        up = tensors[prefix + "up_proj.weight"].astype(np.float64)
        gate = tensors[prefix + "gate_proj.weight"].astype(np.float64)
        down = tensors[prefix + "down_proj.weight"].astype(np.float64)
        norm = lambda m, axis: np.sqrt((m * m).sum(axis=axis))
        if stats is not None:
            importance = stats[prefix + "down_proj.weight.importance"]
            score = norm(down, 0) * np.sqrt(
                np.maximum(importance.astype(np.float64), 0))
        else:
            score = norm(up, 1) * norm(down, 0) * norm(gate, 1)
        # Highest first, ties to the lower index; then in their order.
        order = sorted(range(len(score)), key=lambda j: (-score[j], j))
        kept = sorted(order[:keep])
        tensors[prefix + "up_proj.weight"] = tensors[prefix + "up_proj.weight"][kept]
        tensors[prefix + "gate_proj.weight"] = tensors[prefix + "gate_proj.weight"][kept]
        tensors[prefix + "down_proj.weight"] = tensors[prefix + "down_proj.weight"][:, kept]
    write(target, tensors)


if __name__ == "__main__":
    main()
