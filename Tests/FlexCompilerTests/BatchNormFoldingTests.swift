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

@Suite struct BatchNormFoldingTests {
    struct Case {
        var graph: Graph
        var parameters: [String: Tensor]
        var input: Tensor
    }

    /// `data (2,3,6,6) → Convolution(4 filters, 3x3, pad 1) → BatchNorm → [extra consumer]`.
    static func convolution(noBias: Bool, fixGamma: Bool, axis: Int = 1, extraConsumer: Bool = false, seed: UInt64 = 7) throws -> Case {
        var generator = SplitMix64(seed: seed)
        var builder = GraphBuilder()
        let data = builder.variable("data")
        let weight = builder.variable("conv_weight")
        var convInputs = [data, weight]
        var parameters = ["conv_weight": Tensor.random([4, 3, 3, 3], using: &generator)]
        if !noBias {
            convInputs.append(builder.variable("conv_bias"))
            parameters["conv_bias"] = Tensor.random([4], using: &generator)
        }
        let convAttributes = ["kernel": "(3, 3)", "pad": "(1, 1)", "num_filter": "4", "no_bias": noBias ? "True" : "False"]
        let op = try OperatorRegistry.makeOperator(opName: "Convolution", nodeName: "conv", attributes: convAttributes)
        builder.nodes.append(Node(name: "conv", kind: .op(op), inputs: convInputs, attributes: convAttributes))
        let conv = ValueRef(node: builder.nodes.count - 1)
        let channels = axis == 1 ? 4 : 6
        let names = ["bn_gamma", "bn_beta", "bn_moving_mean", "bn_moving_var"]
        let bnInputs = [conv] + names.map { builder.variable($0) }
        parameters["bn_gamma"] = Tensor.random([channels], in: 0.5...2, using: &generator)
        parameters["bn_beta"] = Tensor.random([channels], using: &generator)
        parameters["bn_moving_mean"] = Tensor.random([channels], using: &generator)
        parameters["bn_moving_var"] = Tensor.random([channels], in: 0.1...3, using: &generator)
        let bnAttributes = ["eps": "0.001", "fix_gamma": fixGamma ? "True" : "False", "axis": String(axis)]
        let bnOp = try OperatorRegistry.makeOperator(opName: "BatchNorm", nodeName: "bn", attributes: bnAttributes)
        builder.nodes.append(Node(name: "bn", kind: .op(bnOp), inputs: bnInputs, attributes: bnAttributes))
        let bn = ValueRef(node: builder.nodes.count - 1)
        var outputs = [bn]
        if extraConsumer { outputs.append(try builder.activation("side", "tanh", conv)) }
        return Case(graph: Graph(nodes: builder.nodes, outputs: outputs), parameters: parameters,
                    input: Tensor.random([2, 3, 6, 6], using: &generator))
    }

    static func fold(_ testCase: Case) throws -> Program {
        var program = try Program(graph: testCase.graph, parameters: testCase.parameters, inputShapes: ["data": testCase.input.shape])
        try BatchNormFolding().run(on: &program)
        try DeadNodeRemoval().run(on: &program)
        try ShapeInferencePass().run(on: &program)
        return program
    }

    @Test(arguments: [(true, true), (true, false), (false, true), (false, false)])
    func convolutionAbsorbsBatchNorm(noBias: Bool, fixGamma: Bool) throws {
        let testCase = try Self.convolution(noBias: noBias, fixGamma: fixGamma)
        let program = try Self.fold(testCase)
        try #require(program.steps.count == 1)
        let step = program.steps[0]
        #expect(step.name == "conv" && step.opName == "Convolution")
        #expect(step.attributes["no_bias"] == "False")
        #expect(step.inputs.count == 3)
        #expect(step.fusedNodes == ["bn"])
        #expect(program.constants.count == 2, "only the folded weight and bias remain")

        let model = try compileModel(graph: testCase.graph, parameters: testCase.parameters,
                                         inputShapes: ["data": testCase.input.shape], cores: 1)
        let expected = try referenceOutputs(testCase.graph, parameters: testCase.parameters, inputs: ["data": testCase.input])
        #expect(relativeL2(try model.run([testCase.input])[0], expected[0]) <= 1e-5)
    }

    @Test func fixGammaIgnoresGamma() throws {
        var testCase = try Self.convolution(noBias: true, fixGamma: true)
        let first = try Self.fold(testCase)
        testCase.parameters["bn_gamma"] = Tensor(shape: [4], floats: [9, -9, 9, -9])
        let second = try Self.fold(testCase)
        let weight = { (program: Program) in program.constants[program.steps[0].inputs[1]]!.toFloatArray() }
        #expect(weight(first) == weight(second))
    }

    @Test func fullyConnectedAbsorbsBatchNormOnItsHiddenAxis() throws {
        var generator = SplitMix64(seed: 8)
        var builder = GraphBuilder()
        let data = builder.variable("data")
        let fc = try builder.node("fc", "FullyConnected", ["num_hidden": "5"], data, builder.variable("fc_weight"), builder.variable("fc_bias"))
        let bn = try builder.node("bn", "BatchNorm", ["fix_gamma": "False", "eps": "1e-5"], fc, builder.variable("g"), builder.variable("b"),
                                  builder.variable("m"), builder.variable("v"))
        let graph = builder.graph(bn)
        let parameters = [
            "fc_weight": Tensor.random([5, 12], using: &generator), "fc_bias": Tensor.random([5], using: &generator),
            "g": Tensor.random([5], using: &generator), "b": Tensor.random([5], using: &generator),
            "m": Tensor.random([5], using: &generator), "v": Tensor.random([5], in: 0.2...2, using: &generator),
        ]
        let input = Tensor.random([3, 3, 4], using: &generator)
        var program = try Program(graph: graph, parameters: parameters, inputShapes: ["data": input.shape])
        try BatchNormFolding().run(on: &program)
        #expect(program.steps.map(\.name) == ["fc"])
        let model = try compileModel(graph: graph, parameters: parameters, inputShapes: ["data": input.shape], cores: 1)
        let expected = try referenceOutputs(graph, parameters: parameters, inputs: ["data": input])
        #expect(relativeL2(try model.run([input])[0], expected[0]) <= 1e-5)
    }

    @Test func notFoldedWhenTheLayerOutputHasAnotherConsumer() throws {
        let program = try Self.fold(try Self.convolution(noBias: false, fixGamma: false, extraConsumer: true))
        #expect(program.steps.map(\.name) == ["conv", "bn", "side"])
    }

    @Test func notFoldedAcrossAnotherAxis() throws {
        // BatchNorm over axis 3 (width 6) of the convolution's output is not per output channel.
        let program = try Self.fold(try Self.convolution(noBias: false, fixGamma: false, axis: 3))
        #expect(program.steps.map(\.name) == ["conv", "bn"])
    }
}
