import FlexTensor

/// MXNet `Flatten`/`flatten`: `(d0, d1, …, dn)` → `(d0, d1 * … * dn)`; a 1-D input `(d0,)` becomes
/// `(d0, 1)`. Row-major order is unchanged, so the kernel is a copy.
public struct FlattenOperator: DataMovementOperator {
    public static let names = ["Flatten", "flatten"]
    public let opName: String

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        let shape = inputs[0]
        guard shape.rank >= 1 else { throw .invalidInputs("\(opName) needs an input of rank 1 or more, got shape \(shape)") }
        return [Shape([shape[0], shape.product(1..<shape.rank)])]
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        outputs[0].rawPointer.copyMemory(from: inputs[0].rawPointer, byteCount: inputs[0].byteCount)
    }
}
