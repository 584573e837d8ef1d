#!/usr/bin/python3
"""Text in and out of compiled programs, on tiny models with random weights.

  text_program.py --loomc PATH --workdir DIR

A Llama (vocab 300) gets a byte-level BPE tokenizer.json written here (the
256 byte characters as ids 0-255, three special tokens, one merge), a
ChatML chat template with a default system message, and a
generation_config.json; a BERT gets a WordPiece tokenizer and
sentence-transformers' pooling files. Checks, each printed as PASS/FAIL:
  - the prompt's ids (--print-prompt-ids) are the expected ones, for plain
    text and for --chat (the exchange laid out as the template does, for a
    ChatML and a Llama 3 template);
  - text generation prints exactly the decoded greedy tokens (the same run
    with --prompt-ids) up to the end-of-sequence id, which is set to the
    third greedy token; --ignore-eos prints all of them;
  - the encoder's --prompt embedding is the L2-normalized mean of its
    hidden states for the same ids (--prompt-ids --output), and
    --prompt-file gives one embedding per line.
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
SYSTEM = "You are a tiny test model"
TEMPLATE = ("{% for message in messages %}{% if loop.first and "
            "messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n"
            + SYSTEM + "<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + "
            "message['role'] + '\n' + message['content'] + '<|im_end|>' + "
            "'\n'}}{% endfor %}{% if add_generation_prompt %}{{ "
            "'<|im_start|>assistant\n' }}{% endif %}")
LLAMA3_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + "
    "'<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}"
    "{% if loop.index0 == 0 %}{% set content = bos_token + content %}"
    "{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}")
failed = False


def check(ok, what):
    global failed
    failed |= not ok
    print("%s %s" % ("PASS" if ok else "FAIL", what))


def run(cmd, **kwargs):
    proc = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, **kwargs)
    if proc.returncode != 0:
        sys.exit("FAIL %s exited with %d:\n%s" % (
            " ".join(map(str, cmd)), proc.returncode,
            proc.stderr.decode("utf-8", "replace")[-2000:]))
    return proc


def byte_chars():
    """GPT-2's byte-to-character table."""
    printable = (list(range(33, 127)) + list(range(161, 173)) +
                 list(range(174, 256)))
    chars, extra = {}, 256
    for b in range(256):
        if b in printable:
            chars[b] = chr(b)
        else:
            chars[b] = chr(extra)
            extra += 1
    return chars


def byte_level_files(directory):
    chars = byte_chars()
    vocab = {chars[b]: b for b in range(256)}
    for i, token in enumerate(SPECIALS):
        vocab[token] = 256 + i
    vocab["hi"] = 259
    spec = {
        "added_tokens": [{"id": 256 + i, "content": t, "special": True,
                          "normalized": False}
                         for i, t in enumerate(SPECIALS)],
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False},
        "decoder": {"type": "ByteLevel"},
        "model": {"type": "BPE", "vocab": vocab, "merges": ["h i"]},
    }
    with open(os.path.join(directory, "tokenizer.json"), "w") as f:
        json.dump(spec, f)
    with open(os.path.join(directory, "tokenizer_config.json"), "w") as f:
        json.dump({"chat_template": TEMPLATE, "eos_token": "<|im_end|>"}, f)


def encode(text):
    """The ids the tokenizer above gives: bytes, with "hi" merged."""
    ids, data, i = [], text.encode("utf-8"), 0
    while i < len(data):
        if data[i:i + 2] == b"hi":
            ids.append(259)
            i += 2
        else:
            ids.append(data[i])
            i += 1
    return ids


def encode_chat(user):
    ids = []
    for role, content in (("system", SYSTEM), ("user", user)):
        ids += [257] + encode(role + "\n" + content) + [258] + encode("\n")
    return ids + [257] + encode("assistant\n")


def decode(ids):
    data = b"".join(bytes([i]) if i < 256 else b"hi" if i == 259 else b""
                    for i in ids)
    return data.decode("utf-8", "replace")


