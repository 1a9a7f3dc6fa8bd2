"""Regenerates the MXNet-written test files next to this script.

Run with MXNet 1.9.1 (the project venv): `python make_resources.py`. Every file here is written by MXNet
itself, so the Swift tests read real MXNet bytes even on machines without MXNet.
"""
import os

import mxnet as mx
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))


def path(name):
    return os.path.join(here, name)


# Dense arrays of every dtype FlexEG stores, legacy shape semantics: MXNet writes NDArray V2 records.
dtypes = {
    "f32": ("float32", (2, 3), np.array([[1.5, -2.25, 3.0], [0.0, -0.0, 1e-30]])),
    "f64": ("float64", (3,), np.array([1.0 / 3.0, -2.5e300, 7.0])),
    "f16": ("float16", (1, 2, 2), np.array([[[0.5, -65504.0], [6.1e-05, 1.0]]])),
    "u8": ("uint8", (4,), np.array([0, 1, 128, 255])),
    "i8": ("int8", (2, 2), np.array([[-128, -1], [0, 127]])),
    "i32": ("int32", (1, 1, 1, 3), np.array([[[[-2147483648, 0, 2147483647]]]])),
    "i64": ("int64", (2,), np.array([-9007199254740993, 9007199254740993])),
}
mx.nd.save(path("dtypes.params"),
           {"arg:" + key: mx.nd.array(values.reshape(shape), dtype=dtype)
            for key, (dtype, shape, values) in dtypes.items()})

# An unnamed list (`mx.nd.save(file, [a, b])`) writes a name count of zero.
mx.nd.save(path("unnamed.params"), [mx.nd.array([1, 2, 3], dtype="int32"), mx.nd.ones((1, 2))])

# An empty dict.
mx.nd.save(path("empty.params"), {})

# Sparse storage (row_sparse and csr) between two dense arrays.
dense = mx.nd.array([[0, 1], [0, 0], [2, 0]])
mx.nd.save(path("sparse.params"), {"arg:before": mx.nd.ones((2,)),
                                   "arg:rows": dense.tostype("row_sparse"),
                                   "arg:csr": dense.tostype("csr"),
                                   "arg:after": mx.nd.zeros((1,))})

# A dtype MXNet has and FlexEG does not (bool, type flag 7), then a readable array.
mx.nd.save(path("bool.params"), {"arg:mask": mx.nd.array([1, 0], dtype="bool"),
                                 "arg:ok": mx.nd.ones((1,))})

# NumPy shape semantics: MXNet writes NDArray V3 records, with 0-d and zero-size arrays.
mx.npx.set_np()
mx.npx.save(path("np-semantics.params"), {"scalar": mx.np.array(2.5),
                                          "empty": mx.np.zeros((2, 0)),
                                          "matrix": mx.np.array([[1, -2], [3, -4]], dtype="int8")})
mx.npx.reset_np()

# A symbol with more than ten nodes, a multi-output op, several heads and attributes.
data = mx.sym.var("data")
conv = mx.sym.Convolution(data, num_filter=4, kernel=(3, 3), pad=(1, 1), name="conv0")
bn = mx.sym.BatchNorm(conv, fix_gamma=False, name="bn0")
act = mx.sym.Activation(bn, act_type="relu", name="relu0")
parts = mx.sym.split(act, num_outputs=2, axis=1, name="split0")
pooled = mx.sym.Pooling(parts[1], kernel=(2, 2), stride=(2, 2), pool_type="max", name="pool0")
flat = mx.sym.flatten(pooled, name="flat0")
fc = mx.sym.FullyConnected(flat, num_hidden=3, name="fc0")
with mx.AttrScope(ctx_group="stage1"):
    out = mx.sym.softmax(fc, name="prob")
mx.sym.Group([out, parts[0]]).save(path("model-symbol.json"))

# A symbol with a subgraph (control flow op), so `subgraphs` round-trips too.
x = mx.sym.var("x")
step = lambda item, states: (item * 2, [states[0] + item])
outs, states = mx.sym.contrib.foreach(step, x, [mx.sym.var("s")], name="loop")
mx.sym.Group([outs, states[0]]).save(path("foreach-symbol.json"))
