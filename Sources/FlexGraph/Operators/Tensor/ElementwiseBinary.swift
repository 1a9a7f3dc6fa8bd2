import FlexKernels
import FlexTensor

/// MXNet `elemwise_add`/`elemwise_sub`/`elemwise_mul`/`elemwise_div` and their aliases (`_plus`,
/// `_Plus`, `_add`, `_minus`, `_Minus`, `_sub`, `_mul`, `_Mul`, `_div`, `_Div`), and `_maximum`,
/// `_minimum`, `_mod`, `_power`, `_equal`, `_not_equal`, `_greater`, `_greater_equal`, `_lesser`,
/// `_lesser_equal` (with their CamelCase aliases): pointwise arithmetic on two inputs of the same
/// shape (no broadcasting; use `broadcast_*` for that) and one dtype, which the output keeps.
public struct ElementwiseBinaryOperator: Operator {
    static let functions: [String: Reference.BinaryFunction] = [
        "elemwise_add": .add, "_plus": .add, "_Plus": .add, "_add": .add,
        "elemwise_sub": .subtract, "_minus": .subtract, "_Minus": .subtract, "_sub": .subtract,
        "elemwise_mul": .multiply, "_mul": .multiply, "_Mul": .multiply,
        "elemwise_div": .divide, "_div": .divide, "_Div": .divide,
        "_maximum": .maximum, "_Maximum": .maximum, "_minimum": .minimum, "_Minimum": .minimum,
        "_mod": .modulo, "_Mod": .modulo, "_power": .power, "_Power": .power,
        "_equal": .equal, "_Equal": .equal, "_not_equal": .notEqual, "_Not_Equal": .notEqual,
        "_greater": .greater, "_Greater": .greater, "_greater_equal": .greaterEqual, "_Greater_Equal": .greaterEqual,
        "_lesser": .lesser, "_Lesser": .lesser, "_lesser_equal": .lesserEqual, "_Lesser_Equal": .lesserEqual,
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

    public func inferTypes(_ inputs: [DType]) throws(OperatorError) -> [DType] { try commonType(inputs, names: ["lhs", "rhs"]) }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        Reference.binary(function, dtype: outputs[0].dtype, lhs: inputs[0].rawPointer, rhs: inputs[1].rawPointer,
                         output: outputs[0].rawPointer, count: outputs[0].elementCount)
    }
}
