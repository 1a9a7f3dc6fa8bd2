import FlexTensor
import MXNetFormat

extension Graph {
    /// Builds the IR from an MXNet symbol file: parses every operator's attributes (MXNet defaults
    /// applied, unknown operators and attributes rejected) and checks the edges.
    public init(symbol: SymbolFile) throws(GraphError) {
        var nodes: [Node] = []
        nodes.reserveCapacity(symbol.nodes.count)
        for (index, fileNode) in symbol.nodes.enumerated() {
            var inputs: [ValueRef] = []
            for entry in fileNode.inputs {
                guard entry.node >= 0, entry.node < index else {
                    throw .invalidEdge(node: fileNode.name, message: "input refers to node \(entry.node), which does not come before it (node \(index))")
                }
                let source = nodes[entry.node]
                guard entry.index >= 0, entry.index < source.outputCount else {
                    throw .invalidEdge(node: fileNode.name, message: "input refers to output \(entry.index) of '\(source.name)', which has \(source.outputCount) output(s)")
                }
                inputs.append(ValueRef(node: entry.node, output: entry.index))
            }
            if fileNode.op == "null" {
                guard inputs.isEmpty else {
                    throw .invalidEdge(node: fileNode.name, message: "a variable cannot have inputs")
                }
                nodes.append(Node(name: fileNode.name, kind: .variable, attributes: fileNode.attributes))
                continue
            }
            let op = try OperatorRegistry.makeOperator(opName: fileNode.op, nodeName: fileNode.name, attributes: fileNode.attributes)
            let expected = op.inputNames(inputCount: inputs.count)
            guard expected.count == inputs.count else {
                throw .invalidEdge(node: fileNode.name, message: "\(fileNode.op) takes inputs (\(expected.joined(separator: ", "))) but the file gives \(inputs.count)")
            }
            nodes.append(Node(name: fileNode.name, kind: .op(op), inputs: inputs, attributes: fileNode.attributes))
        }
        var outputs: [ValueRef] = []
        for head in symbol.heads {
            guard head.node >= 0, head.node < nodes.count, head.index >= 0, head.index < nodes[head.node].outputCount else {
                throw .invalidEdge(node: "heads", message: "output [\(head.node), \(head.index)] does not exist")
            }
            outputs.append(ValueRef(node: head.node, output: head.index))
        }
        guard !outputs.isEmpty else { throw .invalidEdge(node: "heads", message: "the symbol has no outputs") }
        self.init(nodes: nodes, outputs: outputs)
    }

    /// The symbol file MXNet would write for this graph (`mxnet_version` 1.9.1).
    public func symbolFile() -> SymbolFile {
        var rowPtr = [0]
        for node in nodes { rowPtr.append(rowPtr.last! + (node.op?.totalOutputCount ?? 1)) }
        return SymbolFile(
            nodes: nodes.map { node in
                SymbolFile.Node(
                    op: node.opName, name: node.name, attributes: node.attributes,
                    inputs: node.inputs.map { SymbolFile.Entry(node: $0.node, index: $0.output) })
            },
            argNodes: nodes.indices.filter { nodes[$0].isVariable },
            nodeRowPtr: rowPtr,
            heads: outputs.map { SymbolFile.Entry(node: $0.node, index: $0.output) },
            mxnetVersion: 10901)
    }
}
