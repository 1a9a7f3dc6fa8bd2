import FlexKernels
import FlexTensor

/// MXNet `SliceChannel`/`split`: cuts the input into `num_outputs` equal parts along `axis` (default
/// 1, negatives allowed). With `squeeze_axis` the axis must have exactly `num_outputs` elements and
/// is removed from every part.
public struct SliceChannelOperator: DataMovementOperator {
    public static let names = ["SliceChannel", "split"]
    public let opName: String
    public let outputCount: Int
    public let axis: Int
    public let squeezeAxis: Bool

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        outputCount = try attributes.requiredInt("num_outputs")
        axis = try attributes.int("axis", default: 1)
        squeezeAxis = try attributes.bool("squeeze_axis", default: false)
        guard outputCount >= 1 else {
            throw .invalidAttribute("num_outputs", value: String(outputCount), expected: "at least 1")
        }
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        let input = inputs[0]
        let position = try input.normalizedAxis(axis, attribute: "axis", op: opName)
        let size = input[position]
        if squeezeAxis {
            guard size == outputCount else {
                throw .invalidInputs("\(opName) with squeeze_axis: axis \(position) of input \(input) has size \(size), "
                                     + "expected num_outputs=\(outputCount)")
            }
        } else {
            guard size % outputCount == 0 else {
                throw .invalidInputs("\(opName): axis \(position) of input \(input) has size \(size), "
                                     + "which num_outputs=\(outputCount) does not divide")
            }
        }
        var part = input.dims
        if squeezeAxis { part.remove(at: position) } else { part[position] = size / outputCount }
        return Array(repeating: Shape(part), count: outputCount)
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let input = inputs[0]
        let position = axis < 0 ? axis + input.shape.rank : axis
        Reference.split(elementSize: input.dtype.size, shape: input.shape.dims, axis: position,
                        sizes: Array(repeating: input.shape[position] / outputCount, count: outputCount),
                        source: input.rawPointer, destinations: outputs.map(\.rawPointer))
    }
}
