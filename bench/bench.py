#!/usr/bin/python3
"""Loom CPU benchmark: compiled models against PyTorch and against the
machine's own ceilings, measured in the same run.

  /usr/bin/python3 bench/bench.py [--work DIR] [--repeats 3] [--quick]

Builds loomc and the runtime, writes random checkpoints, compiles
examples/llama.loom and examples/gpt2.loom, times prefill and decode of the
Loom programs and of an fp32 PyTorch peer on the same checkpoints, measures
STREAM-triad bandwidth and OpenBLAS sgemm throughput, and prints a markdown
table (also written to WORK/results.md, with every raw number in
WORK/results.json).  bench/README.md explains each number.
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"

# Sizes of one benchmark mode.  `models` holds (name, .loom file, -D
# overrides); `growth` is the layer count of the extra compile-time point.
FULL = {
    "models": [("llama", "examples/llama.loom", []),
               ("gpt2", "examples/gpt2.loom", [])],
    "prefill": [128, 512],
    "decode": (128, 128),          # (prompt tokens, decode steps)
    "growth": ("llama", 24),
    "stream_mib": 256, "stream_iterations": 20, "stream_pair_iterations": 5,
    "sgemm_sizes": [1024, 1536, 2048], "sgemm_repeats": 5,
    "sgemm_pair_sizes": [1536, 2048], "sgemm_pair_repeats": 2,
    "kernels_args": ["--rounds", 3],
}
QUICK = {
    "models": [("llama", "examples/llama.loom",
                ["layers=2", "dim=128", "heads=4", "kv_heads=2", "ffn=256",
                 "vocab=1000"]),
               ("gpt2", "examples/gpt2.loom",
                ["layers=2", "dim=128", "heads=4", "vocab=1000",
                 "positions=256"])],
    "prefill": [32, 64],
    "decode": (32, 16),
    "growth": ("llama", 4),
    "stream_mib": 64, "stream_iterations": 5, "stream_pair_iterations": 2,
    "sgemm_sizes": [512, 1024], "sgemm_repeats": 2,
    "sgemm_pair_sizes": [512], "sgemm_pair_repeats": 1,
    "kernels_args": ["--rounds", 1, "--m", 64, "--shapes", "256:128"],
}

# Per model family (the manifest's "model"): token/position tables, of which a
# token reads one row, and the LM head, read whole once per token (GPT-2's is
# tied to its token embedding).
EMBEDDINGS = {"Llama": {"model.embed_tokens.weight"},
              "GPT2": {"transformer.wte.weight", "transformer.wpe.weight"}}
HEADS = {"Llama": "lm_head.weight", "GPT2": "transformer.wte.weight"}
DTYPE_BYTES = {"F32": 4, "F16": 2, "BF16": 2}

BUILD_TARGETS = ["loomc", "LoomRuntime", "LoomRuntimeModel", "LoomRuntimeMain"]


def log(message):
    """Progress on stderr, so stdout stays the table."""
    sys.stderr.write("[bench] %s\n" % message)
    sys.stderr.flush()


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Benchmark Loom-compiled models against PyTorch and the "
                    "machine's bandwidth / sgemm ceilings.")
    parser.add_argument("--work", default=str(ROOT / "build" / "bench"),
                        help="work directory (default: build/bench)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed runs per measurement (default 3)")
    parser.add_argument("--long-repeats", type=int, default=None,
                        help="Loom runs of the longest prefill, when that is "
                             "too slow to repeat (default: --repeats)")
    parser.add_argument("--threads", type=int, default=2,
                        help="threads for Loom, PyTorch and the ceilings")
    parser.add_argument("--quick", action="store_true",
                        help="tiny models and one repeat: a smoke test of "
                             "the harness itself")
    parser.add_argument("--models", default=None,
                        help="comma-separated subset of: llama,gpt2")
    parser.add_argument("--no-build", action="store_true",
                        help="use the existing build/ as is")
    parser.add_argument("--peer-coretype", default="SkylakeX",
                        help="OPENBLAS_CORETYPE for PyTorch and sgemm "
                             "(default SkylakeX; 'native' unsets it)")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats = 1
    if args.long_repeats is None:
        args.long_repeats = args.repeats
    if args.repeats < 1 or args.long_repeats < 1 or args.threads < 1:
        parser.error("--repeats, --long-repeats and --threads must be >= 1")
    args.long_repeats = min(args.long_repeats, args.repeats)
    return args


# ---------------------------------------------------------------------------
# Processes.
# ---------------------------------------------------------------------------


class RunResult:
    """A finished child process: output, wall time and peak RSS."""

    def __init__(self, returncode, stdout, stderr, seconds, max_rss_kib):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds
        self.max_rss_kib = max_rss_kib


def run(cmd, work, env=None, check=True, timeout=1800):
    """Runs `cmd`, returning a RunResult with the child's own peak RSS
    (from wait4, so other children do not blur it)."""
    out_path, err_path = work / ".stdout", work / ".stderr"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen([str(c) for c in cmd], stdout=out, stderr=err,
                                env=env, cwd=ROOT)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    result = RunResult(proc.returncode, out_path.read_text(errors="replace"),
                       err_path.read_text(errors="replace"), seconds,
                       usage.ru_maxrss)
    if check and result.returncode != 0:
        raise RuntimeError("command failed (exit %d): %s\n%s%s" % (
            result.returncode, " ".join(str(c) for c in cmd),
            result.stdout[-2000:], result.stderr[-2000:]))
    return result


def cpu_has(flag):
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return any(line.startswith("flags") and flag in line.split()
                       for line in f)
    except OSError:
        return False


def cpu_name():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def peer_env(args):
    """Environment for PyTorch and sgemm: OpenBLAS at its best on this
    machine, `threads` threads, passive OpenMP waiting.  Only these child
    processes get it."""
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    if args.peer_coretype != "native":
        if args.peer_coretype == "SkylakeX" and not cpu_has("avx512f"):
            log("no AVX-512: leaving OPENBLAS_CORETYPE unset for the peers")
        else:
            env["OPENBLAS_CORETYPE"] = args.peer_coretype
    env["OPENBLAS_NUM_THREADS"] = str(args.threads)
    env["OMP_NUM_THREADS"] = str(args.threads)
    env["OMP_WAIT_POLICY"] = "PASSIVE"
    return env


def snapshot_toolchain(build_dir, work):
    """Copies loomc and the runtime libraries into WORK/toolchain (loomc
    finds the libraries in ../lib next to itself), so that a rebuild of
    build/ during the benchmark cannot change or break what is measured.
    Returns the copied loomc."""
    files = [("bin", "loomc")] + [("lib", "lib%s.a" % t)
                                  for t in BUILD_TARGETS[1:]]
    for sub, name in files:
        source = build_dir / sub / name
        if not source.exists():
            raise RuntimeError("%s not found; build it or drop --no-build"
                               % source)
        (work / "toolchain" / sub).mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, work / "toolchain" / sub / name)
    return work / "toolchain" / "bin" / "loomc"


def find_c_compiler():
    for name in ("clang-22", "clang", "cc", "gcc"):
        path = shutil.which(name)
        if path:
            return path
    raise RuntimeError("no C compiler found (clang-22, clang, cc, gcc)")


def find_cxx_compiler():
    for name in ("clang++-22", "clang++", "c++", "g++"):
        path = shutil.which(name)
        if path:
            return path
    raise RuntimeError("no C++ compiler found (clang++-22, clang++, c++, g++)")


def build_helper(source, output, work, libs):
    """Compiles bench/SOURCE into WORK/OUTPUT with -O3 -march=native."""
    cxx = source.endswith(".cpp")
    compiler = find_cxx_compiler() if cxx else find_c_compiler()
    flags = ["-std=c++17", "-I", ROOT / "runtime" / "include"] if cxx else []
    run([compiler, "-O3", "-march=native", "-pthread"] + flags +
        [BENCH / source, "-o", output] + libs, work)
    return output


def measure_kernels(exe, work, env, threads, mode):
    """Loom's GEMM against OpenBLAS's and its GEMV against a read pass,
    alternating (bench/kernels.cpp)."""
    out = run([exe, "--threads", threads] + mode["kernels_args"], work,
              env=env)
    return json.loads(out.stdout)


# ---------------------------------------------------------------------------
# Ceilings.
# ---------------------------------------------------------------------------


def measure_stream(exe, work, threads, mode, iterations=None):
    """STREAM triad and read GB/s per iteration, with `threads` threads."""
    out = run([exe, threads, mode["stream_mib"],
               iterations or mode["stream_iterations"]], work)
    data = json.loads(out.stdout)
    return {"triad_gbs": data["triad_gbs"], "read_gbs": data["read_gbs"]}


def measure_sgemm(exe, work, env, mode, paired=False):
    """OpenBLAS sgemm GFLOP/s per size under `env` (the short set of sizes
    with `paired`)."""
    sizes = mode["sgemm_pair_sizes" if paired else "sgemm_sizes"]
    repeats = mode["sgemm_pair_repeats" if paired else "sgemm_repeats"]
    out = run([exe] + sizes + ["-r", repeats], work, env=env)
    data = json.loads(out.stdout)
    values = [v for rates in data["sizes"].values() for v in rates]
    return {"config": data["config"], "threads": data["threads"],
            "sizes": data["sizes"], "best": max(values)}


# ---------------------------------------------------------------------------
# Workload arithmetic (see bench/README.md for the formulas).
# ---------------------------------------------------------------------------


def workload(manifest):
    """Per-token byte and flop counts of a model from its manifest."""
    family, cfg = manifest["model"], manifest["config"]
    embeddings, head = EMBEDDINGS[family], HEADS[family]
    stats = {"weight_bytes": 0, "decode_weight_bytes": 0, "matmul_params": 0,
             "head_params": 0, "params": 0}
    for t in manifest["tensors"]:
        count = 1
        for d in t["shape"]:
            count *= d
        size = count * DTYPE_BYTES[t.get("dtype", "F32")]
        stats["params"] += count
        stats["weight_bytes"] += size
        name = t["name"]
        if name in embeddings:                   # one row per token
            stats["decode_weight_bytes"] += size // t["shape"][0]
        if name == head:                         # read whole, once per token
            stats["decode_weight_bytes"] += size
            stats["head_params"] += count
        elif name not in embeddings:
            stats["decode_weight_bytes"] += size
            if len(t["shape"]) == 2:
                stats["matmul_params"] += count
    heads = cfg["heads"]
    head_dim = cfg["dim"] // heads
    stats.update(layers=cfg["layers"], dim=cfg["dim"], heads=heads,
                 kv_width=cfg.get("kv_heads", heads) * head_dim,
                 q_width=heads * head_dim, vocab=cfg["vocab"])
    return stats


def decode_bytes(w, context):
    """Bytes read per decoded token at an average context of `context`."""
    return w["decode_weight_bytes"] + w["layers"] * 2 * context * w["kv_width"] * 4


def prefill_flops(w, length):
    """FLOPs per prompt token: weights (LM head once per prompt) plus causal
    attention (QK^T and PV) at the average context (length + 1) / 2."""
    context = (length + 1) / 2
    return (2 * w["matmul_params"] + 2 * w["head_params"] / length +
            w["layers"] * 4 * w["q_width"] * context)


def memory_estimate(w, seq, max_seq):
    """Rough bytes a Loom run needs: weights (all of them; an embedding
    table is memory-mapped and only its used rows become resident), KV
    cache, and activations: the program's logits buffer of `seq` rows
    (allocated and zero-filled even though generation computes only the
    last row), one layer's intermediates (the projections' output widths,
    about a layer's matmul parameters / dim, plus a few residual-width rows)
    and one layer's attention scores."""
    kv = w["layers"] * 2 * max_seq * w["kv_width"] * 4
    layer_widths = w["matmul_params"] // max(w["layers"], 1) // w["dim"]
    activations = 4 * (seq * w["vocab"] + seq * (layer_widths + 4 * w["dim"]) +
                       w["heads"] * seq * max_seq)
    return {"weights": w["weight_bytes"], "kv_cache": kv,
            "activations": activations,
            "total": w["weight_bytes"] + kv + activations}


