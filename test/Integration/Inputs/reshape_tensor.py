#!/usr/bin/env python3
"""Rewrites a safetensors file with one tensor's shape relabelled (same
element count, e.g. [80, 36] -> [36, 80]): a checkpoint whose data is intact
but laid out as another matrix."""

import json
import struct
import sys


def main() -> int:
    source, target, name, shape = sys.argv[1:5]
    with open(source, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    header[name]["shape"] = [int(d) for d in shape.split(",")]
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(target, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded + data[8 + length :])
    return 0


if __name__ == "__main__":
    sys.exit(main())
