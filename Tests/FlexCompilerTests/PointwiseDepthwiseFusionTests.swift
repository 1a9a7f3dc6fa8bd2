import FlexArtifact
import FlexCompiler
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTensor
import FlexTestSupport
import MXNetFormat
import Testing

/// A MobileNetV2 block — 1x1 expansion (clip 0..6), 3x3 depthwise (clip 0..6), 1x1 projection plus the
/// block's input — whose expansion reaches `Fast.PointwiseDepthwise.fusionThreshold` runs the first two
/// convolutions fused; a smaller one runs them separately.
@Suite struct PointwiseDepthwiseFusionTests {
    /// With `stem`, a 3x3 convolution first computes the expansion's input in the arena, where the memory
    /// plan may give its bytes to the depthwise output (it is dead once the expansion ran).
    static func block(stride: Int, expansionIsOutput: Bool = false, stem: Bool = false, height: Int = 148,
                      width: Int = 150) throws -> (Graph, [String: Tensor], Tensor) {
        var generator = SplitMix64(seed: 31)
        var builder = GraphBuilder()
        let data = builder.variable("data")
        let source = stem ? try builder.node("stem", "Convolution", ["kernel": "(3, 3)", "pad": "(1, 1)", "num_filter": "8"], data,
                                             builder.variable("stem_weight"), builder.variable("stem_bias")) : data
        let expand = try builder.node("expand", "Convolution", ["kernel": "(1, 1)", "num_filter": "48"], source,
                                      builder.variable("expand_weight"), builder.variable("expand_bias"))
        let relu6 = try builder.node("expand_relu6", "clip", ["a_min": "0", "a_max": "6"], expand)
        let depthwise = try builder.node("dw", "Convolution", ["kernel": "(3, 3)", "pad": "(1, 1)", "stride": "(\(stride), \(stride))",
                                                              "num_filter": "48", "num_group": "48"],
                                         relu6, builder.variable("dw_weight"), builder.variable("dw_bias"))
        let dwRelu6 = try builder.node("dw_relu6", "clip", ["a_min": "0", "a_max": "6"], depthwise)
        var output = try builder.node("project", "Convolution", ["kernel": "(1, 1)", "num_filter": "8"], dwRelu6,
                                      builder.variable("project_weight"), builder.variable("project_bias"))
        if stride == 1 { output = try builder.node("sum", "elemwise_add", [:], output, data) }
        let graph = expansionIsOutput ? builder.graph(output, relu6) : builder.graph(output)
        var parameters = [
            "stem_weight": Tensor.random([8, 8, 3, 3], in: -0.3...0.3, using: &generator), "stem_bias": Tensor.random([8], using: &generator),
            "expand_weight": Tensor.random([48, 8, 1, 1], using: &generator), "expand_bias": Tensor.random([48], using: &generator),
            "dw_weight": Tensor.random([48, 1, 3, 3], using: &generator), "dw_bias": Tensor.random([48], using: &generator),
            "project_weight": Tensor.random([8, 48, 1, 1], using: &generator), "project_bias": Tensor.random([8], using: &generator),
        ]
        if !stem { parameters["stem_weight"] = nil; parameters["stem_bias"] = nil }
        // 48 x 148 x 150 floats by default: 4.1 MiB of expanded activations, past `fusionThreshold`.
        return (graph, parameters, Tensor.random([1, 8, height, width], in: -2...2, using: &generator))
    }

    @Test(arguments: [1, 2])
    func expansionAndDepthwiseRunFused(stride: Int) throws {
        let (graph, parameters, input) = try Self.block(stride: stride)
        let model = try compileModel(graph: graph, parameters: parameters, inputShapes: ["data": input.shape], cores: 1)
        let kernels = model.profile([input], iterations: 1).map(\.kernel)
        #expect(kernels.contains("gemm+depthwise") && kernels.contains("fused"), "\(kernels)")
        let expected = try referenceOutputs(graph, parameters: parameters, inputs: ["data": input])
        #expect(relativeL2(try model.run([input])[0], expected[0]) <= 1e-5)
    }

    /// The fused step reads the expansion's input while writing its output: whatever the memory plan shares,
    /// the results must not change (they did when the plan gave both the same bytes).
    @Test(arguments: [1, 2])
    func anExpansionInputInTheArenaIsNotOverwritten(stride: Int) throws {
        let (graph, parameters, input) = try Self.block(stride: stride, stem: true)
        let model = try compileModel(graph: graph, parameters: parameters, inputShapes: ["data": input.shape], cores: 1)
        let expected = try referenceOutputs(graph, parameters: parameters, inputs: ["data": input])
        #expect(relativeL2(try model.run([input])[0], expected[0]) <= 1e-5)
    }

    /// 48 x 40 x 41 floats: 308 KiB, below `fusionThreshold`'s 4 MiB (like MobileNetV2's 14x14 expansions).
    @Test func aSmallExpansionIsNotFused() throws {
        let (graph, parameters, input) = try Self.block(stride: 1, height: 40, width: 41)
        let model = try compileModel(graph: graph, parameters: parameters, inputShapes: ["data": input.shape], cores: 1)
        let kernels = model.profile([input], iterations: 1).map(\.kernel)
        #expect(!kernels.contains("fused") && kernels.contains("depthwise"), "\(kernels)")
        let expected = try referenceOutputs(graph, parameters: parameters, inputs: ["data": input])
        #expect(relativeL2(try model.run([input])[0], expected[0]) <= 1e-5)
    }

    @Test func anExpansionReadElsewhereIsNotFused() throws {
        let (graph, parameters, input) = try Self.block(stride: 2, expansionIsOutput: true)
        let model = try compileModel(graph: graph, parameters: parameters, inputShapes: ["data": input.shape], cores: 1)
        let kernels = model.profile([input], iterations: 1).map(\.kernel)
        #expect(!kernels.contains("fused"), "\(kernels)")
        let expected = try referenceOutputs(graph, parameters: parameters, inputs: ["data": input])
        let actual = try model.run([input])
        for (a, e) in zip(actual, expected) { #expect(relativeL2(a, e) <= 1e-5) }
    }
}
