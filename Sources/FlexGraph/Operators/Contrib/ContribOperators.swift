extension OperatorRegistry {
    /// The neural-network operators of GluonCV's and GluonNLP's models: adaptive pooling, bilinear
    /// resizing, group and L2 normalization, interleaved multi-head attention.
    static let contribOperators: [any Operator.Type] = [
        AdaptiveAvgPooling2DOperator.self,
        BilinearResize2DOperator.self,
        GroupNormOperator.self,
        L2NormalizationOperator.self,
        DivSqrtDimOperator.self,
        InterleavedMatMulOperator.self,
        BoxNMSOperator.self,
        BoxDecodeOperator.self,
        ROIAlignOperator.self,
        ModulatedDeformableConvolutionOperator.self,
    ]
}
