extension Reference.ConvolutionGeometry {
    /// Floats in the weight tensor `[O, C / groups, kh, kw]`.
    public var weightCount: Int { outputChannels * inputChannelsPerGroup * kernelHeight * kernelWidth }
    /// Floats in one image of the input (`C * H * W`).
    public var inputImageCount: Int { inputChannels * inputHeight * inputWidth }
    /// Floats in one image of the output (`O * OH * OW`).
    public var outputImageCount: Int { outputChannels * outputHeight * outputWidth }

    /// What makes this geometry unusable for a convolution, or nil if a convolution can run on it.
    public var problem: String? {
        if batch < 0 { return "batch \(batch) must not be negative" }
        if inputChannels <= 0 || outputChannels <= 0 {
            return "channels must be positive, got \(inputChannels) -> \(outputChannels)"
        }
        if groups <= 0 || inputChannels % groups != 0 || outputChannels % groups != 0 {
            return "groups \(groups) must divide input channels \(inputChannels) and output channels \(outputChannels)"
        }
        if kernelHeight <= 0 || kernelWidth <= 0 { return "kernel \(kernelHeight)x\(kernelWidth) must be positive" }
        if strideHeight <= 0 || strideWidth <= 0 { return "stride \(strideHeight)x\(strideWidth) must be positive" }
        if dilationHeight <= 0 || dilationWidth <= 0 {
            return "dilation \(dilationHeight)x\(dilationWidth) must be positive"
        }
        if padHeight < 0 || padWidth < 0 { return "pad \(padHeight)x\(padWidth) must not be negative" }
        if inputHeight <= 0 || inputWidth <= 0 { return "input \(inputHeight)x\(inputWidth) must be positive" }
        if outputHeight <= 0 || outputWidth <= 0 {
            return "kernel \(kernelHeight)x\(kernelWidth) (dilation \(dilationHeight)x\(dilationWidth)) does not fit input \(inputHeight)x\(inputWidth) with pad \(padHeight)x\(padWidth)"
        }
        return nil
    }
}
