import FlexTensor

/// MXNet `_copy` (alias `identity`) and `BlockGrad` (alias `stop_gradient`): at inference both pass
/// their input through unchanged, in any dtype.
public struct IdentityOperator: DataMovementOperator {
    public static let names = ["_copy", "identity", "BlockGrad", "stop_gradient"]
    public let opName: String

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        return inputs
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        outputs[0].rawPointer.copyMemory(from: inputs[0].rawPointer, byteCount: inputs[0].byteCount)
    }
}
