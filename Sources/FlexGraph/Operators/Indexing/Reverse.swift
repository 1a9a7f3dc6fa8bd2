import FlexKernels
import FlexTensor

/// MXNet `reverse` (alias `flip`): the elements in reverse order along every axis of `axis`
/// (required, negatives allowed).
public struct ReverseOperator: DataMovementOperator {
    public static let names = ["reverse", "flip"]
    public let opName: String
    public let axes: [Int]

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        guard let axes = try attributes.intTuple("axis") else { throw .missingAttribute("axis") }
        self.axes = axes
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        for axis in axes { _ = try inputs[0].normalizedAxis(axis, attribute: "axis", op: opName) }
        return inputs
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let data = inputs[0]
        let dims = data.shape.dims
        var strides = Reference.contiguousStrides(dims)
        var offset = 0
        for axis in Set(axes.map { $0 < 0 ? $0 + dims.count : $0 }) where dims[axis] > 0 {
            offset += (dims[axis] - 1) * strides[axis]
            strides[axis] = -strides[axis]
        }
        Reference.copyStrided(elementSize: data.dtype.size, shape: dims, source: data.rawPointer + offset * data.dtype.size,
                              sourceStrides: strides, destination: outputs[0].rawPointer, destinationStrides: Reference.contiguousStrides(dims))
    }
}
