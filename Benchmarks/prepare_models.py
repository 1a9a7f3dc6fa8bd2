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
every competitor and image-classification model.

Exported here directly from their model zoos (random weights, nothing downloaded), batch 1 only:
  bert_base: GluonNLP 0.10.0 BERTModel at BERT-base size (12 layers, 768 units, 12 heads, FFN 3072,
      vocabulary 30522, pooler; no decoder or classifier), hybridized and exported like the
      gluonnlp_bert_tiny fixture. Inputs, layout NT, float32 as MXNet takes them: data0 token ids
      [1, 128], data1 token types [1, 128], data2 valid_length [1] (= 100, so the mask matters):
      .models/bert_base/in_b1_<name>.npy
  ssd_512_resnet50_v1_voc (data [1, 3, 512, 512]) and yolo3_darknet53_voc (data [1, 3, 416, 416]):
      gluoncv 0.10.5 model_zoo.get_model(pretrained=False, pretrained_base=False), initialized
      (seed 12), hybridized, exported; input .models/<model>/in_b1_data.npy (N(0, 1)).
  Each gets <model>_b1.onnx from mx.onnx.export_model when MXNet's exporter handles the graph
  (BERT at ONNX opset 13, see export_onnx);
  when it does not, the reason is written to <model>_b1.onnx.failed (compare.py reports it).

    .venv-mxnet/bin/python Benchmarks/prepare_models.py [--force]
