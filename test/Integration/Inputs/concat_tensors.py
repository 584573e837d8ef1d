#!/usr/bin/env python3
"""Adds to a safetensors file a tensor that concatenates others along axis 0:

  concat_tensors.py IN OUT NEW SOURCE...

so that a model reading NEW from the checkpoint can be compared with one that
derives it from the SOURCE tensors at load."""

import sys

import numpy as np

import f32_safetensors


def main() -> int:
    source, target, new, *parts = sys.argv[1:]
    tensors = f32_safetensors.read(source)
    tensors[new] = np.concatenate([tensors[p] for p in parts], axis=0)
    f32_safetensors.write(target, tensors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
