"""ONNX Runtime competitor (run in .venv-ort): CPUExecutionProvider, all graph optimizations,
sequential execution, intra-op threads T and one inter-op thread.

    ort_runner.py MODEL.onnx [NAME=]INPUT.npy... --threads T --duration 3 [--warmup 1]   -> one JSON line
    ort_runner.py MODEL.onnx [NAME=]INPUT.npy... --threads T --check --reference REF.npy
        one profiled run: its output's max relative difference from REF.npy, and the kernels
        that ran after ORT's graph fusions (op type -> count, and their execution providers)
    ort_runner.py MODEL.onnx [NAME=]INPUT.npy... --threads T --layers N
        N profiled runs after the warm-up: each kernel that ran (after ORT's fusions), in execution
        order, with its op type, output shape, direct FLOPs and mean milliseconds per run
"""
import argparse
import collections
import functools
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import emit, load_inputs, max_rel_diff, os_threads, timed_loop  # noqa: E402

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402


def session(model, threads, profile_prefix=None):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if profile_prefix:
        so.enable_profiling = True
        so.profile_file_prefix = profile_prefix
    return ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])


def kernels_from_profile(path):
    """{op type: count} and the providers of the node events in an ORT profile."""
    with open(path) as f:
        events = json.load(f)
    ops, providers = collections.Counter(), set()
    for e in events:
        a = e.get("args", {})
        if e.get("cat") == "Node" and e.get("name", "").endswith("_kernel_time"):
            ops[a.get("op_name", "?")] += 1
            providers.add(a.get("provider", "?"))
    return dict(sorted(ops.items())), sorted(providers)


def direct_flops(op, inputs, output):
    """2 x multiply-adds of a convolution (weights [O, C/groups, kh, kw]) or a GEMM ([M, K] x [K, N] or
    its transpose), as FlexEG's profile counts them; 0 for other kernels."""
    size = lambda shape: functools.reduce(lambda a, b: a * b, shape, 1)  # noqa: E731
    if "Conv" in op and len(inputs) > 1 and len(inputs[1]) == 4:
        return 2 * size(output) * size(inputs[1][1:])
    if op in ("Gemm", "FusedGemm", "MatMul", "FusedMatMul") and inputs and output:
        return 2 * size(output) * inputs[0][-1]
    return 0


def layers_from_profile(path, runs):
    """[{name, op, shape, ms}] per kernel of one run, in execution order: the mean of each node's last
    `runs` times in the profile (earlier runs were the warm-up)."""
    with open(path) as f:
        events = json.load(f)
    order, times = [], collections.defaultdict(list)
    for e in events:
        a = e.get("args", {})
        if e.get("cat") != "Node" or not e.get("name", "").endswith("_kernel_time"):
            continue
        name = e["name"][:-len("_kernel_time")]
        if name not in times:
            outputs = [next(iter(x.values()), []) for x in a.get("output_type_shape") or [{}]]
            inputs = [next(iter(x.values()), []) for x in a.get("input_type_shape") or []]
            order.append({"name": name, "op": a.get("op_name", "?"), "shape": outputs[0],
                          "flops": direct_flops(a.get("op_name", ""), inputs, outputs[0])})
        times[name].append(e["dur"] / 1e3)
    for layer in order:
        last = times[layer["name"]][-runs:]
        layer["ms"] = sum(last) / len(last)
    return order


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("inputs", nargs="+", help="NAME=FILE.npy per model input (a bare FILE.npy is `data`)")
    ap.add_argument("--threads", type=int, default=1, help="intra-op threads")
    ap.add_argument("--duration", type=float, default=3.0, help="timed seconds after warm-up")
    ap.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds")
    ap.add_argument("--check", action="store_true", help="one profiled run instead of timing")
    ap.add_argument("--reference", help="with --check: .npy to compare output 0 with")
    ap.add_argument("--layers", type=int, metavar="N", help="N profiled runs: each kernel's mean time")
    args = ap.parse_args()

    feed = load_inputs(args.inputs)
    batch = int(next(iter(feed.values())).shape[0])
    result = {"competitor": "onnxruntime", "version": ort.__version__, "batch": batch,
              "intra_op_threads": args.threads, "affinity": sorted(os.sched_getaffinity(0))}
    if args.layers:
        with tempfile.TemporaryDirectory() as tmp:
            sess = session(args.model, args.threads, os.path.join(tmp, "ort"))
            for _ in range(5 + args.layers):  # 5 warm-up runs, then the N kept
                sess.run(None, feed)
            result["layers"] = layers_from_profile(sess.end_profiling(), args.layers)
    elif args.check:
        with tempfile.TemporaryDirectory() as tmp:
            sess = session(args.model, args.threads, os.path.join(tmp, "ort"))
            out = sess.run(None, feed)[0]
            result["os_threads"] = os_threads()
            result["kernels"], result["providers"] = kernels_from_profile(sess.end_profiling())
        if args.reference:
            result["max_rel_diff"] = max_rel_diff(out, np.load(args.reference))
    else:
        sess = session(args.model, args.threads)
        result.update(timed_loop(lambda: sess.run(None, feed), batch, args.duration, args.warmup))
        result["os_threads"] = os_threads()
    emit(result)


if __name__ == "__main__":
    main()
