#!/usr/bin/env python3
"""The independent reference of --prune-heads: writes the checkpoint of a
Llama-style model whose attentions keep `keep` key/value head groups.

    prune_heads.py SOURCE.safetensors TARGET.safetensors HEADS KV HEAD_DIM KEEP [STATS]

A group is a key/value head and the HEADS / KV query heads that read it.
Scores (numpy, float64): (sum over the group's query heads h of
|wq_h| * |wo_h|) * |wk_g| * |wv_g| (Frobenius norms of the heads' rows of
the q/k/v weights and columns of o), or with STATS (a --calibrate output),
sqrt(sum over the group's channels c of |wo[:, c]|^2 * importance[c]) with
importance the tensor `<o weight>.importance`. Each layer keeps the KEEP
groups of highest score (ties: the lower index), in their order.
"""

import sys

import numpy as np

from f32_safetensors import read, write


def main():
    source, target = sys.argv[1:3]
    heads, kv, hd, keep = (int(x) for x in sys.argv[3:7])
    stats = read(sys.argv[7]) if len(sys.argv) > 7 else None
    per = heads // kv
    tensors = dict(read(source))
    for name in list(tensors):
        if not name.endswith("self_attn.q_proj.weight"):
            continue
        prefix = name[:-len("q_proj.weight")]
        wq, wk, wv, wo = (tensors[prefix + p + "_proj.weight"].astype(
            np.float64) for p in "qkvo")
        fro = lambda m: np.sqrt((m * m).sum())
        scores = []
        for g in range(kv):
            if stats is not None:
                imp = stats[prefix + "o_proj.weight.importance"].astype(
                    np.float64)
                cols = range(g * per * hd, (g + 1) * per * hd)
                scores.append(np.sqrt(sum(
                    (wo[:, c] ** 2).sum() * max(imp[c], 0) for c in cols)))
            else:
                s = sum(fro(wq[h * hd:(h + 1) * hd]) *
                        fro(wo[:, h * hd:(h + 1) * hd])
                        for h in range(g * per, (g + 1) * per))
                scores.append(s * fro(wk[g * hd:(g + 1) * hd]) *
                              fro(wv[g * hd:(g + 1) * hd]))
        order = sorted(range(kv), key=lambda g: (-scores[g], g))
        kept = sorted(order[:keep])
        q_rows = [r for g in kept for r in range(g * per * hd,
                                                 (g + 1) * per * hd)]
        kv_rows = [r for g in kept for r in range(g * hd, (g + 1) * hd)]
        tensors[prefix + "q_proj.weight"] = tensors[prefix + "q_proj.weight"][q_rows]
        tensors[prefix + "k_proj.weight"] = tensors[prefix + "k_proj.weight"][kv_rows]
        tensors[prefix + "v_proj.weight"] = tensors[prefix + "v_proj.weight"][kv_rows]
        tensors[prefix + "o_proj.weight"] = tensors[prefix + "o_proj.weight"][:, q_rows]
    write(target, tensors)


if __name__ == "__main__":
    main()
