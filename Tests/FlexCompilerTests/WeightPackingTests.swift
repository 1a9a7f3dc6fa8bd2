import FlexArtifact
@testable import FlexCompiler
import FlexEG
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTensor
import FlexTestSupport
import MXNetFormat
import Testing

@Suite struct WeightPackingTests {
    /// `relu(FullyConnected(data) + FullyConnected'(data))`.
    static func denseModel() throws -> (Graph, [String: Tensor], Tensor) {
        var generator = SplitMix64(seed: 11)
        var builder = GraphBuilder()
        let data = builder.variable("data")
        let weight = builder.variable("fc_weight")
        let fc = try builder.node("fc", "FullyConnected", ["num_hidden": "7"], data, weight, builder.variable("fc_bias"))
        let residual = try builder.node("res", "FullyConnected", ["num_hidden": "7", "no_bias": "True"], data, builder.variable("res_weight"))
        let sum = builder.node("sum", op: TestAddOperator(), residual, fc)
        let outputs = [try builder.activation("relu", "relu", sum)]
        let parameters = ["fc_weight": Tensor.random([7, 10], using: &generator), "fc_bias": Tensor.random([7], using: &generator),
                          "res_weight": Tensor.random([7, 10], using: &generator)]
        return (Graph(nodes: builder.nodes, outputs: outputs), parameters, Tensor.random([3, 10], using: &generator))
    }

    @Test func denseLayerWeightsArePackedAndStillComputeTheSameResult() throws {
        let (graph, parameters, input) = try Self.denseModel()
        let model = try compileModel(graph: graph, parameters: parameters, inputShapes: ["data": input.shape], cores: 1)
        let artifact = try #require(model.subgraphs.first?.artifact)
        let packed = artifact.weights.values.filter { if case .packed = $0 { true } else { false } }
        #expect(packed.count == 2, "both dense-layer weights packed")
        for (id, weight) in artifact.weights {
            guard case .packed = weight else { continue }
            let original = try #require(parameters[artifact.values[id].name])
            #expect(weight.denseTensor(shape: original.shape)?.toFloatArray() == original.toFloatArray())
        }
        let expected = try referenceOutputs(graph, parameters: parameters, inputs: ["data": input])
        #expect(relativeL2(try model.run([input])[0], expected[0]) <= 1e-6)

        let decoded = try CompiledArtifact(decoding: artifact.encoded())
        #expect(decoded.encoded() == artifact.encoded())
        let reloaded = try CompiledModel(graph: model.hostGraph, parameters: model.parameters)
        #expect(try reloaded.run([input])[0].toFloatArray() == (try model.run([input]))[0].toFloatArray())
    }

    /// MobileNet's classifier: a 1x1 convolution over 1x1 planes runs as a dense layer with its weight packed.
    @Test(arguments: [1, 3])
    func pointwiseConvolutionOverOnePixelRunsAsADenseLayer(batch: Int) throws {
        var generator = SplitMix64(seed: 14)
        var builder = GraphBuilder()
        let data = builder.variable("data")
        let conv = try builder.node("pred", "Convolution", ["kernel": "(1, 1)", "num_filter": "37"], data,
                                    builder.variable("pred_weight"), builder.variable("pred_bias"))
        let relu = try builder.activation("relu", "relu", conv)
        let graph = builder.graph(relu)
        let parameters = ["pred_weight": Tensor.random([37, 20, 1, 1], using: &generator), "pred_bias": Tensor.random([37], using: &generator)]
        let input = Tensor.random([batch, 20, 1, 1], using: &generator)
        let model = try compileModel(graph: graph, parameters: parameters, inputShapes: ["data": input.shape], cores: 1)
        let artifact = try #require(model.subgraphs.first?.artifact)
        let (id, weight) = try #require(artifact.weights.first { artifact.values[$0.key].name == "pred_weight" })
        guard case .packed = weight else {
            Issue.record("the 1x1 convolution weight over 1x1 planes is stored \(weight)")
            return
        }
        #expect(weight.denseTensor(shape: artifact.values[id].shape)?.toFloatArray() == parameters["pred_weight"]!.toFloatArray())
        #expect(model.summary().stages[0].operators.contains { $0.contains("{packed-gemm}") }, "\(model.summary().stages[0].operators)")
        let expected = try referenceOutputs(graph, parameters: parameters, inputs: ["data": input])
        let actual = try model.run([input])[0]
        #expect(actual.shape == [batch, 37, 1, 1])
        #expect(relativeL2(actual, expected[0]) <= 1e-6)
        let decoded = try CompiledArtifact(decoding: artifact.encoded())
        #expect(decoded.encoded() == artifact.encoded())
        let reloaded = try CompiledModel(graph: try Graph(symbol: model.hostGraph.symbolFile()), parameters: model.parameters)
        #expect(try reloaded.run([input])[0].toFloatArray() == actual.toFloatArray())
    }

