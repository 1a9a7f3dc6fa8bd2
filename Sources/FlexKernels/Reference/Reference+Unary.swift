import Foundation

extension Reference {
    /// Pointwise one-operand functions of MXNet's `elemwise_unary_op` family. NaN stays NaN in every
    /// one (MXNet's `relu` keeps NaN, unlike `max(x, 0)`). `erf` and `log2` are the C library's.
    public enum UnaryFunction: String, Sendable, CaseIterable {
        case exp, log, sqrt, rsqrt, square, abs, negative, sigmoid, tanh, relu
        case ceil, floor, sin, cos, arctan, erf, log2

        @inline(__always)
        public func apply(_ x: Float) -> Float { evaluate(x) }

        /// The function in double precision (MXNet's float64 kernels).
        @inline(__always)
        public func applyDouble(_ x: Double) -> Double { evaluate(x) }

        @inline(__always)
        func evaluate<T: LibmFloatingPoint>(_ x: T) -> T {
            switch self {
            case .exp: T.libmExp(x)
            case .log: T.libmLog(x)
            case .sqrt: x.squareRoot()
            case .rsqrt: 1 / x.squareRoot()
            case .square: x * x
            case .abs: Swift.abs(x)
            case .negative: -x
            case .sigmoid: 1 / (1 + T.libmExp(-x))
            case .tanh: T.libmTanh(x)
            case .relu: x.isNaN || x > 0 ? x : 0
            case .ceil: x.rounded(.up)
            case .floor: x.rounded(.down)
            case .sin: T.libmSin(x)
            case .cos: T.libmCos(x)
            case .arctan: T.libmAtan(x)
            case .erf: T.libmErf(x)
            case .log2: T.libmLog2(x)
            }
        }
    }

    /// `output[i] = function(input[i])` for `count` elements; `output` may equal `input`.
    public static func unary(_ function: UnaryFunction, input: UnsafePointer<Float>,
                             output: UnsafeMutablePointer<Float>, count: Int) {
        switch function {
        case .square: for i in 0..<count { output[i] = input[i] * input[i] }
        case .negative: for i in 0..<count { output[i] = -input[i] }
        default: for i in 0..<count { output[i] = function.apply(input[i]) }
        }
    }

    /// MXNet's `clip`: values above `upper` become `upper`, then values below `lower` become `lower`
    /// (so `upper` wins when `lower > upper`); NaN stays NaN. `output` may equal `input`.
    public static func clip(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int,
                            lower: Float, upper: Float) {
        for i in 0..<count {
            let x = input[i]
            output[i] = x > upper ? upper : (x < lower ? lower : x)
        }
    }
}

/// The C library's math functions for float (`expf`, …) and double (`exp`, …), so one generic body
/// serves MXNet's float32 and float64 kernels.
protocol LibmFloatingPoint: BinaryFloatingPoint {
    static func libmExp(_ x: Self) -> Self
    static func libmLog(_ x: Self) -> Self
    static func libmLog2(_ x: Self) -> Self
    static func libmTanh(_ x: Self) -> Self
    static func libmSin(_ x: Self) -> Self
    static func libmCos(_ x: Self) -> Self
    static func libmAtan(_ x: Self) -> Self
    static func libmErf(_ x: Self) -> Self
    static func libmPow(_ x: Self, _ y: Self) -> Self
}

extension Float: LibmFloatingPoint {
    static func libmExp(_ x: Float) -> Float { Foundation.exp(x) }
    static func libmLog(_ x: Float) -> Float { Foundation.log(x) }
    static func libmLog2(_ x: Float) -> Float { Foundation.log2(x) }
    static func libmTanh(_ x: Float) -> Float { Foundation.tanh(x) }
    static func libmSin(_ x: Float) -> Float { Foundation.sin(x) }
    static func libmCos(_ x: Float) -> Float { Foundation.cos(x) }
    static func libmAtan(_ x: Float) -> Float { Foundation.atan(x) }
    static func libmErf(_ x: Float) -> Float { Foundation.erf(x) }
    static func libmPow(_ x: Float, _ y: Float) -> Float { Foundation.pow(x, y) }
}

extension Double: LibmFloatingPoint {
    static func libmExp(_ x: Double) -> Double { Foundation.exp(x) }
    static func libmLog(_ x: Double) -> Double { Foundation.log(x) }
    static func libmLog2(_ x: Double) -> Double { Foundation.log2(x) }
    static func libmTanh(_ x: Double) -> Double { Foundation.tanh(x) }
    static func libmSin(_ x: Double) -> Double { Foundation.sin(x) }
    static func libmCos(_ x: Double) -> Double { Foundation.cos(x) }
    static func libmAtan(_ x: Double) -> Double { Foundation.atan(x) }
    static func libmErf(_ x: Double) -> Double { Foundation.erf(x) }
    static func libmPow(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
}
