"""Layer by layer: FlexEG's kernels against ONNX Runtime's on one CPU, same model, same input.

Where compare.py says how fast a whole model runs, this says which layers make the difference. In
each of `--rounds` rounds, per model, alternating which goes first, on CPU 0:
  - `flexeg bench PREFIX --input data=B,3,224,224 --profile K --json`: each compiled step's mean time
    over K runs on the calling thread (FlexEG's steps: one per MXNet layer, fused elementwise included);
  - `runners/ort_runner.py MODEL_bB.onnx --layers N` (.venv-ort, one intra-op thread): each kernel
    ORT ran after its graph fusions (Conv with its BatchNorm and activation, in NCHWc), its mean over N
    runs after 5 warm-up runs.
Each layer keeps its fastest round. The layers that do the arithmetic are matched in execution order
and by their direct FLOPs: FlexEG's Convolution, FullyConnected and Pooling steps against ORT's Conv,
FusedConv, Gemm, MatMul and pooling kernels; a step FlexEG fuses into the next (`gemm+depthwise`) is
matched with both of ORT's. Everything else (ORT's layout reorders, flattening) is summed as "other".

    python3 Benchmarks/layers.py --flexeg .build/release/flexeg
    python3 Benchmarks/layers.py --models mobilenetv2_1.0 --batch 8 --rounds 3

Plain python3; needs Benchmarks/setup.sh's .venv-ort and prepare_models.py's models.
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare  # noqa: E402
from compare import Failed, last_json, run  # noqa: E402

ORT_RUNNER = os.path.join(HERE, "runners", "ort_runner.py")
FLEXEG_OPS = {"Convolution", "FullyConnected", "Pooling"}
ORT_OPS = {"Conv", "FusedConv", "NchwcConv", "Gemm", "FusedGemm", "MatMul", "FusedMatMul", "MaxPool",
           "AveragePool", "GlobalAveragePool", "GlobalMaxPool"}


def flexeg_steps(args, model):
    prefix, _, inputs = compare.paths(model, args.batch)
    cmd = compare.pinned(1, [args.flexeg, "bench", prefix, "--input", "data=%d,3,224,224" % args.batch,
                             "--duration", "1", "--profile", str(args.profile), "--json"])
    steps = last_json(run(cmd, timeout=900))["steps"]
    for step in steps:  # the profile gives GFLOP/s and ms; their product is the step's direct FLOPs
        step["flops"] = step.get("gflops", 0) * step["ms"] * 1e6
    return steps


def ort_layers(args, model):
    _, onnx, inputs = compare.paths(model, args.batch)
    cmd = compare.pinned(1, [compare.ORT_PY, ORT_RUNNER, onnx] + compare.input_args(inputs)
                         + ["--threads", "1", "--layers", str(args.runs)])
    return last_json(run(cmd, env=compare.competitor_env(1), timeout=900))["layers"]


def fastest(rounds):
    """The per-position minimum of `ms` over rounds (lists of equal layout)."""
    best = [dict(x) for x in rounds[0]]
    for other in rounds[1:]:
        for b, x in zip(best, other):
            b["ms"] = min(b["ms"], x["ms"])
    return best


def matched(steps, layers):
    """[(label, kernel, FlexEG ms, ORT ms, ORT kernels, output channels)] for the arithmetic layers, and
    the rest's sums. A FlexEG step takes the next unmatched ORT kernel if their direct FLOPs agree (or
    either is unknown), else the first of the next few that agrees (branches, as ResNet's shortcut
    projections, may run in another order), else the next one; a step fused into the next takes two."""
    fx = [s for s in steps if s["op"] in FLEXEG_OPS]
    ox = [x for x in layers if x["op"] in ORT_OPS]
    if len(fx) != len(ox):
        print("warning: %d FlexEG layers against %d of ORT's" % (len(fx), len(ox)), file=sys.stderr)
    unmatched = list(range(len(ox)))

    def agrees(layer, flops):  # FlexEG's FLOPs come from its rounded GFLOP/s and ms: within 3%
        return not flops or not layer["flops"] or abs(layer["flops"] - flops) <= 0.03 * flops

    def take(flops):
        if not unmatched:
            return None
        for j in [unmatched[0]] + [j for j in unmatched[1:6] if ox[j]["flops"]]:
            if agrees(ox[j], flops):
                unmatched.remove(j)
                return ox[j]
        return ox[unmatched.pop(0)]

    rows, i = [], 0
    while i < len(fx):
        step = fx[i]
        if step["kernel"] == "fused" and i + 1 < len(fx):
            first, step = step, fx[i + 1]
            pair = [take(0), take(0)]
            if None in pair:
                break
            rows.append((first["name"] + " + " + step["name"], step["kernel"], step["ms"], pair[0]["ms"] + pair[1]["ms"],
                         pair[0]["op"] + "+" + pair[1]["op"], pair[1]["shape"][1] if len(pair[1]["shape"]) > 1 else None))
            i += 2
            continue
        layer = take(step["flops"])
        if layer is None:
            break
        rows.append((step["name"], step["kernel"], step["ms"], layer["ms"], layer["op"],
                     layer["shape"][1] if len(layer["shape"]) > 1 else None))
        i += 1
    other_fx = sum(s["ms"] for s in steps) - sum(r[2] for r in rows)
    other_ort = sum(x["ms"] for x in layers) - sum(r[3] for r in rows)
    return rows, other_fx, other_ort


def short(name):
    for prefix in ("mobilenetv20_features_", "mobilenetv20_", "resnetv10_"):
        name = name.replace(prefix, "")
    return name.replace("_fwd", "")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flexeg", default=os.path.join(compare.REPO, ".build", "release", "flexeg"))
    ap.add_argument("--models", nargs="+", default=list(compare.IMAGE_MODELS))
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--profile", type=int, default=20, help="FlexEG's profiled runs per round")
    ap.add_argument("--runs", type=int, default=50, help="ORT's profiled runs per round")
    args = ap.parse_args()
    if not os.path.exists(args.flexeg):
        sys.exit("no flexeg binary at %s (swift build -c release --product flexeg)" % args.flexeg)
    env = compare.environment(args.flexeg, None)
    print("# FlexEG vs ONNX Runtime, layer by layer (batch %d, one thread, CPU 0)\n" % args.batch)
    print("\n".join("- %s: %s" % kv for kv in env.items()) + "\n")
    for model in args.models:
        fx_rounds, ort_rounds = [], []
        try:
            for r in range(args.rounds):
                order = (flexeg_steps, ort_layers) if r % 2 == 0 else (ort_layers, flexeg_steps)
                for measure in order:
                    (fx_rounds if measure is flexeg_steps else ort_rounds).append(measure(args, model))
        except Failed as e:
            print("## %s\n\nfailed: %s\n" % (model, e))
            continue
        rows, other_fx, other_ort = matched(fastest(fx_rounds), fastest(ort_rounds))
        total_fx, total_ort = sum(r[2] for r in rows) + other_fx, sum(r[3] for r in rows) + other_ort
        print("## %s: FlexEG %.2f ms, ORT %.2f ms per run (sums of layers, fastest of %d rounds)\n"
              % (model, total_fx, total_ort, args.rounds))
        print("| layer (FlexEG step) | FlexEG kernel | out ch | FlexEG ms | ORT ms | ORT kernel | FlexEG / ORT time |")
        print("|---|---|---:|---:|---:|---|---:|")
        for name, kernel, fms, oms, ops, channels in rows:
            print("| %s | %s | %s | %.3f | %.3f | %s | %s |" % (short(name), kernel, channels or "", fms, oms, ops,
                                                           "%.2f" % (fms / oms) if oms > 0 else "–"))
        print("| other | | | %.3f | %.3f | | |\n" % (other_fx, other_ort))
        slower = sorted(rows, key=lambda r: r[3] - r[2])[:5]
        print("Most time behind ORT: " + ", ".join("%s %+.3f ms" % (short(r[0]), r[2] - r[3]) for r in slower if r[2] > r[3])
              + "\n")


if __name__ == "__main__":
    main()
