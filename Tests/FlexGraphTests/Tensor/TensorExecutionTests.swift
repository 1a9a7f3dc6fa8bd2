import FlexGraph
import FlexTensor
import Testing

/// Tensor operators run through `GraphExecutor`, against numbers printed by MXNet 1.9.1 (venv-mxnet,
/// `nd = mx.nd`, `a = nd.array(np.arange(24).reshape(2, 3, 4))`; each test shows its expression).
@Suite struct TensorExecutionTests {
    typealias H = TensorOperatorHarness

    /// A graph with variables `names` followed by one node per `(op, attributes, inputs)`; its
    /// outputs are the last node's outputs.
    static func graph(variables names: [String], _ steps: [(String, [String: String], [Int])]) throws -> Graph {
        var nodes = names.map { Node(name: $0, kind: .variable) }
        for (index, step) in steps.enumerated() {
            let op = try H.make(step.0, step.1)
            nodes.append(Node(name: "n\(index)", kind: .op(op), inputs: step.2.map { ValueRef(node: $0) }, attributes: step.1))
        }
        let last = nodes.count - 1
        return Graph(nodes: nodes, outputs: (0..<nodes[last].outputCount).map { ValueRef(node: last, output: $0) })
    }

    /// `nd.Cast(nd.transpose(nd.Cast(x, dtype='int8')), dtype='float32')` for
    /// `x = [[1.7, -2.5, 3.2], [-0.5, 8.9, 300.4]]` is `[[1, 0], [-2, 8], [3, 44]]`, the int8 stage
    /// being `[[1, -2, 3], [0, 8, 44]]`.
    @Test func castPropagatesItsDTypeThroughDataMovement() throws {
        let g = try Self.graph(variables: ["x"], [
            ("Cast", ["dtype": "int8"], [0]), ("transpose", [:], [1]), ("Cast", ["dtype": "float32"], [2]),
        ])
        let executor = GraphExecutor(graph: g, parameters: [:])
        let inference = try executor.infer(inputShapes: ["x": [2, 3]])
        #expect(inference.dtypes.map { $0[0] } == [.float32, .int8, .int8, .float32])
        let output = try executor.forward(["x": Tensor(shape: [2, 3], floats: [1.7, -2.5, 3.2, -0.5, 8.9, 300.4])])[0]
        #expect(output.shape == [3, 2])
        #expect(output.toFloatArray() == [1, 0, -2, 8, 3, 44])
    }

    /// MXNet computes `Cast(x, int32) * 1.5` in int32 (`DType(1.5)` is 1) and keeps the dtype.
    @Test func arithmeticComputesInTheIntegerDType() throws {
        let g = try Self.graph(variables: ["x"], [("Cast", ["dtype": "int32"], [0]), ("_mul_scalar", ["scalar": "1.5"], [1])])
        let executor = GraphExecutor(graph: g, parameters: [:])
        #expect(try executor.infer(inputShapes: ["x": [3]]).dtypes.map { $0[0] } == [.float32, .int32, .int32])
        let output = try executor.forward(["x": Tensor(shape: [3], floats: [7.9, -2.5, 300.7])])[0]
        #expect(output.dtype == .int32)
        #expect(output.integerElement(at: 0) == 7 && output.integerElement(at: 1) == -2 && output.integerElement(at: 2) == 300)
    }

    /// MXNet's legacy operators never mix dtypes: `broadcast_add(int32, float32)` fails type inference.
    @Test func binaryOperatorsRejectMixedDTypes() throws {
        let g = try Self.graph(variables: ["x"], [("Cast", ["dtype": "int32"], [0]), ("broadcast_add", [:], [1, 0])])
        #expect(throws: GraphError.self) { try GraphExecutor(graph: g, parameters: [:]).infer(inputShapes: ["x": [2]]) }
    }

    /// `nd.take(a, nd.array([[2, -1]], dtype='int64'), axis=1, mode='wrap')`.
    @Test func takeWithIntegerIndicesAlongAnInnerAxis() throws {
        let indices = H.tensor([Int64(2), -1], [1, 2], .int64)
        let output = try H.run("take", ["axis": "1", "mode": "wrap"], [H.iota(2, 3, 4), indices])[0]
        #expect(output.shape == [2, 1, 2, 4])
        #expect(output.toFloatArray() == [8, 9, 10, 11, 8, 9, 10, 11, 20, 21, 22, 23, 20, 21, 22, 23])
    }

    /// `raise` behaves as `clip` (FlexEG kernels cannot fail); in-range float indices truncate as in
    /// MXNet: `nd.take(nd.array(np.arange(12).reshape(4, 3)), nd.array([0.5, 2.9999]), mode='raise')[:, 0]`
    /// is `[0, 6]`.
    @Test func takeRaiseModeOnInRangeIndices() throws {
        let output = try H.run("take", ["mode": "raise"], [H.iota(4, 3), Tensor(shape: [2], floats: [0.5, 2.9999])])[0]
        #expect(output.toFloatArray() == [0, 1, 2, 6, 7, 8])
    }

    /// `nd.Embedding(nd.array([-1, 5, 2], dtype='int32'), w, input_dim=4, output_dim=3)[:, 0]` with
    /// `w = arange(12).reshape(4, 3)` is `[0, 9, 6]`.
    @Test func embeddingClampsIndices() throws {
        let output = try H.run("Embedding", ["input_dim": "4", "output_dim": "3"],
                               [H.tensor([Int32(-1), 5, 2], [3], .int32), H.iota(4, 3)])[0]
        #expect(output.shape == [3, 3])
        #expect(output.toFloatArray() == [0, 1, 2, 9, 10, 11, 6, 7, 8])
    }

