#!/usr/bin/env python3
"""Writes a copy of a safetensors checkpoint with one value replaced:

  set_element.py IN.safetensors OUT.safetensors NAME INDEX VALUE

For an F32 tensor, its element INDEX (row-major) becomes VALUE; for a U8
tensor (a quantized weight's bytes), the f16 at byte INDEX does (a block's
scale). VALUE is anything Python's float() reads (1e6, nan, inf): a
checkpoint holding a value that a quantized format cannot, or a damaged
block."""

import json
import struct
import sys

import numpy as np


def main() -> int:
    source, target, name, index, value = sys.argv[1:6]
    with open(source, "rb") as f:
        data = bytearray(f.read())
    (length,) = struct.unpack("<Q", data[:8])
    info = json.loads(data[8 : 8 + length])[name]
    kinds = {"F32": ("<f4", 4), "U8": ("<f2", 1)}
    kind, width = kinds[info["dtype"]]
    at = 8 + length + info["data_offsets"][0] + int(index) * width
    encoded = np.array([float(value)], dtype=kind).tobytes()
    data[at : at + len(encoded)] = encoded
    with open(target, "wb") as f:
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