    @Test func weightsReadByAReferenceStepAreNotPacked() throws {
        var generator = SplitMix64(seed: 12)
        let weight = Tensor.random([4, 6], using: &generator)
        let fc = try OperatorRegistry.makeOperator(opName: "FullyConnected", nodeName: "fc", attributes: ["num_hidden": "4", "no_bias": "True"])
        let values = [
            Program.Value(name: "x", shape: [2, 6], dtype: .float32),
            Program.Value(name: "w", shape: [4, 6], dtype: .float32),
            Program.Value(name: "y", shape: [2, 4], dtype: .float32),
            Program.Value(name: "z", shape: [4, 6], dtype: .float32),
        ]
        let steps = [
            Step(name: "fc", op: fc, attributes: ["num_hidden": "4", "no_bias": "True"], inputs: [0, 1], outputs: [2]),
            Step(name: "t", op: TestAddOperator(), attributes: [:], inputs: [1, 1], outputs: [3]),
        ]
        let packed = WeightPacking.pack([1: .dense(weight)], steps: steps, values: values, target: .active)
        guard case .dense? = packed[1] else {
            Issue.record("a weight also read by an elementwise step was packed")
            return
        }
        let alone = WeightPacking.pack([1: .dense(weight)], steps: [steps[0]], values: values, target: .active)
        guard case .packed(let matrix)? = alone[1] else {
            Issue.record("a dense-layer-only weight was not packed")
            return
        }
        #expect(matrix.role == .right && matrix.rows == 6 && matrix.columns == 4)
    }

    /// A 3x3 convolution (Winograd or GEMM) and a depthwise one.
    static func convolutionModel() throws -> (Graph, [String: Tensor], Tensor) {
        var generator = SplitMix64(seed: 14)
        var builder = GraphBuilder()
        let data = builder.variable("data")
        let full = try builder.node("full", "Convolution", ["kernel": "(3, 3)", "pad": "(1, 1)", "num_filter": "16"],
                                    data, builder.variable("full_weight"), builder.variable("full_bias"))
        let depthwise = try builder.node("dw", "Convolution", ["kernel": "(3, 3)", "pad": "(1, 1)", "num_filter": "16", "num_group": "16", "no_bias": "True"],
                                         full, builder.variable("dw_weight"))
        let parameters = ["full_weight": Tensor.random([16, 8, 3, 3], using: &generator), "full_bias": Tensor.random([16], using: &generator),
                          "dw_weight": Tensor.random([16, 1, 3, 3], using: &generator)]
        return (Graph(nodes: builder.nodes, outputs: [depthwise]), parameters, Tensor.random([1, 8, 12, 12], using: &generator))
    }

    @Test func convolutionWeightsAreStoredPreparedExceptDepthwise() throws {
        let (graph, parameters, input) = try Self.convolutionModel()
        let model = try compileModel(graph: graph, parameters: parameters, inputShapes: ["data": input.shape], cores: 1)
        let artifact = try #require(model.subgraphs.first?.artifact)
        let full = try #require(artifact.values.firstIndex { $0.name == "full_weight" })
        let depthwise = try #require(artifact.values.firstIndex { $0.name == "dw_weight" })
        guard case .convolution(let algorithm, let matrices)? = artifact.weights[full] else {
            Issue.record("the 3x3 convolution's weight is not stored prepared")
            return
        }
        #expect([.gemm, .winograd].contains(algorithm))
        #expect(matrices.count == (algorithm == .winograd ? 36 : 1))
        guard case .dense? = artifact.weights[depthwise] else {
            Issue.record("the depthwise convolution's weight is not stored dense")
            return
        }
        let decoded = try CompiledArtifact(decoding: artifact.encoded())
        #expect(decoded.encoded() == artifact.encoded())
        let expected = try referenceOutputs(graph, parameters: parameters, inputs: ["data": input])
        #expect(relativeL2(try model.run([input])[0], expected[0]) <= 1e-4)
    }

    @Test func aPackedWeightReadByAStepItsKernelCannotRunIsRejected() throws {
        let (graph, parameters, input) = try Self.convolutionModel()
        let model = try compileModel(graph: graph, parameters: parameters, inputShapes: ["data": input.shape], cores: 1)
        var artifact = try #require(model.subgraphs.first?.artifact)
        let index = try #require(artifact.steps.firstIndex { $0.name == "full" })
        artifact.steps[index].epilogue = [.activation(.sigmoid)]
        do {
            _ = try CompiledArtifact(decoding: artifact.encoded())
            Issue.record("a prepared weight read by a reference step decoded")
        } catch {
            guard case .inconsistent(let message) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(message.contains("full_weight"))
        }
    }
}
