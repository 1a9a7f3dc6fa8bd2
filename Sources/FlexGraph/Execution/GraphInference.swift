import FlexTensor

/// Shapes and dtypes of every value in a graph, inferred forward from its variables.
public struct GraphInference: Sendable {
    /// `shapes[node][output]`.
    public var shapes: [[Shape]]
    /// `dtypes[node][output]`.
    public var dtypes: [[DType]]

    public func shape(of ref: ValueRef) -> Shape { shapes[ref.node][ref.output] }
    public func dtype(of ref: ValueRef) -> DType { dtypes[ref.node][ref.output] }

    /// Infers every value's shape and dtype from the variables' (`variables` by name; parameters and
    /// model inputs alike). A variable without a shape that some operator reads is a missing input;
    /// the error says the shape the graph implies for it where the consumers tell.
    public init(graph: Graph, variables: [String: (shape: Shape, dtype: DType)]) throws(GraphError) {
        var shapes: [[Shape]] = []
        var dtypes: [[DType]] = []
        shapes.reserveCapacity(graph.nodes.count)
        let optional = graph.unusedVariableIndicesAtInference
        for (index, node) in graph.nodes.enumerated() {
            guard let op = node.op else {
                if let known = variables[node.name] {
                    shapes.append([known.shape])
                    dtypes.append([known.dtype])
                } else if optional.contains(index) {
                    shapes.append([Shape([0])])
                    dtypes.append([.float32])
                } else {
                    throw .missingInput(name: node.name, expected: graph.expectedShape(ofVariable: index, variables: variables))
                }
                continue
            }
            let inputShapes = node.inputs.map { shapes[$0.node][$0.output] }
            let inputTypes = node.inputs.map { dtypes[$0.node][$0.output] }
            do {
                let outShapes = try op.inferShapes(inputShapes)
                let outTypes = try op.inferTypes(inputTypes)
                precondition(outShapes.count == op.outputCount && outTypes.count == op.outputCount,
                             "\(op.opName) inferred the wrong number of outputs")
                shapes.append(outShapes)
                dtypes.append(outTypes)
            } catch {
                throw .invalidNode(node: node.name, op: op.opName, error)
            }
        }
        self.shapes = shapes
        self.dtypes = dtypes
    }
}

extension Graph {
    /// Variables that only feed inputs inference never reads (`SoftmaxOutput`'s label).
    public var unusedVariableIndicesAtInference: Set<Int> {
        var unused: Set<Int> = []
        var used: Set<Int> = []
        for node in nodes {
            guard let op = node.op else { continue }
            for (position, ref) in node.inputs.enumerated() where nodes[ref.node].isVariable {
                if op.unusedInputIndicesAtInference.contains(position) { unused.insert(ref.node) } else { used.insert(ref.node) }
            }
        }
        return unused.subtracting(used)
    }

    /// The shape a variable's consumers imply for it (0 = unknown dimension), or nil.
    public func expectedShape(ofVariable index: Int, variables: [String: (shape: Shape, dtype: DType)]) -> Shape? {
        for node in nodes {
            guard let op = node.op, let position = node.inputs.firstIndex(where: { $0.node == index }) else { continue }
            let known: [Shape?] = node.inputs.map { ref in
                let source = nodes[ref.node]
                return source.isVariable ? variables[source.name]?.shape : nil
            }
            if let shape = op.expectedInputShapes(known)[position] { return shape }
        }
        if let text = nodes[index].attributes["__shape__"], let shape = Shape(parsing: text) { return shape }
        return nil
    }
}

extension Shape {
    /// Whether `actual` fits this partially known shape (0 = any size): same rank, and equal in every
    /// known dimension.
    func admits(_ actual: Shape) -> Bool {
        rank == actual.rank && zip(dims, actual.dims).allSatisfy { $0 == 0 || $0 == $1 }
    }
}
