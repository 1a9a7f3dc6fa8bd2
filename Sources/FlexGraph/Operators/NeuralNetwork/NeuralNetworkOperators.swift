extension OperatorRegistry {
    /// Convolutions, dense layers, normalization, activations, pooling, softmax and friends.
    static let neuralNetworkOperators: [any Operator.Type] = [
        ActivationOperator.self,
    ]
}
