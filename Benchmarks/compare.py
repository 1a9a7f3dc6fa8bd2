"""Side-by-side CPU benchmark: MXNet 1.9.1 (oneDNN), ONNX Runtime and FlexEG on the same models,
inputs and thread counts, in one run, alternating. Plain python3 (stdlib only): every competitor
runs as a subprocess in its own environment (Benchmarks/README.md has the setup).

For each model x batch x threads:
  1. check: MXNet runs the fixed input once and saves output 0 as the reference; ORT and FlexEG
     (`flexeg bench --output-dir`: the compiled model on NeuronCores, as timed) run it too and report
     their max relative difference from it; MXNet lists
     the oneDNN primitives that ran, ORT the kernels left after its graph fusions.
  2. `--rounds` rounds of MXNet -> ORT -> FlexEG, one fresh process each, each timed for
     `--duration` seconds after its warm-up; the table shows per-competitor medians.

    python3 Benchmarks/compare.py                        # both models, batch 1 and 8, 1 thread
    python3 Benchmarks/compare.py --threads 1 2 --rounds 5 --json out.json
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
MODELS_DIR = os.path.join(HERE, ".models")
RUNNERS = os.path.join(HERE, "runners")
MX_PY = os.path.join(REPO, ".venv-mxnet", "bin", "python")
ORT_PY = os.path.join(REPO, ".venv-ort", "bin", "python")
COMPETITORS = ("mxnet", "ort", "flexeg")
IMAGE_MODELS = ("resnet50_v1", "mobilenetv2_1.0")
EXPORTED_MODELS = ("bert_base", "ssd_512_resnet50_v1_voc", "yolo3_darknet53_voc")  # batch 1 only
LABEL = {"mxnet": "MXNet", "ort": "ORT", "flexeg": "FlexEG"}


class Failed(Exception):
    pass


def run(cmd, env=None, timeout=None, cwd=None):
    """Runs cmd; returns stdout. Raises Failed with the tail of stderr on a non-zero exit."""
    try:
        p = subprocess.run(cmd, env=env, cwd=cwd, timeout=timeout, capture_output=True, text=True)
    except subprocess.TimeoutExpired:
        raise Failed("timed out after %ss: %s" % (timeout, " ".join(cmd)))
    if p.returncode != 0:
        tail = (p.stderr.strip() or p.stdout.strip()).splitlines()[-3:]
        raise Failed("exit %d: %s" % (p.returncode, " | ".join(tail)))
    return p.stdout


def last_json(stdout):
    """The last stdout line that is a JSON object (runners print one; flexeg may pretty-print)."""
    try:
        return json.loads(stdout)
    except ValueError:
        pass
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    raise Failed("no JSON result in output: %r" % stdout[-300:])


def competitor_env(threads):
    """The environment of every competitor process: OpenBLAS overrides that the host may set are
    dropped (they slow current numpy/BLAS builds); OpenMP gets T threads; MXNet one engine worker."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env.update(OMP_NUM_THREADS=str(threads), MXNET_CPU_WORKER_NTHREADS="1")
    return env


def pinned(threads, cmd):
    """cmd restricted to CPUs 0..T-1."""
    return ["taskset", "-c", "0" if threads == 1 else "0-%d" % (threads - 1)] + cmd


# ---------------------------------------------------------------- FlexEG binary

def locate_flexeg(path, build):
    """(binary, None) when `flexeg bench` exists, else (None, reason)."""
    binary = path or os.path.join(REPO, ".build", "release", "flexeg")
    if not os.path.exists(binary):
        if path or not build:
            return None, "no binary at %s" % binary
        print("building FlexEG: swift build -c release --product flexeg", file=sys.stderr)
        try:
            run(["swift", "build", "-c", "release", "--product", "flexeg"], cwd=REPO, timeout=3600)
        except Failed as e:
            return None, "release build failed (%s)" % e
    try:
        usage = run([binary, "bench", "--help"], timeout=60)
    except Failed as e:
        return None, "`flexeg bench --help` failed (%s)" % e
    if "flexeg bench" not in usage:
        return None, "this flexeg has no `bench` subcommand"
    return binary, None


# ---------------------------------------------------------------- one cell

def paths(model, batch):
    """(checkpoint prefix, ONNX file, [(input name, .npy)]). The image classifiers share
    .models/input_b<B>.npy as `data`; the models prepare_models.py exports itself (BERT, the
    detectors; batch 1) keep theirs as .models/<model>/in_b1_<name>.npy, in the symbol's order."""
    prefix = os.path.join(MODELS_DIR, model, model)
    onnx = "%s_b%d.onnx" % (prefix, batch)
    if model in IMAGE_MODELS:
        return prefix, onnx, [("data", os.path.join(MODELS_DIR, "input_b%d.npy" % batch))]
    symbol = os.path.join(MODELS_DIR, model, model + "-symbol.json")
    names = [n["name"] for n in json.load(open(symbol))["nodes"] if n["op"] == "null"
             and n["name"].startswith("data")] if os.path.exists(symbol) else ["data"]
    return prefix, onnx, [(n, os.path.join(MODELS_DIR, model, "in_b%d_%s.npy" % (batch, n))) for n in names]


