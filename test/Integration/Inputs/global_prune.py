#!/usr/bin/env python3
"""The independent reference of --prune-ffn=RATIO --prune-scope=global on
the Llama of PARAMS (loomc --emit=params) and WEIGHTS.

    global_prune.py PARAMS.json WEIGHTS RATIO "ID ID ..." LOGITS.npy [STATS]

Scores (numpy, float64): each neuron's |up[j,:]| * |down[:,j]| *
|gate[j,:]| (L2 norms), or with STATS (a --calibrate output) |down[:,j]| *
sqrt(importance[j]); each divided by the mean score of its layer. The
floor(RATIO * all neurons) lowest of the whole model go (ties: the earlier
layer, then the lower neuron), each layer keeping at least one; each layer
keeps its remaining neurons, in their order. The pruned model (layers of
different widths) runs in float64 (reference.py) over IDS; its logits are
written to LOGITS.npy and the kept widths printed.
"""

import json
import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import reference as ref  # noqa: E402


def main():
    params, weights, ratio, ids, out = sys.argv[1:6]
    stats = ref.load_safetensors(sys.argv[6]) if len(sys.argv) > 6 else None
    cfg = json.load(open(params))["config"]
    tensors = ref.load_safetensors(weights)
    ids = [int(t) for t in ids.split()]
    norm = lambda m, axis: np.sqrt((m.astype(np.float64) ** 2).sum(axis=axis))

    layers = ["model.layers.%d.mlp." % i for i in range(cfg["layers"])]
    scores, everything = [], []
    for index, prefix in enumerate(layers):
        down = tensors[prefix + "down_proj.weight"]
        if stats is not None:
            importance = stats[prefix + "down_proj.weight.importance"]
            score = norm(down, 0) * np.sqrt(
                np.maximum(importance.astype(np.float64), 0))
        else:
            score = (norm(tensors[prefix + "up_proj.weight"], 1) *
                     norm(down, 0) *
                     norm(tensors[prefix + "gate_proj.weight"], 1))
        scores.append(score)
        relative = score / score.mean()
        everything += [(relative[j], index, j) for j in range(len(score))]
    remove = int(np.floor(float(ratio) * len(everything)))
    removed = [set() for _ in layers]
    for _, index, j in sorted(everything):
        if remove == 0:
            break
        if len(scores[index]) - len(removed[index]) <= 1:
            continue
        removed[index].add(j)
        remove -= 1

    widths = []
    for index, prefix in enumerate(layers):
        kept = [j for j in range(len(scores[index])) if j not in removed[index]]
        widths.append(len(kept))
        for name in ("up_proj.weight", "gate_proj.weight"):
            tensors[prefix + name] = tensors[prefix + name][kept]
        tensors[prefix + "down_proj.weight"] = \
            tensors[prefix + "down_proj.weight"][:, kept]

    W = ref.as_weights(tensors)
    x = ref.embed(W, "model.embed_tokens.weight", ids, cfg["vocab"],
                  cfg["dim"])
    for index in range(cfg["layers"]):
        x = ref.llama_block(W, "model.layers.%d" % index, x, cfg["dim"],
                            cfg["heads"], cfg["kv_heads"], widths[index],
                            cfg["eps"], cfg["rope_theta"])
    logits = ref._llama_head(W, x, cfg, cfg["eps"])
    np.save(out, logits.to(torch.float32).numpy())
    print("widths " + " ".join(map(str, widths)))
    print("uneven" if len(set(widths)) > 1 else "even")


if __name__ == "__main__":
    main()
