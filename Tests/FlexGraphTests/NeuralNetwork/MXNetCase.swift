import Foundation
import FlexGraph
import FlexTensor
import MXNetFormat

/// A single-operator graph with inputs made by a formula and the outputs MXNet 1.9.1 computed for it
/// (`MXNetExpectations.swift`). Until the fixture models land, these check every operator's attribute
/// handling, shape inference and kernel against MXNet itself.
///
/// `MXNetExpectations.swift` is written by this script (run with the MXNet 1.9.1 venv; it builds each
/// case with `mx.sym.<op>`, binds it on the CPU and runs `forward(is_train=False)`):
///
/// ```python
/// # Generates Tests/FlexGraphTests/NeuralNetwork/MXNetExpectations.swift with MXNet 1.9.1:
/// #   .venv-mxnet/bin/python gen_expectations.py > MXNetExpectations.swift
/// # Every input is `offset + scale * sin(a * i + b)` (i = row-major element index, computed in float64,
/// # stored as float32) except integer `length` inputs, which are listed.
/// import json, sys
/// import mxnet as mx
/// import numpy as np
///
/// def gen(shape, a, b, scale=1.0, offset=0.0):
///     n = int(np.prod(shape))
///     return (offset + scale * np.sin(a * np.arange(n, dtype=np.float64) + b)).astype(np.float32).reshape(shape)
///
/// CASES = []
///
/// def case(name, op, inputs, **attrs):
///     """inputs: list of (variable name, shape, (a, b, scale, offset)) or (name, shape, [ints]) for integer inputs."""
///     CASES.append((name, op, inputs, attrs))
///
/// W = lambda k: (0.37 + 0.11 * k, 0.3 * k, 1.0, 0.0)
/// POS = (0.53, 0.2, 0.5, 1.2)      # positive values (variances)
/// SMALL = lambda k: (0.41 + 0.07 * k, 0.5 * k, 0.3, 0.0)
///
/// # Convolution
/// case("conv2d_pad_bias", "Convolution", [("data", (2, 3, 7, 6), W(0)), ("weight", (4, 3, 3, 3), SMALL(1)), ("bias", (4,), W(2))],
///      kernel=(3, 3), num_filter=4, pad=(1, 1))
/// case("conv2d_stride_dilate_group", "Convolution", [("data", (1, 4, 9, 8), W(0)), ("weight", (6, 2, 3, 2), SMALL(1))],
///      kernel=(3, 2), stride=(2, 3), dilate=(2, 1), pad=(1, 0), num_filter=6, num_group=2, no_bias=True)
/// case("conv1d", "Convolution", [("data", (2, 3, 11), W(0)), ("weight", (5, 3, 3), SMALL(1)), ("bias", (5,), W(2))],
///      kernel=(3,), stride=(2,), pad=(1,), dilate=(2,), num_filter=5)
/// case("conv2d_depthwise", "Convolution", [("data", (1, 4, 5, 5), W(0)), ("weight", (4, 1, 3, 3), SMALL(1)), ("bias", (4,), W(2))],
///      kernel=(3, 3), num_filter=4, num_group=4, pad=(1, 1))
/// # Deconvolution
/// case("deconv2d_stride_adj", "Deconvolution", [("data", (1, 2, 4, 5), W(0)), ("weight", (2, 3, 3, 3), SMALL(1))],
///      kernel=(3, 3), stride=(2, 2), pad=(1, 1), adj=(1, 1), num_filter=3)
/// case("deconv2d_group_bias_dilate", "Deconvolution", [("data", (1, 4, 3, 4), W(0)), ("weight", (4, 3, 3, 3), SMALL(1)), ("bias", (6,), W(2))],
///      kernel=(3, 3), stride=(2, 1), pad=(1, 1), dilate=(2, 1), num_filter=6, num_group=2, no_bias=False)
/// case("deconv2d_target_shape", "Deconvolution", [("data", (1, 2, 4, 5), W(0)), ("weight", (2, 2, 4, 4), SMALL(1))],
///      kernel=(4, 4), stride=(2, 2), pad=(1, 1), target_shape=(8, 10), num_filter=2)
/// case("deconv1d", "Deconvolution", [("data", (1, 2, 6), W(0)), ("weight", (2, 2, 3), SMALL(1))],
///      kernel=(3,), stride=(3,), pad=(1,), adj=(2,), num_filter=2)
/// # FullyConnected
/// case("fc_flatten", "FullyConnected", [("data", (3, 2, 5), W(0)), ("weight", (7, 10), SMALL(1)), ("bias", (7,), W(2))], num_hidden=7)
/// case("fc_no_flatten", "FullyConnected", [("data", (2, 3, 5), W(0)), ("weight", (4, 5), SMALL(1))], num_hidden=4, flatten=False, no_bias=True)
/// # BatchNorm
/// BN = lambda c: [("data", None, W(0)), ("gamma", (c,), W(1)), ("beta", (c,), W(2)), ("moving_mean", (c,), W(3)), ("moving_var", (c,), POS)]
/// def bn(name, shape, c, **attrs):
///     inputs = BN(c)
///     inputs[0] = ("data", shape, W(0))
///     case(name, "BatchNorm", inputs, **attrs)
/// bn("batchnorm_fix_gamma", (2, 3, 4, 5), 3)
/// bn("batchnorm_gamma_axis_last", (2, 3, 4), 4, fix_gamma=False, eps=1e-5, axis=-1)
/// bn("batchnorm_output_mean_var", (2, 3, 2, 2), 3, fix_gamma=False, output_mean_var=True)
/// # LayerNorm, InstanceNorm, LRN
/// case("layernorm_last", "LayerNorm", [("data", (2, 3, 8), W(0)), ("gamma", (8,), W(1)), ("beta", (8,), W(2))])
/// case("layernorm_axis1_mean_var", "LayerNorm", [("data", (2, 5, 3), W(0)), ("gamma", (5,), W(1)), ("beta", (5,), W(2))],
///      axis=1, eps=1e-3, output_mean_var=True)
/// case("instancenorm", "InstanceNorm", [("data", (2, 3, 4, 5), W(0)), ("gamma", (3,), W(1)), ("beta", (3,), W(2))])
/// case("lrn_5", "LRN", [("data", (1, 7, 3, 4), W(0))], nsize=5, alpha=0.001, beta=0.75, knorm=2)
/// case("lrn_defaults", "LRN", [("data", (2, 3, 2, 3), (0.37, 0.0, 3.0, 0.0))], nsize=3)
/// # LeakyReLU
/// LR = [("data", (2, 3, 4), (0.37, 0.0, 3.0, 0.0))]
/// case("leaky", "LeakyReLU", LR, act_type="leaky", slope=0.1)
/// case("elu", "LeakyReLU", LR, act_type="elu", slope=0.7)
/// case("selu", "LeakyReLU", LR, act_type="selu")
/// case("gelu", "LeakyReLU", LR, act_type="gelu")
/// case("rrelu", "LeakyReLU", LR, act_type="rrelu")
/// case("prelu_channel", "LeakyReLU", LR + [("gamma", (3,), SMALL(1))], act_type="prelu")
/// case("prelu_shared", "LeakyReLU", [("data", (2, 3, 2, 2), (0.37, 0.0, 3.0, 0.0)), ("gamma", (1,), (0.0, 0.5, 1.0, 0.0))], act_type="prelu")
/// # Pooling
/// P = lambda shape: [("data", shape, W(0))]
/// case("pool_max_valid", "Pooling", P((1, 2, 7, 7)), kernel=(2, 2), stride=(2, 2), pool_type="max")
/// case("pool_max_full_pad", "Pooling", P((1, 2, 8, 7)), kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="max", pooling_convention="full")
/// case("pool_avg_pad_include", "Pooling", P((1, 2, 7, 6)), kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="avg")
/// case("pool_avg_pad_exclude", "Pooling", P((1, 2, 7, 6)), kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="avg", count_include_pad=False)
/// case("pool_avg_full", "Pooling", P((1, 2, 8, 8)), kernel=(3, 3), stride=(2, 2), pool_type="avg", pooling_convention="full")
/// case("pool_sum", "Pooling", P((1, 2, 4, 5)), kernel=(2, 2), stride=(1, 1), pool_type="sum")
/// case("pool_lp2", "Pooling", P((1, 2, 4, 6)), kernel=(2, 2), stride=(2, 2), pool_type="lp", p_value=2)
/// case("pool_global_avg", "Pooling", P((2, 3, 5, 6)), global_pool=True, pool_type="avg")
/// case("pool_global_max_kernel", "Pooling", P((2, 3, 5, 6)), global_pool=True, kernel=(1, 1), pool_type="max")
/// case("pool_1d_max", "Pooling", P((2, 3, 10)), kernel=(3,), stride=(2,), pad=(1,), pool_type="max")
/// case("pool_1d_sum_same", "Pooling", P((1, 2, 9)), kernel=(3,), stride=(2,), pad=(0, 0, 0), pool_type="sum", pooling_convention="same")
/// case("pool_3d_avg", "Pooling", P((1, 2, 4, 4, 4)), kernel=(2, 2, 2), stride=(2, 2, 2), pool_type="avg")
/// # UpSampling
/// case("upsample_nearest", "UpSampling", [("arg0", (1, 2, 3, 4), W(0))], scale=2, sample_type="nearest", num_args=1)
/// case("upsample_nearest_concat", "UpSampling", [("arg0", (1, 2, 2, 3), W(0)), ("arg1", (1, 1, 4, 6), W(1))], scale=2, sample_type="nearest", num_args=2)
/// case("upsample_nearest_sum", "UpSampling", [("arg0", (1, 2, 2, 3), W(0)), ("arg1", (1, 2, 4, 6), W(1))], scale=2, sample_type="nearest",
///      num_args=2, multi_input_mode="sum")
/// case("upsample_bilinear", "UpSampling", [("data", (1, 2, 3, 3), W(0)), ("weight", (2, 1, 4, 4), SMALL(1))], scale=2, sample_type="bilinear",
///      num_args=2, num_filter=2)
/// # softmax family
/// S = [("data", (2, 3, 5), (0.37, 0.0, 3.0, 0.0))]
/// case("softmax_last", "softmax", S)
/// case("softmax_axis1_temperature", "softmax", S, axis=1, temperature=2.5)
/// case("log_softmax_axis0", "log_softmax", S, axis=0)
/// case("softmin", "softmin", S, axis=-1)
/// case("softmax_length", "softmax", S + [("length", (2, 3), [5, 2, 1, 3, 4, 0])], axis=-1, use_length=True)
/// case("softmax_output_2d", "SoftmaxOutput", [("data", (3, 7), (0.37, 0.0, 3.0, 0.0))])
/// case("softmax_output_3d", "SoftmaxOutput", [("data", (2, 3, 4), (0.37, 0.0, 3.0, 0.0))])
/// case("softmax_output_4d", "SoftmaxOutput", [("data", (2, 3, 2, 4), (0.37, 0.0, 3.0, 0.0))])
/// case("softmax_output_multi", "SoftmaxOutput", [("data", (2, 3, 2, 4), (0.37, 0.0, 3.0, 0.0))], multi_output=True)
/// case("softmax_output_preserve", "SoftmaxOutput", [("data", (2, 3, 4), (0.37, 0.0, 3.0, 0.0))], preserve_shape=True)
/// case("softmax_activation_instance", "SoftmaxActivation", [("data", (2, 3, 4), (0.37, 0.0, 3.0, 0.0))])
/// case("softmax_activation_channel", "SoftmaxActivation", [("data", (2, 3, 2, 2), (0.37, 0.0, 3.0, 0.0))], mode="channel")
/// case("dropout", "Dropout", [("data", (2, 5), W(0))], p=0.3)
/// case("activation_softrelu", "Activation", [("data", (2, 5), (0.9, 0.0, 25.0, 0.0))], act_type="softrelu")
///
/// def fmt(values):
///     return "\"" + " ".join("%.9g" % v for v in values) + "\""
///
/// out = []
/// for name, op, inputs, attrs in CASES:
///     variables = [mx.sym.var(n) for n, _, _ in inputs]
///     kwargs = dict(attrs)
///     if op == "UpSampling" and attrs["sample_type"] == "nearest":
///         sym = getattr(mx.sym, op)(*variables, name="node", **kwargs)
///     elif op == "SoftmaxOutput":
///         sym = getattr(mx.sym, op)(variables[0], mx.sym.var("label"), name="node", **kwargs)
///     else:
///         sym = getattr(mx.sym, op)(*variables, name="node", **kwargs)
///     node = json.loads(sym.tojson())["nodes"][-1]
///     arrays = {}
///     for n, shape, spec in inputs:
///         if isinstance(spec, list):
///             arrays[n] = mx.nd.array(np.array(spec, dtype=np.int32).reshape(shape), dtype="int32")
///         else:
///             arrays[n] = mx.nd.array(gen(shape, *spec))
///     if op == "SoftmaxOutput":
///         shape = inputs[0][1]
///         label_shape = shape[:-1] if not attrs.get("multi_output") else (shape[0],) + shape[2:]
///         arrays["label"] = mx.nd.zeros(label_shape)
///     aux_names = sym.list_auxiliary_states()
///     args = {k: v for k, v in arrays.items() if k not in aux_names}
///     aux = {k: v for k, v in arrays.items() if k in aux_names}
///     exe = sym.bind(mx.cpu(), args=args, aux_states=aux, grad_req="null")
///     outputs = [o.asnumpy() for o in exe.forward(is_train=False)]
///     lines = ["    MXNetCase("]
///     lines.append("        name: %s, op: %s," % (json.dumps(name), json.dumps(node["op"])))
///     lines.append("        attributes: [%s]," % ", ".join("%s: %s" % (json.dumps(k), json.dumps(v)) for k, v in sorted(node.get("attrs", {}).items())) if node.get("attrs") else "        attributes: [:],")
///     graph = json.loads(sym.tojson())["nodes"]
///     lines.append("        variables: [%s]," % ", ".join(json.dumps(graph[i[0]]["name"]) for i in node["inputs"]))
///     lines.append("        inputs: [")
///     for n, shape, spec in inputs:
///         if isinstance(spec, list):
///             lines.append("            .init(name: %s, shape: %s, values: .integers(%s))," % (json.dumps(n), list(shape), spec))
///         else:
///             lines.append("            .init(name: %s, shape: %s, values: .sine(a: %r, b: %r, scale: %r, offset: %r))," % ((json.dumps(n), list(shape)) + tuple(spec)))
///     lines.append("        ],")
///     lines.append("        outputs: [")
///     for index, o in enumerate(outputs):
///         # rrelu's mask is left uninitialized by MXNet at inference: record its shape only.
///         undefined = op == "LeakyReLU" and attrs.get("act_type") == "rrelu" and index == 1
///         lines.append("            .init(shape: %s, values: %s)," % (list(o.shape), "nil" if undefined else fmt(o.ravel())))
///     lines.append("        ]),")
///     out.append("\n".join(lines))
///
/// print("// Generated by MXNet 1.9.1 — see MXNetCase.swift for the generator script. Do not edit by hand.")
/// print("")
/// print("extension MXNetCase {")
/// print("    /// One single-operator graph per case, with MXNet 1.9.1's outputs (`forward(is_train=False)`).")
/// print("    static let all: [MXNetCase] = [")
/// print("\n".join(out))
/// print("    ]")
/// print("}")
/// ```
struct MXNetCase: Sendable, CustomStringConvertible {
    /// How an input's elements are made.
    enum Values: Sendable {
        /// `offset + scale * sin(a * i + b)` for row-major index `i`, computed in Double, stored as Float.
        case sine(a: Double, b: Double, scale: Double, offset: Double)
        /// Integer values (stored as int32).
        case integers([Int])
    }

