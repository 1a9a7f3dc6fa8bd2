import FlexGraph
import FlexTensor

/// What the compiler produces and a compiled checkpoint stores: an MXNet host graph whose compiled
/// regions are `_neuron_subgraph_op` nodes, the parameters (host nodes' weights and one uint8
/// `<node>_neuronbin` per subgraph holding its encoded artifact), and the artifacts themselves, keyed
/// by node index. `FlexExecution.CompiledModel` makes it runnable.
public struct CompiledCheckpoint: Sendable {
    public var hostGraph: Graph
    /// Arg and aux parameters merged, by name.
    public var parameters: [String: Tensor]
    public var artifacts: [Int: CompiledArtifact]

    public init(hostGraph: Graph, parameters: [String: Tensor], artifacts: [Int: CompiledArtifact]) {
        self.hostGraph = hostGraph
        self.parameters = parameters
        self.artifacts = artifacts
    }

    /// Whether `graph` is a compiled model (holds at least one `_neuron_subgraph_op` node).
    public static func isCompiled(_ graph: Graph) -> Bool {
        graph.nodes.contains { $0.op is NeuronSubgraphOperator }
    }

    /// Reads a compiled checkpoint: `graph` holds `_neuron_subgraph_op` nodes whose last input is the
    /// uint8 variable `<node>_neuronbin` in `parameters` (arg and aux merged). Every artifact is decoded
    /// and validated.
    public init(graph: Graph, parameters: [String: Tensor]) throws(CompileError) {
        var artifacts: [Int: CompiledArtifact] = [:]
        for (index, node) in graph.nodes.enumerated() where node.op is NeuronSubgraphOperator {
            guard let binary = node.inputs.last, graph.nodes[binary.node].isVariable else {
                throw .invalidCompiledModel(node: node.name, message: "its last input must be the variable \(node.name)_neuronbin")
            }
            let binaryName = graph.nodes[binary.node].name
            guard let tensor = parameters[binaryName] else {
                throw .invalidCompiledModel(node: node.name, message: "the parameters have no '\(binaryName)' (the compiled artifact)")
            }
            guard tensor.dtype == .uint8, tensor.shape.rank == 1 else {
                throw .invalidCompiledModel(node: node.name, message: "'\(binaryName)' must be a 1-D uint8 array, got \(tensor.shape) \(tensor.dtype)")
            }
            do {
                artifacts[index] = try CompiledArtifact(decoding: UnsafeRawBufferPointer(start: tensor.rawPointer, count: tensor.byteCount))
            } catch {
                throw .artifact(node: node.name, error)
            }
        }
        self.init(hostGraph: graph, parameters: parameters, artifacts: artifacts)
    }

    /// The checkpoint's parameters split as `mx.model.save_checkpoint` stores them.
    public var argParameters: [String: Tensor] {
        let aux = Set(hostGraph.auxiliaryNames)
        return parameters.filter { !aux.contains($0.key) }
    }

    public var auxParameters: [String: Tensor] {
        let aux = Set(hostGraph.auxiliaryNames)
        return parameters.filter { aux.contains($0.key) }
    }
}
