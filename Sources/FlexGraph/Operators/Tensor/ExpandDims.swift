import FlexTensor

/// MXNet `expand_dims`: inserts a size-1 axis at `axis`, which may be in `[-rank-1, rank]`
/// (negative counts from the end of the *output*: `-1` appends).
public struct ExpandDimsOperator: DataMovementOperator {
    public static let names = ["expand_dims"]
    public let opName: String
    public let axis: Int

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        axis = try attributes.requiredInt("axis")
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        let input = inputs[0]
        let position = axis < 0 ? axis + input.rank + 1 : axis
        guard position >= 0 && position <= input.rank else {
            throw .invalidInputs("\(opName): axis=\(axis) is out of range for input of shape \(input) (valid: \(-input.rank - 1)...\(input.rank))")
        }
        var dims = input.dims
        dims.insert(1, at: position)
        return [Shape(dims)]
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        outputs[0].rawPointer.copyMemory(from: inputs[0].rawPointer, byteCount: inputs[0].byteCount)
    }
}
