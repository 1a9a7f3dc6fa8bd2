import FlexGraph
import FlexTensor
import Testing

/// Every attribute MXNet 1.9.1 declares for these operators parses (names and defaults from
/// `MXSymbolGetAtomicSymbolInfo` in the venv), every alias that can appear in symbol JSON is
/// registered, and an attribute MXNet does not know is rejected where MXNet rejects it (and ignored
/// where MXNet ignores it, `AttributeLeniencyTests`).
@Suite struct TensorAttributeTests {
    typealias H = TensorOperatorHarness

    /// One node per operator with all of its MXNet attributes set.
    static let fullySpecified: [(String, [String: String])] = [
        ("Flatten", [:]),
        ("Reshape", ["shape": "(0, -1)", "reverse": "False", "target_shape": "()", "keep_highest": "False"]),
        ("transpose", ["axes": "(1, 0)"]),
        ("expand_dims", ["axis": "0"]),
        ("squeeze", ["axis": "None"]),
        ("Concat", ["num_args": "2", "dim": "1"]),
        ("SliceChannel", ["num_outputs": "2", "axis": "1", "squeeze_axis": "False"]),
        ("slice", ["begin": "(0,)", "end": "(1,)", "step": "()"]),
        ("slice_axis", ["axis": "0", "begin": "0", "end": "None"]),
        ("take", ["axis": "0", "mode": "clip"]),
        ("Embedding", ["input_dim": "4", "output_dim": "2", "dtype": "float32", "sparse_grad": "False"]),
        ("Cast", ["dtype": "float16"]),
        ("dot", ["transpose_a": "False", "transpose_b": "True", "forward_stype": "None"]),
        ("batch_dot", ["transpose_a": "False", "transpose_b": "False", "forward_stype": "default"]),
        ("elemwise_add", [:]),
        ("add_n", ["num_args": "3"]),
        ("broadcast_maximum", [:]),
        ("_plus_scalar", ["scalar": "1.5", "is_int": "False"]),
        ("_copy", [:]),
        ("BlockGrad", [:]),
        ("zeros_like", [:]),
        ("sqrt", [:]),
        ("clip", ["a_min": "-1", "a_max": "1"]),
        ("sum", ["axis": "(0, 1)", "keepdims": "False", "exclude": "False"]),
        ("argmax", ["axis": "None", "keepdims": "False"]),
    ]

    @Test func everyMXNetAttributeParsesAndUnknownOnesAreRejectedWhereMXNetRejectsThem() throws {
        for (op, attributes) in Self.fullySpecified {
            _ = try H.make(op, attributes)
            var extra = attributes
            extra["no_such_attribute"] = "1"
            if OperatorRegistry.ignoresUnknownAttributes(op) {
                _ = try H.make(op, extra)
            } else {
                #expect(throws: GraphError.unknownAttribute(node: "node", op: op, attribute: "no_such_attribute")) {
                    try H.make(op, extra)
                }
            }
        }
    }

    @Test func hiddenAttributesAreAccepted() throws {
        _ = try H.make("Flatten", ["__shape__": "(2, 3)", "__lr_mult__": "0.1"])
    }

    /// The aliases of each operator in MXNet 1.9.1 that legacy symbol files use (the `_sparse_`,
    /// `_npi_` and `_npx_` variants belong to other front ends and are not registered).
    @Test func aliasesAreRegistered() {
        let names = Set(OperatorRegistry.supportedNames)
        let expected = [
            "Flatten", "flatten", "Reshape", "reshape", "transpose", "expand_dims", "squeeze", "Concat", "concat",
            "SliceChannel", "split", "slice", "crop", "slice_axis", "take", "Embedding", "Cast", "cast", "dot", "batch_dot",
            "elemwise_add", "_plus", "_Plus", "_add", "elemwise_sub", "_minus", "_Minus", "_sub",
            "elemwise_mul", "_mul", "_Mul", "elemwise_div", "_div", "_Div", "add_n", "ElementWiseSum",
            "broadcast_add", "broadcast_plus", "broadcast_sub", "broadcast_minus", "broadcast_mul", "broadcast_div",
            "broadcast_maximum", "broadcast_minimum", "broadcast_power",
            "_plus_scalar", "_PlusScalar", "_minus_scalar", "_MinusScalar", "_rminus_scalar", "_RMinusScalar",
            "_mul_scalar", "_MulScalar", "_div_scalar", "_DivScalar", "_rdiv_scalar", "_RDivScalar",
            "_power_scalar", "_PowerScalar", "_rpower_scalar", "_RPowerScalar",
            "_maximum_scalar", "_MaximumScalar", "_minimum_scalar", "_MinimumScalar",
            "_copy", "identity", "BlockGrad", "stop_gradient", "zeros_like", "ones_like",
            "exp", "log", "sqrt", "rsqrt", "square", "abs", "negative", "sigmoid", "tanh", "relu", "clip",
            "sum", "sum_axis", "mean", "max", "max_axis", "min", "min_axis", "argmax",
        ]
        #expect(Set(expected).subtracting(names).isEmpty, "missing: \(Set(expected).subtracting(names).sorted())")
    }

    @Test func invalidValuesAreRejectedWithTheAttributeName() {
        let cases: [(String, [String: String], String)] = [
            ("take", ["mode": "nearest"], "mode"),
            ("Cast", ["dtype": "complex64"], "dtype"),
            ("Concat", ["num_args": "0"], "num_args"),
            ("slice", ["begin": "(0, 0)", "end": "(1,)"], "end"),
            ("slice", ["begin": "(0,)", "end": "(1,)", "step": "(0,)"], "step"),
            ("clip", ["a_min": "0"], "a_max"),
            ("expand_dims", [:], "axis"),
        ]
        for (op, attributes, name) in cases {
            do {
                _ = try H.make(op, attributes)
                Issue.record("\(op) \(attributes) was accepted")
            } catch {
                #expect("\(error)".contains(name), "\(op): \(error)")
            }
        }
    }

    /// MXNet's `bool` and `bfloat16` have no FlexEG storage type.
    @Test func castToUnstorableTypesIsUnsupported() {
        for name in ["bool", "bfloat16"] {
            #expect(throws: GraphError.self) { try H.make("Cast", ["dtype": name]) }
        }
    }
}
