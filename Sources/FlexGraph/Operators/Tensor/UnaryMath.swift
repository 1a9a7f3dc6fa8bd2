import FlexKernels
import FlexTensor

/// MXNet's pointwise math operators `exp`, `log`, `sqrt`, `rsqrt`, `square`, `abs`, `negative`,
/// `sigmoid`, `tanh`, `relu`, `ceil`, `floor`, `sin`, `cos`, `arctan`, `erf` and `log2` (see
/// `Reference.UnaryFunction`). The output has the input's dtype; integer inputs compute as MXNet's
/// kernels do (`Reference.unary(_:dtype:…)`: `sqrt` of an int32 is `Int32(sqrtf(Float(x)))`).
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

    public func inferTypes(_ inputs: [DType]) throws(OperatorError) -> [DType] { try commonType(inputs, names: ["data"]) }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        Reference.unary(function, dtype: outputs[0].dtype, input: inputs[0].rawPointer, output: outputs[0].rawPointer,
                        count: outputs[0].elementCount)
    }
}
