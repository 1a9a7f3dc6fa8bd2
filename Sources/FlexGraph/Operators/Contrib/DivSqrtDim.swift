import FlexKernels
import FlexTensor

/// MXNet `_contrib_div_sqrt_dim(data)`: `data / sqrt(data.shape[-1])` (attention score scaling).
public struct DivSqrtDimOperator: Operator {
    public static let names = ["_contrib_div_sqrt_dim"]
    public let opName: String

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        guard inputs[0].rank >= 1 else { throw .invalidInputs("\(opName) needs data of rank 1 or more, got \(inputs[0])") }
        return inputs
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        var divisor = Float(inputs[0].shape[inputs[0].shape.rank - 1]).squareRoot()
        Reference.binary(.divide, lhs: inputs[0].floats, rhs: &divisor, rhsStride: 0, output: outputs[0].floats, count: outputs[0].elementCount)
    }
}
