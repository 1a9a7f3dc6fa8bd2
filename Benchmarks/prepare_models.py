"""Writes the benchmark models into Benchmarks/.models/ (run in .venv-mxnet; idempotent).

For each model (resnet50_v1, mobilenetv2_1.0; 224x224 input "data"):
  .models/<model>/<model>-symbol.json, <model>-0000.params
      full-size gluon zoo checkpoint with random weights and randomized BatchNorm statistics,
      written by Scripts/fixtures/make_fixtures.py --full-model (the fixtures' recipe, seed 11)
  .models/<model>/<model>_b<B>.onnx  for B in 1, 8
      mx.onnx.export_model of that checkpoint with input shape (B, 3, 224, 224); the initializers
      are then removed from the graph inputs, otherwise ONNX Runtime treats weights as
      overridable inputs and cannot constant-fold BatchNorm into the convolutions
.models/input_b<B>.npy: one fixed random input (float32, N(0, 1), seed 1000 + B), shared by
every competitor and model.

    .venv-mxnet/bin/python Benchmarks/prepare_models.py [--force]
"""
import argparse
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
MODELS_DIR = os.path.join(HERE, ".models")
MODELS = ("resnet50_v1", "mobilenetv2_1.0")
BATCHES = (1, 8)


def write_checkpoint(name, out_dir):
    # A subprocess: make_fixtures.py switches MKLDNN off and pins OMP threads for itself.
    subprocess.run([sys.executable, os.path.join(REPO, "Scripts", "fixtures", "make_fixtures.py"),
                    "--full-model", name, "--out", out_dir], check=True)


def export_onnx(prefix, batch, path):
    import mxnet as mx
    import onnx
    mx.onnx.export_model(prefix + "-symbol.json", prefix + "-0000.params",
                         in_shapes=[(batch, 3, 224, 224)], in_types=[np.float32],
                         onnx_file_path=path)
    model = onnx.load(path)
    weights = {init.name for init in model.graph.initializer}
    kept = [i for i in model.graph.input if i.name not in weights]
    del model.graph.input[:]
    model.graph.input.extend(kept)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return [i.name for i in kept]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--force", action="store_true", help="rewrite everything")
    args = ap.parse_args()
    os.makedirs(MODELS_DIR, exist_ok=True)

    for b in BATCHES:
        path = os.path.join(MODELS_DIR, "input_b%d.npy" % b)
        if args.force or not os.path.exists(path):
            x = np.random.RandomState(1000 + b).normal(size=(b, 3, 224, 224)).astype(np.float32)
            np.save(path, x)
            print("wrote", path)

    for name in MODELS:
        out_dir = os.path.join(MODELS_DIR, name)
        prefix = os.path.join(out_dir, name)
        if args.force or not os.path.exists(prefix + "-0000.params"):
            t = time.time()
            write_checkpoint(name, out_dir)
            print("wrote %s checkpoint (%.1fs)" % (name, time.time() - t))
        for b in BATCHES:
            path = "%s_b%d.onnx" % (prefix, b)
            if args.force or not os.path.exists(path):
                t = time.time()
                inputs = export_onnx(prefix, b, path)
                print("wrote %s (inputs %s, %.1fs)" % (path, inputs, time.time() - t))


if __name__ == "__main__":
    main()