"""
import argparse
import importlib.util
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
BERT_SEQ, BERT_VALID = 128, 100
DETECTORS = {"ssd_512_resnet50_v1_voc": 512, "yolo3_darknet53_voc": 416}
# The packages the models exported straight from their zoos need, beyond MXNet.
PACKAGES = {"gluonnlp": "gluonnlp 0.10.0", "gluoncv": "gluoncv 0.10.5.post0"}


def write_checkpoint(name, out_dir):
    # A subprocess: make_fixtures.py switches MKLDNN off and pins OMP threads for itself.
    subprocess.run([sys.executable, os.path.join(REPO, "Scripts", "fixtures", "make_fixtures.py"),
                    "--full-model", name, "--out", out_dir], check=True)


def export_onnx(prefix, batch, path, in_shapes=None, opset=None):
    """in_shapes: the symbol's inputs' shapes in its argument order (default one image batch).
    opset: the ONNX opset to export at (default: the newest onnx knows, 19 for onnx 1.14.1).
    MXNet 1.9.1's exporter takes no opset argument; it asks onnx.defs.onnx_opset_version() and checks
    the graph against onnx.checker.DEFAULT_CONTEXT, so both are pinned while it runs."""
    import mxnet as mx
    import onnx
    import onnx.checker
    import onnx.defs
    in_shapes = in_shapes or [(batch, 3, 224, 224)]
    newest, context = onnx.defs.onnx_opset_version, dict(onnx.checker.DEFAULT_CONTEXT.opset_imports)
    if opset is not None:
        onnx.defs.onnx_opset_version = lambda: opset
        onnx.checker.DEFAULT_CONTEXT.opset_imports = {"": opset}
    try:
        mx.onnx.export_model(prefix + "-symbol.json", prefix + "-0000.params",
                             in_shapes=in_shapes, in_types=[np.float32] * len(in_shapes),
                             onnx_file_path=path)
    finally:
        onnx.defs.onnx_opset_version = newest
        onnx.checker.DEFAULT_CONTEXT.opset_imports = context
    model = onnx.load(path)
    weights = {init.name for init in model.graph.initializer}
    kept = [i for i in model.graph.input if i.name not in weights]
    del model.graph.input[:]
    model.graph.input.extend(kept)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return [i.name for i in kept]


def export_gluon(net, inputs, prefix):
    """Runs `net` once on `inputs` (name -> array, in the symbol's input order), exports
    PREFIX-symbol.json / PREFIX-0000.params and writes the inputs as <dir>/in_b1_<name>.npy."""
    import mxnet as mx
    net.hybridize(static_alloc=True)
    net(*[mx.nd.array(v) for v in inputs.values()])
    os.makedirs(os.path.dirname(prefix), exist_ok=True)
    net.export(prefix, epoch=0)
    for name, v in inputs.items():
        np.save(os.path.join(os.path.dirname(prefix), "in_b1_%s.npy" % name), v)


def write_bert_base(prefix):
    import mxnet as mx
    from gluonnlp.model.bert import BERTModel, BERTEncoder
    mx.random.seed(12)
    encoder = BERTEncoder(num_layers=12, units=768, hidden_size=3072, max_length=512, num_heads=12,
                          dropout=0.0)
    net = BERTModel(encoder, vocab_size=30522, token_type_vocab_size=2, units=768, embed_size=768,
                    use_pooler=True, use_decoder=False, use_classifier=False)
    net.initialize(mx.init.Normal(0.02))
    r = np.random.RandomState(13)
    inputs = {"data0": r.randint(0, 30522, size=(1, BERT_SEQ)).astype(np.float32),
              "data1": r.randint(0, 2, size=(1, BERT_SEQ)).astype(np.float32),
              "data2": np.array([BERT_VALID], dtype=np.float32)}
    export_gluon(net, inputs, prefix)


def write_detector(name, size, prefix):
    import mxnet as mx
    import gluoncv
    mx.random.seed(12)
    net = gluoncv.model_zoo.get_model(name, pretrained=False, pretrained_base=False)
    # Xavier for weights; BatchNorm at identity (gluoncv leaves some gammas to the global init).
    for pname, param in net.collect_params().items():
        param.initialize(init=mx.init.One() if pname.endswith(("gamma", "running_var", "moving_var")) else
                         mx.init.Zero() if pname.endswith(("beta", "bias", "running_mean", "moving_mean")) else
                         mx.init.Xavier())
    x = np.random.RandomState(14).normal(size=(1, 3, size, size)).astype(np.float32)
    export_gluon(net, {"data": x}, prefix)


def export_or_explain(prefix, path, in_shapes, opset=None):
    """The ONNX export, or <path>.failed with MXNet's exporter's error when it cannot."""
    failed = path + ".failed"
    try:
        inputs = export_onnx(prefix, 1, path, in_shapes, opset)
    except Exception as e:  # the exporter raises bare AttributeError/NotImplementedError/...
        with open(failed, "w") as f:
            f.write("mx.onnx.export_model: %s: %s\n" % (type(e).__name__, e))
        print("ONNX export of %s failed: %s: %s" % (prefix, type(e).__name__, e))
        return
    if os.path.exists(failed):
        os.remove(failed)
    print("wrote %s (inputs %s)" % (path, inputs))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--force", action="store_true", help="rewrite everything")
    ap.add_argument("--only", nargs="+", help="only these of bert_base and the detectors")
    args = ap.parse_args()
    os.makedirs(MODELS_DIR, exist_ok=True)

    for b in BATCHES:
        path = os.path.join(MODELS_DIR, "input_b%d.npy" % b)
        if args.force or not os.path.exists(path):
            x = np.random.RandomState(1000 + b).normal(size=(b, 3, 224, 224)).astype(np.float32)
            np.save(path, x)
            print("wrote", path)

    for name in ([] if args.only else MODELS):
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

    exported = [("bert_base", "gluonnlp", write_bert_base)]
    exported += [(n, "gluoncv", lambda prefix, n=n, s=s: write_detector(n, s, prefix)) for n, s in DETECTORS.items()]
    for name, package, write in exported:
        if args.only and name not in args.only:
            continue
        if importlib.util.find_spec(package) is None:
            why = ("%s needs %s in this venv; Scripts/fixtures/README.md says how to install it"
                   % (name, PACKAGES[package]))
            if args.only:
                sys.exit("prepare_models.py: " + why)
            print("skipped: " + why)
            continue
        prefix = os.path.join(MODELS_DIR, name, name)
        path = prefix + "_b1.onnx"
        if args.force or not os.path.exists(prefix + "-0000.params"):
            t = time.time()
            write(prefix)
            print("wrote %s checkpoint (%.1fs)" % (name, time.time() - t))
        if args.force or not (os.path.exists(path) or os.path.exists(path + ".failed")):
            import mxnet as mx
            sym = mx.sym.load(prefix + "-symbol.json")
            data = [a for a in sym.list_arguments() if a.startswith("data")]
            shapes = [np.load(os.path.join(MODELS_DIR, name, "in_b1_%s.npy" % d)).shape for d in data]
            # BERT at opset 13: the exporter writes LayerNorm's ReduceMean with an `axes` attribute,
            # which opset 18 moved to an input, so the newest opset fails onnx's checker.
            export_or_explain(prefix, path, shapes, opset=13 if name == "bert_base" else None)


if __name__ == "__main__":
    main()
