#!/usr/bin/python3
"""Checks reference.py's pieces against torch's own implementations.

  /usr/bin/python3 test/Integration/reference_selftest.py

Not a lit test (lit.local.cfg collects only *.test); run it after editing
reference.py. Exits non-zero on a mismatch.
"""

import math
import os
import sys

import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as ref  # noqa: E402

torch.manual_seed(0)
D = torch.float64
failures = []


def close(name, a, b, tol=1e-10):
    err = float((a - b).abs().max())
    print("%-4s %-40s max|diff|=%.2g" % ("ok" if err <= tol else "BAD", name, err))
    if err > tol:
        failures.append(name)


def rnd(*shape, std=0.1):
    return torch.randn(*shape, dtype=D) * std


# Norms and activations.
x = rnd(5, 16, std=1.0)
w, b = 1 + rnd(16), rnd(16)
close("layer_norm vs F.layer_norm",
      ref.layer_norm(ref.Weights({"n.weight": w, "n.bias": b}), "n", x, 16, 1e-5),
      F.layer_norm(x, (16,), w, b, 1e-5))
close("rms_norm vs formula",
      ref.rms_norm(ref.Weights({"n.weight": w}), "n", x, 16, 1e-6),
      x / torch.sqrt((x * x).mean(-1, keepdim=True) + 1e-6) * w)
close("gelu_tanh vs F.gelu(tanh)", ref.gelu_tanh(x), F.gelu(x, approximate="tanh"))
close("gelu_erf vs F.gelu", ref.gelu_erf(x), F.gelu(x))
close("silu vs F.silu", ref.silu(x), F.silu(x))

# RoPE: HF's rotate_half form == rotating the pairs (j, j + hd/2) by pos*f_j.
H, S, HD, theta = 3, 6, 8, 10000.0
q = rnd(H, S, HD, std=1.0)
half = HD // 2
f = theta ** (-torch.arange(half, dtype=D) * 2 / HD)
ang = torch.arange(S, dtype=D)[:, None] * f[None, :]
z = torch.complex(q[..., :half], q[..., half:]) * torch.polar(torch.ones_like(ang), ang)
close("rope vs complex rotation", ref.rope(q, theta), torch.cat((z.real, z.imag), -1))
close("rope keeps position 0", ref.rope(q, theta)[:, 0], q[:, 0])

# BERT encoder layer vs nn.TransformerEncoderLayer (post-LN, erf GELU).
dim, heads, ffn, eps = 16, 4, 32, 1e-12
W = {}
for n, shape in [("attention.self.query", (dim, dim)), ("attention.self.key", (dim, dim)),
                 ("attention.self.value", (dim, dim)), ("attention.output.dense", (dim, dim)),
                 ("intermediate.dense", (ffn, dim)), ("output.dense", (dim, ffn))]:
    W["bert.encoder.layer.0.%s.weight" % n] = rnd(*shape)
    W["bert.encoder.layer.0.%s.bias" % n] = rnd(shape[0])
for n in ["attention.output.LayerNorm", "output.LayerNorm"]:
    W["bert.encoder.layer.0.%s.weight" % n] = 1 + rnd(dim)
    W["bert.encoder.layer.0.%s.bias" % n] = rnd(dim)
cfg = {"vocab": 11, "positions": 8, "type_vocab": 2, "dim": dim, "layers": 1,
       "heads": heads, "ffn": ffn, "eps": eps}
W["bert.embeddings.word_embeddings.weight"] = rnd(11, dim, std=1.0)
W["bert.embeddings.position_embeddings.weight"] = rnd(8, dim)
W["bert.embeddings.token_type_embeddings.weight"] = rnd(2, dim)
W["bert.embeddings.LayerNorm.weight"] = 1 + rnd(dim)
W["bert.embeddings.LayerNorm.bias"] = rnd(dim)
ids = [1, 5, 7, 2, 9]
layer = torch.nn.TransformerEncoderLayer(dim, heads, ffn, dropout=0.0, activation="gelu",
                                         layer_norm_eps=eps, batch_first=True,
                                         norm_first=False).to(D).eval()
p = "bert.encoder.layer.0."
with torch.no_grad():
    layer.self_attn.in_proj_weight.copy_(torch.cat([W[p + "attention.self.%s.weight" % n] for n in ("query", "key", "value")]))
    layer.self_attn.in_proj_bias.copy_(torch.cat([W[p + "attention.self.%s.bias" % n] for n in ("query", "key", "value")]))
    layer.self_attn.out_proj.weight.copy_(W[p + "attention.output.dense.weight"])
    layer.self_attn.out_proj.bias.copy_(W[p + "attention.output.dense.bias"])
    layer.linear1.weight.copy_(W[p + "intermediate.dense.weight"]); layer.linear1.bias.copy_(W[p + "intermediate.dense.bias"])
    layer.linear2.weight.copy_(W[p + "output.dense.weight"]); layer.linear2.bias.copy_(W[p + "output.dense.bias"])
    layer.norm1.weight.copy_(W[p + "attention.output.LayerNorm.weight"]); layer.norm1.bias.copy_(W[p + "attention.output.LayerNorm.bias"])
    layer.norm2.weight.copy_(W[p + "output.LayerNorm.weight"]); layer.norm2.bias.copy_(W[p + "output.LayerNorm.bias"])
    e = W["bert.embeddings.word_embeddings.weight"][ids] + W["bert.embeddings.position_embeddings.weight"][:5] \
        + W["bert.embeddings.token_type_embeddings.weight"][0]
    e = F.layer_norm(e, (dim,), W["bert.embeddings.LayerNorm.weight"], W["bert.embeddings.LayerNorm.bias"], eps)
    expect = layer(e[None])[0]