# ---------------------------------------------------------------------------
# Models.
# ---------------------------------------------------------------------------


def loomc_cmd(loomc, source, defines):
    cmd = [loomc, ROOT / source]
    for d in defines:
        cmd += ["-D", d]
    return cmd


def prompt_ids(length):
    """The benchmark's fixed prompt (same as torch_peer.prompt_ids)."""
    return " ".join(str(i % 1000 + 1) for i in range(length))


def make_checkpoint(manifest_path, ckpt, work):
    """Writes random weights for the manifest unless an identical one is
    already there (make_checkpoint.py is deterministic)."""
    digest = hashlib.sha256(manifest_path.read_bytes()).hexdigest()
    stamp = ckpt.with_suffix(".stamp")
    if ckpt.exists() and stamp.exists() and stamp.read_text() == digest:
        return
    run([sys.executable, ROOT / "scripts" / "make_checkpoint.py",
         manifest_path, "-o", ckpt, "--std", "0.02", "--norm-ones"], work)
    stamp.write_text(digest)


LOOM_RATE = re.compile(r"(prefill|decode) (\d+) tokens: ([0-9.]+) tokens/s")


def run_loom(exe, ckpt, work, threads, prompt, new_tokens):
    """One run of a compiled program with --bench: rates, tokens, RSS."""
    result = run([exe, "--weights", ckpt, "--prompt-ids", prompt_ids(prompt),
                  "-n", new_tokens, "--bench", "--threads", threads], work)
    rates = {m.group(1): float(m.group(3))
             for m in LOOM_RATE.finditer(result.stderr)}
    if "prefill" not in rates:
        raise RuntimeError("no prefill rate in the output of %s:\n%s"
                           % (exe, result.stderr))
    return {"rates": rates, "max_rss": result.max_rss_kib * 1024,
            "tokens": [int(t) for t in result.stdout.split()],
            "seconds": result.seconds}


