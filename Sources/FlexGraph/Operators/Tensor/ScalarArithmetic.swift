import FlexKernels
import FlexTensor

/// MXNet's tensor–scalar arithmetic and comparisons (`x + 2`, `1 / x`, `x > 0.5` in Python):
/// `_plus_scalar`, `_minus_scalar`, `_rminus_scalar` (`scalar - x`), `_mul_scalar`, `_div_scalar`,
/// `_rdiv_scalar` (`scalar / x`), `_power_scalar` (`x ** scalar`), `_rpower_scalar` (`scalar ** x`),
/// `_mod_scalar`, `_rmod_scalar`, `_maximum_scalar`, `_minimum_scalar`, `_equal_scalar`,
/// `_not_equal_scalar`, `_greater_scalar`, `_greater_equal_scalar`, `_lesser_scalar`,
/// `_lesser_equal_scalar`, and their CamelCase aliases (`_PlusScalar`, `_EqualScalar`, …).
///
/// The output has the input's dtype (comparisons give 1 or 0 in it). `scalar` (a double, default 1)
/// is first converted to that dtype, as MXNet's `DType(scalar)` does: for an int32 input `x * 1.5`
/// is `x * 1` and `x == 3.5` is `x == 3`. `is_int` has no effect on these legacy operators.
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
        "_mod_scalar": (.modulo, false), "_ModScalar": (.modulo, false),
        "_rmod_scalar": (.modulo, true), "_RModScalar": (.modulo, true),
        "_maximum_scalar": (.maximum, false), "_MaximumScalar": (.maximum, false),
        "_minimum_scalar": (.minimum, false), "_MinimumScalar": (.minimum, false),
        "_equal_scalar": (.equal, false), "_EqualScalar": (.equal, false),
        "_not_equal_scalar": (.notEqual, false), "_NotEqualScalar": (.notEqual, false),
        "_greater_scalar": (.greater, false), "_GreaterScalar": (.greater, false),
        "_greater_equal_scalar": (.greaterEqual, false), "_GreaterEqualScalar": (.greaterEqual, false),
        "_lesser_scalar": (.lesser, false), "_LesserScalar": (.lesser, false),
        "_lesser_equal_scalar": (.lesserEqual, false), "_LesserEqualScalar": (.lesserEqual, false),
    ]
    public static let names = functions.keys.sorted()
    public let opName: String
    public let function: Reference.BinaryFunction
    public let scalarFirst: Bool
    public let scalar: Double

    public init(opName: String, attributes: inout AttributeReader) throws(OperatorError) {
        self.opName = opName
        (function, scalarFirst) = Self.functions[opName]!
        scalar = try attributes.double("scalar", default: 1)
        _ = try attributes.bool("is_int", default: true)
    }

    public func inferShapes(_ inputs: [Shape]) throws(OperatorError) -> [Shape] {
        try requireInputCount(inputs, 1)
        return inputs
    }

    public func inferTypes(_ inputs: [DType]) throws(OperatorError) -> [DType] { try commonType(inputs, names: ["data"]) }

    public func execute(inputs: [Tensor], outputs: [Tensor]) {
        let dtype = inputs[0].dtype
        var storage: UInt64 = 0
        withUnsafeMutableBytes(of: &storage) { bytes in
            let value = bytes.baseAddress!
            Reference.storeReal(scalar, value, dtype, 0)
            let data = UnsafeRawPointer(inputs[0].rawPointer)
            let output = outputs[0].rawPointer
            let count = outputs[0].elementCount
            if scalarFirst {
                Reference.binary(function, dtype: dtype, lhs: value, lhsStride: 0, rhs: data, output: output, count: count)
            } else {
                Reference.binary(function, dtype: dtype, lhs: data, rhs: value, rhsStride: 0, output: output, count: count)
            }
        }
    }
}
