import FlexArtifact
import FlexCompiler
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTensor
import FlexTestSupport
import Foundation
import MXNetFormat
import Testing

@Suite struct ConstantFoldingTests {
    @Test func foldsParameterOnlyChainsWithTheOperatorsOwnKernels() throws {
        var generator = SplitMix64(seed: 1)
        var builder = GraphBuilder()
        let data = builder.variable("data")
        let weight = builder.variable("w")
        let t = try builder.activation("t", "tanh", weight)
        let s = try builder.activation("s", "sigmoid", t)
        let sum = builder.node("sum", op: TestAddOperator(), data, s)
        let graph = builder.graph(sum)
        let w = Tensor.random([6], using: &generator)
        var program = try Program(graph: graph, parameters: ["w": w], inputShapes: ["data": [6]])

        try ConstantFolding().run(on: &program)

        #expect(program.steps.map(\.name) == ["sum"])
        let folded = try #require(program.constants[program.steps[0].inputs[1]])
        let expected = w.toFloatArray().map { 1 / (1 + exp(-tanh($0))) }
        for (value, reference) in zip(folded.toFloatArray(), expected) {
            #expect(abs(value - reference) <= 1e-6)
        }
    }

    @Test func foldsAnOutputComputedFromParametersOnly() throws {
        var builder = GraphBuilder()
        let data = builder.variable("data")
        let weight = builder.variable("w")
        let a = try builder.activation("a", "relu", data)
        let b = try builder.activation("b", "relu", weight)
        var program = try Program(graph: builder.graph(a, b), parameters: ["w": Tensor(shape: [2], floats: [-1, 2])],
                                  inputShapes: ["data": [2]])
        try ConstantFolding().run(on: &program)
        #expect(program.steps.map(\.name) == ["a"])
        #expect(program.constants[program.outputs[1]]?.toFloatArray() == [0, 2])
    }

    @Test func leavesHostStepsAlone() throws {
        var builder = GraphBuilder()
        let data = builder.variable("data")
        let weight = builder.variable("w")
        let b = try builder.activation("b", "relu", weight)
        let sum = builder.node("sum", op: TestAddOperator(), data, b)
        var program = try Program(graph: builder.graph(sum), parameters: ["w": Tensor(zeros: [2])],
                                  inputShapes: ["data": [2]], exclude: ["b"])
        try ConstantFolding().run(on: &program)
        #expect(program.steps.map(\.name) == ["b", "sum"])
    }
}
