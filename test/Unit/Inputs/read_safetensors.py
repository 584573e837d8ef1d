"""Prints the tensors of a safetensors file, index or directory, one per line:
`name dtype shape mean-abs`, after checking the layout (used by lit tests)."""

import json
import os
import struct
import sys

import numpy as np

NP = {"F32": "<f4", "F16": "<f2"}


def read_file(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    assert (8 + n) % 8 == 0, "header not padded to 8 bytes"
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    end = 0
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, stop = entry["data_offsets"]
        assert begin == end, f"{name}: not contiguous"
        end = stop
        raw = data[begin:stop]
        if entry["dtype"] == "BF16":
            bits = np.frombuffer(raw, "<u2").astype(np.uint32) << 16
            values = bits.view(np.float32)
        else:
            values = np.frombuffer(raw, NP[entry["dtype"]]).astype(np.float32)
        assert values.size == int(np.prod(entry["shape"])), name
        out[name] = (entry["dtype"], entry["shape"], values)
    assert end == len(data), "trailing bytes"
    return out


def main(path):
    tensors = {}
    if os.path.isdir(path):
        index = os.path.join(path, "model.safetensors.index.json")
        if os.path.exists(index):
            with open(index) as f:
                weight_map = json.load(f)["weight_map"]
            for shard in sorted(set(weight_map.values())):
                part = read_file(os.path.join(path, shard))
                for name in part:
                    assert weight_map[name] == shard, name
                    print(f"shard {shard} {name}")
                tensors.update(part)
        else:
            tensors = read_file(os.path.join(path, "model.safetensors"))
    else:
        tensors = read_file(path)
    for name in sorted(tensors):
        dtype, shape, values = tensors[name]
        print(f"{name} {dtype} {shape} {float(np.abs(values).mean()):.3f}")


main(sys.argv[1])
