extension OperatorRegistry {
    /// Nodes that compilers write into compiled checkpoints (`_neuron_subgraph_op`).
    static let compiledOperators: [any Operator.Type] = [
        NeuronSubgraphOperator.self,
    ]
}
