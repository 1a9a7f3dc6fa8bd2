import FlexKernels
import FlexTensor

/// MXNet `clip`: limits values to `[a_min, a_max]` (both required); NaN stays NaN and, when
/// `a_min > a_max`, values above `a_max` become `a_max` and the rest `a_min`, as in MXNet.
public struct ClipOperator: Operator {
    public static let names = ["clip"]
    public let opName: String
    public let lower: Float
    public let upper: Float

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        lower = try attributes.requiredFloat("a_min")
        upper = try attributes.requiredFloat("a_max")
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        return inputs
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        Reference.clip(input: inputs[0].floats, output: outputs[0].floats, count: outputs[0].elementCount,
                       lower: lower, upper: upper)
    }
}
