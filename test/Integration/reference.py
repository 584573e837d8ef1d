"""Independent PyTorch references for the models in examples/*.loom.

Each reference follows the Hugging Face modeling code of its family and reads
its weights by Hugging Face tensor name, so a naming mismatch between an
example and the real checkpoints shows up here. Everything is computed in
float64 (the float32 checkpoint weights are widened), so the reference's own
rounding error is negligible next to a float32 backend's.

Reference functions take (weights, config, ids):
  weights  a `Weights` (or any mapping name -> numpy array / torch tensor),
  config   the config dict printed by `loomc --emit=params`,
  ids      a list of token ids,
and return float64 torch tensors: logits [seq, vocab] for decoders, the final
hidden states [seq, dim] for encoders.

Run with /usr/bin/python3 (Debian's python3-torch / python3-numpy).
"""

import collections.abc
import functools
import json
import math
import struct

import numpy as np
import torch

DTYPE = torch.float64

# ---------------------------------------------------------------------------
# Weights: a name -> tensor store that checks shapes and records what is read.
# ---------------------------------------------------------------------------


class Weights:
    """Checkpoint tensors keyed by HF name.

    `get(name, shape)` returns the tensor as float64 after checking its shape,
    and records the access. With `lenient=True`, a missing tensor or a shape
    mismatch is recorded (see `missing`, `mismatched`) and zeros of the
    expected shape are returned instead, so that one run lists every problem.
    """

    def __init__(self, tensors, lenient=False):
        self.tensors = dict(tensors)
        self.lenient = lenient
        self.used = set()
        self.missing = []      # [(name, expected_shape)]
        self.mismatched = []   # [(name, expected_shape, actual_shape)]
        self._cache = {}

    def get(self, name, shape):
        shape = tuple(int(s) for s in shape)
        if name not in self.tensors:
            if not self.lenient:
                raise KeyError("reference needs tensor %r %s, which the "
                               "checkpoint lacks" % (name, list(shape)))
            if name not in [m[0] for m in self.missing]:
                self.missing.append((name, list(shape)))
            return torch.zeros(shape, dtype=DTYPE)
        self.used.add(name)
        t = self._cache.get(name)
        if t is None:
            v = self.tensors[name]
            t = v.to(DTYPE) if isinstance(v, torch.Tensor) else \
                torch.from_numpy(np.asarray(v, dtype=np.float64))
            self._cache[name] = t
        if tuple(t.shape) != shape:
            if not self.lenient:
                raise ValueError("tensor %r has shape %s, reference expects %s"
                                 % (name, list(t.shape), list(shape)))
            if name not in [m[0] for m in self.mismatched]:
                self.mismatched.append((name, list(shape), list(t.shape)))
            return torch.zeros(shape, dtype=DTYPE)
        return t

    def unused(self):
        return sorted(set(self.tensors) - self.used)


def as_weights(w):
    """Wraps a plain mapping; anything else must offer `get(name, shape)`."""
    return Weights(w) if isinstance(w, collections.abc.Mapping) else w


# ---------------------------------------------------------------------------
# Building blocks (HF conventions).
# ---------------------------------------------------------------------------


# Weight names whose products round their input activations as Loom's
# quantized products do (8 bits per block of 32, one scale each): set by
# tests of quantized builds.
QUANTIZED_INPUTS = set()
# How they round it (loomc --quantize-inputs): "int8", "int8x2" (the
# rounding error rounded again, in blocks of its own) or "bf16" (each value
# to bfloat16, to nearest even).
QUANTIZED_INPUTS_ROUNDING = "int8"
# Weight names whose products round their inputs otherwise than
# QUANTIZED_INPUTS_ROUNDING says (--quantize-override=PATTERN=FORMAT:INPUTS).
QUANTIZED_INPUTS_ROUNDING_OF = {}


def _round_blocks(x32):
    """Blocks [..., 32] rounded to 8 bits: scale amax / 127, round half to
    even (in float32, as the runtime)."""
    d = x32.abs().amax(dim=-1, keepdim=True) / 127.0
    inv = torch.where(d != 0, 1.0 / d, torch.zeros_like(d))
    return torch.round(x32 * inv) * d  # half to even, like nearbyint


def quantize_activations(x, rounding=None):
    """x rounded as a quantized product's input (`rounding`, else
    QUANTIZED_INPUTS_ROUNDING): per row and block of 32 to 8 bits, with
    "int8x2" its error to 8 bits again; or each value to bfloat16."""
    rounding = rounding or QUANTIZED_INPUTS_ROUNDING
    if rounding == "bf16":
        return x.to(torch.float32).to(torch.bfloat16).to(x.dtype)
    shape = x.shape
    x32 = x.to(torch.float32).reshape(-1, shape[-1] // 32, 32)
    y = _round_blocks(x32)
    if rounding == "int8x2":
        y = y + _round_blocks(x32 - y)
    return y.reshape(shape).to(x.dtype)


def linear(W, prefix, x, n_in, n_out, bias):
    """nn.Linear: weight [out, in]."""
    name = prefix + ".weight"
    # The checkpoint's own name, where the weights are read under another.
    if hasattr(W, "stored_name"):
        name = W.stored_name(name)
    if name in QUANTIZED_INPUTS:
        x = quantize_activations(x, QUANTIZED_INPUTS_ROUNDING_OF.get(name))
    y = x @ W.get(prefix + ".weight", (n_out, n_in)).T
    if bias:
        y = y + W.get(prefix + ".bias", (n_out,))
    return y


def conv1d(W, prefix, x, n_in, n_out):
    """GPT-2's Conv1D: weight stored [in, out], always with a bias."""
    return x @ W.get(prefix + ".weight", (n_in, n_out)) + \
        W.get(prefix + ".bias", (n_out,))


def rms_norm(W, prefix, x, dim, eps):
    """LlamaRMSNorm: x * rsqrt(mean(x^2) + eps) * w."""
    w = W.get(prefix + ".weight", (dim,))
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def layer_norm(W, prefix, x, dim, eps):
    """nn.LayerNorm with weight and bias (biased variance)."""
    w = W.get(prefix + ".weight", (dim,))
    b = W.get(prefix + ".bias", (dim,))
    mu = x.mean(-1, keepdim=True)
    var = (x - mu).pow(2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * w + b


def gelu_tanh(x):
    """HF "gelu_new" (GPT-2)."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) *
                                       (x + 0.044715 * x.pow(3))))


def gelu_erf(x):
    """Exact GELU (BERT's "gelu")."""
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def silu(x):
    return x * torch.sigmoid(x)


def embed(W, name, ids, vocab, dim):
    table = W.get(name, (vocab, dim))
    for t in ids:
        if not 0 <= t < vocab:
            raise ValueError("token id %d out of range [0, %d)" % (t, vocab))
    return table[torch.tensor(ids, dtype=torch.long)]


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rope(x, theta):
    """HF Llama rotary embedding on x [heads, seq, head_dim], positions 0..seq-1."""
    seq, hd = x.shape[-2], x.shape[-1]
    inv_freq = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=DTYPE) / hd))
    pos = torch.arange(seq, dtype=DTYPE)
    freqs = torch.outer(pos, inv_freq)            # [seq, hd/2]
    emb = torch.cat((freqs, freqs), dim=-1)       # [seq, hd]
    return x * emb.cos() + rotate_half(x) * emb.sin()


