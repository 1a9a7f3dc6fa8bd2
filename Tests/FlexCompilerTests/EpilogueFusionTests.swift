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

@Suite struct EpilogueFusionTests {
    /// `a = data + w1; b = data + w2; c = a + b; d = relu(c)`: the residual add and the relu fuse into
    /// `b` (the operand computed last), reading `a`.
    @Test func fusesResidualAddThenActivationIntoTheLaterProducer() throws {
        var generator = SplitMix64(seed: 2)
        var builder = GraphBuilder()
        let data = builder.variable("data")
        let w1 = builder.variable("w1")
        let w2 = builder.variable("w2")
        let a = builder.node("a", op: TestAddOperator(), data, w1)
        let b = builder.node("b", op: TestAddOperator(), data, w2)
        let c = builder.node("c", op: TestAddOperator(), a, b)
        let d = try builder.activation("d", "relu", c)
        let graph = builder.graph(d)
        let parameters = ["w1": Tensor.random([3, 4], using: &generator), "w2": Tensor.random([3, 4], using: &generator)]
        var program = try Program(graph: graph, parameters: parameters, inputShapes: ["data": [3, 4]])

        try EpilogueFusion().run(on: &program)

        try #require(program.steps.map(\.name) == ["a", "b"])
        let fused = program.steps[1]
        #expect(fused.epilogue == [.add(program.steps[0].outputs[0]), .activation(.relu)])
        #expect(fused.fusedNodes == ["c", "d"])
        #expect(fused.outputs == program.outputs)
        try ShapeInferencePass().run(on: &program)

        let input = Tensor.random([3, 4], using: &generator)
        let model = try compileModel(graph: graph, parameters: parameters, inputShapes: ["data": [3, 4]], cores: 1)
        let expected = try referenceOutputs(graph, parameters: parameters, inputs: ["data": input])
        let actual = try model.run([input])
        #expect(actual[0].toFloatArray() == expected[0].toFloatArray())
    }

    /// `sigmoid(clip(data + w, 0, 6) + w)`: the clip fuses into the first add; nothing follows a clamp,
    /// so the second add stays a step, and sigmoid (no kernel epilogue computes it) stays too.
    @Test func fusesClipAsReLU6ButNothingAfterAClampAndNoSigmoid() throws {
        var builder = GraphBuilder()
        let data = builder.variable("data")
        let w = builder.variable("w")
        let a = builder.node("a", op: TestAddOperator(), data, w)
        let clipped = builder.node("relu6", op: TestClipOperator(low: 0, high: 6), attributes: ["a_min": "0", "a_max": "6"], a)
        let e = builder.node("e", op: TestAddOperator(), clipped, w)
        let s = try builder.activation("s", "sigmoid", e)
        let graph = builder.graph(s)
        let parameters = ["w": Tensor(shape: [5], floats: [-8, -1, 0, 2, 9])]
        var program = try Program(graph: graph, parameters: parameters, inputShapes: ["data": [5]])
        try EpilogueFusion().run(on: &program)
        try #require(program.steps.map(\.name) == ["a", "e", "s"])
        #expect(program.steps[0].epilogue == [.clip(min: 0, max: 6)])
        #expect(program.steps[0].fusedNodes == ["relu6"])
        #expect(program.steps[1].epilogue.isEmpty)

        let input = Tensor(shape: [5], floats: [1, 2, -3, 4, 5])
        let model = try compileModel(graph: graph, parameters: parameters, inputShapes: ["data": [5]], cores: 1)
        let expected = try referenceOutputs(graph, parameters: parameters, inputs: ["data": input])
        #expect(try model.run([input])[0].toFloatArray() == expected[0].toFloatArray())
    }

    @Test func doesNotFuseWhenTheProducerOutputHasAnotherReader() throws {
        var builder = GraphBuilder()
        let data = builder.variable("data")
        let w = builder.variable("w")
        let a = builder.node("a", op: TestAddOperator(), data, w)
        let r = try builder.activation("r", "relu", a)
        let other = try builder.activation("other", "tanh", a)
        var program = try Program(graph: builder.graph(r, other), parameters: ["w": Tensor(zeros: [5])], inputShapes: ["data": [5]])
        try EpilogueFusion().run(on: &program)
        #expect(program.steps.map(\.name) == ["a", "r", "other"])
        #expect(program.steps.allSatisfy { $0.epilogue.isEmpty })
    }

    @Test func doesNotFuseIntoAModelOutputOrAHostStepOrUnsupportedActivation() throws {
        var builder = GraphBuilder()
        let data = builder.variable("data")
        let w = builder.variable("w")
        let a = builder.node("a", op: TestAddOperator(), data, w)
        let r = try builder.activation("r", "relu", a)
        let b = builder.node("b", op: TestAddOperator(), data, w)
        let soft = try builder.activation("soft", "softsign", b)
        let h = builder.node("h", op: TestAddOperator(), data, w)
        let hr = try builder.activation("hr", "relu", h)
        var program = try Program(graph: builder.graph(a, r, soft, hr), parameters: ["w": Tensor(zeros: [5])],
                                  inputShapes: ["data": [5]], exclude: ["h"])
        try EpilogueFusion().run(on: &program)
        #expect(program.steps.map(\.name) == ["a", "r", "b", "soft", "h", "hr"])
    }

    @Test func shapeInferenceRejectsAnEpilogueOperandOfAnotherShape() throws {
        var builder = GraphBuilder()
        let data = builder.variable("data")
        _ = builder.variable("w")
        let a = builder.node("a", op: TestAddOperator(), data, data)
        var program = try Program(graph: builder.graph(a), parameters: ["w": Tensor(zeros: [3])], inputShapes: ["data": [5]])
        program.steps[0].epilogue = [.add(program.constants.keys.first!)]
        let error = expectCompileError { () throws(CompileError) in try ShapeInferencePass().run(on: &program) }
        guard case .pass(let pass, let node, _) = error else { Issue.record("unexpected \(String(describing: error))"); return }
        #expect(pass == "infer-shapes")
        #expect(node == "a")
    }
}
