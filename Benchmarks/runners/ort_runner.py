"""ONNX Runtime competitor (run in .venv-ort): CPUExecutionProvider, all graph optimizations,
sequential execution, intra-op threads T and one inter-op thread.

    ort_runner.py MODEL.onnx [NAME=]INPUT.npy... --threads T --duration 3 [--warmup 1]   -> one JSON line
    ort_runner.py MODEL.onnx [NAME=]INPUT.npy... --threads T --check --reference REF.npy
        one profiled run: its output's max relative difference from REF.npy, and the kernels
        that ran after ORT's graph fusions (op type -> count, and their execution providers)
"""
import argparse
import collections
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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("inputs", nargs="+", help="NAME=FILE.npy per model input (a bare FILE.npy is `data`)")
    ap.add_argument("--threads", type=int, default=1, help="intra-op threads")
    ap.add_argument("--duration", type=float, default=3.0, help="timed seconds after warm-up")
    ap.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds")
    ap.add_argument("--check", action="store_true", help="one profiled run instead of timing")
    ap.add_argument("--reference", help="with --check: .npy to compare output 0 with")
    args = ap.parse_args()

    feed = load_inputs(args.inputs)
    batch = int(next(iter(feed.values())).shape[0])
    result = {"competitor": "onnxruntime", "version": ort.__version__, "batch": batch,
              "intra_op_threads": args.threads, "affinity": sorted(os.sched_getaffinity(0))}
    if args.check:
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
