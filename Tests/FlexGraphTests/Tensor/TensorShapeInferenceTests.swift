import FlexGraph
import FlexTensor
import Testing

/// Output shapes and shape errors of the tensor operators, against MXNet 1.9.1. Every expected shape
/// and every rejected case was measured with (venv-mxnet):
/// ```python
/// _, out, _ = OP(*[mx.sym.var('x%d' % i) for i in range(n)], **ATTRS).infer_shape(x0=..., x1=...)
/// ```
@Suite struct TensorShapeInferenceTests {
    typealias H = TensorOperatorHarness

    struct Case: CustomTestStringConvertible, Sendable {
        let op: String
        let attributes: [String: String]
        let inputs: [[Int]]
        /// nil: MXNet rejects the inputs.
        let outputs: [[Int]]?
        init(_ op: String, _ attributes: [String: String] = [:], _ inputs: [[Int]], _ outputs: [[Int]]?) {
            self.op = op
            self.attributes = attributes
            self.inputs = inputs
            self.outputs = outputs
        }
        var testDescription: String { "\(op)\(attributes) \(inputs) → \(outputs.map { "\($0)" } ?? "error")" }
    }

    static let cases: [Case] = [
        Case("Flatten", [:], [[2, 3, 4, 5]], [[2, 60]]),
        Case("flatten", [:], [[7]], [[7, 1]]),
        Case("transpose", ["axes": "(0, 2, 1)"], [[2, 3, 4]], [[2, 4, 3]]),
        Case("transpose", [:], [[2, 3, 4]], [[4, 3, 2]]),
        Case("transpose", ["axes": "()"], [[2, 3, 4]], [[4, 3, 2]]),
        Case("transpose", ["axes": "(-1, 0, 1)"], [[2, 3, 4]], nil),
        Case("transpose", ["axes": "(0, 1)"], [[2, 3, 4]], nil),
        Case("expand_dims", ["axis": "-3"], [[2, 3]], [[1, 2, 3]]),
        Case("expand_dims", ["axis": "2"], [[2, 3]], [[2, 3, 1]]),
        Case("expand_dims", ["axis": "-1"], [[2, 3]], [[2, 3, 1]]),
        Case("expand_dims", ["axis": "3"], [[2, 3]], nil),
        Case("expand_dims", ["axis": "-4"], [[2, 3]], nil),
        Case("squeeze", [:], [[1, 2, 1, 3]], [[2, 3]]),
        Case("squeeze", [:], [[1, 1]], [[1]]),
        Case("squeeze", ["axis": "-2"], [[1, 2, 1, 3]], [[1, 2, 3]]),
        Case("squeeze", ["axis": "(0, 2)"], [[1, 2, 1, 3]], [[2, 3]]),
        Case("squeeze", ["axis": "()"], [[1, 2, 1, 3]], [[1, 2, 1, 3]]),
        Case("squeeze", ["axis": "(0, 1)"], [[1, 1]], [[1]]),
        Case("squeeze", ["axis": "(0, 0)"], [[1, 2, 1, 3]], nil),
        Case("squeeze", ["axis": "1"], [[1, 2, 1, 3]], nil),
        Case("Concat", ["num_args": "2", "dim": "1"], [[2, 3], [2, 4]], [[2, 7]]),
        Case("concat", ["num_args": "2", "dim": "-1"], [[2, 3], [2, 4]], [[2, 7]]),
        Case("Concat", ["num_args": "2"], [[2, 3], [2, 4]], [[2, 7]]),
        Case("Concat", ["num_args": "2", "dim": "0"], [[2, 3], [2, 4]], nil),
        Case("Concat", ["num_args": "2", "dim": "0"], [[2, 3], [2, 3, 1]], nil),
        Case("Concat", ["num_args": "2", "dim": "2"], [[2, 3], [2, 4]], nil),
        Case("SliceChannel", ["num_outputs": "3"], [[2, 6]], [[2, 2], [2, 2], [2, 2]]),
        Case("split", ["num_outputs": "3", "axis": "-1"], [[2, 6]], [[2, 2], [2, 2], [2, 2]]),
        Case("split", ["num_outputs": "3", "squeeze_axis": "True"], [[2, 3]], [[2], [2], [2]]),
        Case("SliceChannel", ["num_outputs": "4"], [[2, 6]], nil),
        Case("SliceChannel", ["num_outputs": "3", "squeeze_axis": "True"], [[2, 6]], nil),
        Case("slice", ["begin": "(None, -2)", "end": "(None, None)", "step": "(-1, -1)"], [[5, 6]], [[5, 5]]),
        Case("slice", ["begin": "(1,)", "end": "(3,)"], [[5, 6]], [[2, 6]]),
        Case("slice", ["begin": "(1,)", "end": "(3,)", "step": "(2,)"], [[5, 6]], [[1, 6]]),
        Case("slice", ["begin": "(3,)", "end": "(1,)"], [[5, 6]], [[0, 6]]),
        Case("slice", ["begin": "(10,)", "end": "(20,)"], [[5, 6]], [[0, 6]]),
        Case("crop", ["begin": "(-10,)", "end": "(20,)"], [[5, 6]], [[5, 6]]),
        Case("slice", ["begin": "()", "end": "()"], [[5, 6]], [[5, 6]]),
        Case("slice", ["begin": "(0, 0, 0)", "end": "(1, 1, 1)"], [[5, 6]], nil),
        Case("slice_axis", ["axis": "1", "begin": "-2", "end": "None"], [[5, 6]], [[5, 2]]),
        Case("slice_axis", ["axis": "-1", "begin": "1", "end": "-1"], [[5, 6]], [[5, 4]]),
        Case("slice_axis", ["axis": "1", "begin": "3", "end": "3"], [[5, 6]], nil),
        Case("slice_axis", ["axis": "1", "begin": "3", "end": "7"], [[5, 6]], nil),
        Case("slice_axis", ["axis": "1", "begin": "-7", "end": "3"], [[5, 6]], nil),
        Case("take", [:], [[5, 6], [2, 3]], [[2, 3, 6]]),
        Case("take", ["axis": "-1"], [[5, 6], [2, 3]], [[5, 2, 3]]),
        Case("take", ["axis": "2"], [[5, 6], [2, 3]], nil),
        Case("Embedding", ["input_dim": "10", "output_dim": "4"], [[2, 3], [10, 4]], [[2, 3, 4]]),
        Case("Embedding", ["input_dim": "10", "output_dim": "4"], [[2, 3], [10, 5]], nil),
        Case("dot", [:], [[2, 3], [3, 4]], [[2, 4]]),
        Case("dot", [:], [[2, 3, 4], [4, 5, 6]], [[2, 3, 5, 6]]),
        Case("dot", ["transpose_a": "True"], [[2, 3, 4], [2, 5]], [[3, 4, 5]]),
        Case("dot", ["transpose_b": "True"], [[2, 3, 4], [5, 4]], [[2, 3, 5]]),
        Case("dot", ["transpose_b": "True"], [[2, 3, 4], [5, 6, 4]], [[2, 3, 5, 6]]),
        Case("dot", [:], [[3], [3]], [[1]]),
        Case("dot", [:], [[3], [3, 4]], [[4]]),
        Case("dot", [:], [[2, 3], [3]], [[2]]),
        Case("dot", [:], [[2, 3], [4, 3]], nil),
        Case("dot", ["transpose_a": "True"], [[3], [3]], nil),
        Case("batch_dot", [:], [[2, 3, 4], [2, 4, 5]], [[2, 3, 5]]),
        Case("batch_dot", ["transpose_b": "True"], [[2, 3, 4], [2, 5, 4]], [[2, 3, 5]]),
        Case("batch_dot", ["transpose_a": "True"], [[2, 4, 3], [2, 4, 5]], [[2, 3, 5]]),
        Case("batch_dot", [:], [[7, 2, 3, 4], [7, 2, 4, 5]], [[7, 2, 3, 5]]),
        Case("batch_dot", [:], [[2, 3, 4], [3, 4, 5]], nil),
        Case("batch_dot", [:], [[2, 3], [2, 3]], nil),
        Case("broadcast_add", [:], [[2, 3], [3]], [[2, 3]]),
        Case("broadcast_plus", [:], [[2, 1, 3], [4, 1]], [[2, 4, 3]]),
        Case("broadcast_power", [:], [[1, 3, 1], [2, 1, 4]], [[2, 3, 4]]),
        Case("broadcast_add", [:], [[2, 3], [2, 4]], nil),
        Case("elemwise_add", [:], [[2, 3], [2, 3]], [[2, 3]]),
        Case("_Plus", [:], [[2, 3], [3]], nil),
        Case("add_n", ["num_args": "3"], [[2, 3], [2, 3], [2, 3]], [[2, 3]]),
        Case("ElementWiseSum", ["num_args": "2"], [[2, 3], [2, 4]], nil),
        Case("sum", [:], [[2, 3, 4]], [[1]]),
        Case("sum", ["keepdims": "True"], [[2, 3, 4]], [[1, 1, 1]]),
        Case("sum_axis", ["axis": "1"], [[2, 3, 4]], [[2, 4]]),
        Case("mean", ["axis": "-1", "keepdims": "True"], [[2, 3, 4]], [[2, 3, 1]]),
        Case("max", ["axis": "(0, 2)"], [[2, 3, 4]], [[3]]),
        Case("min", ["axis": "(0, 2)", "exclude": "True"], [[2, 3, 4]], [[2, 4]]),
        Case("max_axis", ["axis": "(2, 0)", "exclude": "True", "keepdims": "True"], [[2, 3, 4]], [[2, 1, 4]]),
        Case("sum", ["axis": "()", "exclude": "True"], [[2, 3, 4]], [[1]]),
        Case("sum", ["axis": "(0, 1, 2)"], [[2, 3, 4]], [[1]]),
        Case("sum", ["axis": "(0, 0)"], [[2, 3, 4]], nil),
        Case("min_axis", ["axis": "3"], [[2, 3, 4]], nil),
        Case("max", [:], [[2, 0]], nil),
        Case("argmax", [:], [[2, 3, 4]], [[1]]),
        Case("argmax", ["keepdims": "True"], [[2, 3, 4]], [[1, 1, 1]]),
        Case("argmax", ["axis": "1"], [[2, 3, 4]], [[2, 4]]),
        Case("argmax", ["axis": "-1", "keepdims": "True"], [[2, 3, 4]], [[2, 3, 1]]),
        Case("argmax", ["axis": "3"], [[2, 3, 4]], nil),
        Case("clip", ["a_min": "0", "a_max": "6"], [[2, 3]], [[2, 3]]),
        Case("Cast", ["dtype": "int32"], [[2, 3]], [[2, 3]]),
        Case("zeros_like", [:], [[2, 3]], [[2, 3]]),
        Case("_rdiv_scalar", ["scalar": "1"], [[4]], [[4]]),
    ]

