#!/usr/bin/env python3
"""The independent reference of --prune-scope=global on the Llama of
PARAMS (loomc --emit=params) and WEIGHTS.

    global_prune.py PARAMS.json WEIGHTS "ID ID ..." LOGITS.npy
                    [--ffn RATIO] [--heads RATIO] [--stats STATS]
                    [--steps N [--compare-tokens FILE]]

Scores (numpy, float64), as the per-layer references (prune_ffn.py,
prune_heads.py) compute them: a neuron's |up[j,:]| * |down[:,j]| *
|gate[j,:]|, or with STATS (a --calibrate output) |down[:,j]| *
sqrt(importance[j]); a head group's (sum over its query heads of |wq_h| *
|wo_h|) * |wk_g| * |wv_g|, or with STATS sqrt(sum over its channels c of
|wo[:, c]|^2 * importance[c]). Each score is divided by the mean score of
its layer; the floor(RATIO * all of them) lowest of the whole model go
(ties: the earlier layer, then the lower index), each layer keeping at
least one; each layer keeps its remaining neurons / groups, in their order.
The pruned model (layers of different widths and heads) runs in float64
(reference.py) over IDS; its logits are written to LOGITS.npy and the kept
counts printed; with --steps N, also N greedy tokens (full recompute),
compared with the ids in the file --compare-tokens names (PASS or FAIL).
"""

import argparse
import json
import os
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import reference as ref  # noqa: E402


def norm(m, axis=None):
    return np.sqrt((m.astype(np.float64) ** 2).sum(axis=axis))


def keep_across(scores, ratio):
    """Per layer, the indices it keeps (see the module's docstring)."""
    everything = []
    for layer, score in enumerate(scores):
        relative = score / score.mean()
        everything += [(relative[j], layer, j) for j in range(len(score))]
    remove = int(np.floor(ratio * len(everything)))
    removed = [set() for _ in scores]
    for _, layer, j in sorted(everything):
        if remove == 0:
            break
        if len(scores[layer]) - len(removed[layer]) <= 1:
            continue
        removed[layer].add(j)
        remove -= 1
    return [[j for j in range(len(s)) if j not in removed[layer]]
            for layer, s in enumerate(scores)]