def bench_model(name, source, defines, ctx):
    """Compiles and measures one model with Loom and PyTorch."""
    work, loomc, args, mode = ctx["work"], ctx["loomc"], ctx["args"], ctx["mode"]
    manifest_path = work / (name + ".json")
    run(loomc_cmd(loomc, source, defines) + ["--emit=params", "-o",
                                             manifest_path], work)
    manifest = json.loads(manifest_path.read_text())
    ckpt = work / (name + ".safetensors")
    log("%s: checkpoint" % name)
    make_checkpoint(manifest_path, ckpt, work)
    log("%s: compiling" % name)
    exe = work / name
    compile_s = run(loomc_cmd(loomc, source, defines) + ["-o", exe],
                    work).seconds

    w = workload(manifest)
    prompt, steps = mode["decode"]
    phases = []
    longest = max(mode["prefill"])
    for length in mode["prefill"]:
        repeats = args.long_repeats if length == longest and len(
            mode["prefill"]) > 1 else args.repeats
        log("%s: Loom prefill %d x%d" % (name, length, repeats))
        runs, loom_gflops = [], []
        for _ in range(repeats):
            r, ceilings = paired(ctx, lambda: run_loom(
                exe, ckpt, work, args.threads, length, 1))
            runs.append(r)
            loom_gflops.append(ceilings["sgemm"])
        phases.append({
            "phase": "prefill%d" % length, "kind": "prefill",
            "tokens": length, "context": (length + 1) / 2,
            "loom": [r["rates"]["prefill"] for r in runs],
            "loom_sgemm_gflops": loom_gflops,
            "max_rss": max(r["max_rss"] for r in runs),
            "memory_estimate": memory_estimate(w, length, length),
            "flops_per_token": prefill_flops(w, length)})
    log("%s: Loom decode %d after %d x%d" % (name, steps, prompt, args.repeats))
    runs, loom_gbs = [], []
    for _ in range(args.repeats):
        r, ceilings = paired(ctx, lambda: run_loom(
            exe, ckpt, work, args.threads, prompt, steps + 1))
        runs.append(r)
        loom_gbs.append(ceilings["triad"])
    context = prompt + (steps + 1) / 2
    phases.append({
        "phase": "decode%d" % steps, "kind": "decode", "tokens": steps,
        "prompt": prompt, "context": context,
        "loom": [r["rates"]["decode"] for r in runs],
        "loom_triad_gbs": loom_gbs,
        "loom_prefill": [r["rates"]["prefill"] for r in runs],
        "loom_tokens": runs[0]["tokens"],
        "max_rss": max(r["max_rss"] for r in runs),
        "memory_estimate": memory_estimate(w, prompt, prompt + steps),
        "bytes_per_token": decode_bytes(w, context)})

    log("%s: PyTorch peer" % name)
    peer, peer_ceilings = paired(ctx, lambda: run(
        [sys.executable, BENCH / "torch_peer.py",
         "--manifest", manifest_path, "--weights", ckpt,
         "--repeats", args.repeats, "--threads", args.threads,
         "--prefill"] + mode["prefill"] +
        ["--decode", "%d:%d" % (prompt, steps)], work, env=ctx["peer_env"]))
    peer = json.loads(peer.stdout)
    for p in phases:
        if p["kind"] == "prefill":
            p["torch"] = peer["prefill"][str(p["tokens"])]
            p["torch_sgemm_gflops"] = peer_ceilings["sgemm"]
        else:
            key = "%d:%d" % (prompt, steps)
            p["torch"] = peer["decode"][key]
            p["torch_triad_gbs"] = peer_ceilings["triad"]
            p["torch_tokens"] = peer["tokens"][key]
            p["agree"] = agreement(p["loom_tokens"], p["torch_tokens"])
    return {"name": name, "source": source, "defines": defines,
            "family": manifest["model"], "config": manifest["config"],
            "workload": w, "compile_s": compile_s, "phases": phases,
            "torch_version": peer["torch"], "torch_threads": peer["threads"]}


