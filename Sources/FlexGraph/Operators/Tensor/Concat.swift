import FlexKernels
import FlexTensor

/// MXNet `Concat`/`concat`: joins `num_args` inputs along `dim` (default 1, negatives allowed). All
/// inputs have one rank and agree on every other axis.
public struct ConcatOperator: DataMovementOperator {
    public static let names = ["Concat", "concat"]
    public let opName: String
    public let argumentCount: Int
    public let dim: Int

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        argumentCount = try attributes.requiredInt("num_args")
        dim = try attributes.int("dim", default: 1)
        guard argumentCount >= 1 else {
            throw .invalidAttribute("num_args", value: String(argumentCount), expected: "at least 1")
        }
    }

    public func inputNames(inputCount: Int) -> [String] { (0..<argumentCount).map { "arg\($0)" } }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, argumentCount)
        let first = inputs[0]
        let axis = try first.normalizedAxis(dim, attribute: "dim", op: opName)
        var output = first
        for (index, shape) in inputs.enumerated().dropFirst() {
            var expected = first
            expected[axis] = shape.rank == first.rank ? shape[axis] : 0
            guard shape.rank == first.rank, shape == expected else {
                throw .invalidInputs("\(opName) along dim \(dim): input \(index) has shape \(shape), expected \(first) "
                                     + "with any size on axis \(axis)")
            }
            output[axis] += shape[axis]
        }
        return [output]
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let axis = dim < 0 ? dim + inputs[0].shape.rank : dim
        Reference.concatenate(elementSize: inputs[0].dtype.size, shapes: inputs.map(\.shape.dims), axis: axis,
                              sources: inputs.map { UnsafeRawPointer($0.rawPointer) }, destination: outputs[0].rawPointer)
    }
}
