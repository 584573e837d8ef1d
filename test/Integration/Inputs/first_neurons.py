#!/usr/bin/env python3
"""The independent reference of --extract-ffn: writes the checkpoint of the
MatFormer sub-model that keeps the first KEEP neurons of every
feed-forward network.

    first_neurons.py SOURCE.safetensors TARGET.safetensors KEEP UP DOWN [BIAS]

Tensors whose names end in one of the comma-separated suffixes UP (up and
gate weights: rows) or BIAS (their biases) keep their first KEEP rows;
those ending in DOWN (down weights) their first KEEP columns. Every other
tensor is copied as it is.
"""

import sys

from f32_safetensors import read, write


def main():
    source, target, keep, up, down = sys.argv[1:6]
    keep = int(keep)
    bias = tuple(sys.argv[6].split(",")) if len(sys.argv) > 6 else ()
    tensors = dict(read(source))
    for name in list(tensors):
        if name.endswith(tuple(up.split(","))) or (bias and name.endswith(bias)):
            tensors[name] = tensors[name][:keep]
        elif name.endswith(tuple(down.split(","))):
            tensors[name] = tensors[name][:, :keep]
    write(target, tensors)


if __name__ == "__main__":
    main()