def decoder(args):
    d = os.path.join(args.workdir, "llama")
    os.makedirs(d, exist_ok=True)
    sizes = ["-D", "layers=2", "-D", "dim=64", "-D", "heads=4", "-D",
             "kv_heads=2", "-D", "ffn=128", "-D", "vocab=300"]
    example = os.path.join(REPO, "examples", "llama.loom")
    run([args.loomc, example, "--emit=params", "-o",
         os.path.join(d, "m.json")] + sizes)
    run([sys.executable, os.path.join(REPO, "scripts", "make_checkpoint.py"),
         os.path.join(d, "m.json"), "-o",
         os.path.join(d, "model.safetensors"), "--seed", "3", "--std", "0.5"])
    exe = os.path.join(args.workdir, "llama-model")
    run([args.loomc, example, "-o", exe] + sizes)
    byte_level_files(d)
    weights = os.path.join(d, "model.safetensors")

    prompt = "hi there, hi!"
    out = run([exe, "--weights", weights, "--prompt", prompt, "-n", "0",
               "--print-prompt-ids"])
    got = [int(t) for t in out.stderr.split()]
    check(got == encode(prompt), "prompt ids %s" % got)

    out = run([exe, "--weights", weights, "--prompt", "hi", "--chat", "-n",
               "0", "--print-prompt-ids"])
    got = [int(t) for t in out.stderr.split()]
    check(got == encode_chat("hi"), "chat prompt ids (%d tokens, default "
          "system message)" % len(got))
    out = run([exe, "--weights", weights, "--prompt", "hi", "--chat",
               "--system", "Be brief", "-n", "0", "--print-prompt-ids"])
    got = [int(t) for t in out.stderr.split()]
    want = ([257] + encode("system\nBe brief") + [258] + encode("\n") +
            [257] + encode("user\nhi") + [258] + encode("\n") + [257] +
            encode("assistant\n"))
    check(got == want, "chat prompt ids with --system")


    # A Llama 3 template: header tokens, the BOS it writes itself, trimmed
    # content, the end-of-turn token.
    llama3 = os.path.join(d, "llama3")
    os.makedirs(llama3, exist_ok=True)
    specials = ["<|begin_of_text|>", "<|start_header_id|>",
                "<|end_header_id|>", "<|eot_id|>"]
    with open(os.path.join(d, "tokenizer.json")) as f:
        spec = json.load(f)
    for i, token in enumerate(specials):
        spec["model"]["vocab"][token] = 260 + i
        spec["added_tokens"].append({"id": 260 + i, "content": token,
                                     "special": True, "normalized": False})
    with open(os.path.join(llama3, "tokenizer.json"), "w") as f:
        json.dump(spec, f)
    with open(os.path.join(llama3, "tokenizer_config.json"), "w") as f:
        json.dump({"chat_template": LLAMA3_TEMPLATE}, f)
    os.link(weights, os.path.join(llama3, "model.safetensors"))
    out = run([exe, "--weights", os.path.join(llama3, "model.safetensors"),
               "--prompt", " hi ", "--chat", "--system", "Be brief", "-n",
               "0", "--print-prompt-ids"])
    got = [int(t) for t in out.stderr.split()]
    want = ([260, 261] + encode("system") + [262] + encode("\n\nBe brief") +
            [263, 261] + encode("user") + [262] + encode("\n\nhi") +
            [263, 261] + encode("assistant") + [262] + encode("\n\n"))
    check(got == want, "Llama 3 chat prompt ids (%d tokens)" % len(got))

    # Greedy ids for the same prompt, then the text run must print their
    # text up to the end-of-sequence id (the third greedy token).
    ids = encode(prompt)
    out = run([exe, "--weights", weights, "--prompt-ids",
               " ".join(map(str, ids)), "-n", "12"])
    greedy = [int(t) for t in out.stdout.split()]
    eos = greedy[2]
    stop = greedy.index(eos)
    with open(os.path.join(d, "generation_config.json"), "w") as f:
        json.dump({"eos_token_id": [eos, 299]}, f)
    out = run([exe, "--weights", weights, "--prompt", prompt, "-n", "12"])
    text = out.stdout.decode("utf-8")
    check(text == decode(greedy[:stop]) + "\n",
          "text output stops at the end-of-sequence id %d after %d tokens"
          % (eos, stop))
    out = run([exe, "--weights", weights, "--prompt", prompt, "-n", "12",
               "--ignore-eos"])
    text = out.stdout.decode("utf-8")
    check(text == decode(greedy) + "\n", "--ignore-eos prints all 12 tokens")