    @Test(arguments: cases)
    func inference(_ c: Case) throws {
        let op = try H.make(c.op, c.attributes)
        let inputs = c.inputs.map(Shape.init)
        if let outputs = c.outputs {
            #expect(try op.inferShapes(inputs) == outputs.map(Shape.init))
        } else {
            #expect(throws: OperatorError.self) { try op.inferShapes(inputs) }
        }
    }

    @Test func errorsStateExpectedAndActual() throws {
        func message(_ op: String, _ attributes: [String: String], _ inputs: [Shape]) throws -> String {
            do {
                _ = try H.shapes(op, attributes, inputs)
                return ""
            } catch let error as OperatorError {
                return error.description
            }
        }
        #expect(try message("elemwise_mul", [:], [[2, 3], [3, 2]]).contains("(2,3)"))
        #expect(try message("elemwise_mul", [:], [[2, 3], [3, 2]]).contains("(3,2)"))
        #expect(try message("broadcast_mul", [:], [[2, 3], [2, 4]]).contains("sizes 3 and 4"))
        #expect(try message("Concat", ["num_args": "2"], [[2, 3], [3, 4]]).contains("input 1 has shape (3,4)"))
        #expect(try message("split", ["num_outputs": "4"], [[2, 6]]).contains("num_outputs=4"))
        #expect(try message("expand_dims", ["axis": "3"], [[2, 3]]).contains("-3...2"))
        #expect(try message("Embedding", ["input_dim": "10", "output_dim": "4"], [[2], [10, 5]]).contains("(10,4)"))
        #expect(try message("Concat", ["num_args": "3"], [[2, 3], [2, 3]]).contains("takes 3 input(s), got 2"))
    }
}
