#!/usr/bin/env python3
"""Prints one tensor's bytes of a safetensors file in hex."""

import json
import struct
import sys


def main() -> int:
    path, name = sys.argv[1:3]
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    begin, end = header[name]["data_offsets"]
    print(data[8 + length + begin : 8 + length + end].hex())
    return 0


if __name__ == "__main__":
    sys.exit(main())
