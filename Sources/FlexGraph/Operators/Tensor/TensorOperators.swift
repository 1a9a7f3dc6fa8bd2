extension OperatorRegistry {
    /// Shape manipulation, elementwise and broadcast arithmetic, reductions, indexing, matrix products.
    static let tensorOperators: [any Operator.Type] = [
        // Shape and data movement
        FlattenOperator.self,
        ReshapeOperator.self,
        TransposeOperator.self,
        ExpandDimsOperator.self,
        SqueezeOperator.self,
        ConcatOperator.self,
        SliceChannelOperator.self,
        SliceOperator.self,
        SliceAxisOperator.self,
        IdentityOperator.self,
        FillLikeOperator.self,
        FullOperator.self,
        WhereOperator.self,
        // Indexing and conversion
        TakeOperator.self,
        EmbeddingOperator.self,
        CastOperator.self,
        AmpCastOperator.self,
        // Matrix products
        DotOperator.self,
        BatchDotOperator.self,
        // Elementwise arithmetic
        ElementwiseBinaryOperator.self,
        AddNOperator.self,
        BroadcastBinaryOperator.self,
        ScalarArithmeticOperator.self,
        UnaryMathOperator.self,
        ClipOperator.self,
        // Reductions
        ReduceOperator.self,
        ArgmaxOperator.self,
    ]
}
