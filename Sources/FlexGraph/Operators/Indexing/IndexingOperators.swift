extension OperatorRegistry {
    /// Shape-driven construction, broadcasting, reordering, gathering, padding, masking and sorting:
    /// the operators GluonCV's detection heads and GluonNLP's encoders build their indices with.
    static let indexingOperators: [any Operator.Type] = [
        SliceLikeOperator.self,
        ArangeOperator.self,
        BroadcastToOperator.self,
        TileOperator.self,
        RepeatOperator.self,
        StackOperator.self,
        ShapeArrayOperator.self,
        ReverseOperator.self,
        SwapAxisOperator.self,
        ReshapeLikeOperator.self,
        GatherNDOperator.self,
        PadOperator.self,
        SequenceMaskOperator.self,
        TopKOperator.self,
    ]
}