def encoder(args):
    d = os.path.join(args.workdir, "bert")
    os.makedirs(os.path.join(d, "1_Pooling"), exist_ok=True)
    sizes = ["-D", "layers=2", "-D", "dim=64", "-D", "heads=4", "-D",
             "ffn=128", "-D", "vocab=40", "-D", "positions=32"]
    example = os.path.join(REPO, "examples", "bert.loom")
    run([args.loomc, example, "--emit=params", "-o",
         os.path.join(d, "m.json")] + sizes)
    run([sys.executable, os.path.join(REPO, "scripts", "make_checkpoint.py"),
         os.path.join(d, "m.json"), "-o",
         os.path.join(d, "model.safetensors"), "--seed", "4", "--std", "0.2"])
    exe = os.path.join(args.workdir, "bert-model")
    run([args.loomc, example, "-o", exe] + sizes)
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "cat", "sat", "on",
             "mat", "##s", ".", "a", "dog"]
    spec = {
        "added_tokens": [{"id": i, "content": w, "special": True}
                         for i, w in enumerate(words[:4])],
        "normalizer": {"type": "BertNormalizer", "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3],
                           "cls": ["[CLS]", 2]},
        "decoder": {"type": "WordPiece"},
        "model": {"type": "WordPiece", "unk_token": "[UNK]",
                  "vocab": {w: i for i, w in enumerate(words)}},
    }
    with open(os.path.join(d, "tokenizer.json"), "w") as f:
        json.dump(spec, f)
    with open(os.path.join(d, "1_Pooling", "config.json"), "w") as f:
        json.dump({"pooling_mode_mean_tokens": True}, f)
    with open(os.path.join(d, "modules.json"), "w") as f:
        json.dump([{"type": "sentence_transformers.models.Pooling"},
                   {"type": "sentence_transformers.models.Normalize"}], f)
    weights = os.path.join(d, "model.safetensors")
    sentences = ["The cats sat on the mat.", "A dog sat on a cat."]
    ids = [[2, 4, 5, 9, 6, 7, 4, 8, 10, 3], [2, 11, 12, 6, 7, 11, 5, 10, 3]]
    want = []
    for n, sentence_ids in enumerate(ids):
        hidden = os.path.join(args.workdir, "hidden%d.npy" % n)
        run([exe, "--weights", weights, "--prompt-ids",
             " ".join(map(str, sentence_ids)), "--output", hidden])
        mean = np.load(hidden).astype(np.float64).mean(axis=0)
        want.append(mean / np.linalg.norm(mean))
    out = run([exe, "--weights", weights, "--prompt", sentences[0],
               "--print-prompt-ids"])
    got_ids = [int(t) for t in out.stderr.split()]
    check(got_ids == ids[0], "WordPiece prompt ids %s" % got_ids)
    got = np.array(json.loads(out.stdout))
    diff = float(np.abs(got[0] - want[0]).max())
    check(got.shape == (1, 64) and diff < 1e-5,
          "--prompt embedding: normalized mean pooling, max|diff| %.2g" % diff)
    lines = os.path.join(args.workdir, "sentences.txt")
    with open(lines, "w") as f:
        f.write(sentences[0] + "\n\n" + sentences[1] + "\n")
    npy = os.path.join(args.workdir, "embeddings.npy")
    run([exe, "--weights", weights, "--prompt-file", lines, "--output", npy])
    got = np.load(npy)
    diff = float(np.abs(got - np.array(want)).max())
    check(got.shape == (2, 64) and diff < 1e-5,
          "--prompt-file: one embedding per non-empty line, max|diff| %.2g"
          % diff)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--loomc", required=True)
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    decoder(args)
    encoder(args)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
