import FlexTensor

/// MXNet `squeeze`: removes size-1 axes. Without `axis`, every size-1 axis goes (an all-ones shape
/// becomes `(1,)`, as in MXNet); with `axis` (an int or tuple, negatives allowed, no duplicates) only
/// those, each of which must have size 1. `axis=()` removes nothing.
public struct SqueezeOperator: DataMovementOperator {
    public static let names = ["squeeze"]
    public let opName: String
    /// nil: every size-1 axis.
    public let axis: [Int]?

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        axis = try attributes.intTuple("axis")
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        let input = inputs[0]
        var remove = Set<Int>()
        if let axis {
            for value in axis {
                let position = try input.normalizedAxis(value, attribute: "axis", op: opName)
                guard remove.insert(position).inserted else {
                    throw .invalidInputs("\(opName): axis \(Shape(axis)) names axis \(position) twice")
                }
                guard input[position] == 1 else {
                    throw .invalidInputs("\(opName): axis \(value) of input \(input) has size \(input[position]); only size-1 axes can be squeezed")
                }
            }
        } else {
            remove = Set(input.dims.indices.filter { input[$0] == 1 })
        }
        let dims = input.dims.indices.filter { !remove.contains($0) }.map { input[$0] }
        return [Shape(dims.isEmpty ? [1] : dims)]
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        outputs[0].rawPointer.copyMemory(from: inputs[0].rawPointer, byteCount: inputs[0].byteCount)
    }
}
