import FlexTensor

/// MXNet's legacy `Convolution_v1` and `Pooling_v1` (old checkpoints, and on neuron-cc's list): the
/// same computation as `Convolution` and `Pooling` over a smaller attribute schema — v1 pooling has
/// no `same` convention, `lp` type, `count_include_pad` (always True), `layout` or `cudnn_off`. An
/// attribute outside the v1 schema is left unread, so it is reported as unknown, as MXNet does.
public struct LegacyV1Operator: Operator {
    public static let names = ["Convolution_v1", "Pooling_v1"]
    static let convolutionSchema = ["kernel", "stride", "dilate", "pad", "num_filter", "num_group", "workspace", "no_bias",
                                    "cudnn_tune", "cudnn_off", "layout"]
    static let poolingSchema = ["kernel", "pool_type", "global_pool", "pooling_convention", "stride", "pad"]
    public let opName: String
    /// The current operator doing the work.
    public let current: any Operator

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        let pooling = opName == "Pooling_v1"
        let schema = pooling ? Self.poolingSchema : Self.convolutionSchema
        var known = attributes.raw.filter { schema.contains($0.key) || ($0.key.hasPrefix("__") && $0.key.hasSuffix("__")) }
        for key in known.keys { _ = attributes.string(key) }
        if pooling {
            _ = try attributes.choice("pool_type", ["avg", "max", "sum"], default: "max")
            _ = try attributes.choice("pooling_convention", ["full", "valid"], default: "valid")
            known["count_include_pad"] = "True"
        }
        var reader = AttributeReader(known)
        current = pooling ? try PoolingOperator(opName: "Pooling", attributes: &reader)
                          : try ConvolutionOperator(opName: "Convolution", attributes: &reader)
    }

    public func inputNames(inputCount: Int) -> [String] { current.inputNames(inputCount: inputCount) }
    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] { try current.inferShapes(inputs) }
    public func expectedInputShapes(_ known: [Shape?]) -> [Shape?] { current.expectedInputShapes(known) }
    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost { current.cost(inputs: inputs, outputs: outputs) }
    public func execute(inputs: [Tensor], outputs: [Tensor]) { current.execute(inputs: inputs, outputs: outputs) }
}
