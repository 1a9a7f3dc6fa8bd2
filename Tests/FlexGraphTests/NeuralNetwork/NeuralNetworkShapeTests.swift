import FlexGraph
import FlexTensor
import MXNetFormat
import Testing

/// Shape inference rules, their error messages, partial shapes for missing inputs, and costs.
@Suite struct NeuralNetworkShapeTests {
    static func op(_ name: String, _ attributes: [String: String]) throws -> any Operator {
        try OperatorRegistry.makeOperator(opName: name, nodeName: "node", attributes: attributes)
    }

    /// The message shape inference throws, or nil when it succeeds.
    static func message(_ op: any Operator, _ inputs: [Shape]) -> String? {
        do {
            _ = try op.inferShapes(inputs)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func convolutionShapesAndErrors() throws {
        let conv = try Self.op("Convolution", ["kernel": "(3, 3)", "num_filter": "64", "no_bias": "True"])
        #expect(try conv.inferShapes([[1, 3, 224, 224], [64, 3, 3, 3]]) == [[1, 64, 222, 222]])
        #expect(Self.message(conv, [[1, 3, 224, 224], [64, 4, 3, 3]]) == "Convolution expects weight (64,3,3,3) for data (1,3,224,224), got (64,4,3,3)")
        #expect(Self.message(conv, [[3, 224, 224], [64, 3, 3, 3]]) == "Convolution with kernel (3,3) expects 4-D data (NCHW), got (3,224,224)")
        #expect(Self.message(conv, [[1, 3, 2, 9], [64, 3, 3, 3]])?.contains("spans 3 on axis 2") == true)
        // floor((x + 2p - d(k-1) - 1) / s) + 1 with stride, dilation, groups.
        let strided = try Self.op("Convolution", ["kernel": "(3, 2)", "num_filter": "6", "num_group": "2", "stride": "(2, 3)",
                                                  "dilate": "(2, 1)", "pad": "(1, 0)"])
        #expect(try strided.inferShapes([[2, 4, 9, 8], [6, 2, 3, 2], [6]]) == [[2, 6, 4, 3]])
        #expect(Self.message(strided, [[2, 4, 9, 8], [6, 2, 3, 2], [3]]) == "Convolution expects bias (6,), got (3,)")
        #expect(Self.message(strided, [[2, 5, 9, 8], [6, 2, 3, 2], [6]])
                == "Convolution with num_group=2 expects data channels divisible by 2, got data (2,5,9,8)")
        let oneD = try Self.op("Convolution", ["kernel": "(3,)", "num_filter": "5", "stride": "(2,)", "pad": "(1,)", "dilate": "(2,)"])
        #expect(try oneD.inferShapes([[2, 3, 11], [5, 3, 3], [5]]) == [[2, 5, 5]])
    }

    @Test func deconvolutionShapes() throws {
        let deconv = try Self.op("Deconvolution", ["kernel": "(3, 3)", "num_filter": "3", "stride": "(2, 2)", "pad": "(1, 1)", "adj": "(1, 1)"])
        // s(x - 1) + d(k - 1) + 1 - 2p + adj = 2*3 + 3 - 2 + 1.
        #expect(try deconv.inferShapes([[1, 2, 4, 5], [2, 3, 3, 3]]) == [[1, 3, 8, 10]])
        #expect(Self.message(deconv, [[1, 2, 4, 5], [3, 2, 3, 3]]) == "Deconvolution expects weight (2,3,3,3) for data (1,2,4,5), got (3,2,3,3)")
        // target_shape recomputes pad and adj: total = 2*3 + 4 - 9 = 1 → pad 1, adj 1.
        let target = try Self.op("Deconvolution", ["kernel": "(4, 4)", "num_filter": "2", "stride": "(2, 2)", "target_shape": "(9, 10)"])
        #expect(try target.inferShapes([[1, 2, 4, 5], [2, 2, 4, 4]]) == [[1, 2, 9, 10]])
        let deconvTarget = try #require(target as? DeconvolutionOperator)
        #expect(deconvTarget.effectivePadding(spatial: [4, 5]).pad == [1, 1] && deconvTarget.effectivePadding(spatial: [4, 5]).adj == [1, 0])
        #expect(Self.message(target, [[1, 2, 2, 5], [2, 2, 4, 4]])?.contains("target_shape (9,10) is too big") == true)
        // total = 3 + 3 - 5 = 1 is odd, so adj would be 1, not below stride 1.
        let oddAdj = try Self.op("Deconvolution", ["kernel": "(3, 3)", "num_filter": "2", "target_shape": "(5, 5)"])
        #expect(Self.message(oddAdj, [[1, 2, 4, 4], [2, 2, 3, 3]])?.contains("must be smaller than stride") == true)
    }

    @Test func fullyConnectedShapes() throws {
        let flat = try Self.op("FullyConnected", ["num_hidden": "7"])
        #expect(try flat.inferShapes([[3, 2, 5], [7, 10], [7]]) == [[3, 7]])
        #expect(try flat.inferShapes([[3, 2, 5], [7, 10], [7, 1]]) == [[3, 7]])
        #expect(Self.message(flat, [[3, 2, 5], [7, 5], [7]]) == "FullyConnected expects weight (7,10) for data (3,2,5), got (7,5)")
        let last = try Self.op("FullyConnected", ["num_hidden": "4", "flatten": "False", "no_bias": "True"])
        #expect(try last.inferShapes([[2, 3, 5], [4, 5]]) == [[2, 3, 4]])
    }

    @Test func normalizationShapes() throws {
        let bn = try Self.op("BatchNorm", ["axis": "-1", "output_mean_var": "True"])
        #expect(try bn.inferShapes([[2, 3, 4], [4], [4], [4], [4]]) == [[2, 3, 4], [4], [4]])
        #expect(Self.message(bn, [[2, 3, 4], [4], [4], [3], [4]]) == "BatchNorm expects moving_mean (4,) for data (2,3,4) (channel axis 2), got (3,)")
        #expect(Self.message(try Self.op("BatchNorm", ["axis": "3"]), [[2, 3, 4], [4], [4], [4], [4]]) == "BatchNorm axis=3 is out of range for data (2,3,4)")
        let ln = try Self.op("LayerNorm", ["axis": "1", "output_mean_var": "True"])
        #expect(try ln.inferShapes([[2, 5, 3], [5], [5]]) == [[2, 5, 3], [2, 1, 3], [2, 1, 3]])
        #expect(Self.message(try Self.op("InstanceNorm", [:]), [[2, 3], [3], [3]]) == "InstanceNorm expects data of rank at least 3 (N, C, spatial...), got (2,3)")
        #expect(Self.message(try Self.op("LRN", ["nsize": "3"]), [[2, 3, 4]]) == "LRN expects data of rank 4, got shape (2,3,4)")
    }

    @Test func poolingConventions() throws {
        let data: Shape = [1, 2, 8, 7]
        let attributes = ["kernel": "(3, 3)", "stride": "(2, 2)", "pad": "(1, 1)"]
        // valid: 1 + floor((x + 2p - k) / s); full: 1 + ceil(...).
        #expect(try Self.op("Pooling", attributes).inferShapes([data]) == [[1, 2, 4, 4]])
        #expect(try Self.op("Pooling", attributes.merging(["pooling_convention": "full"]) { $1 }).inferShapes([data]) == [[1, 2, 5, 4]])
        // same (1-D only): ceil(x / s).
        let same = try Self.op("Pooling", ["kernel": "(3,)", "stride": "(2,)", "pooling_convention": "same", "pool_type": "sum"])
        #expect(try same.inferShapes([[1, 2, 9]]) == [[1, 2, 5]])
        #expect(Self.message(try Self.op("Pooling", ["kernel": "(3, 3)", "pooling_convention": "same"]), [data])
                == "Pooling with pooling_convention=same supports only 1-D pooling of 3-D data (N, C, W), got (1,2,8,7)")
        #expect(try Self.op("Pooling", ["global_pool": "True", "kernel": "(3, 3)"]).inferShapes([[2, 3, 5, 6]]) == [[2, 3, 1, 1]])
        #expect(try Self.op("Pooling", ["global_pool": "True", "pool_type": "avg"]).inferShapes([[2, 3, 5, 6, 7]]) == [[2, 3, 1, 1, 1]])
        #expect(try Self.op("Pooling", ["kernel": "(2, 2, 2)", "stride": "(2, 2, 2)"]).inferShapes([[1, 2, 4, 5, 4]]) == [[1, 2, 2, 2, 2]])
        #expect(Self.message(try Self.op("Pooling", ["kernel": "(9, 3)"]), [data]) == "Pooling kernel (9,3) exceeds data (1,2,8,7) padded by 0 on axis 2 (8 wide)")
        #expect(Self.message(try Self.op("Pooling", ["kernel": "(2, 2)"]), [[1, 2, 8]])
                == "Pooling with kernel (2,2) expects 4-D data (NCHW), got (1,2,8)")
    }

    @Test func activationSoftmaxAndUpsamplingShapes() throws {
        let prelu = try Self.op("LeakyReLU", ["act_type": "prelu"])
        #expect(try prelu.inferShapes([[2, 3, 4], [3]]) == [[2, 3, 4]])
        #expect(try prelu.inferShapes([[2, 3, 4], [1]]) == [[2, 3, 4]])
        #expect(Self.message(prelu, [[2, 3, 4], [4]])?.contains("expects gamma (3,)") == true)
        #expect(try Self.op("LeakyReLU", ["act_type": "rrelu"]).inferShapes([[2, 3]]) == [[2, 3], [2, 3]])

        let masked = try Self.op("softmax", ["use_length": "True", "axis": "1"])
        #expect(masked.inputNames(inputCount: 2) == ["data", "length"])
        #expect(try masked.inferShapes([[2, 5, 3], [2, 3]]) == [[2, 5, 3]])
        #expect(Self.message(masked, [[2, 5, 3], [2, 5]]) == "softmax expects length (2,3) for data (2,5,3) (axis 1), got (2,5)")
        #expect(try masked.inferTypes([.float32, .int32]) == [.float32])
        #expect(Self.message(try Self.op("softmax", ["axis": "2"]), [[2, 5]]) == "softmax axis=2 is out of range for data (2,5)")

        let concat = try Self.op("UpSampling", ["scale": "2", "sample_type": "nearest", "num_args": "2"])
        #expect(try concat.inferShapes([[1, 2, 2, 3], [1, 1, 4, 6]]) == [[1, 3, 4, 6]])
        #expect(Self.message(concat, [[1, 2, 2, 3], [1, 1, 3, 6]])?.contains("cannot upsample input (1,1,3,6)") == true)
        let bilinear = try Self.op("UpSampling", ["scale": "3", "sample_type": "bilinear", "num_args": "2", "num_filter": "2"])
        #expect(try bilinear.inferShapes([[1, 2, 4, 4], [2, 1, 5, 5]]) == [[1, 2, 12, 12]])
        #expect(Self.message(bilinear, [[1, 2, 4, 4], [2, 1, 4, 4]]) == "UpSampling (bilinear) expects weight (2,1,5,5) for data (1,2,4,4), got (2,1,4,4)")
    }

    /// A model whose input is missing: the error gives the shape the weights imply.
    @Test func missingInputNamesTheShapeTheWeightsImply() throws {
        let symbol = SymbolFile(
            nodes: [SymbolFile.Node(op: "null", name: "data"), SymbolFile.Node(op: "null", name: "conv_weight"),
                    SymbolFile.Node(op: "Convolution", name: "conv", attributes: ["kernel": "(7, 7)", "num_filter": "64", "no_bias": "True"],
                                    inputs: [SymbolFile.Entry(node: 0), SymbolFile.Entry(node: 1)])],
            argNodes: [0, 1], nodeRowPtr: nil, heads: [SymbolFile.Entry(node: 2)])
        let executor = GraphExecutor(graph: try Graph(symbol: symbol), parameters: ["conv_weight": Tensor(zeros: [64, 3, 7, 7])])
        #expect(throws: GraphError.missingInput(name: "data", expected: [0, 3, 0, 0])) { try executor.forward([:]) }

        let fc = try Self.op("FullyConnected", ["num_hidden": "10"])
        #expect(fc.expectedInputShapes([nil, [10, 784], [10]]) == [[0, 784], [10, 784], [10]])
        let bn = try Self.op("BatchNorm", [:])
        #expect(bn.expectedInputShapes([[1, 16, 8, 8], [16], [16], nil, nil]) == [[1, 16, 8, 8], [16], [16], [16], [16]])
        #expect(bn.expectedInputShapes([nil, [16], nil, nil, nil]) == [nil, [16], [16], [16], [16]])
        let lastAxis = try Self.op("FullyConnected", ["num_hidden": "10", "flatten": "False"])
        #expect(lastAxis.expectedInputShapes([nil, [10, 784]]) == [nil, [10, 784]])
        let deconv = try Self.op("Deconvolution", ["kernel": "(4, 4)", "num_filter": "8", "num_group": "2"])
        #expect(deconv.expectedInputShapes([[1, 6, 5, 5], nil]) == [[1, 6, 5, 5], [6, 4, 4, 4]])
    }

    @Test func maxPoolingCountsMXNetsHiddenWorkspaceOutput() throws {
        let symbol = SymbolFile(
            nodes: [SymbolFile.Node(op: "null", name: "data"),
                    SymbolFile.Node(op: "Pooling", name: "pool", attributes: ["kernel": "(2, 2)"], inputs: [SymbolFile.Entry(node: 0)]),
                    SymbolFile.Node(op: "BatchNorm", name: "bn", inputs: [SymbolFile.Entry(node: 1)] + (0..<4).map { _ in SymbolFile.Entry(node: 0) })],
            argNodes: [0], nodeRowPtr: nil, heads: [SymbolFile.Entry(node: 2)])
        // As MXNet 1.9.1 writes it: [0, 1, 3, 6].
        #expect(try Graph(symbol: symbol).symbolFile().nodeRowPtr == [0, 1, 3, 6])
    }

    @Test func costsCountRealFlops() throws {
        let conv = try Self.op("Convolution", ["kernel": "(3, 3)", "num_filter": "4", "pad": "(1, 1)", "num_group": "2"])
        // 2 * N * K * C/g * kh * kw * OH * OW + bias per output.
        let convCost = conv.cost(inputs: [[2, 6, 8, 8], [4, 3, 3, 3], [4]], outputs: [[2, 4, 8, 8]])
        #expect(convCost.flops == Double(2 * 2 * 4 * 3 * 9 * 64 + 2 * 4 * 64))
        #expect(convCost.bytes == Double((2 * 6 * 64 + 4 * 27 + 4 + 2 * 4 * 64) * 4))
        let fc = try Self.op("FullyConnected", ["num_hidden": "10", "no_bias": "True"])
        #expect(fc.cost(inputs: [[8, 784], [10, 784]], outputs: [[8, 10]]).flops == Double(2 * 8 * 784 * 10))
        let deconv = try Self.op("Deconvolution", ["kernel": "(4, 4)", "num_filter": "3", "stride": "(2, 2)", "pad": "(1, 1)"])
        #expect(deconv.cost(inputs: [[1, 2, 5, 5], [2, 3, 4, 4]], outputs: [[1, 3, 10, 10]]).flops == Double(2 * 1 * 2 * 25 * 3 * 16))
        let pool = try Self.op("Pooling", ["kernel": "(3, 3)", "stride": "(2, 2)"])
        #expect(pool.cost(inputs: [[1, 2, 7, 7]], outputs: [[1, 2, 3, 3]]).flops == Double(9 * 18))
    }
}
