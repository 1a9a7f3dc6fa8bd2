import Foundation

extension Reference {
    /// Pointwise one-operand functions of MXNet's `elemwise_unary_op` family. NaN stays NaN in every
    /// one (MXNet's `relu` keeps NaN, unlike `max(x, 0)`).
    public enum UnaryFunction: String, Sendable, CaseIterable {
        case exp, log, sqrt, rsqrt, square, abs, negative, sigmoid, tanh, relu

        @inline(__always)
        public func apply(_ x: Float) -> Float {
            switch self {
            case .exp: Foundation.exp(x)
            case .log: Foundation.log(x)
            case .sqrt: x.squareRoot()
            case .rsqrt: 1 / x.squareRoot()
            case .square: x * x
            case .abs: Swift.abs(x)
            case .negative: -x
            case .sigmoid: 1 / (1 + Foundation.exp(-x))
            case .tanh: Foundation.tanh(x)
            case .relu: x.isNaN || x > 0 ? x : 0
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
