#!/usr/bin/env python3
"""The independent reference of a calibration run's block influence: runs
the Llama of PARAMS (loomc --emit=params) on WEIGHTS over IDS in float64
(reference.py) and checks each layer's ShortGPT block influence,
1 - cos(input row, output row) averaged over the rows, against the
`model.layers.N.block_influence` tensors the program wrote to STATS.

    block_influence.py PARAMS.json WEIGHTS STATS "ID ID ..." [--drop N]

Prints each layer's two values and PASS or FAIL; with --drop N, also the N
layers of least reference influence (ties: the later), comma-separated.
"""

import argparse
import json
import os
import sys

import torch

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import reference as ref  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("params")
    parser.add_argument("weights")
    parser.add_argument("stats")
    parser.add_argument("ids")
    parser.add_argument("--drop", type=int, default=0)
    args = parser.parse_args()
    cfg = json.load(open(args.params))["config"]
    W = ref.as_weights(ref.load_safetensors(args.weights))
    stats = ref.load_safetensors(args.stats)
    ids = [int(t) for t in args.ids.split()]

    x = ref.embed(W, "model.embed_tokens.weight", ids, cfg["vocab"],
                  cfg["dim"])
    scores, ok = [], True
    for i in range(cfg["layers"]):
        name = "model.layers.%d" % i
        y = ref.llama_block(W, name, x, cfg["dim"], cfg["heads"],
                            cfg["kv_heads"], cfg["ffn"], cfg["eps"],
                            cfg["rope_theta"])
        cos = torch.nn.functional.cosine_similarity(x, y, dim=-1)
        expected = float((1 - cos).mean())
        got = float(stats[name + ".block_influence"][0])
        good = abs(got - expected) <= 1e-6 + 1e-4 * abs(expected)
        ok &= good
        print("%s %.8f %.8f%s" % (name, expected, got, "" if good else " !"))
        scores.append((expected, -i, name))
        x = y
    print("PASS" if ok else "FAIL")
    if args.drop:
        dropped = sorted(sorted(scores)[:args.drop], key=lambda s: -s[1])
        print("drop " + ",".join(name for _, _, name in dropped))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
