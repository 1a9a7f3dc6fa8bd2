import FlexArtifact
import FlexGraph
import FlexTensor

extension CompiledModel {
    /// Reconstructs a compiled model from a compiled checkpoint's graph and parameters (arg and aux
    /// merged; see `CompiledCheckpoint.init(graph:parameters:)`).
    public convenience init(graph: Graph, parameters: [String: Tensor]) throws(CompileError) {
        try self.init(try CompiledCheckpoint(graph: graph, parameters: parameters))
    }

    /// `init(graph:parameters:)` without the target check (see `init(describing:)`).
    package convenience init(describing graph: Graph, parameters: [String: Tensor]) throws(CompileError) {
        try self.init(describing: try CompiledCheckpoint(graph: graph, parameters: parameters))
    }

    /// Whether `graph` is a compiled model (holds at least one `_neuron_subgraph_op` node).
    public static func isCompiled(_ graph: Graph) -> Bool { CompiledCheckpoint.isCompiled(graph) }
}
