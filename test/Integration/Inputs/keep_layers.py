#!/usr/bin/env python3
"""Writes a checkpoint of some layers of another, renumbered:

    keep_layers.py SOURCE.safetensors TARGET.safetensors PREFIX 0,3

keeps the tensors under PREFIX.0. and PREFIX.3. as PREFIX.0. and PREFIX.1.
(and every tensor outside PREFIX.): the checkpoint a model with fewer
layers reads, to compare with the original model with the others dropped.
"""

import json
import struct
import sys


def main():
    source, target, prefix, kept = sys.argv[1:5]
    kept = [int(k) for k in kept.split(",")]
    with open(source, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    body = data[8 + length:]
    out_header, blobs, offset = {}, [], 0
    for name, info in header.items():
        if name == "__metadata__":
            out_header[name] = info
            continue
        new = name
        if name.startswith(prefix + "."):
            layer, rest = name[len(prefix) + 1:].split(".", 1)
            if int(layer) not in kept:
                continue
            new = "%s.%d.%s" % (prefix, kept.index(int(layer)), rest)
        begin, end = info["data_offsets"]
        blob = body[begin:end]
        out_header[new] = dict(info, data_offsets=[offset, offset + len(blob)])
        blobs.append(blob)
        offset += len(blob)
    encoded = json.dumps(out_header).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(target, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))


if __name__ == "__main__":
    main()
