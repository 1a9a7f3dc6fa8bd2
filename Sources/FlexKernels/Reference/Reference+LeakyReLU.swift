import Foundation

extension Reference {
    /// The parameter-free functions of MXNet's `LeakyReLU` (`prelu` takes a gamma tensor: see
    /// `parametricReLU`; `rrelu` at inference is `leaky` with the mean slope).
    public enum LeakyReLUFunction: Sendable, Equatable {
        /// `x > 0 ? x : slope * x`.
        case leaky(slope: Float)
        /// `x > 0 ? x : slope * (exp(x) - 1)`.
        case elu(slope: Float)
        /// `lambda * (x > 0 ? x : alpha * (exp(x) - 1))` with MXNet's SELU constants.
        case selu
        /// `0.5 * x * (1 + erf(x / sqrt(2)))` (the exact, erf-based GELU).
        case gelu

        static let seluAlpha: Float = 1.6732632423543772848170429916717
        static let seluLambda: Float = 1.0507009873554804934193349852946
        static let inverseSquareRootOfTwo: Float = 0.70710678118654752440

        @inline(__always)
        public func apply(_ x: Float) -> Float {
            switch self {
            case .leaky(let slope): x > 0 ? x : x * slope
            case .elu(let slope): x > 0 ? x : slope * Foundation.expm1(x)
            case .selu: Self.seluLambda * (x > 0 ? x : Self.seluAlpha * Foundation.expm1(x))
            case .gelu: 0.5 * x * (1 + Foundation.erf(x * Self.inverseSquareRootOfTwo))
            }
        }
    }

    /// `output[i] = function(input[i])` for `count` elements; `output` may equal `input`.
    public static func leakyReLU(_ function: LeakyReLUFunction, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int) {
        for index in 0..<count { output[index] = function.apply(input[index]) }
    }

    /// MXNet's `prelu`: `output = x > 0 ? x : gamma * x` over data viewed as `(outer, channels, inner)`,
    /// where the slope for `(o, c)` is `gamma[o * outerStride + c * channelStride]` (strides 0 broadcast).
    /// `output` may equal `input`.
    public static func parametricReLU(input: UnsafePointer<Float>, gamma: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                                      outer: Int, channels: Int, inner: Int, outerStride: Int, channelStride: Int) {
        for o in 0..<outer {
            for c in 0..<channels {
                let slope = gamma[o * outerStride + c * channelStride]
                let offset = (o * channels + c) * inner
                let x = input + offset, y = output + offset
                for i in 0..<inner { y[i] = x[i] > 0 ? x[i] : x[i] * slope }
            }
        }
    }
}