def sdpa(q, k, v, causal):
    """q [H, S, D], k/v [H, S, D] (kv heads already repeated)."""
    hd = q.shape[-1]
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
    if causal:
        s = q.shape[-2]
        mask = torch.ones(s, s, dtype=torch.bool).triu(1)
        scores = scores.masked_fill(mask, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def split_heads(x, heads, hd):
    """[S, heads*hd] -> [heads, S, hd]."""
    return x.reshape(x.shape[0], heads, hd).transpose(0, 1)


def merge_heads(x):
    """[heads, S, hd] -> [S, heads*hd]."""
    return x.transpose(0, 1).reshape(x.shape[1], -1)


def repeat_kv(x, n_rep):
    """HF repeat_kv: query head h uses kv head h // n_rep."""
    return x.repeat_interleave(n_rep, dim=0)


# ---------------------------------------------------------------------------
# Llama family (LlamaForCausalLM), also the block of looped/hyperloop.
# ---------------------------------------------------------------------------


def llama_attention(W, p, x, dim, heads, kv_heads, theta):
    if dim % heads or heads % kv_heads:
        raise ValueError("bad head config dim=%d heads=%d kv_heads=%d"
                         % (dim, heads, kv_heads))
    hd = dim // heads
    q = split_heads(linear(W, p + ".q_proj", x, dim, heads * hd, False), heads, hd)
    k = split_heads(linear(W, p + ".k_proj", x, dim, kv_heads * hd, False), kv_heads, hd)
    v = split_heads(linear(W, p + ".v_proj", x, dim, kv_heads * hd, False), kv_heads, hd)
    q, k = rope(q, theta), rope(k, theta)
    n_rep = heads // kv_heads
    o = sdpa(q, repeat_kv(k, n_rep), repeat_kv(v, n_rep), causal=True)
    return linear(W, p + ".o_proj", merge_heads(o), heads * hd, dim, False)


def llama_mlp(W, p, x, dim, ffn):
    gate = linear(W, p + ".gate_proj", x, dim, ffn, False)
    up = linear(W, p + ".up_proj", x, dim, ffn, False)
    return linear(W, p + ".down_proj", silu(gate) * up, ffn, dim, False)


def llama_block(W, p, x, dim, heads, kv_heads, ffn, eps, theta):
    """LlamaDecoderLayer; `p` is e.g. "model.layers.0"."""
    h = x + llama_attention(W, p + ".self_attn",
                            rms_norm(W, p + ".input_layernorm", x, dim, eps),
                            dim, heads, kv_heads, theta)
    return h + llama_mlp(W, p + ".mlp",
                         rms_norm(W, p + ".post_attention_layernorm", h, dim, eps),
                         dim, ffn)


def _llama_head(W, x, cfg, eps):
    dim, vocab = cfg["dim"], cfg["vocab"]
    x = rms_norm(W, "model.norm", x, dim, eps)
    return linear(W, "lm_head", x, dim, vocab, False)


def llama(weights, cfg, ids):
    """LlamaForCausalLM logits [seq, vocab]."""
    W = as_weights(weights)
    dim, eps = cfg["dim"], cfg["eps"]
    x = embed(W, "model.embed_tokens.weight", ids, cfg["vocab"], dim)
    for i in range(cfg["layers"]):
        x = llama_block(W, "model.layers.%d" % i, x, dim, cfg["heads"],
                        cfg["kv_heads"], cfg["ffn"], eps, cfg["rope_theta"])
    return _llama_head(W, x, cfg, eps)


def unpermute_rope_rows(w, heads):
    """Undoes llama.cpp's GGUF converter's permutation of a q or k weight
    ([heads * hd, dim]): it stores each head's rows for rotary embeddings on
    adjacent pairs; Hugging Face's layout pairs the two halves."""
    rows, cols = w.shape
    hd = rows // heads
    return w.reshape(heads, hd // 2, 2, cols).transpose(1, 2).reshape(rows, cols)


class GgufLlamaNames:
    """Hugging Face Llama names over a checkpoint with llama.cpp's GGUF names
    (q and k un-permuted, the LM head tied to the token embedding); reads
    are recorded in the wrapped Weights."""

    def __init__(self, weights, cfg):
        self.W = as_weights(weights)
        self.cfg = cfg

    def stored_name(self, name):
        """The GGUF name of the Hugging Face one."""
        parts = name.split(".")
        if name == "model.embed_tokens.weight" or name == "lm_head.weight":
            return "token_embd.weight"
        if name == "model.norm.weight":
            return "output_norm.weight"
        layer, rest = parts[2], ".".join(parts[3:])
        table = {"input_layernorm.weight": "attn_norm.weight",
                 "post_attention_layernorm.weight": "ffn_norm.weight",
                 "self_attn.q_proj.weight": "attn_q.weight",
                 "self_attn.k_proj.weight": "attn_k.weight",
                 "self_attn.v_proj.weight": "attn_v.weight",
                 "self_attn.o_proj.weight": "attn_output.weight",
                 "mlp.gate_proj.weight": "ffn_gate.weight",
                 "mlp.up_proj.weight": "ffn_up.weight",
                 "mlp.down_proj.weight": "ffn_down.weight"}
        return "blk.%s.%s" % (layer, table[rest])

    def get(self, name, shape):
        w = self.W.get(self.stored_name(name), shape)
        rest = ".".join(name.split(".")[3:])
        if rest == "self_attn.q_proj.weight":
            return unpermute_rope_rows(w, self.cfg["heads"])
        if rest == "self_attn.k_proj.weight":
            return unpermute_rope_rows(w, self.cfg["kv_heads"])
        return w


class UnpermutedQK:
    """Hugging Face Llama names whose q and k rows are stored permuted for
    RoPE on adjacent pairs (as llama.cpp's GGUF files store them)."""

    def __init__(self, weights, cfg):
        self.W = as_weights(weights)
        self.cfg = cfg

    def get(self, name, shape):
        w = self.W.get(name, shape)
        if name.endswith("self_attn.q_proj.weight"):
            return unpermute_rope_rows(w, self.cfg["heads"])
        if name.endswith("self_attn.k_proj.weight"):
            return unpermute_rope_rows(w, self.cfg["kv_heads"])
        return w


def gguf_llama(weights, cfg, ids):
    """A Llama in llama.cpp's GGUF naming (examples/smollm2.loom): the
    Hugging Face reference on the un-permuted weights."""
    return llama(GgufLlamaNames(weights, cfg), cfg, ids)


# ---------------------------------------------------------------------------
# Qwen3 (Qwen3ForCausalLM): per-head qk-norm and its own head size; and a
# Llama with a sliding window (Mistral's `sliding_window`).
# ---------------------------------------------------------------------------


def sdpa_window(q, k, v, window):
    """Causal attention where token i sees only j > i - window (all j <= i
    when window is 0)."""
    hd = q.shape[-1]
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
    s = q.shape[-2]
    i = torch.arange(s)[:, None]
    j = torch.arange(s)[None, :]
    hidden = j > i
    if window:
        hidden = hidden | (j <= i - window)
    scores = scores.masked_fill(hidden, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def qwen3_attention(W, p, x, cfg, qk_norm_eps=None, window=0):
    dim, heads, kv_heads = cfg["dim"], cfg["heads"], cfg["kv_heads"]
    hd = cfg.get("head_dim", dim // heads)
    q = split_heads(linear(W, p + ".q_proj", x, dim, heads * hd, False), heads, hd)
    k = split_heads(linear(W, p + ".k_proj", x, dim, kv_heads * hd, False), kv_heads, hd)
    v = split_heads(linear(W, p + ".v_proj", x, dim, kv_heads * hd, False), kv_heads, hd)
    if qk_norm_eps is not None:
        # Qwen3Attention: RMSNorm over head_dim of each head, before RoPE.
        q = rms_norm(W, p + ".q_norm", q, hd, qk_norm_eps)
        k = rms_norm(W, p + ".k_norm", k, hd, qk_norm_eps)
    theta = cfg.get("rope_theta", COMMON_THETA)
    q, k = rope(q, theta), rope(k, theta)
    n_rep = heads // kv_heads
    o = sdpa_window(q, repeat_kv(k, n_rep), repeat_kv(v, n_rep), window)
    return linear(W, p + ".o_proj", merge_heads(o), heads * hd, dim, False)


def _decoder_stack(W, cfg, ids, eps, attention, head_name, mlp=llama_mlp):
    dim = cfg["dim"]
    x = embed(W, "model.embed_tokens.weight", ids, cfg["vocab"], dim)
    for i in range(cfg["layers"]):
        p = "model.layers.%d" % i
        h = x + attention(W, p + ".self_attn",
                          rms_norm(W, p + ".input_layernorm", x, dim, eps))
        x = h + mlp(W, p + ".mlp",
                    rms_norm(W, p + ".post_attention_layernorm", h, dim,
                             eps), dim, cfg["ffn"])
    x = rms_norm(W, "model.norm", x, dim, eps)
    return linear(W, head_name, x, dim, cfg["vocab"], False)


def qwen3(weights, cfg, ids):
    """Qwen3ForCausalLM with a tied LM head (Qwen3-0.6B)."""
    W = as_weights(weights)
    eps = cfg["eps"]
    return _decoder_stack(
        W, cfg, ids, eps,
        lambda W, p, x: qwen3_attention(W, p, x, cfg, qk_norm_eps=eps),
        "model.embed_tokens")


def windowed(weights, cfg, ids):
    """A Llama whose attention has a sliding window of `window` positions."""
    W = as_weights(weights)
    return _decoder_stack(
        W, cfg, ids, COMMON_EPS,
        lambda W, p, x: qwen3_attention(W, p, x, cfg, window=cfg["window"]),
        "lm_head")


def wide_attention(weights, cfg, ids):
    """A Llama-style decoder whose attention has `heads` heads of
    `head_dim` each, wider than the model (Brown et al., 2022's single wide
    layer)."""
    W = as_weights(weights)
    return _decoder_stack(
        W, cfg, ids, cfg["eps"],
        lambda W, p, x: qwen3_attention(W, p, x, cfg), "lm_head")


def peri_ln(weights, cfg, ids):
    """Peri-LN: every sublayer's input and output RMS-normalized,
    h = x + Norm(Attn(Norm(x))), y = h + Norm(MLP(Norm(h))) (Kim et al.,
    2025; Gemma 2's sandwich norms), on a Llama-style decoder."""
    W = as_weights(weights)
    dim, eps = cfg["dim"], cfg["eps"]
    x = embed(W, "model.embed_tokens.weight", ids, cfg["vocab"], dim)
    for i in range(cfg["layers"]):
        p = "model.layers.%d" % i
        a = llama_attention(W, p + ".self_attn",
                            rms_norm(W, p + ".input_layernorm", x, dim, eps),
                            dim, cfg["heads"], cfg["kv_heads"],
                            cfg["rope_theta"])
        h = x + rms_norm(W, p + ".post_attention_layernorm", a, dim, eps)
        m = llama_mlp(W, p + ".mlp",
                      rms_norm(W, p + ".pre_feedforward_layernorm", h, dim,
                               eps), dim, cfg["ffn"])
        x = h + rms_norm(W, p + ".post_feedforward_layernorm", m, dim, eps)
    x = rms_norm(W, "model.norm", x, dim, eps)
    return linear(W, "lm_head", x, dim, cfg["vocab"], False)


def poly_norm(W, p, x, eps):
    """PolyNorm (Zhuo et al., 2025): a0 N(x^3) + a1 N(x^2) + a2 N(x) + b,
    N(v) = v / sqrt(mean(v^2) + eps) over the features."""
    a, b = W.get(p + ".weight", (3,)), W.get(p + ".bias", (1,))

    def n(v):
        return v / torch.sqrt((v * v).mean(-1, keepdim=True) + eps)
    return a[0] * n(x ** 3) + a[1] * n(x ** 2) + a[2] * n(x) + b


def poly_relu(W, p, x):
    """PolyReLU (Zhuo et al., 2025): a0 relu(x)^3 + a1 relu(x)^2 +
    a2 relu(x) + b."""
    a, b = W.get(p + ".weight", (3,)), W.get(p + ".bias", (1,))
    r = torch.clamp(x, min=0)
    return a[0] * r ** 3 + a[1] * r ** 2 + a[2] * r + b


def polycom_lm(weights, cfg, ids, act):
    """A Llama-style decoder whose MLP is down(act(up(x))) with a polynomial
    composition activation `act` ("norm" or "relu") under `mlp.act_fn`."""
    W = as_weights(weights)
    eps = cfg["eps"]

    def mlp(W, p, x, dim, ffn):
        h = linear(W, p + ".up_proj", x, dim, ffn, False)
        h = poly_norm(W, p + ".act_fn", h, 1e-6) if act == "norm" else \
            poly_relu(W, p + ".act_fn", h)
        return linear(W, p + ".down_proj", h, ffn, dim, False)
    return _decoder_stack(
        W, cfg, ids, eps,
        lambda W, p, x: llama_attention(W, p, x, cfg["dim"], cfg["heads"],
                                        cfg["kv_heads"], cfg["rope_theta"]),
        "lm_head", mlp=mlp)


def minimal(weights, cfg, ids):
    """An attention-only transformer with collapsed matrices: per layer,
    x += sum_h softmax(causal(n W_QK^h n^T / sqrt(dim))) n W_OV^h with
    n = RMSNorm(x); learned positions added to the embeddings."""
    W = as_weights(weights)
    dim, heads, eps = cfg["dim"], cfg["heads"], cfg["eps"]
    seq = len(ids)
    x = embed(W, "model.embed_tokens.weight", ids, cfg["vocab"], dim) + \
        W.get("model.embed_positions.weight",
              (cfg["max_positions"], dim))[:seq]
    for i in range(cfg["layers"]):
        p = "model.layers.%d" % i
        n = rms_norm(W, p + ".norm", x, dim, eps)
        w_qk = W.get(p + ".attn.w_qk", (dim, heads * dim))
        w_ov = W.get(p + ".attn.w_ov", (heads * dim, dim))
        q = split_heads(n @ w_qk, heads, dim)               # [H, seq, dim]
        o = sdpa(q, n[None].expand(heads, seq, dim),
                 n[None].expand(heads, seq, dim), causal=True)
        x = x + merge_heads(o) @ w_ov
    x = rms_norm(W, "model.norm", x, dim, eps)
    return linear(W, "lm_head", x, dim, cfg["vocab"], False)


def tensor_mix(W, p, x, dim):
    """test/Integration/Inputs/tensor-math.loom's block Mix, in PyTorch."""
    scale = W.get(p + ".scale", (dim,))
    coeff = W.get(p + ".coeff", (4,))
    proj = W.get(p + ".proj", (dim, dim))
    one = torch.ones((), dtype=x.dtype)
    a = torch.exp(-x.abs()) + torch.log(1 + x * x) - torch.tanh(x) / 2
    b = torch.sigmoid(x) * torch.sqrt(x.abs() + 0.5) + torch.rsqrt(x * x + 1)
    c = torch.maximum(a, b) - torch.minimum(a, 0.25 * one) + \
        (x.abs() + 1) ** 1.5 + x ** 3 * coeff[3]
    d = c + (x.abs() + 1) ** (coeff[0] + 1) - x ** -2 / 1000
    r = d.sum(-1, keepdim=True) / dim + a.mean(-1, keepdim=True) - \
        b.amax(-1, keepdim=True) + torch.minimum(c, one) + \
        torch.linalg.vector_norm(x, dim=-1, keepdim=True) * 0.1
    y = d * coeff[0] + r * coeff[1] + scale * coeff[2] - \
        a.amin(-1, keepdim=True) * math.exp(1)
    z = y @ proj + x @ proj.T / math.sqrt(dim)
    hs = x.reshape(x.shape[0], 4, dim // 4)
    g = (torch.softmax(hs, -1) * torch.rsqrt((hs * hs).mean(-1, keepdim=True)
                                             + 1) - hs / 4)
    g = g.reshape(x.shape[0], dim) + torch.softmax(x, -1)
    cat = torch.cat([x[:, 8:], x[:, :8] * 2], -1)
    tv, ti = torch.topk(x, 3, dim=-1)
    t = tv.sum(-1, keepdim=True) * 0.1 + \
        torch.gather(a, -1, ti).sum(-1, keepdim=True) * 0.1 + \
        ti.to(x.dtype).sum(-1, keepdim=True) / 1000
    return 1 - z / (2 + z.abs()) + g + cat * proj[3] + \
        cat[:, 4:12].sum(-1, keepdim=True) + t


def tensor_math(weights, cfg, ids):
    """A decoder whose layers add tensor_mix after attention, with
    sinusoidal positions (sin and cos halves concatenated) added to the
    embeddings."""
    W = as_weights(weights)
    dim, eps = cfg["dim"], cfg["eps"]
    freq = torch.exp(torch.arange(dim // 2, dtype=DTYPE) *
                     (-2 * math.log(10000.0) / dim))
    angle = torch.arange(len(ids), dtype=DTYPE)[:, None] * freq
    x = embed(W, "model.embed_tokens.weight", ids, cfg["vocab"], dim) + \
        torch.cat([torch.sin(angle), torch.cos(angle)], -1)
    for i in range(cfg["layers"]):
        p = "model.layers.%d" % i
        h = x + llama_attention(
            W, p + ".self_attn", rms_norm(W, p + ".input_layernorm", x, dim,
                                          eps),
            dim, cfg["heads"], cfg["heads"], cfg["rope_theta"])
        x = h + tensor_mix(W, p + ".mix", h, dim)
    x = rms_norm(W, "model.norm", x, dim, eps)
    return linear(W, "lm_head", x, dim, cfg["vocab"], False)


def pattention(W, p, x, d_in, d_out, n):
    """TokenFormer's Pattention (Wang et al., 2024): Theta(x K^T) V with
    Theta(S)_ij = gelu(S_ij sqrt(n) / ||S_i||_2); K [n, d_in], V [n, d_out]."""
    k = W.get(p + ".key_param_tokens", (n, d_in))
    v = W.get(p + ".value_param_tokens", (n, d_out))
    s = x @ k.T
    return gelu_erf(s * math.sqrt(n) / s.norm(dim=-1, keepdim=True)) @ v


def tokenformer(weights, cfg, ids):
    """TokenFormer (Wang et al., 2024): a pre-LN decoder whose every
    projection is a Pattention layer: the attention's q, k, v and o with
    `attn_tokens` parameter tokens each (multi-head causal attention with
    RoPE between them) and the feed-forward network with `ffn_tokens`."""
    W = as_weights(weights)
    dim, eps, heads = cfg["dim"], cfg["eps"], cfg["heads"]
    hd, na, nf = dim // heads, cfg["attn_tokens"], cfg["ffn_tokens"]
    x = embed(W, "model.embed_tokens.weight", ids, cfg["vocab"], dim)
    for i in range(cfg["layers"]):
        p = "model.layers.%d" % i
        n = layer_norm(W, p + ".input_layernorm", x, dim, eps)
        a = p + ".self_attn"
        q = split_heads(pattention(W, a + ".query", n, dim, dim, na), heads, hd)
        k = split_heads(pattention(W, a + ".key", n, dim, dim, na), heads, hd)
        v = split_heads(pattention(W, a + ".value", n, dim, dim, na), heads, hd)
        theta = cfg["rope_theta"]
        o = sdpa(rope(q, theta), rope(k, theta), v, causal=True)
        h = x + pattention(W, a + ".out", merge_heads(o), dim, dim, na)
        x = h + pattention(W, p + ".mlp",
                           layer_norm(W, p + ".post_attention_layernorm", h,
                                      dim, eps), dim, dim, nf)
    x = layer_norm(W, "model.norm", x, dim, eps)
    return linear(W, "lm_head", x, dim, cfg["vocab"], False)


def mixtral_moe(W, p, x, cfg, renormalize=True, names=("w1", "w3", "w2")):
    """MixtralSparseMoeBlock: softmax router, top-k experts (ties: the lower
    index), probabilities renormalized over the chosen ones; expert e is
    w2(silu(w1 x) * w3 x) (`names`: the gate, up and down projections)."""
    dim, ffn, experts, top_k = cfg["dim"], cfg["ffn"], cfg["experts"], cfg["top_k"]
    gate, up, down = names
    probs = torch.softmax(linear(W, p + ".gate", x, dim, experts, False), dim=-1)
    out = torch.zeros_like(x)
    for t in range(x.shape[0]):
        # Stable order: among equal probabilities the lower expert first.
        order = sorted(range(experts), key=lambda e: (-float(probs[t, e]), e))
        chosen = order[:top_k]
        weights = probs[t, chosen]
        if renormalize:
            weights = weights / weights.sum()
        for e, w in zip(chosen, weights):
            q = "%s.experts.%d" % (p, e)
            row = x[t:t + 1]
            h = silu(linear(W, q + "." + gate, row, dim, ffn, False)) * \
                linear(W, q + "." + up, row, dim, ffn, False)
            out[t] += w * linear(W, q + "." + down, h, ffn, dim, False)[0]
    return out


def widenet(weights, cfg, ids):
    """WideNet (Xue et al., 2022): one layer (attention, then a top-k MoE
    in place of the FFN) applied `layers` times with shared weights, its
    two LayerNorms per iteration (model.shared.{attn,moe}_norm.I)."""
    W = as_weights(weights)
    dim, eps = cfg["dim"], cfg["eps"]
    x = embed(W, "model.embed_tokens.weight", ids, cfg["vocab"], dim)
    p = "model.shared"
    for i in range(cfg["layers"]):
        h = x + llama_attention(
            W, p + ".self_attn",
            layer_norm(W, "%s.attn_norm.%d" % (p, i), x, dim, eps), dim,
            cfg["heads"], cfg["kv_heads"], cfg["rope_theta"])
        x = h + mixtral_moe(W, p + ".moe",
                            layer_norm(W, "%s.moe_norm.%d" % (p, i), h, dim,
                                       eps), cfg)
    x = layer_norm(W, "model.norm", x, dim, eps)
    return linear(W, "lm_head", x, dim, cfg["vocab"], False)


def value_residual(weights, cfg, ids):
    """ResFormer (Zhou et al., 2024): layers after the first attend over
    values l_0 V_n + l_1 V_1 (V_1 the first layer's, l learned per layer);
    a Llama-style decoder otherwise. The first layer is model.first_layer,
    the others model.layers.I."""
    W = as_weights(weights)
    dim, eps, heads, kv = cfg["dim"], cfg["eps"], cfg["heads"], cfg["kv_heads"]
    hd, theta = dim // heads, cfg["rope_theta"]

    def layer(p, x, v1):
        n = rms_norm(W, p + ".input_layernorm", x, dim, eps)
        a = p + ".self_attn"
        v = linear(W, a + ".v_proj", n, dim, kv * hd, False)
        if v1 is None:
            v1 = v
        else:
            mix = W.get(a + ".value_residual", (2,))
            v = mix[0] * v + mix[1] * v1
        q = rope(split_heads(linear(W, a + ".q_proj", n, dim, dim, False),
                             heads, hd), theta)
        k = rope(split_heads(linear(W, a + ".k_proj", n, dim, kv * hd,
                                    False), kv, hd), theta)
        o = sdpa(q, repeat_kv(k, heads // kv),
                 repeat_kv(split_heads(v, kv, hd), heads // kv), causal=True)
        h = x + linear(W, a + ".o_proj", merge_heads(o), dim, dim, False)
        m = llama_mlp(W, p + ".mlp",
                      rms_norm(W, p + ".post_attention_layernorm", h, dim,
                               eps), dim, cfg["ffn"])
        return h + m, v1

    x = embed(W, "model.embed_tokens.weight", ids, cfg["vocab"], dim)
    x, v1 = layer("model.first_layer", x, None)
    for i in range(cfg["layers"] - 1):
        x, v1 = layer("model.layers.%d" % i, x, v1)
    x = rms_norm(W, "model.norm", x, dim, eps)
    return linear(W, "lm_head", x, dim, cfg["vocab"], False)


def flow_attention(W, p, x, dim, heads, eps):
    """Flowformer's causal flow attention (Wu et al., 2022), as its authors'
    causal code computes it: sigmoid feature maps, incoming/outgoing flows
    over the tokens so far (cumulative sums), conservation, competition
    (clamped to [-1, 1] before exp) and allocation, and the causal product
    sum_{j<=i} q_i k_j^T v_j through a cumulative sum of outer products."""
    hd = dim // heads
    q = torch.sigmoid(split_heads(linear(W, p + ".query_projection", x, dim,
                                         dim, True), heads, hd))
    k = torch.sigmoid(split_heads(linear(W, p + ".key_projection", x, dim,
                                         dim, True), heads, hd))
    v = split_heads(linear(W, p + ".value_projection", x, dim, dim, True),
                    heads, hd)
    seq = x.shape[0]
    normal = torch.arange(seq, dtype=DTYPE) + 1.0                  # [seq]
    dot = lambda a, b: (a * b).sum(-1)                             # [H, seq]
    incoming = normal / dot(q + eps, k.cumsum(1) + eps)
    outgoing = normal / dot(k + eps, q.cumsum(1) + eps)
    sink = dot(q + eps, (k * outgoing[..., None]).cumsum(1) + eps) / normal
    source = dot(k + eps, (q * incoming[..., None]).cumsum(1) + eps) / normal
    source = torch.exp(torch.clamp(source, -1.0, 1.0))
    competition = source / source.cumsum(-1) * normal
    qn = q * (incoming / normal)[..., None]
    vc = v * competition[..., None]
    kv = torch.einsum("hld,hlm->hldm", k, vc).cumsum(1)
    flow = torch.einsum("hld,hldm->hlm", qn, kv) * \
        torch.sigmoid(sink)[..., None]
    return linear(W, p + ".out_projection", merge_heads(flow), dim, dim, True)


def flowformer(weights, cfg, ids):
    """A pre-LN decoder with Flowformer's causal flow attention and a GELU
    MLP; final LayerNorm and an untied LM head."""
    W = as_weights(weights)
    dim, eps = cfg["dim"], cfg["eps"]
    x = embed(W, "embed_tokens.weight", ids, cfg["vocab"], dim)
    for i in range(cfg["layers"]):
        p = "layers.%d" % i
        x = x + flow_attention(W, p + ".attn",
                               layer_norm(W, p + ".attn_norm", x, dim, eps),
                               dim, cfg["heads"], cfg["flow_eps"])
        h = layer_norm(W, p + ".mlp_norm", x, dim, eps)
        h = gelu_erf(linear(W, p + ".mlp.fc1", h, dim, cfg["ffn"], True))
        x = x + linear(W, p + ".mlp.fc2", h, cfg["ffn"], dim, True)
    x = layer_norm(W, "norm", x, dim, eps)
    return linear(W, "lm_head", x, dim, cfg["vocab"], False)


def activator(weights, cfg, features):
    """Activator (Abdullah and Aydin, 2024), as the authors' code computes
    it: per layer h = x + g(LN(x)), out = h + ffn(LN(h)) with one LayerNorm,
    g(x) = W3 (LN'(gelu(W1 x)) * LN'(W2 x)) with one LayerNorm LN' for both
    branches; the classifier on the mean of patches 0..i for row i (the last
    row: global average pooling of the image)."""
    W = as_weights(weights)
    dim, ffn, eps = cfg["dim"], cfg["ffn"], cfg["eps"]
    x = linear(W, "patcher", torch.as_tensor(features, dtype=DTYPE),
               cfg["patch_dim"], dim, True)
    for i in range(cfg["layers"]):
        p = "model.%d" % i
        g = p + ".actgu"
        n = layer_norm(W, p + ".norm", x, dim, eps)
        u = layer_norm(W, g + ".norm",
                       gelu_erf(linear(W, g + ".proj_1", n, dim, ffn, True)),
                       ffn, eps)
        v = layer_norm(W, g + ".norm", linear(W, g + ".proj_2", n, dim, ffn,
                                              True), ffn, eps)
        h = x + linear(W, g + ".proj_3", u * v, ffn, dim, True)
        m = gelu_erf(linear(W, p + ".ffn.net.0", layer_norm(W, p + ".norm", h,
                                                          dim, eps),
                            dim, ffn, True))
        x = h + linear(W, p + ".ffn.net.3", m, ffn, dim, True)
    count = torch.arange(1, x.shape[0] + 1, dtype=DTYPE)[:, None]
    return linear(W, "classifier", x.cumsum(0) / count, dim, cfg["classes"],
                  True)


def hyper_connections(weights, cfg, ids, looped=False):
    """Static hyper-connections (Zhu et al., 2025) with two streams around
    each sublayer of a Llama-style layer: y = F(a0 h1 + a1 h2), h1' = b0 y +
    m0 h1 + m1 h2, h2' = b1 y + m2 h1 + m3 h2; logits of norm(h1 + h2). With
    `looped`, one layer (model.shared) applied `layers` times."""
    W = as_weights(weights)
    dim, eps = cfg["dim"], cfg["eps"]

    def hyper(p, h1, h2, sublayer, f):
        a = W.get(p + ".hc_%s.input" % sublayer, (2,))
        b = W.get(p + ".hc_%s.output" % sublayer, (2,))
        m = W.get(p + ".hc_%s.mix" % sublayer, (4,))
        y = f(a[0] * h1 + a[1] * h2)
        return b[0] * y + m[0] * h1 + m[1] * h2, b[1] * y + m[2] * h1 + m[3] * h2

    x = embed(W, "model.embed_tokens.weight", ids, cfg["vocab"], dim)
    h1, h2 = x, x
    for i in range(cfg["layers"]):
        p = "model.shared" if looped else "model.layers.%d" % i
        h1, h2 = hyper(p, h1, h2, "attn", lambda v: llama_attention(
            W, p + ".self_attn", rms_norm(W, p + ".input_layernorm", v, dim,
                                          eps),
            dim, cfg["heads"], cfg["kv_heads"], cfg["rope_theta"]))
        h1, h2 = hyper(p, h1, h2, "mlp", lambda v: llama_mlp(
            W, p + ".mlp", rms_norm(W, p + ".post_attention_layernorm", v,
                                    dim, eps), dim, cfg["ffn"]))
    x = rms_norm(W, "model.norm", h1 + h2, dim, eps)
    return linear(W, "lm_head", x, dim, cfg["vocab"], False)


def vit(weights, cfg, features):
    """A ViT encoder on patch features [patches, patch_dim] (Dosovitskiy et
    al., 2021, without the class token): a linear patch projection plus
    learned positions, pre-LN layers (bidirectional attention with biases,
    GELU MLP), a final LayerNorm; every patch's features."""
    W = as_weights(weights)
    dim, eps, heads = cfg["dim"], cfg["eps"], cfg["heads"]
    hd, seq = dim // heads, features.shape[0]
    x = linear(W, "vit.embeddings.patch_embeddings.projection", features,
               cfg["patch_dim"], dim, True)
    x = x + W.get("vit.embeddings.position_embeddings.weight",
                  (cfg["patches"], dim))[:seq]
    for i in range(cfg["layers"]):
        p = "vit.encoder.layer.%d" % i
        n = layer_norm(W, p + ".layernorm_before", x, dim, eps)
        a = p + ".attention"
        q = split_heads(linear(W, a + ".attention.query", n, dim, dim, True),
                        heads, hd)
        k = split_heads(linear(W, a + ".attention.key", n, dim, dim, True),
                        heads, hd)
        v = split_heads(linear(W, a + ".attention.value", n, dim, dim, True),
                        heads, hd)
        o = merge_heads(sdpa(q, k, v, causal=False))
        x = x + linear(W, a + ".output.dense", o, dim, dim, True)
        n = layer_norm(W, p + ".layernorm_after", x, dim, eps)
        h = gelu_erf(linear(W, p + ".intermediate.dense", n, dim, cfg["ffn"],
                            True))
        x = x + linear(W, p + ".output.dense", h, cfg["ffn"], dim, True)
    return layer_norm(W, "vit.layernorm", x, dim, eps)


def qwen2_moe_block(W, p, x, cfg, gated=True):
    """Qwen2MoeSparseMoeBlock (norm_topk_prob = false): the routed experts
    plus a shared expert scaled by sigmoid(shared_expert_gate(x)); without
    `gated`, DeepSeekMoE's: the shared experts added as they are."""
    routed = mixtral_moe(W, p, x, cfg, renormalize=False,
                         names=("gate_proj", "up_proj", "down_proj"))
    if not gated:
        return routed + llama_mlp(W, p + ".shared_experts", x, cfg["dim"],
                                  cfg["shared_ffn"])
    shared = llama_mlp(W, p + ".shared_expert", x, cfg["dim"],
                       cfg["shared_ffn"])
    gate = torch.sigmoid(linear(W, p + ".shared_expert_gate", x, cfg["dim"],
                                1, False))
    return routed + gate * shared


def mixtral(weights, cfg, ids, renormalize=True, block=None,
            block_name="block_sparse_moe"):
    """MixtralForCausalLM (`block`: another sparse MoE block, read under
    `block_name`)."""
    W = as_weights(weights)
    dim, eps = cfg["dim"], cfg["eps"]
    x = embed(W, "model.embed_tokens.weight", ids, cfg["vocab"], dim)
    for i in range(cfg["layers"]):
        p = "model.layers.%d" % i
        h = x + llama_attention(W, p + ".self_attn",
                                rms_norm(W, p + ".input_layernorm", x, dim, eps),
                                dim, cfg["heads"], cfg["kv_heads"],
                                cfg["rope_theta"])
        y = rms_norm(W, p + ".post_attention_layernorm", h, dim, eps)
        q = p + "." + block_name
        x = h + (block(W, q, y, cfg) if block else
                 mixtral_moe(W, q, y, cfg, renormalize))
    return _llama_head(W, x, cfg, eps)


# examples/common.loom's Decoder defaults, and the models' final norm eps.
COMMON_EPS = 1e-5
COMMON_THETA = 10000.0


def _common_block(W, p, x, cfg, kv_heads=None):
    return llama_block(W, p, x, cfg["dim"], cfg["heads"],
                       kv_heads or cfg["kv_heads"], cfg["ffn"], COMMON_EPS,
                       COMMON_THETA)


def looped(weights, cfg, ids):
    """One shared Llama decoder block ("model.shared") applied `loops` times."""
    W = as_weights(weights)
    x = embed(W, "model.embed_tokens.weight", ids, cfg["vocab"], cfg["dim"])
    for _ in range(cfg["loops"]):
        x = _common_block(W, "model.shared", x, cfg)
    return _llama_head(W, x, cfg, COMMON_EPS)


def hyperloop(weights, cfg, ids):
    """begin.0, begin.1, (middle.0, middle.1) x loops, end.0, end.1; the
    middle blocks have `middle_kv_heads` key/value heads."""
    W = as_weights(weights)
    x = embed(W, "model.embed_tokens.weight", ids, cfg["vocab"], cfg["dim"])
    for i in range(2):
        x = _common_block(W, "model.begin.%d" % i, x, cfg)
    middle_kv_heads = cfg.get("middle_kv_heads", cfg["kv_heads"])
    for _ in range(cfg["loops"]):
        for i in range(2):
            x = _common_block(W, "model.middle.%d" % i, x, cfg,
                              middle_kv_heads)
    for i in range(2):
        x = _common_block(W, "model.end.%d" % i, x, cfg)
    return _llama_head(W, x, cfg, COMMON_EPS)


# ---------------------------------------------------------------------------
# GPT-2 (GPT2LMHeadModel).
# ---------------------------------------------------------------------------


def gpt2(weights, cfg, ids):
    """GPT2LMHeadModel logits [seq, vocab]; lm_head tied to transformer.wte."""
    W = as_weights(weights)
    dim, heads, eps, vocab = cfg["dim"], cfg["heads"], cfg["eps"], cfg["vocab"]
    if dim % heads:
        raise ValueError("dim %d not divisible by heads %d" % (dim, heads))
    hd = dim // heads
    seq = len(ids)
    if seq > cfg["positions"]:
        raise ValueError("sequence %d longer than positions %d"
                         % (seq, cfg["positions"]))
    wte = embed(W, "transformer.wte.weight", ids, vocab, dim)
    wpe = W.get("transformer.wpe.weight", (cfg["positions"], dim))[:seq]
    x = wte + wpe
    for i in range(cfg["layers"]):
        p = "transformer.h.%d" % i
        a = layer_norm(W, p + ".ln_1", x, dim, eps)
        qkv = conv1d(W, p + ".attn.c_attn", a, dim, 3 * dim)
        q, k, v = (split_heads(t, heads, hd) for t in qkv.split(dim, dim=-1))
        o = merge_heads(sdpa(q, k, v, causal=True))
        x = x + conv1d(W, p + ".attn.c_proj", o, dim, dim)
        m = layer_norm(W, p + ".ln_2", x, dim, eps)
        m = gelu_tanh(conv1d(W, p + ".mlp.c_fc", m, dim, 4 * dim))
        x = x + conv1d(W, p + ".mlp.c_proj", m, 4 * dim, dim)
    x = layer_norm(W, "transformer.ln_f", x, dim, eps)
    return x @ W.get("transformer.wte.weight", (vocab, dim)).T


# ---------------------------------------------------------------------------
# BERT (BertModel, last hidden state).
# ---------------------------------------------------------------------------


def bert(weights, cfg, ids, prefix="bert."):
    """BertModel last_hidden_state [seq, dim]; token_type_ids all 0, no mask.
    `prefix` starts every tensor name ("" for sentence-transformers' MiniLM)."""
    W = as_weights(weights)
    dim, heads, ffn, eps = cfg["dim"], cfg["heads"], cfg["ffn"], cfg["eps"]
    if dim % heads:
        raise ValueError("dim %d not divisible by heads %d" % (dim, heads))
    hd = dim // heads
    seq = len(ids)
    if seq > cfg["positions"]:
        raise ValueError("sequence %d longer than positions %d"
                         % (seq, cfg["positions"]))
    e = prefix + "embeddings"
    x = embed(W, e + ".word_embeddings.weight", ids, cfg["vocab"], dim)
    x = x + W.get(e + ".position_embeddings.weight", (cfg["positions"], dim))[:seq]
    x = x + W.get(e + ".token_type_embeddings.weight", (cfg["type_vocab"], dim))[0]
    x = layer_norm(W, e + ".LayerNorm", x, dim, eps)
    for i in range(cfg["layers"]):
        p = prefix + "encoder.layer.%d" % i
        q = split_heads(linear(W, p + ".attention.self.query", x, dim, dim, True), heads, hd)
        k = split_heads(linear(W, p + ".attention.self.key", x, dim, dim, True), heads, hd)
        v = split_heads(linear(W, p + ".attention.self.value", x, dim, dim, True), heads, hd)
        o = merge_heads(sdpa(q, k, v, causal=False))
        o = linear(W, p + ".attention.output.dense", o, dim, dim, True)
        x = layer_norm(W, p + ".attention.output.LayerNorm", x + o, dim, eps)
        m = gelu_erf(linear(W, p + ".intermediate.dense", x, dim, ffn, True))
        m = linear(W, p + ".output.dense", m, ffn, dim, True)
        x = layer_norm(W, p + ".output.LayerNorm", x + m, dim, eps)
    return x


# ---------------------------------------------------------------------------
# Relaxed recursive: a looped block with a LoRA delta per iteration.
# ---------------------------------------------------------------------------


class _LoraIteration:
    """The weights iteration `i` of a relaxed recursive loop reads: each
    shared matrix `P.X.weight` (P the loop's prefix) is W + B_i A_i, with
    A_i = `P.X.weight.lora.I.a` [rank, in] and B_i = `...b` [out, rank]
    (x W^T + (x A_i^T) B_i^T is x (W + B_i A_i)^T); the rest as it is."""

    def __init__(self, W, prefix, i, rank):
        self.W, self.prefix, self.i, self.rank = W, prefix + ".", i, rank

    def get(self, name, shape):
        w = self.W.get(name, shape)
        if len(shape) != 2 or not name.startswith(self.prefix):
            return w
        base = "%s.lora.%d." % (name, self.i)
        a = self.W.get(base + "a", (self.rank, shape[1]))
        b = self.W.get(base + "b", (shape[0], self.rank))
        return w + b @ a


def relaxed_recursive(weights, cfg, ids):
    """`looped` with a LoRA delta of rank `rank` per iteration on every
    shared matrix (Relaxed Recursive Transformers)."""
    W = as_weights(weights)
    x = embed(W, "model.embed_tokens.weight", ids, cfg["vocab"], cfg["dim"])
    for i in range(cfg["loops"]):
        view = _LoraIteration(W, "model.shared", i, cfg["rank"])
        x = _common_block(view, "model.shared", x, cfg)
    return _llama_head(W, x, cfg, COMMON_EPS)


# ---------------------------------------------------------------------------
# Adaptive depth: loops that tokens leave early (Ouro's exit gate, or
# convergence), computed token by token with one KV cache per (iteration,
# layer). The rule for iterations a token skips: its cached key and value
# rows there are those of the last iteration it ran.
# ---------------------------------------------------------------------------


def _rope_at(x, pos, theta):
    """HF rotary embedding of x [heads, hd] at position `pos`."""
    hd = x.shape[-1]
    inv_freq = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=DTYPE) / hd))
    freqs = pos * inv_freq
    emb = torch.cat((freqs, freqs))
    return x * emb.cos() + rotate_half(x) * emb.sin()


class _TokenAttention:
    """Llama attention of one token at a time over its (iteration, layer)
    cache. `run` returns the output row and the token's (k, v)."""

    def __init__(self, dim, heads, kv_heads, theta):
        self.dim, self.heads, self.kv_heads = dim, heads, kv_heads
        self.hd, self.theta = dim // heads, theta

    def run(self, W, p, x, pos, cached):
        dim, heads, kv, hd = self.dim, self.heads, self.kv_heads, self.hd
        row = x[None]
        q = linear(W, p + ".q_proj", row, dim, heads * hd, False)[0]
        k = linear(W, p + ".k_proj", row, dim, kv * hd, False)[0]
        v = linear(W, p + ".v_proj", row, dim, kv * hd, False)[0]
        q = _rope_at(q.reshape(heads, hd), pos, self.theta)
        k = _rope_at(k.reshape(kv, hd), pos, self.theta)
        v = v.reshape(kv, hd)
        keys = torch.stack([c[0] for c in cached] + [k])      # [n, kv, hd]
        values = torch.stack([c[1] for c in cached] + [v])
        group = heads // kv
        out = []
        for h in range(heads):
            g = h // group
            scores = keys[:, g, :] @ q[h] / math.sqrt(hd)
            out.append(torch.softmax(scores, dim=0) @ values[:, g, :])
        o = torch.cat(out)[None]
        return linear(W, p + ".o_proj", o, heads * hd, dim, False)[0], (k, v)


def _gate_exits(logit, t, trip, threshold, state):
    """Ouro's exit rule after step t (0-based): lambda = sigmoid(logit), the
    step's exit probability lambda * survival (the last step takes the
    rest); the token leaves once their sum reaches the threshold (never
    before the last step for a threshold of 1)."""
    lam = 1.0 / (1.0 + math.exp(-logit))
    last = t + 1 == trip
    state["cdf"] += state["survival"] if last else lam * state["survival"]
    state["survival"] *= 1.0 - lam
    return last or (threshold < 1 and state["cdf"] >= threshold)


def _adaptive(W, cfg, ids, step, rule, threshold, trip, head):
    """Runs the tokens in order through `trip` iterations of `step` (x, pos,
    t, cached(layer) -> (x, logit or None, [(k, v) per layer])), leaving
    early by `rule`; returns the logits [seq, vocab] of `head` on each
    token's final row and the iterations each ran."""
    caches = collections.defaultdict(list)    # (t, layer) -> [(k, v)]
    x0 = embed(W, "model.embed_tokens.weight", ids, cfg["vocab"], cfg["dim"])
    rows, depths = [], []
    for pos in range(len(ids)):
        x = x0[pos]
        state = {"cdf": 0.0, "survival": 1.0}
        ran = []
        for t in range(trip):
            nxt, logit, kv = step(x, pos, t, lambda layer: caches[(t, layer)])
            ran.append(kv)
            if rule == "gate":
                done = _gate_exits(float(logit), t, trip, threshold, state)
            else:
                change = float(torch.linalg.norm(nxt - x))
                size = float(torch.linalg.norm(x))
                done = t + 1 == trip or (change / size if size else
                                         (0.0 if change == 0 else 1.0)) < threshold
            x = nxt
            if done:
                break
        depths.append(len(ran))
        for t in range(trip):
            for layer, kv in enumerate(ran[min(t, len(ran) - 1)]):
                caches[(t, layer)].append(kv)
        rows.append(x)
    return head(torch.stack(rows)), depths


def _ouro(weights, cfg, ids):
    """Ouro (LoopLM): layers with norms after attention and MLP, the final
    norm after every step, and the early exit gate."""
    W = as_weights(weights)
    dim, eps, layers = cfg["dim"], cfg["eps"], cfg["layers"]
    attention = _TokenAttention(dim, cfg["heads"], cfg["kv_heads"],
                                cfg["rope_theta"])

    def step(x, pos, t, cached):
        kvs = []
        for i in range(layers):
            p = "model.layers.%d" % i
            a, kv = attention.run(W, p + ".self_attn",
                                  rms_norm(W, p + ".input_layernorm", x, dim, eps),
                                  pos, cached(i))
            kvs.append(kv)
            h = x + rms_norm(W, p + ".input_layernorm_2", a, dim, eps)
            m = llama_mlp(W, p + ".mlp",
                          rms_norm(W, p + ".post_attention_layernorm", h, dim,
                                   eps)[None], dim, cfg["ffn"])[0]
            x = h + rms_norm(W, p + ".post_attention_layernorm_2", m, dim, eps)
        x = rms_norm(W, "model.norm", x, dim, eps)
        logit = linear(W, "model.early_exit_gate", x[None], dim, 1, True)[0, 0]
        return x, logit, kvs

    def head(x):
        return linear(W, "lm_head", x, dim, cfg["vocab"], False)

    return _adaptive(W, cfg, ids, step, "gate", cfg["exit_threshold"],
                     cfg["ut_steps"], head)


def _looped_converge(weights, cfg, ids):
    """`looped` whose tokens leave once an iteration changes their row by
    less than `exit_threshold` (relative L2)."""
    W = as_weights(weights)
    dim = cfg["dim"]
    attention = _TokenAttention(dim, cfg["heads"], cfg["kv_heads"],
                                COMMON_THETA)

    def step(x, pos, t, cached):
        p = "model.shared"
        a, kv = attention.run(W, p + ".self_attn",
                              rms_norm(W, p + ".input_layernorm", x, dim,
                                       COMMON_EPS), pos, cached(0))
        h = x + a
        m = llama_mlp(W, p + ".mlp",
                      rms_norm(W, p + ".post_attention_layernorm", h, dim,
                               COMMON_EPS)[None], dim, cfg["ffn"])[0]
        return h + m, None, [kv]

    def head(x):
        return _llama_head(W, x, cfg, COMMON_EPS)

    return _adaptive(W, cfg, ids, step, "converge", cfg["exit_threshold"],
                     cfg["loops"], head)


def ouro(weights, cfg, ids):
    return _ouro(weights, cfg, ids)[0]


def looped_converge(weights, cfg, ids):
    return _looped_converge(weights, cfg, ids)[0]


# Models with adaptive loops: manifest "model" name -> (weights, config, ids)
# -> the iterations each token ran.
DEPTHS = {
    "Ouro": lambda w, c, i: _ouro(w, c, i)[1],
    "LoopedConverge": lambda w, c, i: _looped_converge(w, c, i)[1],
}


# ---------------------------------------------------------------------------
# Registry and generation.
# ---------------------------------------------------------------------------

# Manifest "model" name -> (reference, kind); kind "decoder" returns logits,
# "encoder" returns hidden states.
MODELS = {
    "Llama": (llama, "decoder"),
    "GPT2": (gpt2, "decoder"),
    "Bert": (bert, "encoder"),
    "MiniLM": (functools.partial(bert, prefix=""), "encoder"),
    "SmolLM2": (gguf_llama, "decoder"),
    "Looped": (looped, "decoder"),
    "RelaxedRecursive": (relaxed_recursive, "decoder"),
    "Hyperloop": (hyperloop, "decoder"),
    "Ouro": (ouro, "decoder"),
    "Qwen3": (qwen3, "decoder"),
    "Mixtral": (mixtral, "decoder"),
    "MixtralTop1": (functools.partial(mixtral, renormalize=False), "decoder"),
    "SharedExpertMoE": (functools.partial(mixtral, block=qwen2_moe_block,
                                          block_name="mlp"), "decoder"),
    "UngatedSharedMoE": (functools.partial(
        mixtral, block=functools.partial(qwen2_moe_block, gated=False),
        block_name="mlp"), "decoder"),
    "Windowed": (windowed, "decoder"),
    "PeriLN": (peri_ln, "decoder"),
    "WideAttention": (wide_attention, "decoder"),
    "PolyNormLM": (functools.partial(polycom_lm, act="norm"), "decoder"),
    "PolyReLULM": (functools.partial(polycom_lm, act="relu"), "decoder"),
    "TokenFormer": (tokenformer, "decoder"),
    "TensorMath": (tensor_math, "decoder"),
    "Minimal": (minimal, "decoder"),
    "WideNet": (widenet, "decoder"),
    "ResFormer": (value_residual, "decoder"),
    "ViT": (vit, "encoder"),
    "RopePairs": (lambda weights, cfg, ids: llama(UnpermutedQK(weights, cfg),
                                                  cfg, ids), "decoder"),
    "HyperConnections": (hyper_connections, "decoder"),
    "LoopedHyperConnections": (functools.partial(hyper_connections,
                                                 looped=True), "decoder"),
    "QkNormWindow": (lambda weights, cfg, ids: _decoder_stack(
        as_weights(weights), cfg, ids, cfg["eps"],
        lambda W, p, x: qwen3_attention(W, p, x, cfg, qk_norm_eps=cfg["eps"],
                                        window=cfg["window"]),
        "lm_head"), "decoder"),
    "LoopedConverge": (looped_converge, "decoder"),
    "Flowformer": (flowformer, "decoder"),
    "Activator": (activator, "encoder"),
}


def greedy(fn, weights, cfg, prompt, steps):
    """Greedy decoding by full recompute (no KV cache).

    Returns (new_tokens, margins) where margins[i] is the gap between the top
    two logits at step i (small gaps make a float32 backend's choice fragile).
    """
    ids = list(prompt)
    new, margins = [], []
    for _ in range(steps):
        last = fn(weights, cfg, ids)[-1]
        top2 = torch.topk(last, 2).values
        tok = int(torch.argmax(last))
        new.append(tok)
        margins.append(float(top2[0] - top2[1]))
        ids.append(tok)
    return new, margins


# ---------------------------------------------------------------------------
# safetensors I/O (no `safetensors` package needed).
# ---------------------------------------------------------------------------

_NP_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64,
              "I32": np.int32, "I64": np.int64, "I8": np.int8,
              "U8": np.uint8}


def load_safetensors(path):
    """name -> numpy array (BF16 widened to float32)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = data[base + begin:base + end]
        shape = tuple(info["shape"])
        if info["dtype"] == "BF16":
            u = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            arr = u.view(np.float32).reshape(shape)
        else:
            dt = np.dtype(_NP_DTYPES[info["dtype"]]).newbyteorder("<")
            arr = np.frombuffer(raw, dtype=dt).reshape(shape).copy()
        out[name] = arr
    return out


def save_safetensors(path, tensors, dtypes=None):
    """Writes name -> float array; `dtypes` maps name -> "F32"/"F16"/"BF16"."""
    dtypes = dtypes or {}
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name])
        dt = dtypes.get(name, "F32")
        if dt == "BF16":
            u = arr.astype("<f4").view("<u4")
            # round to nearest even
            u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")
            raw = u.tobytes()
        else:
            raw = arr.astype(np.dtype(_NP_DTYPES[dt]).newbyteorder("<")).tobytes()
        header[name] = {"dtype": dt, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((8 - len(hb) % 8) % 8)   # keep the data 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for b in blobs:
            f.write(b)
