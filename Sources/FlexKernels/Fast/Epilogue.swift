import CFlexKernels

extension Fast {
    /// Pointwise clamp applied last in an `Epilogue`.
    public enum Activation: Sendable, Hashable {
        case identity
        /// `max(x, 0)`.
        case relu
        /// `min(max(x, 0), 6)`.
        case relu6
        /// `min(max(x, lower), upper)`.
        case clip(lower: Float, upper: Float)

        /// The clamp bounds, or nil for `identity`.
        var bounds: (lower: Float, upper: Float)? {
            switch self {
            case .identity: nil
            case .relu: (0, .infinity)
            case .relu6: (0, 6)
            case .clip(let lower, let upper): (lower, upper)
            }
        }

        /// The activation of one value (what the vector kernels compute).
        public func apply(_ value: Float) -> Float {
            guard let (lower, upper) = bounds else { return value }
            return Swift.min(Swift.max(value, lower), upper)
        }
    }

    /// Work fused into a kernel's output while it is still in registers:
    /// `output = activation(result + bias + residual)`, each part optional.
    ///
    /// The pointers are only read, during the kernel call that receives the epilogue; they must not alias
    /// the output. Their layout depends on the kernel:
    /// - GEMM: `bias` has one value per row of C (`biasAxis == .rows`, length M) or per column
    ///   (`.columns`, length N); `residual` is an M x N row-major matrix with row stride
    ///   `residualRowStride`.
    /// - Convolution: `bias` has one value per output channel (`biasAxis` is ignored); `residual` has the
    ///   output's NCHW layout (`residualRowStride` is ignored).
    public struct Epilogue: @unchecked Sendable {
        public enum BiasAxis: Sendable { case rows, columns }

        public var bias: UnsafePointer<Float>?
        public var biasAxis: BiasAxis
        public var residual: UnsafePointer<Float>?
        public var residualRowStride: Int
        public var activation: Activation

        public init(
            bias: UnsafePointer<Float>? = nil, biasAxis: BiasAxis = .rows,
            residual: UnsafePointer<Float>? = nil, residualRowStride: Int = 0,
            activation: Activation = .identity
        ) {
            self.bias = bias
            self.biasAxis = biasAxis
            self.residual = residual
            self.residualRowStride = residualRowStride
            self.activation = activation
        }

        /// No bias, no residual, identity activation.
        public static let none = Epilogue()

        var isNone: Bool { bias == nil && residual == nil && activation == .identity }

        /// The C description of this epilogue for the tile whose top-left element is (`row`, `column`).
        func tile(row: Int, column: Int) -> flex_epilogue {
            let bounds = activation.bounds
            let biasOffset = biasAxis == .rows ? row : column
            return flex_epilogue(
                bias: bias.map { $0 + biasOffset },
                residual: residual.map { $0 + row * residualRowStride + column },
                residual_stride: Int64(residualRowStride),
                lower: bounds?.lower ?? 0,
                upper: bounds?.upper ?? 0,
                bias_per_column: biasAxis == .columns ? 1 : 0,
                clamp: bounds == nil ? 0 : 1
            )
        }
    }
}
