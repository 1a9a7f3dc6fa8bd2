import FlexArtifact
import FlexCompiler
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTensor
import MXNetFormat
import FlexTestSupport
import Testing

@Suite struct DeadNodeRemovalTests {
    @Test func removesStepsAndConstantsThatReachNoOutput() throws {
        var builder = GraphBuilder()
        let data = builder.variable("data")
        let weight = builder.variable("w")
        let live = try builder.activation("live", "relu", data)
        _ = try builder.activation("deadFromData", "sigmoid", data)
        let deadFromWeight = try builder.activation("deadFromWeight", "tanh", weight)
        _ = try builder.activation("deadChain", "relu", deadFromWeight)
        let graph = builder.graph(live)
        var program = try Program(graph: graph, parameters: ["w": Tensor(zeros: [4])], inputShapes: ["data": [4]])
        #expect(program.steps.count == 4)
        #expect(program.constants.count == 1)

        try DeadNodeRemoval().run(on: &program)

        #expect(program.steps.map(\.name) == ["live"])
        #expect(program.constants.isEmpty)
        #expect(program.inputs.map { program.values[$0].name } == ["data"])
    }

    @Test func keepsEveryStepOnThePathToAnyOutput() throws {
        var builder = GraphBuilder()
        let data = builder.variable("data")
        let a = try builder.activation("a", "relu", data)
        let b = try builder.activation("b", "tanh", a)
        let c = try builder.activation("c", "sigmoid", a)
        var program = try Program(graph: builder.graph(b, c), parameters: [:], inputShapes: ["data": [2, 3]])
        try DeadNodeRemoval().run(on: &program)
        #expect(program.steps.map(\.name) == ["a", "b", "c"])
    }
}
