#!/usr/bin/python3
"""PyTorch peer for the Loom CPU benchmark: fp32 eager Llama and GPT-2.

Loads the same safetensors checkpoint as the compiled Loom program (tensor
names as in `loomc --emit=params`), then times
  prefill S   one forward over an S-token prompt (KV cache filled), returning
              only the last position's logits;
  decode N    N single-token steps after a prompt, greedy (argmax) like the
              Loom program's default sampler, reusing a preallocated KV cache.
Everything runs under torch.inference_mode() in float32.  The projections
are fused where that is free (Q/K/V into one matrix, Llama's gate/up into
one), so the peer is an efficient eager implementation, not a literal copy
of the Hugging Face modules.

Thread and BLAS settings (OPENBLAS_CORETYPE, OPENBLAS_NUM_THREADS,
OMP_WAIT_POLICY) come from the environment that bench.py gives this child
process; --threads sets torch.set_num_threads.

  torch_peer.py --manifest M.json --weights W.safetensors
                --prefill 128 512 --decode 128:128 --repeats 3 [--threads 2]

prints one JSON object on stdout:
  {"prefill": {"128": [tok/s, ...]}, "decode": {"128:128": [tok/s, ...]},
   "tokens": {"128:128": [ids...]}, "torch": version, "load_s": seconds}
"""

import argparse
import json
import math
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

_DTYPES = {"F32": np.float32, "F16": np.float16}


def load_safetensors(path):
    """Reads a single-file safetensors checkpoint: name -> float32 tensor."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n).decode("utf-8"))
    base = 8 + n
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        chunk = raw[base + begin:base + end]
        shape = tuple(info["shape"])
        if info["dtype"] == "BF16":
            bits = chunk.view("<u2").astype(np.uint32) << 16
            arr = bits.view(np.float32)
        else:
            arr = chunk.view(np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<"))
        out[name] = torch.from_numpy(
            np.array(arr, dtype=np.float32).reshape(shape))
    return out


def prompt_ids(length):
    """The benchmark's fixed prompt: id i % 1000 + 1 at position i."""
    return [i % 1000 + 1 for i in range(length)]


class KVAttention:
    """Causal (grouped-query) attention over a preallocated KV cache.

    Caches are [layers, kv_heads, max_seq, head_dim]; query head h uses KV
    head h // (heads // kv_heads), as in Hugging Face's repeat_kv.
    """

    def __init__(self, layers, heads, kv_heads, head_dim, max_seq):
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, head_dim
        self.rep = heads // kv_heads
        self.k = torch.zeros(layers, kv_heads, max_seq, head_dim)
        self.v = torch.zeros(layers, kv_heads, max_seq, head_dim)
        self.mask = torch.full((max_seq, max_seq), float("-inf")).triu(1)

    def __call__(self, layer, q, k, v, pos):
        """q [S, heads*hd], k/v [S, kv_heads*hd] at positions pos..pos+S-1;
        returns [S, heads*hd]."""
        seq, hd, kvh, rep = q.shape[0], self.head_dim, self.kv_heads, self.rep
        end = pos + seq
        self.k[layer, :, pos:end] = k.view(seq, kvh, hd).transpose(0, 1)
        self.v[layer, :, pos:end] = v.view(seq, kvh, hd).transpose(0, 1)
        keys = self.k[layer, :, :end]                       # [kvh, T, hd]
        values = self.v[layer, :, :end]
        # [S, kvh, rep, hd] -> [kvh, rep*S, hd]: one bmm per KV head group.
        q = q.view(seq, kvh, rep, hd).permute(1, 2, 0, 3).reshape(
            kvh, rep * seq, hd)
        scores = torch.bmm(q, keys.transpose(1, 2)) * (1.0 / math.sqrt(hd))
        if seq > 1:
            scores = (scores.view(kvh, rep, seq, end) +
                      self.mask[pos:end, :end]).view(kvh, rep * seq, end)
        out = torch.bmm(torch.softmax(scores, dim=-1), values)  # [kvh, rep*S, hd]
        return out.view(kvh, rep, seq, hd).permute(2, 0, 1, 3).reshape(
            seq, kvh * rep * hd)


