import FlexArtifact
import FlexGraph
import FlexTensor

extension Program {
    /// Lowers an MXNet graph: infers every value's shape and dtype with `GraphInference`, turns
    /// parameters into constants (converted to float32, as the reference executor does), other
    /// variables into model inputs, and every operator node into a step.
    ///
    /// - `parameters`: arg and aux params merged, by variable name.
    /// - `inputShapes`: shape of every model input (variables that are not parameters).
    /// - `exclude`: names of operator nodes that stay on the host (`Step.isHost`).
    ///
    /// Variables that inference never reads (`SoftmaxOutput`'s label) become empty constants, as the
    /// reference executor feeds them.
    package init(graph: Graph, parameters: [String: Tensor], inputShapes: [String: Shape], exclude: Set<String> = []) throws(CompileError) {
        try Self.checkEdges(of: graph)
        for name in exclude.sorted() {
            guard let index = graph.nodeIndex(named: name), !graph.nodes[index].isVariable else {
                throw .unknownExcludedNode(name: name)
            }
        }
        let optional = graph.unusedVariableIndicesAtInference
        var variables: [String: (shape: Shape, dtype: DType)] = [:]
        var float32Parameters: [String: Tensor] = [:]
        for (index, node) in graph.nodes.enumerated() where node.isVariable {
            if let tensor = parameters[node.name] {
                let converted = tensor.dtype == .float32 ? tensor : tensor.converted(to: .float32)
                float32Parameters[node.name] = converted
                variables[node.name] = (converted.shape, .float32)
            } else if optional.contains(index) {
                variables[node.name] = (Shape([0]), .float32)
            }
        }
        let modelInputNames = Set(graph.nodes.indices.filter {
            graph.nodes[$0].isVariable && float32Parameters[graph.nodes[$0].name] == nil && !optional.contains($0)
        }.map { graph.nodes[$0].name })
        for (name, shape) in inputShapes.sorted(by: { $0.key < $1.key }) {
            guard modelInputNames.contains(name) else {
                guard let index = graph.nodeIndex(named: name), optional.contains(index) else {
                    throw .graph(.unknownInput(name: name, known: graph.nodes.filter { modelInputNames.contains($0.name) }.map(\.name)))
                }
                continue
            }
            variables[name] = (shape, .float32)
        }
        let inference: GraphInference
        do {
            inference = try GraphInference(graph: graph, variables: variables)
        } catch {
            throw .graph(error)
        }

        var values: [Value] = []
        var inputs: [ValueID] = []
        var constants: [ValueID: Tensor] = [:]
        var steps: [Step] = []
        var refs: [[ValueID]] = []
        refs.reserveCapacity(graph.nodes.count)
        for (index, node) in graph.nodes.enumerated() {
            guard let op = node.op else {
                values.append(Value(name: node.name, shape: inference.shapes[index][0], dtype: inference.dtypes[index][0]))
                let id = values.count - 1
                if let tensor = float32Parameters[node.name] {
                    constants[id] = tensor
                } else if optional.contains(index) {
                    constants[id] = Tensor(zeros: [0])
                } else {
                    inputs.append(id)
                }
                refs.append([id])
                continue
            }
            var outputs: [ValueID] = []
            for output in 0..<op.outputCount {
                let name = op.outputCount == 1 ? "\(node.name)_output" : "\(node.name)_output\(output)"
                values.append(Value(name: name, shape: inference.shapes[index][output], dtype: inference.dtypes[index][output]))
                outputs.append(values.count - 1)
            }
            refs.append(outputs)
            steps.append(Step(name: node.name, op: op, attributes: node.attributes,
                              inputs: node.inputs.map { refs[$0.node][$0.output] }, outputs: outputs,
                              isHost: exclude.contains(node.name)))
        }
        self.init(values: values, inputs: inputs, outputs: graph.outputs.map { refs[$0.node][$0.output] },
                  constants: constants, steps: steps)
    }

    /// Every input and output refers to an existing output of an earlier node (what `Graph(symbol:)`
    /// checks for graphs read from JSON; graphs built in code may not have been).
    static func checkEdges(of graph: Graph) throws(CompileError) {
        func valid(_ ref: ValueRef, before limit: Int) -> Bool {
            ref.node >= 0 && ref.node < limit && ref.output >= 0 && ref.output < graph.nodes[ref.node].outputCount
        }
        for (index, node) in graph.nodes.enumerated() {
            for ref in node.inputs where !valid(ref, before: index) {
                throw .graph(.invalidEdge(node: node.name, message: "input \(ref) is not an output of an earlier node"))
            }
        }
        for ref in graph.outputs where !valid(ref, before: graph.nodes.count) {
            throw .graph(.invalidEdge(node: "heads", message: "output \(ref) does not exist"))
        }
        guard !graph.outputs.isEmpty else { throw .graph(.invalidEdge(node: "heads", message: "the graph has no outputs")) }
    }
}
