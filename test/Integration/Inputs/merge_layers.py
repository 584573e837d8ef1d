#!/usr/bin/env python3
"""The independent reference of --merge-layers: writes the checkpoint of
the model whose layers FIRST..LAST (consecutive `model.layers.N.*`) are
merged into layer FIRST, the later layers renumbered to follow it.

    merge_layers.py SOURCE.safetensors TARGET.safetensors MODE FIRST LAST

MODE laco: W_FIRST + sum over the others of (W_i + (-W_FIRST)), added in
layer order in float32 (LaCo); average: their sum in layer order, times
1 / count.
"""

import re
import sys

import numpy as np

from f32_safetensors import read, write


def main():
    source, target, mode, first, last = sys.argv[1:6]
    first, last = int(first), int(last)
    tensors = dict(read(source))
    layer = re.compile(r"^model\.layers\.(\d+)\.(.*)$")
    out = {}
    for name, w in tensors.items():
        match = layer.match(name)
        if not match:
            out[name] = w
            continue
        index, rest = int(match.group(1)), match.group(2)
        if first < index <= last:
            continue
        if index == first:
            others = [tensors["model.layers.%d.%s" % (i, rest)]
                      for i in range(first + 1, last + 1)]
            merged = w.astype(np.float32)
            if mode == "laco":
                negated = w * np.float32(-1.0)
                for other in others:
                    merged = merged + (other + negated)
            else:
                for other in others:
                    merged = merged + other
                merged = merged * np.float32(1.0 / (len(others) + 1))
            w = merged
        if index > last:
            index -= last - first
        out["model.layers.%d.%s" % (index, rest)] = w
    write(target, out)


if __name__ == "__main__":
    main()
