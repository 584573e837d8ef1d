#!/usr/bin/env python3
"""Prints one line per tensor of a safetensors file: name, dtype, shape."""

import json
import struct
import sys


def main() -> int:
    with open(sys.argv[1], "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
    for name, entry in sorted(header.items()):
        if name != "__metadata__":
            print(name, entry["dtype"], entry["shape"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
