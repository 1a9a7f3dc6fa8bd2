extension OperatorRegistry {
    /// Shape manipulation, elementwise and broadcast arithmetic, reductions, indexing, matrix products.
    static let tensorOperators: [any Operator.Type] = [
    ]
}
