import FlexKernels
import FlexTensor

/// MXNet `elemwise_add`/`elemwise_sub`/`elemwise_mul`/`elemwise_div` and their aliases (`_plus`,
/// `_Plus`, `_add`, `_minus`, `_Minus`, `_sub`, `_mul`, `_Mul`, `_div`, `_Div`): pointwise arithmetic
/// on two inputs of the same shape (no broadcasting; use `broadcast_*` for that).
public struct ElementwiseBinaryOperator: Operator {
    static let functions: [String: Reference.BinaryFunction] = [
        "elemwise_add": .add, "_plus": .add, "_Plus": .add, "_add": .add,
        "elemwise_sub": .subtract, "_minus": .subtract, "_Minus": .subtract, "_sub": .subtract,
        "elemwise_mul": .multiply, "_mul": .multiply, "_Mul": .multiply,
        "elemwise_div": .divide, "_div": .divide, "_Div": .divide,
    ]
    public static let names = functions.keys.sorted()
    public let opName: String
    public let function: Reference.BinaryFunction

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        function = Self.functions[opName]!
    }

    public func inputNames(inputCount: Int) -> [String] { ["lhs", "rhs"] }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 2)
        guard inputs[0] == inputs[1] else {
            throw .invalidInputs("\(opName) needs inputs of one shape, got lhs \(inputs[0]) and rhs \(inputs[1]) "
                                 + "(use broadcast_* to broadcast)")
        }
        return [inputs[0]]
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        Reference.binary(function, lhs: inputs[0].floats, rhs: inputs[1].floats, output: outputs[0].floats,
                         count: outputs[0].elementCount)
    }
}
