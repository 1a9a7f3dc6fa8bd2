import FlexArtifact
import FlexCompiler
import FlexExecution
import FlexGraph
import FlexKernels
import FlexRuntime
import FlexTensor
import MXNetFormat

/// What `flexeg inspect` reports about a checkpoint: inputs, outputs, operators, parameters, and every
/// node FlexEG cannot run. Built from the symbol file node by node, so one unsupported operator does
/// not hide the others. A compiled checkpoint (`compiled`) is described in full by
/// `CompiledModel.summary()`; this summary only shows its host graph.
public struct ModelSummary: Codable, Sendable {
    public struct Input: Codable, Sendable {
        public var name: String
        /// Known dimensions; 0 where the model does not fix the size (rendered `?`).
        public var shape: [Int]?
    }

    public struct UnsupportedNode: Codable, Sendable {
        public var node: String
        public var op: String
        public var reason: String
    }

    /// Whether the symbol holds `_neuron_subgraph_op` nodes (`isCompiled(_:)`).
    public var compiled: Bool
    public var inputs: [Input]
    public var outputs: [String]
    /// Operator name → number of nodes using it.
    public var operators: [String: Int]
    public var parameterCount: Int
    public var parameterBytes: Int
    public var unsupported: [UnsupportedNode]

    enum CodingKeys: String, CodingKey {
        case compiled, inputs, outputs, operators, unsupported
        case parameterCount = "parameter_count"
        case parameterBytes = "parameter_bytes"
    }

    public init(checkpoint: Checkpoint) {
        let symbol = checkpoint.symbol
        compiled = Self.isCompiled(symbol)
        let parameters = checkpoint.argParams.merging(checkpoint.auxParams) { argument, _ in argument }
        parameterCount = parameters.values.reduce(0) { $0 + $1.elementCount }
        parameterBytes = parameters.values.reduce(0) { $0 + $1.byteCount }

        var histogram: [String: Int] = [:]
        var unsupported: [UnsupportedNode] = []
        for node in symbol.nodes where node.op != "null" {
            histogram[node.op, default: 0] += 1
            do {
                _ = try OperatorRegistry.makeOperator(opName: node.op, nodeName: node.name, attributes: node.attributes)
            } catch {
                unsupported.append(UnsupportedNode(node: node.name, op: node.op, reason: error.description))
            }
        }
        operators = histogram
        self.unsupported = unsupported

        if unsupported.isEmpty, let graph = try? Graph(symbol: symbol) {
            outputs = graph.outputNames
            inputs = Self.inputs(of: graph, parameters: parameters)
        } else {
            outputs = symbol.heads.map { symbol.nodes.indices.contains($0.node) ? symbol.nodes[$0.node].name : "?" }
            inputs = symbol.nodes.filter { $0.op == "null" && parameters[$0.name] == nil }
                .map { Input(name: $0.name, shape: nil) }
        }
    }

    /// The model inputs of `graph`: variables that are neither in `parameters` nor unused at inference
    /// (`SoftmaxOutput`'s label), in graph order, each with the shape its consumers imply.
    public static func inputs(of graph: Graph, parameters: [String: Tensor]) -> [Input] {
        let variables = parameters.mapValues { (shape: $0.shape, dtype: DType.float32) }
        let optional = graph.unusedVariableIndicesAtInference
        return graph.nodes.indices.compactMap { index in
            let node = graph.nodes[index]
            guard node.isVariable, parameters[node.name] == nil, !optional.contains(index) else { return nil }
            return Input(name: node.name, shape: graph.expectedShape(ofVariable: index, variables: variables)?.dims)
        }
    }

    /// Whether `symbol` is a compiled model: it holds at least one `_neuron_subgraph_op` node.
    public static func isCompiled(_ symbol: SymbolFile) -> Bool {
        symbol.nodes.contains { NeuronSubgraphOperator.names.contains($0.op) }
    }
}
