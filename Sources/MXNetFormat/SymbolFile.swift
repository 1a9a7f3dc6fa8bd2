/// The contents of an MXNet `PREFIX-symbol.json`: NNVM's JSON graph, as MXNet 1.x writes it.
///
/// Pure data: no operator knowledge. Attribute values stay strings exactly as in the file; older
/// files' `"attr"` and `"param"` keys are merged into `attributes` on reading. Reading and writing are
/// in `SymbolFile+JSONReading.swift` and `SymbolFile+JSONWriting.swift`.
public struct SymbolFile: Sendable, Equatable {
    /// One entry of `"nodes"`. `op == "null"` marks a variable.
    public struct Node: Sendable, Equatable {
        public var op: String
        public var name: String
        public var attributes: [String: String]
        public var inputs: [Entry]
        /// Nodes that must run before this one without feeding it data (`"control_deps"`; rare).
        public var controlDependencies: [Int]
        /// Graphs owned by this node (`"subgraphs"`: control flow ops such as `_foreach`, and
        /// partitioned subgraph ops), each numbered independently of the outer graph.
        public var subgraphs: [SymbolFile]

        public init(op: String, name: String, attributes: [String: String] = [:], inputs: [Entry] = [],
                    controlDependencies: [Int] = [], subgraphs: [SymbolFile] = []) {
            self.op = op
            self.name = name
            self.attributes = attributes
            self.inputs = inputs
            self.controlDependencies = controlDependencies
            self.subgraphs = subgraphs
        }
    }

    /// A reference `[node, output index, version]` to one node output.
    public struct Entry: Sendable, Equatable, Hashable {
        public var node: Int
        public var index: Int
        public var version: Int

        public init(node: Int, index: Int = 0, version: Int = 0) {
            self.node = node
            self.index = index
            self.version = version
        }
    }

    public var nodes: [Node]
    /// Indexes of variable nodes (`"arg_nodes"`).
    public var argNodes: [Int]
    /// Prefix sums of output counts per node (`"node_row_ptr"`); nil when the file has none.
    public var nodeRowPtr: [Int]?
    public var heads: [Entry]
    /// `attrs.mxnet_version` (e.g. 10901 for 1.9.1), when present.
    public var mxnetVersion: Int?

    public init(nodes: [Node], argNodes: [Int], nodeRowPtr: [Int]?, heads: [Entry], mxnetVersion: Int? = nil) {
        self.nodes = nodes
        self.argNodes = argNodes
        self.nodeRowPtr = nodeRowPtr
        self.heads = heads
        self.mxnetVersion = mxnetVersion
    }
}
