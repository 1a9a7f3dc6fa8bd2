import FlexKernels
import FlexTensor

/// MXNet's pointwise math operators `exp`, `log`, `sqrt`, `rsqrt`, `square`, `abs`, `negative`,
/// `sigmoid`, `tanh` and `relu` (see `Reference.UnaryFunction`).
public struct UnaryMathOperator: Operator {
    public static let names = Reference.UnaryFunction.allCases.map(\.rawValue)
    public let opName: String
    public let function: Reference.UnaryFunction

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        function = Reference.UnaryFunction(rawValue: opName)!
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        return inputs
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        Reference.unary(function, input: inputs[0].floats, output: outputs[0].floats, count: outputs[0].elementCount)
    }
}
