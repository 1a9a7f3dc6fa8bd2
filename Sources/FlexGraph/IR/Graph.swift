import FlexTensor

/// A reference to one output of one node: the value flowing along a graph edge.
public struct ValueRef: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Index into `Graph.nodes`.
    public var node: Int
    /// Which of the node's outputs (0 for single-output operators).
    public var output: Int

    public init(node: Int, output: Int = 0) {
        self.node = node
        self.output = output
    }

    public var description: String { "\(node):\(output)" }
}

/// A node: a variable (model input, parameter or auxiliary state) or an operator application.
public struct Node: Sendable {
    public enum Kind: Sendable {
        case variable
        case op(any Operator)
    }

    public var name: String
    public var kind: Kind
    public var inputs: [ValueRef]
    /// The node's attributes as MXNet wrote them (hidden `__x__` ones included), kept for writing back.
    public var attributes: [String: String]

    public init(name: String, kind: Kind, inputs: [ValueRef] = [], attributes: [String: String] = [:]) {
        self.name = name
        self.kind = kind
        self.inputs = inputs
        self.attributes = attributes
    }

    public var isVariable: Bool {
        if case .variable = kind { true } else { false }
    }

    public var op: (any Operator)? {
        if case .op(let op) = kind { op } else { nil }
    }

    /// `"null"` for variables, otherwise the MXNet op name.
    public var opName: String { op?.opName ?? "null" }

    /// Visible outputs.
    public var outputCount: Int { op?.outputCount ?? 1 }
}

/// A dataflow graph in topological order (every node's inputs come before it), as MXNet stores it.
public struct Graph: Sendable {
    public var nodes: [Node]
    /// The graph's outputs ("heads"), in order.
    public var outputs: [ValueRef]

    public init(nodes: [Node], outputs: [ValueRef]) {
        self.nodes = nodes
        self.outputs = outputs
    }

    /// Indexes of variable nodes that feed an auxiliary-state input of some operator.
    public var auxiliaryVariableIndices: Set<Int> {
        var result: Set<Int> = []
        for node in nodes {
            guard let op = node.op else { continue }
            for index in op.auxiliaryInputIndices where index < node.inputs.count {
                let source = node.inputs[index]
                if nodes[source.node].isVariable { result.insert(source.node) }
            }
        }
        return result
    }

    /// Names of variables that are arguments (not auxiliary states), in node order, as MXNet's
    /// `list_arguments()` gives them.
    public var argumentNames: [String] {
        let aux = auxiliaryVariableIndices
        return nodes.indices.filter { nodes[$0].isVariable && !aux.contains($0) }.map { nodes[$0].name }
    }

    /// Names of auxiliary-state variables, in node order (`list_auxiliary_states()`).
    public var auxiliaryNames: [String] {
        let aux = auxiliaryVariableIndices
        return nodes.indices.filter { aux.contains($0) }.map { nodes[$0].name }
    }

    /// Output names as MXNet's `list_outputs()` gives them: `<node>_output`, or `<node>_output<i>`
    /// for multi-output nodes; a variable head is its own name.
    public var outputNames: [String] {
        outputs.map { ref in
            let node = nodes[ref.node]
            if node.isVariable { return node.name }
            return node.outputCount > 1 ? "\(node.name)_output\(ref.output)" : "\(node.name)_output"
        }
    }

    /// Index of the node named `name`, if any (variables and operators share one namespace in MXNet).
    public func nodeIndex(named name: String) -> Int? {
        nodes.firstIndex { $0.name == name }
    }
}