def input_args(inputs):
    """`NAME=FILE.npy` for each input: the runners' positional arguments."""
    return ["%s=%s" % kv for kv in inputs]


def flexeg_input_args(inputs):
    return [a for kv in inputs for a in ("--input", "%s=%s" % kv)]


def onnx_failure(onnx):
    """Why there is no ONNX model (prepare_models.py's .failed note), or None."""
    if os.path.exists(onnx) or not os.path.exists(onnx + ".failed"):
        return None
    return "no ONNX model: " + open(onnx + ".failed").read().strip()


def check_cell(model, batch, threads, flexeg, tmp):
    """Agreement with MXNet's output and which kernels ran; errors are recorded, not raised."""
    prefix, onnx, inputs = paths(model, batch)
    env = competitor_env(threads)
    ref = os.path.join(tmp, "ref_%s_b%d.npy" % (model, batch))
    out = {}
    try:
        out["mxnet"] = last_json(run(pinned(threads, [MX_PY, os.path.join(RUNNERS, "mxnet_runner.py"),
                                                      prefix] + input_args(inputs) +
                                                     ["--check", "--save-output", ref]),
                                     env, timeout=600))
    except Failed as e:
        return {"error": "MXNet: %s" % e}
    try:
        if onnx_failure(onnx):
            raise Failed(onnx_failure(onnx))
        out["ort"] = last_json(run(pinned(threads, [ORT_PY, os.path.join(RUNNERS, "ort_runner.py"), onnx] +
                                          input_args(inputs) + ["--threads", str(threads), "--check",
                                                                "--reference", ref]),
                                   env, timeout=600))
    except Failed as e:
        out["ort"] = {"error": str(e)}
    if flexeg:
        try:
            # The compiled model on NeuronCores, as timed: one untimed inference after a one-request run.
            outdir = os.path.join(tmp, "flexeg_%s_b%d" % (model, batch))
            run(pinned(threads, [flexeg, "bench", prefix] + flexeg_input_args(inputs) +
                       ["--cores", str(threads), "--iterations", "1", "--warmup", "0", "--output-dir", outdir]),
                env, timeout=1800)
            out["flexeg"] = last_json(run([ORT_PY, os.path.join(RUNNERS, "common.py"), "diff",
                                           os.path.join(outdir, "out_0.npy"), ref], env, timeout=120))
        except Failed as e:
            out["flexeg"] = {"error": str(e)}
    return out


def time_once(name, model, batch, threads, args, flexeg):
    prefix, onnx, inputs = paths(model, batch)
    timing = ["--duration", str(args.duration), "--warmup", str(args.warmup)]
    if name == "mxnet":
        cmd = [MX_PY, os.path.join(RUNNERS, "mxnet_runner.py"), prefix] + input_args(inputs) + timing
    elif name == "ort":
        if onnx_failure(onnx):
            return {"error": onnx_failure(onnx)}
        cmd = [ORT_PY, os.path.join(RUNNERS, "ort_runner.py"), onnx] + input_args(inputs) + \
            ["--threads", str(threads)] + timing
    else:
        cmd = [flexeg, "bench", prefix] + flexeg_input_args(inputs) + \
            ["--cores", str(threads), "--copies", "1", "--duration", str(args.duration), "--json"]
    return last_json(run(pinned(threads, cmd), competitor_env(threads),
                         timeout=args.duration + args.warmup + 600))


def summarize(rounds):
    """Medians over the successful rounds, and the throughput spread (max - min) / median."""
    ok = [r for r in rounds if "throughput" in r]
    if not ok:
        errors = [r["error"] for r in rounds if "error" in r]
        return {"error": errors[0] if errors else "no rounds"}
    tput = [r["throughput"] for r in ok]
    med = statistics.median(tput)
    s = {"throughput": med, "spread": (max(tput) - min(tput)) / med if med else 0.0, "rounds": len(ok)}
    for q in ("p50", "p90", "p99"):
        s["latency_ms_" + q] = statistics.median(r["latency_ms"][q] for r in ok)
    utils = [r["cpu_util"] for r in ok if "cpu_util" in r]
    if utils:
        s["cpu_util"] = statistics.median(utils)
    if any("gflops" in r for r in ok):
        s["gflops"] = statistics.median(r["gflops"] for r in ok if "gflops" in r)
    return s


# ---------------------------------------------------------------- report

def sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def environment(flexeg, flexeg_reason):
    cpu = next((line.split(":", 1)[1].strip() for line in sh(["lscpu"]).splitlines()
                if line.startswith("Model name")), platform.processor())
    versions = {
        "mxnet": sh([MX_PY, "-c", "import mxnet; print(mxnet.__version__)"]),
        "onnxruntime": sh([ORT_PY, "-c", "import onnxruntime; print(onnxruntime.__version__)"]),
        "numpy (mxnet venv / ort venv)": "%s / %s" % (
            sh([MX_PY, "-c", "import numpy; print(numpy.__version__)"]),
            sh([ORT_PY, "-c", "import numpy; print(numpy.__version__)"])),
        "swift": (sh(["swift", "--version"]).splitlines() or [""])[0],
        "python": platform.python_version(),
    }
    dirty = " (uncommitted changes)" if sh(["git", "-C", REPO, "status", "--porcelain"]) else ""
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": sh(["git", "-C", REPO, "rev-parse", "--short", "HEAD"]) + dirty,
        "cpu": "%s, %d CPUs online (%s)" % (cpu, os.cpu_count(), platform.machine()),
        "kernel": platform.release(),
        "versions": versions,
        "flexeg": flexeg or "not available: %s" % flexeg_reason,
        "load_avg_start": os.getloadavg(),
    }


def fmt_rate(s):
    if "error" in s:
        return "failed"
    return "%.1f ±%.0f%%" % (s["throughput"], 50 * s["spread"])


def fmt_ms(s):
    return "%.1f" % s["latency_ms_p50"] if "latency_ms_p50" in s else "–"


def fmt_diff(c):
    if c is None:
        return "not available"
    return "%.1e" % c["max_rel_diff"] if "max_rel_diff" in c else "failed"


def fmt_counts(d, keep=None):
    items = [(k, v) for k, v in d.items() if keep is None or k.split(":")[0] in keep]
    return ", ".join("%s ×%d" % kv for kv in items)


