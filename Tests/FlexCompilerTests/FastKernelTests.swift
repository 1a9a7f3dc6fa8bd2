import FlexArtifact
import FlexCompiler
import FlexEG
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTensor
import FlexTestSupport
import MXNetFormat
import Testing

/// Compiled convolutions run through the fast kernels with their epilogue fused; they must match the
/// reference executor (operator kernels, then elementwise nodes).
@Suite struct FastKernelTests {
    struct Geometry: Sendable, CustomTestStringConvertible {
        var attributes: [String: String]
        var input: [Int]
        var weight: [Int]
        var testDescription: String { attributes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
    }

    static let geometries = [
        Geometry(attributes: ["kernel": "(3, 3)", "pad": "(1, 1)", "num_filter": "8"], input: [2, 5, 9, 9], weight: [8, 5, 3, 3]),
        Geometry(attributes: ["kernel": "(3, 3)", "stride": "(2, 2)", "num_filter": "6", "num_group": "3"], input: [1, 6, 11, 10], weight: [6, 2, 3, 3]),
        Geometry(attributes: ["kernel": "(3, 3)", "pad": "(1, 1)", "num_filter": "4", "num_group": "4"], input: [1, 4, 7, 7], weight: [4, 1, 3, 3]),
        Geometry(attributes: ["kernel": "(1, 1)", "num_filter": "7"], input: [3, 9, 4, 5], weight: [7, 9, 1, 1]),
        Geometry(attributes: ["kernel": "(5,)", "pad": "(2,)", "dilate": "(2,)", "num_filter": "3"], input: [2, 4, 17], weight: [3, 4, 5]),
    ]

    /// `clip(conv(data) + shortcut, 0, 6)` where `shortcut = conv(data)` of another filter bank.
    @Test(arguments: geometries)
    func convolutionWithResidualAndClampMatchesReference(geometry: Geometry) throws {
        var generator = SplitMix64(seed: 13)
        var builder = GraphBuilder()
        let data = builder.variable("data")
        let main = try builder.node("main", "Convolution", geometry.attributes, data, builder.variable("main_weight"), builder.variable("main_bias"))
        let short = try builder.node("short", "Convolution", geometry.attributes.merging(["no_bias": "True"]) { $1 },
                                     data, builder.variable("short_weight"))
        let sum = builder.node("sum", op: TestAddOperator(), short, main)
        let clipped = builder.node("clip", op: TestClipOperator(low: 0, high: 6), attributes: ["a_min": "0", "a_max": "6"], sum)
        let graph = builder.graph(clipped)
        let parameters = [
            "main_weight": Tensor.random(Shape(geometry.weight), using: &generator),
            "main_bias": Tensor.random([geometry.weight[0]], using: &generator),
            "short_weight": Tensor.random(Shape(geometry.weight), in: 0...2, using: &generator),
        ]
        let input = Tensor.random(Shape(geometry.input), in: -2...2, using: &generator)
        let model = try compileModel(graph: graph, parameters: parameters, inputShapes: ["data": input.shape], cores: 1)
        let steps = try #require(model.subgraphs.first?.artifact.steps)
        #expect(steps.count == 2)
        #expect(steps.last?.epilogue.count == 2)
        let operators = model.summary().stages[0].operators
        #expect(operators.allSatisfy { !$0.contains("{reference}") }, "\(operators)")
        let expected = try referenceOutputs(graph, parameters: parameters, inputs: ["data": input])
        let actual = try model.run([input])[0]
        #expect(relativeL2(actual, expected[0]) <= 1e-5, "\(geometry.testDescription)")
        // The checkpoint stores the prepared weights; loading restores them without repacking.
        let reloaded = try CompiledModel(graph: try Graph(symbol: model.hostGraph.symbolFile()), parameters: model.parameters)
        #expect(try reloaded.run([input])[0].toFloatArray() == actual.toFloatArray())
    }
}
