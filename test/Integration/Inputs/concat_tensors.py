#!/usr/bin/env python3
"""Adds to a safetensors file a tensor that concatenates others along axis 0:

  concat_tensors.py IN OUT NEW SOURCE...

so that a model reading NEW from the checkpoint can be compared with one that
derives it from the SOURCE tensors at load."""

import json
import struct
import sys

import numpy as np


def main() -> int:
    source, target, new, *parts = sys.argv[1:]
    with open(source, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    body = data[8 + length :]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        assert entry["dtype"] == "F32", name
        tensors[name] = np.frombuffer(body[begin:end], np.float32).reshape(
            entry["shape"])
    tensors[new] = np.concatenate([tensors[p] for p in parts], axis=0)
    out_header, blobs, offset = {}, [], 0
    for name, value in tensors.items():
        blob = np.ascontiguousarray(value, np.float32).tobytes()
        out_header[name] = {"dtype": "F32", "shape": list(value.shape),
                            "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    encoded = json.dumps(out_header).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(target, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