    struct Input: Sendable {
        var name: String
        var shape: [Int]
        var values: Values

        var tensor: Tensor {
            switch values {
            case .sine(let a, let b, let scale, let offset):
                let count = shape.reduce(1, *)
                return Tensor(shape: Shape(shape), floats: (0..<count).map { Float(offset + scale * Foundation.sin(a * Double($0) + b)) })
            case .integers(let values):
                let result = Tensor(zeros: Shape(shape), dtype: .int32)
                for (index, value) in values.enumerated() { result.setElement(at: index, Float(value)) }
                return result
            }
        }
    }

    struct Output: Sendable {
        var shape: [Int]
        /// Space-separated floats (a string keeps the literal cheap to compile); nil where MXNet leaves
        /// the output uninitialized at inference (rrelu's mask).
        var values: String?

        var floats: [Float]? { values.map { $0.split(separator: " ").map { Float(String($0))! } } }
    }

    var name: String
    var op: String
    var attributes: [String: String]
    /// The operator's input variables in MXNet's order (some, like `SoftmaxOutput`'s label, get no value).
    var variables: [String]
    var inputs: [Input]
    var outputs: [Output]

    var description: String { name }

    /// The symbol MXNet would write: one variable per input, then the operator node `node`.
    var symbol: SymbolFile {
        var nodes = variables.map { SymbolFile.Node(op: "null", name: $0) }
        nodes.append(SymbolFile.Node(op: op, name: "node", attributes: attributes,
                                     inputs: variables.indices.map { SymbolFile.Entry(node: $0) }))
        return SymbolFile(nodes: nodes, argNodes: Array(variables.indices), nodeRowPtr: nil,
                          heads: outputs.indices.map { SymbolFile.Entry(node: variables.count, index: $0) })
    }
}
