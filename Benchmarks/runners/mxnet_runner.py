"""MXNet 1.9.1 competitor (run in .venv-mxnet): Module-free symbol bind, MXNet's defaults for
inference on the CPU, i.e. oneDNN (MKLDNN) kernels with the MKLDNN subgraph backend fusing
Convolution+BatchNorm+ReLU at bind time. Threads come from the environment that compare.py sets:
OMP_NUM_THREADS=T, MXNET_CPU_WORKER_NTHREADS=1 (one engine worker; each op uses T OpenMP threads).

    mxnet_runner.py PREFIX [NAME=]INPUT.npy... --duration 3 [--warmup 1]   -> one JSON line
    mxnet_runner.py PREFIX [NAME=]INPUT.npy... --check --save-output REF.npy
        one forward; writes output 0 (the reference every competitor is compared with) and lists
        the oneDNN primitives that ran (kind:implementation -> count, from DNNL_VERBOSE)
"""
import argparse
import collections
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import emit, load_inputs, os_threads, timed_loop  # noqa: E402


def onednn_primitives(run):
    """Runs `run()` with oneDNN's verbose log captured from fd 1; returns {kind:impl: count}."""
    import ctypes
    libc = ctypes.CDLL(None)
    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile(mode="w+") as log:
        os.dup2(log.fileno(), 1)
        try:
            run()
        finally:
            libc.fflush(None)
            os.dup2(saved, 1)
            os.close(saved)
        log.seek(0)
        counts = collections.Counter()
        for line in log:
            f = line.split(",")
            if len(f) > 4 and f[0] in ("dnnl_verbose", "mkldnn_verbose") and f[1] == "exec":
                counts["%s:%s" % (f[3], f[4])] += 1
    return dict(sorted(counts.items()))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("prefix")
    ap.add_argument("inputs", nargs="+", help="NAME=FILE.npy per model input (a bare FILE.npy is `data`)")
    ap.add_argument("--duration", type=float, default=3.0, help="timed seconds after warm-up")
    ap.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds")
    ap.add_argument("--check", action="store_true", help="one verbose forward instead of timing")
    ap.add_argument("--save-output", help="write output 0 of the first forward here (.npy)")
    args = ap.parse_args()
    if args.check:
        os.environ["DNNL_VERBOSE"] = "1"  # read by oneDNN when it first runs, after this point

    import numpy as np
    import mxnet as mx

    feed = load_inputs(args.inputs)
    batch = int(next(iter(feed.values())).shape[0])
    sym, arg_params, aux_params = mx.model.load_checkpoint(args.prefix, 0)
    exe = sym.bind(mx.cpu(), args=dict(arg_params, **{k: mx.nd.array(v) for k, v in feed.items()}),
                   aux_states=aux_params, grad_req="null")

    def call():
        exe.forward(is_train=False)
        exe.outputs[0].wait_to_read()

    result = {"competitor": "mxnet", "version": mx.__version__, "batch": batch,
              "onednn": mx.runtime.Features().is_enabled("MKLDNN"),
              "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
              "affinity": sorted(os.sched_getaffinity(0))}
    if args.check:
        result["primitives"] = onednn_primitives(call)
    else:
        result.update(timed_loop(call, batch, args.duration, args.warmup))
    if args.save_output:
        np.save(args.save_output, exe.outputs[0].asnumpy())
    result["os_threads"] = os_threads()
    emit(result)


if __name__ == "__main__":
    main()
