#!/usr/bin/env python3
"""Writes a safetensors checkpoint of random weights from a tensor manifest.

The manifest is JSON: {"tensors": [{"name": "...", "shape": [..],
"dtype": "F32"}]} (loomc emits one per model). Each tensor is filled with
normal(0, std) values from a generator seeded by --seed, in manifest order, so
the same seed and manifest always give the same bytes. Tensors whose name ends
in "norm.weight", "LayerNorm.weight" or "ln_{1,2,f}.weight" (norm scales) can be
set to ones with --norm-ones (handy for numerically tame test models).

The format is written by hand (no `safetensors` package): an 8-byte
little-endian header length, a JSON header padded with spaces to a multiple
of 8 bytes, then the tensors back to back.

  make_checkpoint.py manifest.json -o out/ [--seed 0] [--std 0.02]
                     [--dtype F32|F16|BF16] [--shards N]

With --shards 1 (the default) this writes OUT/model.safetensors (or OUT itself
if it ends in .safetensors); with N > 1, OUT/model-0000K-of-0000N.safetensors
and OUT/model.safetensors.index.json, as Hugging Face does.
"""

import argparse
import json
import os
import struct
import sys

import numpy as np

DTYPES = ("F32", "F16", "BF16")
NORM_SUFFIXES = ("norm.weight", "LayerNorm.weight", "ln_1.weight",
                 "ln_2.weight", "ln_f.weight")


def fail(message):
    sys.stderr.write(f"make_checkpoint.py: error: {message}\n")
    sys.exit(1)


def load_manifest(path):
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except OSError as e:
        fail(f"{path}: cannot read: {e.strerror}")
    except json.JSONDecodeError as e:
        fail(f"{path}: not valid JSON: {e}")
    tensors = manifest.get("tensors") if isinstance(manifest, dict) else None
    if not isinstance(tensors, list):
        fail(f"{path}: expected an object with a 'tensors' list")
    seen = set()
    for i, t in enumerate(tensors):
        if not isinstance(t, dict) or not isinstance(t.get("name"), str):
            fail(f"{path}: tensor {i} has no 'name' string")
        name = t["name"]
        if name in seen:
            fail(f"{path}: tensor '{name}' is listed twice")
        seen.add(name)
        shape = t.get("shape")
        if not isinstance(shape, list) or not all(
                isinstance(d, int) and not isinstance(d, bool) and d >= 0
                for d in shape):
            fail(f"{path}: tensor '{name}' has no 'shape' list of "
                 "non-negative integers")
        dtype = t.get("dtype", "F32")
        if dtype not in DTYPES:
            fail(f"{path}: tensor '{name}' has dtype '{dtype}'; expected one "
                 f"of {', '.join(DTYPES)}")
    return tensors


def to_bytes(values, dtype):
    """Little-endian bytes of float32 `values` in `dtype` (round to nearest
    even for the 16-bit types)."""
    values = np.ascontiguousarray(values, dtype=np.float32)
    if dtype == "F32":
        return values.astype("<f4").tobytes()
    if dtype == "F16":
        return values.astype("<f2").tobytes()
    bits = values.view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype("<u2").tobytes()


def dtype_size(dtype):
    return 4 if dtype == "F32" else 2


def make_tensor(rng, spec, std, norm_ones):
    shape = tuple(spec["shape"])
    if norm_ones and spec["name"].endswith(NORM_SUFFIXES):
        return np.ones(shape, dtype=np.float32)
    return (rng.standard_normal(shape, dtype=np.float32) * np.float32(std))


def write_safetensors(path, entries, metadata):
    """Writes `entries`, a list of (name, dtype, shape, bytes)."""
    header = {"__metadata__": metadata}
    offset = 0
    for name, dtype, shape, data in entries:
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, _, _, data in entries:
            f.write(data)
    return offset


def split_into_shards(entries, count):
    """Splits `entries` in order into `count` groups of about equal bytes;
    every group gets at least one tensor when there are enough."""
    total = sum(len(e[3]) for e in entries)
    shards = [[] for _ in range(count)]
    done = 0
    index = 0
    for i, entry in enumerate(entries):
        remaining_entries = len(entries) - i
        remaining_shards = count - index - 1
        if (shards[index] and index < count - 1 and
                (done >= total * (index + 1) / count or
                 remaining_entries <= remaining_shards)):
            index += 1
        shards[index].append(entry)
        done += len(entry[3])
    return shards


def main(argv):
    parser = argparse.ArgumentParser(
        description="Write a safetensors checkpoint of random weights.")
    parser.add_argument("manifest", help="JSON tensor manifest")
    parser.add_argument("-o", "--output", required=True,
                        help="output directory, or a .safetensors file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--std", type=float, default=0.02,
                        help="standard deviation of the weights")
    parser.add_argument("--dtype", choices=DTYPES, default=None,
                        help="store every tensor in this dtype (default: "
                        "each tensor's manifest dtype, else F32)")
    parser.add_argument("--shards", type=int, default=1)
    parser.add_argument("--norm-ones", action="store_true",
                        help="set normalization scales to 1")
    args = parser.parse_args(argv)
    if args.shards < 1:
        fail("--shards must be >= 1")
    if args.std < 0:
        fail("--std must be >= 0")
    if args.seed < 0:
        fail("--seed must be >= 0")

    specs = load_manifest(args.manifest)
    if args.shards > max(1, len(specs)):
        fail(f"--shards {args.shards} is more than the {len(specs)} tensors")
    rng = np.random.default_rng(args.seed)
    entries = []
    for spec in specs:
        dtype = args.dtype or spec.get("dtype", "F32")
        values = make_tensor(rng, spec, args.std, args.norm_ones)
        entries.append((spec["name"], dtype, spec["shape"],
                        to_bytes(values, dtype)))

    out = args.output
    metadata = {"format": "pt", "generator": "loom make_checkpoint.py",
                "seed": str(args.seed)}
    if args.shards == 1 and out.endswith(".safetensors"):
        os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
        write_safetensors(out, entries, metadata)
        return 0
    os.makedirs(out, exist_ok=True)
    if args.shards == 1:
        write_safetensors(os.path.join(out, "model.safetensors"), entries,
                          metadata)
        return 0
    weight_map = {}
    total = 0
    for k, shard in enumerate(split_into_shards(entries, args.shards), 1):
        name = f"model-{k:05d}-of-{args.shards:05d}.safetensors"
        total += write_safetensors(os.path.join(out, name), shard, metadata)
        for entry in shard:
            weight_map[entry[0]] = name
    index = {"metadata": {"total_size": total},
             "weight_map": dict(sorted(weight_map.items()))}
    with open(os.path.join(out, "model.safetensors.index.json"), "w",
              encoding="utf-8") as f:
        json.dump(index, f, indent=2)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
