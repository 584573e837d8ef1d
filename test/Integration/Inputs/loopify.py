#!/usr/bin/env python3
"""The independent reference of --loopify: writes the checkpoint in which
each layer's matrices are what the looped program computes with.

    loopify.py SOURCE.safetensors TARGET.safetensors BLOCKS INIT RANK [STATS]

Layer l of `model.layers.L.*` runs shared block l mod BLOCKS, whose matrix
is the average (INIT=average: summed in layer order in float32, then
scaled) or the first (INIT=first) of the matrices of the layers it stands
for. With RANK > 0, each layer's matrix is the shared one plus the best
rank-RANK approximation of its difference from it (numpy's SVD, float64;
with STATS, a --calibrate output, activation-aware as in low_rank.py, with
the layer's own `<name>.importance`).
Vectors (norm scales) stay each layer's own. A model built without
--loopify computes on TARGET what the looped program computes on SOURCE.
"""

import re
import sys

import numpy as np

from f32_safetensors import read, write
from low_rank import whitening


def main():
    source, target, blocks, init, rank = sys.argv[1:6]
    blocks, rank = int(blocks), int(rank)
    stats = read(sys.argv[6]) if len(sys.argv) > 6 else None
    tensors = dict(read(source))
    layer = re.compile(r"^model\.layers\.(\d+)\.(.*)$")
    groups = {}
    for name, w in tensors.items():
        match = layer.match(name)
        if match and w.ndim == 2:
            index = int(match.group(1))
            groups.setdefault((index % blocks, match.group(2)), []).append(
                (index, name))
    for members in groups.values():
        members.sort()
        if init == "first":
            shared = tensors[members[0][1]]
        else:
            shared = tensors[members[0][1]].astype(np.float32)
            for _, name in members[1:]:
                shared = shared + tensors[name]
            shared = shared * np.float32(1.0 / len(members))
        updated = {}
        for _, name in members:
            w = shared
            if rank > 0:
                difference = tensors[name].astype(np.float64) - shared
                scales = np.ones(difference.shape[1])
                if stats is not None:
                    scales = whitening(stats[name + ".importance"])
                u, s, vt = np.linalg.svd(difference * scales,
                                         full_matrices=False)
                w = shared + (u[:, :rank] * s[:rank]) @ vt[:rank] / scales
            updated[name] = np.asarray(w, dtype=np.float32)
        tensors.update(updated)
    write(target, tensors)


if __name__ == "__main__":
    main()
