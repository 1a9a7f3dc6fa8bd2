import FlexArtifact
import FlexCompiler
import FlexEG
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTensor
import FlexTestSupport
import Foundation
import MXNetFormat
import Testing

@Suite struct CompiledModelTests {
    /// `data → a → b → c → d → e`, plus `f = tanh(a)` as a second output: `a`'s result is needed by
    /// `b` and by the model output, so it passes through later stages.
    static func branchyGraph() throws -> Graph {
        var builder = GraphBuilder()
        let data = builder.variable("data")
        let a = try builder.activation("a", "tanh", data)
        let b = try builder.activation("b", "sigmoid", a)
        let c = try builder.activation("c", "relu", b)
        let d = try builder.activation("d", "softsign", c)
        let e = try builder.activation("e", "tanh", d)
        let f = try builder.activation("f", "sigmoid", a)
        return builder.graph(e, f)
    }

    static let shape: Shape = [2, 5]

    static func input(seed: UInt64 = 5) -> Tensor {
        var generator = SplitMix64(seed: seed)
        return Tensor.random(shape, in: -3...3, using: &generator)
    }

    @Test(arguments: [1, 2, 3, 6])
    func compiledOutputsEqualTheReferenceExecutor(cores: Int) throws {
        let graph = try Self.branchyGraph()
        let model = try compileModel(graph: graph, parameters: [:], inputShapes: ["data": Self.shape], cores: cores)
        #expect(model.stageCount == cores)
        let input = Self.input()
        let expected = try referenceOutputs(graph, parameters: [:], inputs: ["data": input])
        let actual = try model.run([input])
        #expect(actual.count == 2)
        for (a, e) in zip(actual, expected) { #expect(a.toFloatArray() == e.toFloatArray()) }
        #expect(model.inputs == [TensorSpec(name: "data", shape: Self.shape)])
        #expect(model.outputs.map(\.name) == ["e_output", "f_output"])
    }

    @Test func stageRunnersChainedByHandMatchRunAndPassValuesThrough() throws {
        let graph = try Self.branchyGraph()
        let model = try compileModel(graph: graph, parameters: [:], inputShapes: ["data": Self.shape], cores: 3)
        #expect(model.stageInputs(stage: 0) == model.inputs)
        #expect(model.stageOutputs(stage: 2) == model.outputs)
        for stage in 0..<2 { #expect(model.stageOutputs(stage: stage) == model.stageInputs(stage: stage + 1)) }
        var values = [Self.input()]
        for stage in 0..<3 {
            let runner = model.makeStageRunner(stage: stage)
            #expect(runner.inputSpecs == model.stageInputs(stage: stage))
            values = runner.run(values)
            #expect(values.map(\.shape) == model.stageOutputs(stage: stage).map(\.shape))
        }
        let sequential = try model.run([Self.input()])
        #expect(values.map { $0.toFloatArray() } == sequential.map { $0.toFloatArray() })
        // f = sigmoid(a) is cheap and placed wherever; a's value must reach it, and every stage boundary
        // lists each value once.
        for stage in 0..<3 {
            let names = model.stageInputs(stage: stage).map(\.name)
            #expect(Set(names).count == names.count)
        }
        // A runner is reusable: a second request gives the same result.
        let runner = model.makeStageRunner(stage: 0)
        let first = runner.run([Self.input(seed: 9)]).map { $0.toFloatArray() }
        let second = runner.run([Self.input(seed: 9)]).map { $0.toFloatArray() }
        #expect(first == second)
    }

    @Test func hostGraphHasOneSubgraphNodeWithItsArtifactAsLastInput() throws {
        let graph = try Self.branchyGraph()
        let model = try Compiler.compile(graph: graph, parameters: [:], inputShapes: ["data": Self.shape], cores: 2)
        let operators = model.hostGraph.nodes.filter { !$0.isVariable }
        try #require(operators.count == 1)
        let node = operators[0]
        #expect(node.name == "_neuron_subgraph_op0")
        #expect(node.opName == "_neuron_subgraph_op")
        #expect(node.attributes["num_neuron_cores"] == "2")
        #expect(node.attributes["input_shapes"] == "[(2,5)]")
        #expect(node.attributes["output_shapes"] == "[(2,5), (2,5)]")
        #expect(node.inputs.map { model.hostGraph.nodes[$0.node].name } == ["data", "_neuron_subgraph_op0_neuronbin"])
        let binary = try #require(model.parameters["_neuron_subgraph_op0_neuronbin"])
        #expect(binary.dtype == .uint8 && binary.shape.rank == 1)
        #expect(model.argParameters.keys.sorted() == ["_neuron_subgraph_op0_neuronbin"])
        #expect(model.auxParameters.isEmpty)
        #expect(model.hostGraph.argumentNames == ["data", "_neuron_subgraph_op0_neuronbin"])
    }

    @Test func aCompiledCheckpointLoadsBackThroughItsSymbolFile() throws {
        let graph = try Self.branchyGraph()
        let model = try compileModel(graph: graph, parameters: [:], inputShapes: ["data": Self.shape], cores: 3)
        let symbol = model.hostGraph.symbolFile()
        let reparsed = try Graph(symbol: symbol)
        #expect(CompiledModel.isCompiled(reparsed))
        #expect(!CompiledModel.isCompiled(graph))
        let loaded = try CompiledModel(graph: reparsed, parameters: model.parameters)
        #expect(loaded.stageCount == 3)
        #expect(loaded.inputs == model.inputs && loaded.outputs == model.outputs)
        for stage in 0..<3 {
            #expect(loaded.stageInputs(stage: stage) == model.stageInputs(stage: stage))
            #expect(loaded.weightBytes(stage: stage) == model.weightBytes(stage: stage))
            #expect(loaded.activationBytes(stage: stage) == model.activationBytes(stage: stage))
            #expect(loaded.workspaceBytes(stage: stage) == model.workspaceBytes(stage: stage))
            // What the runtime charges a loaded copy is what its runner allocates.
            #expect(model.workspaceBytes(stage: stage) == model.makeStageRunner(stage: stage).workspaceBytes)
        }
        let input = Self.input()
        #expect(try loaded.run([input]).map { $0.toFloatArray() } == (try model.run([input])).map { $0.toFloatArray() })
        #expect(loaded.summary() == model.summary())
    }

    @Test func aCorruptArtifactIsAClearLoadError() throws {
        let graph = try Self.branchyGraph()
        let model = try compileModel(graph: graph, parameters: [:], inputShapes: ["data": Self.shape], cores: 2)
        var parameters = model.parameters
        let binary = parameters["_neuron_subgraph_op0_neuronbin"]!.copy()
        binary.setElement(at: binary.elementCount - 3, binary.element(at: binary.elementCount - 3) == 0 ? 1 : 0)
        parameters["_neuron_subgraph_op0_neuronbin"] = binary
        let error = expectCompileError { () throws(CompileError) in _ = try CompiledModel(graph: model.hostGraph, parameters: parameters) }
        guard case .artifact(let node, let artifactError) = error, case .checksumMismatch = artifactError else {
            Issue.record("expected a checksum error, got \(String(describing: error))")
            return
        }
        #expect(node == "_neuron_subgraph_op0")

        parameters.removeValue(forKey: "_neuron_subgraph_op0_neuronbin")
        let missing = expectCompileError { () throws(CompileError) in _ = try CompiledModel(graph: model.hostGraph, parameters: parameters) }
        #expect(missing?.description.contains("_neuron_subgraph_op0_neuronbin") == true)
    }

    @Test func excludedNodesStayOnTheHostBetweenSubgraphs() throws {
        let graph = try Self.branchyGraph()
        let model = try compileModel(graph: graph, parameters: [:], inputShapes: ["data": Self.shape], cores: 2, exclude: ["c"])
        let operators = model.hostGraph.nodes.filter { !$0.isVariable }
        #expect(operators.map(\.opName) == ["_neuron_subgraph_op", "Activation", "_neuron_subgraph_op"])
        #expect(operators.map(\.name) == ["_neuron_subgraph_op0", "c", "_neuron_subgraph_op1"])
        #expect(model.summary().hostNodes == ["c"])
        let input = Self.input()
        let expected = try referenceOutputs(graph, parameters: [:], inputs: ["data": input])
        #expect(try model.run([input]).map { $0.toFloatArray() } == expected.map { $0.toFloatArray() })
        let reloaded = try CompiledModel(graph: try Graph(symbol: model.hostGraph.symbolFile()), parameters: model.parameters)
        #expect(try reloaded.run([input]).map { $0.toFloatArray() } == expected.map { $0.toFloatArray() })

        let error = expectCompileError { () throws(CompileError) in
            _ = try compileModel(graph: graph, parameters: [:], inputShapes: ["data": Self.shape], cores: 1, exclude: ["nope"])
        }
        #expect(error == .unknownExcludedNode(name: "nope"))
    }

    @Test func summaryEncodesTheInspectFields() throws {
        let graph = try Self.branchyGraph()
        let model = try compileModel(graph: graph, parameters: [:], inputShapes: ["data": Self.shape], cores: 2)
        let summary = model.summary()
        #expect(summary.compiled && summary.cores == 2 && summary.formatVersion == 2 && summary.target == Fast.InstructionSet.active.rawValue)
        #expect(summary.stages.map(\.index) == [0, 1])
        #expect(summary.stages.reduce(0) { $0 + $1.nodes } == 6)
        #expect(summary.stages.allSatisfy { $0.flops > 0 && $0.bytes > 0 && $0.peakArenaBytes <= $0.unsharedArenaBytes })
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(summary)) as? [String: Any]
        #expect(json?["compiled"] as? Bool == true)
        #expect(json?["cores"] as? Int == 2)
        let stages = try #require(json?["stages"] as? [[String: Any]])
        for key in ["index", "flops", "bytes", "nodes"] { #expect(stages[0][key] != nil, "missing \(key)") }
    }

    @Test func progressReportsEveryPhaseInOrder() throws {
        let graph = try Self.branchyGraph()
        nonisolated(unsafe) var reports: [CompileProgress] = []
        _ = try compileModel(graph: graph, parameters: [:], inputShapes: ["data": Self.shape], cores: 2) { reports.append($0) }
        #expect(reports.first == CompileProgress(pass: "lower", fraction: 0))
        #expect(reports.last == CompileProgress(pass: "done", fraction: 1))
        #expect(zip(reports, reports.dropFirst()).allSatisfy { $0.fraction < $1.fraction })
        for name in ["fold-batchnorm", "fuse-epilogues", "partition", "plan-memory", "serialize"] {
            #expect(reports.contains { $0.pass == name }, "no progress for \(name)")
        }
    }

    /// Heads that are a folded constant, a model input, and the same value twice.
    @Test func outputsThatAreConstantsInputsOrRepeatedAreReturnedInHeadOrder() throws {
        var builder = GraphBuilder()
        let data = builder.variable("data")
        let weight = builder.variable("w")
        let a = try builder.activation("a", "tanh", data)
        let b = try builder.activation("b", "relu", a)
        let folded = try builder.activation("folded", "relu", weight)
        let graph = builder.graph(b, folded, data, b)
        let parameters = ["w": Tensor(shape: [2, 5], floats: (0..<10).map { Float($0) - 4.5 })]
        let input = Self.input()
        let expected = try referenceOutputs(graph, parameters: parameters, inputs: ["data": input])
        for cores in [1, 2] {
            let model = try compileModel(graph: graph, parameters: parameters, inputShapes: ["data": Self.shape], cores: cores)
            #expect(model.outputs.map(\.name) == ["b_output", "folded_output", "data", "b_output"])
            let actual = try model.run([input])
            #expect(actual.map { $0.toFloatArray() } == expected.map { $0.toFloatArray() })
            let reloaded = try CompiledModel(graph: try Graph(symbol: model.hostGraph.symbolFile()), parameters: model.parameters)
            #expect(try reloaded.run([input]).map { $0.toFloatArray() } == expected.map { $0.toFloatArray() })
        }
    }

    @Test func aModelThatFoldsToConstantsHasNothingToCompile() throws {
        var builder = GraphBuilder()
        let weight = builder.variable("w")
        let relu = try builder.activation("r", "relu", weight)
        let graph = builder.graph(relu)
        let error = expectCompileError { () throws(CompileError) in
            _ = try compileModel(graph: graph, parameters: ["w": Tensor(zeros: [3])], inputShapes: [:], cores: 1)
        }
        guard case .nothingToCompile = error else {
            Issue.record("expected nothingToCompile, got \(String(describing: error))")
            return
        }
    }

    @Test func aGraphWithDanglingReferencesIsRejected() throws {
        var builder = GraphBuilder()
        let data = builder.variable("data")
        _ = try builder.activation("a", "relu", data)
        let dangling = Graph(nodes: builder.nodes, outputs: [ValueRef(node: 5)])
        let error = expectCompileError { () throws(CompileError) in
            _ = try compileModel(graph: dangling, parameters: [:], inputShapes: ["data": [3]], cores: 1)
        }
        guard case .graph(.invalidEdge) = error else {
            Issue.record("expected an invalid edge, got \(String(describing: error))")
            return
        }
    }

    @Test func badInputsAreClearErrors() throws {
        let graph = try Self.branchyGraph()
        let model = try compileModel(graph: graph, parameters: [:], inputShapes: ["data": Self.shape], cores: 1)
        let wrongShape = expectCompileError { () throws(CompileError) in _ = try model.run([Tensor(zeros: [3])]) }
        #expect(wrongShape == .graph(.inputShapeMismatch(name: "data", expected: Self.shape, actual: [3])))
        let unknown = expectCompileError { () throws(CompileError) in
            _ = try compileModel(graph: graph, parameters: [:], inputShapes: ["data": Self.shape, "label": [2]], cores: 1)
        }
        #expect(unknown == .graph(.unknownInput(name: "label", known: ["data"])))
        let missing = expectCompileError { () throws(CompileError) in
            _ = try compileModel(graph: graph, parameters: [:], inputShapes: [:], cores: 1)
        }
        #expect(missing == .graph(.missingInput(name: "data", expected: nil)))
    }
}
