#!/usr/bin/python3
"""End-to-end numerical test of one example model.

  e2e.py --loomc PATH --example NAME.loom --workdir DIR [-D k=v ...] [-I DIR]
         [--prompt "1 2 3"] [--steps 16] [--tol 1e-4] [--seed 0] [--skip-run]
         [--loomc-arg ARG ...] [--run-env NAME=VALUE ...]

Steps:
  1. `loomc EXAMPLE --emit=params -D ...` -> DIR/manifest.json
  2. a seeded random checkpoint for the manifest -> DIR/weights.safetensors
     (name-based: norm scales 1 + 0.1*randn, biases 0.02*randn, everything
     else 0.05*randn; `--checkpoint script` uses scripts/make_checkpoint.py)
  3. the PyTorch reference (reference.py, float64) on those weights: checks
     that every tensor it reads exists with the right shape and that every
     manifest tensor is read (catches naming mismatches); computes the
     prefill logits and `--steps` greedy tokens by full recompute (decoders)
     or the final hidden states (encoders) -> DIR/reference.*
  4. unless --skip-run: `loomc EXAMPLE --emit=exe -o DIR/model -D ...`, runs
     it, and compares its logits / hidden states (max |diff| <= tol) and its
     greedy tokens (identical) with the reference.

Prints one `PASS ...` / `FAIL ...` line per check; exits 1 on any failure
(2 on a usage or setup error). Run with /usr/bin/python3 (needs torch).
"""

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, HERE)
import reference as ref  # noqa: E402
import quant_ref  # noqa: E402
import torch  # noqa: E402

REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
MAKE_CHECKPOINT = os.path.join(REPO, "scripts", "make_checkpoint.py")
DEFAULT_PROMPT = "3 14 15 92 65 35 89"


class Report:
    def __init__(self):
        self.failed = False

    def ok(self, msg):
        print("PASS " + msg, flush=True)

    def fail(self, msg):
        self.failed = True
        print("FAIL " + msg, flush=True)

    def check(self, cond, msg):
        (self.ok if cond else self.fail)(msg)
        return cond

    def note(self, msg):
        print("NOTE " + msg, flush=True)


def die(msg):
    print("ERROR " + msg, file=sys.stderr, flush=True)
    sys.exit(2)


def run(cmd, timeout, what, env=None):
    print("+ " + " ".join(shlex.quote(c) for c in cmd), file=sys.stderr,
          flush=True)
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=timeout,
                           env=dict(os.environ, **(env or {})))
    except subprocess.TimeoutExpired:
        return None, "%s timed out after %ds" % (what, timeout)
    except OSError as e:
        return None, "%s could not start: %s" % (what, e)
    if p.returncode != 0:
        return p, "%s exited with %d:\n%s%s" % (what, p.returncode,
                                                 p.stdout[-4000:],
                                                 p.stderr[-4000:])
    if p.stderr.strip():
        sys.stderr.write(p.stderr)
    return p, None


# ---------------------------------------------------------------------------
# Checkpoint.
# ---------------------------------------------------------------------------

_LN_RE = re.compile(r"(^|\.)ln_[^.]*\.weight$")


def is_norm_weight(name):
    low = name.lower()
    return low.endswith("norm.weight") or bool(_LN_RE.search(name))


def init_tensor(name, shape, seed):
    rng = np.random.RandomState((zlib.crc32(name.encode()) ^ seed) & 0xFFFFFFFF)
    z = rng.standard_normal(shape)
    if is_norm_weight(name):
        return 1.0 + 0.1 * z
    if name.endswith(".bias"):
        return 0.02 * z
    if len(shape) == 1 and shape[0] <= 4:
        # Learned coefficients (a Param(n) of a few scalars: mixing weights,
        # polynomial coefficients) start near 0.5, as trained ones sit.
        return 0.5 + 0.1 * z
    return 0.05 * z


