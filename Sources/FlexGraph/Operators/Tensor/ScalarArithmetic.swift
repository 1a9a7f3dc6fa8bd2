import FlexKernels
import FlexTensor

/// MXNet's tensor–scalar arithmetic (`x + 2`, `1 / x` in Python): `_plus_scalar`, `_minus_scalar`,
/// `_rminus_scalar` (`scalar - x`), `_mul_scalar`, `_div_scalar`, `_rdiv_scalar` (`scalar / x`),
/// `_power_scalar` (`x ** scalar`), `_rpower_scalar` (`scalar ** x`), `_maximum_scalar`,
/// `_minimum_scalar`, and their CamelCase aliases (`_PlusScalar`, …). `scalar` (default 1) is applied
/// as float32, as MXNet casts it to the input's dtype; `is_int` only matters for integer inputs.
public struct ScalarArithmeticOperator: Operator {
    /// Function, and whether the scalar is the left operand.
    static let functions: [String: (Reference.BinaryFunction, scalarFirst: Bool)] = [
        "_plus_scalar": (.add, false), "_PlusScalar": (.add, false),
        "_minus_scalar": (.subtract, false), "_MinusScalar": (.subtract, false),
        "_rminus_scalar": (.subtract, true), "_RMinusScalar": (.subtract, true),
        "_mul_scalar": (.multiply, false), "_MulScalar": (.multiply, false),
        "_div_scalar": (.divide, false), "_DivScalar": (.divide, false),
        "_rdiv_scalar": (.divide, true), "_RDivScalar": (.divide, true),
        "_power_scalar": (.power, false), "_PowerScalar": (.power, false),
        "_rpower_scalar": (.power, true), "_RPowerScalar": (.power, true),
        "_maximum_scalar": (.maximum, false), "_MaximumScalar": (.maximum, false),
        "_minimum_scalar": (.minimum, false), "_MinimumScalar": (.minimum, false),
    ]
    public static let names = functions.keys.sorted()
    public let opName: String
    public let function: Reference.BinaryFunction
    public let scalarFirst: Bool
    public let scalar: Float

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        (function, scalarFirst) = Self.functions[opName]!
        scalar = try attributes.float("scalar", default: 1)
        _ = try attributes.bool("is_int", default: true)
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        return inputs
    }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let count = outputs[0].elementCount
        withUnsafePointer(to: scalar) { scalar in
            if scalarFirst {
                Reference.binary(function, lhs: scalar, lhsStride: 0, rhs: inputs[0].floats, output: outputs[0].floats, count: count)
            } else {
                Reference.binary(function, lhs: inputs[0].floats, rhs: scalar, rhsStride: 0, output: outputs[0].floats, count: count)
            }
        }
    }
}
