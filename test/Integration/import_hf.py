"""`loomc import` against Hugging Face transformers, on tiny random models.

  import_hf.py --loomc PATH --workdir DIR

Run with the .venv Python (transformers from PyPI). For each model family
loomc import knows (and variants: tied heads, biases, explicit head_dim),
transformers builds a seeded random model and writes it with
`save_pretrained` (config.json and model.safetensors, its own tensor names);
`loomc import` writes the .loom model, which is compiled and run on that
directory. Decoders: the prompt's logits equal transformers' forward in
float32 (max |diff| within 1e-4 of the largest logit) and 8 greedy tokens
equal `generate`'s; encoders: the final hidden states equal
`BertModel`'s last_hidden_state. Prints one PASS/FAIL line per model.
"""

import argparse
import os
import subprocess
import sys

import numpy as np
import torch

PROMPT = [3, 14, 15, 92, 65, 35, 89, 79, 32, 38, 46, 26]


def families():
    import transformers as t
    small = dict(vocab_size=97, hidden_size=64, intermediate_size=128,
                 num_hidden_layers=2, num_attention_heads=4,
                 max_position_embeddings=64)
    return [
        ("llama", lambda: t.LlamaForCausalLM(t.LlamaConfig(
            num_key_value_heads=2, rope_theta=5000.0, **small))),
        ("llama-tied-bias", lambda: t.LlamaForCausalLM(t.LlamaConfig(
            num_key_value_heads=4, tie_word_embeddings=True,
            attention_bias=True, mlp_bias=True, **small))),
        ("llama-head-dim", lambda: t.LlamaForCausalLM(t.LlamaConfig(
            num_key_value_heads=2, head_dim=32, **small))),
        ("mistral", lambda: t.MistralForCausalLM(t.MistralConfig(
            num_key_value_heads=2, sliding_window=None, **small))),
        ("qwen2", lambda: t.Qwen2ForCausalLM(t.Qwen2Config(
            num_key_value_heads=2, **small))),
        ("gpt2", lambda: t.GPT2LMHeadModel(t.GPT2Config(
            vocab_size=97, n_embd=64, n_layer=2, n_head=4, n_positions=32))),
        ("bert", lambda: t.BertModel(t.BertConfig(
            vocab_size=97, hidden_size=64, num_hidden_layers=2,
            num_attention_heads=4, intermediate_size=128,
            max_position_embeddings=32), add_pooling_layer=False)),
    ]


def run(cmd):
    proc = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True)
    if proc.returncode != 0:
        return None, proc.stderr
    return proc.stdout, ""


def check(name, model, args):
    directory = os.path.join(args.workdir, name)
    model.eval()
    with torch.no_grad():
        for p in model.parameters():  # Larger than the default init, so
            p.add_(torch.randn_like(p) * 0.05)  # that the layers matter.
    model.save_pretrained(directory)
    source = os.path.join(args.workdir, name + ".loom")
    exe = os.path.join(args.workdir, name + ".exe")
    for cmd in ([args.loomc, "import", directory, "-o", source],
                [args.loomc, source, "-o", exe]):
        out, err = run(cmd)
        if out is None:
            print("FAIL %s: %s: %s" % (name, " ".join(map(str, cmd[:2])),
                                       err.strip()[-1500:]))
            return False
    ids = torch.tensor([PROMPT])
    encoder = name == "bert"
    out_path = os.path.join(args.workdir, name + ".npy")
    flags = ["--output", out_path] if encoder else ["--logits", out_path,
                                                     "-n", "8"]
    out, err = run([exe, "--weights", directory, "--prompt-ids",
                    " ".join(map(str, PROMPT))] + flags)
    if out is None:
        print("FAIL %s: the program: %s" % (name, err.strip()[-1500:]))
        return False
    got = np.load(out_path).astype(np.float64)
    with torch.no_grad():
        if encoder:
            want = model(ids).last_hidden_state[0].double().numpy()
        else:
            want = model(ids).logits[0].double().numpy()
            new = model.generate(ids, max_new_tokens=8, do_sample=False,
                                 pad_token_id=0)[0, len(PROMPT):].tolist()
    scale = float(np.abs(want).max())
    diff = float(np.abs(got - want).max()) if got.shape == want.shape \
        else float("inf")
    ok = diff <= 1e-4 * scale
    detail = "max|diff| %.2g of %.3g" % (diff, scale)
    if not encoder:
        tokens = [int(t) for t in out.split()]
        ok &= tokens == new
        detail += ", greedy tokens %s" % ("equal" if tokens == new else
                                           "%s vs %s" % (tokens, new))
    print("%s %s: %s" % ("PASS" if ok else "FAIL", name, detail))
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--loomc", required=True)
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(2)
    import transformers
    transformers.logging.set_verbosity_error()
    failed = False
    for name, make in families():
        failed |= not check(name, make(), args)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
