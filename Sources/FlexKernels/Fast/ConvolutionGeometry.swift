extension Fast {
    /// Shape of a 2-D convolution over NCHW float32 activations, with MXNet `Convolution`'s conventions:
    /// input `[N, C, H, W]`, weight `[O, C / groups, kernelHeight, kernelWidth]`, output `[N, O, OH, OW]`
    /// with `OH = (H + 2 * padHeight - dilationHeight * (kernelHeight - 1) - 1) / strideHeight + 1` (floor),
    /// likewise OW. Padding is zeros, the same on both sides of each axis.
    public struct ConvolutionGeometry: Sendable, Hashable, CustomStringConvertible {
        public var inputChannels: Int
        public var outputChannels: Int
        public var inputHeight: Int
        public var inputWidth: Int
        public var kernelHeight: Int
        public var kernelWidth: Int
        public var strideHeight: Int
        public var strideWidth: Int
        public var padHeight: Int
        public var padWidth: Int
        public var dilationHeight: Int
        public var dilationWidth: Int
        public var groups: Int

        public init(
            inputChannels: Int, outputChannels: Int, inputHeight: Int, inputWidth: Int,
            kernel: (height: Int, width: Int), stride: (height: Int, width: Int) = (1, 1),
            pad: (height: Int, width: Int) = (0, 0), dilation: (height: Int, width: Int) = (1, 1),
            groups: Int = 1
        ) {
            self.inputChannels = inputChannels
            self.outputChannels = outputChannels
            self.inputHeight = inputHeight
            self.inputWidth = inputWidth
            kernelHeight = kernel.height
            kernelWidth = kernel.width
            strideHeight = stride.height
            strideWidth = stride.width
            padHeight = pad.height
            padWidth = pad.width
            dilationHeight = dilation.height
            dilationWidth = dilation.width
            self.groups = groups
        }

        public var outputHeight: Int {
            (inputHeight + 2 * padHeight - dilationHeight * (kernelHeight - 1) - 1) / strideHeight + 1
        }
        public var outputWidth: Int {
            (inputWidth + 2 * padWidth - dilationWidth * (kernelWidth - 1) - 1) / strideWidth + 1
        }
        public var inputChannelsPerGroup: Int { inputChannels / groups }
        public var outputChannelsPerGroup: Int { outputChannels / groups }
        /// Floats in the weight tensor `[O, C / groups, kh, kw]`.
        public var weightCount: Int { outputChannels * inputChannelsPerGroup * kernelHeight * kernelWidth }
        /// Floats in one image of the input (`C * H * W`) and of the output (`O * OH * OW`).
        public var inputImageCount: Int { inputChannels * inputHeight * inputWidth }
        public var outputImageCount: Int { outputChannels * outputHeight * outputWidth }
        /// Multiply-adds per image, times 2.
        public var flopsPerImage: Int {
            2 * outputImageCount * inputChannelsPerGroup * kernelHeight * kernelWidth
        }

        /// A description of what is wrong with this geometry, or nil if a convolution can run on it.
        public var problem: String? {
            if inputChannels <= 0 || outputChannels <= 0 { return "channels must be positive, got \(inputChannels) -> \(outputChannels)" }
            if groups <= 0 || inputChannels % groups != 0 || outputChannels % groups != 0 {
                return "groups \(groups) must divide input channels \(inputChannels) and output channels \(outputChannels)"
            }
            if kernelHeight <= 0 || kernelWidth <= 0 { return "kernel \(kernelHeight)x\(kernelWidth) must be positive" }
            if strideHeight <= 0 || strideWidth <= 0 { return "stride \(strideHeight)x\(strideWidth) must be positive" }
            if dilationHeight <= 0 || dilationWidth <= 0 { return "dilation \(dilationHeight)x\(dilationWidth) must be positive" }
            if padHeight < 0 || padWidth < 0 { return "pad \(padHeight)x\(padWidth) must not be negative" }
            if inputHeight <= 0 || inputWidth <= 0 { return "input \(inputHeight)x\(inputWidth) must be positive" }
            if outputHeight <= 0 || outputWidth <= 0 {
                return "kernel \(kernelHeight)x\(kernelWidth) (dilation \(dilationHeight)x\(dilationWidth)) does not fit input \(inputHeight)x\(inputWidth) with pad \(padHeight)x\(padWidth)"
            }
            return nil
        }

        public var description: String {
            "conv \(inputChannels)->\(outputChannels) on \(inputHeight)x\(inputWidth), kernel \(kernelHeight)x\(kernelWidth), stride \(strideHeight)x\(strideWidth), pad \(padHeight)x\(padWidth), dilate \(dilationHeight)x\(dilationWidth), groups \(groups)"
        }
    }
}
