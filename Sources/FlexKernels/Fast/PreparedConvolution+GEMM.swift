extension Fast.PreparedConvolution {
    /// Per image and group: `out[O/g, OH*OW] = W_g[O/g, C/g*kh*kw] . im2col(x_g)[C/g*kh*kw, OH*OW]`, each
    /// GEMM split between the threads (each thread pads its own copy of the group's input).
    func runGEMM(
        input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, batch: Int,
        epilogue: Fast.Epilogue, scratch: UnsafeMutablePointer<Float>, threadIndex: Int, threadCount: Int
    ) {
        let g = geometry
        let inputPlane = g.inputHeight * g.inputWidth, outputPlane = g.outputHeight * g.outputWidth
        let inputGroup = g.inputChannelsPerGroup * inputPlane, outputGroup = g.outputChannelsPerGroup * outputPlane
        let isPointwise = g.kernelHeight == 1 && g.kernelWidth == 1 && g.strideHeight == 1 && g.strideWidth == 1
            && g.padHeight == 0 && g.padWidth == 0
        let padded = g.padHeight > 0 || g.padWidth > 0
        let paddedHeight = g.inputHeight + 2 * g.padHeight, paddedWidth = g.inputWidth + 2 * g.padWidth
        let paddedInput = scratch + Self.gemmPackingCount(g)
        for image in 0..<batch {
            for group in 0..<g.groups {
                let groupInput = input + image * g.inputImageCount + group * inputGroup
                let outputOffset = image * g.outputImageCount + group * outputGroup
                let right: Fast.GEMM.RightSource
                if isPointwise {
                    right = Fast.GEMM.readsInPlace(rowStride: inputPlane, depth: g.inputChannelsPerGroup)
                        ? .inPlace(groupInput, rowStride: inputPlane) : .strided(groupInput, rowStride: inputPlane, columnStride: 1)
                } else if padded {
                    Fast.PaddedInput.copy(groupInput, channels: g.inputChannelsPerGroup, height: g.inputHeight,
                                          width: g.inputWidth, padHeight: g.padHeight, padWidth: g.padWidth,
                                          into: paddedInput)
                    right = .im2col(Fast.Im2ColSource(input: paddedInput, paddedHeight: paddedHeight,
                                                      paddedWidth: paddedWidth, geometry: g, instructionSet: instructionSet))
                } else {
                    right = .im2col(Fast.Im2ColSource(input: groupInput, paddedHeight: g.inputHeight,
                                                      paddedWidth: g.inputWidth, geometry: g, instructionSet: instructionSet))
                }
                var groupEpilogue = epilogue
                groupEpilogue.biasAxis = .rows
                groupEpilogue.bias = epilogue.bias.map { $0 + group * g.outputChannelsPerGroup }
                groupEpilogue.residual = epilogue.residual.map { $0 + outputOffset }
                groupEpilogue.residualRowStride = outputPlane
                let weights = packedWeights[group]
                Fast.GEMM.run(
                    m: weights.rows, n: outputPlane, k: weights.columns,
                    left: .panels(weights.values, panelStride: weights.panelStride), right: right,
                    output: output + outputOffset, outputRowStride: outputPlane, accumulate: false,
                    epilogue: groupEpilogue, scratch: scratch, threadIndex: threadIndex, threadCount: threadCount,
                    blocking: .default, instructionSet: instructionSet)
            }
        }
    }

    /// Per-thread scratch of the GEMM algorithm: packing space, then a zero-padded copy of one group's
    /// input if the convolution pads.
    static func gemmScratchCount(_ g: Reference.ConvolutionGeometry) -> Int {
        gemmPackingCount(g) + gemmPaddedCount(g)
    }

    /// Floats of GEMM packing scratch per thread (the padded input copy follows them).
    static func gemmPackingCount(_ g: Reference.ConvolutionGeometry) -> Int {
        Fast.GEMM.scratchCount(
            m: g.outputChannelsPerGroup, n: g.outputHeight * g.outputWidth, k: g.inputChannelsPerGroup * g.kernelHeight * g.kernelWidth,
            packsLeft: false, packsRight: true, blocking: .default)
    }

    /// Floats of the zero-padded copy of one group's input (0 without padding).
    static func gemmPaddedCount(_ g: Reference.ConvolutionGeometry) -> Int {
        guard g.padHeight > 0 || g.padWidth > 0 else { return 0 }
        return g.inputChannelsPerGroup * (g.inputHeight + 2 * g.padHeight) * (g.inputWidth + 2 * g.padWidth)
    }
}