def builtin_checkpoint(manifest, path, seed):
    tensors, dtypes = {}, {}
    for t in manifest["tensors"]:
        tensors[t["name"]] = init_tensor(t["name"], t["shape"], seed).astype(np.float32)
        dtypes[t["name"]] = t.get("dtype", "F32")
    ref.save_safetensors(path, tensors, dtypes)


def well_conditioned(tensors):
    """None if the weights look like our init, else the reason they do not."""
    norms = [v for k, v in tensors.items() if is_norm_weight(k)]
    if norms:
        m = float(np.mean(np.concatenate([np.ravel(v) for v in norms])))
        if abs(m - 1.0) > 0.5:
            return "norm weights average %.3g (want ~1)" % m
    mats = [v for k, v in tensors.items() if np.ndim(v) == 2]
    if mats:
        s = float(np.sqrt(np.mean(np.concatenate(
            [np.ravel(v).astype(np.float64) ** 2 for v in mats]))))
        if not 0.005 < s < 0.3:
            return "matrix weights have rms %.3g (want ~0.02-0.1)" % s
    return None


def make_checkpoint(args, manifest, manifest_path, path):
    """Writes the checkpoint; returns a description of the writer used.

    The default is the harness's own name-based initialiser: norm scales
    1 + 0.1*randn (not exactly 1, so a backend that drops a norm's scale
    fails). `--checkpoint script` uses scripts/make_checkpoint.py with
    `--std 0.05 --norm-ones` instead, falling back to the initialiser if the
    script is missing, fails, or writes something ill-conditioned.
    """
    if args.checkpoint == "script":
        if not os.path.exists(MAKE_CHECKPOINT):
            err = "%s not found" % MAKE_CHECKPOINT
        else:
            _, err = run([sys.executable, MAKE_CHECKPOINT, manifest_path, "-o",
                          path, "--seed", str(args.seed), "--std", "0.05",
                          "--norm-ones"], args.timeout, "make_checkpoint.py")
        if err is None:
            try:
                why = well_conditioned(ref.load_safetensors(path))
            except Exception as e:  # noqa: BLE001
                why = "unreadable output (%s)" % e
            if why is None:
                return "scripts/make_checkpoint.py"
            err = "make_checkpoint.py output rejected: " + why
        print("NOTE %s; using the harness's own initialiser"
              % err.splitlines()[0], flush=True)
    builtin_checkpoint(manifest, path, args.seed)
    return "builtin initialiser"


# ---------------------------------------------------------------------------
# Main.
# ---------------------------------------------------------------------------


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--loomc", required=True)
    ap.add_argument("--example", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("-D", dest="defines", action="append", default=[],
                    metavar="NAME=VALUE")
    ap.add_argument("-I", dest="includes", action="append", default=[],
                    metavar="DIR", help="directory searched by import")
    ap.add_argument("--model", help="the model of the example to compile "
                    "(loomc --model), when it holds several")
    ap.add_argument("--prompt", default=DEFAULT_PROMPT)
    ap.add_argument("--steps", type=int, default=16)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-run", action="store_true",
                    help="only manifest + checkpoint + reference self-test")
    ap.add_argument("--checkpoint", choices=("builtin", "script"),
                    default="builtin",
                    help="checkpoint writer (default: builtin, see "
                    "make_checkpoint())")
    ap.add_argument("--quantize", choices=sorted(quant_ref.BLOCK_BYTES),
                    help="compile with loomc --quantize=FORMAT; the reference "
                    "then computes on the matrices it quantizes (those "
                    "matching --quantized) rounded through the format, and "
                    "rounds their products' inputs to 8 bits per block")
    ap.add_argument("--quantize-inputs", choices=("int8", "int8x2", "bf16"),
                    default="int8",
                    help="with --quantize: loomc --quantize-inputs; the "
                    "reference rounds the products' inputs alike")
    ap.add_argument("--quantize-inputs-of", action="append", default=[],
                    metavar="REGEX=INPUTS",
                    help="with --quantize: the products whose weights match "
                    "REGEX round their inputs as INPUTS says (loomc "
                    "--quantize-override=REGEX=FORMAT:INPUTS); repeatable")
    ap.add_argument("--quantize-format-of", action="append", default=[],
                    metavar="REGEX=FORMAT",
                    help="with --quantize: the matrices that match REGEX in "
                    "FORMAT instead (loomc --quantize-override=REGEX=FORMAT; "
                    "per layer where REGEX names some layers); repeatable, "
                    "the first match wins")
    ap.add_argument("--quantized", default=r"^(?!.*embed).*",
                    help="regex of the 2-D weights --quantize rounds (default: "
                    "every matrix but embeddings)")
    ap.add_argument("--loomc-arg", dest="loomc_args", action="append",
                    default=[], metavar="ARG",
                    help="one more loomc argument for the program's build "
                    "(e.g. --target=cuda)")
    ap.add_argument("--run-env", dest="run_env", action="append", default=[],
                    metavar="NAME=VALUE",
                    help="an environment variable for the program's run")
    ap.add_argument("--timeout", type=int, default=600,
                    help="seconds per subprocess")
    return ap.parse_args()


