"""Shared by the competitor runners (imported from each runner's own venv; needs numpy only).

Also a tiny CLI used by compare.py for outputs it did not compute itself:
    python common.py diff OUT.npy REFERENCE.npy   ->  {"max_rel_diff": ...}
"""
import json
import os
import resource
import sys
import time

import numpy as np


def max_rel_diff(out, reference):
    """max |out - reference| / max |reference|: the worst error relative to the output's scale
    (elementwise relative errors blow up at logits near zero)."""
    out = np.asarray(out, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    if out.shape != reference.shape:
        raise SystemExit("output shape %s differs from the reference's %s" % (out.shape, reference.shape))
    return float(np.max(np.abs(out - reference)) / max(np.max(np.abs(reference)), 1e-30))


def load_inputs(specs):
    """{name: array} from `NAME=FILE.npy` specs (a bare FILE.npy is the input `data`), in the
    given order; the first input's leading dimension is the batch."""
    inputs = {}
    for spec in specs:
        name, _, path = spec.rpartition("=")
        inputs[name or "data"] = np.load(path)
    return inputs


def percentile_ms(times_s, q):
    return float(np.percentile(np.asarray(times_s) * 1e3, q))


def timed_loop(call, batch, duration_s, warmup_s):
    """Runs `call()` (one synchronous inference of `batch` elements) for `warmup_s` seconds (at
    least 2 calls), then for `duration_s` seconds of wall time. Returns throughput (batch elements
    per second), per-call latency percentiles in ms, the call count, and the process's CPU time
    divided by wall time over the timed window (≈ the number of busy threads)."""
    t_end = time.perf_counter() + warmup_s
    n = 0
    while n < 2 or time.perf_counter() < t_end:
        call()
        n += 1
    times = []
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    end = start + duration_s
    now = start
    while now < end:
        call()
        t = time.perf_counter()
        times.append(t - now)
        now = t
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    wall = now - start
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return {
        "throughput": len(times) * batch / wall,
        "latency_ms": {"p50": percentile_ms(times, 50), "p90": percentile_ms(times, 90),
                       "p99": percentile_ms(times, 99)},
        "calls": len(times),
        "wall_s": wall,
        "cpu_util": cpu / wall,
    }


def os_threads():
    """Threads this process has right now (from /proc/self/task)."""
    return len(os.listdir("/proc/self/task"))


def emit(result):
    """The runner's one result line (compare.py reads the last line that parses as JSON)."""
    sys.stdout.flush()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "diff":
        raise SystemExit("usage: common.py diff OUT.npy REFERENCE.npy")
    emit({"max_rel_diff": max_rel_diff(np.load(sys.argv[2]), np.load(sys.argv[3]))})
