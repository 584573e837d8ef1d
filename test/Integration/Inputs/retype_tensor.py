#!/usr/bin/env python3
"""Rewrites a safetensors file with one tensor's dtype relabelled (same byte
size, e.g. F32 -> I32): a checkpoint whose data is intact but whose dtype a
model cannot use."""

import json
import struct
import sys


def main() -> int:
    source, target, name, dtype = sys.argv[1:5]
    with open(source, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    header[name]["dtype"] = dtype
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(target, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded + data[8 + length :])
    return 0


if __name__ == "__main__":
    sys.exit(main())
