import FlexKernels
import FlexTensor

/// MXNet `Activation` (alias `_npx_activation`): `act_type` relu, sigmoid, tanh, softrelu or softsign, elementwise.
public struct ActivationOperator: Operator {
    public static let names = ["Activation", "_npx_activation"]
    public let opName: String
    public let function: Reference.ActivationFunction

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        let name = try attributes.requiredString("act_type")
        guard let function = Reference.ActivationFunction(rawValue: name) else {
            throw .invalidAttribute("act_type", value: name,
                                    expected: "one of " + Reference.ActivationFunction.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self.function = function
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        return inputs
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        Reference.activation(function, input: inputs[0].floats, output: outputs[0].floats, count: inputs[0].elementCount)
    }
}