def main():
    args = parse_args()
    rep = Report()
    loomc = shutil.which(args.loomc) or args.loomc
    if not os.path.exists(loomc):
        die("loomc not found: %s" % args.loomc)
    os.makedirs(args.workdir, exist_ok=True)
    wd = args.workdir
    dflags = []
    for d in args.defines:
        if "=" not in d:
            die("-D expects NAME=VALUE, got %r" % d)
        dflags += ["-D", d]
    for include in args.includes:
        dflags += ["-I", include]
    if args.model:
        dflags += ["--model", args.model]
    try:
        prompt = [int(t) for t in args.prompt.split()]
    except ValueError:
        die("--prompt must be space-separated integers")
    if not prompt:
        die("empty --prompt")

    # 1. Manifest.
    p, err = run([loomc, args.example, "--emit=params"] + dflags, args.timeout,
                 "loomc --emit=params")
    if err:
        rep.fail("manifest: " + err)
        return 1
    try:
        manifest = json.loads(p.stdout)
    except ValueError as e:
        rep.fail("manifest: not JSON (%s)" % e)
        return 1
    manifest_path = os.path.join(wd, "manifest.json")
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=2)
    model, cfg = manifest.get("model"), manifest.get("config", {})
    if model not in ref.MODELS:
        rep.fail("manifest: model %r has no reference (known: %s)"
                 % (model, ", ".join(sorted(ref.MODELS))))
        return 1
    fn, kind = ref.MODELS[model]
    if not manifest.get("input_width") and (
            max(prompt) >= cfg.get("vocab", 0) or min(prompt) < 0):
        die("prompt ids must lie in [0, vocab=%s)" % cfg.get("vocab"))
    total = len(prompt) + (args.steps if kind == "decoder" else 0)
    if "positions" in cfg and total > cfg["positions"]:
        die("prompt + steps = %d exceeds positions=%d" % (total, cfg["positions"]))

    # 2. Checkpoint.
    ckpt = os.path.join(wd, "weights.safetensors")
    source = make_checkpoint(args, manifest, manifest_path, ckpt)
    tensors = ref.load_safetensors(ckpt)
    names = [t["name"] for t in manifest["tensors"]]
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        rep.fail("manifest: duplicate tensor names: " + ", ".join(dups))
    bad = [n for n in names if n not in tensors]
    bad += ["%s %s != manifest %s" % (t["name"], list(tensors[t["name"]].shape),
                                      t["shape"])
            for t in manifest["tensors"]
            if t["name"] in tensors and list(tensors[t["name"]].shape) != t["shape"]]
    if bad:
        rep.fail("checkpoint (%s) disagrees with manifest: %s"
                 % (source, "; ".join(bad[:10])))
        return 1

    # A model that reads float features gets one random row per prompt
    # position instead of the ids.
    inputs = prompt
    width = manifest.get("input_width", 0)
    features_path = os.path.join(wd, "features.npy")
    if width:
        rng = np.random.RandomState((args.seed ^ 0x5EED) & 0xFFFFFFFF)
        features = rng.standard_normal((len(prompt), width)).astype(np.float32)
        np.save(features_path, features)
        inputs = torch.tensor(features, dtype=torch.float64)

    # 3. Reference self-test: names and shapes, both ways.
    W = ref.Weights(tensors, lenient=True)
    try:
        out = fn(W, cfg, inputs)
    except Exception as e:  # noqa: BLE001
        rep.fail("reference %s raised %s: %s" % (model, type(e).__name__, e))
        return 1
    problems = ["missing %s %s" % m for m in W.missing]
    problems += ["shape %s: reference %s, manifest %s" % m for m in W.mismatched]
    problems += ["unused %s" % n for n in W.unused()]
    if not rep.check(not problems, "names: %s %d tensors, reference reads all, "
                     "needs no other" % (model, len(names))
                     if not problems else "names: %s: %s"
                     % (model, "; ".join(problems))):
        return 1

    if args.quantize:
        pattern = re.compile(args.quantized)
        rounded = [n for n, v in tensors.items()
                   if np.ndim(v) == 2 and pattern.search(n)]
        for n in rounded:
            fmt = next((f for regex, _, f in
                        (item.rpartition("=") for item in
                         args.quantize_format_of)
                        if re.search(regex, n)), args.quantize)
            tensors[n] = quant_ref.fake_quantize(tensors[n], fmt)
        # Their products also round the activations they read.
        ref.QUANTIZED_INPUTS.update(rounded)
        ref.QUANTIZED_INPUTS_ROUNDING = args.quantize_inputs
        for item in reversed(args.quantize_inputs_of):  # first wins
            regex, _, rounding = item.rpartition("=")
            for n in rounded:
                if re.search(regex, n):
                    ref.QUANTIZED_INPUTS_ROUNDING_OF[n] = rounding
        print("reference: %d matrices rounded through %s"
              % (len(rounded), args.quantize), flush=True)
    W = ref.Weights(tensors)
    out = fn(W, cfg, inputs).numpy()
    if not np.all(np.isfinite(out)):
        rep.fail("reference output not finite")
        return 1
    if kind == "decoder":
        np.save(os.path.join(wd, "reference_logits.npy"), out)
        tokens, margins = ref.greedy(fn, W, cfg, prompt, args.steps)
        with open(os.path.join(wd, "reference_tokens.txt"), "w") as f:
            f.write(" ".join(map(str, tokens)) + "\n")
        print("reference: logits %s |max|=%.3g, greedy %s (min top-2 margin %.2g)"
              % (list(out.shape), float(np.abs(out).max()),
                 " ".join(map(str, tokens)), min(margins)), flush=True)
        if min(margins) < 10 * args.tol:
            rep.note("near-tie in greedy reference (margin %.2g); consider "
                     "another --seed or --prompt" % min(margins))
    else:
        np.save(os.path.join(wd, "reference_hidden.npy"), out)
        print("reference: hidden %s |max|=%.3g" % (list(out.shape),
                                                   float(np.abs(out).max())),
              flush=True)

    if args.skip_run:
        print("SKIP run (--skip-run)", flush=True)
        return 1 if rep.failed else 0

    # 4. Compile and run.
    exe = os.path.join(wd, "model")
    quantize = ["--quantize=" + args.quantize] if args.quantize else []
    if args.quantize and args.quantize_inputs != "int8":
        quantize.append("--quantize-inputs=" + args.quantize_inputs)
    for item in args.quantize_format_of if args.quantize else []:
        quantize.append("--quantize-override=" + item)
    for item in args.quantize_inputs_of if args.quantize else []:
        regex, _, rounding = item.rpartition("=")
        quantize.append("--quantize-override=%s=%s:%s" % (regex, args.quantize,
                                                          rounding))
    _, err = run([loomc, args.example, "--emit=exe", "-o", exe] + dflags +
                 quantize + args.loomc_args, args.timeout, "loomc --emit=exe")
    if err:
        rep.fail("compile: " + err)
        return 1
    cmd = [exe, "--weights", ckpt]
    cmd += (["--input-features", features_path] if width else
            ["--prompt-ids", " ".join(map(str, prompt))])
    if kind == "decoder":
        got_path = os.path.join(wd, "logits.npy")
        cmd += ["-n", str(args.steps), "--temperature", "0", "--logits", got_path]
    else:
        got_path = os.path.join(wd, "hidden.npy")
        cmd += ["--output", got_path]
    if os.path.exists(got_path):
        os.remove(got_path)
    run_env = dict(kv.split("=", 1) for kv in args.run_env)
    p, err = run(cmd, args.timeout, "model", run_env)
    if err:
        rep.fail("run: " + err)
        return 1

    what = "logits" if kind == "decoder" else "hidden"
    try:
        got = np.load(got_path)
    except Exception as e:  # noqa: BLE001
        got = None
        rep.fail("%s: cannot read %s (%s)" % (what, got_path, e))
    if got is not None:
        if got.shape != out.shape:
            rep.fail("%s: shape %s, reference %s" % (what, list(got.shape),
                                                     list(out.shape)))
        elif not np.all(np.isfinite(got)):
            rep.fail("%s: non-finite values" % what)
        else:
            diff = np.abs(got.astype(np.float64) - out)
            where = np.unravel_index(int(np.argmax(diff)), diff.shape)
            rep.check(diff.max() <= args.tol,
                      "%s max|diff|=%.2g (tol %.1g, at %s)"
                      % (what, diff.max(), args.tol, list(map(int, where))))

    if kind == "decoder":
        lines = [l for l in p.stdout.splitlines() if l.strip()]
        try:
            got_tokens = [int(t) for t in lines[-1].split()] if lines else []
        except ValueError:
            got_tokens = None
            rep.fail("tokens: last stdout line is not token ids: %r" % lines[-1])
        if got_tokens is not None:
            if got_tokens == tokens:
                rep.ok("tokens %d/%d identical" % (len(tokens), len(tokens)))
            else:
                first = next((i for i, (a, b) in enumerate(zip(got_tokens, tokens))
                              if a != b), min(len(got_tokens), len(tokens)))
                tie = first < len(margins) and margins[first] <= 10 * args.tol \
                    and len(got_tokens) == len(tokens)
                msg = ("tokens differ from step %d (reference margin there %s):"
                       "\n  got %s\n  ref %s"
                       % (first, "%.2g" % margins[first] if first < len(margins)
                          else "n/a", " ".join(map(str, got_tokens)),
                          " ".join(map(str, tokens))))
                if tie:
                    rep.ok(msg + "\n  (near-tie: accepted)")
                else:
                    rep.fail(msg)
    if model in ref.DEPTHS and got_tokens is not None:
        check_depths(rep, ref.DEPTHS[model](W, cfg, prompt + tokens[:-1]),
                     p.stderr)
    return 1 if rep.failed else 0


def check_depths(rep, depths, stderr):
    """Adaptive loops: the program's count of iterations (its `adaptive
    depth` line) is the reference's, and tokens left at different depths
    (else the test would not exercise the KV rule for skipped iterations)."""
    rep.check(len(set(depths)) > 1,
              "depths vary: %s" % " ".join(map(str, depths)))
    match = re.search(r"adaptive depth: [0-9.]+ iterations per token on "
                      r"average, (\d+) of (\d+)", stderr)
    if not match:
        rep.fail("depth: no 'adaptive depth' line on the program's stderr")
        return
    rep.check(int(match.group(1)) == sum(depths),
              "depth: %s iterations, reference %d over %d tokens"
              % (match.group(1), sum(depths), len(depths)))


if __name__ == "__main__":
    sys.exit(main())