close("bert vs nn.TransformerEncoderLayer", ref.bert(W, cfg, ids), expect)

# GPT-2 attention vs nn.MultiheadAttention with a causal mask.
dim, heads = 16, 4
x = rnd(5, dim, std=1.0)
wqkv, bqkv, wo, bo = rnd(dim, 3 * dim), rnd(3 * dim), rnd(dim, dim), rnd(dim)
mha = torch.nn.MultiheadAttention(dim, heads, bias=True, batch_first=True).to(D)
with torch.no_grad():
    mha.in_proj_weight.copy_(wqkv.T); mha.in_proj_bias.copy_(bqkv)
    mha.out_proj.weight.copy_(wo.T); mha.out_proj.bias.copy_(bo)
    mask = torch.ones(5, 5, dtype=torch.bool).triu(1)
    expect = mha(x[None], x[None], x[None], attn_mask=mask, need_weights=False)[0][0]
Wg = ref.Weights({"a.c_attn.weight": wqkv, "a.c_attn.bias": bqkv,
                  "a.c_proj.weight": wo, "a.c_proj.bias": bo})
qkv = ref.conv1d(Wg, "a.c_attn", x, dim, 3 * dim)
qh, kh, vh = (ref.split_heads(t, heads, dim // heads) for t in qkv.split(dim, -1))
got = ref.conv1d(Wg, "a.c_proj", ref.merge_heads(ref.sdpa(qh, kh, vh, True)), dim, dim)
close("gpt2 attention vs nn.MultiheadAttention", got, expect)

# GQA: kv_heads=2 equals full MHA whose k/v rows are repeated per HF repeat_kv.
dim, heads, kv, ffn = 16, 4, 2, 24
hd = dim // heads


def llama_weights(kv_heads):
    W = {"model.embed_tokens.weight": rnd(13, dim, std=1.0), "model.norm.weight": 1 + rnd(dim),
         "lm_head.weight": rnd(13, dim)}
    p = "model.layers.0."
    W[p + "input_layernorm.weight"] = 1 + rnd(dim)
    W[p + "post_attention_layernorm.weight"] = 1 + rnd(dim)
    W[p + "self_attn.q_proj.weight"] = rnd(heads * hd, dim)
    W[p + "self_attn.k_proj.weight"] = rnd(kv_heads * hd, dim)
    W[p + "self_attn.v_proj.weight"] = rnd(kv_heads * hd, dim)
    W[p + "self_attn.o_proj.weight"] = rnd(dim, heads * hd)
    W[p + "mlp.gate_proj.weight"] = rnd(ffn, dim)
    W[p + "mlp.up_proj.weight"] = rnd(ffn, dim)
    W[p + "mlp.down_proj.weight"] = rnd(dim, ffn)
    return W


cfg = {"vocab": 13, "dim": dim, "layers": 1, "heads": heads, "kv_heads": kv, "ffn": ffn,
       "eps": 1e-5, "rope_theta": 10000.0}
Wq = llama_weights(kv)
Wm = dict(Wq)
for n in ("k_proj", "v_proj"):
    w = Wq["model.layers.0.self_attn.%s.weight" % n].reshape(kv, hd, dim)
    Wm["model.layers.0.self_attn.%s.weight" % n] = w.repeat_interleave(heads // kv, 0).reshape(heads * hd, dim)
ids = [3, 1, 4, 1, 5, 9]
close("gqa == mha with repeated kv heads", ref.llama(Wq, cfg, ids),
      ref.llama(Wm, dict(cfg, kv_heads=heads), ids))

# Causality: a prefix's logits do not depend on later tokens.
full = ref.llama(Wq, cfg, ids)
close("llama causal (prefix logits)", ref.llama(Wq, cfg, ids[:3]), full[:3])

# Looped with loops=L equals Llama with L identical layers.
Wl = {k.replace("model.layers.0.", "model.shared."): v for k, v in Wq.items()}
Ws = dict(Wq)
for k, v in Wq.items():
    if k.startswith("model.layers.0."):
        Ws[k.replace("layers.0.", "layers.1.")] = v
close("looped x2 == llama with 2 copies",
      ref.looped(Wl, {"vocab": 13, "dim": dim, "heads": heads, "kv_heads": kv, "ffn": ffn, "loops": 2}, ids),
      ref.llama(Ws, dict(cfg, layers=2), ids))

# safetensors round trip.
import tempfile  # noqa: E402
with tempfile.TemporaryDirectory() as d:
    t = {"a": rnd(3, 4).float().numpy(), "b": rnd(5).float().numpy()}
    ref.save_safetensors(os.path.join(d, "x.safetensors"), t, {"b": "BF16"})
    back = ref.load_safetensors(os.path.join(d, "x.safetensors"))
    close("safetensors F32 round trip", torch.from_numpy(back["a"]), torch.from_numpy(t["a"]), 0)
    close("safetensors BF16 round trip", torch.from_numpy(back["b"]).double(),
          torch.from_numpy(t["b"]).double(), 1e-2)

print("FAILED: " + ", ".join(failures) if failures else "all reference self-checks passed")
sys.exit(1 if failures else 0)