def agreement(a, b):
    """Length of the common prefix of two token lists."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def paired(ctx, measure):
    """Runs `measure` between two short measurements of both ceilings.
    This machine's bandwidth and compute drift between runs (other tenants),
    so each run gets its own ceilings: the mean of the best triad GB/s and
    the best sgemm GFLOP/s just before and just after it."""
    def ceilings():
        mode = ctx["mode"]
        triad = max(measure_stream(
            ctx["stream"], ctx["work"], ctx["args"].threads, mode,
            mode["stream_pair_iterations"])["triad_gbs"])
        sgemm = measure_sgemm(ctx["sgemm"], ctx["work"], ctx["peer_env"],
                              mode, paired=True)["best"]
        return triad, sgemm
    triad0, sgemm0 = ceilings()
    result = measure()
    triad1, sgemm1 = ceilings()
    return result, {"triad": (triad0 + triad1) / 2,
                    "sgemm": (sgemm0 + sgemm1) / 2}


def add_ceilings(model, triad_gbs, sgemm_gflops):
    """Fills each phase's ceiling (tokens/s) and ratios. A phase's ceiling
    is the median of its runs' own (from the measurements around each), and
    its fractions the median of each run's rate over its own ceiling; the
    run's best triad and sgemm (`triad_gbs`, `sgemm_gflops`) give the
    `_best` variants."""
    for p in model["phases"]:
        loom, peer = statistics.median(p["loom"]), statistics.median(p["torch"])
        p["loom_median"], p["torch_median"] = loom, peer
        p["loom_vs_torch"] = loom / peer
        if p["kind"] == "decode":
            # Tokens/s per GB/s.
            per_unit = 1e9 / p["bytes_per_token"]
            own, peers, best = (p["loom_triad_gbs"], p["torch_triad_gbs"],
                                triad_gbs)
        else:
            # Tokens/s per GFLOP/s.
            per_unit = 1e9 / p["flops_per_token"]
            own, peers, best = (p["loom_sgemm_gflops"],
                                p["torch_sgemm_gflops"], sgemm_gflops)
        p["ceiling"] = statistics.median(own) * per_unit
        p["loom_of_ceiling"] = statistics.median(
            rate / (unit * per_unit) for rate, unit in zip(p["loom"], own))
        p["torch_of_ceiling"] = peer / (peers * per_unit)
        p["ceiling_best"] = best * per_unit
        p["loom_of_best"] = loom / p["ceiling_best"]
        p["torch_of_best"] = peer / p["ceiling_best"]


# ---------------------------------------------------------------------------
# Report.
# ---------------------------------------------------------------------------


def fmt_rate(values):
    """'median (min–max) ×n' with a sensible number of digits."""
    def f(v):
        return "%.0f" % v if v >= 100 else "%.1f" % v if v >= 10 else "%.2f" % v
    med = statistics.median(values)
    if len(values) == 1:
        return "%s (n=1)" % f(med)
    return "%s (%s–%s, n=%d)" % (f(med), f(min(values)), f(max(values)),
                                 len(values))


def mib(n):
    return "%.0f MiB" % (n / 2**20)


def render(results):
    """The markdown report."""
    m = results["machine"]
    c = results["ceilings"]
    lines = [
        "Loom CPU benchmark, %s" % results["date"],
        "",
        "- machine: %s, %d cores, %s; %d threads; commit %s%s" % (
            m["cpu"], m["cores"], m["mem"], results["threads"],
            results["commit"][:10], " (dirty)" if results["dirty"] else ""),
        "- command: `%s`" % results["command"],
        "- load average (1 min) at start %.2f, at end %.2f; %.0f s in all" % (
            results["load"][0], results["load"][1], results["seconds"]),
        "",
        "| model | phase | Loom tok/s | PyTorch tok/s | ceiling tok/s | "
        "Loom / ceiling | PyTorch / ceiling | Loom / PyTorch |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for model in results["models"]:
        for p in model["phases"]:
            lines.append("| %s | %s | %s | %s | %.0f | %.1f%% | %.1f%% | %.2f× |" % (
                model["name"], p["phase"], fmt_rate(p["loom"]),
                fmt_rate(p["torch"]), p["ceiling"],
                100 * p["loom_of_ceiling"], 100 * p["torch_of_ceiling"],
                p["loom_vs_torch"]))
    triad = c["triad_gbs"]
    lines += [
        "",
        "Ceilings (measured in this run):",
        "- STREAM triad, %d threads: best %.1f GB/s (median %.1f, min %.1f; "
        "start of run best %.1f, end of run best %.1f); read-only best %.1f "
        "GB/s." % (
            results["threads"], max(triad), statistics.median(triad),
            min(triad),
            max(c["stream_start"]["triad_gbs"]),
            max(c["stream_end"]["triad_gbs"]), max(c["read_gbs"])),
        "- OpenBLAS sgemm, %d threads, sizes %s: best %.1f GFLOP/s with "
        "%s (%s); %.1f GFLOP/s with the inherited environment (%s)." % (
            results["threads"], ", ".join(str(s) for s in
                                         results["mode"]["sgemm_sizes"]),
            c["sgemm_peer"]["best"], c["peer_coretype"],
            c["sgemm_peer"]["config"], c["sgemm_default"]["best"],
            c["sgemm_default"]["config"]),
        "- Each run is held to the ceilings measured just around it: the mean "
        "of the best of %d triad iterations and the best sgemm (sizes %s, "
        "%d calls each) before and after it. The table gives the median of "
        "those ceilings and the median of each run's fraction of its own. "
        "Against the best of the whole run instead (triad %.1f GB/s, sgemm "
        "%.1f GFLOP/s):" % (
            results["mode"]["stream_pair_iterations"],
            ", ".join(str(s) for s in results["mode"]["sgemm_pair_sizes"]),
            results["mode"]["sgemm_pair_repeats"], c["triad_best"],
            c["sgemm_best"]),
    ]
    for model in results["models"]:
        for p in model["phases"]:
            own = p["loom_triad_gbs" if p["kind"] == "decode"
                    else "loom_sgemm_gflops"]
            peers = p["torch_triad_gbs" if p["kind"] == "decode"
                      else "torch_sgemm_gflops"]
            lines.append(
                "  - %s %s: ceiling %.0f tokens/s, Loom %.1f%%, PyTorch %.1f%% "
                "(around Loom's runs: %s %s; around PyTorch's: %.1f)" % (
                    model["name"], p["phase"], p["ceiling_best"],
                    100 * p["loom_of_best"], 100 * p["torch_of_best"],
                    ", ".join("%.1f" % g for g in own),
                    "GB/s" if p["kind"] == "decode" else "GFLOP/s", peers))
    lines += [
        "",
        "Workload per token:",
    ]
    for model in results["models"]:
        w = model["workload"]
        parts = ["%s: %.1fM params, %s of weights" % (
            model["name"], w["params"] / 1e6, mib(w["weight_bytes"]))]
        for p in model["phases"]:
            if p["kind"] == "decode":
                parts.append("%s reads %.1f MB/token (context %.1f)" % (
                    p["phase"], p["bytes_per_token"] / 1e6, p["context"]))
            else:
                parts.append("%s %.3f GFLOP/token" % (
                    p["phase"], p["flops_per_token"] / 1e9))
        lines.append("- " + "; ".join(parts))
    k = results.get("kernels")
    if k:
        lines += ["", "Kernels alone (`bench/kernels.cpp`, %d threads, each "
                  "measured in alternation with its peer; best of each "
                  "round, median of %d rounds):" % (
                      k["threads"], len(k["gemv"]["loom_gbs"]))]
        for g in k["gemm"]:
            loom = statistics.median(g["loom_gflops"])
            blas = statistics.median(g["openblas_gflops"])
            lines.append("- GEMM %dx%dx%d (M x N x K): Loom %.0f GFLOP/s, "
                         "OpenBLAS %.0f (%.2f×)" % (
                             g["m"], g["n"], g["k"], loom, blas, loom / blas))
        loom = statistics.median(k["gemv"]["loom_gbs"])
        read = statistics.median(k["gemv"]["read_gbs"])
        lines.append("- GEMV, one decode step's weights (%.0f MB): Loom %.1f "
                     "GB/s, a read-only pass over as many bytes %.1f GB/s "
                     "(%.0f%%)" % (k["gemv"]["bytes"] / 1e6, loom, read,
                                   100 * loom / read))
    lines += ["", "Compile time (`loomc`, to an executable):"]
    for entry in results["compile"]:
        lines.append("- %s: %s" % (entry["what"], "%.1f s" % entry["seconds"]
                                   if "seconds" in entry else entry["error"]))
    lines += ["", "Peak RSS of the Loom runs (vs weights + KV cache + "
              "activations estimate):"]
    for model in results["models"]:
        for p in model["phases"]:
            e = p["memory_estimate"]
            lines.append("- %s %s: %s (estimate %s = %s + %s + %s)" % (
                model["name"], p["phase"], mib(p["max_rss"]), mib(e["total"]),
                mib(e["weights"]), mib(e["kv_cache"]), mib(e["activations"])))
    lines += ["", "Greedy decode, Loom vs PyTorch tokens:"]
    for model in results["models"]:
        for p in model["phases"]:
            if p["kind"] == "decode":
                lines.append("- %s: first %d of %d generated tokens agree" % (
                    model["name"], p["agree"], len(p["torch_tokens"])))
    lines.append("")
    return "\n".join(lines)


def git_state():
    """(commit, dirty) of the checkout, read only."""
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"],
                                capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = bool(subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain",
             "--untracked-files=no"],
            capture_output=True, text=True, check=True).stdout.strip())
        return commit, dirty
    except (OSError, subprocess.CalledProcessError):
        return "unknown", False


def memory_total():
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            kib = int(f.readline().split()[1])
        return "%.0f GiB" % (kib / 2**20)
    except (OSError, ValueError, IndexError):
        return "unknown memory"


def main(argv):
    args = parse_args(argv)
    mode = QUICK if args.quick else FULL
    work = Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    commit, dirty = git_state()

    if not args.no_build:
        log("building %s" % " ".join(BUILD_TARGETS))
        run([ROOT / "scripts" / "build.sh"] + BUILD_TARGETS, work)
    loomc = snapshot_toolchain(
        Path(os.environ.get("LOOM_BUILD_DIR", ROOT / "build")), work)

    log("building stream and sgemm helpers")
    stream = build_helper("stream.c", work / "stream", work, [])
    sgemm = build_helper("sgemm.c", work / "sgemm", work, ["-lopenblas"])
    kernels = build_helper(
        "kernels.cpp", work / "kernels", work,
        [work / "toolchain" / "lib" / "libLoomRuntime.a", "-lopenblas"])
    env = peer_env(args)
    ctx = {"work": work, "loomc": loomc, "args": args, "mode": mode,
           "peer_env": env, "stream": stream, "sgemm": sgemm}

    log("STREAM triad")
    stream_start = measure_stream(stream, work, args.threads, mode)
    log("sgemm")
    sgemm_peer = measure_sgemm(sgemm, work, env, mode)
    default_env = dict(os.environ, OPENBLAS_NUM_THREADS=str(args.threads))
    sgemm_default = measure_sgemm(sgemm, work, default_env, mode)

    wanted = args.models.split(",") if args.models else None
    models = [bench_model(name, source, defines, ctx)
              for name, source, defines in mode["models"]
              if wanted is None or name in wanted]

    compile_times = [{"what": "%s (%s)" % (m["name"], ", ".join(
        "%s=%s" % (k, v) for k, v in sorted(m["config"].items()))),
        "seconds": m["compile_s"]} for m in models]
    growth_name, growth_layers = mode["growth"]
    for name, source, defines in mode["models"]:
        if name == growth_name and (wanted is None or name in wanted):
            log("%s: compiling at layers=%d" % (name, growth_layers))
            entry = {"what": "%s at layers=%d" % (name, growth_layers)}
            try:
                entry["seconds"] = run(loomc_cmd(loomc, source, defines + [
                    "layers=%d" % growth_layers]) + [
                    "-o", work / ("%s_layers%d" % (name, growth_layers))],
                    work).seconds
            except RuntimeError as e:   # keep the rest of the run
                log("compile failed: %s" % e)
                entry["error"] = str(e).splitlines()[0]
            compile_times.append(entry)

    log("kernels alone")
    kernel_results = measure_kernels(kernels, work, env, args.threads, mode)

    log("STREAM triad again")
    stream_end = measure_stream(stream, work, args.threads, mode)
    triad = stream_start["triad_gbs"] + stream_end["triad_gbs"]
    sgemm_paired = []
    for m in models:
        for p in m["phases"]:
            triad += p.get("loom_triad_gbs", []) + (
                [p["torch_triad_gbs"]] if "torch_triad_gbs" in p else [])
            sgemm_paired += p.get("loom_sgemm_gflops", []) + (
                [p["torch_sgemm_gflops"]] if "torch_sgemm_gflops" in p else [])
    ceilings = {
        "stream_start": stream_start, "stream_end": stream_end,
        "triad_gbs": triad, "triad_best": max(triad),
        "read_gbs": stream_start["read_gbs"] + stream_end["read_gbs"],
        "sgemm_peer": sgemm_peer, "sgemm_default": sgemm_default,
        "sgemm_best": max([sgemm_peer["best"], sgemm_default["best"]] +
                          sgemm_paired),
        "peer_coretype": env.get("OPENBLAS_CORETYPE", "unset")}
    for m in models:
        add_ceilings(m, ceilings["triad_best"], ceilings["sgemm_best"])

    results = {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "command": " ".join(["/usr/bin/python3", "bench/bench.py"] + argv),
        "machine": {"cpu": cpu_name(), "cores": os.cpu_count(),
                    "mem": memory_total()},
        "commit": commit, "dirty": dirty, "threads": args.threads,
        "repeats": args.repeats, "long_repeats": args.long_repeats,
        "mode": {k: v for k, v in mode.items() if k != "models"},
        "ceilings": ceilings, "models": models, "compile": compile_times,
        "kernels": kernel_results,
        "seconds": time.perf_counter() - started,
        "load": [load_start, os.getloadavg()[0]],
    }
    report = render(results)
    (work / "results.md").write_text(report)
    (work / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    sys.stdout.write(report + "\n")
    log("done in %.0f s; wrote %s and %s" % (
        results["seconds"], work / "results.md", work / "results.json"))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except RuntimeError as e:
        sys.stderr.write("bench.py: error: %s\n" % e)
        sys.exit(1)