class Llama:
    """LlamaForCausalLM in float32 with a KV cache."""

    def __init__(self, w, cfg, max_seq):
        self.dim, self.layers = cfg["dim"], cfg["layers"]
        self.heads, self.kv_heads = cfg["heads"], cfg["kv_heads"]
        self.eps, self.ffn = cfg["eps"], cfg["ffn"]
        hd = self.dim // self.heads
        self.q_width, self.kv_width = self.heads * hd, self.kv_heads * hd
        self.embed = w["model.embed_tokens.weight"]
        self.norm = w["model.norm.weight"]
        self.head = w["lm_head.weight"]
        self.blocks = []
        for i in range(self.layers):
            p = "model.layers.%d." % i
            a, m = p + "self_attn.", p + "mlp."
            self.blocks.append({
                "attn_norm": w[p + "input_layernorm.weight"],
                "qkv": torch.cat([w[a + "q_proj.weight"], w[a + "k_proj.weight"],
                                  w[a + "v_proj.weight"]]).contiguous(),
                "o": w[a + "o_proj.weight"],
                "ffn_norm": w[p + "post_attention_layernorm.weight"],
                "gate_up": torch.cat([w[m + "gate_proj.weight"],
                                      w[m + "up_proj.weight"]]).contiguous(),
                "down": w[m + "down_proj.weight"],
            })
        theta = cfg.get("rope_theta", 10000.0)
        inv_freq = 1.0 / (theta ** (torch.arange(0, hd, 2).double() / hd))
        freqs = torch.outer(torch.arange(max_seq).double(), inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.cos, self.sin = emb.cos().float(), emb.sin().float()
        self.attn = KVAttention(self.layers, self.heads, self.kv_heads, hd,
                                max_seq)

    def rms_norm(self, x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * w

    def rope(self, x, heads, pos):
        """x [S, heads*hd] at positions pos..; HF rotate_half convention."""
        seq = x.shape[0]
        x = x.view(seq, heads, -1)
        half = x.shape[-1] // 2
        cos = self.cos[pos:pos + seq].unsqueeze(1)
        sin = self.sin[pos:pos + seq].unsqueeze(1)
        rotated = torch.cat((-x[..., half:], x[..., :half]), dim=-1)
        return (x * cos + rotated * sin).view(seq, -1)

    def forward(self, ids, pos):
        """Runs ids at positions pos..; returns the last position's logits."""
        x = self.embed[ids]
        for i, b in enumerate(self.blocks):
            qkv = F.linear(self.rms_norm(x, b["attn_norm"]), b["qkv"])
            q, k, v = qkv.split([self.q_width, self.kv_width, self.kv_width],
                                dim=-1)
            q = self.rope(q, self.heads, pos)
            k = self.rope(k, self.kv_heads, pos)
            x = x + F.linear(self.attn(i, q, k, v.contiguous(), pos), b["o"])
            gate, up = F.linear(self.rms_norm(x, b["ffn_norm"]),
                                b["gate_up"]).split(self.ffn, dim=-1)
            x = x + F.linear(F.silu(gate) * up, b["down"])
        return F.linear(self.rms_norm(x[-1:], self.norm), self.head)[0]


class GPT2:
    """GPT2LMHeadModel in float32 with a KV cache (head tied to wte)."""

    def __init__(self, w, cfg, max_seq):
        self.dim, self.layers, self.heads = cfg["dim"], cfg["layers"], cfg["heads"]
        self.eps = cfg["eps"]
        self.wte = w["transformer.wte.weight"]
        self.wpe = w["transformer.wpe.weight"]
        self.ln_f = (w["transformer.ln_f.weight"], w["transformer.ln_f.bias"])
        self.blocks = []
        for i in range(self.layers):
            p = "transformer.h.%d." % i
            self.blocks.append({k: w[p + k] for k in (
                "ln_1.weight", "ln_1.bias", "ln_2.weight", "ln_2.bias",
                "attn.c_attn.weight", "attn.c_attn.bias",
                "attn.c_proj.weight", "attn.c_proj.bias",
                "mlp.c_fc.weight", "mlp.c_fc.bias",
                "mlp.c_proj.weight", "mlp.c_proj.bias")})
        self.attn = KVAttention(self.layers, self.heads, self.heads,
                                self.dim // self.heads, max_seq)

    def forward(self, ids, pos):
        """Runs ids at positions pos..; returns the last position's logits."""
        d, eps = self.dim, self.eps
        x = self.wte[ids] + self.wpe[pos:pos + len(ids)]
        for i, b in enumerate(self.blocks):
            a = F.layer_norm(x, (d,), b["ln_1.weight"], b["ln_1.bias"], eps)
            qkv = torch.addmm(b["attn.c_attn.bias"], a, b["attn.c_attn.weight"])
            q, k, v = qkv.split(d, dim=-1)
            o = self.attn(i, q, k.contiguous(), v.contiguous(), pos)
            x = x + torch.addmm(b["attn.c_proj.bias"], o, b["attn.c_proj.weight"])
            m = F.layer_norm(x, (d,), b["ln_2.weight"], b["ln_2.bias"], eps)
            m = F.gelu(torch.addmm(b["mlp.c_fc.bias"], m, b["mlp.c_fc.weight"]),
                       approximate="tanh")
            x = x + torch.addmm(b["mlp.c_proj.bias"], m, b["mlp.c_proj.weight"])
        last = F.layer_norm(x[-1:], (d,), self.ln_f[0], self.ln_f[1], eps)
        return F.linear(last, self.wte)[0]


MODELS = {"Llama": Llama, "GPT2": GPT2}


def time_prefill(model, length, repeats):
    """tokens/s of `repeats` prefills of `length` tokens (after one warm-up)."""
    ids = torch.tensor(prompt_ids(length), dtype=torch.long)
    model.forward(ids, 0)
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.forward(ids, 0)
        rates.append(length / (time.perf_counter() - start))
    return rates


def generate(model, prompt_len, steps):
    """Greedy generation: returns (tokens/s over the `steps` decode calls,
    the steps + 1 generated ids).  Timing starts after the prefill and
    includes the argmax of each step, as the Loom program's does."""
    logits = model.forward(torch.tensor(prompt_ids(prompt_len)), 0)
    tokens = []
    start = time.perf_counter()
    for i in range(steps + 1):
        token = int(torch.argmax(logits))
        tokens.append(token)
        if i == steps:
            break
        logits = model.forward(torch.tensor([token]), prompt_len + i)
    return steps / (time.perf_counter() - start), tokens


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--prefill", type=int, nargs="*", default=[])
    parser.add_argument("--decode", nargs="*", default=[],
                        help="PROMPT:STEPS pairs")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    with open(args.manifest, encoding="utf-8") as f:
        manifest = json.load(f)
    decode = [tuple(int(v) for v in d.split(":")) for d in args.decode]
    max_seq = max([p for p in args.prefill] + [p + s for p, s in decode] + [1])
    start = time.perf_counter()
    weights = load_safetensors(args.weights)
    model = MODELS[manifest["model"]](weights, manifest["config"], max_seq)
    result = {"torch": torch.__version__, "threads": torch.get_num_threads(),
              "load_s": time.perf_counter() - start,
              "prefill": {}, "decode": {}, "tokens": {}}
    with torch.inference_mode():
        for length in args.prefill:
            result["prefill"][str(length)] = time_prefill(model, length,
                                                          args.repeats)
        for prompt_len, steps in decode:
            key = "%d:%d" % (prompt_len, steps)
            generate(model, prompt_len, min(steps, 8))  # warm-up
            rates = []
            for _ in range(args.repeats):
                rate, tokens = generate(model, prompt_len, steps)
                rates.append(rate)
            result["decode"][key] = rates
            result["tokens"][key] = tokens
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
