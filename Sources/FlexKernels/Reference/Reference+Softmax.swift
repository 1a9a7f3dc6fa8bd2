import Foundation

extension Reference {
    /// Which of MXNet's softmax family to compute along the axis.
    public enum SoftmaxVariant: Sendable, Equatable {
        /// `exp(x - max) / sum(exp(x - max))`.
        case softmax
        /// `(x - max) - log(sum(exp(x - max)))`.
        case logSoftmax
        /// Softmax of `-x`.
        case softmin
    }

    /// Softmax along the middle axis of `(outer, axisSize, inner)` data, with MXNet's arithmetic: the
    /// maximum is taken over the raw (possibly negated) inputs and `(x - max) / temperature` is
    /// exponentiated.
    ///
    /// `lengths`, when given, holds one valid length per `(outer, inner)` position (row-major): only the
    /// first `length` elements along the axis take part, the rest of the output is 0 (MXNet's
    /// `use_length`). `output` may equal `input`.
    public static func softmax(_ variant: SoftmaxVariant, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                               outer: Int, axisSize: Int, inner: Int, temperature: Float = 1, lengths: [Int]? = nil) {
        guard axisSize > 0 else { return }
        let sign: Float = variant == .softmin ? -1 : 1
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * axisSize * inner + i
                let x = input + base, y = output + base
                let length = Swift.max(0, Swift.min(axisSize, lengths?[o * inner + i] ?? axisSize))
                var j = length
                while j < axisSize { y[j * inner] = 0; j += 1 }
                guard length > 0 else { continue }
                var largest = sign * x[0]
                j = 1
                while j < length { largest = Swift.max(largest, sign * x[j * inner]); j += 1 }
                var sum: Float = 0
                j = 0
                while j < length { sum += Foundation.exp((sign * x[j * inner] - largest) / temperature); j += 1 }
                j = 0
                switch variant {
                case .softmax, .softmin:
                    while j < length { y[j * inner] = Foundation.exp((sign * x[j * inner] - largest) / temperature) / sum; j += 1 }
                case .logSoftmax:
                    let logSum = Foundation.log(sum)
                    while j < length { y[j * inner] = (sign * x[j * inner] - largest) / temperature - logSum; j += 1 }
                }
            }
        }
    }
}