    /// `nd.argmax(nd.array([[3, 1, 3], [0, 5, 5]]), axis=0, keepdims=True)` is `[[0, 1, 1]]`.
    @Test func argmaxKeepsDims() throws {
        let output = try H.run("argmax", ["axis": "0", "keepdims": "True"], [Tensor(shape: [2, 3], floats: [3, 1, 3, 0, 5, 5])])[0]
        #expect(output.shape == [1, 3] && output.toFloatArray() == [0, 1, 1])
    }

    /// `nd.slice(a, begin=(None, -1, None), end=(None, 0, None), step=(-1, -2, 3))` is
    /// `[[[20, 23]], [[8, 11]]]`.
    @Test func sliceWithNoneAndNegativeSteps() throws {
        let output = try H.run("slice", ["begin": "(None, -1, None)", "end": "(None, 0, None)", "step": "(-1, -2, 3)"], [H.iota(2, 3, 4)])[0]
        #expect(output.shape == [2, 1, 2] && output.toFloatArray() == [20, 23, 8, 11])
    }

    /// `nd.sum(a, axis=(0, 2), keepdims=True)` is `[[[60], [92], [124]]]`;
    /// `nd.mean(a, axis=1, exclude=True)` is `[7.5, 11.5, 15.5]`.
    @Test func reductionsWithKeepDimsAndExclude() throws {
        let sum = try H.run("sum", ["axis": "(0, 2)", "keepdims": "True"], [H.iota(2, 3, 4)])[0]
        #expect(sum.shape == [1, 3, 1] && sum.toFloatArray() == [60, 92, 124])
        let mean = try H.run("mean", ["axis": "1", "exclude": "True"], [H.iota(2, 3, 4)])[0]
        #expect(mean.shape == [3] && mean.toFloatArray() == [7.5, 11.5, 15.5])
    }

    /// `nd.dot(arange(6).reshape(2, 3), arange(8).reshape(2, 4), transpose_a=True)` and
    /// `nd.batch_dot(arange(12).reshape(2, 3, 2), arange(12).reshape(2, 2, 3), transpose_a=True, transpose_b=True)`.
    @Test func matrixProductsWithTransposes() throws {
        let dot = try H.run("dot", ["transpose_a": "True"], [H.iota(2, 3), H.iota(2, 4)])[0]
        #expect(dot.shape == [3, 4] && dot.toFloatArray() == [12, 15, 18, 21, 16, 21, 26, 31, 20, 27, 34, 41])
        let batch = try H.run("batch_dot", ["transpose_a": "True", "transpose_b": "True"], [H.iota(2, 3, 2), H.iota(2, 2, 3)])[0]
        #expect(batch.shape == [2, 2, 2] && batch.toFloatArray() == [10, 28, 13, 40, 172, 244, 193, 274])
    }

    /// `nd._internal._rminus_scalar(nd.array([1, 2]), scalar=5)` is `[4, 3]`;
    /// `_rpower_scalar(..., scalar=3)` is `[3, 9]`.
    @Test func reversedScalarOperands() throws {
        let x = Tensor(shape: [2], floats: [1, 2])
        #expect(try H.run("_rminus_scalar", ["scalar": "5"], [x])[0].toFloatArray() == [4, 3])
        #expect(try H.run("_RPowerScalar", ["scalar": "3", "is_int": "True"], [x])[0].toFloatArray() == [3, 9])
    }

    /// `nd.split(nd.array(np.arange(6).reshape(3, 2)), num_outputs=3, axis=0, squeeze_axis=True)`.
    @Test func splitIsAMultiOutputNode() throws {
        let g = try Self.graph(variables: ["x"], [("split", ["num_outputs": "3", "axis": "0", "squeeze_axis": "1"], [0])])
        #expect(g.outputNames == ["n0_output0", "n0_output1", "n0_output2"])
        let outputs = try GraphExecutor(graph: g, parameters: [:]).forward(["x": H.iota(3, 2)])
        #expect(outputs.map { $0.toFloatArray() } == [[0, 1], [2, 3], [4, 5]])
        #expect(outputs.allSatisfy { $0.shape == [2] })
    }

    @Test func fillLikeKeepsDType() throws {
        let ones = try H.run("ones_like", [:], [H.tensor([Int32(7), -3], [2], .int32)])[0]
        #expect(ones.dtype == .int32 && ones.toFloatArray() == [1, 1])
        let zeros = try H.run("zeros_like", [:], [Tensor(shape: [3], floats: [.nan, 1, 2])])[0]
        #expect(zeros.toFloatArray() == [0, 0, 0])
    }

    @Test func concatOfMixedDTypesIsRejected() throws {
        let op = try H.make("Concat", ["num_args": "2"])
        #expect(throws: OperatorError.self) { try op.inferTypes([.float32, .int32]) }
        #expect(try op.inferTypes([.int64, .int64]) == [.int64])
    }

    @Test func costsAreHonest() throws {
        let dot = try H.make("dot")
        #expect(dot.cost(inputs: [[8, 3], [3, 5]], outputs: [[8, 5]]).flops == 2 * 8 * 5 * 3)
        let transpose = try H.make("transpose")
        let moved = transpose.cost(inputs: [[4, 5]], outputs: [[5, 4]])
        #expect(moved.flops == 0 && moved.bytes == 2 * 20 * 4)
        let batch = try H.make("batch_dot")
        #expect(batch.cost(inputs: [[2, 3, 4], [2, 4, 5]], outputs: [[2, 3, 5]]).flops == 2 * 2 * 3 * 5 * 4)
        #expect(try H.make("sum").cost(inputs: [[10, 10]], outputs: [[1]]).flops == 100)
    }
}
