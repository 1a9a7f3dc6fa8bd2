import FlexKernels
import FlexTensor

/// MXNet `repeat(data, repeats, axis=None)`: each element repeated `repeats` times along `axis`
/// (negatives allowed), or of the flattened input when `axis` is None (a 1-D output).
public struct RepeatOperator: DataMovementOperator {
    public static let names = ["repeat"]
    public let opName: String
    public let repeats: Int
    public let axis: Int?

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        repeats = try attributes.requiredInt("repeats")
        guard repeats >= 0 else { throw .invalidAttribute("repeats", value: String(repeats), expected: "a non-negative integer") }
        axis = try attributes.int("axis")
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        guard let axis else { return [Shape([inputs[0].elementCount * repeats])] }
        var output = inputs[0]
        output[try output.normalizedAxis(axis, attribute: "axis", op: opName)] *= repeats
        return [output]
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let data = inputs[0]
        let shape = data.shape
        let position = axis.map { $0 < 0 ? $0 + shape.rank : $0 }
        let outer = position.map { shape.product(0..<$0) } ?? 1
        let length = position.map { shape[$0] } ?? shape.elementCount
        let inner = position.map { shape.product(($0 + 1)..<shape.rank) } ?? 1
        let view = [outer, length, repeats, inner]
        Reference.copyStrided(elementSize: data.dtype.size, shape: view, source: data.rawPointer,
                              sourceStrides: [length * inner, inner, 0, 1],
                              destination: outputs[0].rawPointer, destinationStrides: Reference.contiguousStrides(view))
    }
}
