"""Serving benchmark (issue 11): `flexeg serve` against a KServe Python model server running ONNX
Runtime, side by side in one run, on the same CPU, driven by the same Open Inference Protocol (v2)
REST load generator (loadgen.py). Plain python3 (stdlib only); every server and the load generator
run as subprocesses in their own environments (Benchmarks/README.md, "Serving").

Pinning (2 CPUs): each server process, all of its threads, runs under `taskset -c 0` (flexeg serve
--cores 1: its one NeuronCore thread is pinned to CPU 0; ORT with intra_op_num_threads 1); the load
generator runs under `taskset -c 1`. Loopback only; every run is bounded in time.

  1. check: MXNet runs .models/input_b1.npy once (reference, output 0); the first response of each
     server to the same input is compared with it (max |out - ref| / max |ref|).
  2. `--rounds` rounds; in each, per model, the servers in alternating order: a fresh server
     process with that one model loaded, then for each concurrency C (1, 4, 16; batch 1) a
     `--warmup` + `--duration` seconds closed loop of C clients. Server CPU use (its processes' CPU
     time / wall time over the client's timed window) and the load average are recorded with every run.
  3. server overhead: after its flexeg serve runs, with that server up and idle, `--overhead-pairs`
     pairs of `flexeg bench PREFIX --input data=1,3,224,224 --cores 1 --duration S --json` (in process,
     same CPU, NeuronCore locks of its own) and wrk (C; Benchmarks/serve/wrk_infer.lua, one
     connection, binary tensors) against the server at concurrency 1, back to back; the server's own
     statistics (v2/models/M/stats) split each request into decode, queue, inference and encode. Each
     pair also has a wrk run whose request passes the tensors through Triton's system shared memory
     extension (a region this script creates and registers; the body is only JSON). Then wrk posts the
     binary body to a model the server does not have: the round trip without inference.
  4. dynamic batching: one flexeg serve with MobileNetV2 compiled at batch 1 (no batching) and at
     batch 8 (`max_batch_size: 8`, `dynamic_batching { max_queue_delay_microseconds: D }`, one model
     per D of --batch-delay-us: 2000 and 0 µs), batch-1
     traffic at each `--batch-concurrency` (1, 4, 16) to each in turn, with the mean batch (the
     server's inference_count / execution_count); `flexeg bench` at batch 8 and 1 in process gives
     the kernels' own batch-8 gain, the ceiling on one core.

    python3 Benchmarks/serve/serve_bench.py --flexeg .build/release/flexeg
    python3 Benchmarks/serve/serve_bench.py --flexeg BIN --rounds 3 --duration 5 --json out.json
"""
import argparse
import datetime
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
sys.path.insert(0, BENCH)
import compare  # noqa: E402  (the CPU benchmark: its runners, environment and helpers)
from compare import Failed, last_json, run, sh  # noqa: E402

REPO = compare.REPO
MODELS_DIR = compare.MODELS_DIR
KS_PY = os.path.join(REPO, ".venv-kserve", "bin", "python")
LOADGEN = os.path.join(HERE, "loadgen.py")
KSERVER = os.path.join(HERE, "kserve_ort_server.py")
WRK_SCRIPT = os.path.join(HERE, "wrk_infer.lua")
SERVERS = ("flexeg", "kserve")
LABEL = {"flexeg": "flexeg serve", "kserve": "KServe + ORT"}
SERVER_CPU, CLIENT_CPU = "0", "1"
BATCHED_PREFIX = "mobilenetv2_1.0_dyn8"


def batched_name(delay_us):
    """The batch-8 MobileNetV2 served with dynamic batching at max_queue_delay_microseconds `delay_us`."""
    return "%s_d%d" % (BATCHED_PREFIX, delay_us)