def attention(W, p, x, dim, heads, kv_heads, hd, theta):
    """Llama attention of `heads` query heads of `hd` (any total width)."""
    q = ref.split_heads(ref.linear(W, p + ".q_proj", x, dim, heads * hd,
                                   False), heads, hd)
    k = ref.split_heads(ref.linear(W, p + ".k_proj", x, dim, kv_heads * hd,
                                   False), kv_heads, hd)
    v = ref.split_heads(ref.linear(W, p + ".v_proj", x, dim, kv_heads * hd,
                                   False), kv_heads, hd)
    q, k = ref.rope(q, theta), ref.rope(k, theta)
    rep = heads // kv_heads
    o = ref.sdpa(q, ref.repeat_kv(k, rep), ref.repeat_kv(v, rep), causal=True)
    return ref.linear(W, p + ".o_proj", ref.merge_heads(o), heads * hd, dim,
                      False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("params")
    ap.add_argument("weights")
    ap.add_argument("ids")
    ap.add_argument("out")
    ap.add_argument("--ffn", type=float, default=0)
    ap.add_argument("--heads", type=float, default=0)
    ap.add_argument("--stats")
    ap.add_argument("--steps", type=int, default=0)
    ap.add_argument("--compare-tokens")
    args = ap.parse_args()
    cfg = json.load(open(args.params))["config"]
    tensors = ref.load_safetensors(args.weights)
    stats = ref.load_safetensors(args.stats) if args.stats else None
    ids = [int(t) for t in args.ids.split()]
    dim, heads, kv = cfg["dim"], cfg["heads"], cfg["kv_heads"]
    hd, per = dim // heads, heads // kv
    layers = ["model.layers.%d." % i for i in range(cfg["layers"])]

    widths = [cfg["ffn"]] * len(layers)
    if args.ffn:
        scores = []
        for p in layers:
            down = tensors[p + "mlp.down_proj.weight"]
            if stats is not None:
                imp = stats[p + "mlp.down_proj.weight.importance"]
                scores.append(norm(down, 0) * np.sqrt(
                    np.maximum(imp.astype(np.float64), 0)))
            else:
                scores.append(norm(tensors[p + "mlp.up_proj.weight"], 1) *
                              norm(down, 0) *
                              norm(tensors[p + "mlp.gate_proj.weight"], 1))
        for p, kept in zip(layers, keep_across(scores, args.ffn)):
            for name in ("up_proj.weight", "gate_proj.weight"):
                tensors[p + "mlp." + name] = tensors[p + "mlp." + name][kept]
            tensors[p + "mlp.down_proj.weight"] = \
                tensors[p + "mlp.down_proj.weight"][:, kept]
        widths = [tensors[p + "mlp.up_proj.weight"].shape[0] for p in layers]

    groups = [kv] * len(layers)
    if args.heads:
        scores = []
        for p in layers:
            wq, wk, wv, wo = (tensors[p + "self_attn.%s_proj.weight" % x]
                              .astype(np.float64) for x in "qkvo")
            score = []
            for g in range(kv):
                if stats is not None:
                    imp = stats[p + "self_attn.o_proj.weight.importance"]
                    cols = range(g * per * hd, (g + 1) * per * hd)
                    score.append(np.sqrt(sum(
                        (wo[:, c] ** 2).sum() * max(float(imp[c]), 0)
                        for c in cols)))
                else:
                    s = sum(norm(wq[h * hd:(h + 1) * hd]) *
                            norm(wo[:, h * hd:(h + 1) * hd])
                            for h in range(g * per, (g + 1) * per))
                    score.append(s * norm(wk[g * hd:(g + 1) * hd]) *
                                 norm(wv[g * hd:(g + 1) * hd]))
            scores.append(np.array(score))
        for index, (p, kept) in enumerate(
                zip(layers, keep_across(scores, args.heads))):
            q_rows = [r for g in kept
                      for r in range(g * per * hd, (g + 1) * per * hd)]
            kv_rows = [r for g in kept for r in range(g * hd, (g + 1) * hd)]
            a = p + "self_attn."
            tensors[a + "q_proj.weight"] = tensors[a + "q_proj.weight"][q_rows]
            tensors[a + "k_proj.weight"] = tensors[a + "k_proj.weight"][kv_rows]
            tensors[a + "v_proj.weight"] = tensors[a + "v_proj.weight"][kv_rows]
            tensors[a + "o_proj.weight"] = \
                tensors[a + "o_proj.weight"][:, q_rows]
            groups[index] = len(kept)

    W = ref.as_weights(tensors)
    eps = cfg["eps"]

    def model(_, __, tokens):
        x = ref.embed(W, "model.embed_tokens.weight", tokens, cfg["vocab"],
                      dim)
        for index, p in enumerate(layers):
            p = p[:-1]
            h = x + attention(
                W, p + ".self_attn",
                ref.rms_norm(W, p + ".input_layernorm", x, dim, eps), dim,
                groups[index] * per, groups[index], hd, cfg["rope_theta"])
            x = h + ref.llama_mlp(
                W, p + ".mlp",
                ref.rms_norm(W, p + ".post_attention_layernorm", h, dim, eps),
                dim, widths[index])
        return ref._llama_head(W, x, cfg, eps)

    np.save(args.out, model(None, None, ids).to(torch.float32).numpy())
    if args.steps:
        tokens, _ = ref.greedy(model, None, cfg, ids, args.steps)
        print("tokens " + " ".join(map(str, tokens)))
        if args.compare_tokens:
            theirs = [int(t) for t in open(args.compare_tokens).read().split()]
            print("%s tokens %d/%d" % ("PASS" if theirs == tokens else "FAIL",
                                       sum(a == b for a, b in
                                           zip(theirs, tokens)), len(tokens)))
    if args.ffn:
        print("widths " + " ".join(map(str, widths)))
    if args.heads:
        print("groups " + " ".join(map(str, groups)))
    counts = widths if args.ffn else groups
    print("uneven" if len(set(counts)) > 1 else "even")


if __name__ == "__main__":
    main()
