import Foundation

/// A checkpoint loaded for CPU inference on the calling thread: the graph, its parameters (arg and
/// aux merged by variable name) and a reference executor.
///
/// Not thread-safe: one caller at a time (each `forward` reuses the executor's cached shapes).
public final class CheckpointModel {
    public let checkpoint: Checkpoint
    public let graph: Graph
    public let parameters: [String: Tensor]
    private let executor: GraphExecutor

    public init(checkpoint: Checkpoint) throws {
        self.checkpoint = checkpoint
        graph = try Graph(symbol: checkpoint.symbol)
        parameters = checkpoint.argParams.merging(checkpoint.auxParams) { argument, _ in argument }
        executor = GraphExecutor(graph: graph, parameters: parameters)
    }

    /// Loads `PREFIX-symbol.json` and `PREFIX-EEEE.params`.
    public static func load(prefix: String, epoch: Int) throws -> CheckpointModel {
        try CheckpointModel(checkpoint: Checkpoint.load(prefix: prefix, epoch: epoch))
    }

    /// Inputs the caller must supply, in graph order.
    public var inputNames: [String] { executor.inputNames }

    /// Runs the model; outputs in the symbol's head order.
    public func forward(_ inputs: [String: Tensor]) throws -> [Tensor] {
        try executor.forward(inputs)
    }
}
