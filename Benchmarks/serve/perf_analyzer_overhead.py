#!/usr/bin/env python3
"""flexeg serve's overhead over `flexeg bench`, with Triton's own load generator.

Alternating rounds, batch 1, concurrency 1 and 2, for ResNet-50 and MobileNetV2:
  bench  `flexeg bench` in process on CPU 0 (the throughput the server could reach);
  grpc   perf_analyzer (CPU 1) against `flexeg serve` (CPU 0) over gRPC, raw tensor contents;
  shm    the same with inputs and outputs in system shared memory (no tensor bytes on the socket).
It also reports, per request, the CPU time the server's network threads (NIO) and its NeuronCore
thread used in the measurement (from /proc/PID/task/*/stat): both share CPU 0, so the network
threads' time is what the core loses.

Needs `Benchmarks/prepare_models.py` (the models and serve-repo), `.venv-serve/bin/perf_analyzer`
(`bash Scripts/setup-serve-venv.sh`) and a release build:

    python3 Benchmarks/serve/perf_analyzer_overhead.py --flexeg .build/release/flexeg --rounds 2
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import tempfile
import time
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PERF_ANALYZER = os.path.join(REPO, ".venv-serve", "bin", "perf_analyzer")
MODELS = {"mobilenetv2_1.0": "Benchmarks/.models/mobilenetv2_1.0/mobilenetv2_1.0",
          "resnet50_v1": "Benchmarks/.models/resnet50_v1/resnet50_v1"}
SERVER_CPU, CLIENT_CPU = "0", "1"
HTTP_PORT, GRPC_PORT, METRICS_PORT = 8300, 8301, 8302


def environment(name):
    """Separate NeuronCore lock directories: the idle server and the bench both use CPU 0's core."""
    env = dict(os.environ)
    env["FLEXEG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix=name)
    return env


def bench(args, env, model, concurrency):
    out = subprocess.run(["taskset", "-c", SERVER_CPU, args.flexeg, "bench", os.path.join(REPO, MODELS[model]),
                          "--input", "data=1,3,224,224", "--duration", str(args.seconds), "--concurrency", str(concurrency),
                          "--json"], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout)["throughput"]


def thread_ticks(pid):
    """Clock ticks (user + system) by thread name kind: 'network' (NIO) and 'core' (flexeg-nc*)."""
    ticks = {"network": 0, "core": 0}
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/comm") as f:
            name = f.read().strip()
        with open(f"/proc/{pid}/task/{task}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        used = int(fields[11]) + int(fields[12])
        if name.startswith("NIO"):
            ticks["network"] += used
        elif name.startswith("flexeg-nc"):
            ticks["core"] += used
    return ticks


def successes(model):
    with urllib.request.urlopen(f"http://127.0.0.1:{HTTP_PORT}/v2/models/{model}/stats", timeout=10) as r:
        return json.load(r)["model_stats"][0]["inference_stats"]["success"]["count"]


def perf_analyzer(args, pid, model, concurrency, extra):
    """Throughput from perf_analyzer's report, and the server threads' CPU ms per request."""
    report = tempfile.mktemp(suffix=".csv")
    before, count = thread_ticks(pid), successes(model)
    result = subprocess.run(["taskset", "-c", CLIENT_CPU, PERF_ANALYZER, "-m", model, "-i", "grpc", "-u", f"127.0.0.1:{GRPC_PORT}",
                             "--concurrency-range", str(concurrency), "-p", str(args.seconds * 1000), "-s", "25", "-r", "4",
                             "-f", report] + extra, capture_output=True, text=True)
    after, count = thread_ticks(pid), successes(model) - count
    rows = list(csv.reader(open(report))) if os.path.exists(report) else []
    if result.returncode != 0 or len(rows) < 2 or count == 0:
        return None
    tick_ms = 1000.0 / os.sysconf("SC_CLK_TCK")
    per_request = {kind: (after[kind] - before[kind]) * tick_ms / count for kind in after}
    return {"throughput": float(rows[1][1]), **{f"{kind}_ms": value for kind, value in per_request.items()}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--flexeg", default=os.path.join(REPO, ".build", "release", "flexeg"))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=5, help="bench duration and perf_analyzer window")
    args = parser.parse_args()
    bench_env = environment("bench-rt")
    server = subprocess.Popen(["taskset", "-c", SERVER_CPU, args.flexeg, "serve", "--model-repository",
                               os.path.join(REPO, "Benchmarks", ".models", "serve-repo"), "--cores", "1",
                               "--http-port", str(HTTP_PORT), "--grpc-port", str(GRPC_PORT), "--metrics-port", str(METRICS_PORT),
                               "--model-control-mode", "explicit"] + sum((["--load-model", m] for m in MODELS), []),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment("serve-rt"))
    for line in server.stdout:
        if "flexeg serve: ready" in line:
            break
    results = {}
    try:
        for round_index in range(args.rounds):
            for model in MODELS:
                for concurrency in (1, 2):
                    for kind, extra in (("bench", None), ("grpc", []), ("shm", ["--shared-memory", "system"])):
                        value = ({"throughput": bench(args, bench_env, model, concurrency)} if kind == "bench"
                                 else perf_analyzer(args, server.pid, model, concurrency, extra))
                        results.setdefault((model, concurrency, kind), []).append(value)
                        print(time.strftime("%H:%M:%S"), round_index, model, concurrency, kind, value, flush=True)
    finally:
        server.terminate()
        server.wait()
    print("\nmedian inf/s; served / bench (pairs); server threads' CPU ms per request (network, core)")
    for model in MODELS:
        for concurrency in (1, 2):
            benches = [r["throughput"] for r in results[(model, concurrency, "bench")]]
            line = f"{model} C={concurrency}: bench {statistics.median(benches):.1f}"
            for kind in ("grpc", "shm"):
                runs = results[(model, concurrency, kind)]
                good = [r for r in runs if r]
                if not good:
                    continue
                pairs = ", ".join(f"{r['throughput'] / b:.3f}" for r, b in zip(runs, benches) if r)
                line += (f" | {kind} {statistics.median(r['throughput'] for r in good):.1f}"
                         f" ({statistics.median(r['throughput'] for r in good) / statistics.median(benches):.3f}; {pairs})"
                         f" net {statistics.median(r['network_ms'] for r in good):.2f} core {statistics.median(r['core_ms'] for r in good):.2f}")
            print(line)


if __name__ == "__main__":
    main()
