import FlexKernels
import FlexTensor

/// MXNet `stack(data..., axis=0, num_args)`: `num_args` inputs of one shape joined along a new axis
/// `axis` (in `-(rank+1)...rank`).
public struct StackOperator: DataMovementOperator {
    public static let names = ["stack"]
    public let opName: String
    public let argumentCount: Int
    public let axis: Int

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        argumentCount = try attributes.requiredInt("num_args")
        guard argumentCount >= 1 else { throw .invalidAttribute("num_args", value: String(argumentCount), expected: "at least 1") }
        axis = try attributes.int("axis", default: 0)
    }

    public func inputNames(inputCount: Int) -> [String] { (0..<argumentCount).map { "arg\($0)" } }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, argumentCount)
        if let index = inputs.firstIndex(where: { $0 != inputs[0] }) {
            throw .invalidInputs("\(opName) needs inputs of one shape: input 0 is \(inputs[0]) but input \(index) is \(inputs[index])")
        }
        var dims = inputs[0].dims
        let position = try Shape(dims + [1]).normalizedAxis(axis, attribute: "axis", op: opName)
        dims.insert(argumentCount, at: position)
        return [Shape(dims)]
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let shape = inputs[0].shape
        let position = axis < 0 ? axis + shape.rank + 1 : axis
        let outer = shape.product(0..<position)
        let inner = shape.product(position..<shape.rank)
        let size = inputs[0].dtype.size
        for (index, input) in inputs.enumerated() {
            Reference.copyStrided(elementSize: size, shape: [outer, inner], source: input.rawPointer, sourceStrides: [inner, 1],
                                  destination: outputs[0].rawPointer + index * inner * size,
                                  destinationStrides: [argumentCount * inner, 1])
        }
    }
}