def markdown(env, results, args):
    L = ["# FlexEG vs MXNet 1.9.1 (oneDNN) vs ONNX Runtime", ""]
    L.append("- date: %s; commit %s" % (env["date"], env["commit"]))
    L.append("- CPU: %s; kernel %s" % (env["cpu"], env["kernel"]))
    L.append("- " + "; ".join("%s %s" % kv for kv in env["versions"].items()))
    L.append("- FlexEG: %s" % env["flexeg"])
    L.append("- load average (1/5/15 min) at start %s, at end %s" % (
        "/".join("%.1f" % x for x in env["load_avg_start"]), "/".join("%.1f" % x for x in env["load_avg_end"])))
    L.append("- %d rounds of MXNet → ORT → FlexEG per row, %g s timed after %g s warm-up, a fresh "
             "process per run, pinned with taskset to CPUs 0..T-1. MXNet: OMP_NUM_THREADS=T, "
             "MXNET_CPU_WORKER_NTHREADS=1, oneDNN + MKLDNN subgraph fusion (its defaults). ORT: "
             "intra_op=T, inter_op=1, sequential, ORT_ENABLE_ALL. FlexEG: `flexeg bench --cores T "
             "--copies 1`. OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset." % (args.rounds, args.duration, args.warmup))
    L += ["", "Inferences/s (batch elements per second): median ± half the min–max range over the rounds; "
              "p50 = median per-call latency in ms.", ""]
    L.append("| model | batch | threads | MXNet inf/s | ORT inf/s | FlexEG inf/s | FlexEG / best | "
             "MXNet p50 | ORT p50 | FlexEG p50 |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        s = r["summary"]
        best = max((s[c]["throughput"] for c in ("mxnet", "ort") if "throughput" in s[c]), default=None)
        fx = s["flexeg"]
        ratio = "%.2f" % (fx["throughput"] / best) if best and "throughput" in fx else "–"
        cells = [fmt_rate(s[c]) if c != "flexeg" or r["flexeg_available"] else "not available"
                 for c in COMPETITORS]
        L.append("| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s |" % (
            r["model"], r["batch"], r["threads"], *cells, ratio, *(fmt_ms(s[c]) for c in COMPETITORS)))
    L += ["", "## Checks", "",
          "Max relative difference of output 0 from MXNet's for the fixed input "
          "(max |out − ref| / max |ref|); CPU use = process CPU time / wall time while timed "
          "(≈ busy threads; below T means the machine was shared).", "",
          "| model | batch | threads | ORT diff | FlexEG diff | CPU use MXNet / ORT / FlexEG | OS threads MXNet / ORT |",
          "|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        c, s = r["check"], r["summary"]
        use = " / ".join("%.2f" % s[k]["cpu_util"] if "cpu_util" in s[k] else "–" for k in COMPETITORS)
        thr = " / ".join(str(c.get(k, {}).get("os_threads", "–")) for k in ("mxnet", "ort"))
        L.append("| %s | %d | %d | %s | %s | %s | %s |" % (
            r["model"], r["batch"], r["threads"], fmt_diff(c.get("ort")),
            fmt_diff(c.get("flexeg")) if r["flexeg_available"] else "not available", use, thr))
    L += ["", "Kernels that ran (first row of each model × batch):", ""]
    seen = set()
    for r in results:
        key = (r["model"], r["batch"])
        if key in seen or "error" in r["check"]:
            continue
        seen.add(key)
        c = r["check"]
        L.append("- %s b%d — MXNet oneDNN: %s" % (r["model"], r["batch"], fmt_counts(
            c["mxnet"].get("primitives", {}), {"convolution", "inner_product", "pooling", "pooling_v2", "eltwise", "matmul", "softmax", "layer_normalization"})))
        if "kernels" in c.get("ort", {}):
            L.append("  — ORT (%s): %s" % (", ".join(c["ort"]["providers"]), fmt_counts(c["ort"]["kernels"])))
    errors = [(r["model"], r["batch"], r["threads"], k, v["error"]) for r in results
              for k, v in list(r["summary"].items()) + list(r["check"].items())
              if isinstance(v, dict) and "error" in v and (k != "flexeg" or r["flexeg_available"])]
    if errors or any("error" in r["check"] for r in results):
        L += ["", "Failures:", ""]
        L += ["- %s b%d t%d %s: %s" % e for e in errors]
        L += ["- %s b%d t%d check: %s" % (r["model"], r["batch"], r["threads"], r["check"]["error"])
              for r in results if "error" in r["check"]]
    return "\n".join(L) + "\n"


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=list(IMAGE_MODELS), choices=IMAGE_MODELS + EXPORTED_MODELS)
    ap.add_argument("--batches", nargs="+", type=int, default=[1, 8], choices=[1, 8])
    ap.add_argument("--threads", nargs="+", type=int, default=[1], help="thread counts T to compare")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=3.0, help="timed seconds per run")
    ap.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds per run (MXNet, ORT)")
    ap.add_argument("--flexeg", help="flexeg binary (default .build/release/flexeg)")
    ap.add_argument("--no-build", action="store_true", help="do not build a missing release flexeg")
    ap.add_argument("--json", help="also write every round and check here")
    args = ap.parse_args()

    for py, fix in ((MX_PY, "bash Benchmarks/setup.sh"), (ORT_PY, "bash Benchmarks/setup.sh")):
        if not os.path.exists(py):
            sys.exit("missing %s: run `%s`" % (py, fix))
    cells = [(m, b) for m in args.models for b in args.batches if m in IMAGE_MODELS or b == 1]
    for m, b in cells:
        prefix, onnx, inputs = paths(m, b)
        for p in [prefix + "-0000.params", onnx] + [f for _, f in inputs]:
            if not os.path.exists(p) and not (p == onnx and onnx_failure(onnx)):
                sys.exit("missing %s: run `.venv-mxnet/bin/python Benchmarks/prepare_models.py`" % p)
    if max(args.threads) > os.cpu_count():
        sys.exit("--threads %d exceeds the %d CPUs" % (max(args.threads), os.cpu_count()))

    flexeg, reason = locate_flexeg(args.flexeg, not args.no_build)
    env = environment(flexeg, reason)
    print("FlexEG: %s" % env["flexeg"], file=sys.stderr)
    results = []
    with tempfile.TemporaryDirectory(prefix="flexeg-bench-") as tmp:
        for model, batch in cells:
            for threads in args.threads:
                tag = "%s b%d t%d" % (model, batch, threads)
                print("%s: check" % tag, file=sys.stderr, flush=True)
                check = check_cell(model, batch, threads, flexeg, tmp)
                rounds = {c: [] for c in COMPETITORS}
                for i in range(args.rounds):
                    for c in COMPETITORS:
                        if c == "flexeg" and not flexeg:
                            continue
                        try:
                            res = time_once(c, model, batch, threads, args, flexeg)
                        except Failed as e:
                            res = {"error": str(e)}
                        rounds[c].append(res)
                        print("%s round %d %-6s %s" % (tag, i + 1, c, "%.2f inf/s" % res["throughput"]
                                                       if "throughput" in res else res["error"]),
                              file=sys.stderr, flush=True)
                results.append({"model": model, "batch": batch, "threads": threads, "check": check,
                                "flexeg_available": bool(flexeg), "rounds": rounds,
                                "summary": {c: summarize(rounds[c]) for c in COMPETITORS}})
    env["load_avg_end"] = os.getloadavg()
    print(markdown(env, results, args))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": env, "settings": vars(args), "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
