import Foundation

extension Reference {
    /// Pointwise two-operand functions of MXNet's `elemwise_*`, `broadcast_*` and `_*_scalar` families.
    /// `maximum` and `minimum` return NaN when either operand is NaN, as MXNet 1.9 does. `modulo` is
    /// MXNet's `mod` (the divisor's sign, computed in double). The comparisons give 1 or 0 in the
    /// operands' dtype (NaN compares unequal to everything, itself included).
    public enum BinaryFunction: String, Sendable, CaseIterable {
        case add, subtract, multiply, divide, maximum, minimum, power, modulo
        case equal, notEqual, greater, greaterEqual, lesser, lesserEqual

        @inline(__always)
        public func apply(_ a: Float, _ b: Float) -> Float { evaluate(a, b) }

        /// `function(a, b)` in double precision (MXNet's float64 kernels).
        @inline(__always)
        public func applyDouble(_ a: Double, _ b: Double) -> Double { evaluate(a, b) }

        @inline(__always)
        func evaluate<T: LibmFloatingPoint>(_ a: T, _ b: T) -> T {
            switch self {
            case .add: a + b
            case .subtract: a - b
            case .multiply: a * b
            case .divide: a / b
            case .maximum: a > b || a.isNaN ? a : b
            case .minimum: a < b || a.isNaN ? a : b
            case .power: T.libmPow(a, b)
            case .modulo: T(Self.modulo(Double(a), Double(b)))
            case .equal: a == b ? 1 : 0
            case .notEqual: a != b ? 1 : 0
            case .greater: a > b ? 1 : 0
            case .greaterEqual: a >= b ? 1 : 0
            case .lesser: a < b ? 1 : 0
            case .lesserEqual: a <= b ? 1 : 0
            }
        }
    }

    /// `output[i] = function(lhs[i * lhsStride], rhs[i * rhsStride])` for `count` elements. A stride of
    /// 0 repeats one value (a broadcast operand or a scalar). `output` may equal an operand whose
    /// stride is 1.
    public static func binary(_ function: BinaryFunction,
                              lhs: UnsafePointer<Float>, lhsStride: Int = 1,
                              rhs: UnsafePointer<Float>, rhsStride: Int = 1,
                              output: UnsafeMutablePointer<Float>, count: Int) {
        // One loop per function, so the function is chosen once per row and not per element.
        switch function {
        case .add: for i in 0..<count { output[i] = lhs[i * lhsStride] + rhs[i * rhsStride] }
        case .subtract: for i in 0..<count { output[i] = lhs[i * lhsStride] - rhs[i * rhsStride] }
        case .multiply: for i in 0..<count { output[i] = lhs[i * lhsStride] * rhs[i * rhsStride] }
        case .divide: for i in 0..<count { output[i] = lhs[i * lhsStride] / rhs[i * rhsStride] }
        default:
            for i in 0..<count { output[i] = function.apply(lhs[i * lhsStride], rhs[i * rhsStride]) }
        }
    }

    /// `output = inputs[0] + inputs[1] + …`, summed left to right, for `count` elements each.
    public static func addN(_ inputs: [UnsafePointer<Float>], output: UnsafeMutablePointer<Float>, count: Int) {
        guard let first = inputs.first else {
            output.update(repeating: 0, count: count)
            return
        }
        output.update(from: first, count: count)
        for input in inputs.dropFirst() {
            for i in 0..<count { output[i] += input[i] }
        }
    }
}
