import FlexKernels
import FlexTensor

/// MXNet `add_n`/`ElementWiseSum`: the pointwise sum of `num_args` inputs of one shape.
public struct AddNOperator: Operator {
    public static let names = ["add_n", "ElementWiseSum"]
    public let opName: String
    public let argumentCount: Int

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        argumentCount = try attributes.requiredInt("num_args")
        guard argumentCount >= 1 else {
            throw .invalidAttribute("num_args", value: String(argumentCount), expected: "at least 1")
        }
    }

    public func inputNames(inputCount: Int) -> [String] { (0..<argumentCount).map { "arg\($0)" } }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, argumentCount)
        if let index = inputs.firstIndex(where: { $0 != inputs[0] }) {
            throw .invalidInputs("\(opName) needs inputs of one shape: input 0 is \(inputs[0]) but input \(index) is \(inputs[index])")
        }
        return [inputs[0]]
    }

    public func cost(inputs: [Shape], outputs: [Shape]) -> OperatorCost {
        let count = outputs[0].elementCount
        return OperatorCost(flops: Double(count * max(argumentCount - 1, 0)), bytes: Double(count * (argumentCount + 1) * 4))
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        Reference.addN(inputs.map { UnsafePointer($0.floats) }, output: outputs[0].floats, count: outputs[0].elementCount)
    }
}
