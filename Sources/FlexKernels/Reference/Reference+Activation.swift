import Foundation

extension Reference {
    /// Pointwise activation functions of MXNet's `Activation` operator.
    public enum ActivationFunction: String, Sendable, CaseIterable {
        case relu, sigmoid, tanh, softrelu, softsign

        @inline(__always)
        public func apply(_ x: Float) -> Float {
            switch self {
            case .relu: x > 0 ? x : 0
            case .sigmoid: 1 / (1 + Foundation.exp(-x))
            case .tanh: Foundation.tanh(x)
            // log(1 + exp(x)), computed without overflow for large x.
            case .softrelu: x > 20 ? x : Foundation.log1p(Foundation.exp(x))
            case .softsign: x / (1 + Swift.abs(x))
            }
        }
    }

    /// `output[i] = function(input[i])` for `count` elements; `output` may equal `input`.
    public static func activation(_ function: ActivationFunction, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int) {
        for index in 0..<count { output[index] = function.apply(input[index]) }
    }
}
