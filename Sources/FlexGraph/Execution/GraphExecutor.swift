import FlexTensor

/// Runs a graph on the calling thread, one node after another, with the operators' own kernels.
///
/// This is the reference path (`flexeg infer` on an uncompiled checkpoint, and the oracle for the
/// compiler): no fusion and no memory plan; each value lives until its last consumer has run.
/// An executor is not thread-safe: use one per thread, or serialize calls.
public final class GraphExecutor {
    public let graph: Graph
    /// Parameters and auxiliary states by variable name (float32).
    public let parameters: [String: Tensor]
    /// Names of the variables the caller must supply (model inputs), in node order.
    public let inputNames: [String]
    /// Inputs the caller may leave out (read by no operator at inference, like `softmax_label`).
    public let optionalInputNames: Set<String>

    private var inference: GraphInference?
    private var inferredFor: [String: Shape] = [:]

    /// Binds `parameters` (arg and aux params merged, by variable name) to `graph`. Variables that are
    /// not parameters become model inputs. Parameter tensors that are not float32 are converted.
    public init(graph: Graph, parameters: [String: Tensor]) {
        self.graph = graph
        var converted: [String: Tensor] = [:]
        for (name, tensor) in parameters {
            converted[name] = tensor.dtype == .float32 ? tensor : tensor.converted(to: .float32)
        }
        self.parameters = converted
        let optional = graph.unusedVariableIndicesAtInference
        var inputs: [String] = []
        var optionalNames: Set<String> = []
        for (index, node) in graph.nodes.enumerated() where node.isVariable && converted[node.name] == nil {
            if optional.contains(index) { optionalNames.insert(node.name) } else { inputs.append(node.name) }
        }
        inputNames = inputs
        optionalInputNames = optionalNames
    }

    /// Infers shapes for these input shapes (cached until they change).
    @discardableResult
    public func infer(inputShapes: [String: Shape]) throws(GraphError) -> GraphInference {
        if let inference, inferredFor == inputShapes { return inference }
        var variables: [String: (shape: Shape, dtype: DType)] = [:]
        for (name, tensor) in parameters { variables[name] = (tensor.shape, .float32) }
        for (name, shape) in inputShapes {
            guard inputNames.contains(name) || optionalInputNames.contains(name) else {
                throw .unknownInput(name: name, known: inputNames)
            }
            variables[name] = (shape, .float32)
        }
        let result = try GraphInference(graph: graph, variables: variables)
        inference = result
        inferredFor = inputShapes
        return result
    }

    /// Checks that the graph is runnable here, inputs are known by name and every required one is present.
    private func validate(_ inputs: [String: Tensor]) throws(GraphError) {
        if let compiled = graph.nodes.first(where: { $0.op is NeuronSubgraphOperator }) {
            throw .compiledSubgraph(node: compiled.name)
        }
        for name in inputs.keys where !inputNames.contains(name) && !optionalInputNames.contains(name) {
            throw .unknownInput(name: name, known: inputNames)
        }
        for name in inputNames where inputs[name] == nil {
            throw .missingInput(name: name, expected: expectedShape(ofInput: name))
        }
    }

    /// The shape the parameters imply for input `name` (0 = unknown dimension), if any.
    private func expectedShape(ofInput name: String) -> Shape? {
        let variables = parameters.mapValues { (shape: $0.shape, dtype: DType.float32) }
        return graph.nodeIndex(named: name).flatMap { graph.expectedShape(ofVariable: $0, variables: variables) }
    }

    /// When inference fails, blames an input whose shape differs from the one the parameters imply
    /// (the weights fix the channel count, say), so a wrong input is reported as such rather than
    /// as a mismatch deep inside the graph; otherwise keeps the node's own error.
    private func explain(_ error: GraphError, inputs: [String: Tensor]) -> GraphError {
        for name in inputNames {
            guard let actual = inputs[name]?.shape, let expected = expectedShape(ofInput: name) else { continue }
            if !expected.admits(actual) { return .inputShapeMismatch(name: name, expected: expected, actual: actual) }
        }
        return error
    }

    /// Runs the graph. `inputs` by name; non-float32 inputs are converted (as MXNet's copy into a
    /// bound array does). Returns the graph's outputs in head order.
    public func forward(_ inputs: [String: Tensor]) throws(GraphError) -> [Tensor] {
        try validate(inputs)
        let inference: GraphInference
        do {
            inference = try infer(inputShapes: inputs.mapValues(\.shape))
        } catch {
            throw explain(error, inputs: inputs)
        }

        var remainingUses = [Int](repeating: 0, count: graph.nodes.count)
        for node in graph.nodes { for ref in node.inputs { remainingUses[ref.node] += 1 } }
        for ref in graph.outputs { remainingUses[ref.node] += 1 }

        var values: [[Tensor]?] = Array(repeating: nil, count: graph.nodes.count)
        for (index, node) in graph.nodes.enumerated() {
            guard let op = node.op else {
                if let tensor = parameters[node.name] {
                    values[index] = [tensor]
                } else if let tensor = inputs[node.name] {
                    values[index] = [tensor.dtype == .float32 ? tensor : tensor.converted(to: .float32)]
                } else {
                    values[index] = [Tensor(zeros: [0])]
                }
                continue
            }
            let operands = node.inputs.map { values[$0.node]![$0.output] }
            let results = zip(inference.shapes[index], inference.dtypes[index]).map { Tensor(zeros: $0.0, dtype: $0.1) }
            op.execute(inputs: operands, outputs: results)
            values[index] = results
            for ref in node.inputs {
                remainingUses[ref.node] -= 1
                if remainingUses[ref.node] == 0 { values[ref.node] = nil }
            }
        }
        return graph.outputs.map { values[$0.node]![$0.output] }
    }
}
