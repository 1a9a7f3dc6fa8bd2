extension Reference {
    /// Geometry of a grouped, strided, dilated, zero-padded 2-D convolution over NCHW data.
    ///
    /// A 1-D convolution over NCW data is the case `inputHeight == kernelHeight == 1` (with stride and
    /// dilation 1 and padding 0 along the height). Weights are `(outputChannels, inputChannels / groups,
    /// kernelHeight, kernelWidth)` (MXNet's layout); the output is `(batch, outputChannels,
    /// outputHeight, outputWidth)` with `outputHeight = (inputHeight + 2*padHeight -
    /// dilationHeight*(kernelHeight-1) - 1) / strideHeight + 1` (floor), likewise for the width.
    public struct ConvolutionGeometry: Sendable, Equatable {
        public var batch: Int
        public var inputChannels: Int
        public var inputHeight: Int
        public var inputWidth: Int
        public var outputChannels: Int
        public var kernelHeight: Int
        public var kernelWidth: Int
        public var strideHeight: Int
        public var strideWidth: Int
        public var padHeight: Int
        public var padWidth: Int
        public var dilationHeight: Int
        public var dilationWidth: Int
        public var groups: Int

        public init(batch: Int, inputChannels: Int, inputHeight: Int, inputWidth: Int, outputChannels: Int,
                    kernelHeight: Int, kernelWidth: Int, strideHeight: Int = 1, strideWidth: Int = 1,
                    padHeight: Int = 0, padWidth: Int = 0, dilationHeight: Int = 1, dilationWidth: Int = 1,
                    groups: Int = 1) {
            self.batch = batch
            self.inputChannels = inputChannels
            self.inputHeight = inputHeight
            self.inputWidth = inputWidth
            self.outputChannels = outputChannels
            self.kernelHeight = kernelHeight
            self.kernelWidth = kernelWidth
            self.strideHeight = strideHeight
            self.strideWidth = strideWidth
            self.padHeight = padHeight
            self.padWidth = padWidth
            self.dilationHeight = dilationHeight
            self.dilationWidth = dilationWidth
            self.groups = groups
        }

        public var outputHeight: Int {
            (inputHeight + 2 * padHeight - dilationHeight * (kernelHeight - 1) - 1) / strideHeight + 1
        }
        public var outputWidth: Int {
            (inputWidth + 2 * padWidth - dilationWidth * (kernelWidth - 1) - 1) / strideWidth + 1
        }
        /// Input channels each group reads.
        public var inputChannelsPerGroup: Int { inputChannels / groups }
        /// Output channels each group writes.
        public var outputChannelsPerGroup: Int { outputChannels / groups }
        /// Multiply-adds of one execution (`N * K * C/g * kh * kw * OH * OW`).
        public var multiplyAdds: Int {
            batch * outputChannels * inputChannelsPerGroup * kernelHeight * kernelWidth * outputHeight * outputWidth
        }

        /// Output positions `o` along one axis whose input coordinate `o*stride - pad + tap*dilation`
        /// lies in `0..<inputSize`, for kernel tap `tap`.
        @inline(__always)
        static func validOutputRange(tap: Int, stride: Int, pad: Int, dilation: Int, inputSize: Int, outputSize: Int) -> Range<Int> {
            let offset = tap * dilation - pad
            // o*stride + offset >= 0  ⇔  o >= ceil(-offset / stride)
            let lower = Swift.max(0, ceilDivide(-offset, stride))
            // o*stride + offset <= inputSize - 1  ⇔  o <= floor((inputSize - 1 - offset) / stride)
            let upper = Swift.min(outputSize, floorDivide(inputSize - 1 - offset, stride) + 1)
            return lower < upper ? lower..<upper : lower..<lower
        }

        /// `validOutputRange` for every kernel row (`rows[kh]`) and column (`columns[kw]`).
        var validOutputRanges: (rows: [Range<Int>], columns: [Range<Int>]) {
            let rows = (0..<kernelHeight).map {
                Self.validOutputRange(tap: $0, stride: strideHeight, pad: padHeight, dilation: dilationHeight,
                                      inputSize: inputHeight, outputSize: outputHeight)
            }
            let columns = (0..<kernelWidth).map {
                Self.validOutputRange(tap: $0, stride: strideWidth, pad: padWidth, dilation: dilationWidth,
                                      inputSize: inputWidth, outputSize: outputWidth)
            }
            return (rows, columns)
        }
    }

    /// Direct convolution: `output = conv(input, weight) + bias` (bias per output channel, optional).
    ///
    /// `input` is `(batch, inputChannels, inputHeight, inputWidth)`, `weight` is `(outputChannels,
    /// inputChannels/groups, kernelHeight, kernelWidth)`, `output` is `(batch, outputChannels,
    /// outputHeight, outputWidth)`, all row-major float32. `output` must not alias the inputs.
    public static func convolution(_ geometry: ConvolutionGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                   bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        let g = geometry
        let outputHeight = g.outputHeight, outputWidth = g.outputWidth
        let inputPlane = g.inputHeight * g.inputWidth, outputPlane = outputHeight * outputWidth
        let kernelArea = g.kernelHeight * g.kernelWidth
        let inputsPerGroup = g.inputChannelsPerGroup, outputsPerGroup = g.outputChannelsPerGroup
        let (rows, columns) = g.validOutputRanges
        for n in 0..<g.batch {
            for outChannel in 0..<g.outputChannels {
                let group = outChannel / outputsPerGroup
                let out = output + (n * g.outputChannels + outChannel) * outputPlane
                out.update(repeating: bias?[outChannel] ?? 0, count: outputPlane)
                for c in 0..<inputsPerGroup {
                    let inputChannel = group * inputsPerGroup + c
                    let plane = input + (n * g.inputChannels + inputChannel) * inputPlane
                    let taps = weight + (outChannel * inputsPerGroup + c) * kernelArea
                    for ky in 0..<g.kernelHeight {
                        let rowRange = rows[ky]
                        for kx in 0..<g.kernelWidth {
                            let columnRange = columns[kx]
                            if columnRange.isEmpty { continue }
                            let w = taps[ky * g.kernelWidth + kx]
                            let firstColumn = columnRange.lowerBound * g.strideWidth - g.padWidth + kx * g.dilationWidth
                            for oy in rowRange {
                                let iy = oy * g.strideHeight - g.padHeight + ky * g.dilationHeight
                                let source = plane + iy * g.inputWidth + firstColumn
                                let target = out + oy * outputWidth + columnRange.lowerBound
                                accumulate(w, source: source, sourceStride: g.strideWidth, into: target, count: columnRange.count)
                            }
                        }
                    }
                }
            }
        }
    }

    /// `target[i] += w * source[i * sourceStride]` for `i` in `0..<count`.
    @inline(__always)
    static func accumulate(_ w: Float, source: UnsafePointer<Float>, sourceStride: Int, into target: UnsafeMutablePointer<Float>, count: Int) {
        // A while loop over advancing pointers: debug builds (where tests run) do not optimize range iteration.
        var s = source, t = target
        let end = target + count
        while t < end {
            t.pointee += w * s.pointee
            t += 1
            s += sourceStride
        }
    }

    /// `target[i * targetStride] += w * source[i]` for `i` in `0..<count`.
    @inline(__always)
    static func scatter(_ w: Float, source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, targetStride: Int, count: Int) {
        var s = source, t = target
        let end = source + count
        while s < end {
            t.pointee += w * s.pointee
            t += targetStride
            s += 1
        }
    }

    /// `ceil(a / b)` for `b > 0` and any sign of `a`.
    @inline(__always)
    static func ceilDivide(_ a: Int, _ b: Int) -> Int {
        a >= 0 ? (a + b - 1) / b : -((-a) / b)
    }

    /// `floor(a / b)` for `b > 0` and any sign of `a`.
    @inline(__always)
    static func floorDivide(_ a: Int, _ b: Int) -> Int {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }
}