def log(*a):
    print("[serve-bench %s]" % time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- the flexeg model repository

def config_text(name, batch, delay_us):
    lines = ['# Written by Benchmarks/serve/serve_bench.py: one NeuronCore, at mx.neuron(0).',
             'name: "%s"' % name]
    if batch > 1:
        lines += ["max_batch_size: %d" % batch,
                  'input [ { name: "data", data_type: TYPE_FP32, dims: [ 3, 224, 224 ] } ]',
                  "dynamic_batching { max_queue_delay_microseconds: %d }" % delay_us]
    else:
        lines += ["max_batch_size: 0",
                  'input [ { name: "data", data_type: TYPE_FP32, dims: [ 1, 3, 224, 224 ] } ]']
    lines += ['parameters { key: "NEURON_CORES" value { string_value: "1" } }',
              'parameters { key: "NEURON_CORE_START_INDEX" value { string_value: "0" } }']
    return "\n".join(lines) + "\n"


def link_or_copy(src, dst):
    if os.path.exists(dst) and os.path.getsize(dst) == os.path.getsize(src) and \
            os.path.getmtime(dst) >= os.path.getmtime(src):
        return
    if os.path.exists(dst):
        os.remove(dst)
    try:
        os.link(src, dst)
    except OSError:
        import shutil
        shutil.copyfile(src, dst)


def write_repository(root, models, delays_us):
    """DIR/<name>/config.pbtxt + DIR/<name>/1/model-{symbol.json,0000.params} (hard links to the
    benchmark checkpoints); the batch-8 MobileNetV2 with dynamic batching once per queue delay
    (`batched_name`)."""
    entries = [(m, m, 1, 0) for m in models]
    if "mobilenetv2_1.0" in models:
        entries += [(batched_name(d), "mobilenetv2_1.0", 8, d) for d in delays_us]
    for name, source, batch, delay_us in entries:
        version = os.path.join(root, name, "1")
        os.makedirs(version, exist_ok=True)
        prefix = os.path.join(MODELS_DIR, source, source)
        link_or_copy(prefix + "-symbol.json", os.path.join(version, "model-symbol.json"))
        link_or_copy(prefix + "-0000.params", os.path.join(version, "model-0000.params"))
        text = config_text(name, batch, delay_us)
        path = os.path.join(root, name, "config.pbtxt")
        if not os.path.exists(path) or open(path).read() != text:
            with open(path, "w") as f:
                f.write(text)


# ---------------------------------------------------------------- servers

def server_env(tmp):
    """compare.py's competitor environment (1 thread), with NeuronCore locks of this run's own
    (FLEXEG_RUNTIME_DIR): other flexeg processes on the machine cannot hold core 0 against us."""
    env = compare.competitor_env(1)
    env["FLEXEG_RUNTIME_DIR"] = os.path.join(tmp, "flexeg-runtime")
    return env


class Server:
    """One server process (own session, pinned to SERVER_CPU) and its HTTP port."""

    def __init__(self, kind, models, args, logdir):
        self.kind, self.models, self.port, grpc_port = kind, models, free_port(), free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.grpc = "127.0.0.1:%d" % grpc_port
        if kind == "flexeg":
            cmd = [args.flexeg, "serve", "--model-repository", args.repository, "--cores", "1",
                   "--http-port", str(self.port), "--grpc-port", str(grpc_port), "--allow-metrics", "false",
                   "--model-control-mode", "explicit"]
            for m in models:
                cmd += ["--load-model", m]
        else:
            cmd = [KS_PY, KSERVER, "--threads", "1", "--http_port", str(self.port),
                   "--grpc_port", str(grpc_port)]
            for m in models:
                cmd += ["--model", "%s=%s" % (m, os.path.join(MODELS_DIR, m, "%s_b1.onnx" % m))]
        self.log_path = os.path.join(logdir, "%s-%d.log" % (kind, self.port))
        self.log_file = open(self.log_path, "w")
        env = server_env(logdir)
        self.proc = subprocess.Popen(["taskset", "-c", SERVER_CPU] + cmd, stdout=self.log_file,
                                     stderr=subprocess.STDOUT, env=env, start_new_session=True)

    def get(self, path, timeout=10):
        with urllib.request.urlopen(self.url + path, timeout=timeout) as r:
            return r.status, r.read()

    def wait_ready(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise Failed("%s exited with %s before it was ready: %s" % (self.kind, self.proc.returncode, self.tail()))
            try:
                if all(self.get("/v2/models/%s/ready" % m, timeout=2)[0] == 200 for m in self.models):
                    return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        raise Failed("%s not ready after %ds: %s" % (self.kind, timeout, self.tail()))

    def tail(self):
        try:
            self.log_file.flush()
            return " | ".join(open(self.log_path).read().strip().splitlines()[-3:])
        except (OSError, ValueError):
            return ""

    def cpu_seconds(self):
        """CPU time (user + system) of every process in the server's session."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                fields = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == self.proc.pid:  # session id (field 6; fields[0] is field 3)
                total += int(fields[11]) + int(fields[12])
        return total / tick

    def stats(self, model):
        """flexeg's Triton statistics of `model`: its inference_stats, plus "inferences" and "executions"
        (inference_count and execution_count); None for other servers."""
        if self.kind != "flexeg":
            return None
        try:
            entry = json.loads(self.get("/v2/models/%s/stats" % model)[1])["model_stats"][0]
            return dict(entry["inference_stats"], inferences=entry["inference_count"], executions=entry["execution_count"])
        except (urllib.error.URLError, OSError, ValueError, KeyError, IndexError):
            return None

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
            except ProcessLookupError:
                pass
        self.log_file.close()


def cpu_at(samples, when):
    """(when, CPU seconds then), interpolated linearly between the (time, CPU seconds) samples around it."""
    before = max((x for x in samples if x[0] <= when), default=samples[0], key=lambda x: x[0])
    after = min((x for x in samples if x[0] >= when), default=samples[-1], key=lambda x: x[0])
    if after[0] <= before[0]:
        return when, before[1]
    return when, before[1] + (after[1] - before[1]) * (when - before[0]) / (after[0] - before[0])


def loadgen(server, model, concurrency, args, protocol="rest", save_output=None):
    """One closed-loop run against `server`; adds the server's CPU use and the load average."""
    where = ["--url", server.url] if protocol == "rest" else ["--grpc", server.grpc]
    cmd = ["taskset", "-c", CLIENT_CPU, KS_PY, LOADGEN] + where + ["--model", model,
           "--input", os.path.join(MODELS_DIR, "input_b1.npy"), "--concurrency", str(concurrency),
           "--duration", str(args.duration), "--warmup", str(args.warmup)]
    if save_output:
        cmd += ["--save-output", save_output]
    before_stats = server.stats(model)
    load = os.getloadavg()[0]
    # The server's CPU time sampled every 0.25 s meanwhile (3 ms a sample, on the client's CPU), then
    # read at the client's timed window: over the whole subprocess it would also count the client's
    # start (1.4 s importing gRPC, 0.4 s for REST), when the server idles.
    samples, stop = [], threading.Event()

    def sample():
        os.sched_setaffinity(0, {int(CLIENT_CPU)})  # this thread only
        while not stop.is_set():
            samples.append((time.time(), server.cpu_seconds()))
            stop.wait(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = last_json(run(cmd, timeout=args.warmup + args.duration + 180))
    except Failed as e:
        return {"error": str(e)}
    finally:
        stop.set()
        sampler.join()
    window = result.get("window_epoch")
    if window and len(samples) >= 2:
        (start, cpu_start), (end, cpu_end) = cpu_at(samples, window[0]), cpu_at(samples, window[1])
        result["server_cpu_util"] = (cpu_end - cpu_start) / (end - start) if end > start else 0.0
    result["load_avg"] = load
    after_stats = server.stats(model)
    if before_stats and after_stats:
        d = {k: (after_stats[k]["count"] - before_stats[k]["count"], after_stats[k]["ns"] - before_stats[k]["ns"])
             for k in ("success", "queue", "compute_input", "compute_infer", "compute_output")}
        result["server_ms"] = {k: (ns / c / 1e6 if c else None) for k, (c, ns) in d.items()}
        executions = after_stats["executions"] - before_stats["executions"]
        if executions > 0:  # requests per model execution: the mean dynamic batch
            result["mean_batch"] = (after_stats["inferences"] - before_stats["inferences"]) / executions
    return result


def input_bytes():
    """input_b1.npy's raw float32 bytes (one C-ordered 3x224x224 image)."""
    raw = open(os.path.join(MODELS_DIR, "input_b1.npy"), "rb").read()
    if raw[:6] != b"\x93NUMPY":
        raise Failed("input_b1.npy is not an .npy file")
    length_bytes = 2 if raw[6] == 1 else 4
    header_length = int.from_bytes(raw[8:8 + length_bytes], "little")
    header = raw[8 + length_bytes:8 + length_bytes + header_length].decode("latin1")
    if "'<f4'" not in header or "'fortran_order': False" not in header:
        raise Failed("input_b1.npy is not C-ordered little-endian float32: %s" % header)
    data = raw[8 + length_bytes + header_length:]
    if len(data) != 4 * 3 * 224 * 224:
        raise Failed("input_b1.npy holds %d bytes, not one 3x224x224 float32 image" % len(data))
    return data


def wrk_body(tmp, model):
    """The binary-extension request for wrk: JSON header (outputs as binary too), then input_b1.npy's
    raw float32 bytes. Returns (path, header length)."""
    data = input_bytes()
    head = json.dumps({"inputs": [{"name": "data", "shape": [1, 3, 224, 224], "datatype": "FP32",
                                   "parameters": {"binary_data_size": len(data)}}],
                       "parameters": {"binary_data_output": True}}).encode()
    path = os.path.join(tmp, "wrk_%s.body" % model)
    with open(path, "wb") as f:
        f.write(head + data)
    return path, len(head)


class SharedMemoryRequest:
    """The request for wrk with its tensors in system shared memory: a POSIX shared memory object
    (multiprocessing.shared_memory) holding the input at 0 and room for the model's first output
    after it, registered with the server as one region; the body is JSON only. `close()` unregisters
    it and unlinks the object."""

    def __init__(self, server, model, tmp):
        from multiprocessing import shared_memory
        data = input_bytes()
        output = json.loads(server.get("/v2/models/%s" % model)[1])["outputs"][0]
        output_bytes = 4 * math.prod(max(1, d) for d in output["shape"])
        self.server, self.region = server, "serve-bench-" + model
        self.memory = shared_memory.SharedMemory(create=True, size=len(data) + output_bytes)
        self.memory.buf[:len(data)] = data
        register = json.dumps({"key": "/" + self.memory.name, "offset": 0, "byte_size": self.memory.size}).encode()
        urllib.request.urlopen(urllib.request.Request(
            "%s/v2/systemsharedmemory/region/%s/register" % (server.url, self.region), data=register, method="POST"), timeout=10)
        tensor = lambda size, offset: {"shared_memory_region": self.region, "shared_memory_byte_size": size,  # noqa: E731
                                       "shared_memory_offset": offset}
        body = json.dumps({"inputs": [{"name": "data", "shape": [1, 3, 224, 224], "datatype": "FP32", "parameters": tensor(len(data), 0)}],
                           "outputs": [{"name": output["name"], "parameters": tensor(output_bytes, len(data))}]}).encode()
        self.path = os.path.join(tmp, "wrk_%s_shm.body" % model)
        with open(self.path, "wb") as f:
            f.write(body)
        self.header_length = len(body)

    def close(self):
        try:
            urllib.request.urlopen(urllib.request.Request(
                "%s/v2/systemsharedmemory/region/%s/unregister" % (self.server.url, self.region), data=b"", method="POST"), timeout=10)
        finally:
            self.memory.close()
            self.memory.unlink()


def wrk(server, model, args, target=None, body=None):
    """One client, one connection (wrk, C, on the client CPU): the server's REST path at concurrency 1
    without Python in the loop. Warm-up run first, then the timed one; adds the server's statistics.
    `target` posts `model`'s request to another model's infer URL instead (see `overhead_runs`);
    `body` is another request, (path, JSON header length)."""
    body, header_length = body or wrk_body(args.tmp, model)
    env = dict(os.environ, WRK_BODY=body, WRK_HEADER_LENGTH=str(header_length))
    url = "%s/v2/models/%s/infer" % (server.url, target or model)

    def once(seconds):
        out = run(["taskset", "-c", CLIENT_CPU, "wrk", "-t1", "-c1", "-d%ds" % max(1, round(seconds)), "--timeout", "30s",
                   "-s", WRK_SCRIPT, url], env, timeout=seconds + 120)
        line = next((x for x in out.splitlines() if x.startswith("WRK ")), None)
        if line is None:
            raise Failed("wrk printed no summary: %s" % out[-500:])
        return json.loads(line[4:])

    try:
        once(args.warmup)
        before = server.stats(model)
        r = once(args.duration)
        after = server.stats(model)
    except (Failed, OSError) as e:
        return {"error": str(e)}
    result = {"throughput": r["requests"] / (r["duration_us"] / 1e6), "errors": r["socket_errors"] + r["non_2xx"],
              "requests": r["requests"], "rejected": r["non_2xx"], "latency_ms": {"p50": r["p50_us"] / 1e3, "p99": r["p99_us"] / 1e3}}
    if before and after:
        d = {k: (after[k]["count"] - before[k]["count"], after[k]["ns"] - before[k]["ns"])
             for k in ("success", "queue", "compute_input", "compute_infer", "compute_output")}
        result["server_ms"] = {k: (ns / c / 1e6 if c else None) for k, (c, ns) in d.items()}
    return result


def flexeg_bench(args, model, batch, beside_server=False):
    """`flexeg bench` in process on SERVER_CPU. `beside_server`: while an idle flexeg serve of this run
    holds NeuronCore 0, with NeuronCore locks of its own (the server would refuse it core 0)."""
    prefix = os.path.join(MODELS_DIR, model, model)
    cmd = ["taskset", "-c", SERVER_CPU, args.flexeg, "bench", prefix, "--input", "data=%d,3,224,224" % batch,
           "--cores", "1", "--duration", str(args.duration), "--json"]
    env = server_env(args.tmp)
    if beside_server:
        env["FLEXEG_RUNTIME_DIR"] = os.path.join(args.tmp, "flexeg-runtime-bench")
    load = os.getloadavg()[0]
    try:
        r = last_json(run(cmd, env, timeout=args.duration + 900))
    except Failed as e:
        return {"error": str(e)}
    r["load_avg"] = load
    return r


def diff(out, ref):
    try:
        return last_json(run([KS_PY, os.path.join(compare.RUNNERS, "common.py"), "diff", out, ref],
                             timeout=120))["max_rel_diff"]
    except (Failed, KeyError) as e:
        return "error: %s" % e


def reference(model, tmp):
    prefix = os.path.join(MODELS_DIR, model, model)
    ref = os.path.join(tmp, "ref_%s.npy" % model)
    run(["taskset", "-c", SERVER_CPU, compare.MX_PY, os.path.join(compare.RUNNERS, "mxnet_runner.py"), prefix,
         "data=%s" % os.path.join(MODELS_DIR, "input_b1.npy"), "--check", "--save-output", ref],
        compare.competitor_env(1), timeout=600)
    return ref


# ---------------------------------------------------------------- the run

ABSENT_MODEL = "serve-bench-no-such-model"


def overhead_runs(server, model, args):
    """Server overhead with the server up and idle between runs: `--overhead-pairs` pairs of `flexeg
    bench` in process and wrk against the server, back to back (which one first alternates), so each
    ratio compares two runs seconds apart on this noisy host; then wrk posting the same body to a model
    the server does not have: the body's trip over loopback and through flexeg's HTTP path, answered
    404 without inference (the floor of any request's round trip)."""
    pairs = []
    shm = SharedMemoryRequest(server, model, args.tmp)
    try:
        parts = ["bench", "wrk", "wrk_shm"]
        for i in range(args.overhead_pairs):
            pair = {}
            for part in parts[i % 3:] + parts[:i % 3]:  # each part first in turn
                if part == "bench":
                    pair[part] = flexeg_bench(args, model, 1, beside_server=True)
                else:
                    pair[part] = wrk(server, model, args, body=(shm.path, shm.header_length) if part == "wrk_shm" else None)
            log("  overhead pair %d: bench %s | wrk %s | wrk, shared memory %s" % (
                i + 1, brief(pair["bench"]), brief(pair["wrk"]), brief(pair["wrk_shm"])))
            pairs.append(pair)
    finally:
        shm.close()
    floor = wrk(server, model, args, target=ABSENT_MODEL)
    if "error" not in floor and floor["rejected"] != floor["requests"]:
        floor = {"error": "%d of %d requests to an absent model were not refused" % (
            floor["requests"] - floor["rejected"], floor["requests"])}
    log("  round trip without inference (404): %s" % brief(floor))
    return {"pairs": pairs, "floor": floor}


def serve_rounds(args, tmp, refs, results):
    for r in range(args.rounds):
        for mi, model in enumerate(args.models):
            order = SERVERS if (r + mi) % 2 == 0 else tuple(reversed(SERVERS))
            for kind in order:
                log("round %d %s: %s" % (r + 1, model, LABEL[kind]))
                server = Server(kind, [model], args, tmp)
                try:
                    server.wait_ready(args.ready_timeout)
                    protocols = args.protocols if r % 2 == 0 else list(reversed(args.protocols))
                    for protocol in protocols:
                        for c in args.concurrency:
                            save = None
                            if r == 0 and c == args.concurrency[0]:
                                save = os.path.join(tmp, "out_%s_%s_%s.npy" % (kind, model, protocol))
                            res = loadgen(server, model, c, args, protocol, save)
                            if save and model in refs and os.path.exists(save):
                                results["checks"]["%s %s (%s)" % (LABEL[kind], model, protocol)] = diff(save, refs[model])
                            log("  %s c=%d: %s" % (protocol, c, brief(res)))
                            results["runs"].append({"round": r, "model": model, "server": kind,
                                                    "protocol": protocol, "concurrency": c, **res})
                    if kind == "flexeg" and not args.skip_overhead:
                        results["overhead"].append({"round": r, "model": model, **overhead_runs(server, model, args)})
                except Failed as e:
                    log("  %s failed: %s" % (kind, e))
                    results["runs"].append({"round": r, "model": model, "server": kind, "error": str(e)})
                finally:
                    server.stop()


def batching_rounds(args, tmp, results):
    for r in range(args.rounds):
        log("round %d: dynamic batching (MobileNetV2, concurrency %s)" % (
            r + 1, ", ".join(map(str, args.batch_concurrency))))
        results["batching"].append({"round": r, "kind": "bench_b1", **flexeg_bench(args, "mobilenetv2_1.0", 1)})
        results["batching"].append({"round": r, "kind": "bench_b8", **flexeg_bench(args, "mobilenetv2_1.0", 8)})
        batched = [batched_name(d) for d in args.batch_delay_us]
        server = Server("flexeg", ["mobilenetv2_1.0"] + batched, args, tmp)
        try:
            server.wait_ready(args.ready_timeout)
            names = ["mobilenetv2_1.0"] + batched
            names = names[r % len(names):] + names[:r % len(names)]  # each round starts with another model
            for c in args.batch_concurrency:
                for name in names:
                    save = os.path.join(tmp, "out_batched.npy") if name == batched[0] and r == 0 else None
                    res = loadgen(server, name, c, args, args.batch_protocol, save)
                    if save and os.path.exists(save) and "mobilenetv2_1.0" in results["refs"]:
                        results["checks"]["flexeg %s (batch 8, dynamic batching)" % "mobilenetv2_1.0"] = \
                            diff(save, results["refs"]["mobilenetv2_1.0"])
                    log("  %s c=%d: %s%s" % (name, c, brief(res),
                                              ", mean batch %.2f" % res["mean_batch"] if "mean_batch" in res else ""))
                    results["batching"].append({"round": r, "concurrency": c,
                                                "kind": "serve_b1" if name == "mobilenetv2_1.0" else "serve_" + name, **res})
        except Failed as e:
            log("  batching failed: %s" % e)
            results["batching"].append({"round": r, "kind": "error", "error": str(e)})
        finally:
            server.stop()


def brief(res):
    if "error" in res:
        return "error: " + res["error"]
    lat = res.get("latency_ms", {})
    return "%.1f inf/s p50 %.1f p99 %.1f ms, server CPU %.2f, errors %d, load %.1f" % (
        res["throughput"], lat.get("p50", 0), lat.get("p99", 0), res.get("server_cpu_util", 0),
        res.get("errors", 0), res.get("load_avg", 0))


# ---------------------------------------------------------------- report

def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def spread(values):
    values = [v for v in values if v is not None]
    m = med(values)
    return (max(values) - min(values)) / 2 / m if values and m else 0.0


def f1(v, fmt="%.1f"):
    return fmt % v if isinstance(v, (int, float)) else "–"


def markdown(env, results, args):
    L = ["# flexeg serve vs KServe + ONNX Runtime", ""]
    L += ["- %s: %s" % (k, v) for k, v in env.items()]
    L += ["", "Medians over %d rounds (± half the min–max range of throughput); batch 1; gRPC with "
          "raw_input_contents, REST with the binary tensor extension; "
          "%ss timed after %ss warm-up per run; latency is per request at the client (ms)." % (
              args.rounds, args.duration, args.warmup), ""]
    ok = [x for x in results["runs"] if "throughput" in x]
    L += ["| model | protocol | C | flexeg inf/s | KServe+ORT inf/s | flexeg / KServe | flexeg p50 | flexeg p99 | "
          "KServe p50 | KServe p99 | server CPU (flexeg / KServe) |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    summary = {}
    for model in args.models:
        for protocol in args.protocols:
            for c in args.concurrency:
                cell = {}
                for kind in SERVERS:
                    rows = [x for x in ok if x["model"] == model and x["server"] == kind and x["concurrency"] == c
                            and x["protocol"] == protocol]
                    if rows:
                        cell[kind] = {"tput": med([x["throughput"] for x in rows]),
                                      "spread": spread([x["throughput"] for x in rows]),
                                      "p50": med([x["latency_ms"]["p50"] for x in rows]),
                                      "p99": med([x["latency_ms"]["p99"] for x in rows]),
                                      "cpu": med([x.get("server_cpu_util") for x in rows]), "n": len(rows)}
                summary[(model, protocol, c)] = cell
                fx, ks = cell.get("flexeg", {}), cell.get("kserve", {})
                ratio = fx["tput"] / ks["tput"] if fx and ks and ks["tput"] else None
                L.append("| %s | %s | %d | %s ±%.0f%% | %s ±%.0f%% | **%s** | %s | %s | %s | %s | %s / %s |" % (
                    model, protocol, c, f1(fx.get("tput")), 100 * fx.get("spread", 0), f1(ks.get("tput")),
                    100 * ks.get("spread", 0), f1(ratio, "%.2f"), f1(fx.get("p50")), f1(fx.get("p99")),
                    f1(ks.get("p50")), f1(ks.get("p99")), f1(fx.get("cpu"), "%.2f"), f1(ks.get("cpu"), "%.2f")))
    errors = [x for x in results["runs"] if "error" in x or x.get("errors")]
    if errors:
        L += ["", "Errors: " + "; ".join("%s %s c%s: %s" % (x["model"], x["server"], x.get("concurrency"),
                                                             x.get("error") or x.get("first_error")) for x in errors)]
    L += ["", "Per-round throughput (inf/s), in run order:", ""]
    for model in args.models:
        for protocol in args.protocols:
            for kind in SERVERS:
                for c in args.concurrency:
                    rows = [x for x in ok if x["model"] == model and x["server"] == kind and x["concurrency"] == c
                            and x["protocol"] == protocol]
                    if rows:
                        L.append("- %s %s %s c%d: %s" % (model, protocol, kind, c,
                                                         ", ".join("%.1f" % x["throughput"] for x in rows)))

    if results["overhead"]:
        L += ["", "## Server overhead: flexeg serve (REST, binary tensors, concurrency 1) vs flexeg bench in process", "",
              "Pairs of runs seconds apart, the server up and idle during the bench: wrk (C, one connection) against "
              "the server, and `flexeg bench` in process on the same CPU; **wrk / bench** is the median of the "
              "pairs' ratios. The Python load generator's concurrency-1 REST run (its own encode/decode is in the "
              "round trip) is shown beside. The 404 round trip is wrk posting the same body to a model the server "
              "does not have (transfer over loopback and the HTTP path, no inference); the ceiling is "
              "bench time / (bench time + that round trip): the most any server could keep with this body here. "
              "Server columns are flexeg's own statistics during the wrk runs. **shm / bench** is the same ratio "
              "for wrk's request with both tensors in a registered system shared memory region (JSON body only).", "",
              "| model | bench inf/s | wrk inf/s | **wrk / bench** | pairs' ratios | wrk shm inf/s | **shm / bench** | "
              "404 round trip p50 (ms) | ceiling | "
              "Python c1 / bench | bench p50 | wrk p50 | server: total | decode | queue | infer | encode (ms per request) |",
              "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for model in args.models:
            pairs = [p for x in results["overhead"] if x["model"] == model for p in x["pairs"]
                     if "throughput" in p["bench"] and "throughput" in p["wrk"]]
            if not pairs:
                continue
            b, w = [p["bench"] for p in pairs], [p["wrk"] for p in pairs]
            bt, wt = med([x["throughput"] for x in b]), med([x["throughput"] for x in w])
            ratios = [p["wrk"]["throughput"] / p["bench"]["throughput"] for p in pairs]
            shm_pairs = [p for p in pairs if "throughput" in p.get("wrk_shm", {})]
            shm_ratios = [p["wrk_shm"]["throughput"] / p["bench"]["throughput"] for p in shm_pairs]
            floors = [x["floor"]["latency_ms"]["p50"] for x in results["overhead"]
                      if x["model"] == model and "latency_ms" in x["floor"]]
            floor = med(floors)
            ceiling = (1000 / bt) / (1000 / bt + floor) if floor is not None else None
            s = [x for x in ok if x["model"] == model and x["server"] == "flexeg" and x["concurrency"] == 1
                 and x["protocol"] == "rest"]
            st = med([x["throughput"] for x in s]) if s else None
            wm = lambda k: med([(x.get("server_ms") or {}).get(k) for x in w])  # noqa: E731
            L.append("| %s | %s | %s | **%s** | %s | %s | **%s** | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                model, f1(bt), f1(wt), f1(med(ratios), "%.3f"), ", ".join("%.3f" % x for x in ratios),
                f1(med([p["wrk_shm"]["throughput"] for p in shm_pairs]) if shm_pairs else None),
                f1(med(shm_ratios) if shm_ratios else None, "%.3f"),
                f1(floor, "%.2f"), f1(ceiling, "%.3f"), f1(st / bt if st else None, "%.3f"),
                f1(med([x["latency_ms"]["p50"] for x in b]), "%.2f"), f1(med([x["latency_ms"]["p50"] for x in w]), "%.2f"),
                f1(wm("success"), "%.2f"), f1(wm("compute_input"), "%.3f"), f1(wm("queue"), "%.3f"),
                f1(wm("compute_infer"), "%.2f"), f1(wm("compute_output"), "%.3f")))

    if results["batching"]:
        L += ["", "## Dynamic batching: MobileNetV2, batch-1 requests (%s)" % args.batch_protocol, "",
              "| run | C | inf/s | p50 | p99 | mean batch | server CPU |", "|---|---:|---:|---:|---:|---:|---:|"]
        names = {"serve_b1": "flexeg serve, batch-1 model, no batching",
                 "bench_b1": "flexeg bench in process, batch 1", "bench_b8": "flexeg bench in process, batch 8"}
        batched = ["serve_" + batched_name(d) for d in args.batch_delay_us]
        names.update({kind: "flexeg serve, batch-8 model, dynamic batching (%d µs)" % d
                      for kind, d in zip(batched, args.batch_delay_us)})
        tput = {}
        cases = [(kind, c) for c in args.batch_concurrency for kind in ["serve_b1"] + batched] \
            + [("bench_b1", None), ("bench_b8", None)]
        for kind, c in cases:
            # (flexeg bench's own JSON has a "concurrency" of its own: only server runs are told apart by it)
            rows = [x for x in results["batching"]
                    if x["kind"] == kind and (c is None or x.get("concurrency") == c) and "throughput" in x]
            if rows:
                tput[kind, c] = med([x["throughput"] for x in rows])
                L.append("| %s | %s | %s ±%.0f%% | %s | %s | %s | %s |" % (
                    names[kind], c if c else "–", f1(tput[kind, c]), 100 * spread([x["throughput"] for x in rows]),
                    f1(med([x["latency_ms"]["p50"] for x in rows])), f1(med([x["latency_ms"]["p99"] for x in rows])),
                    f1(med([x.get("mean_batch") for x in rows]), "%.2f"),
                    f1(med([x.get("server_cpu_util") for x in rows]), "%.2f")))
        L.append("")
        for kind, d in zip(batched, args.batch_delay_us):
            ratios = ["C = %d: **%.2fx**" % (c, tput[kind, c] / tput["serve_b1", c])
                      for c in args.batch_concurrency if ("serve_b1", c) in tput and (kind, c) in tput]
            if ratios:
                L.append("- Dynamic batching at %d µs / no batching: %s" % (d, ", ".join(ratios)))
        if ("bench_b1", None) in tput and ("bench_b8", None) in tput:
            L.append("- In-process batch 8 / batch 1: %.2fx" % (tput["bench_b8", None] / tput["bench_b1", None]))

    L += ["", "## Output checks (first response vs MXNet 1.9.1, max |out − ref| / max |ref|)", ""]
    L += ["- %s: %s" % (k, f1(v, "%.1e") if isinstance(v, float) else v) for k, v in sorted(results["checks"].items())]
    return "\n".join(L) + "\n", summary


def environment(args):
    cpu = next((line.split(":", 1)[1].strip() for line in sh(["lscpu"]).splitlines()
                if line.startswith("Model name")), "")
    dirty = " (uncommitted changes)" if sh(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"]) else ""
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": sh(["git", "-C", REPO, "rev-parse", "--short", "HEAD"]) + dirty,
        "cpu": "%s, %d CPUs online" % (cpu, os.cpu_count()),
        "flexeg": args.flexeg,
        "kserve / onnxruntime": sh([KS_PY, "-c", "import importlib.metadata as m; "
                                    "print(m.version('kserve'), '/', m.version('onnxruntime'))"]),
        "pinning": "servers on CPU %s (flexeg --cores 1; ORT intra_op_num_threads=1), load generator on CPU %s"
                   % (SERVER_CPU, CLIENT_CPU),
        "wrk": (sh(["wrk", "--version"]).splitlines() or ["?"])[0].split(" [")[0] if shutil.which("wrk") else "missing",
        "load average at start": "%.2f %.2f %.2f" % os.getloadavg(),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flexeg", default=os.path.join(REPO, ".build", "release", "flexeg"),
                    help="the flexeg binary (a release build)")
    ap.add_argument("--models", nargs="+", default=list(compare.IMAGE_MODELS))
    ap.add_argument("--concurrency", nargs="+", type=int, default=[1, 4, 16])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=5.0, help="timed seconds per run")
    ap.add_argument("--warmup", type=float, default=2.0, help="untimed seconds before each run")
    ap.add_argument("--protocols", nargs="+", choices=["grpc", "rest"], default=["grpc", "rest"],
                    help="gRPC (raw_input_contents) and/or REST (binary tensor extension)")
    ap.add_argument("--batch-concurrency", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--batch-protocol", choices=["grpc", "rest"], default="rest")
    ap.add_argument("--batch-delay-us", type=int, nargs="+", default=[2000, 0],
                    help="max_queue_delay_microseconds: one batch-8 model per value")
    ap.add_argument("--skip-serve", action="store_true", help="no server-vs-server rounds (nor overhead)")
    ap.add_argument("--skip-overhead", action="store_true")
    ap.add_argument("--overhead-pairs", type=int, default=3,
                    help="bench + wrk pairs per flexeg server run for the server overhead")
    ap.add_argument("--skip-batching", action="store_true")
    ap.add_argument("--ready-timeout", type=int, default=900, help="seconds for a server to load (compiles)")
    ap.add_argument("--repository", default=os.path.join(MODELS_DIR, "serve-repo"))
    ap.add_argument("--json", help="also write every run here")
    args = ap.parse_args()
    if not os.path.exists(args.flexeg):
        sys.exit("no flexeg binary at %s (give --flexeg)" % args.flexeg)
    if not os.path.exists(KS_PY):
        sys.exit("no %s: run bash Benchmarks/serve/setup.sh" % KS_PY)
    args.flexeg = os.path.abspath(args.flexeg)
    env = environment(args)
    write_repository(args.repository, args.models, args.batch_delay_us)
    results = {"runs": [], "overhead": [], "batching": [], "checks": {}, "refs": {}}
    with tempfile.TemporaryDirectory(prefix="serve-bench-") as tmp:
        args.tmp = tmp
        for model in args.models:
            log("MXNet reference for %s" % model)
            try:
                results["refs"][model] = reference(model, tmp)
            except Failed as e:
                results["checks"]["mxnet %s" % model] = "error: %s" % e
        if not args.skip_serve:
            serve_rounds(args, tmp, results["refs"], results)
        if not args.skip_batching and "mobilenetv2_1.0" in args.models:
            batching_rounds(args, tmp, results)
        env["load average at end"] = "%.2f %.2f %.2f" % os.getloadavg()
        text, _ = markdown(env, results, args)
    results.pop("refs")
    del args.tmp
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": env, "args": vars(args), **results}, f, indent=1)
    print(text)


if __name__ == "__main__":
    main()
