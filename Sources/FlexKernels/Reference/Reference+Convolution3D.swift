extension Reference {
    /// Geometry of a grouped, strided, dilated, zero-padded 3-D convolution over NCDHW data.
    ///
    /// Spatial arrays are `[depth, height, width]`. Weights are `(outputChannels, inputChannels / groups,
    /// kernelDepth, kernelHeight, kernelWidth)` (MXNet's layout); the output is `(batch, outputChannels,
    /// outputDepth, outputHeight, outputWidth)` with `output[a] = (input[a] + 2*pad[a] -
    /// dilation[a]*(kernel[a]-1) - 1) / stride[a] + 1` (floor) per axis.
    public struct VolumeConvolutionGeometry: Sendable, Equatable {
        public var batch: Int
        public var inputChannels: Int
        public var outputChannels: Int
        public var groups: Int
        public var inputSize: [Int]
        public var kernel: [Int]
        public var stride: [Int]
        public var pad: [Int]
        public var dilation: [Int]

        public init(batch: Int, inputChannels: Int, outputChannels: Int, groups: Int = 1, inputSize: [Int], kernel: [Int],
                    stride: [Int] = [1, 1, 1], pad: [Int] = [0, 0, 0], dilation: [Int] = [1, 1, 1]) {
            precondition([inputSize, kernel, stride, pad, dilation].allSatisfy { $0.count == 3 }, "3-D convolution geometry needs 3 axes")
            self.batch = batch
            self.inputChannels = inputChannels
            self.outputChannels = outputChannels
            self.groups = groups
            self.inputSize = inputSize
            self.kernel = kernel
            self.stride = stride
            self.pad = pad
            self.dilation = dilation
        }

        /// `[outputDepth, outputHeight, outputWidth]`.
        public var outputSize: [Int] {
            (0..<3).map { (inputSize[$0] + 2 * pad[$0] - dilation[$0] * (kernel[$0] - 1) - 1) / stride[$0] + 1 }
        }
        public var inputChannelsPerGroup: Int { inputChannels / groups }
        public var outputChannelsPerGroup: Int { outputChannels / groups }
        /// Multiply-adds of one execution (`N * K * C/g * kd * kh * kw * OD * OH * OW`).
        public var multiplyAdds: Int {
            batch * outputChannels * inputChannelsPerGroup * kernel.reduce(1, *) * outputSize.reduce(1, *)
        }

        /// For axis `axis`, the output positions each kernel tap reaches inside the unpadded input.
        func validOutputRanges(axis: Int) -> [Range<Int>] {
            let outputs = outputSize[axis]
            return (0..<kernel[axis]).map {
                ConvolutionGeometry.validOutputRange(tap: $0, stride: stride[axis], pad: pad[axis], dilation: dilation[axis],
                                                     inputSize: inputSize[axis], outputSize: outputs)
            }
        }
    }

    /// Direct 3-D convolution: `output = conv(input, weight) + bias` (bias per output channel, optional).
    ///
    /// `input` is `(batch, inputChannels, D, H, W)`, `weight` `(outputChannels, inputChannels/groups, kd,
    /// kh, kw)`, `output` `(batch, outputChannels, OD, OH, OW)`, all row-major float32. `output` must not
    /// alias the inputs.
    public static func convolution3D(_ geometry: VolumeConvolutionGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                     bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        let g = geometry
        let (inD, inH, inW) = (g.inputSize[0], g.inputSize[1], g.inputSize[2])
        let out = g.outputSize
        let (outH, outW) = (out[1], out[2])
        let inputVolume = inD * inH * inW, outputVolume = out.reduce(1, *)
        let taps = g.kernel.reduce(1, *)
        let inputsPerGroup = g.inputChannelsPerGroup, outputsPerGroup = g.outputChannelsPerGroup
        let depths = g.validOutputRanges(axis: 0), rows = g.validOutputRanges(axis: 1), columns = g.validOutputRanges(axis: 2)
        for n in 0..<g.batch {
            for outChannel in 0..<g.outputChannels {
                let group = outChannel / outputsPerGroup
                let y = output + (n * g.outputChannels + outChannel) * outputVolume
                y.update(repeating: bias?[outChannel] ?? 0, count: outputVolume)
                for c in 0..<inputsPerGroup {
                    let x = input + (n * g.inputChannels + group * inputsPerGroup + c) * inputVolume
                    var w = weight + (outChannel * inputsPerGroup + c) * taps
                    for kd in 0..<g.kernel[0] {
                        for kh in 0..<g.kernel[1] {
                            for kw in 0..<g.kernel[2] {
                                defer { w += 1 }
                                let columnRange = columns[kw]
                                if columnRange.isEmpty { continue }
                                let firstColumn = columnRange.lowerBound * g.stride[2] - g.pad[2] + kw * g.dilation[2]
                                for od in depths[kd] {
                                    let id = od * g.stride[0] - g.pad[0] + kd * g.dilation[0]
                                    for oh in rows[kh] {
                                        let ih = oh * g.stride[1] - g.pad[1] + kh * g.dilation[1]
                                        accumulate(w.pointee, source: x + (id * inH + ih) * inW + firstColumn, sourceStride: g.stride[2],
                                                   into: y + (od * outH + oh) * outW + columnRange.lowerBound, count: columnRange.count)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
