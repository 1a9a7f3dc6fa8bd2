extension Fast {
    /// MXNet's `_contrib_AdaptiveAvgPooling2D` over `planes` contiguous `height`x`width` float32 planes
    /// (NCHW with N·C planes) to `outputHeight`x`outputWidth`, with `Reference.adaptiveAveragePool`'s
    /// windows: per output row, the window's input rows are summed column by column once, then each
    /// output cell sums its columns of that row. AVX2 at most.
    public struct AdaptiveAveragePooling: Sendable, Equatable {
        public var planes: Int
        public var height: Int
        public var width: Int
        public var outputHeight: Int
        public var outputWidth: Int

        public init(planes: Int, height: Int, width: Int, outputHeight: Int, outputWidth: Int) {
            self.planes = planes
            self.height = height
            self.width = width
            self.outputHeight = outputHeight
            self.outputWidth = outputWidth
        }

        /// Floats of scratch one run needs: one row of column sums.
        public var scratchCount: Int { width }

        /// `input` `(planes, height, width)` to `output` `(planes, outputHeight, outputWidth)`.
        public func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                        instructionSet: InstructionSet = .active) {
            Kernels(instructionSet).slots.adaptive_avg_pool!(input, output, Int64(planes), Int64(height), Int64(width),
                                                             Int64(outputHeight), Int64(outputWidth), scratch)
        }
    }

    /// MXNet's `_contrib_BilinearResize2D` over `planes` contiguous float32 planes, with
    /// `Reference.bilinearResize`'s coordinates: plane by plane, each source row that an output row reads is
    /// interpolated across once (into one of two row buffers), then output rows blend two such rows.
    /// AVX2 at most (gathers across, FMAs down).
    public struct BilinearResize: Sendable, Equatable {
        public var planes: Int
        public var height: Int
        public var width: Int
        public var outputHeight: Int
        public var outputWidth: Int
        public var alignCorners: Bool

        public init(planes: Int, height: Int, width: Int, outputHeight: Int, outputWidth: Int, alignCorners: Bool) {
            self.planes = planes
            self.height = height
            self.width = width
            self.outputHeight = outputHeight
            self.outputWidth = outputWidth
            self.alignCorners = alignCorners
        }

        /// Floats of scratch one run needs: the column tables (two indexes and a weight per output
        /// column) and two interpolated rows.
        public var scratchCount: Int { 5 * outputWidth }

        /// `input` `(planes, height, width)` to `output` `(planes, outputHeight, outputWidth)`.
        public func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                        instructionSet: InstructionSet = .active) {
            Kernels(instructionSet).slots.bilinear_resize!(input, output, Int64(planes), Int64(height), Int64(width),
                                                           Int64(outputHeight), Int64(outputWidth), alignCorners ? 1 : 0, scratch)
        }
    }

    /// MXNet's `GroupNorm` over `count` contiguous groups of `size` floats (`Reference.groupNorm`): one
    /// pass for the mean, one for the variance, one to normalize, scale and shift. AVX2 at most.
    public struct GroupNormalization: Sendable, Equatable {
        /// Groups in the batch: samples times `groups`.
        public var count: Int
        /// Floats per group: `C / groups` channels times the spatial positions.
        public var size: Int
        /// Groups per sample, the length of gamma and beta.
        public var groups: Int
        public var epsilon: Float

        public init(count: Int, size: Int, groups: Int, epsilon: Float) {
            self.count = count
            self.size = size
            self.groups = groups
            self.epsilon = epsilon
        }

        /// Normalizes `input` into `output` (which may equal it); `savedMean` and `savedStd` (`count` each)
        /// receive the moments when given.
        public func run(input: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                        output: UnsafeMutablePointer<Float>, savedMean: UnsafeMutablePointer<Float>? = nil,
                        savedStd: UnsafeMutablePointer<Float>? = nil, instructionSet: InstructionSet = .active) {
            Kernels(instructionSet).slots.group_norm!(input, output, Int64(count), Int64(size), Int64(groups), gamma, beta,
                                                      epsilon, savedMean, savedStd)
        }
    }
}
